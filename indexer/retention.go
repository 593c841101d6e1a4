package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/store"
)

// DefaultRetention is how long posts are kept (../shared/DESIGN.md, "Responsible scope": 90 days).
const DefaultRetention = 90 * 24 * time.Hour

// DefaultRetentionEvery is how often the index role applies retention.
const DefaultRetentionEvery = time.Hour

// Retention deletes posts older than a retention period from a store, on a schedule. The
// index role runs it; `langnghe retention --dry-run` uses Plan. Deleting is idempotent,
// so several index processes running it at once is harmless.
type Retention struct {
	st      store.Store
	period  time.Duration
	every   time.Duration
	now     func() time.Time
	log     *slog.Logger
	deleted prometheus.Counter
	runs    *prometheus.CounterVec
}

// RetentionOption configures a Retention.
type RetentionOption func(*Retention)

// WithEvery sets the interval between runs (default DefaultRetentionEvery).
func WithEvery(d time.Duration) RetentionOption {
	return func(r *Retention) {
		if d > 0 {
			r.every = d
		}
	}
}

// WithRetentionLogger sets the logger.
func WithRetentionLogger(l *slog.Logger) RetentionOption { return func(r *Retention) { r.log = l } }

// WithRetentionClock sets the clock (tests).
func WithRetentionClock(now func() time.Time) RetentionOption {
	return func(r *Retention) { r.now = now }
}

// WithRetentionMetrics registers langnghe_retention_deleted_total and
// langnghe_retention_runs_total{result} on reg.
func WithRetentionMetrics(reg prometheus.Registerer) RetentionOption {
	return func(r *Retention) {
		r.deleted = prometheus.NewCounter(prometheus.CounterOpts{
			Name: "langnghe_retention_deleted_total",
			Help: "Posts deleted by retention.",
		})
		r.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_retention_runs_total",
			Help: "Retention runs by result (ok, error).",
		}, []string{"result"})
		reg.MustRegister(r.deleted, r.runs)
	}
}

// ErrNoRetention: the store cannot delete old posts (it implements no store.Retainer).
var ErrNoRetention = errors.New("store does not support retention")

// NewRetention returns a Retention keeping period (0: DefaultRetention) of posts in st.
func NewRetention(st store.Store, period time.Duration, opts ...RetentionOption) *Retention {
	if period <= 0 {
		period = DefaultRetention
	}
	r := &Retention{st: st, period: period, every: DefaultRetentionEvery, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Cut is the time before which posts are deleted now.
func (r *Retention) Cut() time.Time { return r.now().Add(-r.period) }

// Plan lists what Once would delete now, without deleting (stores without a
// store.RetentionPlanner give ErrNoRetention).
func (r *Retention) Plan(ctx context.Context) ([]store.RetentionItem, error) {
	pl, ok := r.st.(store.RetentionPlanner)
	if !ok {
		return nil, ErrNoRetention
	}
	return pl.PlanBefore(ctx, r.Cut())
}

// Once deletes the posts published before Cut and returns how many.
func (r *Retention) Once(ctx context.Context) (int, error) {
	rt, ok := r.st.(store.Retainer)
	if !ok {
		return 0, ErrNoRetention
	}
	cut := r.Cut()
	n, err := rt.DeleteBefore(ctx, cut)
	if r.deleted != nil {
		r.deleted.Add(float64(n))
		result := "ok"
		if err != nil {
			result = "error"
		}
		r.runs.WithLabelValues(result).Inc()
	}
	if err != nil {
		return n, fmt.Errorf("retention before %s: %w", cut.Format(time.RFC3339), err)
	}
	if n > 0 {
		r.log.Info("xóa dữ liệu quá hạn / retention deleted old posts", "posts", n, "before", cut, "period", r.period)
	}
	return n, nil
}

// Run applies retention at once and then every interval (with ±10% jitter so several
// index processes spread out) until ctx ends. A failed run is logged and retried at the
// next tick; Run returns nil when ctx ends, or ErrNoRetention at once.
func (r *Retention) Run(ctx context.Context) error {
	if _, ok := r.st.(store.Retainer); !ok {
		return ErrNoRetention
	}
	for {
		if _, err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("retention failed; retrying at the next run", "err", err, "next_in", r.every)
		}
		d := r.every + time.Duration((rand.Float64()*0.2-0.1)*float64(r.every))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
