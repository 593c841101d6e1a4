// Post page: the text with every evidence term highlighted and explained.
"use strict";
(async () => {
  const { t, el } = LN;
  await LN.init("");
  const statusEl = document.getElementById("status");
  const id = decodeURIComponent(location.pathname.replace(/^\/posts\//, ""));
  let res;
  try { res = await LN.getJSON("/api/posts/" + encodeURIComponent(id)); } catch (e) { statusEl.textContent = String(e); return; }
  if (!res.ok) { statusEl.textContent = t("Lỗi: ", "Error: ") + (res.body.error || res.status); return; }
  const { post: p, evidence } = res.body;
  document.getElementById("post").hidden = false;
  const meta = document.getElementById("meta");
  meta.append(el("span", "", LN.time(p.published_at) + " · " + LN.label("platform", p.platform) + " · " + p.source + " · " + p.id + " "));
  const a = p.analysis;
  if (a) {
    meta.append(el("span", "tag " + a.sentiment.label, LN.label("sentiment", a.sentiment.label) + " " + a.sentiment.score.toFixed(2)));
    meta.append(el("span", "tag" + (a.toxicity.label !== "clean" ? " flag" : ""), LN.label("toxicity", a.toxicity.label) + " " + a.toxicity.score.toFixed(2)));
    for (const n of (a.narratives || [])) meta.append(el("span", "tag narrative", LN.label("narrative", n.id) + " " + n.score.toFixed(2)));
    if (a.flagged) meta.append(el("span", "tag flag", t("⚑ gắn cờ", "⚑ flagged")));
  }
  document.getElementById("title").textContent = p.title || "";
  // Posts classified before weights were recorded have none: say so instead of 0.
  const weight = e => e.weight === undefined ? "—" : (e.weight > 0 && e.kind === "sentiment" ? "+" : "") + e.weight.toFixed(3);
  const name = e => (LN.lang === "en" ? e.name_en : e.name_vi) || e.for;
  const explain = h => {
    const e = evidence.find(x => x.start === h.start && x.end === h.end);
    return e ? `${name(e)} (${e.kind}) · ${t("trọng số", "weight")} ${weight(e)} · ${t("điểm", "score")} ${e.score.toFixed(2)} · ${e.model}` : h.for;
  };
  document.getElementById("text").append(LN.renderText(p.text, evidence.map(e => ({ start: e.start, end: e.end, for: e.for, kind: "evidence" })), explain));
  const links = document.getElementById("links");
  if (res.body.link) links.append(LN.link(res.body.link, t("Bài gốc công khai ↗", "Public post ↗"), true));
  if (res.body.thread_link) { links.append(" · "); links.append(LN.link(res.body.thread_link, t("Cả chủ đề ↗", "Thread ↗"), true)); }
  const m = p.metrics || {};
  const ul = document.getElementById("metrics");
  for (const [vi, en, v] of [["Thích", "Likes", m.likes], ["Chia sẻ", "Shares", m.shares], ["Trả lời", "Replies", m.replies]]) ul.append(el("li", "", t(vi, en) + ": " + (v || 0)));
  ul.append(el("li", "", t("Thu thập lúc: ", "Fetched: ") + LN.time(p.fetched_at)));
  const tbody = document.querySelector("#evidence tbody");
  if (!evidence.length) { const tr = el("tr"); tr.append(el("td", "", t("Không có bằng chứng nào", "No evidence"))); tbody.append(tr); }
  for (const e of evidence) {
    const tr = el("tr");
    tr.append(el("td", "term", e.term), el("td", "", name(e)), el("td", "", e.kind), el("td", "weight", weight(e)), el("td", "", e.score.toFixed(2)), el("td", "", e.model));
    tbody.append(tr);
  }
  document.title = "Lắng Nghe: " + (p.title || p.id);

  // Triage: the current state, the audit trail and (for analysts) the actions.
  const hist = await LN.getJSON("/api/triage/" + encodeURIComponent(p.id)).catch(() => null);
  if (hist && hist.ok) {
    const box = document.getElementById("triage"), stEl = document.getElementById("triage-state"), list = document.getElementById("triage-history");
    box.hidden = false;
    const show = recs => {
      stEl.replaceChildren(Triage.state(recs[recs.length - 1]));
      list.replaceChildren(...recs.slice().reverse().map(r => el("li", "", Triage.name(r.action) + " · " + r.user + " (" + r.role + ") · " + LN.time(r.at) +
        (r.previous ? t(" · trước: ", " · was: ") + Triage.name(r.previous) : ""))));
    };
    let recs = hist.body.records;
    show(recs);
    document.getElementById("triage-actions").append(Triage.buttons([p.id], n => { recs = recs.concat(n); show(recs); }));
  }
})();
