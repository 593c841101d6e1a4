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
