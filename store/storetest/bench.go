package storetest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

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

// LatencyQueries are typical analyst queries for latency benchmarks: folded words, a
// phrase, OR with an exclusion and a filter, filters with a time range, an exact-accent
// term, and a stats query (aggregations). Each asks for the first page, newest first,
// with automatic time buckets, as the UI does.
func LatencyQueries() []store.Query {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return []store.Query{
		{Text: "lũ lụt"},
		{Text: `"ngập nước" OR "lừa đảo"`},
		{Text: `(lũ OR ngập) -"cà phê" narrative:flood`},
		{Text: "narrative:scam sentiment:negative from:2026-11-01"},
		{Text: "+lừa đảo toxicity:offensive", From: from},
		{Text: "sentiment:negative flagged:true", Aggs: true},
	}
}

// BenchLatency indexes n generated posts into s (unless it already holds n, so a kept
// index can be reused), then runs LatencyQueries round-robin and reports p50 and p99
// latency in milliseconds over all of them, plus per-query p50.
func BenchLatency(b *testing.B, s store.Store, n int) {
	ctx := context.Background()
	if res, err := s.Search(ctx, store.Query{Limit: 1, Interval: -1}); err != nil || res.Total != n {
		start := time.Now()
		for i := 0; i < n; i += 2000 {
			if err := s.Index(ctx, Generate(min(2000, n-i), uint64(5000+i))); err != nil {
				b.Fatalf("Index: %v", err)
			}
		}
		if err := s.Refresh(ctx); err != nil {
			b.Fatalf("Refresh: %v", err)
		}
		b.Logf("indexed %d posts in %s", n, time.Since(start).Round(time.Second))
	}
	qs := LatencyQueries()
	for i, q := range qs {
		res, err := s.Search(ctx, q)
		if err != nil {
			b.Fatalf("query %d %q: %v", i, q.Text, err)
		}
		b.Logf("query %d %q: %d matches", i, q.Text, res.Total)
	}
	var all []time.Duration
	per := make([][]time.Duration, len(qs))
	b.ResetTimer()
	i := 0
	for b.Loop() {
		q := qs[i%len(qs)]
		start := time.Now()
		if _, err := s.Search(ctx, q); err != nil {
			b.Fatalf("Search: %v", err)
		}
		d := time.Since(start)
		all = append(all, d)
		per[i%len(qs)] = append(per[i%len(qs)], d)
		i++
	}
	b.ReportMetric(pct(all, 50), "p50-ms")
	b.ReportMetric(pct(all, 99), "p99-ms")
	for k, ds := range per {
		if len(ds) > 0 {
			b.ReportMetric(pct(ds, 50), fmt.Sprintf("q%d-p50-ms", k))
		}
	}
	b.ReportMetric(float64(n), "posts")
}

func pct(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return float64(s[i].Microseconds()) / 1000
}

// LatencyPosts is the number of posts BenchLatency runs over:
// LANGNGHE_BENCH_SEARCH_POSTS, default 100000 (1 000 000 is the target size; building it
// takes tens of minutes on a small machine, so it is opt-in).
func LatencyPosts() int {
	if v, err := strconv.Atoi(os.Getenv("LANGNGHE_BENCH_SEARCH_POSTS")); err == nil && v > 0 {
		return v
	}
	return 100000
}
