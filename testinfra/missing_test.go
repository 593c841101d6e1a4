package testinfra_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

// recorder is a testing.TB that records how a helper ended the test instead of ending this
// one. Skipf and Fatalf stop the calling goroutine, as the real ones do.
type recorder struct {
	testing.TB
	ended string // "skip" or "fatal"
	msg   string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.ended, r.msg = "skip", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.ended, r.msg = "fatal", fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder on its own goroutine (Goexit must not end the real test).
func run(t *testing.T, f func(tb testing.TB) string) (r *recorder, result string) {
	r = &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		result = f(r)
	}()
	<-done
	return r, result
}

func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		ci, want string
	}{
		{ci: "", want: "skip"},
		{ci: "0", want: "skip"},
		{ci: "1", want: "fatal"},
	} {
		t.Run("LANGNGHE_CI="+tc.ci, func(t *testing.T) {
			t.Setenv(testinfra.EnvCI, tc.ci)
			r, _ := run(t, func(tb testing.TB) string {
				testinfra.Missing(tb, "widget not running", "start it with widget.sh")
				return ""
			})
			if r.ended != tc.want {
				t.Fatalf("Missing ended the test with %q, want %q", r.ended, tc.want)
			}
			if !strings.Contains(r.msg, "widget not running") || !strings.Contains(r.msg, "start it with widget.sh") {
				t.Errorf("message %q does not say what is missing and how to get it", r.msg)
			}
		})
	}
}

func TestNeedShared(t *testing.T) {
	shared := t.TempDir()
	if err := os.MkdirAll(filepath.Join(shared, "fixtures", "rss"), 0o755); err != nil {
		t.Fatal(err)
	}
	feed := filepath.Join(shared, "fixtures", "rss", "feed.xml")
	if err := os.WriteFile(feed, []byte("<rss/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LANGNGHE_SHARED", shared)

	t.Setenv(testinfra.EnvCI, "1")
	r, got := run(t, func(tb testing.TB) string { return testinfra.NeedShared(tb, "fixtures/rss/feed.xml") })
	if r.ended != "" || got != feed {
		t.Errorf("present file: ended %q (%s), path %q; want %q", r.ended, r.msg, got, feed)
	}

	r, _ = run(t, func(tb testing.TB) string { return testinfra.NeedShared(tb, "data/vihsd/train.csv") })
	if r.ended != "fatal" || !strings.Contains(r.msg, "../shared/data/vihsd/train.csv") {
		t.Errorf("absent file under CI: ended %q with %q, want a failure naming ../shared/data/vihsd/train.csv", r.ended, r.msg)
	}

	t.Setenv(testinfra.EnvCI, "")
	r, _ = run(t, func(tb testing.TB) string { return testinfra.NeedShared(tb, "data/vihsd/train.csv") })
	if r.ended != "skip" || !strings.Contains(r.msg, "LANGNGHE_SHARED") {
		t.Errorf("absent file outside CI: ended %q with %q, want a skip saying how to get it", r.ended, r.msg)
	}
}
