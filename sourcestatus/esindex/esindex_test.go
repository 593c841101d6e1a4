package esindex_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/langnghe/langnghe/sourcestatus"
	"github.com/langnghe/langnghe/sourcestatus/esindex"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

func TestIndexName(t *testing.T) {
	for in, want := range map[string]string{"langnghe-posts": "langnghe-sources", "lntest": "lntest_sources"} {
		if got := esindex.IndexName(in); got != want {
			t.Errorf("IndexName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Two crawl replicas report on the real Elasticsearch: the line of the replica that ran
// a source last stands even when the other reports later (a rebalanced-away replica), a
// pending source is not written, and a source nobody reports for StaleAfter reads "stale".
func TestReplicasAndStaleness(t *testing.T) {
	esURL := testinfra.ElasticsearchURL(t)
	ctx := context.Background()
	client, err := esstore.NewClient(esstore.Config{URLs: []string{esURL}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	x := esindex.New(client, fmt.Sprintf("lntest-%d_sources", time.Now().UnixNano()), esindex.WithClock(clock))
	defer x.Delete(ctx)

	if got, err := x.ReadSources(ctx); err != nil || len(got) != 0 {
		t.Fatalf("before any report: %v, %v; want an empty list", got, err)
	}
	t1, t2 := now.Add(-2*time.Minute), now.Add(-time.Minute)
	old := sourcestatus.Status{Name: "voz", Kind: "xenforo", State: "error", LastRun: &t1, LastError: "<b>503</b>", LastErrorKind: "http"}
	newer := sourcestatus.Status{Name: "voz", Kind: "xenforo", State: "ok", LastRun: &t2, PostsLastPass: 12}
	pending := sourcestatus.Status{Name: "mastodon", Kind: "mastodon", State: "pending"}
	if n, err := x.Publish(ctx, []sourcestatus.Status{newer, pending}, "b"); err != nil || n != 1 {
		t.Fatalf("publish b: %d, %v; want 1 written", n, err)
	}
	if n, err := x.Publish(ctx, []sourcestatus.Status{old}, "a"); err != nil || n != 0 {
		t.Fatalf("publish a (older pass): %d, %v; want 0 written and no error", n, err)
	}
	x.Refresh(ctx)
	got, err := x.ReadSources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].State != "ok" || got[0].PostsLastPass != 12 {
		t.Fatalf("sources = %+v, want voz ok from replica b only", got)
	}
	now = now.Add(esindex.StaleAfter + time.Second)
	got, _ = x.ReadSources(ctx)
	if len(got) != 1 || got[0].State != esindex.StateStale || got[0].Problem == "" {
		t.Fatalf("after %v unreported: %+v, want state stale with a problem", esindex.StaleAfter, got)
	}
}
