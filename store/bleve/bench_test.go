package bleve

import (
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
