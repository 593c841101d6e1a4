package bleve

import (
	"bytes"
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

// keyTimeLen is the length of the time prefix of a sort key: 16 hex digits.
const keyTimeLen = 16

// sortKey is the pub_asc (desc false) or pub_desc (desc true) keyword of a post: the
// published_at nanoseconds as 16 hex digits, order-preserving (sign bit flipped; all bits
// inverted for desc), then the id, so one byte-wise comparison orders posts by time and
// breaks ties by id ascending in both directions, as the stores' sort orders require.
func sortKey(t time.Time, id string, desc bool) string {
	u := uint64(t.UnixNano()) ^ (1 << 63)
	if desc {
		u = ^u
	}
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(u)
		u >>= 8
	}
	return hex.EncodeToString(b[:]) + id
}

// keyTime decodes the time prefix of a pub_asc key.
func keyTime(key []byte) (int64, bool) {
	if len(key) < keyTimeLen {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], key[:keyTimeLen]); err != nil {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	return int64(u ^ (1 << 63)), true
}

// top keeps the k best pub_asc keys seen, in a heap with the worst kept key at the root.
type top struct {
	k    int
	desc bool     // newest first (ties still by id ascending)
	keys []string // heap
}

// less reports whether key a comes before key b in the top's order.
func (t *top) less(a, b string) bool {
	if t.desc {
		if c := strings.Compare(a[:keyTimeLen], b[:keyTimeLen]); c != 0 {
			return c > 0
		}
		return a[keyTimeLen:] < b[keyTimeLen:]
	}
	return a < b
}

// lessBytes is less for a candidate still in the doc value buffer, so a rejected
// candidate costs no allocation.
func (t *top) lessBytes(a []byte, b string) bool {
	if t.desc {
		if c := bytes.Compare(a[:keyTimeLen], []byte(b[:keyTimeLen])); c != 0 {
			return c > 0
		}
		return string(a[keyTimeLen:]) < b[keyTimeLen:]
	}
	return string(a) < b
}

func (t *top) offer(key []byte) {
	if t.k <= 0 {
		return
	}
	if len(t.keys) < t.k {
		t.keys = append(t.keys, string(key))
		t.up(len(t.keys) - 1)
		return
	}
	if !t.lessBytes(key, t.keys[0]) {
		return
	}
	t.keys[0] = string(key)
	t.down(0)
}

// worse orders the heap: the root is the key that comes last.
func (t *top) worse(i, j int) bool { return t.less(t.keys[j], t.keys[i]) }

func (t *top) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.worse(i, p) {
			return
		}
		t.keys[i], t.keys[p] = t.keys[p], t.keys[i]
		i = p
	}
}

func (t *top) down(i int) {
	for {
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(t.keys) && t.worse(l, w) {
			w = l
		}
		if r < len(t.keys) && t.worse(r, w) {
			w = r
		}
		if w == i {
			return
		}
		t.keys[i], t.keys[w] = t.keys[w], t.keys[i]
		i = w
	}
}

// ids returns the ids of the kept keys in order.
func (t *top) ids() []string {
	keys := slices.Clone(t.keys)
	slices.SortFunc(keys, func(a, b string) int {
		if t.less(a, b) {
			return -1
		}
		if t.less(b, a) {
			return 1
		}
		return 0
	})
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k[keyTimeLen:]
	}
	return out
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
	fields := []string{fieldPubAsc}
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
	visit := func(field string, term []byte) {
		if field != fieldPubAsc {
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
		ts, ok := keyTime(term)
		if !ok {
			if bad == nil {
				bad = fmt.Errorf("bleve: malformed sort key %q", term)
			}
			return
		}
		if p.times {
			p.ts = append(p.ts, ts)
		}
		for _, t := range p.tops {
			t.offer(term)
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
		if err := dvr.VisitDocValues(dm.IndexInternalID, index.DocValueVisitor(visit)); err != nil {
			return s.searchErr(ctx, err)
		}
		sctx.DocumentMatchPool.Put(dm)
	}
	return bad
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
