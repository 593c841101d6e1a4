// Package deploy holds operations files; its tests check them with the real tools where
// this machine has them (promtool) and by structure where it cannot run them (compose,
// Kibana, Kubernetes).
package deploy

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

// promtool finds promtool the way testinfra/prometheus.sh does: on PATH, from Debian's
// prometheus package.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		testinfra.Missing(t, "promtool not installed", "testinfra/prometheus.sh install installs Debian's prometheus package")
	}
	return p
}

func runPromtool(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(promtool(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	t.Logf("promtool %v:\n%s", args, out)
}

// TestPrometheusConfig checks the compose scrape config and, through its rule_files, the
// rules it loads.
func TestPrometheusConfig(t *testing.T) {
	runPromtool(t, "check", "config", "prometheus/prometheus.yml")
}

// TestPrometheusRules: every rule file passes `promtool check rules`, and the unit tests
// (each alert fires on its condition, stays silent before its `for` and on the look-alike
// series) pass `promtool test rules`.
func TestPrometheusRules(t *testing.T) {
	rules, _ := filepath.Glob("prometheus/rules/*.yml")
	tests, _ := filepath.Glob("prometheus/tests/*.yml")
	if len(rules) == 0 || len(tests) == 0 {
		t.Fatalf("want rule files and rule tests, got %v and %v", rules, tests)
	}
	runPromtool(t, append([]string{"check", "rules"}, rules...)...)
	runPromtool(t, append([]string{"test", "rules"}, tests...)...)
}
