package elasticsearch

import (
	"testing"

	"github.com/langnghe/langnghe/store/storetest"
)

// BenchmarkIndex: docs/s for batches of 500 (needs LANGNGHE_TEST_ES).
func BenchmarkIndex(b *testing.B) { storetest.BenchIndex(b, openTest(b)) }

// BenchmarkSearch: a folded free-text + filter query over 20k posts (needs LANGNGHE_TEST_ES).
func BenchmarkSearch(b *testing.B) { storetest.BenchSearch(b, openTest(b), 20000) }
