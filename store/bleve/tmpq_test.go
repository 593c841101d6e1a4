package bleve

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/langnghe/langnghe/store/storetest"
)

func BenchmarkTmpQuery(b *testing.B) {
	s, err := Open(filepath.Join(os.Getenv("LANGNGHE_BENCH_BLEVE_DIR"), "latency-100000"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i, _ := strconv.Atoi(os.Getenv("Q"))
	q := storetest.LatencyQueries()[i]
	for b.Loop() {
		if _, err := s.Search(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}
