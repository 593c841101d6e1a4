package elasticsearch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
)

// esURL returns the test cluster (testinfra.ElasticsearchURL: skips, or fails in CI, when
// absent): these are integration tests against a real Elasticsearch.
func esURL(t testing.TB) string {
	t.Helper()
	return testinfra.ElasticsearchURL(t)
}

func uniquePrefix(t testing.TB) string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "lntest-" + hex.EncodeToString(b)
}

// openTest connects with a unique prefix and deletes its indices and template at cleanup.
func openTest(t testing.TB, opts ...Option) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts = append([]Option{WithReplicas(0)}, opts...)
	s, err := New(ctx, Config{URLs: strings.Split(esURL(t), ","), IndexPrefix: uniquePrefix(t)}, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close() // the suite may have closed it already; that is fine
		// A separate client: the suite closes the store it was given.
		c, err := New(context.Background(), Config{URLs: strings.Split(esURL(t), ","), IndexPrefix: s.prefix})
		if err != nil {
			t.Errorf("cleanup connect: %v", err)
			return
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Drop(ctx); err != nil {
			t.Errorf("cleanup of %s: %v", s.prefix, err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	esURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}
