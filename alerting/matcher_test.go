package alerting_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/store/query"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
)

// TestMatcherAgreesWithStore: for every rule query below, written in the query language
// in a rule file, the stream predicate of match rules selects exactly the posts the store
// returns for the same query text, over the store conformance fixtures (Vietnamese text
// with and without diacritics, teencode, titles, every label) and 500 generated posts.
// The store is embedded bleve; TestMatcherAgreesWithElasticsearch repeats it on the real
// Elasticsearch.
func TestMatcherAgreesWithStore(t *testing.T) {
	st, err := blevestore.Open(filepath.Join(t.TempDir(), "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	matcherAgrees(t, st)
}

func TestMatcherAgreesWithElasticsearch(t *testing.T) {
	matcherAgrees(t, openES(t, "lntest-alertq"))
}

// openES opens a store with a fresh prefix on the real Elasticsearch (skipping when it is
// not running) and drops everything it created when the test ends.
func openES(t *testing.T, prefix string) *esstore.Store {
	t.Helper()
	url := testinfra.ElasticsearchURL(t)
	prefix = fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
	st, err := esstore.New(context.Background(), esstore.Config{URLs: []string{url}, IndexPrefix: prefix}, esstore.WithReplicas(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Drop(context.Background()); err != nil {
			t.Errorf("cleanup %s: %v", prefix, err)
		}
		st.Close()
	})
	return st
}

func matcherAgrees(t *testing.T, st store.Store) {
	posts := append(storetest.Fixtures(), storetest.Generate(500, 3)...)
	ctx := context.Background()
	if err := st.Index(ctx, posts); err != nil {
		t.Fatal(err)
	}
	if err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	queries := []string{
		"lũ lụt", "lu lut", "LŨ LỤT miền Trung", "lừa đảo", "ko", "không",
		"ngân hàng narrative:scam",
		"narrative:scam OR narrative:disaster",
		"sentiment:negative (toxicity:offensive OR toxicity:hate)",
		"flagged:true", "flagged:false platform:xenforo",
		"source:voz-forum", `source:"voz-forum" OR platform:rss`,
		`narrative:scam (chuyển khoản OR "mã OTP") -quảng cáo`,
		`narrative:scam ("chuyển khoản" OR "mật khẩu") -"trúng thưởng"`,
		`"lũ lụt" -"miền Trung"`,
		`+lụt`, `+"lũ lụt" OR ngập`,
		`(lũ OR ngập) -narrative:disaster`,
		`NOT sentiment:positive lừa`,
		`from:30d (narrative:scam OR sentiment:negative)`,
	}
	// Each query as a rule of a rule file, so the test goes through loading.
	var y strings.Builder
	y.WriteString("rules:\n")
	for i, q := range queries {
		fmt.Fprintf(&y, "  - id: q%d\n    kind: match\n    recipients: [a@example.vn]\n    query: %q\n", i, q)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(path, []byte(y.String()), 0o644)
	rs, errs := alerting.LoadFiles(path)
	if len(errs) > 0 || len(rs.Rules) != len(queries) {
		t.Fatalf("loading %d rules: %v", len(queries), errs)
	}
	now := time.Now()
	docs := make([]*query.Doc, len(posts))
	for i, p := range posts {
		docs[i] = query.NewDoc(p)
	}
	// Queries without any term match every post; match rules reject them at load, but a
	// silence with a rule may have one, so the predicate must still agree.
	specs := []alerting.QuerySpec{{Text: "!!!"}, {Text: "🙂"}}
	for _, r := range rs.Rules {
		specs = append(specs, r.Query)
	}
	for _, q := range specs {
		sq := q.Store()
		sq.Limit, sq.Interval, sq.Now = store.MaxLimit, -1, now
		res, err := st.Search(ctx, sq)
		if err != nil {
			t.Fatalf("%q: %v", q.Text, err)
		}
		var fromStore []string
		for _, h := range res.Hits {
			fromStore = append(fromStore, h.Post.ID)
		}
		m := alerting.NewMatcher(q)
		var fromMatcher []string
		for i, d := range docs {
			if m.Match(d, now) {
				fromMatcher = append(fromMatcher, posts[i].ID)
			}
		}
		if res.Total > len(res.Hits) { // more than a page: compare counts
			if res.Total != len(fromMatcher) {
				t.Errorf("%q: store %d posts, matcher %d", q.Text, res.Total, len(fromMatcher))
			}
			continue
		}
		sort.Strings(fromStore)
		sort.Strings(fromMatcher)
		if !slices.Equal(fromStore, fromMatcher) {
			t.Errorf("%q: store %d posts %v, matcher %d posts %v", q.Text, len(fromStore), fromStore, len(fromMatcher), fromMatcher)
		}
		if testing.Verbose() {
			t.Logf("%q: %d posts", q.Text, len(fromMatcher))
		}
	}
}
