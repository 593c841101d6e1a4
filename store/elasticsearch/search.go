package elasticsearch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	lq "github.com/langnghe/langnghe/store/query"
)

// readParams let reads on the alias succeed before the first post created an index.
func readParams() url.Values {
	return url.Values{"ignore_unavailable": {"true"}, "allow_no_indices": {"true"}}
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// buildQuery translates q (normalized): the analyst query of q.Text in must, the
// structured filters in filter (no scoring).
func (s *Store) buildQuery(q store.Query) (map[string]any, error) {
	e, err := q.Expr()
	if err != nil {
		return nil, err
	}
	var must, filter []any
	if e != nil {
		must = append(must, exprQuery(e, q.Now))
	}
	for _, f := range q.TermFilters() {
		filter = append(filter, map[string]any{"terms": map[string]any{f.Field: f.Values}})
	}
	if q.Flagged != nil {
		filter = append(filter, map[string]any{"term": map[string]any{store.FieldFlagged: *q.Flagged}})
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		r := map[string]any{}
		if !q.From.IsZero() {
			r["gte"] = rfc3339(q.From)
		}
		if !q.To.IsZero() {
			r["lt"] = rfc3339(q.To)
		}
		filter = append(filter, map[string]any{"range": map[string]any{store.FieldPublishedAt: r}})
	}
	if len(must) == 0 && len(filter) == 0 {
		return map[string]any{"match_all": map[string]any{}}, nil
	}
	b := map[string]any{}
	if len(must) > 0 {
		b["must"] = must
	}
	if len(filter) > 0 {
		b["filter"] = filter
	}
	return map[string]any{"bool": b}, nil
}

// exprQuery translates one node of an analyst query with the semantics of lq.MatchAt:
// a text term is a match_phrase on the text or the title field.
func exprQuery(e *lq.Expr, now time.Time) map[string]any {
	switch e.Op {
	case lq.OpAnd:
		var pos, neg []any
		for _, a := range e.Args {
			if a.Op == lq.OpNot {
				neg = append(neg, exprQuery(a.Args[0], now))
			} else {
				pos = append(pos, exprQuery(a, now))
			}
		}
		b := map[string]any{}
		if len(pos) > 0 {
			b["must"] = pos
		}
		if len(neg) > 0 {
			b["must_not"] = neg
		}
		return map[string]any{"bool": b}
	case lq.OpOr:
		should := make([]any, len(e.Args))
		for i, a := range e.Args {
			should[i] = exprQuery(a, now)
		}
		return map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}
	case lq.OpNot:
		return map[string]any{"bool": map[string]any{"must_not": []any{exprQuery(e.Args[0], now)}}}
	case lq.OpText:
		fields := []string{store.FieldTextFolded, store.FieldTitleFolded}
		if e.Exact {
			fields = []string{store.FieldTextExact, store.FieldTitleExact}
		}
		phrase := strings.Join(e.Words, " ")
		var either []any
		for _, f := range fields {
			either = append(either, map[string]any{"match_phrase": map[string]any{f: phrase}})
		}
		return map[string]any{"bool": map[string]any{"should": either, "minimum_should_match": 1}}
	case lq.OpField:
		if e.Field == lq.FieldFlagged {
			return map[string]any{"term": map[string]any{store.FieldFlagged: e.Value == "true"}}
		}
		return map[string]any{"term": map[string]any{fieldOf[e.Field]: e.Value}}
	case lq.OpRange:
		op := "gte"
		if e.Field == lq.FieldTo {
			op = "lt"
		}
		return map[string]any{"range": map[string]any{store.FieldPublishedAt: map[string]any{op: rfc3339(e.Time(now))}}}
	}
	return map[string]any{"match_none": map[string]any{}}
}

// fieldOf maps query-language filter names to index fields.
var fieldOf = map[string]string{
	lq.FieldNarrative: store.FieldNarrativeIDs,
	lq.FieldSentiment: store.FieldSentiment,
	lq.FieldToxicity:  store.FieldToxicity,
	lq.FieldSource:    store.FieldSource,
	lq.FieldPlatform:  store.FieldPlatform,
}

func sortOrder(s store.Sort) []any {
	id := map[string]any{"id": "asc"}
	switch s {
	case store.SortOldest:
		return []any{map[string]any{store.FieldPublishedAt: "asc"}, id}
	case store.SortRelevance:
		return []any{"_score", map[string]any{store.FieldPublishedAt: "desc"}, id}
	default:
		return []any{map[string]any{store.FieldPublishedAt: "desc"}, id}
	}
}

type searchResponse struct {
	Hits struct {
		Total struct {
			Value int `json:"value"`
		} `json:"total"`
		Hits []struct {
			ID     string          `json:"_id"`
			Score  *float64        `json:"_score"`
			Source json.RawMessage `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
	Aggregations struct {
		First      *struct{ Value *float64 } `json:"first"`
		Last       *struct{ Value *float64 } `json:"last"`
		Histogram  *histogram                `json:"histogram"`
		Narratives *termsAgg                 `json:"narratives"`
		Sentiments *termsAgg                 `json:"sentiments"`
		Toxicities *termsAgg                 `json:"toxicities"`
		Sources    *termsAgg                 `json:"sources"`
		Authors    *struct{ Value int }      `json:"authors"`
	} `json:"aggregations"`
}

type termsAgg struct {
	Buckets []struct {
		Key      string `json:"key"`
		DocCount int    `json:"doc_count"`
	} `json:"buckets"`
}

func (t *termsAgg) counts() []store.TermCount {
	out := []store.TermCount{}
	if t != nil {
		for _, b := range t.Buckets {
			out = append(out, store.TermCount{Term: b.Key, Count: b.DocCount})
		}
	}
	store.SortTermCounts(out)
	return out
}

// statsAggs are the aggregations of store.Aggs. Terms are ordered count desc, key asc
// (bleve's facet order); shard_size is raised so counts of the small label sets are exact
// across the monthly indices.
func statsAggs(q store.Query) map[string]any {
	terms := func(field string) map[string]any {
		return map[string]any{"terms": map[string]any{
			"field": field, "size": q.TopN, "shard_size": max(q.TopN*10, 1000),
			"order": []any{map[string]any{"_count": "desc"}, map[string]any{"_key": "asc"}},
		}}
	}
	return map[string]any{
		"narratives": terms(store.FieldNarrativeIDs),
		"sentiments": terms(store.FieldSentiment),
		"toxicities": terms(store.FieldToxicity),
		"sources":    terms(store.FieldSource),
		"authors": map[string]any{"cardinality": map[string]any{
			"field": "author.id", "precision_threshold": store.AuthorPrecision,
		}},
	}
}

// aggs reads the aggregations of the main search and counts top terms over the
// store.MaxTermsSample newest matches (one more search, returning only title and text).
func (s *Store) aggs(ctx context.Context, query map[string]any, q store.Query, res *searchResponse) (*store.Aggs, error) {
	ra := res.Aggregations
	a := &store.Aggs{
		Narratives: ra.Narratives.counts(), Sentiments: ra.Sentiments.counts(),
		Toxicities: ra.Toxicities.counts(), Sources: ra.Sources.counts(),
	}
	if ra.Authors != nil {
		a.Authors = ra.Authors.Value
	}
	var sample searchResponse
	body := map[string]any{
		"query": query, "size": store.MaxTermsSample, "sort": sortOrder(store.SortNewest),
		"_source": []string{"title", "text"}, "track_total_hits": false,
	}
	if err := s.search(ctx, body, &sample); err != nil {
		return nil, err
	}
	posts := make([]*post.Post, 0, len(sample.Hits.Hits))
	for _, h := range sample.Hits.Hits {
		var p post.Post
		if err := json.Unmarshal(h.Source, &p); err != nil {
			return nil, fmt.Errorf("elasticsearch: decode hit %s: %w", h.ID, err)
		}
		posts = append(posts, &p)
	}
	a.Terms = store.TopTerms(posts, q.TopN, store.AggTerms(q.Text))
	a.TermsSample = len(posts)
	return a, nil
}

type histogram struct {
	Buckets []struct {
		Key      int64 `json:"key"`
		DocCount int   `json:"doc_count"`
	} `json:"buckets"`
}

func histogramAgg(d time.Duration) map[string]any {
	return map[string]any{"date_histogram": map[string]any{
		"field":          store.FieldPublishedAt,
		"fixed_interval": fmt.Sprintf("%dms", d.Milliseconds()),
		// min_doc_count 0 lists empty buckets between the first and last match, as bleve does.
		"min_doc_count": 0,
	}}
}

// Search runs q on the alias. Highlights come from store.Highlights, not from
// Elasticsearch's highlighter, so they match bleve's byte for byte. Buckets are a
// fixed_interval date_histogram of width store.BucketInterval, from the first to the last
// matching post; that needs the matched range first, so a second request is made unless
// the query's own From/To range already gives the same interval.
func (s *Store) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	q, err := q.Normalized()
	if err != nil {
		return nil, err
	}
	query, err := s.buildQuery(q)
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"query":            query,
		"from":             q.Offset,
		"size":             q.Limit,
		"sort":             sortOrder(q.Sort),
		"track_total_hits": true,
	}
	var guess time.Duration
	if q.Aggs {
		body["aggs"] = statsAggs(q)
	}
	if q.Interval >= 0 {
		aggs, _ := body["aggs"].(map[string]any)
		if aggs == nil {
			aggs = map[string]any{}
		}
		for k, v := range map[string]any{
			"first": map[string]any{"min": map[string]any{"field": store.FieldPublishedAt}},
			"last":  map[string]any{"max": map[string]any{"field": store.FieldPublishedAt}},
		} {
			aggs[k] = v
		}
		if !q.From.IsZero() && !q.To.IsZero() {
			guess = store.BucketInterval(q, q.From, q.To.Add(-time.Nanosecond))
			aggs["histogram"] = histogramAgg(guess)
		}
		body["aggs"] = aggs
	}
	var res searchResponse
	if err := s.search(ctx, body, &res); err != nil {
		return nil, err
	}
	out := &store.Result{Total: res.Hits.Total.Value, Hits: make([]store.Hit, 0, len(res.Hits.Hits))}
	for _, h := range res.Hits.Hits {
		var p post.Post
		if err := json.Unmarshal(h.Source, &p); err != nil {
			return nil, fmt.Errorf("elasticsearch: decode hit %s: %w", h.ID, err)
		}
		hit := store.Hit{Post: &p, Highlights: store.Highlights(&p, q.Text)}
		if q.Sort == store.SortRelevance && h.Score != nil {
			hit.Score = *h.Score
		}
		out.Hits = append(out.Hits, hit)
	}
	if q.Aggs {
		if out.Aggs, err = s.aggs(ctx, query, q, &res); err != nil {
			return nil, err
		}
	}
	a := res.Aggregations
	if q.Interval < 0 || out.Total == 0 || a.First == nil || a.First.Value == nil || a.Last == nil || a.Last.Value == nil {
		return out, nil
	}
	first, last := time.UnixMilli(int64(*a.First.Value)), time.UnixMilli(int64(*a.Last.Value))
	d := store.BucketInterval(q, first, last)
	h := a.Histogram
	if d != guess || h == nil {
		var res2 searchResponse
		body2 := map[string]any{"query": query, "size": 0, "track_total_hits": false, "aggs": map[string]any{"histogram": histogramAgg(d)}}
		if err := s.search(ctx, body2, &res2); err != nil {
			return nil, err
		}
		h = res2.Aggregations.Histogram
	}
	if h != nil {
		out.Buckets = make([]store.Bucket, 0, len(h.Buckets))
		for _, b := range h.Buckets {
			out.Buckets = append(out.Buckets, store.Bucket{Start: time.UnixMilli(b.Key).UTC(), Count: b.DocCount})
		}
	}
	out.Interval = d.String()
	return out, nil
}

// searchRetryFor bounds how long a search waits for a just-created monthly index, whose
// alias (from the template) exists before its primary shard has started.
const searchRetryFor = 3 * time.Second

func (s *Store) search(ctx context.Context, body map[string]any, out *searchResponse) error {
	deadline := time.Now().Add(searchRetryFor)
	for wait := 25 * time.Millisecond; ; wait = min(2*wait, 400*time.Millisecond) {
		err := s.client.Do(ctx, http.MethodPost, "/"+s.prefix+"/_search", readParams(), body, out)
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusBadRequest {
			se.badQuery = true
		}
		if !shardStarting(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// shardStarting reports the answer of a search that met only shards that have not
// started yet (a monthly index created a moment ago): worth a brief retry.
func shardStarting(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable {
		return false
	}
	return strings.Contains(se.Type+" "+se.Reason, "no_shard_available") || se.Reason == "all shards failed"
}

// Get returns the post with id from whichever monthly index holds it, or an error
// wrapping store.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*post.Post, error) {
	var res searchResponse
	body := map[string]any{"query": map[string]any{"ids": map[string]any{"values": []string{id}}}, "size": 1}
	if err := s.search(ctx, body, &res); err != nil {
		return nil, err
	}
	if len(res.Hits.Hits) == 0 {
		return nil, fmt.Errorf("elasticsearch: %q: %w", id, store.ErrNotFound)
	}
	var p post.Post
	if err := json.Unmarshal(res.Hits.Hits[0].Source, &p); err != nil {
		return nil, fmt.Errorf("elasticsearch: decode %s: %w", id, err)
	}
	return &p, nil
}

// Refresh makes completed writes searchable on every index behind the alias.
func (s *Store) Refresh(ctx context.Context) error {
	return s.client.Do(ctx, http.MethodPost, "/"+s.prefix+"/_refresh", readParams(), nil, nil)
}
