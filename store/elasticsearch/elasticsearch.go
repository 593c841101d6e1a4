// Package elasticsearch is the production store.Store on Elasticsearch 8, using the
// official go-elasticsearch client. Posts go to monthly indices <prefix>-YYYY.MM (by
// published_at), which a composable index template maps and puts behind the alias
// <prefix>; every read goes to the alias. Only open-source core features are used (no
// ILM, no security APIs), so it runs on a minimal distribution too.
package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	lq "github.com/langnghe/langnghe/store/query"
)

// DefaultIndexPrefix names the template, the alias and the start of every index.
const DefaultIndexPrefix = "langnghe-posts"

// Config says where the cluster is and how to authenticate. Credentials never appear in
// errors or logs.
type Config struct {
	URLs     []string
	Username string
	Password string
	APIKey   string // base64 "id:key", as Elasticsearch hands it out
	// CACert is a PEM bundle trusted for https URLs; CertificateFingerprint is the SHA-256
	// hex fingerprint Elasticsearch prints at first start (either, or the system roots).
	CACert                 []byte
	CertificateFingerprint string
	IndexPrefix            string // default DefaultIndexPrefix
}

// Store is the Elasticsearch store.Store. It is safe for concurrent use.
type Store struct {
	client      *Client
	prefix      string
	log         *slog.Logger
	transport   http.RoundTripper
	shards      int
	replicas    int // -1: cluster default
	bulkBytes   int
	bulkDocs    int
	concurrency int

	// ready holds the monthly indices known to exist with the alias on them, so Index
	// creates each one once per process rather than checking on every batch.
	ready sync.Map // index name -> struct{}

	// bodies recycles _bulk request buffers: growing a fresh one to a few hundred KB for
	// every part was half of the bytes the indexer allocated.
	bodies sync.Pool // *bytes.Buffer
}

var (
	_ store.Store            = (*Store)(nil)
	_ store.Retainer         = (*Store)(nil)
	_ store.RetentionPlanner = (*Store)(nil)
	_ store.DocumentEncoder  = (*Store)(nil)
)

// Option configures New.
type Option func(*Store)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithTransport sets the HTTP transport (tests, proxies, custom TLS).
func WithTransport(rt http.RoundTripper) Option { return func(s *Store) { s.transport = rt } }

// WithShards sets the primary shard count of new monthly indices (default 1: a month of
// posts is small, and one shard keeps relevance scores exact).
func WithShards(n int) Option { return func(s *Store) { s.shards = n } }

// DefaultBulkBytes is the target size of one _bulk request body (Elastic's guidance: a
// few MB to tens of MB; small enough that a retry costs little).
const DefaultBulkBytes = 5 << 20

// WithBulkBytes sets the target size of one _bulk request; Index splits larger batches
// into several requests (default DefaultBulkBytes).
func WithBulkBytes(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.bulkBytes = n
		}
	}
}

// DefaultBulkDocs and DefaultConcurrency: Index sends a batch of up to 500 posts as one
// _bulk request at a time. The indexer encodes the next batch while this one is written
// (IndexEncoded), so splitting a batch to overlap encoding buys nothing, and two
// concurrent requests into one shard cost Elasticsearch more CPU per document (60 vs 41
// µs measured by indexer.BenchmarkIndexerVsBulk, throughput ratio to a plain _bulk loader
// 0.74-0.84 vs 0.83-0.96). More workers may pay off on a cluster with many shards.
const (
	DefaultBulkDocs    = 500
	DefaultConcurrency = 1
)

// WithBulkDocs sets the most posts per part of a batch (default DefaultBulkDocs).
func WithBulkDocs(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.bulkDocs = n
		}
	}
}

// WithConcurrency sets how many parts of one batch are in flight at once (default
// DefaultConcurrency).
func WithConcurrency(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.concurrency = n
		}
	}
}

// WithReplicas sets the replica count of new monthly indices (default: the cluster's
// default, 1). Single-node development clusters use 0 to stay green.
func WithReplicas(n int) Option { return func(s *Store) { s.replicas = n } }

// New connects, checks the cluster answers, and installs the index template (idempotent,
// versioned). Errors wrap store.ErrUnavailable when the cluster cannot be reached.
func New(ctx context.Context, cfg Config, opts ...Option) (*Store, error) {
	s := &Store{bodies: sync.Pool{New: func() any { return new(bytes.Buffer) }}, prefix: cfg.IndexPrefix, log: slog.Default(), shards: 1, replicas: -1, bulkBytes: DefaultBulkBytes, bulkDocs: DefaultBulkDocs, concurrency: DefaultConcurrency}
	if s.prefix == "" {
		s.prefix = DefaultIndexPrefix
	}
	for _, o := range opts {
		o(s)
	}
	if strings.ContainsAny(s.prefix, `*,"\/ ?<>|#:`) || s.prefix != strings.ToLower(s.prefix) {
		return nil, fmt.Errorf("elasticsearch: index prefix %q must be lowercase without * , \" \\ / ? < > | # : or spaces", s.prefix)
	}
	client, err := NewClient(cfg, WithClientTransport(s.transport))
	if err != nil {
		return nil, err
	}
	s.client = client
	if err := s.ensureTemplate(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return s, nil
}

// ensureIndex makes sure index exists and is behind the alias before posts are written to
// it: create it (the call returns once its primary shard is active), then add the alias.
// Both steps are idempotent, so concurrent indexers may race here harmlessly.
func (s *Store) ensureIndex(ctx context.Context, index string) error {
	if _, ok := s.ready.Load(index); ok {
		return nil
	}
	if err := s.client.CreateIndex(ctx, index, nil); err != nil {
		return err
	}
	if err := s.client.Do(ctx, http.MethodPut, "/"+index+"/_alias/"+s.prefix, nil, nil, nil); err != nil {
		return fmt.Errorf("elasticsearch: alias %s on %s: %w", s.prefix, index, err)
	}
	s.ready.Store(index, struct{}{})
	return nil
}

// ensureTemplate installs the index template unless the same or a newer version is
// already there. After an upgrade it also puts the mapping on existing indices, so new
// fields become searchable in old months (mappings only ever grow).
func (s *Store) ensureTemplate(ctx context.Context) error {
	var got struct {
		IndexTemplates []struct {
			Name          string `json:"name"`
			IndexTemplate struct {
				Version int `json:"version"`
			} `json:"index_template"`
		} `json:"index_templates"`
	}
	err := s.client.Do(ctx, http.MethodGet, "/_index_template/"+s.prefix, nil, nil, &got)
	installed := 0
	switch {
	case err == nil && len(got.IndexTemplates) > 0:
		installed = got.IndexTemplates[0].IndexTemplate.Version
	case err == nil || IsStatus(err, http.StatusNotFound):
	default:
		return fmt.Errorf("elasticsearch: read index template: %w", err)
	}
	if installed > templateVersion {
		s.log.Warn("index template is newer than this build; leaving it", "template", s.prefix, "installed", installed, "ours", templateVersion)
		return nil
	}
	if installed == templateVersion {
		return nil
	}
	if err := s.client.Do(ctx, http.MethodPut, "/_index_template/"+s.prefix, nil, s.templateBody(), nil); err != nil {
		return fmt.Errorf("elasticsearch: install index template: %w", err)
	}
	s.log.Info("installed index template", "template", s.prefix, "version", templateVersion, "previous", installed)
	if installed > 0 {
		m := mappings()
		delete(m, "dynamic")
		err := s.client.Do(ctx, http.MethodPut, "/"+s.prefix+"/_mapping", url.Values{"ignore_unavailable": {"true"}, "allow_no_indices": {"true"}}, m, nil)
		if err != nil && !IsStatus(err, http.StatusNotFound) {
			return fmt.Errorf("elasticsearch: upgrade mapping of existing indices: %w", err)
		}
	}
	return nil
}

// Client is the Elasticsearch client, so that other writers to the same cluster (alert
// history and state) share its connection settings instead of repeating them.
func (s *Store) Client() *Client { return s.client }

// IndexName is the monthly index a post belongs to.
func (s *Store) IndexName(p *post.Post) string {
	return s.prefix + "-" + store.MonthlyIndexSuffix(p.PublishedAt)
}

// document is the stored source: the post as is, plus the derived flat fields.
type document struct {
	*post.Post
	store.DocFields
}

type bulkResponse struct {
	Errors bool `json:"errors"`
	// Items are in request order. Index only sends "index" actions, so each item has that
	// one key; a struct, unlike a map per item, costs no allocation to decode.
	Items []struct {
		Index bulkItem `json:"index"`
	} `json:"items"`
}

type bulkItem struct {
	Status int `json:"status"`
	Error  *struct {
		Type     string `json:"type"`
		Reason   string `json:"reason"`
		CausedBy *struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"caused_by"`
	} `json:"error"`
}

// Index writes posts with _bulk requests (action index, so a re-sent post replaces
// itself). Per-item 429 and 5xx are retryable ItemErrors, other rejections permanent with
// Elasticsearch's reason; posts that cannot be stored at all are permanent without being
// sent. A failure of any whole request wraps store.ErrUnavailable (the batch is retried;
// re-writing the parts that went through is an idempotent overwrite).
//
// The batch is cut into parts of at most WithBulkDocs posts, each encoded and sent by one
// of WithConcurrency workers, so encoding the next part overlaps Elasticsearch indexing
// the previous one; a part larger than WithBulkBytes is split further. When a batch holds
// the same id twice, only the last copy is written, as a redelivered message would.
func (s *Store) Index(ctx context.Context, posts []*post.Post) error {
	return s.IndexEncoded(ctx, posts, nil)
}

// EncodeDocument implements store.DocumentEncoder: the two _bulk lines (action and
// source) of p, as indexPart would write them.
func (s *Store) EncodeDocument(p *post.Post) ([]byte, error) {
	if err := store.CheckIndexable(p); err != nil {
		return nil, err
	}
	buf := s.bodies.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		s.bodies.Put(buf)
	}()
	if err := s.encode(buf, p); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil // exactly sized: held until the batch is written
}

// encode appends p's action and source lines to buf. goccy/go-json writes the same bytes
// as encoding/json (TestDocumentEncodingMatchesStd) in less time; the indexer encodes
// every post, on the cores Elasticsearch needs.
func (s *Store) encode(buf *bytes.Buffer, p *post.Post) error {
	enc := gojson.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(bulkAction{Index: bulkMeta{Index: s.IndexName(p), ID: p.ID}}); err != nil {
		return err
	}
	return enc.Encode(document{Post: p, DocFields: store.Fields(p)})
}

// IndexEncoded implements store.DocumentEncoder: Index, taking the documents already
// encoded by EncodeDocument where docs has them.
func (s *Store) IndexEncoded(ctx context.Context, posts []*post.Post, docs [][]byte) error {
	if docs != nil && len(docs) != len(posts) {
		return fmt.Errorf("elasticsearch: %d encoded documents for %d posts", len(docs), len(posts))
	}
	var bad []store.ItemError
	last := make(map[string]int, len(posts))
	for i, p := range posts {
		if p != nil {
			last[p.ID] = i
		}
	}
	good := make([]*post.Post, 0, len(posts))
	var goodDocs [][]byte // aligned with good when docs is given
	names := map[string]bool{}
	var order []string // monthly indices in first-seen order
	for i, p := range posts {
		if err := store.CheckIndexable(p); err != nil {
			id := ""
			if p != nil {
				id = p.ID
			}
			bad = append(bad, store.ItemError{ID: id, Permanent: true, Reason: err.Error()})
			continue
		}
		if last[p.ID] != i {
			continue // superseded by a later copy in this batch
		}
		good = append(good, p)
		if docs != nil {
			goodDocs = append(goodDocs, docs[i])
		}
		if n := s.IndexName(p); !names[n] {
			names[n] = true
			order = append(order, n)
		}
	}
	for _, name := range order {
		if err := s.ensureIndex(ctx, name); err != nil {
			if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
	)
	type part struct {
		posts []*post.Post
		docs  [][]byte
	}
	parts := make(chan part)
	var wg sync.WaitGroup
	for range min(s.concurrency, (len(good)+s.bulkDocs-1)/s.bulkDocs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for part := range parts {
				items, err := s.indexPart(ctx, part.posts, part.docs)
				mu.Lock()
				bad = append(bad, items...)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < len(good); i += s.bulkDocs {
		j := min(i+s.bulkDocs, len(good))
		pt := part{posts: good[i:j]}
		if goodDocs != nil {
			pt.docs = goodDocs[i:j]
		}
		parts <- pt
	}
	close(parts)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if len(bad) > 0 {
		return &store.BatchError{Items: bad}
	}
	return nil
}

// indexPart encodes posts (all indexable, their indices ready) and sends them in _bulk
// requests of about s.bulkBytes.
func (s *Store) indexPart(ctx context.Context, posts []*post.Post, docs [][]byte) ([]store.ItemError, error) {
	body := s.bodies.Get().(*bytes.Buffer)
	answered := false // every request of this part got its answer
	defer func() {
		// After a failed request the transport may still hold a reader on the body, so
		// only a buffer whose requests all completed is reused; a giant one is not kept.
		if answered && body.Cap() <= 2*s.bulkBytes {
			body.Reset()
			s.bodies.Put(body)
		}
	}()
	var bad []store.ItemError
	sent := make([]string, 0, len(posts)) // ids in request order, to pair with response items
	// cuts split the body into _bulk requests of about s.bulkBytes each; cuts[0] is the
	// start. A post is never split, so one request may exceed the size by one post.
	cuts := []bulkCut{{}}
	for i, p := range posts {
		mark := body.Len()
		var err error
		if docs != nil && docs[i] != nil {
			body.Write(docs[i])
		} else {
			err = s.encode(body, p)
		}
		if err != nil {
			body.Truncate(mark)
			bad = append(bad, store.ItemError{ID: p.ID, Permanent: true, Reason: "encode: " + err.Error()})
			continue
		}
		sent = append(sent, p.ID)
		if body.Len()-cuts[len(cuts)-1].end >= s.bulkBytes {
			cuts = append(cuts, bulkCut{end: body.Len(), items: len(sent)})
		}
	}
	if last := cuts[len(cuts)-1]; last.end < body.Len() {
		cuts = append(cuts, bulkCut{end: body.Len(), items: len(sent)})
	}
	for k := 1; k < len(cuts); k++ {
		from, to := cuts[k-1], cuts[k]
		items, err := s.bulk(ctx, body.Bytes()[from.end:to.end], sent[from.items:to.items])
		if err != nil {
			return bad, err
		}
		bad = append(bad, items...)
	}
	answered = true
	return bad, nil
}

// bulkFilterPath trims _bulk responses to the fields bulkResponse reads.
const bulkFilterPath = "errors,items.*.status,items.*.error"

type bulkAction struct {
	Index bulkMeta `json:"index"`
}

type bulkMeta struct {
	Index string `json:"_index"`
	ID    string `json:"_id"`
}

type bulkCut struct{ end, items int }

// bulk sends one _bulk request for the posts ids (in body order) and classifies the
// failed items: 429 and 5xx retryable, other statuses permanent with Elasticsearch's
// reason. A failure of the whole request wraps store.ErrUnavailable.
func (s *Store) bulk(ctx context.Context, body []byte, ids []string) ([]store.ItemError, error) {
	var res bulkResponse
	// filter_path keeps only what is read below: Elasticsearch then writes and we parse
	// about 25 bytes per item instead of about 230 (index, id, version, shards, seq_no).
	if err := s.client.Do(ctx, http.MethodPost, "/_bulk", url.Values{"filter_path": {bulkFilterPath}}, body, &res); err != nil {
		if errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", store.ErrUnavailable, err)
	}
	if len(res.Items) != len(ids) {
		return nil, fmt.Errorf("%w: bulk answered %d items for %d sent", store.ErrUnavailable, len(res.Items), len(ids))
	}
	if !res.Errors {
		return nil, nil
	}
	var bad []store.ItemError
	for i, item := range res.Items {
		r := item.Index
		if r.Status >= 200 && r.Status < 300 {
			continue
		}
		reason := fmt.Sprintf("status %d", r.Status)
		if r.Error != nil {
			reason = r.Error.Type + ": " + r.Error.Reason
			if r.Error.CausedBy != nil {
				reason += " (" + r.Error.CausedBy.Type + ": " + r.Error.CausedBy.Reason + ")"
			}
		}
		bad = append(bad, store.ItemError{
			ID: ids[i],
			// No status at all means an answer we do not understand: retry rather than
			// dead-letter a post that may be fine.
			Permanent: r.Status != 0 && r.Status != http.StatusTooManyRequests && r.Status < 500,
			Reason:    truncate(reason, 500),
		})
	}
	return bad, nil
}

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
// store.TermSample newest matches (one more search, returning only title and text).
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
		"query": query, "size": store.TermSample, "sort": sortOrder(store.SortNewest),
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

func (s *Store) search(ctx context.Context, body map[string]any, out *searchResponse) error {
	err := s.client.Do(ctx, http.MethodPost, "/"+s.prefix+"/_search", readParams(), body, out)
	var se *StatusError
	if errors.As(err, &se) && se.Status == http.StatusBadRequest {
		se.badQuery = true
	}
	return err
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

// Ready returns nil when the cluster health is yellow or green; otherwise an error
// wrapping store.ErrUnavailable.
func (s *Store) Ready(ctx context.Context) error {
	var h struct {
		Status string `json:"status"`
	}
	err := s.client.Do(ctx, http.MethodGet, "/_cluster/health", url.Values{"wait_for_status": {"yellow"}, "timeout": {"1s"}}, nil, &h)
	if IsStatus(err, http.StatusRequestTimeout) {
		return fmt.Errorf("%w: elasticsearch cluster health not yellow or green within 1s", store.ErrUnavailable)
	}
	if err != nil {
		return err
	}
	if h.Status != "green" && h.Status != "yellow" {
		return fmt.Errorf("%w: elasticsearch cluster health %q", store.ErrUnavailable, h.Status)
	}
	return nil
}

// Indices lists the monthly indices behind the alias, oldest first (retention drops
// whole old indices by name).
func (s *Store) Indices(ctx context.Context) ([]string, error) {
	var got map[string]any
	err := s.client.Do(ctx, http.MethodGet, "/"+s.prefix+"-*/_alias/"+s.prefix, url.Values{"allow_no_indices": {"true"}}, nil, &got)
	if err != nil && !IsStatus(err, http.StatusNotFound) {
		return nil, err
	}
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// DeleteIndices deletes the named indices; it refuses names outside this store's prefix.
func (s *Store) DeleteIndices(ctx context.Context, names ...string) error {
	for _, n := range names {
		if !strings.HasPrefix(n, s.prefix+"-") || strings.ContainsAny(n, "*,") {
			return fmt.Errorf("elasticsearch: refusing to delete %q: not a %s-* index", n, s.prefix)
		}
	}
	return s.client.DeleteIndex(ctx, names...)
}

// PlanBefore implements store.RetentionPlanner: the monthly indices whose whole month
// lies before t, with their post counts, oldest first.
func (s *Store) PlanBefore(ctx context.Context, t time.Time) ([]store.RetentionItem, error) {
	names, err := s.Indices(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.RetentionItem
	for _, name := range names {
		month, err := time.Parse("2006.01", strings.TrimPrefix(name, s.prefix+"-"))
		if err != nil {
			continue // not one of ours; leave it
		}
		end := month.AddDate(0, 1, 0)
		if end.After(t) {
			continue
		}
		var c struct {
			Count int `json:"count"`
		}
		if err := s.client.Do(ctx, http.MethodGet, "/"+name+"/_count", nil, nil, &c); err != nil {
			return out, err
		}
		out = append(out, store.RetentionItem{Name: name, Posts: c.Count, Before: end})
	}
	return out, nil
}

// DeleteBefore implements store.Retainer by dropping every monthly index whose whole
// month lies before t (posts of a month that straddles t stay until the month is past:
// deleting single documents would need _delete_by_query, which the minimal distribution
// lacks, and dropping indices is far cheaper). It returns the number of posts dropped.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	plan, err := s.PlanBefore(ctx, t)
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, it := range plan {
		if err := s.DeleteIndices(ctx, it.Name); err != nil {
			return deleted, err
		}
		s.ready.Delete(it.Name) // a late post for that month must recreate it with the alias
		s.log.Info("retention dropped index", "index", it.Name, "posts", it.Posts, "before", t)
		deleted += it.Posts
	}
	return deleted, nil
}

// DeleteTemplate removes the index template (tests and uninstall).
// Drop deletes every index of this store's prefix and its template: everything the store
// created (tests and benchmarks clean up with it).
func (s *Store) Drop(ctx context.Context) error {
	names, err := s.Indices(ctx)
	if err == nil {
		err = s.DeleteIndices(ctx, names...)
	}
	if err == nil {
		err = s.DeleteTemplate(ctx)
	}
	return err
}

// SiblingIndex names an index that lives beside the posts indices of postsPrefix without
// being captured by their template (<prefix>-*): "langnghe-posts" with "alerts" gives
// "langnghe-alerts"; any other prefix P gives "P_alerts".
func SiblingIndex(postsPrefix, name string) string {
	if base, ok := strings.CutSuffix(postsPrefix, "-posts"); ok && base != "" {
		return base + "-" + name
	}
	return postsPrefix + "_" + strings.ReplaceAll(name, "-", "_")
}

func (s *Store) DeleteTemplate(ctx context.Context) error {
	err := s.client.Do(ctx, http.MethodDelete, "/_index_template/"+s.prefix, nil, nil, nil)
	if IsStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// Close releases the client's connections.
func (s *Store) Close() error {
	return s.client.Close()
}
