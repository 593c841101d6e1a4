package bleve

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// An index written with another field layout must be refused with a message that says
// so, not queried with the wrong layout.
func TestOpenRefusesOtherMappingVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.idx.SetInternal([]byte(metaKey), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if err == nil {
		t.Fatal("Open accepted an index with mapping version 2")
	}
	for _, want := range []string{`"2"`, `"` + mappingVersion + `"`, "re-index"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// The sort keys order posts exactly as the store's sort orders do: by time (to the
// nanosecond, before and after 1970) and then by id ascending, in both directions.
func TestSortKeyOrder(t *testing.T) {
	type p struct {
		at time.Time
		id string
	}
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	posts := []p{
		{base, "b"}, {base, "a"}, {base, "a:x"}, {base.Add(time.Nanosecond), "a"},
		{base.Add(-time.Hour), "z"}, {time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), "old"},
		{time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), "future"},
	}
	want := func(desc bool) []string {
		s := slices.Clone(posts)
		slices.SortFunc(s, func(x, y p) int {
			if c := x.at.Compare(y.at); c != 0 {
				if desc {
					return -c
				}
				return c
			}
			return strings.Compare(x.id, y.id)
		})
		var ids []string
		for _, q := range s {
			ids = append(ids, q.at.String()+" "+q.id)
		}
		return ids
	}
	for _, desc := range []bool{false, true} {
		byKey := map[string]string{}
		var keys []string
		for _, q := range posts {
			k := sortKey(q.at, q.id, desc)
			byKey[k] = q.at.String() + " " + q.id
			keys = append(keys, k)
			if !desc {
				if ts, ok := keyTime([]byte(k)); !ok || ts != q.at.UnixNano() {
					t.Errorf("keyTime(%q) = %d, %v; want %d", k, ts, ok, q.at.UnixNano())
				}
			}
		}
		slices.Sort(keys)
		var got []string
		for _, k := range keys {
			got = append(got, byKey[k])
		}
		if w := want(desc); !slices.Equal(got, w) {
			t.Errorf("desc=%v: key order\n%q\nwant\n%q", desc, got, w)
		}
	}
}
