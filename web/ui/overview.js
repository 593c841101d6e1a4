// Overview page: today's volume (the Asia/Ho_Chi_Minh day so far), top narratives and
// sources against the previous 7 days' daily average, sentiment split, from
// /api/overview. Source names and narrative ids come from crawled or configured data:
// textContent only; each number links to the search that counts it.
"use strict";
(async () => {
  const { t, el } = LN;
  await LN.init("/overview");
  const statusEl = document.getElementById("status");
  const params = new URLSearchParams(location.search);
  const qEl = document.getElementById("q");
  qEl.value = params.get("q") || "";
  document.getElementById("qform").addEventListener("submit", ev => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (qEl.value.trim()) p.set("q", qEl.value.trim());
    location.search = p.toString();
  });

  const res = await LN.getJSON("/api/overview?" + params.toString());
  if (!res.ok) { statusEl.textContent = t("Lỗi: ", "Error: ") + (res.body.error || res.status); return; }
  const o = res.body;
  const name = x => LN.lang === "en" ? x.name_en : x.name_vi;
  const pct = v => (v > 0 ? "+" : "") + Math.round(v * 100) + "%";
  // search links the search page to exactly what a number counts: today's window, the
  // overview's own filters and one facet filter (the search page reads them from the URL).
  const search = (field, value) => {
    const p = new URLSearchParams(params);
    p.set("from", o.from); p.set("to", o.to);
    if (field) p.append(field, value);
    return "/?" + p.toString();
  };
  const changeCell = x => {
    if (x.change === null || x.change === undefined) return el("td", "new", t("mới", "new"));
    return el("td", x.change > 0 ? "up" : x.change < 0 ? "down" : "", pct(x.change));
  };

  const until = new Intl.DateTimeFormat("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit" }).format(new Date(o.to));
  statusEl.textContent = t(`Ngày ${o.day} (giờ VN), từ 00:00 đến ${until}`, `${o.day} (Vietnam time), 00:00 to ${until}`);
  document.getElementById("baseline-help").textContent = t(
    `So với trung bình mỗi ngày của ${o.baseline_days} ngày trước (cả ngày); hôm nay mới qua ${Math.round(o.elapsed * 100)}% ngày.`,
    `Compared with the daily average of the previous ${o.baseline_days} whole days; ${Math.round(o.elapsed * 100)}% of today has gone by.`);

  const vol = document.getElementById("volume");
  const big = el("div", "big");
  big.append(LN.link(search(), String(o.volume.count)));
  big.id = "volume-count";
  const vchange = changeCell(o.volume);
  const line = el("p", "", t(`TB/ngày 7 ngày trước: ${o.volume.baseline.toFixed(1)} · thay đổi `, `Avg/day previous 7 days: ${o.volume.baseline.toFixed(1)} · change `));
  const span = el("span", vchange.className, vchange.textContent); span.id = "volume-change";
  line.append(span);
  const flagged = el("p", "", t(`Bị gắn cờ: ${o.flagged} · tác giả khác nhau: ${o.authors}`, `Flagged: ${o.flagged} · distinct authors: ${o.authors}`));
  vol.append(big, line, flagged);
  if (o.hourly.length) {
    const chart = el("div"); chart.id = "chart";
    const max = Math.max(1, ...o.hourly.map(b => b.count));
    const bars = el("div", "bars");
    for (const b of o.hourly) { const s = el("span"); s.style.height = Math.round(80 * b.count / max) + "px"; s.title = LN.time(b.start) + ": " + b.count; bars.append(s); }
    const y = el("div", "yaxis"); y.append(el("span", "", String(max)), el("span", "", "0"));
    const x = el("div", "xaxis"); x.append(el("span", "", LN.time(o.hourly[0].start)), el("span", "", t("mỗi cột 1 giờ", "bar = 1 hour")), el("span", "", LN.time(new Date(new Date(o.hourly[o.hourly.length - 1].start).getTime() + 3600e3))));
    chart.append(y, bars, x);
    vol.append(chart);
  }

  const table = (id, rows, field) => {
    const tbody = document.querySelector(`#${id} tbody`);
    if (!rows.length) { const tr = el("tr"); const td = el("td", "", t("Chưa có bài hôm nay", "No posts today yet")); td.colSpan = 4; tr.append(td); tbody.append(tr); return; }
    for (const x of rows) {
      const tr = el("tr"); tr.dataset.term = x.term;
      const n = el("td"); n.append(LN.link(search(field, x.term), name(x)));
      tr.append(n, el("td", "count", x.count), el("td", "", x.baseline.toFixed(1)), changeCell(x));
      tbody.append(tr);
    }
  };
  table("narratives", o.narratives, "narrative");
  table("sources", o.sources, "source");

  const ul = document.querySelector("#sentiments ul");
  const total = o.sentiments.reduce((a, x) => a + x.count, 0) || 1;
  for (const x of o.sentiments) {
    const li = el("li", "tag " + x.term); li.dataset.term = x.term;
    li.append(LN.link(search("sentiment", x.term), `${name(x)}: ${x.count} (${Math.round(100 * x.count / total)}%)`));
    ul.append(li);
  }
})();
