// Package crawler fetches public posts from configured sources (RSS/Atom feeds, HTML pages
// by CSS selectors with a XenForo preset, the Mastodon and Bluesky public APIs, generic
// JSON APIs) politely and incrementally, and hands them to a sink (Kafka posts.raw, or a
// JSON Lines file for `crawl --once`). See DESIGN.md, "Flow".
//
// The pieces:
//   - Source (one folder per kind under crawler/) turns HTTP responses into posts.
//   - Fetcher is the only way a source reaches the network: http/https only, private,
//     loopback and link-local targets refused unless the source allows them, redirects
//     re-checked, response size capped (also after decompression), timeouts, robots.txt
//     and Crawl-delay honoured, per-host rate limit, 429/503 Retry-After backoff, a
//     User-Agent with a contact URL.
//   - Cursor is what a source remembers between passes; a CursorStore persists it (a
//     JSON file per source in the data dir, or a compacted Kafka topic).
//   - Runner schedules passes, saves cursors only after the sink accepted the posts
//     (at-least-once), and keeps per-source metrics and a health line for /api/sources.
package crawler

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/langnghe/langnghe/post"
)

// Errors a pass can fail with. They are wrapped with the URL, so errors.Is works and the
// message says where. ErrorKind maps them to the "kind" label of the errors metric.
var (
	// ErrScheme: the URL is not http or https.
	ErrScheme = errors.New("crawler: only http and https URLs are fetched")
	// ErrPrivateAddress: the host resolves to a private, loopback or link-local address and
	// the source does not allow that (allow_private).
	ErrPrivateAddress = errors.New("crawler: target resolves to a private, loopback or link-local address")
	// ErrRobots: robots.txt disallows the URL for our User-Agent.
	ErrRobots = errors.New("crawler: disallowed by robots.txt")
	// ErrTooLarge: the response body (after decompression) is larger than the cap.
	ErrTooLarge = errors.New("crawler: response body too large")
	// ErrThrottled: the host answered 429 or 503 and asked us to wait longer than we will.
	ErrThrottled = errors.New("crawler: host asked us to back off (429/503)")
	// ErrHTTPStatus: an unexpected HTTP status (4xx/5xx other than the above).
	ErrHTTPStatus = errors.New("crawler: unexpected HTTP status")
	// ErrParse: the body is not what the source expects (malformed XML/JSON/HTML, wrong
	// content type, truncated).
	ErrParse = errors.New("crawler: cannot parse response")
	// ErrConfig: the source configuration is invalid.
	ErrConfig = errors.New("crawler: invalid source config")
)

// ErrorKind names the class of err for metrics and health lines: "robots", "private",
// "scheme", "too_large", "throttled", "http_status", "parse", "timeout", "network",
// "sink", "canceled" or "other".
func ErrorKind(err error) string {
	var se *SinkError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return "sink"
	case errors.Is(err, ErrCursorCorrupt):
		return "cursor"
	case errors.Is(err, ErrRobots):
		return "robots"
	case errors.Is(err, ErrPrivateAddress):
		return "private"
	case errors.Is(err, ErrScheme):
		return "scheme"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrThrottled):
		return "throttled"
	case errors.Is(err, ErrHTTPStatus):
		return "http_status"
	case errors.Is(err, ErrParse):
		return "parse"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "timeout"
	case isNetwork(err):
		return "network"
	}
	return "other"
}

// SinkError wraps an error returned by the emit function, so a source's error can be told
// apart from a sink's (Kafka down, disk full).
type SinkError struct{ Err error }

func (e *SinkError) Error() string { return "sink: " + e.Err.Error() }
func (e *SinkError) Unwrap() error { return e.Err }

// Emit receives one post. Sources call it for every new post, in any order, from the
// goroutine that called Fetch. A non-nil error means the post was not accepted: the
// source must stop and return that error (wrapped) without advancing its cursor.
type Emit func(*post.Post) error

// Source is one configured public source.
//
// The Runner calls Fetch once per pass (every Interval), never concurrently for the same
// source. Fetch reads what is new since cur, calls emit for every post not emitted before
// (as far as cur tells), and returns the cursor to persist. The Runner saves the returned
// cursor only after every emitted post is durable in the sink, so a crash between emit and
// save re-emits those posts on the next pass (at-least-once; ids are stable, so the
// duplicate overwrites downstream). Fetch must not modify cur; it returns a new value.
//
// An error return means the pass failed; the Runner keeps the old cursor, logs and counts
// the error by ErrorKind and goes on with other sources. Fetch must return promptly when
// ctx is canceled.
type Source interface {
	// Name is the configured source name (the post's "source" field, a metric label).
	Name() string
	// Fetch runs one pass; see the interface comment.
	Fetch(ctx context.Context, cur Cursor, emit Emit) (Cursor, error)
}

// Cursor is what a source remembers between passes. Every field is optional; each source
// documents which it uses. Cursors are JSON so the file and Kafka stores can keep them.
type Cursor struct {
	// Since is a platform position: a Mastodon since_id, a JSON API cursor.
	Since string `json:"since,omitempty"`
	// Newest is the newest published_at emitted so far (drives the cursor-lag metric).
	Newest time.Time `json:"newest,omitzero"`
	// Seen holds the ids of the most recent posts emitted, newest last, at most MaxSeen:
	// a post is new when its id is not here and it is not older than Newest minus the
	// source's lookback window. This handles items sharing a timestamp and feeds that
	// insert backdated items.
	Seen []string `json:"seen,omitempty"`
	// Validators are ETag/Last-Modified values per URL for conditional requests, at most
	// MaxValidators.
	Validators map[string]Validator `json:"validators,omitempty"`
}

// Validator is what a server said about a URL, sent back as If-None-Match and
// If-Modified-Since.
type Validator struct {
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	At           time.Time `json:"at"`
	// Next is the page's next-page link when it was fetched (HTML sources), so a pass
	// that gets a 304 for a page can still go on down the chain to its changed last page.
	Next string `json:"next,omitempty"`
}

// Bounds on the cursor, so a cursor never grows without limit.
const (
	MaxSeen       = 2000
	MaxValidators = 256
	// DefaultLookback is how far before Newest an unseen post is still emitted.
	DefaultLookback = 48 * time.Hour
)

// Clone returns a deep copy of c.
func (c Cursor) Clone() Cursor {
	out := c
	out.Seen = slices.Clone(c.Seen)
	if c.Validators != nil {
		out.Validators = make(map[string]Validator, len(c.Validators))
		for k, v := range c.Validators {
			out.Validators[k] = v
		}
	}
	return out
}

// Tracker decides which posts of a pass are new and builds the next cursor. Sources
// create one per pass from the stored cursor: Tracker.New(id, t) before emitting,
// Tracker.Add(id, t) after, Tracker.Cursor() at the end. Not safe for concurrent use.
type Tracker struct {
	prev     Cursor
	next     Cursor
	seen     map[string]struct{}
	lookback time.Duration
}

// NewTracker starts a pass from cur. lookback <= 0 means DefaultLookback.
func NewTracker(cur Cursor, lookback time.Duration) *Tracker {
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	t := &Tracker{prev: cur, next: cur.Clone(), seen: make(map[string]struct{}, len(cur.Seen)), lookback: lookback}
	for i, id := range t.next.Seen {
		// A cursor saved before post ids were hashed holds clear-text ids: map them onto
		// the current ids, so the posts they name are not emitted again after an upgrade.
		id = post.UpgradeID(id)
		t.next.Seen[i] = id
		t.seen[id] = struct{}{}
	}
	return t
}

// New reports whether a post with this id and publication time should be emitted.
func (t *Tracker) New(id string, published time.Time) bool {
	if _, ok := t.seen[id]; ok {
		return false
	}
	if !t.prev.Newest.IsZero() && published.Before(t.prev.Newest.Add(-t.lookback)) {
		return false
	}
	return true
}

// Add records an emitted post.
func (t *Tracker) Add(id string, published time.Time) {
	if _, ok := t.seen[id]; ok {
		return
	}
	t.seen[id] = struct{}{}
	t.next.Seen = append(t.next.Seen, id)
	if published.After(t.next.Newest) {
		t.next.Newest = published
	}
	// Keep memory flat in a long pass: forget all but the newest MaxSeen ids once twice
	// that many are held. A post seen again after that within the same pass (a page
	// fetched twice) is emitted again, which the stable ids make harmless.
	if len(t.next.Seen) >= 2*MaxSeen {
		drop := len(t.next.Seen) - MaxSeen
		for _, old := range t.next.Seen[:drop] {
			delete(t.seen, old)
		}
		t.next.Seen = slices.Clone(t.next.Seen[drop:])
	}
}

// SetSince records a platform position.
func (t *Tracker) SetSince(s string) { t.next.Since = s }

// Validator returns the stored validator for url.
func (t *Tracker) Validator(url string) (Validator, bool) {
	v, ok := t.prev.Validators[url]
	return v, ok
}

// SetValidator records the ETag/Last-Modified of a 200 response for url.
func (t *Tracker) SetValidator(url, etag, lastModified string) {
	if etag == "" && lastModified == "" {
		return
	}
	if t.next.Validators == nil {
		t.next.Validators = map[string]Validator{}
	}
	t.next.Validators[url] = Validator{ETag: etag, LastModified: lastModified, At: time.Now().UTC()}
}

// Cursor returns the next cursor, trimmed to its bounds.
func (t *Tracker) Cursor() Cursor {
	c := t.next
	if len(c.Seen) > MaxSeen {
		c.Seen = slices.Clone(c.Seen[len(c.Seen)-MaxSeen:])
	}
	for len(c.Validators) > MaxValidators {
		oldest, first := "", true
		var at time.Time
		for k, v := range c.Validators {
			if first || v.At.Before(at) || (v.At.Equal(at) && k < oldest) {
				oldest, at, first = k, v.At, false
			}
		}
		delete(c.Validators, oldest)
	}
	return c
}
