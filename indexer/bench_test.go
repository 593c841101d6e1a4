package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/indexer"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
)

const benchDocs = 20000

// BenchmarkIndexerVsBulk measures the index stage (Indexer.Process: decode the Kafka
// messages, derive the fields, _bulk to the real Elasticsearch, classify item results)
// against a plain loader that posts the same documents, prepared in advance as _bulk
// bodies, in the same run, both in batches of 500 on one goroutine, each into its own
// fresh indices with the same template. Reports docs/s of each and their ratio (aim 0.9).
func BenchmarkIndexerVsBulk(b *testing.B) {
	es := testinfra.ElasticsearchURL(b)
	posts := storetest.Generate(benchDocs, 77)
	msgs := make([]bus.Message, len(posts))
	for i, p := range posts {
		v, err := post.Encode(p)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = bus.Message{Key: []byte(p.ID), Value: v}
	}
	ctx := context.Background()
	var ixTime, bulkTime time.Duration
	for b.Loop() {
		b.StopTimer()
		// plain _bulk of prepared bodies
		base := openBench(b, es)
		bodies := bulkBodies(b, base, posts)
		start := time.Now()
		for _, body := range bodies {
			resp, err := http.Post(es+"/_bulk", "application/x-ndjson", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			var r struct{ Errors bool }
			_ = json.NewDecoder(resp.Body).Decode(&r)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || r.Errors {
				b.Fatalf("_bulk status %d, errors %v", resp.StatusCode, r.Errors)
			}
		}
		bulkTime += time.Since(start)
		// the indexer on the same documents, as Kafka messages
		st := openBench(b, es)
		warm(b, st, posts)
		ix := indexer.New(st)
		start = time.Now()
		for i := 0; i < len(msgs); i += 500 {
			for j, err := range ix.Process(ctx, msgs[i:min(i+500, len(msgs))]) {
				if err != nil {
					b.Fatalf("message %d: %v", i+j, err)
				}
			}
		}
		ixTime += time.Since(start)
		b.StartTimer()
	}
	n := float64(benchDocs * b.N)
	b.ReportMetric(n/ixTime.Seconds(), "indexer-docs/s")
	b.ReportMetric(n/bulkTime.Seconds(), "bulk-docs/s")
	b.ReportMetric(bulkTime.Seconds()/ixTime.Seconds(), "ratio-to-bulk")
}

func openBench(b *testing.B, es string) *esstore.Store {
	prefix := fmt.Sprintf("lnbench-%d", time.Now().UnixNano())
	st, err := esstore.New(context.Background(), esstore.Config{URLs: []string{es}, IndexPrefix: prefix}, esstore.WithReplicas(0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx := context.Background()
		if names, err := st.Indices(ctx); err == nil {
			_ = st.DeleteIndices(ctx, names...)
		}
		_ = st.DeleteTemplate(ctx)
		st.Close()
	})
	return st
}

// warm creates the monthly indices (one post each) so neither side pays index creation
// inside the timed part.
func warm(b *testing.B, st *esstore.Store, posts []*post.Post) {
	seen := map[string]bool{}
	var first []*post.Post
	for _, p := range posts {
		if n := st.IndexName(p); !seen[n] {
			seen[n] = true
			first = append(first, p)
		}
	}
	if err := st.Index(context.Background(), first); err != nil {
		b.Fatal(err)
	}
}

// bulkBodies prepares the _bulk bodies (500 documents each) holding exactly what the
// store writes: the post plus its derived fields, into st's monthly indices.
func bulkBodies(b *testing.B, st *esstore.Store, posts []*post.Post) [][]byte {
	warm(b, st, posts)
	var out [][]byte
	for i := 0; i < len(posts); i += 500 {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		for _, p := range posts[i:min(i+500, len(posts))] {
			_ = enc.Encode(map[string]any{"index": map[string]any{"_index": st.IndexName(p), "_id": p.ID}})
			_ = enc.Encode(struct {
				*post.Post
				store.DocFields
			}{p, store.Fields(p)})
		}
		out = append(out, buf.Bytes())
	}
	return out
}
