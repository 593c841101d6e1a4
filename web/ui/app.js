// Lắng Nghe search page. Crawled text is only ever inserted with textContent.
"use strict";
const { t, el } = LN;
const form = document.getElementById("search");
const qEl = document.getElementById("q");
const statusEl = document.getElementById("status");
const qerrEl = document.getElementById("qerror");
const hitsEl = document.getElementById("hits");
const chartEl = document.getElementById("chart");
const facetsEl = document.getElementById("facets");
const pagerEl = document.getElementById("pager");
const filtersEl = document.getElementById("filters");
const PAGE = 20;
const FACETS = [["narrative", "narratives", "Chủ đề", "Narrative"], ["sentiment", "sentiments", "Cảm xúc", "Sentiment"],
  ["toxicity", "toxicities", "Độc hại", "Toxicity"], ["platform", "platforms", "Nền tảng", "Platform"], ["source", "sources", "Nguồn", "Source"]];

// state: the form plus facet filters and the page offset, mirrored in the URL.
let filters = {}, offset = 0;

function params() {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v) p.append(k, v);
  for (const [k, vs] of Object.entries(filters)) for (const v of vs) p.append(k, v);
  return p;
}

function renderHit(hit) {
  const p = hit.post, li = el("li");
  const meta = el("div", "meta");
  meta.append(el("span", "", LN.time(p.published_at) + " · " + LN.label("platform", p.platform) + " · " + p.source + " "));
  const a = p.analysis;
  if (a) {
    meta.append(el("span", "tag " + a.sentiment.label, LN.label("sentiment", a.sentiment.label)));
    if (a.toxicity.label !== "clean") meta.append(el("span", "tag flag", LN.label("toxicity", a.toxicity.label)));
    for (const n of (a.narratives || [])) meta.append(el("span", "tag narrative", LN.label("narrative", n.id)));
    if (a.flagged) meta.append(el("span", "tag flag", t("⚑ gắn cờ", "⚑ flagged")));
  }
  li.append(meta);
  const title = LN.link(LN.postPath(p.id), p.title || t("Xem bài", "Open post"));
  title.className = "open-post";
  li.append(title);
  const body = el("div", "text");
  body.append(LN.renderText(p.text, hit.highlights, h => h.kind === "query" ? t("từ tìm", "query term") : LN.label("narrative", h.for)));
  li.append(body);
  const u = LN.safeURL(p.url);
  if (u) li.append(LN.link(u, t("bài gốc ↗", "original ↗"), true));
  return li;
}

// Time range: the preset select and the two datetime-local fields (read in
// Asia/Ho_Chi_Minh, which has had no daylight saving since 1975: a fixed +07:00) fill
// the hidden from/to fields the search sends.
const presetEl = document.getElementById("preset");
const fromAt = document.getElementById("from-at"), toAt = document.getElementById("to-at");
const zoomReset = document.getElementById("zoom-reset");
const VN = 7 * 3600e3;
function toVNLocal(v) {
  const d = new Date(v);
  return v && !isNaN(d) ? new Date(d.getTime() + VN).toISOString().slice(0, 16) : "";
}
function fromVNLocal(v) {
  if (!v) return "";
  const d = new Date((v.length === 16 ? v + ":00" : v) + "Z");
  return isNaN(d) ? "" : new Date(d.getTime() - VN).toISOString().replace(/\.\d{3}Z$/, "Z");
}
// syncRange shows the hidden from/to in the visible controls.
function syncRange() {
  const from = form.elements.from.value, to = form.elements.to.value;
  const preset = !to && [...presetEl.options].some(o => o.value === from && o.value !== "custom");
  if (!preset && /^\d+[a-z]+$/.test(from) && !to) { presetEl.append(new Option(from, from)); }
  presetEl.value = preset || (/^\d+[a-z]+$/.test(from) && !to) ? from : "custom";
  fromAt.value = presetEl.value === "custom" ? toVNLocal(from) : "";
  toAt.value = presetEl.value === "custom" ? toVNLocal(to) : "";
}
presetEl.addEventListener("change", () => {
  if (presetEl.value === "custom") { fromAt.focus(); return; }
  form.elements.from.value = presetEl.value; form.elements.to.value = "";
  fromAt.value = toAt.value = "";
});
for (const f of [fromAt, toAt]) f.addEventListener("change", () => {
  presetEl.value = "custom";
  form.elements.from.value = fromVNLocal(fromAt.value); form.elements.to.value = fromVNLocal(toAt.value);
});

// Zoom: the range before the first zoom, restored by the reset button.
let zoomedFrom = null;
function zoomTo(from, to) {
  if (!zoomedFrom) zoomedFrom = { from: form.elements.from.value, to: form.elements.to.value };
  form.elements.from.value = from; form.elements.to.value = to;
  syncRange(); zoomReset.hidden = false; offset = 0; search();
}
zoomReset.addEventListener("click", () => {
  if (!zoomedFrom) return;
  form.elements.from.value = zoomedFrom.from; form.elements.to.value = zoomedFrom.to;
  zoomedFrom = null; zoomReset.hidden = true; syncRange(); offset = 0; search();
});

// dragZoom lets a mouse (or finger) drag across the bars select the buckets it covers;
// their span becomes from/to. A plain click (under 4 px) does nothing.
function dragZoom(bars, buckets) {
  if (buckets.length < 2) return;
  const starts = buckets.map(b => new Date(b.start).getTime());
  const step = starts[1] - starts[0];
  let x0 = null, sel = null;
  const index = x => { const r = bars.getBoundingClientRect(); return Math.max(0, Math.min(buckets.length - 1, Math.floor((x - r.left) / r.width * buckets.length))); };
  bars.addEventListener("pointerdown", ev => {
    if (ev.button !== 0) return;
    x0 = ev.clientX; bars.setPointerCapture(ev.pointerId);
    sel = el("div", "sel"); bars.append(sel); ev.preventDefault();
  });
  bars.addEventListener("pointermove", ev => {
    if (x0 === null) return;
    const r = bars.getBoundingClientRect();
    const a = Math.max(r.left, Math.min(x0, ev.clientX)), b = Math.min(r.right, Math.max(x0, ev.clientX));
    sel.style.left = (a - r.left) + "px"; sel.style.width = (b - a) + "px";
  });
  const end = ev => {
    if (x0 === null) return;
    const x1 = ev.clientX, start = x0;
    x0 = null; sel.remove();
    if (ev.type !== "pointerup" || Math.abs(x1 - start) < 4) return;
    const i = index(Math.min(start, x1)), j = index(Math.max(start, x1));
    const iso = ms => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    // to is exclusive in the API: the end of the last bucket selected.
    zoomTo(iso(starts[i]), iso(j + 1 < starts.length ? starts[j + 1] : starts[j] + step));
  };
  bars.addEventListener("pointerup", end);
  bars.addEventListener("pointercancel", end);
}

function renderChart(buckets, interval) {
  chartEl.replaceChildren();
  if (!buckets.length) return;
  const max = Math.max(1, ...buckets.map(b => b.count));
  const bars = el("div", "bars");
  bars.title = t("Kéo để phóng to", "Drag to zoom");
  for (const b of buckets) {
    const s = el("span");
    s.style.height = Math.round(80 * b.count / max) + "px";
    s.title = LN.time(b.start) + ": " + b.count;
    s.dataset.start = b.start; s.dataset.count = b.count;
    bars.append(s);
  }
  const y = el("div", "yaxis");
  y.append(el("span", "", String(max)), el("span", "", "0"));
  const x = el("div", "xaxis");
  // The axis spans the bars: from the first bar's start to the last bar's end (one bar
  // labelled with its start twice read as an empty range).
  const end = new Date(new Date(buckets[buckets.length - 1].start).getTime() + LN.durMs(interval));
  x.append(el("span", "", LN.time(buckets[0].start)), el("span", "", t("mỗi cột ", "bar = ") + LN.dur(interval)), el("span", "", LN.time(end)));
  chartEl.append(y, bars, x);
  dragZoom(bars, buckets);
}

function renderFacets(f) {
  facetsEl.replaceChildren();
  for (const [key, field, vi, en] of FACETS) {
    const box = el("div", "facet");
    box.dataset.facet = key;
    box.append(el("h3", "", t(vi, en)));
    const ul = el("ul");
    for (const tc of (f[field] || [])) {
      const on = (filters[key] || []).includes(tc.term);
      const b = el("button", on ? "on" : "", (key === "source" ? tc.term : LN.label(key, tc.term)) + " ");
      b.type = "button"; b.dataset.value = tc.term;
      b.append(el("span", "count", tc.count));
      b.addEventListener("click", () => {
        const cur = filters[key] || [];
        filters[key] = on ? cur.filter(v => v !== tc.term) : cur.concat(tc.term);
        if (!filters[key].length) delete filters[key];
        offset = 0; search();
      });
      const li = el("li"); li.append(b); ul.append(li);
    }
    box.append(ul);
    facetsEl.append(box);
  }
}

function renderFilters() {
  filtersEl.replaceChildren();
  for (const [k, vs] of Object.entries(filters)) for (const v of vs) {
    const b = el("button", "chip", (k === "source" ? v : LN.label(k, v)) + " ✕");
    b.type = "button";
    b.addEventListener("click", () => { filters[k] = filters[k].filter(x => x !== v); if (!filters[k].length) delete filters[k]; offset = 0; search(); });
    filtersEl.append(b);
  }
}

function renderPager(total) {
  pagerEl.replaceChildren();
  if (total <= PAGE) return;
  const prev = el("button", "", t("← Trang trước", "← Previous")); prev.type = "button"; prev.id = "prev";
  const next = el("button", "", t("Trang sau →", "Next →")); next.type = "button"; next.id = "next";
  prev.disabled = offset === 0;
  next.disabled = offset + PAGE >= Math.min(total, 10000);
  prev.addEventListener("click", () => { offset = Math.max(0, offset - PAGE); search(); });
  next.addEventListener("click", () => { offset += PAGE; search(); });
  const page = el("span", "page", t("Trang ", "Page ") + (offset / PAGE + 1) + " / " + Math.ceil(Math.min(total, 10000) / PAGE));
  pagerEl.append(prev, page, next);
}

function clearResults() {
  hitsEl.replaceChildren(); chartEl.replaceChildren(); facetsEl.replaceChildren(); pagerEl.replaceChildren();
}

// showQueryError marks the syntax error's position: the box selects the offending
// character and a copy of the query below points at it.
function showQueryError(body) {
  qEl.classList.add("invalid");
  qEl.setAttribute("aria-invalid", "true");
  const q = qEl.value;
  const i = LN.byteToIndex(q, body.position);
  qEl.focus();
  qEl.setSelectionRange(i, Math.min(q.length, i + 1) || i);
  qerrEl.hidden = false;
  qerrEl.replaceChildren(el("span", "", q.slice(0, i)), el("span", "at", q.slice(i, i + 1) || " "), el("span", "", q.slice(i + 1)),
    document.createTextNode("\n" + " ".repeat(i) + "^ " + (body.message || body.error)));
}

let seq = 0;
async function search() {
  const p = params();
  const url = new URLSearchParams(p);
  if (offset) url.set("offset", offset);
  history.replaceState(null, "", "?" + url);
  const my = ++seq;
  statusEl.textContent = t("Đang tìm…", "Searching…");
  qEl.classList.remove("invalid"); qEl.removeAttribute("aria-invalid"); qerrEl.hidden = true;
  renderFilters();
  try {
    const sp = new URLSearchParams(p); sp.set("offset", offset); sp.set("limit", PAGE);
    const [res, fac] = await Promise.all([LN.getJSON("/api/search?" + sp), LN.getJSON("/api/facets?" + p)]);
    if (my !== seq) return;
    if (!res.ok) {
      clearResults();
      statusEl.textContent = t("Lỗi: ", "Error: ") + (res.body.error || res.status);
      if (res.body.position !== undefined) showQueryError(res.body);
      return;
    }
    const from = res.body.total ? offset + 1 : 0, to = offset + res.body.hits.length;
    statusEl.textContent = t(`${res.body.total} bài, hiển thị ${from}–${to}`, `${res.body.total} posts, showing ${from}–${to}`);
    hitsEl.replaceChildren(...res.body.hits.map(renderHit));
    renderChart(res.body.buckets || [], res.body.interval || "");
    if (fac.ok) renderFacets(fac.body);
    renderPager(res.body.total);
  } catch (e) {
    if (my !== seq) return;
    clearResults();
    statusEl.textContent = t("Không kết nối được máy chủ: ", "Cannot reach the server: ") + e;
  }
}

form.addEventListener("submit", ev => { ev.preventDefault(); offset = 0; search(); });
form.addEventListener("change", ev => {
  if (ev.target === qEl || (ev.target === presetEl && presetEl.value === "custom")) return;
  if (ev.target === presetEl || ev.target === fromAt || ev.target === toAt) { zoomedFrom = null; zoomReset.hidden = true; }
  offset = 0; search();
});
// Links from alerts carry an absolute from/to window or the alerted posts' ids: keep
// them (a select gains an option for a value it lacks) instead of silently widening the
// search to all time.
for (const [k, v] of new URLSearchParams(location.search)) {
  const f = form.elements[k];
  if (k === "offset") { offset = Math.max(0, parseInt(v, 10) || 0); continue; }
  if (!f) { if (FACETS.some(x => x[0] === k)) (filters[k] = filters[k] || []).push(v); continue; }
  if (f.type === "checkbox") { f.checked = v === "true"; continue; }
  if (f.tagName === "SELECT" && ![...f.options].some(o => o.value === v)) f.append(new Option(v, v));
  f.value = v;
}
syncRange();
if (form.elements.ids.value) {
  const n = form.elements.ids.value.split(",").length;
  const note = el("p", "alert-posts", t(n + " bài của một cảnh báo ", n + " posts of one alert "));
  const clear = el("button", "", t("bỏ lọc", "clear"));
  clear.type = "button";
  clear.addEventListener("click", () => { form.elements.ids.value = ""; note.remove(); offset = 0; search(); });
  note.append(clear);
  form.after(note);
}
// Export streams the whole result set; the rows are counted as they arrive against the
// total the server announces, then saved as one file.
const exportEl = document.getElementById("export");
const exportBar = document.getElementById("export-progress");
const exportStatus = document.getElementById("export-status");
async function runExport(format) {
  const p = params(); p.set("format", format);
  for (const b of exportEl.querySelectorAll("button")) b.disabled = true;
  exportStatus.textContent = t("Đang xuất…", "Exporting…");
  try {
    const res = await fetch("/api/export?" + p, { credentials: "same-origin" });
    if (!res.ok) { const b = await res.json().catch(() => ({})); exportStatus.textContent = t("Lỗi: ", "Error: ") + (b.error || res.status); return; }
    const total = parseInt(res.headers.get("X-Export-Total"), 10) || 0;
    const max = parseInt(res.headers.get("X-Export-Max"), 10) || total;
    const want = Math.min(total, max);
    exportBar.max = Math.max(1, want); exportBar.value = 0; exportBar.hidden = false;
    const reader = res.body.getReader(), chunks = [];
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      for (const c of value) if (c === 10) lines++;
      // CSV has a header line and may hold newlines inside quoted text: the count is an estimate there.
      const rows = Math.min(want, format === "csv" ? Math.max(0, lines - 1) : lines);
      exportBar.value = rows;
      exportStatus.textContent = t(`${rows} / ${want} dòng`, `${rows} / ${want} rows`);
    }
    const name = (/filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "") || [])[1] || "langnghe." + format;
    const a = el("a"); a.href = URL.createObjectURL(new Blob(chunks, { type: res.headers.get("Content-Type") || "" })); a.download = name;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    exportStatus.textContent = t(`Đã xuất ${want} dòng vào ${name}`, `Exported ${want} rows to ${name}`) +
      (res.headers.get("X-Export-Truncated") === "true" ? t(` (cắt ở ${max} trên ${total} bài khớp)`, ` (cut at ${max} of ${total} matching posts)`) : "");
    exportEl.dataset.done = String(want);
  } catch (e) {
    exportStatus.textContent = t("Xuất thất bại: ", "Export failed: ") + e;
  } finally {
    for (const b of exportEl.querySelectorAll("button")) b.disabled = false;
  }
}
for (const b of exportEl.querySelectorAll("button")) b.addEventListener("click", () => runExport(b.dataset.format));
LN.init("/").then(() => { exportEl.hidden = !LN.can("analyst"); search(); });
