package eshistory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/eshistory"
	"github.com/langnghe/langnghe/alerting/outbox"
	"github.com/langnghe/langnghe/post"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

func TestIndexName(t *testing.T) {
	for in, want := range map[string]string{"langnghe-posts": "langnghe-alerts", "site1-posts": "site1-alerts", "lntest": "lntest_alerts", "-posts": "-posts_alerts"} {
		if got := eshistory.IndexName(in); got != want {
			t.Errorf("IndexName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEngineMirrorsHistory: an alert delivered by the engine is searchable in the real
// Elasticsearch index by rule and status, once, however often it is recorded.
func TestEngineMirrorsHistory(t *testing.T) {
	esURL := testinfra.ElasticsearchURL(t)
	ctx := context.Background()
	index := fmt.Sprintf("lntest-%d_alerts", time.Now().UnixNano())
	client, err := esstore.NewClient(esstore.Config{URLs: []string{esURL}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := eshistory.New(client, index)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Delete(ctx)
	dir := t.TempDir()
	path := filepath.Join(dir, "r.yaml")
	os.WriteFile(path, []byte("rules:\n  - id: lua-dao\n    kind: match\n    query: 'narrative:scam'\n    recipients: [a@example.vn]\n    group_wait: 1s\n"), 0o644)
	rs, errs := alerting.LoadFiles(path)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	now := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e, err := alerting.NewEngine(rs, filepath.Join(dir, "state.json"), outbox.New(filepath.Join(dir, "outbox"), ""), alerting.WithClock(clock), alerting.WithRecorder(rec))
	if err != nil {
		t.Fatal(err)
	}
	p := &post.Post{Schema: 1, ID: "forum:a.vn:1", Platform: "forum", Source: "a.vn", Text: "lừa đảo", PublishedAt: now, FetchedAt: now,
		Analysis: &post.Analysis{Model: "m", Narratives: []post.Narrative{{ID: "scam", Score: 1}}}}
	if err := e.Observe([]*post.Post{p}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second)
	if err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	h := e.History()
	if len(h) != 1 {
		t.Fatalf("history %v", h)
	}
	if err := rec.Record(ctx, h[0]); err != nil { // a second write of the same alert
		t.Fatal(err)
	}
	if err := rec.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	q := url.QueryEscape("rule_id:lua-dao AND status:sent")
	resp, err := http.Get(esURL + "/" + index + "/_search?q=" + q)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Hits struct {
			Total struct{ Value int } `json:"total"`
			Hits  []struct {
				ID     string         `json:"_id"`
				Source map[string]any `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if body.Hits.Total.Value != 1 || body.Hits.Hits[0].ID != h[0].ID || body.Hits.Hits[0].Source["text"] != nil {
		t.Fatalf("search: %+v", body.Hits)
	}
	if !strings.Contains(fmt.Sprint(body.Hits.Hits[0].Source["subject"]), "1 bài mới") {
		t.Errorf("subject %v", body.Hits.Hits[0].Source["subject"])
	}
}
