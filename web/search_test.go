package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/store/storetest"
)

func fixtureServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Index(context.Background(), storetest.Fixtures()); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }
	srv := httptest.NewServer(New(st, WithClock(clock)).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func getJSON(t *testing.T, u string, out any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %d %s: %v", u, resp.StatusCode, body, err)
	}
	return resp.StatusCode
}

func TestSearchQueryLanguage(t *testing.T) {
	srv := fixtureServer(t)
	var res store.Result
	q := url.Values{"q": {`(lũ OR ngập) -"tp hcm" narrative:flood from:60d`}, "limit": {"50"}}
	if code := getJSON(t, srv.URL+"/api/search?"+q.Encode(), &res); code != 200 {
		t.Fatalf("status %d", code)
	}
	if res.Total != 9 {
		t.Errorf("total %d, want 9 flood posts with lũ or ngập, minus the TP.HCM one", res.Total)
	}
	for _, h := range res.Hits {
		if len(h.Highlights) == 0 {
			t.Errorf("hit %s without highlights", h.Post.ID)
		}
	}
}

func TestSearchSyntaxErrorPosition(t *testing.T) {
	srv := fixtureServer(t)
	for text, pos := range map[string]float64{`lũ "lụt`: 4, `narative:scam`: 0, `(a OR b`: 0} {
		var body map[string]any
		code := getJSON(t, srv.URL+"/api/search?"+url.Values{"q": {text}}.Encode(), &body)
		if code != http.StatusBadRequest || body["position"] != pos || body["param"] != "q" || body["message"] == "" {
			t.Errorf("q=%s: %d %v, want 400 with position %v", text, code, body, pos)
		}
	}
	// The same on /api/stats.
	var body map[string]any
	if code := getJSON(t, srv.URL+"/api/stats?q=%28", &body); code != 400 || body["position"] != 1.0 {
		t.Errorf("stats q=(: %d %v", code, body)
	}
}

func TestStatsEndpoint(t *testing.T) {
	srv := fixtureServer(t)
	var st struct {
		Total    int            `json:"total"`
		Buckets  []store.Bucket `json:"buckets"`
		Interval string         `json:"interval"`
		store.Aggs
		Hits any `json:"hits"`
	}
	if code := getJSON(t, srv.URL+"/api/stats?q=narrative:scam&interval=7d&top=3", &st); code != 200 {
		t.Fatalf("status %d", code)
	}
	if st.Total != 5 || st.Hits != nil || st.Interval != "168h0m0s" || len(st.Buckets) == 0 {
		t.Errorf("stats: total %d, hits %v, interval %q, %d buckets", st.Total, st.Hits, st.Interval, len(st.Buckets))
	}
	sum := 0
	for _, b := range st.Buckets {
		sum += b.Count
	}
	if sum != 5 {
		t.Errorf("bucket counts sum to %d, want 5", sum)
	}
	if len(st.Sentiments) != 2 || st.Sentiments[0].Term != "negative" || st.Sentiments[0].Count != 4 {
		t.Errorf("sentiment split %+v, want negative 4, positive 1", st.Sentiments)
	}
	if len(st.Narratives) != 1 || st.Narratives[0].Count != 5 || len(st.Sources) != 3 || len(st.Terms) != 3 || st.Authors == 0 {
		t.Errorf("aggs %+v", st.Aggs)
	}
	var res store.Result
	getJSON(t, srv.URL+"/api/search?q=narrative:scam&aggs=true", &res)
	if res.Aggs == nil || res.Aggs.Authors != st.Authors {
		t.Errorf("/api/search?aggs=true: %+v, want the same aggs as /api/stats", res.Aggs)
	}
}
