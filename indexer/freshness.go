package indexer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/post"
)

// Freshness is how old a post is when it becomes searchable: indexed_at minus published_at
// (what an analyst experiences) and indexed_at minus fetched_at (what the pipeline itself
// adds after the crawler). Operators alert on the second; the first also includes how late
// sources publish and how often they are crawled.
func newFreshness(reg prometheus.Registerer) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "langnghe_indexer_freshness_seconds",
		Help: "Age of a post when its store write succeeded: since=\"published\" is indexed_at - published_at, since=\"fetched\" is indexed_at - fetched_at.",
		// 0.25 s .. about 5 days: pipeline latency at the low end, backfills at the high end.
		Buckets: prometheus.ExponentialBuckets(0.25, 3, 14),
	}, []string{"since"})
	reg.MustRegister(h)
	return h
}

// observeFreshness records the age of every post written at now; failed holds the ids the
// store did not take. Timestamps in the future (clock skew at the source) count as 0.
func (ix *Indexer) observeFreshness(posts []*post.Post, failed map[string]bool, now time.Time) {
	if ix.fresh == nil {
		return
	}
	pub, fetch := ix.fresh.WithLabelValues("published"), ix.fresh.WithLabelValues("fetched")
	for _, p := range posts {
		if failed[p.ID] {
			continue
		}
		if !p.PublishedAt.IsZero() {
			pub.Observe(max(0, now.Sub(p.PublishedAt).Seconds()))
		}
		if !p.FetchedAt.IsZero() {
			fetch.Observe(max(0, now.Sub(p.FetchedAt).Seconds()))
		}
	}
}
