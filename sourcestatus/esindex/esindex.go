// Package esindex shares the crawl sources' health through an Elasticsearch index
// (`<base>-sources`, next to the posts and the alert history), so `serve` can answer
// /api/sources for every crawl replica and analysts need one address.
//
// One document per source (id = source name). A crawl replica writes only the sources it
// has run, with external version = the pass time in milliseconds and version_type
// external_gte: the replica that ran a source last wins, and a replica that lost the
// source to another (host-keyed scale-out) gets a version conflict instead of
// overwriting the newer line. Each write stamps reported_at; a source nobody has reported
// for StaleAfter is shown as "stale" (the crawl role is down, or the source was removed).
package esindex

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/langnghe/langnghe/sourcestatus"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
)

// StaleAfter is how long a source may go unreported before it shows as "stale". The crawl
// role reports every PublishEvery, so this survives a few missed reports and a restart.
const StaleAfter = 5 * time.Minute

// PublishEvery is how often the crawl role writes its sources' status.
const PublishEvery = 30 * time.Second

// StateStale marks a source no crawl replica has reported for StaleAfter.
const StateStale = "stale"

// IndexName is the sources index for the posts index prefix: "langnghe-posts" gives
// "langnghe-sources" (never "P-sources" for other prefixes: the posts template P-* would
// capture it).
func IndexName(postsPrefix string) string { return esstore.SiblingIndex(postsPrefix, "sources") }

// Index reads and writes the sources index. It is safe for concurrent use.
type Index struct {
	client *esstore.Client
	index  *esstore.LazyIndex
	now    func() time.Time
}

// Option configures an Index.
type Option func(*Index)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(x *Index) { x.now = now } }

// New returns the index on an existing client; it is created on the first Publish.
func New(c *esstore.Client, name string, opts ...Option) *Index {
	x := &Index{client: c, index: c.LazyIndex(name, mapping), now: time.Now}
	for _, o := range opts {
		o(x)
	}
	return x
}

// Name is the index name.
func (x *Index) Name() string { return x.index.Name() }

var mapping = json.RawMessage(`{"settings":{"number_of_shards":1,"auto_expand_replicas":"0-1"},"mappings":{"dynamic":false,"properties":{
"name":{"type":"keyword"},"kind":{"type":"keyword"},"state":{"type":"keyword"},"last_run":{"type":"date"},"last_success":{"type":"date"},
"last_error_kind":{"type":"keyword"},"last_error_at":{"type":"date"},"newest_post":{"type":"date"},"cursor_lag_seconds":{"type":"double"},
"posts_last_pass":{"type":"integer"},"posts_total":{"type":"long"},"failures":{"type":"long"},"reported_at":{"type":"date"},"replica":{"type":"keyword"}}}}`)

// doc is one source's line plus who reported it and when.
type doc struct {
	sourcestatus.Status
	ReportedAt time.Time `json:"reported_at"`
	Replica    string    `json:"replica,omitempty"`
}

// Publish writes the sources this replica has run (pending ones and sources run elsewhere
// are skipped). It returns the first error other than a version conflict.
func (x *Index) Publish(ctx context.Context, list []sourcestatus.Status, replica string) (written int, err error) {
	if err := x.index.Ensure(ctx); err != nil {
		return 0, err
	}
	now := x.now()
	for _, st := range list {
		if st.LastRun == nil || st.State == "pending" || st.State == "elsewhere" {
			continue
		}
		q := url.Values{"version": {strconv.FormatInt(st.LastRun.UnixMilli(), 10)}, "version_type": {"external_gte"}}
		err := x.client.Do(ctx, http.MethodPut, "/"+x.index.Name()+"/_doc/"+url.PathEscape(st.Name), q, doc{Status: st, ReportedAt: now, Replica: replica}, nil)
		switch {
		case err == nil:
			written++
		case esstore.IsStatus(err, http.StatusConflict):
			// Another replica ran this source more recently: its line stands.
		default:
			return written, fmt.Errorf("sources index %s: %s: %w", x.index.Name(), st.Name, err)
		}
	}
	return written, nil
}

// ReadSources reads every source's line, by name; lines not reported for StaleAfter say
// "stale". A missing index is an empty list (no crawl replica has reported yet).
func (x *Index) ReadSources(ctx context.Context) ([]sourcestatus.Status, error) {
	var res struct {
		Hits struct {
			Hits []struct {
				Source doc `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	q := url.Values{"size": {"10000"}, "ignore_unavailable": {"true"}}
	err := x.client.Do(ctx, http.MethodGet, "/"+x.index.Name()+"/_search", q, json.RawMessage(`{"query":{"match_all":{}}}`), &res)
	if esstore.IsStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sources index %s: %w", x.index.Name(), err)
	}
	now := x.now()
	out := make([]sourcestatus.Status, 0, len(res.Hits.Hits))
	for _, h := range res.Hits.Hits {
		st := h.Source.Status
		if now.Sub(h.Source.ReportedAt) > StaleAfter {
			st.State = StateStale
			st.Problem = fmt.Sprintf("không bản crawl nào báo nguồn này từ %s (vai trò crawl dừng, hoặc nguồn đã bị bỏ khỏi tệp) / no crawl replica has reported this source since %s (the crawl role is down, or the source was removed)",
				h.Source.ReportedAt.UTC().Format(time.RFC3339), h.Source.ReportedAt.UTC().Format(time.RFC3339))
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Run publishes src's lines every `every` until ctx ends. Elasticsearch being away is
// not fatal to crawling: the failure is logged once, and once when publishing recovers.
func (x *Index) Run(ctx context.Context, src func() []sourcestatus.Status, replica string, every time.Duration, log *slog.Logger) error {
	failing := false
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, max(every, 10*time.Second)) // creating the index may take seconds
		_, err := x.Publish(pctx, src(), replica)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			log.Warn("không ghi được trạng thái nguồn vào Elasticsearch, sẽ thử lại / cannot publish source status to Elasticsearch, will retry", "index", x.Name(), "err", err)
		case err == nil && failing:
			failing = false
			log.Info("đã ghi lại được trạng thái nguồn / publishing source status again", "index", x.Name())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Refresh makes written lines searchable at once. Only tests call it.
func (x *Index) Refresh(ctx context.Context) error {
	return x.client.Do(ctx, http.MethodPost, "/"+x.index.Name()+"/_refresh", nil, nil, nil)
}

// Delete removes the index. Only tests call it; the crawl role never deletes it.
func (x *Index) Delete(ctx context.Context) error { return x.index.Delete(ctx) }
