package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/post"
	blevestore "github.com/langnghe/langnghe/store/bleve"
)

// recorder is a Notifier that keeps every notification it is given.
type recorder struct {
	mu sync.Mutex
	ns []*alerting.Notification
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Notify(_ context.Context, n *alerting.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ns = append(r.ns, n)
	return nil
}

const linkRules = `
rules:
  - id: khop
    kind: match
    query: 'chuyen khoan narrative:scam'
    recipients: [a@example.test]
    group_wait: 30s
    group_window: 5m
  - id: nguong
    kind: threshold
    query: 'narrative:disaster'
    window: 1h
    count: 5
    every: 1m
    recipients: [a@example.test]
  - id: dot-bien
    kind: spike
    query: 'narrative:scam'
    window: 1h
    every: 10m
    baseline_windows: 12
    k: 3
    min_count: 10
    recipients: [a@example.test]
  - id: tom-tat
    kind: digest
    at: "07:00"
    lookback: 24h
    query: 'narrative:disaster OR narrative:scam'
    recipients: [a@example.test]
`

func linkPost(id, narrative, text string, published time.Time) *post.Post {
	return &post.Post{Schema: 1, ID: "forum:links.test:" + id, Platform: "forum", Source: "links.test",
		URL: "https://links.test/t/" + id, Text: text, PublishedAt: published, FetchedAt: published,
		Analysis: &post.Analysis{Model: "test", Sentiment: post.Label{Label: "negative", Score: -0.5},
			Toxicity: post.Label{Label: "clean"}, Narratives: []post.Narrative{{ID: narrative, Score: 0.8}}}}
}

// TestAlertLinksSelectTheAlertedPosts: for every rule kind, the link an alert carries
// (SearchPath, the same query as the email's web link), run through /api/search, selects
// exactly the posts the alert reports: a match alert's posts by id, although they were
// published days before it fired (a window on the evaluation time selected none of
// them); a threshold, spike or digest alert's counted posts by its window on published_at.
func TestAlertLinksSelectTheAlertedPosts(t *testing.T) {
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 19, 23, 0, 0, 0, time.UTC) // 06:00 in Vietnam, before the digest
	clk := now
	var posts []*post.Post
	// Match: scam posts published three days ago, crawled late; a look-alike that does not match.
	var matched []*post.Post
	for i := range 7 {
		p := linkPost(fmt.Sprintf("m%d", i), "scam", "chuyển khoản trước rồi mới giao hàng", now.Add(-72*time.Hour-time.Duration(i)*time.Minute))
		matched = append(matched, p)
	}
	posts = append(posts, matched...)
	posts = append(posts, linkPost("m-other", "scam", "lừa đảo qua điện thoại", now.Add(-72*time.Hour)))
	// Threshold: 6 disaster posts in the last hour, 3 older ones.
	for i := range 6 {
		posts = append(posts, linkPost(fmt.Sprintf("d%d", i), "disaster", "lũ lụt miền Trung", now.Add(-time.Duration(i+1)*time.Minute)))
	}
	for i := range 3 {
		posts = append(posts, linkPost(fmt.Sprintf("dold%d", i), "disaster", "lũ lụt năm ngoái", now.Add(-3*time.Hour)))
	}
	// Spike: 2 scam posts an hour for 12 hours, then 25 in the last hour.
	for h := 1; h <= 12; h++ {
		for j := range 2 {
			posts = append(posts, linkPost(fmt.Sprintf("s%d-%d", h, j), "scam", "lừa đảo", now.Add(-time.Duration(h)*time.Hour-time.Duration(j+1)*time.Minute)))
		}
	}
	for j := range 25 {
		posts = append(posts, linkPost(fmt.Sprintf("sb%d", j), "scam", "lừa đảo", now.Add(-time.Duration(j+1)*time.Second)))
	}
	if err := st.Index(context.Background(), posts); err != nil {
		t.Fatal(err)
	}
	if err := st.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(linkRules), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, errs := alerting.LoadFiles(path)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rec := &recorder{}
	e, err := alerting.NewEngine(rules, filepath.Join(t.TempDir(), "state.json"), rec,
		alerting.WithStore(st), alerting.WithClock(func() time.Time { return clk }),
		alerting.WithLinks(alerting.Links{WebURL: "http://ui.test"}))
	if err != nil {
		t.Fatal(err)
	}
	step := func(d time.Duration) {
		t.Helper()
		clk = clk.Add(d)
		if err := e.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := e.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Observe(posts); err != nil {
		t.Fatal(err)
	}
	step(time.Minute)
	step(time.Minute)
	clk = time.Date(2026, 11, 20, 0, 0, 30, 0, time.UTC) // 07:00:30 in Vietnam: the digest
	step(0)

	srv := alertSearchServer(t, st, clk)
	byRule := map[string]*alerting.Notification{}
	for _, n := range rec.ns {
		byRule[n.RuleID] = n
	}
	for _, id := range []string{"khop", "nguong", "dot-bien", "tom-tat"} {
		n := byRule[id]
		if n == nil {
			t.Errorf("rule %s did not fire (fired: %v)", id, keys(byRule))
			continue
		}
		u, err := url.Parse(n.SearchPath)
		if err != nil {
			t.Fatal(err)
		}
		v := u.Query()
		v.Set("limit", "200")
		var res struct {
			Total int `json:"total"`
			Hits  []struct {
				Post struct {
					ID string `json:"id"`
				} `json:"post"`
			} `json:"hits"`
		}
		if code := getJSON(t, srv+"/api/search?"+v.Encode(), &res); code != 200 {
			t.Fatalf("%s: %s answered %d", id, n.SearchPath, code)
		}
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.Post.ID)
		}
		slices.Sort(got)
		if res.Total != n.Count {
			t.Errorf("%s (%s): link %s selects %d posts, the alert reports %d", id, n.Kind, n.SearchPath, res.Total, n.Count)
		}
		for _, pid := range n.PostIDs {
			if !slices.Contains(got, pid) {
				t.Errorf("%s: alerted post %s is not selected by %s", id, pid, n.SearchPath)
			}
		}
		if n.Kind == alerting.KindMatch {
			want := make([]string, 0, len(matched))
			for _, p := range matched {
				want = append(want, p.ID)
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("match link selects %v, want exactly %v", got, want)
			}
			if !strings.Contains(n.Text, "ids=") {
				t.Errorf("match email's web link does not name the posts:\n%s", n.Text)
			}
		}
	}
}

func keys(m map[string]*alerting.Notification) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func alertSearchServer(t *testing.T, st *blevestore.Store, now time.Time) string {
	t.Helper()
	srv := httptest.NewServer(New(st, WithClock(func() time.Time { return now })).Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}
