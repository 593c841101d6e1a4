package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/sourcestatus"
)

// Sink receives the posts of a pass in batches. Write returns nil only once the posts are
// durable (Kafka acknowledged them, the file is flushed); the Runner saves a cursor only
// after that. Write is called from one goroutine per source; implementations must be safe
// for concurrent use across sources.
type Sink interface {
	Write(ctx context.Context, posts []*post.Post) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, posts []*post.Post) error

// Write implements Sink.
func (f SinkFunc) Write(ctx context.Context, posts []*post.Post) error { return f(ctx, posts) }

// Scheduled is a source with its pass interval and kind (for health lines).
type Scheduled struct {
	Source   Source
	Kind     string
	Interval time.Duration
}

// SourceStatus is the health line of one source, as /api/sources shows it. It is defined
// in package sourcestatus so the web server can serve it without linking the crawler.
type SourceStatus = sourcestatus.Status

// Runner runs sources on their schedule, writes their posts to a Sink and saves cursors
// after the sink accepted them (at-least-once). One failing source never stops others.
type Runner struct {
	sources []Scheduled
	cursors CursorStore
	sink    Sink
	metrics *Metrics
	log     *slog.Logger
	batch   int
	now     func() time.Time

	mu     sync.Mutex
	status map[string]*SourceStatus
}

// RunnerOption configures NewRunner.
type RunnerOption func(*Runner)

// WithMetrics records per-source metrics.
func WithMetrics(m *Metrics) RunnerOption { return func(r *Runner) { r.metrics = m } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) RunnerOption { return func(r *Runner) { r.log = l } }

// WithBatch sets how many posts are buffered before a Sink.Write (default 500).
func WithBatch(n int) RunnerOption { return func(r *Runner) { r.batch = max(n, 1) } }

// NewRunner returns a runner for sources.
func NewRunner(sources []Scheduled, cursors CursorStore, sink Sink, opts ...RunnerOption) *Runner {
	r := &Runner{sources: sources, cursors: cursors, sink: sink, log: slog.Default(), batch: 500, now: time.Now, status: map[string]*SourceStatus{}}
	for _, o := range opts {
		o(r)
	}
	for _, s := range sources {
		r.status[s.Source.Name()] = &SourceStatus{Name: s.Source.Name(), Kind: s.Kind, State: "pending", Interval: s.Interval.String()}
	}
	return r
}

// RunOnce runs one pass of every source, at most parallel at a time, and returns the
// number of posts emitted. Source failures are logged, counted and in Status; the error
// return is only ctx's.
func (r *Runner) RunOnce(ctx context.Context, parallel int) (int, error) {
	parallel = max(parallel, 1)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, s := range r.sources {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, _ := r.Pass(ctx, s)
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, ctx.Err()
}

// Run runs every source on its interval until ctx is canceled.
func (r *Runner) Run(ctx context.Context) error {
	r.runSet(ctx, r.sources)
	return nil
}

// setOwned marks which sources this replica runs (RunSharded); others show "elsewhere".
func (r *Runner) setOwned(names []string) {
	own := map[string]bool{}
	for _, n := range names {
		own[n] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, st := range r.status {
		switch {
		case own[name] && st.State == "elsewhere":
			st.State = "pending"
		case !own[name]:
			st.State = "elsewhere"
		}
	}
}

// runSet runs sources on their intervals until ctx is canceled.
func (r *Runner) runSet(ctx context.Context, sources []Scheduled) {
	var wg sync.WaitGroup
	for _, s := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			interval := s.Interval
			if interval <= 0 {
				interval = 10 * time.Minute
			}
			for {
				r.Pass(ctx, s)
				t := time.NewTimer(interval)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		}()
	}
	wg.Wait()
}

// Pass runs one pass of s: load cursor, fetch, write posts, save cursor. Each post's
// title and text go through FixPostText (legacy Vietnamese encodings) first.
func (r *Runner) Pass(ctx context.Context, s Scheduled) (int, error) {
	name := s.Source.Name()
	start := r.now()
	emitted := 0
	var buf []*post.Post
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := r.sink.Write(ctx, buf); err != nil {
			return &SinkError{Err: err}
		}
		emitted += len(buf)
		if r.metrics != nil {
			r.metrics.posts.WithLabelValues(name).Add(float64(len(buf)))
		}
		buf = nil
		return nil
	}
	enc := ""
	if e, ok := s.Source.(Encoded); ok {
		enc = e.Encoding()
	}
	cur, err := r.cursors.Load(ctx, name)
	var next Cursor
	if err == nil {
		next, err = s.Source.Fetch(ctx, cur, func(p *post.Post) error {
			if from := FixPostText(p, enc); from != "" {
				r.log.Debug("mã cũ đã chuyển / legacy encoding converted", "source", name, "id", p.ID, "from", string(from))
			}
			if p.Source == "" {
				p.Source = name
			}
			if p.Schema == 0 {
				p.Schema = post.SchemaVersion
			}
			if p.FetchedAt.IsZero() {
				p.FetchedAt = r.now().UTC()
			}
			if verr := p.Validate(); verr != nil {
				r.log.Warn("bài không hợp lệ bị bỏ / invalid post dropped", "source", name, "id", p.ID, "err", verr)
				return nil
			}
			buf = append(buf, p)
			if len(buf) >= r.batch {
				return flush()
			}
			return nil
		})
	}
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = r.cursors.Save(ctx, name, next)
	}
	r.record(s, start, emitted, next, err)
	return emitted, err
}

func (r *Runner) record(s Scheduled, start time.Time, emitted int, next Cursor, err error) {
	name := s.Source.Name()
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.status[name]
	if st == nil {
		st = &SourceStatus{Name: name, Kind: s.Kind, Interval: s.Interval.String()}
		r.status[name] = st
	}
	st.LastRun = &now
	st.Passes++
	st.PostsLastPass = emitted
	st.PostsTotal += int64(emitted)
	if r.metrics != nil {
		r.metrics.passSeconds.WithLabelValues(name).Observe(now.Sub(start).Seconds())
	}
	if err != nil {
		kind := ErrorKind(err)
		st.State, st.LastError, st.LastErrorKind, st.LastErrorAt = "error", oneLine(err.Error(), 300), kind, &now
		st.Problem = problems[kind]
		st.Failures++
		if r.metrics != nil {
			r.metrics.errors.WithLabelValues(name, kind).Inc()
			r.metrics.passes.WithLabelValues(name, "error").Inc()
			if kind != "canceled" {
				r.metrics.degraded.WithLabelValues(name).Set(1)
			}
		}
		var ce *CursorError
		if errors.As(err, &ce) {
			// Every pass fails the same way until someone acts: say which file and what to do.
			r.log.Error("tệp con trỏ hỏng, xóa tệp để thu thập lại từ đầu / cursor file is damaged: delete it to crawl this source from scratch",
				"source", name, "file", ce.Path, "cause", oneLine(ce.Err.Error(), 200))
		} else if kind != "canceled" {
			r.log.Warn("nguồn lỗi / source pass failed", "source", name, "kind", kind, "err", oneLine(err.Error(), 300), "posts", emitted)
		}
		return
	}
	st.State, st.LastSuccess, st.Problem = "ok", &now, ""
	if !next.Newest.IsZero() {
		n := next.Newest
		st.Newest = &n
		st.LagSeconds = now.Sub(n).Seconds()
	}
	if r.metrics != nil {
		r.metrics.passes.WithLabelValues(name, "ok").Inc()
		r.metrics.degraded.WithLabelValues(name).Set(0)
		r.metrics.lastSuccess.WithLabelValues(name).Set(float64(now.Unix()))
		if !next.Newest.IsZero() {
			r.metrics.lag.WithLabelValues(name).Set(now.Sub(next.Newest).Seconds())
		}
	}
	// An idle pass is the normal state of a quiet source: at INFO it would log every source
	// every interval forever. Passes that found posts stay at INFO; metrics count all.
	level := slog.LevelInfo
	if emitted == 0 {
		level = slog.LevelDebug
	}
	r.log.Log(context.Background(), level, "nguồn xong / source pass done", "source", name, "posts", emitted, "seconds", now.Sub(start).Seconds())
}

// Check reports the sources whose last pass failed (one "name (kind)" each), or nil when
// none did. It backs a soft /readyz check: the pipeline is still up for the other sources,
// so a broken source degrades the process without making it unready.
func (r *Runner) Check(context.Context) error {
	var bad []string
	for _, st := range r.Status() {
		if st.State == "error" && st.LastErrorKind != "canceled" {
			bad = append(bad, st.Name+" ("+st.LastErrorKind+"): "+st.LastError)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d nguồn lỗi / sources failing: %s", len(bad), strings.Join(bad, "; "))
}

// Status returns the health line of every source, sorted by name.
func (r *Runner) Status() []SourceStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]SourceStatus, 0, len(r.status))
	for _, st := range r.status {
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// oneLine flattens and truncates crawled error text for logs and health lines (it may
// contain hostile bytes from a response; consumers escape it when displaying).
func oneLine(s string, n int) string {
	b := make([]rune, 0, len(s))
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, r)
	}
	return Truncate(string(b), n)
}

// problems explains each error kind to an analyst, Vietnamese first.
var problems = map[string]string{
	"robots":      "robots.txt của trang không cho phép thu thập (hoặc không đọc được) / the site's robots.txt disallows crawling (or is unavailable)",
	"private":     "địa chỉ nội bộ bị từ chối / private or loopback address refused",
	"scheme":      "chỉ thu thập http/https / only http and https are crawled",
	"too_large":   "phản hồi quá lớn / response too large",
	"throttled":   "trang yêu cầu tạm dừng (429/503), sẽ thử lại sau / the site asked us to slow down (429/503); retrying later",
	"http_status": "trang trả mã lỗi HTTP / the site answered with an HTTP error",
	"parse":       "nội dung sai định dạng hoặc trang đã đổi bố cục / malformed content or the page layout changed",
	"timeout":     "hết thời gian chờ / timed out",
	"network":     "lỗi mạng / network error",
	"sink":        "không ghi được vào Kafka hoặc tệp / could not write to Kafka or the file",
	"cursor":      "tệp con trỏ đã lưu bị hỏng; xóa tệp để thu thập lại từ đầu / the saved cursor file is damaged; delete it to crawl this source from scratch",
	"canceled":    "đã dừng / stopped",
	"other":       "lỗi khác / other error",
}
