// Package indexer is the Kafka-to-store stage: it decodes classified posts and writes them
// to the search store in batches. Offsets are committed by bus.Consumer only after every
// post of a batch was written or dead-lettered, so a crash re-delivers, and the store's
// upsert by post id turns re-delivery into an overwrite, never a duplicate.
package indexer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// Indexer writes batches of posts.classified messages to a store.Store.
type Indexer struct {
	st      store.Store
	enc     store.DocumentEncoder // st, when it can encode ahead; else nil
	log     *slog.Logger
	docs    *prometheus.CounterVec
	latency prometheus.Histogram
	backoff prometheus.Gauge
	fresh   *prometheus.HistogramVec // freshness.go
	grace   time.Duration
	now     func() time.Time

	mu           sync.Mutex
	failingSince time.Time // zero while the store takes writes
	lastErr      string

	prepMu sync.Mutex
	prep   map[msgKey]prepared // filled by Prepare, emptied by Process
}

// msgKey names a Kafka message: a topic, partition and offset always hold the same one.
type msgKey struct {
	topic     string
	partition int
	offset    int64
}

// prepared is a message decoded, and encoded for the store when it can be, by Prepare.
type prepared struct {
	value []byte // the message value it was made from, checked again on use
	p     *post.Post
	err   error
	doc   []byte // nil: the store encodes the post itself
}

// maxPrepared bounds the entries Prepare keeps: two default batches are in use at a time;
// more only pile up when prepared batches are abandoned (shutdown, rebalance).
const maxPrepared = 4096

// DefaultReadyGrace is how long the store may refuse writes before Ready reports it.
const DefaultReadyGrace = 10 * time.Second

// WithReadyGrace sets how long writes may keep failing before Ready returns an error
// (default DefaultReadyGrace): short hiccups should not flap readiness.
func WithReadyGrace(d time.Duration) Option { return func(ix *Indexer) { ix.grace = d } }

// Option configures an Indexer.
type Option func(*Indexer)

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(ix *Indexer) { ix.log = l } }

// WithMetrics registers the indexer's metrics on reg.
func WithMetrics(reg prometheus.Registerer) Option {
	return func(ix *Indexer) {
		ix.docs = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_indexer_documents_total",
			Help: "Documents handled by the indexer, by result (indexed, rejected, retry).",
		}, []string{"result"})
		ix.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "langnghe_indexer_store_write_seconds",
			Help:    "Time of one batch write to the store.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14),
		})
		ix.backoff = prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "langnghe_indexer_backpressure",
			Help: "1 while the store refuses or throttles writes: the indexer retries with backoff and fetches nothing new from Kafka.",
		})
		reg.MustRegister(ix.docs, ix.latency, ix.backoff)
		ix.fresh = newFreshness(reg)
	}
}

// New returns an Indexer writing to st.
func New(st store.Store, opts ...Option) *Indexer {
	ix := &Indexer{st: st, log: slog.New(slog.DiscardHandler), grace: DefaultReadyGrace, now: time.Now}
	ix.enc, _ = st.(store.DocumentEncoder)
	for _, o := range opts {
		o(ix)
	}
	return ix
}

// Process implements bus.Processor. Undecodable posts and posts the store rejects are
// permanent errors (dead-lettered with the reason); an unavailable store or an item the
// store asks to retry is a transient error (bus.Consumer retries with backoff and stops
// fetching meanwhile).
func (ix *Indexer) Process(ctx context.Context, msgs []bus.Message) []error {
	errs := make([]error, len(msgs))
	posts := make([]*post.Post, 0, len(msgs))
	var docs [][]byte                         // aligned with posts, when the store encodes ahead
	byID := make(map[string][]int, len(msgs)) // post id → message indexes
	slot := make(map[string]int, len(msgs))   // post id → index in posts
	decoded := ix.takePrepared(msgs)
	encodes := ix.enc != nil
	if encodes {
		docs = make([][]byte, 0, len(msgs))
	}
	for i := range msgs {
		p, err := decoded[i].p, decoded[i].err
		if err != nil {
			errs[i] = bus.Permanent(err)
			ix.count("rejected", 1)
			continue
		}
		if j, seen := slot[p.ID]; seen {
			posts[j] = p // a later message for the same id wins, as it would in the store
			if encodes {
				docs[j] = decoded[i].doc
			}
		} else {
			slot[p.ID] = len(posts)
			posts = append(posts, p)
			if encodes {
				docs = append(docs, decoded[i].doc)
			}
		}
		byID[p.ID] = append(byID[p.ID], i)
	}
	if len(posts) == 0 {
		return errs
	}
	start := time.Now()
	var err error
	if encodes {
		err = ix.enc.IndexEncoded(ctx, posts, docs)
	} else {
		err = ix.st.Index(ctx, posts)
	}
	if ix.latency != nil {
		ix.latency.Observe(time.Since(start).Seconds())
	}
	var be *store.BatchError
	retry := err != nil && !errors.As(err, &be)
	if be != nil {
		for _, item := range be.Items {
			retry = retry || !item.Permanent
		}
	}
	ix.setBackpressure(retry, err)
	switch {
	case err == nil:
		ix.count("indexed", len(posts))
		ix.observeFreshness(posts, nil, ix.now())
	case errors.As(err, &be):
		failed := 0
		notWritten := make(map[string]bool, len(be.Items))
		for _, item := range be.Items {
			notWritten[item.ID] = true
			for _, i := range byID[item.ID] {
				if item.Permanent {
					errs[i] = bus.Permanent(fmt.Errorf("store rejected %s: %s", item.ID, item.Reason))
					ix.count("rejected", 1)
				} else {
					errs[i] = fmt.Errorf("store asks to retry %s: %s", item.ID, item.Reason)
					ix.count("retry", 1)
				}
			}
			failed++
		}
		ix.count("indexed", len(posts)-failed)
		ix.observeFreshness(posts, notWritten, ix.now())
	default:
		ix.log.Warn("ghi kho thất bại, sẽ thử lại / store write failed, will retry", "posts", len(posts), "err", err)
		for _, idx := range byID {
			for _, i := range idx {
				errs[i] = fmt.Errorf("writing %d posts: %w", len(posts), err)
			}
		}
		ix.count("retry", len(posts))
	}
	return errs
}

func (ix *Indexer) count(result string, n int) {
	if ix.docs != nil && n > 0 {
		ix.docs.WithLabelValues(result).Add(float64(n))
	}
}

// setBackpressure records whether the last write asked for a retry (store down,
// overloaded or throttling items).
func (ix *Indexer) setBackpressure(on bool, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	switch {
	case on && ix.failingSince.IsZero():
		ix.failingSince = ix.now()
		fallthrough
	case on:
		ix.lastErr = err.Error()
	default:
		ix.failingSince, ix.lastErr = time.Time{}, ""
	}
	if ix.backoff != nil {
		v := 0.0
		if on {
			v = 1
		}
		ix.backoff.Set(v)
	}
}

// ErrBackpressure: the store has refused writes for longer than the ready grace; the
// indexer is backing off and not fetching. It clears by itself once a write succeeds.
var ErrBackpressure = errors.New("indexer backing off: store refuses writes")

// Ready is a readiness check (web.Check): nil unless writes have failed for longer than
// the grace period, then an error wrapping ErrBackpressure with the last store error.
func (ix *Indexer) Ready(ctx context.Context) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.failingSince.IsZero() || ix.now().Sub(ix.failingSince) < ix.grace {
		return nil
	}
	return fmt.Errorf("%w since %s (%s): %s", ErrBackpressure, ix.failingSince.UTC().Format(time.RFC3339),
		ix.now().Sub(ix.failingSince).Round(time.Second), ix.lastErr)
}

// Prepare implements bus.Preparer (the index role passes it to bus.WithPrepare): it
// decodes msgs and, when the store is a store.DocumentEncoder, encodes their documents,
// while Process is still writing the previous batch. Process takes the results by
// topic, partition and offset, checking the message value is the one prepared, and does
// the work itself for any message Prepare did not see.
func (ix *Indexer) Prepare(ctx context.Context, msgs []bus.Message) {
	// One goroutine: it has the whole write of the previous batch to finish, and a second
	// one would take the core Elasticsearch's write thread needs meanwhile (on a two-core
	// host ratio to a plain _bulk loader 0.74-0.93 with two, see BenchmarkIndexerVsBulk).
	out := ix.prepareAll(msgs, true, 1)
	ix.prepMu.Lock()
	defer ix.prepMu.Unlock()
	if ix.prep == nil || len(ix.prep)+len(msgs) > maxPrepared {
		ix.prep = make(map[msgKey]prepared, len(msgs)) // abandoned batches are dropped
	}
	for i, m := range msgs {
		ix.prep[msgKey{m.Topic, m.Partition, m.Offset}] = out[i]
	}
}

// takePrepared returns what Prepare made of msgs, removing it, and decodes the messages it
// did not prepare (their documents are left for the store to encode).
func (ix *Indexer) takePrepared(msgs []bus.Message) []prepared {
	out := make([]prepared, len(msgs))
	var missing []int
	ix.prepMu.Lock()
	for i, m := range msgs {
		k := msgKey{m.Topic, m.Partition, m.Offset}
		if pr, ok := ix.prep[k]; ok && bytes.Equal(pr.value, m.Value) {
			out[i] = pr
			delete(ix.prep, k)
			continue
		}
		missing = append(missing, i)
	}
	ix.prepMu.Unlock()
	if len(missing) == 0 {
		return out
	}
	rest := make([]bus.Message, len(missing))
	for j, i := range missing {
		rest[j] = msgs[i]
	}
	for j, pr := range ix.prepareAll(rest, false, runtime.GOMAXPROCS(0)) {
		out[missing[j]] = pr
	}
	return out
}

// prepareAll decodes the messages (and with encode, encodes their documents when the
// store can) on up to maxWorkers goroutines: this is most of the indexer's CPU.
func (ix *Indexer) prepareAll(msgs []bus.Message, encode bool, maxWorkers int) []prepared {
	out := make([]prepared, len(msgs))
	one := func(i int) {
		pr := &out[i]
		pr.value = msgs[i].Value
		pr.p, pr.err = post.Decode(msgs[i].Value)
		if pr.err == nil && encode && ix.enc != nil {
			pr.doc, _ = ix.enc.EncodeDocument(pr.p) // a post it refuses is reported by the write
		}
	}
	workers := min(maxWorkers, (len(msgs)+99)/100)
	if workers <= 1 {
		for i := range msgs {
			one(i)
		}
		return out
	}
	var wg sync.WaitGroup
	step := (len(msgs) + workers - 1) / workers
	for w := 0; w < len(msgs); w += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				one(i)
			}
		}(w, min(w+step, len(msgs)))
	}
	wg.Wait()
	return out
}
