package indexer

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// TestFreshness: each written post is observed once per histogram, with indexed_at (the
// clock when the write succeeded) minus published_at and minus fetched_at; posts the store
// rejected are not observed.
func TestFreshness(t *testing.T) {
	indexedAt := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	mk := func(id string, published, fetched time.Duration) bus.Message {
		p := &post.Post{Schema: 1, ID: "rss:test:" + id, Platform: "rss", Source: "t", Text: "x",
			PublishedAt: indexedAt.Add(-published), FetchedAt: indexedAt.Add(-fetched)}
		b, _ := post.Encode(p)
		return bus.Message{Key: []byte(p.ID), Value: b}
	}
	msgs := []bus.Message{mk("1", time.Hour, 2*time.Second), mk("2", 10*time.Minute, 3*time.Second), mk("3", time.Minute, time.Second)}
	reg := prometheus.NewRegistry()
	st := &scriptedStore{err: &store.BatchError{Items: []store.ItemError{{ID: "rss:test:3", Permanent: true, Reason: "mapper_parsing_exception"}}}}
	ix := New(st, WithMetrics(reg))
	ix.now = func() time.Time { return indexedAt }
	ix.Process(context.Background(), msgs)

	count, err := testutil.GatherAndCount(reg, "langnghe_indexer_freshness_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if count != 2 {
		t.Fatalf("want 2 series (published, fetched), got %d", count)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]float64{}
	counts := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "langnghe_indexer_freshness_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			since := m.GetLabel()[0].GetValue()
			sums[since] = m.GetHistogram().GetSampleSum()
			counts[since] = m.GetHistogram().GetSampleCount()
		}
	}
	if counts["published"] != 2 || counts["fetched"] != 2 {
		t.Fatalf("want 2 observations each (post 3 was rejected), got %v", counts)
	}
	if got, want := sums["published"], (time.Hour + 10*time.Minute).Seconds(); got != want {
		t.Errorf("published sum = %v, want %v", got, want)
	}
	if got, want := sums["fetched"], 5.0; got != want {
		t.Errorf("fetched sum = %v, want %v", got, want)
	}
}
