// Package indexer is the Kafka-to-store stage: it decodes classified posts and writes them
// to the search store in batches. Offsets are committed by bus.Consumer only after every
// post of a batch was written or dead-lettered, so a crash re-delivers, and the store's
// upsert by post id turns re-delivery into an overwrite, never a duplicate.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// Indexer writes batches of posts.classified messages to a store.Store.
type Indexer struct {
	st      store.Store
	log     *slog.Logger
	docs    *prometheus.CounterVec
	latency prometheus.Histogram
}

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
		reg.MustRegister(ix.docs, ix.latency)
	}
}

// New returns an Indexer writing to st.
func New(st store.Store, opts ...Option) *Indexer {
	ix := &Indexer{st: st, log: slog.New(slog.DiscardHandler)}
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
	byID := make(map[string][]int, len(msgs)) // post id → message indexes
	slot := make(map[string]int, len(msgs))   // post id → index in posts
	for i, m := range msgs {
		p, err := post.Decode(m.Value)
		if err != nil {
			errs[i] = bus.Permanent(err)
			ix.count("rejected", 1)
			continue
		}
		if j, seen := slot[p.ID]; seen {
			posts[j] = p // a later message for the same id wins, as it would in the store
		} else {
			slot[p.ID] = len(posts)
			posts = append(posts, p)
		}
		byID[p.ID] = append(byID[p.ID], i)
	}
	if len(posts) == 0 {
		return errs
	}
	start := time.Now()
	err := ix.st.Index(ctx, posts)
	if ix.latency != nil {
		ix.latency.Observe(time.Since(start).Seconds())
	}
	var be *store.BatchError
	switch {
	case err == nil:
		ix.count("indexed", len(posts))
	case errors.As(err, &be):
		failed := 0
		for _, item := range be.Items {
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
