// Package deploy holds operations files; its tests check them with the real tools.
package deploy

import (
	"os/exec"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

func TestPrometheusConfig(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		testinfra.Missing(t, "promtool not installed", "testinfra/prometheus.sh install installs Debian's prometheus package")
	}
	out, err := exec.Command(promtool, "check", "config", "prometheus/prometheus.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}
