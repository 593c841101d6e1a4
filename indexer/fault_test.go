package indexer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/indexer"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
)

// Fault modes of faultProxy.
const (
	modePass    = iota
	modeBulk429 // every _bulk answered 429 as a whole (es_rejected_execution_exception)
	modeItem429 // _bulk forwarded, then every other item rewritten to a 429 item failure
	modeRefuse  // connections dropped: Elasticsearch unreachable
)

// faultProxy is a reverse proxy on loopback in front of a real Elasticsearch that injects
// faults on demand.
type faultProxy struct {
	mode     atomic.Int32
	injected atomic.Int64
	srv      *httptest.Server
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	fp := &faultProxy{}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host             // as NewSingleHostReverseProxy did
		pr.Out.Header.Del("Accept-Encoding") // plain JSON back, so item faults can be written in
	}}
	rp.ModifyResponse = func(res *http.Response) error {
		if fp.mode.Load() != modeItem429 || res.Request.URL.Path != "/_bulk" || res.StatusCode != 200 {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		var br struct {
			Took   int                         `json:"took"`
			Errors bool                        `json:"errors"`
			Items  []map[string]map[string]any `json:"items"`
		}
		if err := json.Unmarshal(body, &br); err != nil {
			return err
		}
		for i, item := range br.Items {
			if i%2 == 1 {
				for _, r := range item {
					if s, _ := r["status"].(float64); s < 300 {
						r["status"] = 429
						r["error"] = map[string]any{"type": "es_rejected_execution_exception", "reason": "injected: rejected execution (queue capacity 200)"}
						br.Errors = true
						fp.injected.Add(1)
					}
				}
			}
		}
		out, _ := json.Marshal(br)
		res.Body = io.NopCloser(bytes.NewReader(out))
		res.ContentLength = int64(len(out))
		res.Header.Set("Content-Length", strconv.Itoa(len(out)))
		return nil
	}
	fp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch fp.mode.Load() {
		case modeRefuse:
			fp.injected.Add(1)
			panic(http.ErrAbortHandler) // drops the connection without an answer
		case modeBulk429:
			if r.URL.Path == "/_bulk" {
				fp.injected.Add(1)
				w.Header().Set("X-Elastic-Product", "Elasticsearch")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"error":{"type":"es_rejected_execution_exception","reason":"injected: rejected execution of bulk"},"status":429}`)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(fp.srv.Close)
	return fp
}

// harness runs the real index stage: a bus.Consumer on a fresh posts.classified topic of
// the real Kafka, the Indexer, and the real Elasticsearch store (through url), with a DLQ.
type harness struct {
	t        *testing.T
	brokers  []string
	topic    string
	dlq      string
	prefix   string
	st       *esstore.Store // through the fault proxy (or the instance under test)
	direct   *esstore.Store // straight to Elasticsearch, for checking
	producer *bus.Producer
	ix       *indexer.Indexer
	reg      *prometheus.Registry
	done     chan error
	cancel   context.CancelFunc
}

func newHarness(t *testing.T, writeURL, checkURL string) *harness {
	brokers := testinfra.KafkaBrokers(t)
	h := &harness{t: t, brokers: brokers, reg: prometheus.NewRegistry()}
	h.topic = testinfra.KafkaTopic(t, "ixfault", 3)
	h.dlq = testinfra.KafkaTopic(t, "ixfault-dlq", 1)
	h.prefix = fmt.Sprintf("lnfault-%d", time.Now().UnixNano())
	ctx := context.Background()
	var err error
	if h.direct, err = esstore.New(ctx, esstore.Config{URLs: []string{checkURL}, IndexPrefix: h.prefix}, esstore.WithReplicas(0)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if names, err := h.direct.Indices(c); err == nil {
			_ = h.direct.DeleteIndices(c, names...)
		}
		_ = h.direct.DeleteIndices(c, h.prefix+"-2300.01")
		_ = h.direct.DeleteTemplate(c)
		h.direct.Close()
	})
	if h.st, err = esstore.New(ctx, esstore.Config{URLs: []string{writeURL}, IndexPrefix: h.prefix}, esstore.WithReplicas(0), esstore.WithBulkBytes(256<<10)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	h.producer = bus.NewProducer(brokers)
	t.Cleanup(func() { h.producer.Close() })
	h.ix = indexer.New(h.st, indexer.WithMetrics(h.reg), indexer.WithReadyGrace(2*time.Second))
	c := bus.NewConsumer(brokers, "ixfault-"+h.prefix, h.topic, "index", h.ix.Process,
		bus.WithBatch(500, 50*time.Millisecond), bus.WithDLQ(h.producer), bus.WithDLQTopic(h.dlq),
		bus.WithRetryBackoff(50*time.Millisecond, 2*time.Second), bus.WithConsumerMetrics(bus.NewMetrics(h.reg)),
		bus.WithPrepare(h.ix.Prepare)) // as the index role wires it
	runCtx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- c.Run(runCtx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

// badPost cannot be stored: published_at in 2300 is past what a date_nanos field holds,
// so Elasticsearch rejects the document with a mapping (parse) error.
func badPost() *post.Post {
	p := storetest.Generate(1, 999)[0]
	p.ID = post.MakeID(p.Platform, "bad.example", "year-2300")
	p.PublishedAt = time.Date(2300, 1, 2, 0, 0, 0, 0, time.UTC)
	p.FetchedAt = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return p
}

// publish sends posts steadily (chunk posts every gap), one bad post in the middle.
func (h *harness) publish(ctx context.Context, posts []*post.Post, chunk int, gap time.Duration) error {
	for i := 0; i < len(posts); i += chunk {
		var msgs []bus.Message
		for _, p := range posts[i:min(i+chunk, len(posts))] {
			b, err := post.Encode(p)
			if err != nil {
				return err
			}
			msgs = append(msgs, bus.Message{Key: []byte(p.ID), Value: b})
		}
		if err := h.producer.Publish(ctx, h.topic, msgs...); err != nil {
			return err
		}
		if !sleepCtx(ctx, gap) {
			return ctx.Err()
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (h *harness) count(ctx context.Context) int {
	if err := h.direct.Refresh(ctx); err != nil {
		return -1
	}
	res, err := h.direct.Search(ctx, store.Query{Limit: 1, Interval: -1})
	if err != nil {
		return -1
	}
	return res.Total
}

// verify waits until every good post is searchable, then checks each is there exactly
// once (the _id is the post id, so total == n with every id present means no duplicate and
// no loss) and that the DLQ holds exactly the bad post, with Elasticsearch's reason.
func (h *harness) verify(good []*post.Post, bad *post.Post, within time.Duration) {
	t := h.t
	ctx, cancel := context.WithTimeout(context.Background(), within+30*time.Second)
	defer cancel()
	deadline := time.Now().Add(within)
	n := -1
	for time.Now().Before(deadline) {
		if n = h.count(ctx); n == len(good) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if n != len(good) {
		t.Fatalf("%d posts searchable after %s, want %d", n, within, len(good))
	}
	if len(good) <= 10000 {
		seen := map[string]int{}
		for off := 0; off < len(good); off += store.MaxLimit {
			res, err := h.direct.Search(ctx, store.Query{Sort: store.SortOldest, Offset: off, Limit: min(store.MaxLimit, 10000-off), Interval: -1})
			if err != nil {
				t.Fatal(err)
			}
			for _, hit := range res.Hits {
				seen[hit.Post.ID]++
			}
		}
		for _, p := range good {
			if seen[p.ID] != 1 {
				t.Errorf("post %s found %d times, want once", p.ID, seen[p.ID])
			}
		}
	}
	if bad == nil {
		return
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: h.brokers, Topic: h.dlq, Partition: 0, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatalf("reading the DLQ: %v", err)
	}
	reason := ""
	for _, hd := range m.Headers {
		if hd.Key == bus.HeaderError {
			reason = string(hd.Value)
		}
	}
	if string(m.Key) != bad.ID || !strings.Contains(reason, "exception") {
		t.Errorf("DLQ message %s with reason %q, want %s with the Elasticsearch reason", m.Key, reason, bad.ID)
	}
	if _, err := h.direct.Get(ctx, bad.ID); err == nil {
		t.Errorf("the rejected post is in the index")
	}
	if lag, err := r.ReadLag(ctx); err == nil && lag != 0 {
		t.Errorf("DLQ holds %d more messages, want only the bad post", lag)
	}
}

func postsWithBad(n int, seed uint64) (all, good []*post.Post, bad *post.Post) {
	good = storetest.Generate(n, seed)
	bad = badPost()
	all = append(append(append([]*post.Post{}, good[:n/2]...), bad), good[n/2:]...)
	return all, good, bad
}

// TestFaultElasticsearch429 runs the index stage against the real Kafka and Elasticsearch
// through a proxy that first answers every _bulk with 429 for 3 s, then rewrites every
// other item of each _bulk answer to a 429 item failure for 3 s. Afterwards every post is
// in the index exactly once and the one document Elasticsearch rejects (mapping error) is
// in the DLQ with its reason.
func TestFaultElasticsearch429(t *testing.T) {
	es := testinfra.ElasticsearchURL(t)
	fp := newFaultProxy(t, es)
	h := newHarness(t, fp.srv.URL, es)
	all, good, bad := postsWithBad(3000, 7)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pubDone := make(chan error, 1)
	go func() { pubDone <- h.publish(ctx, all, 100, 30*time.Millisecond) }()
	time.Sleep(300 * time.Millisecond)
	fp.mode.Store(modeBulk429)
	time.Sleep(3 * time.Second)
	if err := h.ix.Ready(ctx); err == nil {
		t.Errorf("Ready during 3 s of 429s (grace 2 s): nil, want backpressure")
	}
	fp.mode.Store(modeItem429)
	time.Sleep(3 * time.Second)
	fp.mode.Store(modePass)
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	h.verify(good, bad, 60*time.Second)
	if fp.injected.Load() < 5 {
		t.Errorf("only %d faults injected; the test did not exercise retries", fp.injected.Load())
	}
	if err := h.ix.Ready(ctx); err != nil {
		t.Errorf("Ready after recovery: %v", err)
	}
	t.Logf("%d faults injected (whole-request and item 429s)", fp.injected.Load())
}

// TestFaultElasticsearchUnreachable: Elasticsearch unreachable (connections dropped by the
// proxy) for 10 s mid-stream, then back. Nothing lost, nothing twice, the bad post in the
// DLQ. TestFaultElasticsearchStopped does the same with a real process stop of 30 s.
func TestFaultElasticsearchUnreachable(t *testing.T) {
	es := testinfra.ElasticsearchURL(t)
	fp := newFaultProxy(t, es)
	h := newHarness(t, fp.srv.URL, es)
	all, good, bad := postsWithBad(3000, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pubDone := make(chan error, 1)
	go func() { pubDone <- h.publish(ctx, all, 100, 20*time.Millisecond) }()
	time.Sleep(300 * time.Millisecond)
	fp.mode.Store(modeRefuse)
	time.Sleep(10 * time.Second)
	if err := h.ix.Ready(ctx); err == nil {
		t.Errorf("Ready while Elasticsearch is unreachable: nil, want backpressure")
	}
	fp.mode.Store(modePass)
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	h.verify(good, bad, 60*time.Second)
}

// TestFaultElasticsearchStopped stops a real Elasticsearch process for 30 s mid-stream and
// starts it again. It needs its own node, never the shared one: set
// LANGNGHE_TEST_ES_FAULT_PORT (e.g. 19230) to the port of a node started with
// LANGNGHE_ES_PORT=19230 testinfra/elasticsearch.sh start. It takes about 2 minutes.
func TestFaultElasticsearchStopped(t *testing.T) {
	port := os.Getenv("LANGNGHE_TEST_ES_FAULT_PORT")
	if port == "" || port == "19200" {
		testinfra.Missing(t, "no private Elasticsearch node for the stop/start test (LANGNGHE_TEST_ES_FAULT_PORT unset or 19200)",
			"start one with testinfra/es-fault.sh start (or testinfra/up.sh), then . .testinfra/env")
	}
	es := "http://127.0.0.1:" + port
	if resp, err := http.Get(es); err != nil {
		testinfra.Missing(t, fmt.Sprintf("no Elasticsearch on %s (LANGNGHE_TEST_ES_FAULT_PORT): %v", es, err),
			"start it with testinfra/es-fault.sh start")
	} else {
		resp.Body.Close()
	}
	script := filepath.Join("..", "testinfra", "elasticsearch.sh")
	esctl := func(action string) {
		cmd := exec.Command(script, action)
		cmd.Env = append(os.Environ(), "LANGNGHE_ES_PORT="+port, "LANGNGHE_ES_HEAP=512m")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("elasticsearch.sh %s: %v\n%s", action, err, out)
		}
	}
	h := newHarness(t, es, es)
	all, good, bad := postsWithBad(4000, 9)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pubDone := make(chan error, 1)
	go func() { pubDone <- h.publish(ctx, all, 50, 40*time.Millisecond) }()
	before := 0
	for wait := time.Now().Add(30 * time.Second); before < 500 && time.Now().Before(wait); before = h.count(ctx) {
		time.Sleep(200 * time.Millisecond) // mid-stream: some posts in, most still to come
	}
	esctl("stop")
	stopped := time.Now()
	time.Sleep(30 * time.Second)
	if err := h.ix.Ready(ctx); err == nil {
		t.Errorf("Ready while Elasticsearch is stopped: nil, want backpressure")
	}
	esctl("start")
	t.Logf("Elasticsearch stopped with %d posts indexed, back after %s", before, time.Since(stopped).Round(time.Second))
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	h.verify(good, bad, 2*time.Minute)
}

// TestFaultMemoryBoundedWhileDown: Elasticsearch unreachable for 2 minutes (opt-in:
// LANGNGHE_TEST_LONG=1) or 20 s while posts are replayed steadily; the heap stays bounded
// (the consumer stops fetching instead of buffering) and everything is indexed after.
func TestFaultMemoryBoundedWhileDown(t *testing.T) {
	down := 20 * time.Second
	if os.Getenv("LANGNGHE_TEST_LONG") != "" {
		down = 2 * time.Minute
	}
	es := testinfra.ElasticsearchURL(t)
	fp := newFaultProxy(t, es)
	h := newHarness(t, fp.srv.URL, es)
	rate := 200 // posts/s
	n := int(down.Seconds()+10) * rate
	good := storetest.Generate(n, 11)
	ctx, cancel := context.WithTimeout(context.Background(), down+3*time.Minute)
	defer cancel()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	fp.mode.Store(modeRefuse)
	pubDone := make(chan error, 1)
	go func() { pubDone <- h.publish(ctx, good, rate/10, 100*time.Millisecond) }()
	var peak uint64
	end := time.Now().Add(down)
	for time.Now().Before(end) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		time.Sleep(time.Second)
	}
	fp.mode.Store(modePass)
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	grow := int64(peak) - int64(base)
	t.Logf("Elasticsearch down %s under %d posts/s: heap in use %d MB at start, peak %d MB (+%d MB); %d posts published",
		down, rate, base>>20, peak>>20, grow>>20, n)
	// One batch in flight plus the reader's prefetch: a few MB. Buffering the whole
	// replay would be n posts of ~1 KB each and more.
	if limit := int64(64 << 20); grow > limit {
		t.Errorf("heap grew %d MB while Elasticsearch was down, want under %d MB", grow>>20, limit>>20)
	}
	h.verify(good, nil, 2*time.Minute)
}
