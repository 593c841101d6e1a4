// Package bleve is the embedded store.Store: an on-disk bleve index under the data
// directory, used when no Elasticsearch is configured. It passes the same conformance
// suite (store/storetest) as store/elasticsearch.
//
// Documents hold the Go-folded text (store.FoldedFields) under a plain unicode-word,
// lowercase analyzer, keyword fields for the filters, published_at as a datetime (for
// range queries) and once more as a short sortable keyword with doc values (pub),
// and the whole post as stored, unindexed JSON so Search and Get return complete posts.
//
// Search does not use bleve's collector for date-sorted hits, buckets or facets: one
// unscored pass over the matches (pass.go) reads the sort key and the facet fields' doc
// values once per match, keeps the page and the newest sample in small heaps and counts
// in Go; only the page's stored posts are then loaded. Relevance-sorted hits still come
// from bleve's scored search.
package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/shingle"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	lq "github.com/langnghe/langnghe/store/query"
)

const (
	foldedAnalyzer = "langnghe_folded"
	// pairAnalyzer indexes every two adjacent words of a text field as one term ("ngap
	// nuoc") at the first word's position, in a *_pairs field beside the word field: a
	// two-word phrase is then one term lookup, and a longer one a phrase over its pairs,
	// instead of intersecting two common words' postings and checking positions.
	pairAnalyzer = "langnghe_folded_pairs"
	pairFilter   = "langnghe_pairs"
	pairSuffix   = "_pairs"
	fieldPost    = "post" // stored full post JSON, not indexed
	// mappingVersion is written to the index's internal storage; a later mapping change
	// bumps it so Open can refuse (or migrate) an index built with an older mapping.
	//
	// 2: text_exact/title_exact, term vectors (phrases), author_id.
	// 3: published_at without doc values; pub (see pubKey) for sorting and buckets;
	//    word pairs in *_pairs fields (see pairAnalyzer), no term vectors on word fields.
	mappingVersion = "3"
	fieldAuthorID  = "author_id"
	// fieldPub holds published_at once more as one short sortable keyword with doc values
	// (pubKey): sorting and buckets read it instead of the 16 prefix-coded terms a bleve
	// datetime field keeps per post.
	fieldPub = "pub"
	metaKey  = "langnghe_mapping_version"
)

// boltTimeout bounds the wait for another process's lock on an existing index.
const boltTimeout = 3 * time.Second

// Store is the bleve-backed store.Store. It is safe for concurrent use.
type Store struct {
	idx bleve.Index
	dir string
	log *slog.Logger
}

var (
	_ store.Store            = (*Store)(nil)
	_ store.Retainer         = (*Store)(nil)
	_ store.RetentionPlanner = (*Store)(nil)
)

// Option configures Open.
type Option func(*Store)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// Open opens the index under dir, creating dir and a new index if there is none yet.
// An index written with an older mapping version that keeps whole posts (migratable) is
// rewritten into the current layout first; any other version is refused rather than
// silently queried with the wrong field layout.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	if err := finishMigration(dir); err != nil {
		return nil, err
	}
	var idx bleve.Index
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); err == nil {
		// bolt waits for its file lock forever by default; another process holding the
		// index must fail the open instead of hanging it.
		if err := openIndex(dir, func() (err error) {
			idx, err = bleve.OpenUsing(dir, map[string]any{"bolt_timeout": boltTimeout.String()})
			return err
		}); err != nil {
			return nil, err
		}
		v, err := idx.GetInternal([]byte(metaKey))
		if err != nil || string(v) != mappingVersion {
			if err == nil && migratable[string(v)] {
				s.log.Warn("bleve index has an older mapping; rewriting it (the old one is kept until the copy is complete)", "dir", dir, "from", string(v), "to", mappingVersion)
				if err := migrate(idx, dir, s.log); err != nil {
					return nil, err
				}
				return Open(dir, opts...)
			}
			_ = idx.Close()
			if file, cause := damagedFile(dir); file != "" {
				return nil, &OpenError{Dir: dir, File: file, Cause: cause, Err: fmt.Errorf("mapping version %q", v)}
			}
			return nil, fmt.Errorf("bleve: index %s has mapping version %q, this build reads only %q (a different field layout, it would answer wrongly); move it away and re-index to rebuild it", dir, v, mappingVersion)
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o755); err != nil {
			return nil, fmt.Errorf("bleve: create parent of %s: %w", dir, err)
		}
		// bleve.New insists on creating dir itself; an empty existing dir is fine to replace.
		if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
			_ = os.Remove(dir)
		}
		m, err := indexMapping()
		if err != nil {
			return nil, err
		}
		idx, err = bleve.New(dir, m)
		if err != nil {
			return nil, fmt.Errorf("bleve: create %s: %w", dir, err)
		}
		if err := idx.SetInternal([]byte(metaKey), []byte(mappingVersion)); err != nil {
			_ = idx.Close()
			return nil, fmt.Errorf("bleve: write mapping version: %w", err)
		}
		s.log.Info("created bleve index", "dir", dir)
	}
	s.idx = idx
	return s, nil
}

func indexMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	// Unicode word boundaries and lowercase only: the text is already folded in Go, and
	// stemming or stop words would make bleve disagree with Elasticsearch's standard analyzer.
	if err := im.AddCustomAnalyzer(foldedAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name},
	}); err != nil {
		return nil, fmt.Errorf("bleve: analyzer: %w", err)
	}
	if err := im.AddCustomTokenFilter(pairFilter, map[string]any{
		"type": shingle.Name, "min": 2.0, "max": 2.0, "output_original": false, "separator": " ",
	}); err != nil {
		return nil, fmt.Errorf("bleve: pair filter: %w", err)
	}
	if err := im.AddCustomAnalyzer(pairAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name, pairFilter},
	}); err != nil {
		return nil, fmt.Errorf("bleve: pair analyzer: %w", err)
	}
	im.DefaultAnalyzer = keyword.Name
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false

	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = foldedAnalyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false // words are term queries; phrases go to the pairs
		f.DocValues = false
		return f
	}
	pairs := func(name string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Name = name + pairSuffix
		f.Analyzer = pairAnalyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = true // positions, for phrases of three words or more
		f.DocValues = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range []string{store.FieldTextFolded, store.FieldTitleFolded, store.FieldTextExact, store.FieldTitleExact} {
		doc.AddFieldMappingsAt(name, text(), pairs(name))
	}
	for _, name := range []string{store.FieldPlatform, store.FieldSource, store.FieldSentiment, store.FieldToxicity, store.FieldNarrativeIDs, fieldAuthorID} {
		doc.AddFieldMappingsAt(name, kw())
	}
	flagged := bleve.NewBooleanFieldMapping()
	flagged.Store = false
	flagged.IncludeInAll = false
	doc.AddFieldMappingsAt(store.FieldFlagged, flagged)
	published := bleve.NewDateTimeFieldMapping()
	published.Store = false
	published.IncludeInAll = false
	published.DocValues = false // range queries only; sorting and buckets use the keys below
	doc.AddFieldMappingsAt(store.FieldPublishedAt, published)
	pub := kw()
	pub.DocValues = true
	doc.AddFieldMappingsAt(fieldPub, pub)
	raw := bleve.NewTextFieldMapping()
	raw.Index = false
	raw.Store = true
	raw.IncludeInAll = false
	raw.IncludeTermVectors = false
	raw.DocValues = false
	doc.AddFieldMappingsAt(fieldPost, raw)
	im.DefaultMapping = doc
	return im, nil
}

// document is what bleve indexes for one post.
type document struct {
	TextFolded   string    `json:"text_folded"`
	TitleFolded  string    `json:"title_folded"`
	TextExact    string    `json:"text_exact"`
	TitleExact   string    `json:"title_exact"`
	AuthorID     string    `json:"author_id"`
	Platform     string    `json:"platform"`
	Source       string    `json:"source"`
	Sentiment    string    `json:"sentiment"`
	Toxicity     string    `json:"toxicity"`
	NarrativeIDs []string  `json:"narrative_ids"`
	Flagged      bool      `json:"flagged"`
	PublishedAt  time.Time `json:"published_at"`
	Pub          string    `json:"pub"`
	Post         string    `json:"post"`
}

func toDocument(p *post.Post) (*document, error) {
	raw, err := post.Encode(p)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	f := store.Fields(p)
	return &document{
		TextFolded: f.TextFolded, TitleFolded: f.TitleFolded,
		TextExact: f.TextExact, TitleExact: f.TitleExact, AuthorID: p.Author.ID,
		Platform: p.Platform, Source: p.Source,
		Sentiment: f.Sentiment, Toxicity: f.Toxicity, NarrativeIDs: f.NarrativeIDs,
		Flagged: f.Flagged, PublishedAt: p.PublishedAt.UTC(), Post: string(raw),
		Pub: pubKey(p.PublishedAt),
	}, nil
}

// Index writes posts in one bleve batch. Posts that cannot be stored (nil, no id, no
// published_at, unencodable) are reported as permanent items of a *store.BatchError and
// the rest are written. A failing batch (disk, closed index) wraps store.ErrUnavailable.
func (s *Store) Index(ctx context.Context, posts []*post.Post) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := s.idx.NewBatch()
	var bad []store.ItemError
	for _, p := range posts {
		id := ""
		if p != nil {
			id = p.ID
		}
		if err := store.CheckIndexable(p); err != nil {
			bad = append(bad, store.ItemError{ID: id, Permanent: true, Reason: err.Error()})
			continue
		}
		doc, err := toDocument(p)
		if err == nil {
			// A later copy of the same id in one batch replaces the earlier one, as a
			// redelivered Kafka message would.
			err = b.Index(p.ID, doc)
		}
		if err != nil {
			bad = append(bad, store.ItemError{ID: id, Permanent: true, Reason: err.Error()})
		}
	}
	if b.Size() > 0 {
		if err := s.idx.Batch(b); err != nil {
			return fmt.Errorf("%w: bleve batch of %d: %v", store.ErrUnavailable, b.Size(), err)
		}
	}
	if len(bad) > 0 {
		return &store.BatchError{Items: bad}
	}
	return nil
}

// DeleteBefore implements store.Retainer: it deletes every post published before t,
// exactly, and returns how many.
func (s *Store) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	inclusive := false
	q := bleve.NewDateRangeInclusiveQuery(time.Time{}, t, nil, &inclusive)
	q.SetField(store.FieldPublishedAt)
	deleted := 0
	for {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		req := bleve.NewSearchRequestOptions(q, 1000, 0, false)
		res, err := s.idx.SearchInContext(ctx, req)
		if err != nil {
			return deleted, fmt.Errorf("%w: bleve retention search: %v", store.ErrUnavailable, err)
		}
		if len(res.Hits) == 0 {
			return deleted, nil
		}
		b := s.idx.NewBatch()
		for _, h := range res.Hits {
			b.Delete(h.ID)
		}
		if err := s.idx.Batch(b); err != nil {
			return deleted, fmt.Errorf("%w: bleve retention delete: %v", store.ErrUnavailable, err)
		}
		deleted += len(res.Hits)
	}
}

// buildQuery translates q (normalized) into a bleve query: the analyst query of q.Text
// ANDed with the structured filters.
// PlanBefore implements store.RetentionPlanner: one item, the posts published before t.
func (s *Store) PlanBefore(ctx context.Context, t time.Time) ([]store.RetentionItem, error) {
	inclusive := false
	q := bleve.NewDateRangeInclusiveQuery(time.Time{}, t, nil, &inclusive)
	q.SetField(store.FieldPublishedAt)
	res, err := s.idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(q, 0, 0, false))
	if err != nil {
		return nil, s.searchErr(ctx, err)
	}
	if res.Total == 0 {
		return nil, nil
	}
	return []store.RetentionItem{{Name: s.dir, Posts: int(res.Total), Before: t}}, nil
}

func buildQuery(q store.Query) (query.Query, error) {
	e, err := q.Expr()
	if err != nil {
		return nil, err
	}
	var must []query.Query
	if e != nil {
		must = append(must, exprQuery(e, q.Now))
	}
	for _, f := range q.TermFilters() {
		if f.Field == store.FieldID {
			must = append(must, bleve.NewDocIDQuery(f.Values))
			continue
		}
		var qs []query.Query
		for _, v := range f.Values {
			tq := bleve.NewTermQuery(v)
			tq.SetField(f.Field)
			qs = append(qs, tq)
		}
		must = append(must, bleve.NewDisjunctionQuery(qs...))
	}
	if q.Flagged != nil {
		bq := bleve.NewBoolFieldQuery(*q.Flagged)
		bq.SetField(store.FieldFlagged)
		must = append(must, bq)
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		yes, no := true, false
		dq := bleve.NewDateRangeInclusiveQuery(q.From, q.To, &yes, &no)
		dq.SetField(store.FieldPublishedAt)
		must = append(must, dq)
	}
	if len(must) == 0 {
		return bleve.NewMatchAllQuery(), nil
	}
	if len(must) == 1 {
		return must[0], nil
	}
	return bleve.NewConjunctionQuery(must...), nil
}

// exprQuery translates one node of an analyst query; the semantics are those of
// lq.MatchAt (text terms are phrases over the text or the title field).
func exprQuery(e *lq.Expr, now time.Time) query.Query {
	switch e.Op {
	case lq.OpAnd:
		var pos, neg []query.Query
		for _, a := range e.Args {
			if a.Op == lq.OpNot {
				neg = append(neg, exprQuery(a.Args[0], now))
			} else {
				pos = append(pos, exprQuery(a, now))
			}
		}
		if len(neg) == 0 {
			return bleve.NewConjunctionQuery(pos...)
		}
		var must []query.Query
		if len(pos) > 0 {
			must = []query.Query{bleve.NewConjunctionQuery(pos...)}
		}
		return query.NewBooleanQuery(must, nil, neg)
	case lq.OpOr:
		qs := make([]query.Query, len(e.Args))
		for i, a := range e.Args {
			qs[i] = exprQuery(a, now)
		}
		return bleve.NewDisjunctionQuery(qs...)
	case lq.OpNot:
		return query.NewBooleanQuery(nil, nil, []query.Query{exprQuery(e.Args[0], now)})
	case lq.OpText:
		fields := []string{store.FieldTextFolded, store.FieldTitleFolded}
		if e.Exact {
			fields = []string{store.FieldTextExact, store.FieldTitleExact}
		}
		words := analyzeWords(e.Words)
		if len(words) == 0 {
			return bleve.NewMatchNoneQuery()
		}
		either := make([]query.Query, len(fields))
		for i, f := range fields {
			either[i] = phraseQuery(f, words)
		}
		return bleve.NewDisjunctionQuery(either...)
	case lq.OpField:
		if e.Field == lq.FieldFlagged {
			bq := bleve.NewBoolFieldQuery(e.Value == "true")
			bq.SetField(store.FieldFlagged)
			return bq
		}
		tq := bleve.NewTermQuery(e.Value)
		tq.SetField(fieldOf[e.Field])
		return tq
	case lq.OpRange:
		yes, no := true, false
		var dq *query.DateRangeQuery
		if e.Field == lq.FieldFrom {
			dq = bleve.NewDateRangeInclusiveQuery(e.Time(now), time.Time{}, &yes, nil)
		} else {
			dq = bleve.NewDateRangeInclusiveQuery(time.Time{}, e.Time(now), nil, &no)
		}
		dq.SetField(store.FieldPublishedAt)
		return dq
	}
	return bleve.NewMatchNoneQuery()
}

// fieldOf maps query-language filter names to index fields.
var fieldOf = map[string]string{
	lq.FieldNarrative: store.FieldNarrativeIDs,
	lq.FieldSentiment: store.FieldSentiment,
	lq.FieldToxicity:  store.FieldToxicity,
	lq.FieldSource:    store.FieldSource,
	lq.FieldPlatform:  store.FieldPlatform,
}

func sortOrder(s store.Sort) []string {
	switch s {
	case store.SortOldest:
		return []string{fieldPub, "_id"}
	case store.SortRelevance:
		return []string{"-_score", "-" + fieldPub, "_id"}
	default:
		return []string{"-" + fieldPub, "_id"}
	}
}

// Search runs q. Hits are sorted by q.Sort with ties broken by id; highlights come from
// store.Highlights. Relevance-sorted hits come from a scored bleve search; everything
// else (date-sorted hits, total, buckets, aggregations) from one unscored pass over the
// matches (see pass), and the page's stored posts are then fetched by id.
func (s *Store) Search(ctx context.Context, q store.Query) (*store.Result, error) {
	q, err := q.Normalized()
	if err != nil {
		return nil, err
	}
	bq, err := buildQuery(q)
	if err != nil {
		return nil, err
	}
	out := &store.Result{Hits: []store.Hit{}}
	p := &pass{times: q.Interval >= 0}
	var page, sample *top
	if q.Sort == store.SortRelevance {
		if err := s.scoredHits(ctx, bq, q, out); err != nil {
			return nil, err
		}
	} else {
		page = &top{k: q.Offset + q.Limit, desc: q.Sort != store.SortOldest}
		p.tops = append(p.tops, page)
	}
	if q.Aggs {
		sample = &top{k: store.MaxTermsSample, desc: true}
		p.tops = append(p.tops, sample)
		p.facets = []string{store.FieldNarrativeIDs, store.FieldSentiment, store.FieldToxicity, store.FieldSource, fieldAuthorID}
	}
	if page == nil && !p.times && !q.Aggs {
		return out, nil
	}
	// After a scored search the pass is another walk over the matches: skip it once the
	// caller has gone (the pass itself checks ctx every 4,096 matches).
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.run(ctx, bq, p); err != nil {
		return nil, err
	}
	if page != nil {
		out.Total = p.total
		ids := page.order
		ids = ids[min(q.Offset, len(ids)):]
		posts, err := s.posts(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, hp := range posts {
			out.Hits = append(out.Hits, store.Hit{Post: hp, Highlights: store.Highlights(hp, q.Text)})
		}
	}
	if len(p.ts) > 0 {
		fillBuckets(q, p.ts, out)
	}
	if q.Aggs {
		if err := s.fillAggs(ctx, q, p, sample, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scoredHits fills out.Total and out.Hits from bleve's scored search (relevance sort).
func (s *Store) scoredHits(ctx context.Context, bq query.Query, q store.Query, out *store.Result) error {
	req := bleve.NewSearchRequestOptions(bq, q.Limit, q.Offset, false)
	req.Fields = []string{fieldPost}
	req.SortBy(sortOrder(q.Sort))
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return s.searchErr(ctx, err)
	}
	out.Total = int(res.Total)
	for _, h := range res.Hits {
		p, err := decodeHit(h.Fields)
		if err != nil {
			return fmt.Errorf("bleve: hit %s: %w", h.ID, err)
		}
		out.Hits = append(out.Hits, store.Hit{Post: p, Highlights: store.Highlights(p, q.Text), Score: h.Score})
	}
	return nil
}

// fillAggs fills out.Aggs from a pass: exact term counts for the top lists, the exact
// number of distinct authors, and top terms over the store.MaxTermsSample newest matches.
func (s *Store) fillAggs(ctx context.Context, q store.Query, p *pass, sample *top, out *store.Result) error {
	top := func(field string) []store.TermCount {
		all := make([]store.TermCount, 0, len(p.counts[field]))
		for term, n := range p.counts[field] {
			all = append(all, store.TermCount{Term: term, Count: *n})
		}
		store.SortTermCounts(all)
		return all[:min(len(all), q.TopN)]
	}
	a := &store.Aggs{
		Narratives: top(store.FieldNarrativeIDs), Sentiments: top(store.FieldSentiment),
		Toxicities: top(store.FieldToxicity), Sources: top(store.FieldSource),
		Authors: len(p.counts[fieldAuthorID]),
	}
	posts, err := s.posts(ctx, sample.order)
	if err != nil {
		return err
	}
	a.Terms = store.TopTerms(posts, q.TopN, store.AggTerms(q.Text))
	a.TermsSample = len(posts)
	out.Aggs = a
	return nil
}

func (s *Store) searchErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w: bleve search: %v", store.ErrUnavailable, err)
}

func decodeHit(fields map[string]any) (*post.Post, error) {
	raw, ok := fields[fieldPost].(string)
	if !ok {
		return nil, errors.New("stored post missing")
	}
	var p post.Post
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, fmt.Errorf("decode stored post: %w", err)
	}
	return &p, nil
}

// fillBuckets fills out.Buckets from the published_at of every match: bleve has no date
// histogram, so the buckets (store.BucketInterval wide, at most store.MaxBuckets) are
// counted in Go.
func fillBuckets(q store.Query, times []int64, out *store.Result) {
	lo, hi := times[0], times[0]
	for _, t := range times {
		lo, hi = min(lo, t), max(hi, t)
	}
	first, last := time.Unix(0, lo).UTC(), time.Unix(0, hi).UTC()
	d := store.BucketInterval(q, first, last)
	start := store.BucketStart(first, d)
	n := int(store.BucketStart(last, d).Sub(start)/d) + 1
	out.Buckets = make([]store.Bucket, n)
	for i := range out.Buckets {
		out.Buckets[i].Start = start.Add(time.Duration(i) * d)
	}
	base := start.UnixNano()
	for _, t := range times {
		if i := int((t - base) / int64(d)); i >= 0 && i < n {
			out.Buckets[i].Count++
		}
	}
	out.Interval = d.String()
}

// Get returns the post with id, or an error wrapping store.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (*post.Post, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery([]string{id}), 1, 0, false)
	req.Fields = []string{fieldPost}
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, s.searchErr(ctx, err)
	}
	if len(res.Hits) == 0 {
		return nil, fmt.Errorf("bleve: %q: %w", id, store.ErrNotFound)
	}
	return decodeHit(res.Hits[0].Fields)
}

// Refresh is a no-op: a bleve batch is searchable as soon as Index returns.
func (s *Store) Refresh(ctx context.Context) error { return ctx.Err() }

// Ready returns nil while the index is open and readable.
func (s *Store) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.idx.DocCount(); err != nil {
		return fmt.Errorf("%w: bleve: %v", store.ErrUnavailable, err)
	}
	return nil
}

// Count returns the number of stored posts.
func (s *Store) Count() (int, error) {
	n, err := s.idx.DocCount()
	return int(n), err
}

// Close closes the index; the Store must not be used afterwards.
func (s *Store) Close() error { return s.idx.Close() }
