package alerting

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestWatchDirReloads: a new rule file is picked up; a file edited into an error is
// rejected with file:line while the other file's rules keep running.
func TestWatchDirReloads(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rule := func(id string) string {
		return "rules:\n  - id: " + id + "\n    kind: match\n    query: 'narrative:scam'\n    recipients: [a@example.vn]\n"
	}
	write("a.yaml", rule("a"))
	rs, errs := LoadDir(dir)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, err := NewEngine(rs, filepath.Join(dir, "state", "s.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go WatchDir(ctx, dir, 20*time.Millisecond, e, slog.New(slog.NewTextHandler(&logs, nil)))
	ids := func() string {
		var out []string
		for _, r := range e.Rules().Rules {
			out = append(out, r.ID)
		}
		return strings.Join(out, ",")
	}
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for ids() != want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := ids(); got != want {
			t.Fatalf("rules %q, want %q", got, want)
		}
	}
	write("b.yaml", rule("b"))
	wait("a,b")
	write("b.yaml", rule("b")+"    severity: loud\n")
	wait("a")
	if !strings.Contains(logs.String(), "b.yaml:6: rules[0].severity") {
		t.Errorf("log lacks file:line: %s", logs.String())
	}
}
