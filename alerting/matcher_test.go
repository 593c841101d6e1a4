package alerting_test

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	"github.com/langnghe/langnghe/store/storetest"
)

// TestMatcherAgreesWithStore: for every query below, the stream predicate of match rules
// selects exactly the posts the store returns for the same query, over the store
// conformance fixtures (Vietnamese text with and without diacritics, teencode, titles,
// every label) and 500 generated posts.
func TestMatcherAgreesWithStore(t *testing.T) {
	posts := append(storetest.Fixtures(), storetest.Generate(500, 3)...)
	st, err := blevestore.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Index(ctx, posts); err != nil {
		t.Fatal(err)
	}
	if err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	queries := []alerting.QuerySpec{
		{Text: "lũ lụt"}, {Text: "lu lut"}, {Text: "LŨ LỤT miền Trung"}, {Text: "lừa đảo"}, {Text: "ko"}, {Text: "không"},
		{Text: "ngân hàng", Narratives: []string{"scam"}},
		{Narratives: []string{"scam", "disaster"}},
		{Sentiment: []string{"negative"}, Toxicity: []string{"offensive", "hate"}},
		{Flagged: &yes}, {Flagged: &no, Platform: []string{"forum"}},
		{Source: []string{"voz.vn"}}, {Text: "!!!"}, {Text: "🙂"},
	}
	for _, q := range queries {
		sq := q.Store()
		sq.Limit, sq.Interval = store.MaxLimit, -1
		res, err := st.Search(ctx, sq)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		var fromStore []string
		for _, h := range res.Hits {
			fromStore = append(fromStore, h.Post.ID)
		}
		m := alerting.NewMatcher(q)
		var fromMatcher []string
		for _, p := range posts {
			if m.Match(p, nil) {
				fromMatcher = append(fromMatcher, p.ID)
			}
		}
		if res.Total > len(res.Hits) { // more than a page: compare counts
			if res.Total != len(fromMatcher) {
				t.Errorf("%+v: store %d posts, matcher %d", q, res.Total, len(fromMatcher))
			}
			continue
		}
		sort.Strings(fromStore)
		sort.Strings(fromMatcher)
		if !slices.Equal(fromStore, fromMatcher) {
			t.Errorf("%+v: store %d posts %v, matcher %d posts %v", q, len(fromStore), fromStore, len(fromMatcher), fromMatcher)
		}
	}
}
