package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/store/storetest"
)

// exportServer serves the fixtures plus posts behind a trusted proxy header, so a test
// picks its user and role with X-User (viewer by default, lan an analyst).
func exportServer(t *testing.T, extra []*post.Post, opts ...Option) (*httptest.Server, store.Store) {
	t.Helper()
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Index(context.Background(), append(storetest.Fixtures(), extra...)); err != nil {
		t.Fatal(err)
	}
	st.Refresh(context.Background())
	clock := func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	auth := NewAuth(WithUsers(User{Name: "lan", Role: RoleAnalyst}), WithProxyHeader("X-User", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}, RoleViewer))
	srv := httptest.NewServer(auth.Wrap(New(st, append([]Option{WithClock(clock)}, opts...)...).Handler()))
	t.Cleanup(srv.Close)
	return srv, st
}

func get(t *testing.T, u, user string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("X-User", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// hostilePost's cells would run as formulas in a spreadsheet if exported as they are.
func hostilePost() *post.Post {
	p := storetest.Fixtures()[0]
	p.ID, p.Title, p.Text = "forum:csv:1", "=HYPERLINK(\"http://evil.test\",\"bấm\")", "@SUM(1+1) lũ lụt\nhai dòng, \"trích\""
	p.Source, p.Author = "+nguon", post.Author{ID: "-a1b2c3"}
	p.PublishedAt = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	return p
}

func TestExportCSV(t *testing.T) {
	srv, _ := exportServer(t, []*post.Post{hostilePost()})
	if resp, _ := get(t, srv.URL+"/api/export?format=csv", "khach"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer export: %d, want 403", resp.StatusCode)
	}
	resp, body := get(t, srv.URL+"/api/export?format=csv", "lan")
	if resp.StatusCode != 200 {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="langnghe-20261201-0700.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	if !slices.Equal(rows[0], exportColumns) {
		t.Errorf("header %v", rows[0])
	}
	want := len(storetest.Fixtures()) + 1
	if len(rows)-1 != want || resp.Header.Get("X-Export-Total") != "32" || resp.Header.Get("X-Export-Truncated") != "false" {
		t.Fatalf("%d rows, headers total %s truncated %s; want %d, not truncated", len(rows)-1, resp.Header.Get("X-Export-Total"), resp.Header.Get("X-Export-Truncated"), want)
	}
	first := map[string]string{}
	for i, c := range rows[0] {
		first[c] = rows[1][i]
	}
	if first["id"] != "forum:csv:1" {
		t.Fatalf("first row %v, want the newest post", first)
	}
	for col, v := range map[string]string{"title": `'=HYPERLINK("http://evil.test","bấm")`, "text": "'@SUM(1+1) lũ lụt\nhai dòng, \"trích\"",
		"source": "'+nguon", "author_id": "'-a1b2c3", "sentiment_score": "-0.71", "narratives": "flood", "published_at": "2026-11-30T12:00:00Z"} {
		if first[col] != v {
			t.Errorf("%s = %q, want %q", col, first[col], v)
		}
	}
}

func TestExportJSONLFiltersAndCap(t *testing.T) {
	srv, st := exportServer(t, nil, WithExportMax(5))
	q := url.Values{"q": {"narrative:flood -quang"}, "format": {"jsonl"}}
	resp, body := get(t, srv.URL+"/api/export?"+q.Encode(), "lan")
	if resp.StatusCode != 200 || resp.Header.Get("X-Export-Truncated") != "true" {
		t.Fatalf("export: %d truncated=%s %s", resp.StatusCode, resp.Header.Get("X-Export-Truncated"), body)
	}
	res, err := st.Search(context.Background(), store.Query{Text: "narrative:flood -quang", Limit: 100, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var end map[string]any
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if e, ok := row["_end"]; ok {
			end = e.(map[string]any)
			continue
		}
		if a, ok := row["author"]; ok {
			t.Errorf("row carries an author object %v", a)
		}
		ids = append(ids, row["id"].(string))
	}
	if want := hitIDs(res)[:5]; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want the 5 newest matches %v", ids, want)
	}
	if end == nil || end["complete"] != false || !strings.Contains(end["message"].(string), "cut at 5 rows of "+resp.Header.Get("X-Export-Total")) {
		t.Errorf("closing line %v, want the cut explained", end)
	}
	if resp, body := get(t, srv.URL+"/api/export?format=xml", "lan"); resp.StatusCode != 400 {
		t.Errorf("format=xml: %d %s", resp.StatusCode, body)
	}
	if resp, body := get(t, srv.URL+"/api/export?q=lu+(lut", "lan"); resp.StatusCode != 400 || !strings.Contains(string(body), `"position"`) {
		t.Errorf("syntax error: %d %s", resp.StatusCode, body)
	}
}

func hitIDs(res *store.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Post.ID)
	}
	return out
}

// TestExportBeyondSearchCap exports more posts than a search can page through (10,000).
func TestExportBeyondSearchCap(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes 10,200 posts")
	}
	srv, _ := exportServer(t, storetest.Generate(10200, 7))
	start := time.Now()
	resp, body := get(t, srv.URL+"/api/export?format=jsonl", "lan")
	lines := strings.Count(string(body), "\n")
	t.Logf("exported %d posts as JSON Lines in %v (%d bytes)", lines, time.Since(start), len(body))
	if resp.StatusCode != 200 || lines != 10200+len(storetest.Fixtures()) {
		t.Fatalf("export: %d, %d lines, want %d", resp.StatusCode, lines, 10200+len(storetest.Fixtures()))
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		var r exportRow
		if err := json.Unmarshal([]byte(l), &r); err != nil || seen[r.ID] {
			t.Fatalf("line %q: err %v, duplicate %v", l, err, seen[r.ID])
		}
		seen[r.ID] = true
	}
}
