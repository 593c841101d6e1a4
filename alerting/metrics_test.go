package alerting_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/outbox"
)

// TestAlertCountersStartAtZero: every rule's fired counter and the notifier's sent
// counter exist at 0 before the first alert, so the Grafana panels built on their rate()
// show 0, not "no data", on a fresh deployment (and after a rule is added by a reload).
func TestAlertCountersStartAtZero(t *testing.T) {
	reg := prometheus.NewRegistry()
	dir := t.TempDir()
	rules := writeRules(t, storeRules, "a@example.invalid")
	e, err := alerting.NewEngine(rules, filepath.Join(dir, "state.json"), outbox.New(filepath.Join(dir, "outbox"), "langnghe@example.invalid"), alerting.WithMetrics(reg))
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP langnghe_alerts_fired_total Alert notifications queued, by rule and kind.
# TYPE langnghe_alerts_fired_total counter
langnghe_alerts_fired_total{kind="digest",rule="tom-tat"} 0
langnghe_alerts_fired_total{kind="spike",rule="dot-bien"} 0
langnghe_alerts_fired_total{kind="threshold",rule="nguong"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "langnghe_alerts_fired_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "langnghe_alerts_sent_total"); n != 1 {
		t.Errorf("langnghe_alerts_sent_total: %d series, want the notifier's one at 0", n)
	}
	e.SetRules(writeRules(t, matchRules, "a@example.invalid"))
	if n := testutil.CollectAndCount(reg, "langnghe_alerts_fired_total"); n < 4 {
		t.Errorf("after a reload adding a match rule: %d fired series, want it added at 0", n)
	}
}
