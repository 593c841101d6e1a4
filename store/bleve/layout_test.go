package bleve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
	"github.com/langnghe/langnghe/store/storetest"
)

// An index written with another field layout that cannot be migrated must be refused
// with a message that says so, not queried with the wrong layout.
func TestOpenRefusesOtherMappingVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.idx.SetInternal([]byte(metaKey), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if err == nil {
		t.Fatal("Open accepted an index with mapping version 1")
	}
	for _, want := range []string{`"1"`, `"` + mappingVersion + `"`, "re-index"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// pub keys sort byte-wise in time order, to the nanosecond, before and after 1970, and
// decode back to the same instant.
func TestPubKeyOrder(t *testing.T) {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{
		base, base.Add(time.Nanosecond), base.Add(-time.Hour), time.Unix(0, 0).UTC(),
		time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	byKey := map[string]time.Time{}
	var keys []string
	for _, at := range times {
		k := pubKey(at)
		byKey[k] = at
		keys = append(keys, k)
		if ts, ok := pubTime([]byte(k)); !ok || ts != at.UnixNano() {
			t.Errorf("pubTime(%q) = %d, %v; want %d", k, ts, ok, at.UnixNano())
		}
	}
	slices.Sort(keys)
	want := slices.Clone(times)
	slices.SortFunc(want, time.Time.Compare)
	for i, k := range keys {
		if !byKey[k].Equal(want[i]) {
			t.Fatalf("key order puts %s at %d, want %s", byKey[k], i, want[i])
		}
	}
}

// An index of mapping version 2 (which stores whole posts) is rewritten into the current
// layout at Open: every post is kept and found by the new queries, and the old index and
// the work directories are gone afterwards.
func TestOpenMigratesVersion2(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	posts := storetest.Generate(2500, 3)
	if err := s.Index(ctx, posts); err != nil {
		t.Fatal(err)
	}
	if err := s.idx.SetInternal([]byte(metaKey), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("Open of a version 2 index: %v", err)
	}
	defer s.Close()
	if v, err := s.idx.GetInternal([]byte(metaKey)); err != nil || string(v) != mappingVersion {
		t.Fatalf("mapping version after migration %q, %v", v, err)
	}
	res, err := s.Search(ctx, store.Query{Text: `"ngập nước"`, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	e, err := query.Parse(`"ngập nước"`)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, p := range posts {
		if query.Match(e, p) {
			want++
		}
	}
	if n, _ := s.Count(); n != len(posts) || res.Total != want || want == 0 {
		t.Fatalf("after migration: %d posts (want %d), phrase matches %d (want %d)", n, len(posts), res.Total, want)
	}
	for _, leftover := range []string{dir + migratingSuffix, dir + oldSuffix} {
		if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", leftover, err)
		}
	}
}

// A migration that stopped between its renames (old index aside, new one complete) is
// finished by the next Open instead of starting an empty index.
func TestOpenFinishesInterruptedMigration(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "idx")
	s, err := Open(dir + migratingSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Index(context.Background(), storetest.Generate(10, 4)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.MkdirAll(dir+oldSuffix, 0o755); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.Count(); n != 10 {
		t.Fatalf("%d posts after finishing the migration, want 10", n)
	}
	if _, err := os.Stat(dir + oldSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old index left behind (%v)", err)
	}
}
