// Shared by every page of Lắng Nghe. Crawled text is only ever inserted with textContent;
// links are made only from http(s) URLs.
"use strict";
const LN = (() => {
  const enc = new TextEncoder(), dec = new TextDecoder();
  let lang = localStorage.getItem("lang") === "en" ? "en" : "vi";
  let labels = { narrative: {}, sentiment: {}, toxicity: {}, platform: {} };
  let me = null;

  function t(vi, en) { return lang === "en" ? en : vi; }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Times are shown in Vietnam's zone whatever the browser's, and say so.
  const fmt = new Intl.DateTimeFormat("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  // A Go duration from the API ("12h0m0s") as people write it ("12h"; "1h30m").
  function dur(s) {
    return String(s).replace(/m0s$/, "m").replace(/h0m$/, "h");
  }
  // durMs reads a Go duration from the API ("12h0m0s", "1h30m0s", "500ms") in milliseconds.
  function durMs(s) {
    const unit = { h: 3600e3, m: 60e3, s: 1e3, ms: 1, "µs": 1e-3, us: 1e-3, ns: 1e-6 };
    let ms = 0;
    for (const [, n, u] of String(s).matchAll(/([0-9.]+)(h|ms|m|s|µs|us|ns)/g)) ms += parseFloat(n) * unit[u];
    return ms;
  }
  function time(s) {
    if (!s) return "";
    const d = new Date(s);
    if (isNaN(d)) return "";
    return fmt.format(d) + t(" (giờ VN)", " (Vietnam time)");
  }

  function label(kind, id) {
    const n = (labels[kind] || {})[id];
    if (!n) return id;
    return lang === "en" ? n.en : n.vi;
  }

  function safeURL(u) {
    try { const x = new URL(u); return (x.protocol === "http:" || x.protocol === "https:") ? x.href : ""; } catch (e) { return ""; }
  }

  function link(href, text, external) {
    const a = el("a", "", text);
    a.href = href;
    if (external) { a.rel = "noopener noreferrer nofollow"; a.target = "_blank"; }
    return a;
  }

  function postPath(id) { return "/posts/" + encodeURIComponent(id); }

  // Highlights carry byte offsets into the UTF-8 text; slice bytes, not UTF-16 units.
  function renderText(text, highlights, explain) {
    const frag = document.createDocumentFragment();
    const bytes = enc.encode(text || "");
    let pos = 0;
    const hs = (highlights || []).slice().sort((a, b) => a.start - b.start);
    for (const h of hs) {
      if (h.start < pos || h.end > bytes.length || h.end <= h.start) continue;
      frag.append(dec.decode(bytes.slice(pos, h.start)));
      const m = el("mark", h.kind === "query" ? "query" : "evidence", dec.decode(bytes.slice(h.start, h.end)));
      if (h.for) m.title = explain ? explain(h) : h.for;
      frag.append(m);
      pos = h.end;
    }
    frag.append(dec.decode(bytes.slice(pos)));
    return frag;
  }

  // byteToIndex turns a UTF-8 byte offset of s into a JavaScript string index.
  function byteToIndex(s, b) { return dec.decode(enc.encode(s).slice(0, b)).length; }

  async function getJSON(url) {
    const res = await fetch(url, { credentials: "same-origin" });
    if (res.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); throw new Error("login"); }
    const body = await res.json();
    return { ok: res.ok, status: res.status, body };
  }

  // Static texts carry data-vi and data-en; the chosen language fills them.
  function applyLang() {
    document.documentElement.lang = lang;
    for (const e of document.querySelectorAll("[data-vi]")) e.textContent = lang === "en" ? e.dataset.en : e.dataset.vi;
    for (const e of document.querySelectorAll("[data-ph-vi]")) e.placeholder = lang === "en" ? e.dataset.phEn : e.dataset.phVi;
  }

  function nav(current) {
    const n = document.getElementById("nav");
    if (!n) return;
    n.replaceChildren();
    for (const [href, vi, en] of [["/", "Tìm kiếm", "Search"], ["/overview", "Tổng quan", "Overview"], ["/queue", "Hàng đợi", "Queue"], ["/alerts", "Cảnh báo", "Alerts"], ["/sources", "Nguồn", "Sources"]]) {
      const a = link(href, t(vi, en));
      if (href === current) a.className = "current";
      n.append(a);
    }
    const sw = el("button", "lang", lang === "en" ? "Tiếng Việt" : "English");
    sw.type = "button"; sw.id = "lang";
    sw.addEventListener("click", () => { localStorage.setItem("lang", lang === "en" ? "vi" : "en"); location.reload(); });
    n.append(sw);
    if (me && me.auth) {
      n.append(el("span", "user", me.name + " (" + me.role + ")"));
      const out = el("button", "", t("Đăng xuất", "Log out"));
      out.type = "button"; out.id = "logout";
      out.addEventListener("click", async () => {
        await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": me.csrf }, credentials: "same-origin" });
        location.href = "/login";
      });
      n.append(out);
    }
  }

  async function init(current) {
    applyLang();
    try {
      const [l, m] = await Promise.all([getJSON("/api/labels"), getJSON("/api/me").catch(() => null)]);
      if (l.ok) labels = l.body;
      if (m && m.ok) me = m.body;
    } catch (e) { /* pages still work with ids */ }
    nav(current);
  }

  // can reports whether the logged-in user has at least role (viewer < analyst < admin).
  function can(role) {
    const rank = { viewer: 1, analyst: 2, admin: 3 };
    return !!me && (rank[me.role] || 0) >= rank[role];
  }

  // post sends a state-changing JSON request with the session's CSRF token.
  async function post(url, body) {
    const res = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": me ? me.csrf : "" }, body: JSON.stringify(body) });
    let data = {};
    try { data = await res.json(); } catch (e) { /* empty body */ }
    return { ok: res.ok, status: res.status, body: data };
  }

  return { t, el, time, dur, durMs, label, safeURL, link, postPath, renderText, byteToIndex, getJSON, post, init, can, get lang() { return lang; } };
})();
