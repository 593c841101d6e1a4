// Queue page: flagged posts newest first, near-duplicates grouped. textContent only.
"use strict";
(async () => {
  const { t, el } = LN;
  const form = document.getElementById("qform"), qEl = document.getElementById("q");
  const statusEl = document.getElementById("status"), itemsEl = document.getElementById("items");
  qEl.value = new URLSearchParams(location.search).get("q") || "";
  await LN.init("/queue");

  function render(c) {
    const li = el("li", "cluster");
    li.dataset.id = c.id; li.dataset.count = c.count;
    const meta = el("div", "meta");
    if (c.count > 1) meta.append(el("span", "tag count", t(`×${c.count} bài gần trùng`, `×${c.count} near-duplicates`)));
    meta.append(el("span", "", t("lần đầu ", "first ") + LN.time(c.first_seen) + " · " + t("lần cuối ", "last ") + LN.time(c.last_seen) + " · " + c.sources.join(", ") + " "));
    const a = c.post.analysis;
    if (a) {
      if (a.toxicity.label !== "clean") meta.append(el("span", "tag flag", LN.label("toxicity", a.toxicity.label)));
      for (const n of (a.narratives || [])) meta.append(el("span", "tag narrative", LN.label("narrative", n.id)));
    }
    li.append(meta);
    const open = LN.link(LN.postPath(c.id), c.post.title || t("Xem bài", "Open post"));
    open.className = "open-post";
    li.append(open, el("div", "text", c.post.text));
    const st = el("p", "triage-state");
    st.append(Triage.state(c.triage));
    li.append(st);
    const ids = c.members.map(m => m.id);
    li.append(Triage.buttons(ids, recs => { st.replaceChildren(Triage.state(recs[recs.length - 1])); }));
    if (c.count > 1) {
      const d = el("details"); d.append(el("summary", "", t("Các bài trong nhóm", "Posts in the group")));
      const ul = el("ul");
      for (const m of c.members) { const x = el("li"); x.append(LN.link(LN.postPath(m.id), LN.time(m.published_at) + " · " + m.source)); ul.append(x); }
      d.append(ul); li.append(d);
    }
    return li;
  }

  async function load() {
    const p = new URLSearchParams(); if (qEl.value) p.set("q", qEl.value);
    history.replaceState(null, "", "?" + p);
    statusEl.textContent = t("Đang tải…", "Loading…");
    itemsEl.replaceChildren();
    const res = await LN.getJSON("/api/clusters?" + p);
    if (!res.ok) { statusEl.textContent = t("Lỗi: ", "Error: ") + (res.body.error || res.status); return; }
    const b = res.body;
    statusEl.textContent = t(`${b.total} bài bị gắn cờ, ${b.clusters} mục sau khi gộp bài gần trùng`, `${b.total} flagged posts, ${b.clusters} items after grouping near-duplicates`) +
      (b.truncated ? t(` (nhóm ${b.scanned} bài mới nhất)`, ` (grouping the newest ${b.scanned})`) : "");
    itemsEl.replaceChildren(...b.items.map(render));
  }
  form.addEventListener("submit", ev => { ev.preventDefault(); load(); });
  load();
})();
