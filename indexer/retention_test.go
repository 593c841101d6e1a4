package indexer

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/store/storetest"
)

// TestRetentionSchedule: with a 30-day period at 2026-12-01, the scheduled run deletes the
// October fixtures (published before 2026-11-01) from a real bleve store at once, the
// dry-run plan listed exactly those beforehand, and the metric counts them.
func TestRetentionSchedule(t *testing.T) {
	st, err := blevestore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Index(ctx, storetest.Fixtures()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := NewRetention(st, 30*24*time.Hour, WithEvery(20*time.Millisecond), WithRetentionMetrics(reg),
		WithRetentionClock(func() time.Time { return now }))
	plan, err := r.Plan(ctx)
	if err != nil || len(plan) != 1 || plan[0].Posts != 13 {
		t.Fatalf("Plan = %+v, %v; want 13 posts", plan, err)
	}
	if n, _ := st.Count(); n != len(storetest.Fixtures()) {
		t.Fatalf("the plan deleted something: %d left", n)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(r.runs.WithLabelValues("ok")) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := testutil.ToFloat64(r.deleted); got != 13 {
		t.Errorf("deleted metric %v, want 13 (later runs find nothing)", got)
	}
	res, err := st.Search(ctx, store.Query{To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || res.Total != 0 {
		t.Errorf("posts before the cut remain: %v %v", res, err)
	}
	if n, _ := st.Count(); n != len(storetest.Fixtures())-13 {
		t.Errorf("%d posts left, want %d", n, len(storetest.Fixtures())-13)
	}
}
