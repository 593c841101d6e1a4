package elasticsearch

import (
	"context"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

// TestScanBeyondCap scans more posts than one search window (10,000) on the real
// cluster, with nanosecond published_at values that Elasticsearch keeps to the
// millisecond: every post comes back exactly once, newest first.
func TestScanBeyondCap(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes 10,300 posts")
	}
	s := openTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	posts := storetest.Generate(10300, 11)
	for i := 0; i < len(posts); i += 500 {
		if err := s.Index(ctx, posts[i:min(i+500, len(posts))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var prev *post.Post
	start := time.Now()
	err := store.Scan(ctx, s, store.Query{}, func(p *post.Post) error {
		if seen[p.ID] {
			t.Fatalf("post %s returned twice", p.ID)
		}
		if prev != nil && (p.PublishedAt.After(prev.PublishedAt) || (p.PublishedAt.Equal(prev.PublishedAt) && p.ID < prev.ID)) {
			t.Fatalf("order: %s (%s) after %s (%s)", p.ID, p.PublishedAt, prev.ID, prev.PublishedAt)
		}
		seen[p.ID], prev = true, p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanned %d posts in %v", len(seen), time.Since(start))
	if len(seen) != len(posts) {
		t.Fatalf("scanned %d posts, want %d", len(seen), len(posts))
	}
}
