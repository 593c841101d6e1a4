package storetest

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
)

//go:embed testdata/queries.txt
var queriesTxt string

// QueryCase is one line of testdata/queries.txt: an analyst query and the fixture posts it
// must find (by the last part of their id).
type QueryCase struct {
	Line  int
	Query string
	Want  []string // id suffixes, fixture order; empty: nothing
}

// QueryCases parses testdata/queries.txt.
func QueryCases() []QueryCase {
	var out []QueryCase
	sc := bufio.NewScanner(strings.NewReader(queriesTxt))
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Text()
		if strings.TrimSpace(raw) == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		q, want, ok := strings.Cut(raw, "=>")
		if !ok {
			panic(fmt.Sprintf("storetest/testdata/queries.txt:%d: no =>", line))
		}
		c := QueryCase{Line: line, Query: strings.TrimSpace(q)}
		if w := strings.TrimSpace(want); w != "-" {
			c.Want = strings.Fields(w)
		}
		out = append(out, c)
	}
	return out
}

func idSuffix(id string) string { return id[strings.LastIndexByte(id, ':')+1:] }

// testQueryLanguage runs every query of testdata/queries.txt: the backend must find the
// pinned posts, and query.MatchAt (the alerting stream predicate) must say the same of
// every fixture post, so stream and store agree.
func testQueryLanguage(t *testing.T, s store.Store) {
	posts := load(t, s)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range QueryCases() {
		e, err := query.Parse(c.Query)
		if err != nil {
			t.Errorf("queries.txt:%d: %q: %v", c.Line, c.Query, err)
			continue
		}
		var byMatch []string
		for _, p := range posts {
			if query.MatchAt(e, query.NewDoc(p), now) {
				byMatch = append(byMatch, idSuffix(p.ID))
			}
		}
		if !slices.Equal(byMatch, c.Want) {
			t.Errorf("queries.txt:%d: query.Match(%q) finds %v, want %v", c.Line, c.Query, byMatch, c.Want)
		}
		res := search(t, s, store.Query{Text: c.Query, Now: now, Limit: store.MaxLimit, Sort: store.SortOldest, Interval: -1})
		got := []string{}
		for _, p := range posts { // fixture order
			for _, h := range res.Hits {
				if h.Post.ID == p.ID {
					got = append(got, idSuffix(p.ID))
				}
			}
		}
		if len(c.Want) == 0 && len(got) == 0 {
			got = nil
		}
		if !slices.Equal(got, c.Want) || res.Total != len(c.Want) {
			t.Errorf("queries.txt:%d: Search(%q) finds %v (total %d), want %v", c.Line, c.Query, got, res.Total, c.Want)
		}
	}
}

// testRelativeTime: from:/to: durations count back from Query.Now, on the store and in
// query.MatchAt alike.
func testRelativeTime(t *testing.T, s store.Store) {
	posts := load(t, s)
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC) // exactly the time of post 2007
	for _, text := range []string{"from:24h", "from:7d", "from:2d to:1d", "to:30d", "from:1h OR to:50d"} {
		q := store.Query{Text: text, Now: now}
		got := checkSet(t, s, posts, q)
		if len(got) == 0 {
			t.Errorf("%q matched nothing; the case tests nothing", text)
		}
	}
	// from is inclusive: post 2007, published exactly 24h before, is in from:24h at now+24h.
	later := now.Add(24 * time.Hour)
	res := search(t, s, store.Query{Text: "from:24h", Now: later, Limit: store.MaxLimit})
	if !slices.ContainsFunc(res.Hits, func(h store.Hit) bool { return h.Post.ID == "mastodon:mastodon.social:2007" }) {
		t.Errorf("from:24h at %s misses the post published exactly 24h earlier", later)
	}
}

// testSyntaxError: a query that does not parse is ErrBadQuery carrying the
// *query.SyntaxError with its byte position.
func testSyntaxError(t *testing.T, s store.Store) {
	load(t, s)
	for text, pos := range map[string]int{`lũ "lụt`: 4, `(lũ OR`: 5, `narative:scam`: 0, `flagged:maybe`: 8, `a)`: 1} {
		_, err := s.Search(ctx(t), store.Query{Text: text})
		var se *query.SyntaxError
		if !errors.Is(err, store.ErrBadQuery) || !errors.As(err, &se) {
			t.Errorf("Search(%q): %v, want ErrBadQuery with a *query.SyntaxError", text, err)
			continue
		}
		if se.Pos != pos {
			t.Errorf("Search(%q): error at %d, want %d (%v)", text, se.Pos, pos, se)
		}
	}
}

// refAggs computes the expected store.Aggs over the fixtures.
func refAggs(posts []*post.Post, q store.Query) *store.Aggs {
	nq, err := q.Normalized()
	if err != nil {
		panic(err)
	}
	m := refMatches(posts, nq)
	count := func(key func(p *post.Post) []string) []store.TermCount {
		c := map[string]int{}
		for _, p := range m {
			for _, k := range key(p) {
				if k != "" {
					c[k]++
				}
			}
		}
		out := []store.TermCount{}
		for k, n := range c {
			out = append(out, store.TermCount{Term: k, Count: n})
		}
		store.SortTermCounts(out)
		if len(out) > nq.TopN {
			out = out[:nq.TopN]
		}
		return out
	}
	f := func(get func(store.DocFields) string) func(p *post.Post) []string {
		return func(p *post.Post) []string { return []string{get(store.Fields(p))} }
	}
	a := &store.Aggs{
		Narratives: count(func(p *post.Post) []string { return store.Fields(p).NarrativeIDs }),
		Sentiments: count(f(func(d store.DocFields) string { return d.Sentiment })),
		Toxicities: count(f(func(d store.DocFields) string { return d.Toxicity })),
		Sources:    count(func(p *post.Post) []string { return []string{p.Source} }),
	}
	authors := map[string]bool{}
	for _, p := range m {
		if p.Author.ID != "" {
			authors[p.Author.ID] = true
		}
	}
	a.Authors = len(authors)
	newest := refOrder(posts, store.Query{Text: nq.Text, Now: nq.Now, Sort: store.SortNewest, Platforms: nq.Platforms, Sources: nq.Sources, Sentiments: nq.Sentiments, Toxicities: nq.Toxicities, Narratives: nq.Narratives, Flagged: nq.Flagged, From: nq.From, To: nq.To})
	byID := map[string]*post.Post{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	var sample []*post.Post
	for _, id := range newest {
		if len(sample) < store.MaxTermsSample {
			sample = append(sample, byID[id])
		}
	}
	a.Terms = store.TopTerms(sample, nq.TopN, store.AggTerms(nq.Text))
	a.TermsSample = len(sample)
	return a
}

// testAggs: counts per narrative, sentiment, toxicity and source, unique authors and top
// terms over the matches (not the page), equal to the reference on every backend.
func testAggs(t *testing.T, s store.Store) {
	posts := load(t, s)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []store.Query{
		{},
		{Text: "lũ OR ngập", Limit: 1},
		{Text: "narrative:scam OR toxicity:hate", TopN: 2},
		{Text: "from:30d -sentiment:positive", Now: now, Limit: 3, Offset: 2},
		{Text: "không có gì khớp xyzzy"},
	} {
		q.Aggs = true
		if q.Now.IsZero() {
			q.Now = now
		}
		res := search(t, s, q)
		want := refAggs(posts, q)
		if !reflect.DeepEqual(res.Aggs, want) {
			t.Errorf("aggs of %q:\n got %+v\nwant %+v", q.Text, res.Aggs, want)
		}
	}
	// Pinned by hand, so a mistake shared by reference and backends still fails.
	res := search(t, s, store.Query{Text: "narrative:scam", Aggs: true})
	a := res.Aggs
	if a == nil || len(a.Sentiments) != 2 || a.Sentiments[0] != (store.TermCount{Term: "negative", Count: 4}) || a.Sentiments[1] != (store.TermCount{Term: "positive", Count: 1}) {
		t.Errorf("narrative:scam sentiment split %+v, want negative 4, positive 1", a)
	}
	if a != nil && (a.Authors < 2 || a.Authors > 5) {
		t.Errorf("narrative:scam authors %d, want 2-5 (5 posts, some sharing an author)", a.Authors)
	}
	if a != nil && (len(a.Terms) == 0 || a.TermsSample != 5) {
		t.Errorf("narrative:scam top terms %+v over %d posts, want some over 5", a.Terms, a.TermsSample)
	}
	if res.Aggs == nil {
		return
	}
	if res2 := search(t, s, store.Query{Text: "narrative:scam"}); res2.Aggs != nil {
		t.Errorf("aggs returned without being asked for")
	}
}

// testRetention: Retainer.DeleteBefore on a month boundary removes exactly the posts
// published before it on every backend (Elasticsearch drops whole months, so a boundary
// is where both agree exactly), and later posts stay searchable.
func testRetention(t *testing.T, s store.Store) {
	r, ok := s.(store.Retainer)
	if !ok {
		t.Skip("store does not implement store.Retainer")
	}
	posts := load(t, s)
	cut := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if pl, ok := s.(store.RetentionPlanner); ok {
		plan, err := pl.PlanBefore(ctx(t), cut)
		if err != nil {
			t.Fatalf("PlanBefore: %v", err)
		}
		n := 0
		for _, it := range plan {
			n += it.Posts
		}
		if n != 13 {
			t.Errorf("PlanBefore(%s) lists %d posts (%+v), want 13", cut, n, plan)
		}
		if res := search(t, s, store.Query{Limit: 1}); res.Total != len(posts) {
			t.Errorf("dry run deleted posts: %d left", res.Total)
		}
	}
	n, err := r.DeleteBefore(ctx(t), cut)
	if err != nil {
		t.Fatalf("DeleteBefore: %v", err)
	}
	if n != 13 {
		t.Errorf("DeleteBefore(%s) = %d, want 13 (the October posts)", cut, n)
	}
	if err := s.Refresh(ctx(t)); err != nil {
		t.Fatal(err)
	}
	checkSet(t, s, posts, store.Query{From: cut})
	if res := search(t, s, store.Query{To: cut}); res.Total != 0 {
		t.Errorf("%d posts before %s remain", res.Total, cut)
	}
	if res := search(t, s, store.Query{}); res.Total != len(posts)-13 {
		t.Errorf("after retention %d posts, want %d", res.Total, len(posts)-13)
	}
	// A second run finds nothing more.
	if n, err := r.DeleteBefore(ctx(t), cut); err != nil || n != 0 {
		t.Errorf("second DeleteBefore = %d, %v; want 0", n, err)
	}
}
