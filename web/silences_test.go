package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/internal/clocktest"
)

// silenceServer serves the alerts page and the silences API behind logins (viewer xem,
// analyst lan, admin minh) over a SilenceFile on a settable clock.
func silenceServer(t *testing.T) (*httptest.Server, *clocktest.Clock, string) {
	t.Helper()
	clk := clocktest.New(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "alerts", "silences.json")
	sf, err := alerting.OpenSilenceFile(path, alerting.WithSilenceClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuth(WithUsers(testUser(t, "lan", RoleAnalyst, testPassword), testUser(t, "minh", RoleAdmin, testPassword), testUser(t, "xem", RoleViewer, testPassword)))
	srv := httptest.NewServer(a.Wrap(New(nil, WithClock(clk.Now), WithAlerts(fakeHistory{}),
		WithSilences(sf, func() []string { return []string{"lua-dao", "lu-lut"} })).Handler()))
	t.Cleanup(srv.Close)
	return srv, clk, path
}

// do sends a same-origin request with the token (if any) and returns status and body.
func do(t *testing.T, c *http.Client, method, u, token, ctype, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("X-CSRF-Token", token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func listSilences(t *testing.T, c *http.Client, base string) []alerting.Silence {
	t.Helper()
	code, body := do(t, c, "GET", base+"/api/silences", "", "", "")
	var out struct{ Silences []alerting.Silence }
	if code != 200 || json.Unmarshal([]byte(body), &out) != nil {
		t.Fatalf("GET /api/silences: %d %s", code, body)
	}
	return out.Silences
}

// TestSilencesAPI: admins create silences (JSON or the page's form; until as a duration
// or a Vietnam-time datetime-local), everyone lists them, admins remove them; viewers and
// analysts are refused, a request without the CSRF token is refused, bad input is 400,
// and an expired silence disappears.
func TestSilencesAPI(t *testing.T) {
	srv, clk, path := silenceServer(t)
	session := func(user string) (*http.Client, string) {
		c := client(t)
		login(t, c, srv.URL, user, testPassword)
		_, m := me(t, c, srv.URL)
		return c, m["csrf"].(string)
	}
	admin, tok := session("minh")
	const js = "application/json"
	for _, user := range []string{"xem", "lan"} {
		c, ut := session(user)
		if code, body := do(t, c, "POST", srv.URL+"/api/silences", ut, js, `{"rule":"lua-dao","for":"2h"}`); code != http.StatusForbidden {
			t.Errorf("%s creating a silence: %d %s, want 403", user, code, body)
		}
	}
	if code, _ := do(t, admin, "POST", srv.URL+"/api/silences", "", js, `{"rule":"lua-dao","for":"2h"}`); code != http.StatusForbidden {
		t.Errorf("admin without CSRF token: %d, want 403", code)
	}
	if n := len(listSilences(t, admin, srv.URL)); n != 0 {
		t.Fatalf("refused requests created %d silences", n)
	}
	for _, bad := range []string{`{"for":"2h"}`, `{"rule":"khong-co","for":"2h"}`, `{"rule":"lua-dao"}`, `{"rule":"lua-dao","for":"-1h"}`,
		`{"rule":"lua-dao","until":"2026-11-30T10:00"}`, `{"rule":"lua-dao","for":"400d"}`, `{"query":"\"unclosed","for":"1h"}`, `{"rule":"lua-dao","for":"1h","x":1}`} {
		if code, body := do(t, admin, "POST", srv.URL+"/api/silences", tok, js, bad); code != http.StatusBadRequest {
			t.Errorf("POST %s: %d %s, want 400", bad, code, body)
		}
	}
	code, body := do(t, admin, "POST", srv.URL+"/api/silences", tok, js, `{"rule":"lua-dao","for":"2h","comment":"<b>đang xử lý</b>"}`)
	var byRule alerting.Silence
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &byRule) != nil || !byRule.Until.Equal(clk.Now().Add(2*time.Hour)) || byRule.CreatedBy != "minh" {
		t.Fatalf("create: %d %s", code, body)
	}
	// The page's form: a query silence until 18:00 Vietnam time (11:00 UTC).
	form := url.Values{"query": {"source:noisy.vn"}, "until": {"2026-12-01T18:00"}, "csrf": {tok}}.Encode()
	if code, _ := do(t, admin, "POST", srv.URL+"/api/silences", "", "application/x-www-form-urlencoded", form); code != http.StatusSeeOther {
		t.Fatalf("form create: %d, want 303 back to the page", code)
	}
	list := listSilences(t, admin, srv.URL)
	if len(list) != 2 || list[0].ID != byRule.ID || list[1].Query == nil || list[1].Query.Text != "source:noisy.vn" ||
		!list[1].Until.Equal(time.Date(2026, 12, 1, 11, 0, 0, 0, time.UTC)) {
		t.Fatalf("list (soonest expiry first): %+v", list)
	}
	// The page shows both with their expiry in Vietnam time, escaped, with remove forms
	// for the admin only.
	_, page := do(t, admin, "GET", srv.URL+"/alerts", "", "", "")
	if !strings.Contains(page, "12:00 01/12/2026 (giờ VN)") || !strings.Contains(page, "18:00 01/12/2026 (giờ VN)") ||
		strings.Contains(page, "<b>đang xử lý") || strings.Count(page, `class="remove-silence"`) != 2 || !strings.Contains(page, `name="csrf" value="`+tok+`"`) {
		t.Errorf("admin page:\n%s", page)
	}
	viewer, vt := session("xem")
	if _, vpage := do(t, viewer, "GET", srv.URL+"/alerts", "", "", ""); !strings.Contains(vpage, "source:noisy.vn") || strings.Contains(vpage, "remove-silence") || strings.Contains(vpage, "silence-form") {
		t.Errorf("viewer page shows admin controls or misses silences:\n%s", vpage)
	}
	if code, _ := do(t, viewer, "DELETE", srv.URL+"/api/silences/"+byRule.ID, vt, "", ""); code != http.StatusForbidden {
		t.Errorf("viewer removing: %d, want 403", code)
	}
	if code, _ := do(t, admin, "DELETE", srv.URL+"/api/silences/"+byRule.ID, "", "", ""); code != http.StatusForbidden {
		t.Errorf("removing without CSRF token: %d, want 403", code)
	}
	if code, _ := do(t, admin, "DELETE", srv.URL+"/api/silences/"+byRule.ID, tok, "", ""); code != http.StatusNoContent {
		t.Errorf("remove: %d, want 204", code)
	}
	if code, _ := do(t, admin, "DELETE", srv.URL+"/api/silences/"+byRule.ID, tok, "", ""); code != http.StatusNotFound {
		t.Errorf("remove twice: %d, want 404", code)
	}
	if list := listSilences(t, admin, srv.URL); len(list) != 1 {
		t.Fatalf("after removal: %+v", list)
	}
	// Another handle on the file (a restarted process) sees the same silence.
	other, err := alerting.OpenSilenceFile(path, alerting.WithSilenceClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := other.List(t.Context()); len(l) != 1 || l[0].Query.Text != "source:noisy.vn" {
		t.Errorf("reopened file: %+v", l)
	}
	// Past 18:00 Vietnam time the query silence has expired: gone from API and page.
	clk.Add(8*time.Hour + time.Second)
	if list := listSilences(t, admin, srv.URL); len(list) != 0 {
		t.Errorf("expired silence still listed: %+v", list)
	}
	if _, page := do(t, admin, "GET", srv.URL+"/alerts", "", "", ""); strings.Contains(page, "noisy.vn") || !strings.Contains(page, "no-silences") {
		t.Errorf("expired silence still on the page")
	}
}
