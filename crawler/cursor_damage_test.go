package crawler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/post"
)

// oneSource emits one post per pass.
type oneSource struct{ name string }

func (s oneSource) Name() string { return s.name }
func (s oneSource) Fetch(_ context.Context, cur Cursor, emit Emit) (Cursor, error) {
	tr := NewTracker(cur, 0)
	id := post.MakeID("web", "test", s.name)
	if tr.New(id, time.Now()) {
		if err := emit(&post.Post{ID: id, Platform: "web", Text: "xin chào", PublishedAt: time.Now().Add(-time.Minute)}); err != nil {
			return cur, err
		}
		tr.Add(id, time.Now().Add(-time.Minute))
	}
	return tr.Cursor(), nil
}

// A damaged cursor file (empty, blank, truncated, not JSON, binary) fails its source's
// pass as kind "cursor": the error and one log line name the file and say to delete it,
// /api/sources explains it, the source's degraded gauge is 1, Runner.Check (the soft
// /readyz check) lists it, and the other source keeps crawling. Deleting the file heals it.
func TestDamagedCursorFile(t *testing.T) {
	good, err := json_(t)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{
		"empty":     {},
		"blank":     []byte(" \n"),
		"truncated": good[:len(good)/2],
		"not-json":  []byte("<html>oops</html>"),
		"binary":    {0, 0, 0, 0xff, 0xfe},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fc, err := NewFileCursors(dir)
			if err != nil {
				t.Fatal(err)
			}
			path := fc.path("broken")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = fc.Load(t.Context(), "broken")
			var ce *CursorError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCursorCorrupt) || ce.Path != path || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete it") {
				t.Fatalf("Load = %v, want a CursorError naming %s and saying to delete it", err, path)
			}

			var logs bytes.Buffer
			reg := prometheus.NewRegistry()
			m := NewMetrics(reg)
			sink := SinkFunc(func(context.Context, []*post.Post) error { return nil })
			r := NewRunner([]Scheduled{{Source: oneSource{"broken"}, Kind: "test"}, {Source: oneSource{"fine"}, Kind: "test"}}, fc, sink,
				WithMetrics(m), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if n, _ := r.RunOnce(t.Context(), 2); n != 1 {
				t.Errorf("posts emitted = %d, want 1 (the healthy source's)", n)
			}
			st := map[string]SourceStatus{}
			for _, s := range r.Status() {
				st[s.Name] = s
			}
			if b := st["broken"]; b.State != "error" || b.LastErrorKind != "cursor" || !strings.Contains(b.Problem, "delete it") {
				t.Errorf("broken source status = %+v, want error of kind cursor with a problem saying what to do", b)
			}
			if st["fine"].State != "ok" {
				t.Errorf("healthy source status = %+v", st["fine"])
			}
			if g := testutil.ToFloat64(m.degraded.WithLabelValues("broken")); g != 1 {
				t.Errorf("langnghe_crawler_source_degraded{source=broken} = %v, want 1", g)
			}
			if g := testutil.ToFloat64(m.degraded.WithLabelValues("fine")); g != 0 {
				t.Errorf("langnghe_crawler_source_degraded{source=fine} = %v, want 0", g)
			}
			if err := r.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "broken (cursor)") || strings.Contains(err.Error(), "fine") {
				t.Errorf("Check = %v, want only the broken source listed", err)
			}
			lines := 0
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "cursor file is damaged") {
					lines++
					if !strings.Contains(l, "file="+path) || !strings.Contains(l, "delete it") {
						t.Errorf("log line does not name the file and what to do: %s", l)
					}
				}
			}
			if lines != 1 {
				t.Errorf("%d log lines about the damaged cursor, want 1:\n%s", lines, logs.String())
			}

			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			r.RunOnce(t.Context(), 2)
			if err := r.Check(t.Context()); err != nil {
				t.Errorf("after deleting the file Check = %v, want nil", err)
			}
			if g := testutil.ToFloat64(m.degraded.WithLabelValues("broken")); g != 0 {
				t.Errorf("gauge after recovery = %v, want 0", g)
			}
		})
	}
}

// json_ is a real saved cursor's bytes.
func json_(t *testing.T) ([]byte, error) {
	dir := t.TempDir()
	fc, err := NewFileCursors(dir)
	if err != nil {
		return nil, err
	}
	tr := NewTracker(Cursor{}, 0)
	for i := range 20 {
		tr.Add(post.MakeID("web", "test", string(rune('a'+i))), time.Now())
	}
	if err := fc.Save(t.Context(), "x", tr.Cursor()); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, "x.json"))
}
