package crawler

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/post"
	"time"
)

// TestIdlePassesLogAtDebug: a pass that found posts is logged at INFO; a pass that found
// nothing (every later pass of a quiet source) only at DEBUG.
func TestIdlePassesLogAtDebug(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	pol := NewPoliteness(WithHostDelay(0))
	f := NewFetcher(pol, FetchOptions{AllowPrivate: true, MaxBody: 1 << 20, Source: "quiet"})
	srcs := []Scheduled{{Source: &getSource{name: "quiet", url: srv.URL + "/ok", f: f}, Kind: "test", Interval: time.Minute}}
	var info, debug bytes.Buffer
	r := NewRunner(srcs, NewMemCursors(), SinkFunc(func(context.Context, []*post.Post) error { return nil }),
		WithLogger(slog.New(teeHandler{slog.NewTextHandler(&info, &slog.HandlerOptions{Level: slog.LevelInfo}), slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug})})))
	for pass := 1; pass <= 3; pass++ {
		if _, err := r.RunOnce(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(info.String(), "source pass done"); n != 1 {
		t.Errorf("INFO has %d 'source pass done' lines over 3 passes (1 with a post, 2 idle), want 1:\n%s", n, info.String())
	}
	if n := strings.Count(debug.String(), "source pass done"); n != 3 {
		t.Errorf("DEBUG has %d 'source pass done' lines, want 3", n)
	}
}

// teeHandler sends each record to two handlers with their own levels.
type teeHandler struct{ a, b slog.Handler }

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.a.Enabled(ctx, l) || h.b.Enabled(ctx, l)
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range []slog.Handler{h.a, h.b} {
		if x.Enabled(ctx, r.Level) {
			if err := x.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{h.a.WithAttrs(as), h.b.WithAttrs(as)}
}
func (h teeHandler) WithGroup(n string) slog.Handler {
	return teeHandler{h.a.WithGroup(n), h.b.WithGroup(n)}
}
