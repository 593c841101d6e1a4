package bleve

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), "idx"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func TestDeleteBeforeAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Index(ctx, storetest.Fixtures()); err != nil {
		t.Fatal(err)
	}
	cut := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	n, err := s.DeleteBefore(ctx, cut)
	if err != nil || n != 13 {
		t.Fatalf("DeleteBefore: %d, %v; want the 13 October posts", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening finds the same index, without the deleted posts.
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	res, err := s.Search(ctx, store.Query{Interval: -1, Sort: store.SortOldest, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != len(storetest.Fixtures())-13 || !res.Hits[0].Post.PublishedAt.Equal(cut) {
		t.Fatalf("after reopen: total %d, oldest %s", res.Total, res.Hits[0].Post.PublishedAt)
	}
}
