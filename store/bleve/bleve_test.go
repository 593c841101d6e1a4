package bleve

import (
	"path/filepath"
	"testing"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "idx"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}
