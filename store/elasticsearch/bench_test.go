package elasticsearch

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/store/storetest"
)

// BenchmarkIndex: docs/s for batches of 500 (needs LANGNGHE_TEST_ES).
func BenchmarkIndex(b *testing.B) { storetest.BenchIndex(b, openTest(b)) }

// BenchmarkSearch: a folded free-text + filter query over 20k posts (needs LANGNGHE_TEST_ES).
func BenchmarkSearch(b *testing.B) { storetest.BenchSearch(b, openTest(b), 20000) }

// BenchmarkSearchLatency: p50/p99 of typical analyst queries over
// storetest.LatencyPosts() posts (LANGNGHE_BENCH_SEARCH_POSTS; default 100k) in the real
// Elasticsearch. With LANGNGHE_BENCH_KEEP=1 the index (lnbench-latency-<n>) is kept and
// reused by later runs; otherwise it is deleted.
func BenchmarkSearchLatency(b *testing.B) {
	n := storetest.LatencyPosts()
	ctx := context.Background()
	s, err := New(ctx, Config{URLs: strings.Split(esURL(b), ","), IndexPrefix: fmt.Sprintf("lnbench-latency-%d", n)}, WithReplicas(0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() }) // runs last: cleanups run in reverse order
	if os.Getenv("LANGNGHE_BENCH_KEEP") == "" {
		b.Cleanup(func() {
			_ = s.Drop(ctx)
		})
	}
	storetest.BenchLatency(b, s, n)
}
