package classifier

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestReloaderFileChange: an edit to the model directory loads the new model; a broken
// edit keeps the old one and says why; fixing it loads again.
func TestReloaderFileChange(t *testing.T) {
	dir := copyModelDir(t)
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	load := func() (Model, error) { return Load(dir) }
	r := NewReloader(dir, load, WithReloadInterval(time.Second), WithReloadLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithReloadMetrics(reg))
	defer r.Close()
	now := time.Now()
	if m := r.Check(now.Add(2 * time.Second)); m != nil {
		t.Fatalf("reload %s without a change", m.Name())
	}
	manifest := filepath.Join(dir, "model.yaml")
	write := func(body string, at time.Time) {
		t.Helper()
		if err := os.WriteFile(manifest, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(manifest, at, at); err != nil {
			t.Fatal(err)
		}
	}
	write("name: ops\nversion: '2'\n", now.Add(time.Minute))
	if m := r.Check(now.Add(2500 * time.Millisecond)); m != nil {
		t.Fatalf("checked again before the interval: %v", m.Name())
	}
	m := r.Check(now.Add(4 * time.Second))
	if m == nil || m.Name() != "ops@2" {
		t.Fatalf("after the edit got %v, want ops@2; logs: %s", m, logs.String())
	}
	write("name: ops\n", now.Add(2*time.Minute)) // no version: invalid
	if m := r.Check(now.Add(6 * time.Second)); m != nil {
		t.Fatalf("a broken model was returned: %s", m.Name())
	}
	if !strings.Contains(logs.String(), "keeping the old model") || !strings.Contains(logs.String(), "model.yaml") {
		t.Errorf("failure not logged with the file: %s", logs.String())
	}
	if m := r.Check(now.Add(8 * time.Second)); m != nil {
		t.Fatal("the same broken files were loaded again")
	}
	write("name: ops\nversion: '3'\n", now.Add(3*time.Minute))
	if m := r.Check(now.Add(10 * time.Second)); m == nil || m.Name() != "ops@3" {
		t.Fatalf("after the fix got %v", m)
	}
	if ok, failed := testutil.ToFloat64(r.reloads.WithLabelValues("ok")), testutil.ToFloat64(r.reloads.WithLabelValues("failed")); ok != 2 || failed != 1 {
		t.Errorf("reloads ok=%v failed=%v, want 2 and 1", ok, failed)
	}
}

// TestReloaderSIGHUP: SIGHUP forces a reload at the next check, without waiting.
func TestReloaderSIGHUP(t *testing.T) {
	dir := copyModelDir(t)
	r := NewReloader(dir, func() (Model, error) { return Load(dir) }, WithSIGHUP(), WithReloadLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))))
	defer r.Close()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := r.Check(time.Now()); m != nil {
			if m.Name() != "default@2026.11.1" {
				t.Errorf("reloaded %s", m.Name())
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("SIGHUP did not trigger a reload")
}
