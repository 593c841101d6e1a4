package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/post"
)

// getSource fetches one URL with a Fetcher and emits one post when it succeeds.
type getSource struct {
	name, url string
	f         *Fetcher
}

func (s *getSource) Name() string { return s.name }
func (s *getSource) Fetch(ctx context.Context, cur Cursor, emit Emit) (Cursor, error) {
	if _, err := s.f.Get(ctx, s.url, "", nil); err != nil {
		return cur, err
	}
	tr := NewTracker(cur, 0)
	id := post.MakeID("web", "test", s.name)
	if tr.New(id, time.Now()) {
		if err := emit(&post.Post{ID: id, Platform: "web", Text: "xin chào", PublishedAt: time.Now().Add(-time.Minute)}); err != nil {
			return cur, err
		}
		tr.Add(id, time.Now().Add(-time.Minute))
	}
	return tr.Cursor(), nil
}

// Bad input from one source (a 2 GB body, malformed redirect target, robots block, 500)
// is a logged, counted error for that source, and the others' posts still arrive.
func TestRunnerIsolatesFailingSources(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /cam/\n")
		case "/huge":
			w.Header().Set("Content-Length", "2147483648")
			w.WriteHeader(200)
		case "/redirect-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/truncated": // declares 1000 bytes, sends 10, closes
			w.Header().Set("Content-Length", "1000")
			w.Write([]byte("0123456789"))
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	pol := NewPoliteness(WithHostDelay(0))
	mk := func(name, path string) Scheduled {
		f := NewFetcher(pol, FetchOptions{AllowPrivate: true, MaxBody: 1 << 20, Source: name, Metrics: m})
		return Scheduled{Source: &getSource{name: name, url: srv.URL + path, f: f}, Kind: "test", Interval: time.Minute}
	}
	srcs := []Scheduled{mk("good", "/ok"), mk("huge", "/huge"), mk("redirect", "/redirect-file"), mk("robots", "/cam/x"), mk("broken", "/broken"), mk("truncated", "/truncated")}
	var got []*post.Post
	r := NewRunner(srcs, NewMemCursors(), SinkFunc(func(_ context.Context, ps []*post.Post) error { got = append(got, ps...); return nil }), WithMetrics(m))
	n, err := r.RunOnce(context.Background(), 2)
	if err != nil || n != 1 || len(got) != 1 || got[0].Source != "good" || got[0].Schema != 1 {
		t.Fatalf("RunOnce: %d posts %v, %v; want the good source's one post", n, got, err)
	}
	want := map[string]string{"good": "", "huge": "too_large", "redirect": "scheme", "robots": "robots", "broken": "http_status", "truncated": "network"}
	for _, st := range r.Status() {
		if st.LastErrorKind != want[st.Name] {
			t.Errorf("%s: error kind %q (%s), want %q", st.Name, st.LastErrorKind, st.LastError, want[st.Name])
		}
		if k := want[st.Name]; k != "" {
			if v := testutil.ToFloat64(m.errors.WithLabelValues(st.Name, k)); v != 1 {
				t.Errorf("%s: errors_total{kind=%s} = %v", st.Name, k, v)
			}
			if st.State != "error" || !strings.Contains(st.Problem, " / ") {
				t.Errorf("%s state %q problem %q (want a vi / en explanation)", st.Name, st.State, st.Problem)
			}
		}
	}
	if v := testutil.ToFloat64(m.posts.WithLabelValues("good")); v != 1 {
		t.Errorf("posts_emitted_total{good} = %v", v)
	}
	if v := testutil.ToFloat64(m.requests.WithLabelValues("good", "200")); v != 1 {
		t.Errorf("requests_total{good,200} = %v", v)
	}
	if v := testutil.ToFloat64(m.lastSuccess.WithLabelValues("good")); v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success %v", v)
	}
	if v := testutil.ToFloat64(m.lag.WithLabelValues("good")); v < 50 || v > 120 {
		t.Errorf("cursor lag %v s, want about 60", v)
	}
	for _, st := range r.Status() {
		if strings.ContainsAny(st.LastError, "\n\r") {
			t.Errorf("health line has line breaks: %q", st.LastError)
		}
	}
}
