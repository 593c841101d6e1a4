package crawler

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the per-source crawler metrics. Create one with NewMetrics per registry and
// share it between the Runner and the Fetchers. A nil *Metrics records nothing.
type Metrics struct {
	requests    *prometheus.CounterVec
	errors      *prometheus.CounterVec
	posts       *prometheus.CounterVec
	passes      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	lag         *prometheus.GaugeVec
	degraded    *prometheus.GaugeVec
	passSeconds *prometheus.HistogramVec
}

// NewMetrics registers the crawler metrics on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "langnghe_crawler_requests_total",
			Help: "HTTP requests made per source, by status code (\"error\" when none came back)."}, []string{"source", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "langnghe_crawler_errors_total",
			Help: "Failed crawl passes per source, by error kind (robots, private, too_large, throttled, http_status, parse, timeout, network, sink, cursor, other)."}, []string{"source", "kind"}),
		posts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "langnghe_crawler_posts_emitted_total",
			Help: "Posts emitted to the sink per source."}, []string{"source"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "langnghe_crawler_passes_total",
			Help: "Crawl passes per source, by result (ok, error)."}, []string{"source", "result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "langnghe_crawler_last_success_timestamp_seconds",
			Help: "Unix time of the last successful pass per source."}, []string{"source"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "langnghe_crawler_cursor_lag_seconds",
			Help: "Seconds between now and the newest post the source's cursor has seen, at the end of the last successful pass."}, []string{"source"}),
		degraded: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "langnghe_crawler_source_degraded",
			Help: "1 while the source's last pass failed (why: langnghe_crawler_errors_total and /api/sources), 0 after a pass succeeds."}, []string{"source"}),
		passSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "langnghe_crawler_pass_seconds",
			Help: "Duration of crawl passes per source.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}, []string{"source"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.errors, m.posts, m.passes, m.lastSuccess, m.lag, m.degraded, m.passSeconds)
	}
	return m
}

func (m *Metrics) request(source, code string) {
	if m != nil {
		m.requests.WithLabelValues(source, code).Inc()
	}
}
