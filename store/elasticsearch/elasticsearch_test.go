package elasticsearch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

// esURL returns the test cluster from LANGNGHE_TEST_ES or skips: these are integration
// tests against a real Elasticsearch (testinfra/elasticsearch.sh starts one).
func esURL(t testing.TB) string {
	u := os.Getenv("LANGNGHE_TEST_ES")
	if u == "" {
		t.Skip("LANGNGHE_TEST_ES not set: skipping Elasticsearch tests (start one with testinfra/elasticsearch.sh and set LANGNGHE_TEST_ES=http://127.0.0.1:19200)")
	}
	return u
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
