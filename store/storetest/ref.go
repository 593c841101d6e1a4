package storetest

import (
	"slices"
	"sort"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
)

// The reference implementation of the query semantics over an in-memory slice. It is
// deliberately naive: a linear scan that reads the contract in store.Query literally.

func refMatch(p *post.Post, q store.Query) bool {
	// The analyst query: query.MatchAt is the single-post predicate alerting uses; the
	// suite checks the backends agree with it (and pins the answers in testdata).
	e, err := query.Parse(q.Text)
	if err != nil {
		panic(err)
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	if !query.MatchAt(e, query.NewDoc(p), now) {
		return false
	}
	f := store.Fields(p)
	anyOf := func(want []string, have ...string) bool {
		if len(want) == 0 {
			return true
		}
		for _, h := range have {
			if slices.Contains(want, h) {
				return true
			}
		}
		return false
	}
	switch {
	case !anyOf(q.Platforms, p.Platform),
		!anyOf(q.Sources, p.Source),
		!anyOf(q.Sentiments, f.Sentiment),
		!anyOf(q.Toxicities, f.Toxicity),
		!anyOf(q.Narratives, f.NarrativeIDs...),
		!anyOf(q.IDs, p.ID),
		q.Flagged != nil && *q.Flagged != f.Flagged,
		!q.From.IsZero() && p.PublishedAt.Before(q.From),
		!q.To.IsZero() && !p.PublishedAt.Before(q.To):
		return false
	}
	return true
}

func refMatches(posts []*post.Post, q store.Query) []*post.Post {
	var out []*post.Post
	for _, p := range posts {
		if refMatch(p, q) {
			out = append(out, p)
		}
	}
	return out
}

// refIDs returns the matching ids, sorted.
func refIDs(posts []*post.Post, q store.Query) []string {
	ids := []string{}
	for _, p := range refMatches(posts, q) {
		ids = append(ids, p.ID)
	}
	sort.Strings(ids)
	return ids
}

// refOrder returns the matching ids in the order of q.Sort: published_at (newest or
// oldest first), ties broken by id ascending.
func refOrder(posts []*post.Post, q store.Query) []string {
	m := refMatches(posts, q)
	sort.SliceStable(m, func(i, j int) bool {
		a, b := m[i].PublishedAt, m[j].PublishedAt
		if !a.Equal(b) {
			if q.Sort == store.SortOldest {
				return a.Before(b)
			}
			return a.After(b)
		}
		return m[i].ID < m[j].ID
	})
	ids := make([]string, len(m))
	for i, p := range m {
		ids[i] = p.ID
	}
	return ids
}

// refBuckets returns the expected buckets and interval: from the first to the last
// non-empty bucket, empty ones in between with 0.
func refBuckets(posts []*post.Post, q store.Query) ([]store.Bucket, time.Duration) {
	m := refMatches(posts, q)
	if len(m) == 0 {
		return nil, 0
	}
	first, last := m[0].PublishedAt, m[0].PublishedAt
	for _, p := range m {
		if p.PublishedAt.Before(first) {
			first = p.PublishedAt
		}
		if p.PublishedAt.After(last) {
			last = p.PublishedAt
		}
	}
	nq, err := q.Normalized()
	if err != nil {
		panic(err)
	}
	d := store.BucketInterval(nq, first, last)
	start := store.BucketStart(first, d)
	n := int(store.BucketStart(last, d).Sub(start)/d) + 1
	out := make([]store.Bucket, n)
	for i := range out {
		out[i].Start = start.Add(time.Duration(i) * d)
	}
	for _, p := range m {
		out[int(store.BucketStart(p.PublishedAt, d).Sub(start)/d)].Count++
	}
	return out, d
}
