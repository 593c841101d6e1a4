// Lắng Nghe search page. Crawled text is only ever inserted with textContent.
"use strict";
const form = document.getElementById("search");
const statusEl = document.getElementById("status");
const hitsEl = document.getElementById("hits");
const chartEl = document.getElementById("chart");
const enc = new TextEncoder(), dec = new TextDecoder();

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// Highlights carry byte offsets into the UTF-8 text; slice bytes, not UTF-16 units.
function renderText(text, highlights) {
  const frag = document.createDocumentFragment();
  const bytes = enc.encode(text);
  let pos = 0;
  for (const h of (highlights || [])) {
    if (h.start < pos || h.end > bytes.length || h.end <= h.start) continue;
    frag.append(dec.decode(bytes.slice(pos, h.start)));
    const m = el("mark", h.kind === "evidence" ? "evidence" : "query", dec.decode(bytes.slice(h.start, h.end)));
    if (h.for) m.title = h.for;
    frag.append(m);
    pos = h.end;
  }
  frag.append(dec.decode(bytes.slice(pos)));
  return frag;
}

function renderHit(hit) {
  const p = hit.post, li = el("li");
  const meta = el("div", "meta");
  meta.append(el("span", "", new Date(p.published_at).toLocaleString("vi-VN") + " · " + p.platform + " · " + p.source + " "));
  const a = p.analysis;
  if (a) {
    meta.append(el("span", "tag " + a.sentiment.label, a.sentiment.label));
    if (a.toxicity.label !== "clean") meta.append(el("span", "tag flag", a.toxicity.label));
    for (const n of (a.narratives || [])) meta.append(el("span", "tag", n.id));
    if (a.flagged) meta.append(el("span", "tag flag", "⚑"));
  }
  li.append(meta);
  if (p.title) li.append(el("strong", "", p.title));
  const body = el("div");
  body.append(renderText(p.text, hit.highlights));
  li.append(body);
  if (p.url && /^https?:\/\//.test(p.url)) {
    const link = el("a", "", "bài gốc / original");
    link.href = p.url; link.rel = "noopener noreferrer nofollow"; link.target = "_blank";
    li.append(link);
  }
  return li;
}

function renderChart(buckets) {
  chartEl.replaceChildren();
  const max = Math.max(1, ...buckets.map(b => b.count));
  for (const b of buckets) {
    const s = el("span");
    s.style.height = Math.round(60 * b.count / max) + "px";
    s.title = new Date(b.start).toLocaleString("vi-VN") + ": " + b.count;
    chartEl.append(s);
  }
}

async function search() {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v) params.append(k, v);
  history.replaceState(null, "", "?" + params);
  statusEl.textContent = "Đang tìm… / searching…";
  try {
    const res = await fetch("/api/search?" + params);
    const body = await res.json();
    if (!res.ok) { statusEl.textContent = "Lỗi / error: " + body.error; return; }
    statusEl.textContent = body.total + " bài / posts";
    hitsEl.replaceChildren(...body.hits.map(renderHit));
    renderChart(body.buckets || []);
  } catch (e) {
    statusEl.textContent = "Không kết nối được / cannot reach the server: " + e;
  }
}

form.addEventListener("submit", ev => { ev.preventDefault(); search(); });
// Links from alerts carry an absolute from/to window or the alerted posts' ids: keep
// them (a select gains an option for a value it lacks) instead of silently widening the
// search to all time.
for (const [k, v] of new URLSearchParams(location.search)) {
  const f = form.elements[k];
  if (!f) continue;
  if (f.type === "checkbox") { f.checked = v === "true"; continue; }
  if (f.tagName === "SELECT" && ![...f.options].some(o => o.value === v)) {
    const label = k === "from" ? "từ / from " + new Date(v).toLocaleString("vi-VN", {timeZone: "Asia/Ho_Chi_Minh"}) : v;
    f.append(new Option(label, v));
  }
  f.value = v;
}
if (form.elements.ids.value) {
  const n = form.elements.ids.value.split(",").length;
  const note = el("p", "alert-posts", n + " bài của một cảnh báo / posts of one alert ");
  const clear = el("button", "", "bỏ lọc / clear");
  clear.type = "button";
  clear.addEventListener("click", () => { form.elements.ids.value = ""; note.remove(); search(); });
  note.append(clear);
  form.after(note);
}
search();
