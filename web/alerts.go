package web

import (
	"context"
	"errors"
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

// RuleStatuser is an AlertSource that also tells how its rules were last evaluated (the
// alert engine of this process); the alerts page and GET /api/alerts/rules list them. A
// history read from Elasticsearch (serve) has no rules to show.
type RuleStatuser interface {
	RuleStatus() []alerting.RuleStatus
}

// WithAlerts serves the alert history on GET /api/alerts.
func WithAlerts(src AlertSource) Option { return func(s *Server) { s.alerts = src } }

// AlertHistoryReader reads the alert history per request, newest first, where it can
// fail: `serve` reads the Elasticsearch history index the alert role writes. An error
// answers 503.
type AlertHistoryReader interface {
	ReadHistory(ctx context.Context) ([]*alerting.Notification, error)
}

// WithAlertHistory serves GET /api/alerts and /alerts from r.
func WithAlertHistory(r AlertHistoryReader) Option {
	return func(s *Server) { s.alerts = historyReaderSource{r} }
}

// historyReaderSource carries an AlertHistoryReader in the AlertSource slot; alertHistory
// calls the reader with the request's context.
type historyReaderSource struct{ r AlertHistoryReader }

func (h historyReaderSource) History() []*alerting.Notification {
	list, _ := h.r.ReadHistory(context.Background())
	return list
}

// alertHistory is the history for one request.
func (s *Server) alertHistory(ctx context.Context) ([]*alerting.Notification, error) {
	if h, ok := s.alerts.(historyReaderSource); ok {
		return h.r.ReadHistory(ctx)
	}
	return s.alerts.History(), nil
}

// historyUnavailable answers 503 when the history cannot be read.
func (s *Server) historyUnavailable(w http.ResponseWriter, err error) {
	s.log.Warn("alert history unavailable", "err", err)
	writeError(w, http.StatusServiceUnavailable, errors.New("không đọc được lịch sử cảnh báo, thử lại sau / the alert history cannot be read now, try again later"))
}

func (s *Server) alertRoutes(mux *http.ServeMux) {
	if s.alerts != nil {
		mux.HandleFunc("GET /api/alerts", s.instrument("alerts", s.alertList))
	}
	if rs, ok := s.alerts.(RuleStatuser); ok {
		mux.HandleFunc("GET /api/alerts/rules", s.instrument("alert_rules", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"rules": rs.RuleStatus()})
		}))
	}
	mux.HandleFunc("GET /alerts", s.instrument("alerts_page", s.alertPage))
}

// alertPage is the alert history and the silences as a page rendered on the server (no
// script, so the UI's Content-Security-Policy holds): the emails of the outbox mode
// appear here, and admins create and remove silences with plain forms carrying the
// CSRF token.
func (s *Server) alertPage(w http.ResponseWriter, r *http.Request) {
	s.renderAlertPage(w, r, http.StatusOK, "")
}

// alertPageData is what the alerts page shows.
type alertPageData struct {
	Alerts       []*alerting.Notification
	HasSilences  bool
	Silences     []*alerting.Silence
	Admin        bool
	CSRF         string
	Rules        []string
	RuleStatus   []alerting.RuleStatus // with the alert engine of this process
	Error        string
	SilenceError string
}

// renderAlertPage renders /alerts with code; errMsg (a refused silence form) is shown
// above the silence form.
func (s *Server) renderAlertPage(w http.ResponseWriter, r *http.Request, code int, errMsg string) {
	d := alertPageData{Admin: roleOf(r) >= RoleAdmin, CSRF: csrfFrom(r.Context()), SilenceError: errMsg, HasSilences: s.silences != nil}
	if s.alerts != nil {
		list, err := s.alertHistory(r.Context())
		if err != nil {
			s.historyUnavailable(w, err)
			return
		}
		if len(list) > 200 {
			list = list[:200]
		}
		d.Alerts = redactRecipients(list, roleOf(r))
		if rs, ok := s.alerts.(RuleStatuser); ok {
			d.RuleStatus = rs.RuleStatus()
		}
	}
	if s.silences != nil {
		list, err := s.silences.List(r.Context())
		if err != nil {
			s.log.Warn("silences", "err", err)
			d.Error = "không đọc lại được danh sách lệnh tắt; đang hiện bản cuối / the silences could not be re-read; showing the last good list"
		}
		d.Silences = list
		if s.ruleIDs != nil {
			d.Rules = s.ruleIDs()
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := alertPageTmpl.Execute(w, d); err != nil {
		s.log.Error("alerts page", "err", err)
	}
}

var alertPageTmpl = template.Must(template.New("alerts").Funcs(template.FuncMap{
	"vn":          func(t time.Time) string { return t.In(alerting.Zone).Format("15:04 02/01/2006") + " (giờ VN)" },
	"postPath":    func(id string) string { return "/posts/" + url.PathEscape(id) },
	"silencePath": func(id string) string { return "/api/silences/" + url.PathEscape(id) + "/delete" },
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lắng Nghe: cảnh báo / alerts</title><link rel="stylesheet" href="style.css"></head>
<body><header><h1>Lắng Nghe <small>cảnh báo / alerts</small></h1><nav><a href="/">Tìm kiếm / search</a> · <a href="/overview">Tổng quan / overview</a> · <a href="/queue">Hàng đợi / queue</a> · <a href="/sources">Nguồn / sources</a> · <a href="/api/alerts">JSON</a></nav></header>
<main>
{{if .HasSilences}}<section id="silences"><h2>Lệnh tắt cảnh báo / silences</h2>
{{if .Error}}<p class="error">{{.Error}}</p>{{end}}
{{if .Silences}}<table class="silences"><thead><tr><th>Luật / rule</th><th>Truy vấn / query</th><th>Hết hạn / until (giờ VN, Asia/Ho_Chi_Minh)</th><th>Ghi chú / comment</th><th>Tạo bởi / by</th>{{if .Admin}}<th></th>{{end}}</tr></thead><tbody>
{{range .Silences}}<tr class="silence" data-id="{{.ID}}{{if not .ID}}{{.File}}:{{.Line}}{{end}}"><td>{{if .Rule}}{{.Rule}}{{else}}mọi luật / every rule{{end}}</td><td>{{if .Query}}<code>{{.Query.Text}}</code>{{end}}</td>
<td class="until">{{vn .Until}}</td><td>{{.Comment}}</td><td>{{.CreatedBy}}{{if not .CreatedAt.IsZero}} · {{vn .CreatedAt}}{{end}}</td>
{{if $.Admin}}<td>{{if .ID}}<form method="post" action="{{silencePath .ID}}"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button type="submit" class="remove-silence">Bỏ / remove</button></form>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table>{{else}}<p class="no-silences">Không có lệnh tắt nào đang hiệu lực / no silence in force.</p>{{end}}
{{if .Admin}}<form method="post" action="/api/silences" class="silence-form" id="silence-form">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Luật / rule <input name="rule" list="rule-ids" size="16"></label>
<datalist id="rule-ids">{{range .Rules}}<option value="{{.}}">{{end}}</datalist>
<label>hoặc/và truy vấn / and/or query <input name="query" size="24" placeholder="source:x.vn narrative:scam"></label>
<label>trong / for <input name="for" size="6" placeholder="2h, 1d"></label>
<label>hoặc đến / or until (giờ VN, Asia/Ho_Chi_Minh) <input type="datetime-local" name="until"></label>
<label>Ghi chú / comment <input name="comment" size="20"></label>
<button type="submit">Tắt cảnh báo / silence</button></form>
{{if .SilenceError}}<p class="error" id="silence-error">{{.SilenceError}}</p>{{end}}{{end}}
</section>{{end}}
{{if .RuleStatus}}<section id="rules"><h2>Luật cảnh báo / alert rules</h2>
<table class="rules"><thead><tr><th>Luật / rule</th><th>Loại / kind</th><th>Mức / severity</th><th>Đánh giá lần cuối / last evaluated</th><th>Lỗi / error</th><th>Cảnh báo lần cuối / last fired</th></tr></thead><tbody>
{{range .RuleStatus}}<tr class="rule" data-id="{{.ID}}"><td><b>{{.ID}}</b> {{.Name}}</td><td>{{.Kind}}</td><td>{{.Severity}}</td>
<td>{{if .LastEvaluated.IsZero}}chưa, từ khi khởi động / not since start{{else}}{{vn .LastEvaluated}}{{end}}</td><td>{{.LastError}}</td>
<td>{{if .LastFired.IsZero}}chưa / never{{else}}{{vn .LastFired}}{{end}}</td></tr>
{{end}}</tbody></table></section>{{end}}
<h2>Cảnh báo đã gửi / alert history</h2>
{{if not .Alerts}}<p>Chưa có cảnh báo nào / no alerts yet.</p>{{end}}
{{range .Alerts}}<article class="alert">
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
	list, err := s.alertHistory(r.Context())
	if err != nil {
		s.historyUnavailable(w, err)
		return
	}
	for _, n := range list {
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
