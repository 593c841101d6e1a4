package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"

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
// fresh indices with the same template. Reports docs/s of each and their ratio (aim 0.9),
// and the same for go-elasticsearch's esutil.BulkIndexer doing the indexer's work (see
// biRun), so the choice of writer is measured too. Elasticsearch shares the machine's
// cores, so each writer's CPU time per document (this process only) is reported as well:
// what the indexer spends there is taken from Elasticsearch.
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
	var ixTime, biTime, bulkTime time.Duration
	var ixCPU, biCPU, bulkCPU time.Duration // this process's CPU time (ES runs apart)
	for b.Loop() {
		b.StopTimer()
		// plain _bulk of prepared bodies
		base := openBench(b, es)
		bodies := bulkBodies(b, base, posts)
		start, cpu0 := time.Now(), cpuTime()
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
		bulkCPU += cpuSince(cpu0)
		// the indexer on the same documents, as Kafka messages
		cpu0 = cpuTime()
		ixTime += ixRun(b, es, posts, msgs)
		ixCPU += cpuSince(cpu0)
		// go-elasticsearch's esutil.BulkIndexer doing the indexer's work on the same
		// messages: decode, derive the fields, encode, Add, then Flush each batch of 500
		// (offsets may only be committed once every item of the batch is known written).
		cpu0 = cpuTime()
		biTime += biRun(b, es, posts, msgs)
		biCPU += cpuSince(cpu0)
		b.StartTimer()
	}
	n := float64(benchDocs * b.N)
	b.ReportMetric(n/ixTime.Seconds(), "indexer-docs/s")
	b.ReportMetric(n/biTime.Seconds(), "bulkindexer-docs/s")
	b.ReportMetric(n/bulkTime.Seconds(), "bulk-docs/s")
	b.ReportMetric(bulkTime.Seconds()/ixTime.Seconds(), "ratio-to-bulk")
	b.ReportMetric(bulkTime.Seconds()/biTime.Seconds(), "bulkindexer-ratio-to-bulk")
	b.ReportMetric(float64(ixCPU.Microseconds())/n, "indexer-cpu-µs/doc")
	b.ReportMetric(float64(biCPU.Microseconds())/n, "bulkindexer-cpu-µs/doc")
	b.ReportMetric(float64(bulkCPU.Microseconds())/n, "bulk-cpu-µs/doc")
}

// cpuTime is the user+system CPU time of this process so far. Elasticsearch shares the
// machine's cores, so the CPU a writer spends per document is taken from it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuSince(t time.Duration) time.Duration { return cpuTime() - t }

// ixRun writes msgs through an Indexer in batches of 500 into fresh indices.
func ixRun(b *testing.B, es string, posts []*post.Post, msgs []bus.Message) time.Duration {
	st := openBench(b, es)
	warm(b, st, posts)
	ix := indexer.New(st)
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < len(msgs); i += 500 {
		for j, err := range ix.Process(ctx, msgs[i:min(i+500, len(msgs))]) {
			if err != nil {
				b.Fatalf("message %d: %v", i+j, err)
			}
		}
	}
	return time.Since(start)
}

// biRun writes msgs through esutil.BulkIndexer (default workers: one per CPU, 5 MB
// flushes) into fresh indices, flushing after every 500 messages, and returns the time.
func biRun(b *testing.B, es string, posts []*post.Post, msgs []bus.Message) time.Duration {
	st := openBench(b, es)
	warm(b, st, posts)
	client, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{es}})
	if err != nil {
		b.Fatal(err)
	}
	var failed atomic.Int64
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{
		Client:     client,
		FlushBytes: esstore.DefaultBulkBytes,
		OnError:    func(context.Context, error) { failed.Add(1) },
	})
	if err != nil {
		b.Fatal(err)
	}
	defer bi.Close(context.Background())
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < len(msgs); i += 500 {
		for _, m := range msgs[i:min(i+500, len(msgs))] {
			p, err := post.Decode(m.Value)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(struct {
				*post.Post
				store.DocFields
			}{p, store.Fields(p)}); err != nil {
				b.Fatal(err)
			}
			err = bi.Add(ctx, esutil.BulkIndexerItem{
				Action: "index", Index: st.IndexName(p), DocumentID: p.ID, Body: bytes.NewReader(buf.Bytes()),
				OnFailure: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem, error) { failed.Add(1) },
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := bi.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		if n := failed.Load(); n > 0 {
			b.Fatalf("BulkIndexer: %d failures", n)
		}
	}
	return time.Since(start)
}

func openBench(b *testing.B, es string) *esstore.Store {
	prefix := fmt.Sprintf("lnbench-%d", time.Now().UnixNano())
	st, err := esstore.New(context.Background(), esstore.Config{URLs: []string{es}, IndexPrefix: prefix}, esstore.WithReplicas(0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx := context.Background()
		_ = st.Drop(ctx)
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
