package alerts_test

import (
	"testing"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/models/alerts"
	"github.com/langnghe/langnghe/store/query"
)

// TestSamplesLoad: the shipped sample rules load without error, one of each kind, and
// every query parses in the store's query language.
func TestSamplesLoad(t *testing.T) {
	rs, errs := alerting.LoadFS(alerts.FS(), "models/alerts")
	if len(errs) > 0 {
		t.Fatalf("sample rules: %v", errs)
	}
	kinds := map[alerting.Kind]bool{}
	for _, r := range rs.Rules {
		kinds[r.Kind] = true
		if _, err := query.Parse(r.Query.Text); err != nil {
			t.Errorf("%s: %v", r.ID, err)
		}
	}
	for _, k := range []alerting.Kind{alerting.KindMatch, alerting.KindThreshold, alerting.KindSpike, alerting.KindDigest} {
		if !kinds[k] {
			t.Errorf("no %s sample", k)
		}
	}
}
