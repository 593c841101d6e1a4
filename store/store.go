// Package store defines the search-store interface and its query model. Two backends
// implement it and pass one conformance suite (store/storetest): store/elasticsearch for
// production and store/bleve for the embedded mode.
//
// Vietnamese folding happens in Go (vntext.Fold) before text reaches a backend, so the
// backends only need a plain lowercase word analyzer on text_folded and compare folded
// query terms against it.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store/query"
)

// Sentinel errors.
var (
	// ErrNotFound: Get found no post with that id.
	ErrNotFound = errors.New("post not found")
	// ErrUnavailable: the backend cannot be reached or is overloaded; the caller should retry
	// later (the indexer backs off and stops fetching).
	ErrUnavailable = errors.New("store unavailable")
	// ErrBadQuery: the query cannot be run; the API answers 400.
	ErrBadQuery = errors.New("bad query")
)

// Store is a search store of posts.
//
// Index is called by the indexer with batches of classified posts, often (several times a
// second under load) and from one goroutine per indexer. Writing is an idempotent upsert
// keyed by post.ID: writing the same post twice leaves one document. It returns nil when
// every post was written; an error wrapping ErrUnavailable when nothing may have been
// written and the whole batch should be retried; or a *BatchError listing the posts that
// failed, each marked permanent (dead-letter it) or not (retry it). Writes become visible
// to Search within about a second, or at once after Refresh.
//
// Search, Get and Ready are called by the web API and by alerting, concurrently.
type Store interface {
	Index(ctx context.Context, posts []*post.Post) error
	Search(ctx context.Context, q Query) (*Result, error)
	Get(ctx context.Context, id string) (*post.Post, error)
	// Refresh makes all completed writes visible to Search (tests, demo start-up).
	Refresh(ctx context.Context) error
	// Ready returns nil when the store can take reads and writes.
	Ready(ctx context.Context) error
	Close() error
}

// DocumentEncoder is implemented by a Store that can do the CPU part of a write before
// the write: the indexer encodes batch n+1 (on the bus's Preparer goroutine) while batch n
// is being written, then writes it with IndexEncoded. Both methods are safe for
// concurrent use.
type DocumentEncoder interface {
	// EncodeDocument returns what the store will send for p. An error means p can never
	// be stored (the cases Index reports as permanent ItemErrors without sending).
	EncodeDocument(p *post.Post) ([]byte, error)
	// IndexEncoded is Index(ctx, posts) where docs[i], when not nil, must be
	// EncodeDocument(posts[i]) of that same, unchanged post; nil entries (or a nil docs)
	// are encoded on the spot. Same errors as Index.
	IndexEncoded(ctx context.Context, posts []*post.Post, docs [][]byte) error
}

// BatchError reports per-post failures of one Index call.
type BatchError struct {
	Items []ItemError
}

// ItemError is the failure of one post in a batch.
type ItemError struct {
	ID        string
	Permanent bool // true: the document is rejected (mapping, parse); false: retry it
	Reason    string
}

func (e *BatchError) Error() string {
	if len(e.Items) == 0 {
		return "batch error with no items"
	}
	return fmt.Sprintf("%d of the batch failed, first %s: %s", len(e.Items), e.Items[0].ID, e.Items[0].Reason)
}

// Sort orders search hits. Ties are broken by published_at (newest first, for relevance)
// and then by post id ascending, so paging is stable and both backends agree.
type Sort string

const (
	SortNewest    Sort = "newest" // published_at descending (default)
	SortOldest    Sort = "oldest"
	SortRelevance Sort = "relevance"
)

// Query is the backend-neutral search request.
type Query struct {
	// Text is an analyst query in the language of store/query: words (all must occur),
	// "phrases", -exclusions, OR, parentheses, field filters (narrative:, sentiment:,
	// toxicity:, source:, platform:, flagged:), from:/to: (absolute or relative such as
	// 24h, 7d, counted back from Now) and +exact-accent terms. Words are compared in
	// folded form (no diacritics, đ→d, lowercase) so "lu lut" finds "lũ lụt". It is ANDed
	// with the structured filters below. A syntax error is ErrBadQuery wrapping a
	// *query.SyntaxError.
	Text       string
	Platforms  []string
	Sources    []string
	Sentiments []string
	Toxicities []string
	Narratives []string // any of these narrative ids
	// IDs restricts the matches to these post ids (at most MaxIDs): how an alert links to
	// exactly the posts it reported.
	IDs      []string
	Flagged  *bool
	From, To time.Time // published_at range, From inclusive, To exclusive; zero = open
	Sort     Sort
	Offset   int
	Limit    int // 0 means DefaultLimit; capped at MaxLimit
	// Interval is the width of the time buckets counted over the matching posts; 0 picks
	// one from the From/To span (AutoInterval). Negative disables buckets.
	Interval time.Duration
	// Now is the time relative from:/to: in Text count back from; zero means time.Now().
	Now time.Time
	// Aggs asks for Result.Aggs; TopN is the length of each top list (0: DefaultTopN).
	Aggs bool
	TopN int
}

// TermFilter is one keyword field a Query restricts to any of Values.
type TermFilter struct {
	Field  string
	Values []string
}

// TermFilters lists q's non-empty keyword filters (platform, source, sentiment, toxicity,
// narrative), so that every backend applies the same set under the same field names.
func (q Query) TermFilters() []TermFilter {
	var out []TermFilter
	for _, f := range []TermFilter{
		{FieldPlatform, q.Platforms}, {FieldSource, q.Sources}, {FieldSentiment, q.Sentiments},
		{FieldToxicity, q.Toxicities}, {FieldNarrativeIDs, q.Narratives}, {FieldID, q.IDs},
	} {
		if len(f.Values) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Expr parses q.Text (nil: no text condition). Errors wrap ErrBadQuery and a
// *query.SyntaxError.
func (q Query) Expr() (*query.Expr, error) {
	e, err := query.Parse(q.Text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadQuery, err)
	}
	return e, nil
}

// MaxIDs is the most post ids one Query may name (Query.IDs).
const MaxIDs = 1000

// Aggregation sizes.
const (
	DefaultTopN = 10
	MaxTopN     = 100
	// MaxTermsSample is how many matching posts (the newest) top terms are counted over
	// at most; Aggs.TermsSample says how many they were.
	MaxTermsSample = 200
	// AuthorPrecision: unique authors are exact up to this many on both backends
	// (Elasticsearch's cardinality precision_threshold); above it Elasticsearch
	// estimates (HyperLogLog++, within a few percent) while bleve stays exact.
	AuthorPrecision = 40000
)

// Aggs are aggregations over every post matching a query (not only the page of hits).
// Top lists are ordered by count descending, ties by term ascending, on both backends.
type Aggs struct {
	Narratives []TermCount `json:"narratives"`
	Sentiments []TermCount `json:"sentiments"`
	Toxicities []TermCount `json:"toxicities"`
	Sources    []TermCount `json:"sources"`
	// Terms are the most frequent folded words (stop words and query words left out)
	// in the TermsSample newest matching posts (at most MaxTermsSample), counted once per post.
	Terms       []TermCount `json:"terms"`
	TermsSample int         `json:"terms_sample"`
	// Authors is the number of distinct pseudonymous author ids among the matches.
	Authors int `json:"authors"`
}

// TermCount is one entry of a top list.
type TermCount struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// Paging defaults and caps.
const (
	DefaultLimit = 20
	MaxLimit     = 500
	// MaxWindow caps offset+limit, as Elasticsearch's index.max_result_window does.
	MaxWindow = 10000
)

// Result is a page of hits, the total number of matches and per-bucket counts.
type Result struct {
	Total int   `json:"total"`
	Hits  []Hit `json:"hits"`
	// Buckets run from the bucket of the first matching post to that of the last, empty
	// buckets in between included with Count 0; starts are aligned by BucketStart (24h
	// buckets start at UTC midnight) and the width is BucketInterval. Nil when nothing
	// matched or buckets are disabled.
	Buckets []Bucket `json:"buckets"`
	// Interval is the bucket width used, as a Go duration string.
	Interval string `json:"interval,omitempty"`
	// Aggs is set when Query.Aggs asked for it.
	Aggs *Aggs `json:"aggs,omitempty"`
}

// Hit is one matching post with highlights.
type Hit struct {
	Post       *post.Post  `json:"post"`
	Score      float64     `json:"score,omitempty"`
	Highlights []Highlight `json:"highlights,omitempty"`
}

// Highlight is a byte range of Post.Text to show emphasised. Kind is "evidence" (from the
// classifier, For names the label or narrative) or "query" (a query term).
type Highlight struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Kind  string `json:"kind"`
	For   string `json:"for,omitempty"`
}

// Bucket is the count of matching posts published in [Start, Start+interval).
type Bucket struct {
	Start time.Time `json:"start"`
	Count int       `json:"count"`
}

// Normalized returns q with defaults applied and limits enforced.
func (q Query) Normalized() (Query, error) {
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if len(q.IDs) > MaxIDs {
		return q, fmt.Errorf("%w: %d ids, at most %d", ErrBadQuery, len(q.IDs), MaxIDs)
	}
	if q.Limit < 0 || q.Offset < 0 {
		return q, fmt.Errorf("%w: limit and offset must not be negative", ErrBadQuery)
	}
	if q.Limit > MaxLimit {
		q.Limit = MaxLimit
	}
	// Offset alone first: offset+limit would overflow for an offset near MaxInt.
	if q.Offset > MaxWindow || q.Offset+q.Limit > MaxWindow {
		return q, fmt.Errorf("%w: offset+limit above %d; narrow the query instead", ErrBadQuery, MaxWindow)
	}
	switch q.Sort {
	case "":
		q.Sort = SortNewest
	case SortNewest, SortOldest, SortRelevance:
	default:
		return q, fmt.Errorf("%w: sort %q, want newest, oldest or relevance", ErrBadQuery, q.Sort)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return q, fmt.Errorf("%w: to (%s) must be after from (%s)", ErrBadQuery, q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	q.Text = strings.TrimSpace(q.Text)
	if _, err := q.Expr(); err != nil {
		return q, err
	}
	if q.TopN == 0 {
		q.TopN = DefaultTopN
	}
	if q.TopN < 0 || q.TopN > MaxTopN {
		return q, fmt.Errorf("%w: top %d, want 1 to %d", ErrBadQuery, q.TopN, MaxTopN)
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	return q, nil
}

// AutoInterval picks a bucket width giving roughly 20-100 buckets over [from, to).
// With an open range it assumes the last 30 days.
func AutoInterval(from, to time.Time) time.Duration {
	if to.IsZero() {
		to = time.Now()
	}
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	span := to.Sub(from)
	for _, d := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		if span/d <= 100 {
			return d
		}
	}
	return 30 * 24 * time.Hour
}

// MonthlyIndexSuffix is the time partition a post belongs to ("2026.11"), from
// published_at in UTC, so a re-crawled post always lands in the same partition.
func MonthlyIndexSuffix(t time.Time) string {
	return t.UTC().Format("2006.01")
}
