// Sources page: health of each crawl source from /api/sources. Error messages may quote a
// remote server: textContent only.
"use strict";
(async () => {
  const { t, el } = LN;
  await LN.init("/sources");
  const statusEl = document.getElementById("status");
  let res;
  try { res = await LN.getJSON("/api/sources"); } catch (e) { statusEl.textContent = t("Không có thông tin nguồn trong tiến trình này", "No crawl sources in this process"); return; }
  if (!res.ok) { statusEl.textContent = t("Không có thông tin nguồn trong tiến trình này", "No crawl sources in this process"); return; }
  const b = res.body;
  statusEl.textContent = t(`${b.total} nguồn, ${b.broken} đang lỗi`, `${b.total} sources, ${b.broken} failing`);
  const state = { ok: ["ổn", "ok"], error: ["lỗi", "error"], pending: ["đang chờ", "pending"], elsewhere: ["bản sao khác chạy", "another replica"] };
  const perHour = iv => { const m = /^(\d+)(h|m|s)/.exec(iv || ""); if (!m) return null; return { h: 1, m: 60, s: 3600 }[m[2]] / Number(m[1]); };
  const tbody = document.querySelector("#sources tbody");
  for (const s of b.sources) {
    const tr = el("tr", "state-" + s.state);
    const err = el("td");
    if (s.last_error) {
      err.append(el("div", "", (s.problem || s.last_error_kind || "") + (s.last_error_at ? " · " + LN.time(s.last_error_at) : "")));
      err.append(el("small", "", s.last_error));
    }
    const ph = perHour(s.interval);
    tr.append(el("td", "", s.name), el("td", "", s.kind), el("td", "", t(...(state[s.state] || [s.state, s.state]))),
      el("td", "", LN.time(s.last_success) || "—"), err, el("td", "", ph === null ? "—" : Math.round(s.posts_last_pass * ph)), el("td", "", s.posts_total));
    tbody.append(tr);
  }
})();
