package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
)

// fakeStore is a store.Store whose Search runs search (nil: an empty result); it counts
// the calls.
type fakeStore struct {
	calls  atomic.Int32
	search func(ctx context.Context, q store.Query) (*store.Result, error)
}

func (f *fakeStore) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	f.calls.Add(1)
	if f.search != nil {
		return f.search(ctx, q)
	}
	return &store.Result{}, nil
}
func (f *fakeStore) Index(context.Context, []*post.Post) error       { return nil }
func (f *fakeStore) Get(context.Context, string) (*post.Post, error) { return nil, store.ErrNotFound }
func (f *fakeStore) Refresh(context.Context) error                   { return nil }
func (f *fakeStore) Ready(context.Context) error                     { return nil }
func (f *fakeStore) Close() error                                    { return nil }

func getJSONMap(t *testing.T, u string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, resp.Header, m
}

// TestNumericParamsRejected: every numeric parameter of /api/search and /api/stats, given
// a value past int64, exactly int64's max (issue 11: it overflowed offset+limit past the
// 10,000 cap and panicked in bleve), one past its range, a negative or a non-number, is a
// 400 naming that parameter, over the real bleve store.
func TestNumericParamsRejected(t *testing.T) {
	srv := fixtureServer(t)
	bad := []string{"9223372036854775807", "99999999999999999999", "-1", "-9223372036854775808", "abc", "1e3", "10001"}
	for _, path := range []string{"/api/search", "/api/stats"} {
		for _, name := range IntParams() {
			if path == "/api/stats" && name != "top" {
				continue // stats pages no hits: it ignores offset and limit
			}
			for _, v := range bad {
				if name == "top" && v == "10001" {
					v = fmt.Sprint(store.MaxTopN + 1)
				}
				code, _, body := getJSONMap(t, srv.URL+path+"?"+url.Values{name: {v}}.Encode())
				msg, _ := body["error"].(string)
				if code != http.StatusBadRequest || !strings.Contains(msg, "parameter "+name+"=") {
					t.Errorf("%s?%s=%s: %d %v; want 400 naming %s", path, name, v, code, body, name)
				}
			}
		}
	}
	// The edges of the ranges are accepted.
	for _, q := range []string{"offset=9980&limit=20", "limit=10000", "top=100", "offset=0&limit=0"} {
		if code, _, body := getJSONMap(t, srv.URL+"/api/search?"+q); code != http.StatusOK {
			t.Errorf("/api/search?%s: %d %v; want 200", q, code, body)
		}
	}
}

// TestOutOfRangeDatesAreBadInput: a from/to parameter or a from:/to: filter outside
// 1677-2262 is a 400 naming it, and never reaches the store (Elasticsearch answered those
// with an error the server reported as 503 "store unavailable").
func TestOutOfRangeDatesAreBadInput(t *testing.T) {
	st := &fakeStore{search: func(context.Context, store.Query) (*store.Result, error) {
		return nil, fmt.Errorf("%w: date out of range", store.ErrUnavailable)
	}}
	srv := httptest.NewServer(New(st).Handler())
	defer srv.Close()
	dates := []string{"0001-01-01", "1677-01-01T00:00:00Z", "2262-04-12", "9999-12-31T23:59:59Z", "2263-01-01T00:00:00+07:00"}
	for _, d := range dates {
		for _, param := range []string{"from", "to"} {
			code, _, body := getJSONMap(t, srv.URL+"/api/search?"+url.Values{param: {d}}.Encode())
			msg, _ := body["error"].(string)
			if code != http.StatusBadRequest || !strings.Contains(msg, "parameter "+param+"=") {
				t.Errorf("%s=%s: %d %v; want 400 naming %s", param, d, code, body, param)
			}
			code, _, body = getJSONMap(t, srv.URL+"/api/search?"+url.Values{"q": {"lũ " + param + ":" + d}}.Encode())
			if code != http.StatusBadRequest || body["param"] != "q" || body["position"] != float64(len("lũ "+param+":")) {
				t.Errorf("q=%s:%s: %d %v; want 400 at the value in q", param, d, code, body)
			}
		}
	}
	if n := st.calls.Load(); n != 0 {
		t.Errorf("the store was asked %d times; out-of-range dates must stop before it", n)
	}
}

// TestHandlerPanicIsLoggedAndCounted: a panic under any route becomes a 500 with a JSON
// body, one escaped log line (a hostile path cannot forge a second) and a count in
// langnghe_http_panics_total and langnghe_http_requests_total{code="500"}.
func TestHandlerPanicIsLoggedAndCounted(t *testing.T) {
	st := &fakeStore{search: func(context.Context, store.Query) (*store.Result, error) {
		panic("boom\nlevel=ERROR msg=forged")
	}}
	var logs bytes.Buffer
	var mu sync.Mutex
	reg := prometheus.NewRegistry()
	s := New(st, WithRegistry(reg), WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	code, _, body := getJSONMap(t, srv.URL+"/api/search?q=x%0Alevel%3DERROR")
	if code != http.StatusInternalServerError || body["error"] == nil {
		t.Fatalf("panicking search: %d %v; want a 500 with an error body", code, body)
	}
	if got := testutil.ToFloat64(s.panics.WithLabelValues("search")); got != 1 {
		t.Errorf("langnghe_http_panics_total{handler=search} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(s.requests.WithLabelValues("search", "500")); got != 1 {
		t.Errorf("langnghe_http_requests_total{search,500} = %v, want 1", got)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "handler panic") || strings.Contains(out, "\nlevel=ERROR msg=forged") {
		t.Errorf("want exactly one escaped log line, got:\n%s", out)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// TestExpensiveRequestsBounded: with every slot busy, /api/search and /api/stats answer
// 503 with Retry-After at once (no queueing) and count the rejection; cheap routes still
// answer; a freed slot serves again.
func TestExpensiveRequestsBounded(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 8)
	st := &fakeStore{search: func(ctx context.Context, q store.Query) (*store.Result, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return &store.Result{}, nil
	}}
	s := New(st, WithMaxExpensive(2))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); getJSONMap(t, srv.URL+"/api/search?q=a") }()
	}
	<-started
	<-started
	for _, path := range []string{"/api/search?q=b", "/api/stats"} {
		begin := time.Now()
		code, h, body := getJSONMap(t, srv.URL+path)
		if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || body["error"] == nil {
			t.Errorf("%s with every slot busy: %d, Retry-After %q, %v; want 503 with Retry-After", path, code, h.Get("Retry-After"), body)
		}
		if d := time.Since(begin); d > 2*time.Second {
			t.Errorf("%s waited %v for a slot; want an immediate answer", path, d)
		}
	}
	if got := testutil.ToFloat64(s.rejected.WithLabelValues("search")) + testutil.ToFloat64(s.rejected.WithLabelValues("stats")); got != 2 {
		t.Errorf("langnghe_http_rejected_total = %v, want 2", got)
	}
	if code, _, _ := getJSONMap(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz while searches are busy: %d", code)
	}
	close(release)
	wg.Wait()
	if code, _, _ := getJSONMap(t, srv.URL+"/api/search?q=c"); code != http.StatusOK {
		t.Errorf("after the slots freed: %d, want 200", code)
	}
}

// TestSearchStopsWhenClientLeaves: the store's context ends when the client disconnects
// (so its work stops) and, for a client that waits, at the server-side deadline (504).
func TestSearchStopsWhenClientLeaves(t *testing.T) {
	ended := make(chan error, 1)
	st := &fakeStore{search: func(ctx context.Context, q store.Query) (*store.Result, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	}}
	reg := prometheus.NewRegistry()
	s := New(st, WithRegistry(reg), WithSearchTimeout(time.Hour))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/search?q=x", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the client should have given up, got %d", resp.StatusCode)
	}
	select {
	case err := <-ended:
		if err != context.Canceled {
			t.Errorf("store context ended with %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the store's search still runs 5 s after the client left")
	}
	// The server-side deadline: the client waits, the server gives up.
	s2 := New(st, WithSearchTimeout(200*time.Millisecond))
	srv2 := httptest.NewServer(s2.Handler())
	defer srv2.Close()
	code, _, body := getJSONMap(t, srv2.URL+"/api/search?q=x")
	if code != http.StatusGatewayTimeout || body["error"] == nil {
		t.Errorf("search past the deadline: %d %v; want 504", code, body)
	}
	if err := <-ended; err != context.DeadlineExceeded {
		t.Errorf("store context ended with %v, want DeadlineExceeded", err)
	}
	var _ = query.MaxDepth
}
