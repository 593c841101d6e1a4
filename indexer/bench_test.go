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
	gojson "github.com/goccy/go-json"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/indexer"
	"github.com/langnghe/langnghe/internal/benchutil"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
)

const benchDocs = 20000

// BenchmarkIndexerVsBulk measures the index stage (Indexer.Prepare one batch ahead and
// Indexer.Process, as the index role's consumer calls them: decode the Kafka messages,
// derive the fields and encode, _bulk to the real Elasticsearch, classify item results)
// against a plain loader that posts the same documents, prepared in advance as _bulk
// bodies, in the same run, both in batches of 500 on one goroutine, each into its own
// fresh indices with the same template. Reports docs/s of each and their ratio (aim 0.9;
// the median over rounds, with -min and -max, see benchutil; above 1.05 is logged as suspect),
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
		msgs[i] = bus.Message{Topic: "posts.classified", Offset: int64(i), Key: []byte(p.ID), Value: v}
	}
	var ixCPU, biCPU, bulkCPU time.Duration // this process's CPU time (ES runs apart)
	var ixES, biES, bulkES time.Duration    // Elasticsearch's CPU time meanwhile
	writer := func(name string, cpu, esCPU *time.Duration, run func(start func()) time.Duration) benchutil.Contestant {
		return benchutil.Contestant{Name: name, Run: func() time.Duration {
			t, c := measure(esCPU, run)
			*cpu += c
			return t
		}}
	}
	writers := []benchutil.Contestant{
		writer("bulk", &bulkCPU, &bulkES, func(start func()) time.Duration { return bulkRun(b, es, posts, start) }),
		writer("indexer", &ixCPU, &ixES, func(start func()) time.Duration { return ixRun(b, es, posts, msgs, start) }),
		writer("bulkindexer", &biCPU, &biES, func(start func()) time.Duration { return biRun(b, es, posts, msgs, start) }),
	}
	// The timer runs through each iteration (setup included): one iteration takes minutes,
	// so b.Loop stops after the first. ns/op means nothing here; the reported metrics do.
	var times benchutil.Times
	for b.Loop() {
		// Each writer runs once untimed first (a cold Elasticsearch, JIT and caches, would
		// slow whichever ran first), then in both orders per round, so none gains from going
		// after another (segment merges of the previous run, a warmer JVM). Elasticsearch's
		// background merges land at random in runs this short (about a second each), hence
		// several rounds and the spread of their ratios.
		times = benchutil.Alternate(b, benchutil.Rounds(benchRounds), writers, benchutil.AfterWarmUp(func() {
			ixCPU, biCPU, bulkCPU, ixES, biES, bulkES = 0, 0, 0, 0, 0, 0
		}))
	}
	n := float64(benchDocs * times.Runs("bulk"))
	b.ReportMetric(n/times.Total("indexer").Seconds(), "indexer-docs/s")
	b.ReportMetric(n/times.Total("bulkindexer").Seconds(), "bulkindexer-docs/s")
	b.ReportMetric(n/times.Total("bulk").Seconds(), "bulk-docs/s")
	benchutil.ReportRatio(b, times, "bulk", "indexer", "ratio-to-bulk")
	benchutil.ReportRatio(b, times, "bulk", "bulkindexer", "bulkindexer-ratio-to-bulk")
	b.ReportMetric(float64(ixCPU.Microseconds())/n, "indexer-cpu-µs/doc")
	b.ReportMetric(float64(biCPU.Microseconds())/n, "bulkindexer-cpu-µs/doc")
	b.ReportMetric(float64(bulkCPU.Microseconds())/n, "bulk-cpu-µs/doc")
	if ixES >= 0 && biES >= 0 && bulkES >= 0 {
		b.ReportMetric(float64(ixES.Microseconds())/n, "indexer-es-cpu-µs/doc")
		b.ReportMetric(float64(biES.Microseconds())/n, "bulkindexer-es-cpu-µs/doc")
		b.ReportMetric(float64(bulkES.Microseconds())/n, "bulk-es-cpu-µs/doc")
	} else {
		b.Log("Elasticsearch is not testinfra's node here: its CPU per document is not reported")
	}
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

// measure runs one writer and returns the wall time and this process's CPU time of its
// timed part, which begins when the writer calls start (after its setup), and adds
// Elasticsearch's CPU time over the same part to *esCPU.
func measure(esCPU *time.Duration, run func(start func()) time.Duration) (wall, cpu time.Duration) {
	time.Sleep(benchSettle)
	var cpu0, es0 time.Duration
	ok0 := false
	wall = run(func() { cpu0 = cpuTime(); es0, ok0 = testinfra.ElasticsearchCPU() })
	cpu = cpuSince(cpu0)
	if es1, ok1 := testinfra.ElasticsearchCPU(); ok0 && ok1 && *esCPU >= 0 {
		*esCPU += es1 - es0
	} else {
		*esCPU = -1 // not our node: no figure rather than a wrong one
	}
	return wall, cpu
}

// bulkRun is the baseline: a plain loader posting prepared _bulk bodies (500 documents
// each, exactly what the store writes) one request after the other into fresh indices.
func bulkRun(b *testing.B, es string, posts []*post.Post, started func()) time.Duration {
	st := openBench(b, es)
	bodies := bulkBodies(b, st, posts)
	started()
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
	return time.Since(start)
}

// ixRun writes msgs through an Indexer in batches of 500 into fresh indices, the way the
// index role's consumer drives it (bus.WithPrepare): batch n+1 is prepared on another
// goroutine while batch n is processed.
func ixRun(b *testing.B, es string, posts []*post.Post, msgs []bus.Message, started func()) time.Duration {
	st := openBench(b, es)
	warm(b, st, posts)
	ix := indexer.New(st)
	ctx := context.Background()
	started()
	start := time.Now()
	prepareAhead := func(i int) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if i < len(msgs) {
				ix.Prepare(ctx, msgs[i:min(i+500, len(msgs))])
			}
		}()
		return done
	}
	next := prepareAhead(0)
	for i := 0; i < len(msgs); i += 500 {
		<-next
		next = prepareAhead(i + 500)
		for j, err := range ix.Process(ctx, msgs[i:min(i+500, len(msgs))]) {
			if err != nil {
				b.Fatalf("message %d: %v", i+j, err)
			}
		}
	}
	<-next
	return time.Since(start)
}

// biRun writes msgs through esutil.BulkIndexer (default workers: one per CPU, 5 MB
// flushes) into fresh indices, flushing after every 500 messages, and returns the time.
func biRun(b *testing.B, es string, posts []*post.Post, msgs []bus.Message, started func()) time.Duration {
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
	started()
	start := time.Now()
	for i := 0; i < len(msgs); i += 500 {
		for _, m := range msgs[i:min(i+500, len(msgs))] {
			p, err := post.Decode(m.Value)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			enc := gojson.NewEncoder(&buf) // as the store encodes
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

func openBench(b *testing.B, es string, opts ...esstore.Option) *esstore.Store {
	prefix := fmt.Sprintf("lnbench-%d", time.Now().UnixNano())
	st, err := esstore.New(context.Background(), esstore.Config{URLs: []string{es}, IndexPrefix: prefix}, append(opts, esstore.WithReplicas(0))...)
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

// benchSettle is the pause before each timed writer: Elasticsearch merges the previous
// writer's segments in the background for a few seconds, and that CPU would otherwise be
// charged to whoever runs next.
const benchSettle = 3 * time.Second

// benchRounds is how many rounds (each writer in order, then in reverse) a run makes;
// LANGNGHE_BENCH_ROUNDS overrides it.
const benchRounds = 3
