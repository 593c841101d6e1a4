package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/langnghe/langnghe/alerting"
)

// AlertSource lists alert notifications (queued, sent and failed), newest first, without
// their bodies. GET /api/alerts calls it once per request, concurrently with alerting.
type AlertSource interface {
	History() []*alerting.Notification
}

// WithAlerts serves the alert history on GET /api/alerts.
func WithAlerts(src AlertSource) Option { return func(s *Server) { s.alerts = src } }

// alertList answers GET /api/alerts?rule=&status=&severity=&q=&limit=&offset=: the alert
// history, newest first. q matches the subject and reason, accents optional.
func (s *Server) alertList(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	limit, offset := 100, 0
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &limit, 1000}, {"offset", &offset, 1 << 30}} {
		if str := v.Get(p.name); str != "" {
			n, err := strconv.Atoi(str)
			if err != nil || n < 0 || n > p.max {
				writeError(w, http.StatusBadRequest, paramError(p.name, str, "số nguyên 0.."+strconv.Itoa(p.max)+" / an integer 0.."+strconv.Itoa(p.max)))
				return
			}
			*p.dst = n
		}
	}
	rule, status, severity := v.Get("rule"), v.Get("status"), v.Get("severity")
	terms := alerting.NewMatcher(alerting.QuerySpec{Text: v.Get("q")})
	out := struct {
		Total  int                      `json:"total"`
		Alerts []*alerting.Notification `json:"alerts"`
	}{Alerts: []*alerting.Notification{}}
	for _, n := range s.alerts.History() {
		if (rule != "" && n.RuleID != rule) || (status != "" && n.Status != status) || (severity != "" && n.Severity != severity) {
			continue
		}
		if strings.TrimSpace(v.Get("q")) != "" && !terms.MatchText(n.Subject+" "+n.Reason+" "+n.RuleName) {
			continue
		}
		out.Total++
		if out.Total > offset && len(out.Alerts) < limit {
			out.Alerts = append(out.Alerts, n)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
