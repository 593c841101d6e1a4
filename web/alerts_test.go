package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/alerting"
)

type fakeHistory []*alerting.Notification

func (f fakeHistory) History() []*alerting.Notification { return f }

func TestAlertsAPI(t *testing.T) {
	h := fakeHistory{
		{ID: "a/3", RuleID: "lua-dao", Severity: "high", Status: alerting.StatusQueued, Subject: "Lừa đảo chuyển khoản: 3 bài"},
		{ID: "b/2", RuleID: "lu-lut", Severity: "critical", Status: alerting.StatusSent, Subject: "Lũ lụt miền Trung: 50 bài"},
		{ID: "a/1", RuleID: "lua-dao", Severity: "high", Status: alerting.StatusSent, Subject: "<script>x</script> lừa đảo"},
	}
	srv := httptest.NewServer(New(nil, WithAlerts(h)).Handler())
	defer srv.Close()
	for _, c := range []struct {
		query string
		code  int
		ids   []string
	}{
		{"", 200, []string{"a/3", "b/2", "a/1"}},
		{"?rule=lua-dao", 200, []string{"a/3", "a/1"}},
		{"?status=sent&limit=1", 200, []string{"b/2"}},
		{"?q=lu+lut", 200, []string{"b/2"}},
		{"?q=LỪA+đảo&offset=1", 200, []string{"a/1"}},
		{"?limit=x", 400, nil},
	} {
		resp, err := http.Get(srv.URL + "/api/alerts" + c.query)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Total  int                      `json:"total"`
			Alerts []*alerting.Notification `json:"alerts"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s: status %d, want %d", c.query, resp.StatusCode, c.code)
			continue
		}
		var ids []string
		for _, a := range body.Alerts {
			ids = append(ids, a.ID)
		}
		if c.code == 200 && len(ids) != len(c.ids) {
			t.Errorf("%s: ids %v, want %v", c.query, ids, c.ids)
			continue
		}
		for i := range c.ids {
			if ids[i] != c.ids[i] {
				t.Errorf("%s: ids %v, want %v", c.query, ids, c.ids)
				break
			}
		}
	}
}

func TestAlertsPageEscapes(t *testing.T) {
	h := fakeHistory{{ID: "a/1", RuleID: "lua-dao", Severity: "high", Status: alerting.StatusSent, Via: "outbox",
		Subject: `<script>alert(1)</script> lừa đảo`, SearchPath: "/?narrative=scam", Recipients: []string{"a@example.vn"}}}
	rec := httptest.NewRecorder()
	New(nil, WithAlerts(h)).Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/alerts", nil))
	body := rec.Body.String()
	if rec.Code != 200 || strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") ||
		!strings.Contains(body, `href="/?narrative=scam"`) || !strings.Contains(body, "qua / via outbox") {
		t.Fatalf("status %d body:\n%s", rec.Code, body)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}
