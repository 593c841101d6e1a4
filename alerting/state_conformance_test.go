package alerting_test

import (
	"path/filepath"
	"testing"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/statetest"
)

// TestFileStateStoreConformance: the state file of the embedded mode passes the
// StateStore suite (it serves one replica, so the concurrent-writer case is skipped).
func TestFileStateStoreConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) statetest.Opener {
		path := filepath.Join(t.TempDir(), "alerts", "state.json")
		return func() alerting.StateStore { return alerting.FileStateStore{Path: path} }
	}, false)
}
