// Package sourcestatus holds the health line of one crawl source: the crawler's Runner
// produces it and the web API's GET /api/sources serves it. It lives apart from both so
// the web server does not link the crawler (and its HTML parsers and fetchers) for one
// struct. Standard library only.
package sourcestatus

import "time"

// Status is the health line of one source, as /api/sources shows it.
type Status struct {
	Name          string     `json:"name"`
	Kind          string     `json:"kind"`
	State         string     `json:"state"` // "ok", "error", "pending", "elsewhere" (another replica runs it)
	Interval      string     `json:"interval"`
	LastRun       *time.Time `json:"last_run,omitempty"`
	LastSuccess   *time.Time `json:"last_success,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	LastErrorKind string     `json:"last_error_kind,omitempty"`
	// Problem explains LastErrorKind for analysts, Vietnamese first ("vi / en").
	Problem       string     `json:"problem,omitempty"`
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	PostsLastPass int        `json:"posts_last_pass"`
	PostsTotal    int64      `json:"posts_total"`
	Newest        *time.Time `json:"newest_post,omitempty"`
	LagSeconds    float64    `json:"cursor_lag_seconds,omitempty"`
	Passes        int64      `json:"passes"`
	Failures      int64      `json:"failures"`
}
