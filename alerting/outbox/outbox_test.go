package outbox_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/alerting/notifiertest"
	"github.com/langnghe/langnghe/alerting/outbox"
)

// TestConformance: the outbox passes the notifier suite. Breaking it replaces the outbox
// directory by a regular file, so every write fails until it is put back.
func TestConformance(t *testing.T) {
	notifiertest.Run(t, func(t *testing.T) *notifiertest.Harness {
		dir := filepath.Join(t.TempDir(), "outbox")
		n := outbox.New(dir, "canhbao@langnghe.test")
		return &notifiertest.Harness{
			Notifier:   n,
			Idempotent: true,
			Raw: func(t testing.TB, rcpt string) [][]byte {
				entries, _ := os.ReadDir(dir)
				var names []string
				for _, e := range entries {
					if strings.HasSuffix(e.Name(), ".eml") && !strings.HasPrefix(e.Name(), ".") {
						names = append(names, e.Name())
					}
				}
				sort.Strings(names) // files are named by queue sequence
				var out [][]byte
				for _, name := range names {
					b, err := os.ReadFile(filepath.Join(dir, name))
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(string(b), rcpt) {
						out = append(out, b)
					}
				}
				return out
			},
			Break: func(t testing.TB) {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dir, []byte("not a directory"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			Repair: func(t testing.TB) {
				if err := os.Remove(dir); err != nil {
					t.Fatal(err)
				}
			},
		}
	})
}
