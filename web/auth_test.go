package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/langnghe/langnghe/alerting"
)

// testUser builds a user with a cheap hash (bcrypt.MinCost keeps the tests fast).
func testUser(t *testing.T, name string, role Role, pw string) User {
	t.Helper()
	line, err := UserLine(name, role, []byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ParseUser(line)
	if err != nil {
		t.Fatalf("ParseUser(%q): %v", line, err)
	}
	return u
}

const testPassword = "mật-khẩu-dài-đủ"

func authServer(t *testing.T, opts ...AuthOption) *httptest.Server {
	t.Helper()
	h := fakeHistory{{ID: "a/1", RuleID: "lua-dao", Status: alerting.StatusSent, Subject: "x", Recipients: []string{"truc-ban@example.vn"}, PostIDs: []string{"rss:demo:1"}}}
	a := NewAuth(append([]AuthOption{WithUsers(testUser(t, "lan", RoleAnalyst, testPassword), testUser(t, "minh", RoleAdmin, testPassword), testUser(t, "xem", RoleViewer, testPassword))}, opts...)...)
	srv := httptest.NewServer(a.Wrap(New(nil, WithAlerts(h)).Handler()))
	t.Cleanup(srv.Close)
	return srv
}

// client keeps cookies and does not follow redirects, so the tests see each answer.
func client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func login(t *testing.T, c *http.Client, base, user, pw string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"user": {user}, "password": {pw}, "next": {"/alerts"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func me(t *testing.T, c *http.Client, base string) (int, map[string]any) {
	t.Helper()
	resp, err := c.Get(base + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestAuthRequiresLogin(t *testing.T) {
	srv := authServer(t)
	c := client(t)
	resp, _ := c.Get(srv.URL + "/alerts?x=1")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Falerts%3Fx%3D1" {
		t.Fatalf("page without login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{"/api/alerts", "/api/me"} {
		if resp, _ := c.Get(srv.URL + p); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without login: %d, want 401", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/healthz", "/login", "/metrics"} {
		if resp, _ := c.Get(srv.URL + p); resp.StatusCode != http.StatusOK {
			t.Errorf("%s is public: %d", p, resp.StatusCode)
		}
	}
	if resp := login(t, c, srv.URL, "lan", "sai-mat-khau-roi"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp := login(t, c, srv.URL, "khong-co", testPassword); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown user: %d", resp.StatusCode)
	}
	resp = login(t, c, srv.URL, "lan", testPassword)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alerts" {
		t.Fatalf("login: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := resp.Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain http", ck)
	}
	code, m := me(t, c, srv.URL)
	if code != 200 || m["name"] != "lan" || m["role"] != "analyst" || m["csrf"] == "" {
		t.Fatalf("/api/me: %d %v", code, m)
	}
	if resp, _ := c.Get(srv.URL + "/api/alerts"); resp.StatusCode != 200 {
		t.Fatalf("api after login: %d", resp.StatusCode)
	}
}

func TestAuthSecureCookieOverTLS(t *testing.T) {
	a := NewAuth(WithUsers(testUser(t, "lan", RoleAnalyst, testPassword)))
	srv := httptest.NewTLSServer(a.Wrap(New(nil).Handler()))
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp := login(t, c, srv.URL, "lan", testPassword)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure {
		t.Fatalf("login over TLS: %d cookies %+v, want one Secure cookie", resp.StatusCode, resp.Cookies())
	}
}

func TestAuthCSRF(t *testing.T) {
	srv := authServer(t)
	c := client(t)
	login(t, c, srv.URL, "lan", testPassword)
	_, m := me(t, c, srv.URL)
	token := m["csrf"].(string)
	logout := func(origin, site, tok string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/logout", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		if tok != "" {
			req.Header.Set("X-CSRF-Token", tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := logout("http://evil.example", "cross-site", token); code != http.StatusForbidden {
		t.Errorf("cross-site POST with a stolen token: %d, want 403", code)
	}
	if code := logout("", "", ""); code != http.StatusForbidden {
		t.Errorf("POST without token: %d, want 403", code)
	}
	if code := logout(srv.URL, "same-origin", "x"+token); code != http.StatusForbidden {
		t.Errorf("POST with a wrong token: %d, want 403", code)
	}
	if code, _ := me(t, c, srv.URL); code != 200 {
		t.Fatalf("session ended by a refused request: %d", code)
	}
	if code := logout(srv.URL, "same-origin", token); code != http.StatusSeeOther {
		t.Fatalf("logout with token: %d, want 303", code)
	}
	if code, _ := me(t, c, srv.URL); code != http.StatusUnauthorized {
		t.Fatalf("after logout: %d, want 401", code)
	}
	// The login form is refused cross-origin too (login CSRF).
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("user=lan&password="+url.QueryEscape(testPassword)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	if resp, _ := c.Do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin login: %d, want 403", resp.StatusCode)
	}
}

func TestAuthLoginRateLimit(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	srv := authServer(t, WithLoginLimit(3, time.Minute), WithAuthClock(func() time.Time { return now }))
	c := client(t)
	for i := 0; i < 3; i++ {
		if resp := login(t, c, srv.URL, "lan", "sai-mat-khau-roi"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	if resp := login(t, c, srv.URL, "lan", testPassword); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("right password after 3 failures: %d, want 429 with Retry-After", resp.StatusCode)
	}
	now = now.Add(time.Minute)
	if resp := login(t, c, srv.URL, "lan", testPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want 303", resp.StatusCode)
	}
}

func TestAuthSessionExpires(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	srv := authServer(t, WithSessionTTL(time.Hour), WithAuthClock(func() time.Time { return now }))
	c := client(t)
	login(t, c, srv.URL, "lan", testPassword)
	if code, _ := me(t, c, srv.URL); code != 200 {
		t.Fatal(code)
	}
	now = now.Add(time.Hour)
	if code, _ := me(t, c, srv.URL); code != http.StatusUnauthorized {
		t.Fatalf("expired session: %d, want 401", code)
	}
}

func TestAuthProxyHeader(t *testing.T) {
	for _, c := range []struct {
		name   string
		from   string
		user   string
		code   int
		role   string
		method string
	}{
		{"trusted proxy, listed user", "127.0.0.0/8", "minh", 200, "admin", "proxy"},
		{"trusted proxy, unlisted user", "127.0.0.0/8", "hoa", 200, "viewer", "proxy"},
		{"untrusted peer", "10.0.0.0/8", "minh", 401, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := authServer(t, WithProxyHeader("X-Forwarded-User", []netip.Prefix{netip.MustParsePrefix(c.from)}, RoleViewer))
			req, _ := http.NewRequest("GET", srv.URL+"/api/me", nil)
			req.Header.Set("X-Forwarded-User", c.user)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var m map[string]any
			json.NewDecoder(resp.Body).Decode(&m)
			if resp.StatusCode != c.code || (c.code == 200 && (m["role"] != c.role || m["method"] != c.method || m["name"] != c.user)) {
				t.Fatalf("%d %v", resp.StatusCode, m)
			}
		})
	}
}

func TestAlertRecipientsOnlyForAdmins(t *testing.T) {
	srv := authServer(t)
	for _, c := range []struct {
		user string
		want bool
	}{{"xem", false}, {"lan", false}, {"minh", true}} {
		cl := client(t)
		login(t, cl, srv.URL, c.user, testPassword)
		for _, p := range []string{"/api/alerts", "/alerts"} {
			resp, err := cl.Get(srv.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d", c.user, p, resp.StatusCode)
			}
			if got := strings.Contains(string(body), "truc-ban@example.vn"); got != c.want {
				t.Errorf("%s %s shows the recipient: %v, want %v", c.user, p, got, c.want)
			}
			if p == "/alerts" && !strings.Contains(string(body), `href="/posts/rss:demo:1"`) {
				t.Errorf("%s: alerts page does not link the alerted post:\n%s", c.user, body)
			}
		}
	}
}

func TestAuthOpenWhenNoUsers(t *testing.T) {
	srv := httptest.NewServer(NewAuth().Wrap(New(nil).Handler()))
	defer srv.Close()
	code, m := me(t, http.DefaultClient, srv.URL)
	if code != 200 || m["method"] != "local" || m["auth"] != false {
		t.Fatalf("%d %v", code, m)
	}
	// Still no cross-site writes on the open demo.
	req, _ := http.NewRequest("POST", srv.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("X-CSRF-Token", m["csrf"].(string))
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST on the open listener: %d", resp.StatusCode)
	}
}

func TestParseUser(t *testing.T) {
	for _, bad := range []string{"", "lan", "lan:analyst", "lan:boss:$2a$04$x", "lan:analyst:plaintext", "l n:viewer:-", "<x>:viewer:-"} {
		if _, err := ParseUser(bad); err == nil {
			t.Errorf("ParseUser(%q) accepted", bad)
		}
	}
	if u, err := ParseUser("proxy-only:admin:-"); err != nil || u.Role != RoleAdmin || len(u.hash) != 0 {
		t.Errorf("proxy-only user: %+v %v", u, err)
	}
	if _, err := UserLine("lan", RoleViewer, []byte("ngắn"), bcrypt.MinCost); err == nil {
		t.Error("short password accepted")
	}
	line, err := UserLine("lan", RoleViewer, []byte(testPassword), bcrypt.MinCost)
	if err != nil || !strings.HasPrefix(line, "lan:viewer:$2") || strings.Contains(line, testPassword) {
		t.Fatalf("UserLine: %q %v", line, err)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/alerts": "/alerts", "": "/", "//evil.example": "/", "https://evil.example": "/", "/\\evil": "/", "/x\r\nSet-Cookie:a": "/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
