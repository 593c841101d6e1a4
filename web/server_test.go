package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func TestParseQuery(t *testing.T) {
	cases := []struct {
		raw   string
		check func(store.Query) bool
		err   string
	}{
		{"q=lu+lut", func(q store.Query) bool {
			return q.Text == "lu lut" && q.Limit == store.DefaultLimit && q.Sort == store.SortNewest
		}, ""},
		{"narrative=scam,disaster&narrative=health_misinfo", func(q store.Query) bool { return len(q.Narratives) == 3 }, ""},
		{"flagged=true", func(q store.Query) bool { return q.Flagged != nil && *q.Flagged }, ""},
		{"from=7d", func(q store.Query) bool { return q.From.Equal(now.Add(-7 * 24 * time.Hour)) }, ""},
		{"from=2026-11-01&to=2026-11-02T00:00:00Z", func(q store.Query) bool { return q.From.Day() == 1 && q.To.Day() == 2 }, ""},
		{"interval=1h", func(q store.Query) bool { return q.Interval == time.Hour }, ""},
		{"interval=none", func(q store.Query) bool { return q.Interval < 0 }, ""},
		{"limit=10000", func(q store.Query) bool { return q.Limit == store.MaxLimit }, ""},
		{"limit=100000", nil, "limit"},
		{"flagged=maybe", nil, "flagged"},
		{"from=last+tuesday", nil, "from"},
		{"limit=-1", nil, "limit"},
		{"interval=5s", nil, "interval"},
		{"sort=random", nil, "sort"},
		{"from=2026-11-02&to=2026-11-01", nil, "must be after"},
	}
	for _, c := range cases {
		v, _ := url.ParseQuery(c.raw)
		q, err := ParseQuery(v, now)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, store.ErrBadQuery) {
				t.Errorf("%s: err = %v, want ErrBadQuery naming %q", c.raw, err, c.err)
			}
			continue
		}
		if err != nil || !c.check(q) {
			t.Errorf("%s: got %+v, %v", c.raw, q, err)
		}
	}
}

func newTestServer(t *testing.T, checks ...Check) *httptest.Server {
	t.Helper()
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hostile := &post.Post{Schema: 1, ID: "forum:x:1", Platform: "forum", Source: "x", Text: `<script>alert(1)</script> lũ lụt`,
		PublishedAt: now.Add(-time.Hour), FetchedAt: now}
	if err := st.Index(context.Background(), []*post.Post{hostile}); err != nil {
		t.Fatal(err)
	}
	_ = st.Refresh(context.Background())
	srv := httptest.NewServer(New(st, WithChecks(checks...), WithClock(func() time.Time { return now })).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func TestSearchEndpoint(t *testing.T) {
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/api/search?q=lu+lut")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "<script>") {
		t.Error("crawled markup must be escaped in JSON (\\u003c), not sent raw")
	}
	var res store.Result
	if err := json.Unmarshal(body, &res); err != nil || res.Total != 1 || len(res.Hits[0].Highlights) == 0 {
		t.Errorf("want one hit with highlights, got %s (%v)", body, err)
	}

	resp, err = http.Get(srv.URL + "/api/search?flagged=perhaps")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "flagged") {
		t.Errorf("bad parameter: status %d body %s, want 400 naming the parameter", resp.StatusCode, body)
	}
}

func TestUIHeadersForbidInlineScript(t *testing.T) {
	srv := newTestServer(t)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q must forbid inline script", csp)
	}
	if !strings.Contains(string(body), "Lắng Nghe") || !strings.Contains(string(body), `lang="vi"`) {
		t.Error("the UI page is not the Vietnamese search page")
	}
	js, err := uiFiles.ReadFile("ui/app.js")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "innerHTML") || strings.Contains(string(js), "insertAdjacentHTML") {
		t.Error("the UI must insert crawled text with textContent only")
	}
}

func TestReadiness(t *testing.T) {
	fail := Check{Name: "kafka", Fn: func(context.Context) error { return errors.New("no broker answers") }}
	ok := Check{Name: "store", Fn: func(context.Context) error { return nil }}
	for _, c := range []struct {
		checks []Check
		code   int
	}{{[]Check{ok}, 200}, {[]Check{ok, fail}, 503}} {
		srv := newTestServer(t, c.checks...)
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("readyz = %d, want %d: %s", resp.StatusCode, c.code, body)
		}
		if c.code == 503 && !strings.Contains(string(body), "no broker answers") {
			t.Errorf("readyz must say which check failed: %s", body)
		}
	}
	// A failing soft check (one broken crawl source) is listed as degraded; still ready.
	soft := Check{Name: "sources", Fn: func(context.Context) error { return errors.New("feed-0 (cursor): damaged") }, Soft: true}
	srv := newTestServer(t, ok, soft)
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Ready    bool `json:"ready"`
		Degraded bool `json:"degraded"`
		Checks   []struct {
			Name     string `json:"name"`
			Degraded bool   `json:"degraded"`
			Error    string `json:"error"`
		} `json:"checks"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !got.Ready || !got.Degraded || len(got.Checks) != 2 ||
		!got.Checks[1].Degraded || !strings.Contains(got.Checks[1].Error, "feed-0") {
		t.Errorf("readyz with a failing soft check = %d %+v (%v), want 200, ready, degraded, naming feed-0", resp.StatusCode, got, err)
	}
	srv = newTestServer(t)
	if resp, err := http.Get(srv.URL + "/readyz"); err == nil {
		resp.Body.Close()
	}
	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `langnghe_http_requests_total{code="200",handler="readyz"} 1`) {
		t.Errorf("/metrics lacks the request counter")
	}
}
