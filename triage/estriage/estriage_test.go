package estriage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
	"github.com/langnghe/langnghe/triage"
	"github.com/langnghe/langnghe/triage/estriage"
	"github.com/langnghe/langnghe/triage/triagetest"
)

func TestIndexName(t *testing.T) {
	if got := estriage.IndexName("langnghe-posts"); got != "langnghe-triage" {
		t.Errorf("IndexName = %q", got)
	}
}

// The triage conformance suite on the real Elasticsearch, writers spread over three
// handles as three serve replicas would be.
func TestTriageConformance(t *testing.T) {
	esURL := testinfra.ElasticsearchURL(t)
	triagetest.Run(t, func(t *testing.T) (triage.Store, func(t *testing.T) triage.Store) {
		name := fmt.Sprintf("lntest-%d_triage", time.Now().UnixNano())
		handle := func(t *testing.T) triage.Store {
			c, err := esstore.NewClient(esstore.Config{URLs: []string{esURL}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			return estriage.New(c, name)
		}
		s := handle(t)
		t.Cleanup(func() { s.(*estriage.Index).Delete(context.Background()) })
		return s, handle
	}, triagetest.SharedWriters(3))
}
