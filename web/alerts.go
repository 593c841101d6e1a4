package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/langnghe/langnghe/alerting"
)

// AlertSource lists alert notifications (queued, sent and failed), newest first, without
// their bodies. GET /api/alerts calls it once per request, concurrently with alerting.
type AlertSource interface {
	History() []*alerting.Notification
}

// WithAlerts serves the alert history on GET /api/alerts.
func WithAlerts(src AlertSource) Option { return func(s *Server) { s.alerts = src } }

func (s *Server) alertRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/alerts", s.instrument("alerts", s.alertList))
	mux.HandleFunc("GET /alerts", s.instrument("alerts_page", s.alertPage))
}

// alertPage is the alert history as a page rendered on the server (no script, so the
// UI's Content-Security-Policy holds): the emails of the outbox mode appear here.
func (s *Server) alertPage(w http.ResponseWriter, r *http.Request) {
	list := s.alerts.History()
	if len(list) > 200 {
		list = list[:200]
	}
	list = redactRecipients(list, roleOf(r))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := alertPageTmpl.Execute(w, list); err != nil {
		s.log.Error("alerts page", "err", err)
	}
}

var alertPageTmpl = template.Must(template.New("alerts").Funcs(template.FuncMap{
	"vn":       func(t time.Time) string { return t.In(alerting.Zone).Format("15:04 02/01/2006") + " (giờ VN)" },
	"postPath": func(id string) string { return "/posts/" + url.PathEscape(id) },
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lắng Nghe: cảnh báo / alerts</title><link rel="stylesheet" href="style.css"></head>
<body><header><h1>Lắng Nghe <small>cảnh báo đã gửi / alert history</small></h1><nav><a href="/">Tìm kiếm / search</a> · <a href="/sources">Nguồn / sources</a> · <a href="/api/alerts">JSON</a></nav></header>
<main>{{if not .}}<p>Chưa có cảnh báo nào / no alerts yet.</p>{{end}}
{{range .}}<article class="alert">
<h2>[{{.Severity}}] {{.Subject}}</h2>
<p>{{.Reason}}</p>
<p><small>luật / rule <b>{{.RuleID}}</b> ({{.Kind}}){{if .Key}} · nhóm / key {{.Key}}{{end}} · {{vn .CreatedAt}} ·
trạng thái / status <b>{{.Status}}</b>{{if .Via}} qua / via {{.Via}}{{end}} · lần thử / attempts {{.Attempts}}{{if .LastError}} · lỗi / error: {{.LastError}}{{end}}
{{if .Recipients}}· gửi tới / to {{range $i, $r := .Recipients}}{{if $i}}, {{end}}{{$r}}{{end}}{{end}}</small></p>
{{if .PostIDs}}<p>Bài đã cảnh báo / alerted posts: {{range $i, $id := .PostIDs}}{{if $i}} · {{end}}<a class="post-link" href="{{postPath $id}}">{{$id}}</a>{{end}}</p>{{end}}
{{if .SearchPath}}<p><a href="{{.SearchPath}}">Xem tìm kiếm của luật / open the rule's search</a></p>{{end}}
</article>{{end}}</main></body></html>`))

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
	out.Alerts = redactRecipients(out.Alerts, roleOf(r))
	writeJSON(w, http.StatusOK, out)
}

// redactRecipients hides the alert recipients' addresses from everyone but admins (they
// are personal data and part of the rules admins manage). The history is shared with
// alerting, so redacted entries are copies.
func redactRecipients(list []*alerting.Notification, role Role) []*alerting.Notification {
	if role >= RoleAdmin {
		return list
	}
	out := make([]*alerting.Notification, len(list))
	for i, n := range list {
		c := *n
		c.Recipients = []string{}
		out[i] = &c
	}
	return out
}
