package bleve

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"

	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	index "github.com/blevesearch/bleve_index_api"
	"github.com/langnghe/langnghe/post"
)

// pubKey is the pub keyword of a post: its published_at in Unix nanoseconds as 16 hex
// digits, order-preserving (sign bit flipped), so byte order is time order.
func pubKey(t time.Time) string {
	u := uint64(t.UnixNano()) ^ (1 << 63)
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(u)
		u >>= 8
	}
	return hex.EncodeToString(b[:])
}

// pubTime decodes a pub keyword.
func pubTime(key []byte) (int64, bool) {
	var b [8]byte
	if len(key) != 2*len(b) {
		return 0, false
	}
	if _, err := hex.Decode(b[:], key); err != nil {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	return int64(u ^ (1 << 63)), true
}

// cand is a match kept by a top: its time, its doc number in the pass's reader and,
// once needed (a tie on time, or the final page), its id.
type cand struct {
	ts  int64
	doc index.IndexInternalID
	id  string
}

// top keeps the k first matches in date order (newest or oldest first, ties by id
// ascending), in a heap whose root is the last kept one. Ids are read from the index
// only for ties and for the kept matches at the end, not for every match.
type top struct {
	k     int
	desc  bool
	r     index.IndexReader
	items []cand
	err   error
	order []string // the kept ids in order, once the pass is over (finish)
}

func (t *top) idOf(c *cand) string {
	if c.id == "" && t.err == nil {
		c.id, t.err = t.r.ExternalID(c.doc)
	}
	return c.id
}

// before reports whether a comes before b in the top's order.
func (t *top) before(a, b *cand) bool {
	if a.ts != b.ts {
		return (a.ts > b.ts) == t.desc
	}
	return t.idOf(a) < t.idOf(b)
}

func (t *top) offer(ts int64, doc index.IndexInternalID) {
	if t.k <= 0 {
		return
	}
	if len(t.items) < t.k {
		t.items = append(t.items, cand{ts: ts, doc: slices.Clone(doc)})
		t.up(len(t.items) - 1)
		return
	}
	c := cand{ts: ts, doc: doc}
	if !t.before(&c, &t.items[0]) {
		return
	}
	c.doc = slices.Clone(doc)
	t.items[0] = c
	t.down(0)
}

// worse orders the heap: the root is the kept match that comes last.
func (t *top) worse(i, j int) bool { return t.before(&t.items[j], &t.items[i]) }

func (t *top) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.worse(i, p) {
			return
		}
		t.items[i], t.items[p] = t.items[p], t.items[i]
		i = p
	}
}

func (t *top) down(i int) {
	for {
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(t.items) && t.worse(l, w) {
			w = l
		}
		if r < len(t.items) && t.worse(r, w) {
			w = r
		}
		if w == i {
			return
		}
		t.items[i], t.items[w] = t.items[w], t.items[i]
		i = w
	}
}

// finish sets t.order, the ids of the kept matches in order; it must run while the
// pass's reader is open.
func (t *top) finish() error {
	for i := range t.items {
		t.idOf(&t.items[i])
	}
	if t.err != nil {
		return t.err
	}
	slices.SortFunc(t.items, func(a, b cand) int {
		if t.before(&a, &b) {
			return -1
		}
		if t.before(&b, &a) {
			return 1
		}
		return 0
	})
	t.order = make([]string, len(t.items))
	for i, c := range t.items {
		t.order[i] = c.id
	}
	return nil
}

// pass is one unscored walk over every match of a query that gathers what Search needs
// besides scored hits: the total, every match's published_at (buckets), top lists of
// sort keys (date-sorted hits, the newest sample for top terms) and term counts of
// keyword fields (facets). Doing it in one walk reads each match's doc values once;
// bleve's own path takes a search per edge, facet and sort, each re-reading them.
type pass struct {
	times  bool
	tops   []*top
	facets []string // keyword fields to count

	total  int
	ts     []int64
	counts map[string]map[string]*int // field -> term -> matches
}

func (s *Store) run(ctx context.Context, bq query.Query, p *pass) error {
	ai, err := s.idx.Advanced()
	if err != nil {
		return fmt.Errorf("bleve: advanced index: %w", err)
	}
	r, err := ai.Reader()
	if err != nil {
		return s.searchErr(ctx, err)
	}
	defer r.Close()
	sr, err := bq.Searcher(ctx, r, s.idx.Mapping(), search.SearcherOptions{Score: "none"})
	if err != nil {
		return s.searchErr(ctx, err)
	}
	defer sr.Close()
	for _, t := range p.tops {
		t.r = r
	}
	fields := []string{fieldPub}
	p.counts = map[string]map[string]*int{}
	for _, f := range p.facets {
		fields = append(fields, f)
		p.counts[f] = map[string]*int{}
	}
	dvr, err := r.DocValueReader(fields)
	if err != nil {
		return s.searchErr(ctx, err)
	}
	sctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0)}
	var bad error
	var cur index.IndexInternalID // the match being visited
	visit := func(field string, term []byte) {
		if field != fieldPub {
			if len(term) > 0 {
				// A counter per term, so counting a seen term is a lookup (no allocation:
				// the compiler does not copy the bytes for a map index).
				m := p.counts[field]
				if c := m[string(term)]; c != nil {
					*c++
				} else {
					one := 1
					m[string(term)] = &one
				}
			}
			return
		}
		ts, ok := pubTime(term)
		if !ok {
			if bad == nil {
				bad = fmt.Errorf("bleve: malformed %s %q", fieldPub, term)
			}
			return
		}
		if p.times {
			p.ts = append(p.ts, ts)
		}
		for _, t := range p.tops {
			t.offer(ts, cur)
		}
	}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		dm, err := sr.Next(sctx)
		if err != nil {
			return s.searchErr(ctx, err)
		}
		if dm == nil {
			break
		}
		p.total++
		cur = dm.IndexInternalID
		if err := dvr.VisitDocValues(dm.IndexInternalID, index.DocValueVisitor(visit)); err != nil {
			return s.searchErr(ctx, err)
		}
		sctx.DocumentMatchPool.Put(dm)
	}
	if bad != nil {
		return bad
	}
	for _, t := range p.tops {
		if err := t.finish(); err != nil {
			return s.searchErr(ctx, err)
		}
	}
	return nil
}

// posts fetches the stored posts with ids, in that order.
func (s *Store) posts(ctx context.Context, ids []string) ([]*post.Post, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(ids), len(ids), 0, false)
	req.Fields = []string{fieldPost}
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, s.searchErr(ctx, err)
	}
	byID := make(map[string]*post.Post, len(res.Hits))
	for _, h := range res.Hits {
		p, err := decodeHit(h.Fields)
		if err != nil {
			return nil, fmt.Errorf("bleve: hit %s: %w", h.ID, err)
		}
		byID[h.ID] = p
	}
	out := make([]*post.Post, 0, len(ids))
	for _, id := range ids {
		// A post deleted between the pass and this fetch is left out.
		if p := byID[id]; p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// wordAnalyzer is the index's word analyzer, for cutting query words exactly as the
// indexed text was cut.
var wordAnalyzer = sync.OnceValues(func() (analysis.Analyzer, error) {
	m, err := indexMapping()
	if err != nil {
		return nil, err
	}
	a := m.AnalyzerNamed(foldedAnalyzer)
	if a == nil {
		return nil, fmt.Errorf("bleve: analyzer %s missing", foldedAnalyzer)
	}
	return a, nil
})

// analyzeWords returns the index terms of an analyst phrase's words, in order. A query
// word is normally one term already (a lowercase letter/digit run); analyzing the phrase
// as indexed text keeps the pairs right if one is not.
func analyzeWords(words []string) []string {
	a, err := wordAnalyzer()
	if err != nil {
		return words // unreachable: the mapping is built at Open too
	}
	var out []string
	for _, t := range a.Analyze([]byte(strings.Join(words, " "))) {
		out = append(out, string(t.Term))
	}
	return out
}

// phraseQuery matches the words (index terms, at least one) as a phrase in field: one
// word is a term query on the word field, two are one term of the pairs field, more are
// a phrase of consecutive pairs (pair i sits at word i's position, so consecutive pairs
// are exactly consecutive words).
func phraseQuery(field string, words []string) query.Query {
	if len(words) == 1 {
		tq := bleve.NewTermQuery(words[0])
		tq.SetField(field)
		return tq
	}
	pairs := make([]string, len(words)-1)
	for i := range pairs {
		pairs[i] = words[i] + " " + words[i+1]
	}
	if len(pairs) == 1 {
		tq := bleve.NewTermQuery(pairs[0])
		tq.SetField(field + pairSuffix)
		return tq
	}
	return bleve.NewPhraseQuery(pairs, field+pairSuffix)
}
