package alerting_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/alerting"
)

// TestHistorySpool: records written while the history index is down wait in the spool
// (the backlog gauge counts them), survive a restart of the process (and a torn last
// line from a crash mid-append), and land in the order they were recorded once the index
// answers; then the spool file is empty.
func TestHistorySpool(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts", "history.spool")
	hist := &historyMem{docs: map[string]string{}}
	hist.down.Store(true)
	reg := prometheus.NewRegistry()
	open := func(reg prometheus.Registerer) *alerting.HistorySpool {
		opts := []alerting.SpoolOption{alerting.WithSpoolBackoff(time.Millisecond, 10*time.Millisecond)}
		if reg != nil {
			opts = append(opts, alerting.WithSpoolMetrics(reg))
		}
		s, err := alerting.OpenHistorySpool(path, hist, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open(reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	var want []string
	for i := range 6 {
		status := alerting.StatusQueued
		if i%2 == 1 {
			status = alerting.StatusSent
		}
		id := fmt.Sprintf("a%d", i/2)
		if err := s.Record(ctx, &alerting.Notification{ID: id, Status: status, Text: "body", HTML: "<p>body</p>"}); err != nil {
			t.Fatal(err)
		}
		want = append(want, id+":"+status)
	}
	time.Sleep(30 * time.Millisecond) // a few failed attempts
	if got := testutil.ToFloat64(mustGauge(t, reg)); got != 6 {
		t.Fatalf("langnghe_alerts_history_backlog = %v during the outage, want 6", got)
	}
	cancel()
	<-done
	s.Close()
	// A crash in the middle of an append leaves a torn line.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"torn","sta`)
	f.Close()

	s = open(nil) // restart
	if s.Backlog() != 6 {
		t.Fatalf("backlog after restart: %d, want 6", s.Backlog())
	}
	hist.down.Store(false)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for s.Backlog() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	hist.mu.Lock()
	got := append([]string(nil), hist.seq...)
	hist.mu.Unlock()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("written in order %v, want %v", got, want)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Errorf("spool after draining: %v %v, want an empty file", st.Size(), err)
	}
	// A record after the drain goes through too.
	s.Record(ctx, &alerting.Notification{ID: "late", Status: alerting.StatusSent})
	for s.Backlog() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if hist.statuses()["late"] != alerting.StatusSent {
		t.Errorf("record after the drain not written: %v", hist.statuses())
	}
}

func mustGauge(t *testing.T, reg *prometheus.Registry) prometheus.Collector {
	t.Helper()
	return gathererCollector{reg, "langnghe_alerts_history_backlog"}
}

// gathererCollector re-exposes one metric family of a registry for testutil.ToFloat64.
type gathererCollector struct {
	reg  *prometheus.Registry
	name string
}

func (g gathererCollector) Describe(chan<- *prometheus.Desc) {}
func (g gathererCollector) Collect(ch chan<- prometheus.Metric) {
	mfs, _ := g.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == g.name {
			ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(g.name, "x", nil, nil), prometheus.GaugeValue, mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
}
