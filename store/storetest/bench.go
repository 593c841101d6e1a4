package storetest

import (
	"context"
	"testing"

	"github.com/langnghe/langnghe/store"
)

// BenchIndex measures Index throughput with batches of 500 generated posts, the indexer's
// default batch size, and reports docs/s. open returns a fresh empty store.
func BenchIndex(b *testing.B, s store.Store) {
	ctx := context.Background()
	const batch = 500
	seed := uint64(1)
	docs := 0
	for b.Loop() {
		b.StopTimer()
		posts := Generate(batch, seed)
		seed++
		b.StartTimer()
		if err := s.Index(ctx, posts); err != nil {
			b.Fatalf("Index: %v", err)
		}
		docs += batch
	}
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}

// BenchSearch indexes n generated posts, then measures BenchQuery (folded free text plus
// platform and flagged filters, 24h buckets, first page).
func BenchSearch(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		if err := s.Index(ctx, Generate(min(1000, n-i), uint64(1000+i))); err != nil {
			b.Fatalf("Index: %v", err)
		}
	}
	if err := s.Refresh(ctx); err != nil {
		b.Fatalf("Refresh: %v", err)
	}
	q := BenchQuery()
	res, err := s.Search(ctx, q)
	if err != nil {
		b.Fatalf("Search: %v", err)
	}
	if res.Total == 0 || len(res.Buckets) == 0 {
		b.Fatalf("bench query matched nothing over %d posts", n)
	}
	for b.Loop() {
		if _, err := s.Search(ctx, q); err != nil {
			b.Fatalf("Search: %v", err)
		}
	}
	b.ReportMetric(float64(res.Total), "matches")
}
