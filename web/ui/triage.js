// Triage buttons shared by the queue and the post page. Crawled text never passes here.
"use strict";
const Triage = (() => {
  const { t, el } = LN;
  const ACTIONS = [["reviewed", "Đã xem", "Reviewed"], ["false_positive", "Báo nhầm", "False positive"], ["escalate", "Chuyển cấp", "Escalate"]];
  function name(action) { const a = ACTIONS.find(x => x[0] === action); return a ? t(a[1], a[2]) : action; }
  function state(rec) {
    if (!rec) return el("span", "triage none", t("chưa phân loại", "not triaged"));
    return el("span", "triage " + rec.action, name(rec.action) + " · " + rec.user + " · " + LN.time(rec.at) +
      (rec.previous ? t(" (trước: ", " (was: ") + name(rec.previous) + ")" : ""));
  }
  // buttons returns the action buttons for ids; onDone gets the new records.
  function buttons(ids, onDone) {
    const box = el("span", "triage-actions");
    if (!LN.can("analyst")) return box;
    for (const [action, vi, en] of ACTIONS) {
      const b = el("button", "triage-" + action, t(vi, en));
      b.type = "button"; b.dataset.action = action;
      b.addEventListener("click", async () => {
        b.disabled = true;
        const res = await LN.post("/api/triage", { ids, action });
        b.disabled = false;
        if (!res.ok) { box.append(el("span", "error", " " + (res.body.error || res.status))); return; }
        onDone(res.body.records);
      });
      box.append(b);
    }
    return box;
  }
  return { state, buttons, name };
})();
