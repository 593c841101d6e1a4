package triage_test

import (
	"testing"

	"github.com/langnghe/langnghe/triage"
	"github.com/langnghe/langnghe/triage/triagetest"
)

func TestTriageFileConformance(t *testing.T) {
	triagetest.Run(t, func(t *testing.T) (triage.Store, func(t *testing.T) triage.Store) {
		dir := t.TempDir()
		f, err := triage.OpenFile(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f, func(t *testing.T) triage.Store {
			g, err := triage.OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { g.Close() })
			return g
		}
	})
}
