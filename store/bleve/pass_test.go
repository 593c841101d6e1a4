package bleve

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
	"github.com/langnghe/langnghe/store/storetest"
)

// The one-pass search (date-sorted pages, buckets, facets) and the word-pair phrase
// fields must answer exactly as the query language's own predicate (query.MatchAt) over
// a few thousand generated posts: phrases of two and three words (whose words also occur
// apart), exclusions, accents required, paging, both date orders, exact facet counts.
func TestPassAgreesWithMatchAt(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	posts := storetest.Generate(3000, 99)
	// 40 posts share the newest instant, so the first pages newest first are cut inside
	// a tie and must be ordered by id; as many share the oldest, for oldest first.
	for i, p := range posts[:80] {
		p.PublishedAt = time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
		if i >= 40 {
			p.PublishedAt = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		}
	}
	// Three-word phrases are too rare in random text: some posts hold them, others the
	// same words apart or in another order, others typed without accents.
	for i, text := range []string{
		"đường phố ngập nước sau mưa lớn", "phố ngập đường", "đường phố, ngập: nước!",
		"đường phố bị ngập", "duong pho ngap nuoc sau mua", "ngập nước sau mưa",
		"lừa đảo chuyển khoản trước", "lừa đảo chuyển tiền trước khoản", "lua dao chuyen khoan truoc",
	} {
		posts[100+i*7].Text = text
	}
	if err := s.Index(ctx, posts); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	queries := []store.Query{
		{Text: `"ngập nước"`},
		{Text: `"nước ngập"`}, // both words are common, the pair in this order is rarer
		{Text: `"đường phố ngập"`},
		{Text: `"ngap nuoc sau"`},
		{Text: `"lừa đảo chuyển khoản trước"`, Sort: store.SortOldest},
		{Text: `+"lừa đảo" -"cà phê"`, Offset: 20, Limit: 15},
		{Text: `(lũ OR ngập) -"cà phê" narrative:flood`, Aggs: true},
		{Text: "sentiment:negative flagged:true", Aggs: true, Sort: store.SortOldest, Limit: 50},
		{Text: "", Aggs: true, Offset: 980, Limit: 40},
		{Text: "", Limit: 25},
		{Text: "", Offset: 10, Limit: 25, Sort: store.SortOldest},
	}
	for _, q := range queries {
		q.Now = now
		t.Run(q.Text, func(t *testing.T) {
			e, err := query.Parse(q.Text)
			if err != nil {
				t.Fatal(err)
			}
			var want []*post.Post
			for _, p := range posts {
				if e == nil || query.MatchAt(e, query.NewDoc(p), now) {
					want = append(want, p)
				}
			}
			if len(want) == 0 {
				t.Fatalf("no generated post matches %q: the test proves nothing", q.Text)
			}
			slices.SortFunc(want, func(a, b *post.Post) int {
				c := a.PublishedAt.Compare(b.PublishedAt)
				if q.Sort != store.SortOldest {
					c = -c
				}
				if c != 0 {
					return c
				}
				return strings.Compare(a.ID, b.ID)
			})
			res, err := s.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != len(want) {
				t.Fatalf("total %d, MatchAt says %d", res.Total, len(want))
			}
			nq, _ := q.Normalized()
			var wantPage, gotPage []string
			for _, p := range want[min(nq.Offset, len(want)):min(nq.Offset+nq.Limit, len(want))] {
				wantPage = append(wantPage, p.ID)
			}
			for _, h := range res.Hits {
				gotPage = append(gotPage, h.Post.ID)
			}
			if !slices.Equal(gotPage, wantPage) {
				t.Errorf("page\n%q\nwant\n%q", gotPage, wantPage)
			}
			sum := 0
			for _, b := range res.Buckets {
				sum += b.Count
			}
			if sum != len(want) {
				t.Errorf("buckets sum to %d, want %d", sum, len(want))
			}
			if !q.Aggs {
				return
			}
			sent, authors := map[string]int{}, map[string]bool{}
			for _, p := range want {
				sent[store.Fields(p).Sentiment]++
				authors[p.Author.ID] = true
			}
			for _, tc := range res.Aggs.Sentiments {
				if sent[tc.Term] != tc.Count {
					t.Errorf("sentiment %s: %d, want %d", tc.Term, tc.Count, sent[tc.Term])
				}
			}
			if len(res.Aggs.Sentiments) != len(sent) || res.Aggs.Authors != len(authors) {
				t.Errorf("%d sentiments, %d authors; want %d, %d", len(res.Aggs.Sentiments), res.Aggs.Authors, len(sent), len(authors))
			}
			if res.Aggs.TermsSample != min(len(want), store.MaxTermsSample) {
				t.Errorf("terms sample %d", res.Aggs.TermsSample)
			}
		})
	}
}
