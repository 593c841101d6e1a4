package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	blevestore "github.com/langnghe/langnghe/store/bleve"
)

// runBinary runs langnghe with args and env and returns its exit code, stderr and how long
// it took; it is killed after limit.
func runBinary(t *testing.T, env []string, limit time.Duration, args ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(buildBinary(t), args...)
	var stderr bytes.Buffer
	cmd.Env, cmd.Stderr = env, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(limit, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	return code, stderr.String(), time.Since(start)
}

// TestBusyDataDirFailsFast: while `run` holds a data dir, every command that needs it
// fails within seconds with "data dir in use by PID n" (issue 11: `retention --dry-run`
// waited forever on the index lock); once the holder is SIGKILLed, the stale lock file
// does not block the next command.
func TestBusyDataDirFailsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANGNGHE_DATA_DIR=" + data, "LANGNGHE_HTTP_LISTEN=" + freePort(t)}
	holder := startRole(t, env, dir, "run")
	pid := strconv.Itoa(holder.cmd.Process.Pid)
	eventually(t, 30*time.Second, "run holds the data dir lock", func() error {
		b, err := os.ReadFile(filepath.Join(data, lockFileName))
		if err != nil || strings.TrimSpace(string(b)) != pid {
			return fmt.Errorf("lock file %q, %v", b, err)
		}
		return nil
	})
	other := append(env[:len(env):len(env)], "LANGNGHE_HTTP_LISTEN="+freePort(t))
	for _, args := range [][]string{
		{"retention", "--dry-run"},
		{"retention"},
		{"serve"},
		{"run"},
		{"alert", "--kafka.brokers", "127.0.0.1:9"},
		{"crawl", "--once", "--out", filepath.Join(dir, "out.jsonl"), "--sources", writeSources(t, dir)},
	} {
		code, stderr, took := runBinary(t, other, 20*time.Second, args...)
		if code == 0 || !strings.Contains(stderr, "data dir in use by PID "+pid) || took > 5*time.Second {
			t.Errorf("%v while run holds the data dir: exit %d after %v, stderr:\n%s\nwant a failure within 5 s saying \"data dir in use by PID %s\"", args, code, took.Round(time.Millisecond), stderr, pid)
		}
	}
	holder.kill()
	code, stderr, _ := runBinary(t, other, 20*time.Second, "retention", "--dry-run")
	if code != 0 {
		t.Errorf("retention --dry-run after the holder was killed: exit %d: %s", code, stderr)
	}
}

func writeSources(t *testing.T, dir string) string {
	p := filepath.Join(dir, "sources.yaml")
	if err := os.WriteFile(p, []byte("contact: https://example.org\nsources:\n  - {name: a, kind: rss, url: \"http://127.0.0.1:9/feed\", allow_private: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCommandStopsOnSignal: a command blocked on the bleve index another process holds
// (here: this test, which takes bleve's own lock without the data dir lock) stops within
// 2 s of SIGINT or SIGTERM instead of ignoring them.
func TestCommandStopsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the binary; skipped with -short")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		dir := t.TempDir()
		st, err := blevestore.Open(filepath.Join(dir, "bleve"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(buildBinary(t), "retention", "--dry-run")
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANGNGHE_DATA_DIR=" + dir}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(700 * time.Millisecond) // inside the open, waiting on bleve's lock
		sent := time.Now()
		_ = cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
			if took := time.Since(sent); took > 2*time.Second {
				t.Errorf("%v: stopped %v after the signal, want under 2 s", sig, took)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%v: retention --dry-run still running 10 s after the signal; stderr:\n%s", sig, stderr.String())
		}
		st.Close()
	}
}
