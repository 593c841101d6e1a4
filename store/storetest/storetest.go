// Package storetest is the conformance suite every store.Store backend must pass. Both
// store/bleve and store/elasticsearch run it, so the same queries give the same results
// whichever backend serves the web API and alerting.
//
// Expected results come from a small in-memory reference implementation of the query
// semantics (ref.go) over the fixture posts, and a few are also pinned by hand so that a
// mistake shared by the reference and the backends still fails.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/vntext"
)

// Run runs the conformance suite. open must return a fresh, empty store for each subtest
// and arrange its cleanup (t.Cleanup); Run closes nothing itself except via the store's
// Close, which it calls at the end of each subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ready", testReady},
		{"EmptyStore", testEmpty},
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"BadPosts", testBadPosts},
		{"TextAND", testTextAND},
		{"Folding", testFolding},
		{"Filters", testFilters},
		{"TimeRange", testTimeRange},
		{"Sort", testSort},
		{"Paging", testPaging},
		{"Buckets", testBuckets},
		{"Highlights", testHighlights},
		{"NotFound", testNotFound},
		{"BadQuery", testBadQuery},
		{"Concurrent", testConcurrent},
		{"QueryLanguage", testQueryLanguage},
		{"RelativeTime", testRelativeTime},
		{"SyntaxError", testSyntaxError},
		{"Aggs", testAggs},
		{"Retention", testRetention},
		{"Scan", testScan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			tc.fn(t, s)
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// load indexes every fixture post and refreshes.
func load(t *testing.T, s store.Store) []*post.Post {
	t.Helper()
	posts := Fixtures()
	if err := s.Index(ctx(t), posts); err != nil {
		t.Fatalf("Index(%d fixtures): %v", len(posts), err)
	}
	if err := s.Refresh(ctx(t)); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return Fixtures() // fresh copies, untouched by the store
}

func search(t *testing.T, s store.Store, q store.Query) *store.Result {
	t.Helper()
	res, err := s.Search(ctx(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if res.Total < len(res.Hits) {
		t.Fatalf("Search(%+v): total %d below %d hits", q, res.Total, len(res.Hits))
	}
	return res
}

func hitIDs(res *store.Result) []string {
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.Post.ID
	}
	return ids
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

// checkSet asserts that q matches exactly the reference set (order ignored, all on one page).
func checkSet(t *testing.T, s store.Store, posts []*post.Post, q store.Query) []string {
	t.Helper()
	q.Limit = store.MaxLimit
	want := refIDs(posts, q)
	res := search(t, s, q)
	got := sorted(hitIDs(res))
	if !slices.Equal(got, want) {
		t.Errorf("query %s:\n got %v\nwant %v", describe(q), got, want)
	}
	if res.Total != len(want) {
		t.Errorf("query %s: total %d, want %d", describe(q), res.Total, len(want))
	}
	return got
}

func describe(q store.Query) string {
	var b strings.Builder
	if q.Text != "" {
		b.WriteString("text=" + q.Text + " ")
	}
	for name, v := range map[string][]string{"platform": q.Platforms, "source": q.Sources, "sentiment": q.Sentiments, "toxicity": q.Toxicities, "narrative": q.Narratives} {
		if len(v) > 0 {
			b.WriteString(name + "=" + strings.Join(v, ",") + " ")
		}
	}
	if q.Flagged != nil {
		if *q.Flagged {
			b.WriteString("flagged=true ")
		} else {
			b.WriteString("flagged=false ")
		}
	}
	if !q.From.IsZero() {
		b.WriteString("from=" + q.From.Format(time.RFC3339) + " ")
	}
	if !q.To.IsZero() {
		b.WriteString("to=" + q.To.Format(time.RFC3339) + " ")
	}
	return strings.TrimSpace("{" + b.String() + "}")
}

func testReady(t *testing.T, s store.Store) {
	if err := s.Ready(ctx(t)); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

func testEmpty(t *testing.T, s store.Store) {
	// A brand-new store must answer searches (no partitions exist yet) with nothing.
	res := search(t, s, store.Query{Text: "lũ lụt", Interval: 24 * time.Hour})
	if res.Total != 0 || len(res.Hits) != 0 || len(res.Buckets) != 0 {
		t.Fatalf("empty store: total %d, %d hits, %d buckets; want none", res.Total, len(res.Hits), len(res.Buckets))
	}
	if err := s.Refresh(ctx(t)); err != nil {
		t.Fatalf("Refresh on empty store: %v", err)
	}
	if _, err := s.Get(ctx(t), "rss:vnexpress.net:1001"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get on empty store: %v, want ErrNotFound", err)
	}
}

// equalPost compares everything; times by instant, since a backend may hand back the same
// instant in UTC.
func equalPost(t *testing.T, what string, got, want *post.Post) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil post, want %s", what, want.ID)
		return
	}
	if !got.PublishedAt.Equal(want.PublishedAt) || !got.FetchedAt.Equal(want.FetchedAt) {
		t.Errorf("%s %s: times %s/%s, want %s/%s", what, want.ID, got.PublishedAt, got.FetchedAt, want.PublishedAt, want.FetchedAt)
	}
	g := *got
	g.PublishedAt, g.FetchedAt = want.PublishedAt, want.FetchedAt
	if !reflect.DeepEqual(&g, want) {
		t.Errorf("%s %s:\n got %+v %+v\nwant %+v %+v", what, want.ID, g, g.Analysis, *want, want.Analysis)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	posts := load(t, s)
	for _, want := range posts {
		got, err := s.Get(ctx(t), want.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", want.ID, err)
		}
		equalPost(t, "Get", got, want)
	}
	// Search must return complete posts too.
	res := search(t, s, store.Query{Limit: store.MaxLimit, Interval: -1})
	if res.Total != len(posts) || len(res.Hits) != len(posts) {
		t.Fatalf("match all: total %d, %d hits, want %d", res.Total, len(res.Hits), len(posts))
	}
	byID := map[string]*post.Post{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	for _, h := range res.Hits {
		equalPost(t, "Search hit", h.Post, byID[h.Post.ID])
	}
	if res.Buckets != nil {
		t.Errorf("Interval -1 must disable buckets, got %d", len(res.Buckets))
	}
}

func testOverwrite(t *testing.T, s store.Store) {
	posts := load(t, s)
	changed := Fixtures()[:5]
	for _, p := range changed {
		p.Text = "Bản cập nhật: đã sửa nội dung bài viết " + p.ID
		p.Analysis = nil
	}
	// The same id twice in one batch: the later one wins, as with Kafka redelivery.
	dup := *changed[0]
	dup.Text = "Bản cập nhật lần hai của bài viết"
	batch := append(slices.Clone(changed), &dup)
	if err := s.Index(ctx(t), batch); err != nil {
		t.Fatalf("re-Index: %v", err)
	}
	if err := s.Index(ctx(t), batch); err != nil {
		t.Fatalf("re-Index again: %v", err)
	}
	if err := s.Refresh(ctx(t)); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	res := search(t, s, store.Query{Interval: -1})
	if res.Total != len(posts) {
		t.Fatalf("after overwrite total %d, want %d (no duplicates)", res.Total, len(posts))
	}
	for i, want := range changed {
		if i == 0 {
			want = &dup
		}
		got, err := s.Get(ctx(t), want.ID)
		if err != nil {
			t.Fatalf("Get(%s): %v", want.ID, err)
		}
		equalPost(t, "Get after overwrite", got, want)
	}
	// The old text is gone from the index, the new one is searchable.
	if res := search(t, s, store.Query{Text: "quảng nam"}); res.Total != 0 {
		t.Errorf("old text still matches: %v", hitIDs(res))
	}
	res = search(t, s, store.Query{Text: "ban cap nhat", Limit: 50})
	if want := []string{"bluesky:bsky.app:4001", "mastodon:mastodon.social:2001", "rss:vnexpress.net:1001", "rss:vnexpress.net:1002", "xenforo:voz.vn:3001"}; !slices.Equal(sorted(hitIDs(res)), want) {
		t.Errorf("new text: got %v, want %v", sorted(hitIDs(res)), want)
	}
}

func testBadPosts(t *testing.T, s store.Store) {
	good := Fixtures()[:3]
	old := *good[0]
	old.ID, old.PublishedAt = "rss:vnexpress.net:1969", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)
	batch := []*post.Post{good[0], {Schema: 1, Platform: "rss", Source: "x", PublishedAt: time.Now()}, good[1], nil, &old, good[2]}
	err := s.Index(ctx(t), batch)
	var be *store.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Index with a nil post, an id-less post and a pre-1970 post: %v, want *store.BatchError", err)
	}
	if len(be.Items) != 3 || be.Items[2].ID != old.ID {
		t.Fatalf("BatchError items %+v, want 3, the last for %s", be.Items, old.ID)
	}
	for _, it := range be.Items {
		if !it.Permanent || it.Reason == "" {
			t.Errorf("item %+v: want permanent with a reason", it)
		}
	}
	if err := s.Refresh(ctx(t)); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if res := search(t, s, store.Query{}); res.Total != 3 {
		t.Errorf("good posts of a partly bad batch: total %d, want 3", res.Total)
	}
}

func testTextAND(t *testing.T, s store.Store) {
	posts := load(t, s)
	got := checkSet(t, s, posts, store.Query{Text: "lũ lụt"})
	// Pinned by hand: "lũ ngu" (an insult, "lũ" = gang) must not match, "lụt" is missing.
	want := []string{"mastodon:mastodon.social:2001", "rss:vnexpress.net:1001", "rss:vnexpress.net:1004", "rss:vnexpress.net:1005"}
	if !slices.Equal(got, want) {
		t.Errorf("lũ lụt: got %v, want %v", got, want)
	}
	got = checkSet(t, s, posts, store.Query{Text: "chuyển khoản trước"})
	if want := []string{"mastodon:mastodon.social:2003", "xenforo:voz.vn:3001"}; !slices.Equal(got, want) {
		t.Errorf("chuyển khoản trước: got %v, want %v", got, want)
	}
	checkSet(t, s, posts, store.Query{Text: "lũ"})
	checkSet(t, s, posts, store.Query{Text: "ngập"})
	checkSet(t, s, posts, store.Query{Text: "người dân"})
	// Words are matched anywhere, not as a phrase, and punctuation is ignored.
	checkSet(t, s, posts, store.Query{Text: "ngập, lũ!"})
	checkSet(t, s, posts, store.Query{Text: "lừa đảo ngu"})
	// Emoji and emoticons are not words: they neither narrow nor empty the result.
	if a, b := checkSet(t, s, posts, store.Query{Text: "ngu 😡 :("}), checkSet(t, s, posts, store.Query{Text: "ngu"}); !slices.Equal(a, b) || len(a) != 2 {
		t.Errorf("ngu 😡 :( gives %v, ngu gives %v; want the same two posts", a, b)
	}
	// The title is searched too: "lụt" occurs only in the title of 1006 besides flood posts.
	got = checkSet(t, s, posts, store.Query{Text: "ngập lụt"})
	if !slices.Contains(got, "rss:vnexpress.net:1006") {
		t.Errorf("ngập lụt: title match rss:vnexpress.net:1006 missing from %v", got)
	}
	if res := search(t, s, store.Query{Text: "lũ lụt sóng thần"}); res.Total != 0 {
		t.Errorf("a word no post has must give nothing, got %v", hitIDs(res))
	}
	// Text of only punctuation is no text: match all.
	if res := search(t, s, store.Query{Text: " ?! "}); res.Total != len(posts) {
		t.Errorf("punctuation-only text: total %d, want %d", res.Total, len(posts))
	}
	// Relevance gives the same set; its order is backend-specific.
	checkSet(t, s, posts, store.Query{Text: "ngập", Sort: store.SortRelevance})
}

func testFolding(t *testing.T, s store.Store) {
	posts := load(t, s)
	a := checkSet(t, s, posts, store.Query{Text: "lu lut"})
	b := checkSet(t, s, posts, store.Query{Text: "LŨ LỤT"})
	if !slices.Equal(a, b) || !slices.Contains(a, "rss:vnexpress.net:1001") || !slices.Contains(a, "mastodon:mastodon.social:2001") {
		t.Errorf("lu lut %v and LŨ LỤT %v must both find the accented and the unaccented posts", a, b)
	}
	got := checkSet(t, s, posts, store.Query{Text: "ngập"})
	if !slices.Contains(got, "bluesky:bsky.app:4004") {
		t.Errorf("ngập must find the unaccented 'ngap het roi': %v", got)
	}
	got = checkSet(t, s, posts, store.Query{Text: "dien thoai"})
	if !slices.Equal(got, []string{"xenforo:voz.vn:3004"}) {
		t.Errorf("dien thoai (đ→d): %v", got)
	}
}

func bp(b bool) *bool { return &b }

func testFilters(t *testing.T, s store.Store) {
	posts := load(t, s)
	for _, q := range []store.Query{
		{Platforms: []string{"mastodon"}},
		{Platforms: []string{"rss", "bluesky"}},
		{Sources: []string{"voz-forum"}},
		{Sentiments: []string{"positive"}},
		{Sentiments: []string{"neutral", "positive"}},
		{Toxicities: []string{"offensive", "hate"}},
		{Narratives: []string{"scam"}},
		{Narratives: []string{"public_safety", "harassment"}},
		{Flagged: bp(true)},
		{Flagged: bp(false)},
		{Text: "ngập", Flagged: bp(true)},
		{Text: "lũ", Platforms: []string{"rss"}, Narratives: []string{"flood"}},
		{Platforms: []string{"twitter"}},
		{IDs: []string{"mastodon:mastodon.social:2004", "rss:vnexpress.net:1003"}},
		{IDs: []string{"xenforo:voz.vn:3006", "no-such-id"}, Text: "lũ OR ngập OR cướp"},
		{IDs: []string{"no-such-id"}},
	} {
		got := checkSet(t, s, posts, q)
		if len(got) == len(posts) {
			t.Errorf("filter %s matched everything", describe(q))
		}
	}
	// Hand-pinned: any-of narratives, and flagged true/false partition the store.
	if got := checkSet(t, s, posts, store.Query{Narratives: []string{"public_safety", "harassment"}}); !slices.Equal(got, []string{"mastodon:mastodon.social:2004", "rss:vnexpress.net:1003", "xenforo:voz.vn:3006"}) {
		t.Errorf("narratives any-of: %v", got)
	}
	// Ids select exactly the named posts, whatever their count (alert links rely on it).
	var all []string
	for _, p := range posts {
		all = append(all, p.ID)
	}
	if got := checkSet(t, s, posts, store.Query{IDs: all}); len(got) != len(posts) {
		t.Errorf("all %d ids selected %d posts", len(posts), len(got))
	}
	if _, err := s.Search(ctx(t), store.Query{IDs: make([]string, store.MaxIDs+1)}); !errors.Is(err, store.ErrBadQuery) {
		t.Errorf("%d ids: %v, want ErrBadQuery", store.MaxIDs+1, err)
	}
	yes := search(t, s, store.Query{Flagged: bp(true)}).Total
	no := search(t, s, store.Query{Flagged: bp(false)}).Total
	if yes != 11 || yes+no != len(posts) {
		t.Errorf("flagged %d + not flagged %d, want 11 + %d", yes, no, len(posts)-11)
	}
}

func testTimeRange(t *testing.T, s store.Store) {
	posts := load(t, s)
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	got := checkSet(t, s, posts, store.Query{From: nov})
	if !slices.Contains(got, "rss:vnexpress.net:1004") {
		t.Errorf("From is inclusive: post at exactly %s missing", nov)
	}
	got = checkSet(t, s, posts, store.Query{To: nov})
	if slices.Contains(got, "rss:vnexpress.net:1004") || !slices.Contains(got, "xenforo:voz.vn:3003") {
		t.Errorf("To is exclusive: %v", got)
	}
	checkSet(t, s, posts, store.Query{From: nov.Add(-24 * time.Hour), To: nov.Add(48 * time.Hour)})
	checkSet(t, s, posts, store.Query{Text: "lũ lụt", From: nov})
	// The +07:00 post is 09:59:59 UTC on the 29th.
	got = checkSet(t, s, posts, store.Query{From: time.Date(2026, 11, 29, 9, 59, 59, 0, time.UTC), To: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)})
	if !slices.Equal(got, []string{"rss:tuoitre.vn:5005"}) {
		t.Errorf("one-second window around the +07:00 post: %v", got)
	}
}

func testSort(t *testing.T, s store.Store) {
	posts := load(t, s)
	for _, sort := range []store.Sort{"", store.SortNewest, store.SortOldest} {
		q := store.Query{Sort: sort, Limit: store.MaxLimit}
		want := refOrder(posts, q)
		if got := hitIDs(search(t, s, q)); !slices.Equal(got, want) {
			t.Errorf("sort %q:\n got %v\nwant %v", sort, got, want)
		}
		q.Text = "ngập"
		want = refOrder(posts, q)
		if got := hitIDs(search(t, s, q)); !slices.Equal(got, want) {
			t.Errorf("sort %q, text ngập:\n got %v\nwant %v", sort, got, want)
		}
	}
	newest := hitIDs(search(t, s, store.Query{Limit: 1}))
	if !slices.Equal(newest, []string{"mastodon:mastodon.social:2008"}) {
		t.Errorf("newest first: %v", newest)
	}
}

func testPaging(t *testing.T, s store.Store) {
	posts := load(t, s)
	for _, sort := range []store.Sort{store.SortNewest, store.SortOldest} {
		want := refOrder(posts, store.Query{Sort: sort})
		var all []string
		seen := map[string]bool{}
		for off := 0; off < len(posts)+7; off += 7 {
			res := search(t, s, store.Query{Sort: sort, Offset: off, Limit: 7})
			if res.Total != len(posts) {
				t.Fatalf("offset %d: total %d, want %d", off, res.Total, len(posts))
			}
			for _, id := range hitIDs(res) {
				if seen[id] {
					t.Errorf("offset %d: %s seen on an earlier page", off, id)
				}
				seen[id] = true
				all = append(all, id)
			}
		}
		if !slices.Equal(all, want) {
			t.Errorf("sort %s pages joined:\n got %v\nwant %v", sort, all, want)
		}
	}
	if res := search(t, s, store.Query{Offset: 1000, Limit: 10}); len(res.Hits) != 0 || res.Total != len(posts) {
		t.Errorf("offset past the end: %d hits, total %d", len(res.Hits), res.Total)
	}
	if res := search(t, s, store.Query{}); len(res.Hits) != store.DefaultLimit {
		t.Errorf("limit 0: %d hits, want DefaultLimit %d", len(res.Hits), store.DefaultLimit)
	}
}

func testBuckets(t *testing.T, s store.Store) {
	posts := load(t, s)
	day := 24 * time.Hour
	for _, q := range []store.Query{
		{Interval: day},
		{Interval: day, Text: "lũ lụt"},
		{Interval: day, Narratives: []string{"scam"}, From: time.Date(2026, 10, 9, 0, 0, 0, 0, time.UTC)},
		{Interval: 7 * day},
		{Interval: time.Hour}, // 1 373 hours: widened to stay within MaxBuckets
		{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, // auto interval
		{Interval: day, Text: "chuyen khoan truoc", Platforms: []string{"mastodon"}},                           // one post, one bucket
	} {
		res := search(t, s, q)
		wantBuckets, wantIv := refBuckets(posts, q)
		if res.Interval != wantIv.String() {
			t.Errorf("%s interval %v: got %q, want %q", describe(q), q.Interval, res.Interval, wantIv)
		}
		if len(res.Buckets) != len(wantBuckets) {
			t.Errorf("%s interval %v: %d buckets, want %d", describe(q), q.Interval, len(res.Buckets), len(wantBuckets))
			continue
		}
		sum := 0
		for i, b := range res.Buckets {
			sum += b.Count
			w := wantBuckets[i]
			if !b.Start.Equal(w.Start) || b.Count != w.Count {
				t.Errorf("%s bucket %d: got %s=%d, want %s=%d", describe(q), i, b.Start.UTC(), b.Count, w.Start, w.Count)
			}
			if b.Start.Location() != time.UTC {
				t.Errorf("bucket start %s not in UTC", b.Start)
			}
			if i > 0 && b.Start.Sub(res.Buckets[i-1].Start).String() != res.Interval {
				t.Errorf("buckets %d and %d are not one interval apart", i-1, i)
			}
		}
		if sum != res.Total {
			t.Errorf("%s: bucket counts sum to %d, total %d", describe(q), sum, res.Total)
		}
		if n := len(res.Buckets); n > 0 && (res.Buckets[0].Count == 0 || res.Buckets[n-1].Count == 0) {
			t.Errorf("%s: first and last bucket must be non-empty", describe(q))
		}
		if n := len(res.Buckets); n > store.MaxBuckets {
			t.Errorf("%s: %d buckets, above MaxBuckets", describe(q), n)
		}
	}
	// Hand-pinned 24h facts: aligned to UTC midnight, empty days included.
	res := search(t, s, store.Query{Interval: day})
	if len(res.Buckets) != 57 { // 2026-10-05 .. 2026-11-30
		t.Errorf("24h buckets over all posts: %d, want 57", len(res.Buckets))
	}
	zero := 0
	for _, b := range res.Buckets {
		if b.Start.Hour() != 0 || b.Start.Minute() != 0 || b.Start.Second() != 0 {
			t.Errorf("24h bucket start %s not at UTC midnight", b.Start)
		}
		if b.Count == 0 {
			zero++
		}
	}
	if zero == 0 {
		t.Errorf("no empty 24h buckets: empty days between posts must be listed with 0")
	}
	if len(res.Buckets) > 0 && (res.Buckets[0].Count != 2 || !res.Buckets[0].Start.Equal(time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC))) {
		t.Errorf("first 24h bucket %+v, want 2026-10-05 with 2", res.Buckets[0])
	}
}

func testHighlights(t *testing.T, s store.Store) {
	posts := load(t, s)
	q := store.Query{Text: "lu lut ngập", Limit: 50}
	res := search(t, s, q)
	if res.Total == 0 {
		t.Fatalf("no hits for %q", q.Text)
	}
	terms := store.QueryTerms(q.Text)
	byID := map[string]*post.Post{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	for _, h := range res.Hits {
		want := store.Highlights(byID[h.Post.ID], q.Text)
		if !reflect.DeepEqual(h.Highlights, want) {
			t.Errorf("%s highlights:\n got %+v\nwant %+v", h.Post.ID, h.Highlights, want)
		}
		var query, evidence int
		for _, hl := range h.Highlights {
			if hl.Start < 0 || hl.End > len(h.Post.Text) || hl.Start >= hl.End {
				t.Errorf("%s: highlight %+v out of text", h.Post.ID, hl)
				continue
			}
			frag := h.Post.Text[hl.Start:hl.End]
			switch hl.Kind {
			case store.KindQuery:
				query++
				if !slices.Contains(terms, vntext.Fold(frag)) {
					t.Errorf("%s: query highlight %q is not a query word %v", h.Post.ID, frag, terms)
				}
			case store.KindEvidence:
				evidence++
				if hl.For == "" {
					t.Errorf("%s: evidence highlight without For", h.Post.ID)
				}
			default:
				t.Errorf("%s: highlight kind %q", h.Post.ID, hl.Kind)
			}
		}
		p := byID[h.Post.ID]
		if strings.Contains(vntext.FoldedText(p.Text), "lut") && query == 0 {
			t.Errorf("%s: no query highlight", h.Post.ID)
		}
		if p.Analysis != nil && evidence != len(p.Analysis.Evidence) {
			t.Errorf("%s: %d evidence highlights, want %d", h.Post.ID, evidence, len(p.Analysis.Evidence))
		}
	}
	// Pinned by hand: the exact bytes of "Lũ" and "lụt" in the first flood report.
	got, err := s.Search(ctx(t), store.Query{Text: "lu lut", Platforms: []string{"rss"}, Sort: store.SortOldest, Limit: 1})
	if err != nil || len(got.Hits) != 1 {
		t.Fatalf("search: %v", err)
	}
	h := got.Hits[0]
	text := h.Post.Text
	var frags []string
	for _, hl := range h.Highlights {
		if hl.Kind == store.KindQuery {
			frags = append(frags, text[hl.Start:hl.End])
		}
	}
	if !slices.Equal(frags, []string{"Lũ", "lụt"}) {
		t.Errorf("query highlights of %s: %q, want [Lũ lụt]", h.Post.ID, frags)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	load(t, s)
	_, err := s.Get(ctx(t), "rss:vnexpress.net:does-not-exist")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a missing id: %v, want ErrNotFound", err)
	}
}

func testBadQuery(t *testing.T, s store.Store) {
	load(t, s)
	for _, q := range []store.Query{
		{Limit: -1},
		{Offset: -5},
		{Sort: "random"},
		{From: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{Offset: 9990, Limit: 20},
	} {
		if _, err := s.Search(ctx(t), q); !errors.Is(err, store.ErrBadQuery) {
			t.Errorf("Search(%+v): %v, want ErrBadQuery", q, err)
		}
	}
}

// testConcurrent: one writer (as the indexer) while several readers search and get (as the
// web API and alerting). Nothing may fail, and every write lands once.
func testConcurrent(t *testing.T, s store.Store) {
	posts := Generate(2000, 42)
	c := ctx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := 0; i < len(posts); i += 250 {
			if err := s.Index(c, posts[i:i+250]); err != nil {
				errs <- err
				return
			}
		}
	}()
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.Search(c, store.Query{Text: "lu lut", Interval: 24 * time.Hour}); err != nil {
					errs <- err
					return
				}
				if _, err := s.Get(c, posts[0].ID); err != nil && !errors.Is(err, store.ErrNotFound) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent use: %v", err)
	}
	if err := s.Refresh(c); err != nil {
		t.Fatal(err)
	}
	if res := search(t, s, store.Query{Interval: -1}); res.Total != len(posts) {
		t.Errorf("after concurrent writes: total %d, want %d", res.Total, len(posts))
	}
}
