package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/langnghe/langnghe/post"
)

// ErrStop, returned by a Scan callback, ends the scan early without an error.
var ErrStop = errors.New("stop scan")

// ScanOption tunes Scan.
type ScanOption func(*scanConfig)

type scanConfig struct {
	page   int // hits per Search call
	window int // offset+limit a window may reach before the cursor moves (the stores cap it at 10,000)
}

// ScanPage sets the hits fetched per Search call (default MaxLimit).
func ScanPage(n int) ScanOption { return func(c *scanConfig) { c.page = n } }

// ScanWindow sets how deep one window pages before the cursor moves on (default 10,000,
// the stores' offset+limit cap); tests make it small to cross many windows.
func ScanWindow(n int) ScanOption { return func(c *scanConfig) { c.window = n } }

// cursorStep is the granularity of the To cursor: Elasticsearch keeps dates to the
// millisecond, so a cursor finer than that could cut off the post it stopped at.
const cursorStep = time.Millisecond

// Scan calls fn with every post matching q, newest first (published_at descending, ties
// by id ascending, the stores' own order), whatever their number: unlike Search it is
// not capped at 10,000. It works on any Store through Search alone: it pages with Offset
// inside a window, and when the window is exhausted it moves To down to just after the
// last post returned (rounded up to the millisecond) and skips what it already returned
// (posts later in the order than the last one, by published_at and id), so no post is
// returned twice or skipped while the store does not change. Posts written during a
// scan may or may not be seen.
//
// q's Sort, Offset, Limit, Aggs and buckets are ignored. fn returning ErrStop ends the
// scan with nil; any other error ends it with that error. Scan fails if more than a
// window of posts share one millisecond (it could not move past them).
func Scan(ctx context.Context, st Store, q Query, fn func(*post.Post) error, opts ...ScanOption) error {
	cfg := scanConfig{page: MaxLimit, window: 10000}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.page <= 0 || cfg.window < cfg.page {
		return fmt.Errorf("scan: page %d and window %d: want 0 < page <= window", cfg.page, cfg.window)
	}
	q.Sort, q.Aggs, q.Interval, q.Offset, q.Limit = SortNewest, false, -1, 0, cfg.page
	userTo := q.To
	var last *post.Post // the last post handed to fn
	for {
		moved := false
		for q.Offset = 0; q.Offset+q.Limit <= cfg.window; q.Offset += q.Limit {
			nq, err := q.Normalized()
			if err != nil {
				return err
			}
			res, err := st.Search(ctx, nq)
			if err != nil {
				return fmt.Errorf("scan at offset %d before %s: %w", q.Offset, q.To.Format(time.RFC3339Nano), err)
			}
			for _, h := range res.Hits {
				p := h.Post
				if p == nil || (last != nil && !after(p, last)) {
					continue // returned by an earlier window
				}
				if err := fn(p); err != nil {
					if errors.Is(err, ErrStop) {
						return nil
					}
					return err
				}
				last, moved = p, true
			}
			if len(res.Hits) < q.Limit {
				return nil // the window held the rest
			}
		}
		if last == nil {
			return nil
		}
		if !moved {
			return fmt.Errorf("scan: more than %d posts published within one millisecond of %s", cfg.window, last.PublishedAt.Format(time.RFC3339Nano))
		}
		to := last.PublishedAt.Truncate(cursorStep).Add(cursorStep)
		if !userTo.IsZero() && userTo.Before(to) {
			to = userTo
		}
		q.To = to
	}
}

// after reports whether p comes after last in the newest-first order.
func after(p, last *post.Post) bool {
	if !p.PublishedAt.Equal(last.PublishedAt) {
		return p.PublishedAt.Before(last.PublishedAt)
	}
	return p.ID > last.ID
}
