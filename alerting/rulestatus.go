package alerting

import "time"

// RuleStatus is one rule as the alerts page shows it: what it is and when it was last
// evaluated (match rules: the last batch of posts checked against them; store rules: the
// last evaluation on the store), with the error of that evaluation, if any, and when it
// last fired.
type RuleStatus struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Kind          Kind      `json:"kind"`
	Severity      string    `json:"severity"`
	LastEvaluated time.Time `json:"last_evaluated,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastFired     time.Time `json:"last_fired,omitzero"`
}

// evalRecord is what the engine remembers of a rule's last evaluation (in memory: the
// page says "since this process started").
type evalRecord struct {
	at  time.Time
	err string
}

// noteEval records that rule id was evaluated at now, with err (nil: success). The caller
// holds e.mu.
func (e *Engine) noteEval(id string, now time.Time, err error) {
	rec := evalRecord{at: now}
	if err != nil {
		rec.err = err.Error()
	}
	e.lastEval[id] = rec
}

// RuleStatus lists the loaded rules with their last evaluation and last firing, in rule
// order. It is safe to call concurrently with alerting.
func (e *Engine) RuleStatus() []RuleStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]RuleStatus, 0, len(e.rules.Rules))
	for _, r := range e.rules.Rules {
		st := RuleStatus{ID: r.ID, Name: r.Name, Kind: r.Kind, Severity: r.Severity}
		if rec, ok := e.lastEval[r.ID]; ok {
			st.LastEvaluated, st.LastError = rec.at, rec.err
		}
		st.LastFired = e.lastFiredLocked(r)
		out = append(out, st)
	}
	return out
}

// lastFiredLocked is the newest notification of r: queued, delivered or recorded.
func (e *Engine) lastFiredLocked(r *Rule) time.Time {
	var last time.Time
	for k, t := range e.state.LastFired {
		if (k == r.ID || len(k) > len(r.ID) && k[:len(r.ID)+1] == r.ID+"|") && t.After(last) {
			last = t
		}
	}
	for _, list := range [][]*Notification{e.state.Queue, e.state.History} {
		for _, n := range list {
			if n.RuleID == r.ID && n.CreatedAt.After(last) {
				last = n.CreatedAt
			}
		}
	}
	return last
}
