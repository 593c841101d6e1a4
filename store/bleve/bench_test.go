package bleve

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/langnghe/langnghe/store/storetest"
)

func openBench(b *testing.B) *Store {
	s, err := Open(filepath.Join(b.TempDir(), "idx"))
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkIndex: docs/s for batches of 500.
func BenchmarkIndex(b *testing.B) { storetest.BenchIndex(b, openBench(b)) }

// BenchmarkSearch: a folded free-text + filter query over 20k posts.
func BenchmarkSearch(b *testing.B) { storetest.BenchSearch(b, openBench(b), 20000) }

// BenchmarkSearchLatency: p50/p99 of typical analyst queries over
// storetest.LatencyPosts() posts (LANGNGHE_BENCH_SEARCH_POSTS; default 100k). The index
// is kept under LANGNGHE_BENCH_BLEVE_DIR when set, so later runs reuse it.
func BenchmarkSearchLatency(b *testing.B) {
	n := storetest.LatencyPosts()
	dir := filepath.Join(b.TempDir(), "idx")
	if d := os.Getenv("LANGNGHE_BENCH_BLEVE_DIR"); d != "" {
		dir = filepath.Join(d, fmt.Sprintf("latency-%d", n))
	}
	s, err := Open(dir)
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	b.Cleanup(func() { s.Close() })
	storetest.BenchLatency(b, s, n)
}
