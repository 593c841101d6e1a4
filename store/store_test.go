package store

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
)

func TestQueryTerms(t *testing.T) {
	for in, want := range map[string][]string{
		"Lũ lụt":            {"lu", "lut"},
		"  LŨ, lụt! lũ ":    {"lu", "lut"},
		"Điện thoại":        {"dien", "thoai"},
		"?!":                nil,
		"":                  nil,
		"chuyển khoản 500k": {"chuyen", "khoan", "500k"},
	} {
		if got := QueryTerms(in); !slices.Equal(got, want) {
			t.Errorf("QueryTerms(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHighlights(t *testing.T) {
	text := "Lũ lụt ở Huế: lu lut, ngập sâu."
	p := &post.Post{Text: text, Analysis: &post.Analysis{Evidence: []post.Evidence{
		{For: "flood", Term: "ngập sâu", Start: 29, End: 40},
		{For: "flood", Term: "Lũ lụt", Start: 0, End: 9},
		{For: "flood", Term: "Lũ lụt", Start: 0, End: 9}, // duplicate: dropped
		{For: "bad", Start: 5, End: 500},                 // out of range: dropped
	}}}
	if text[29:40] != "ngập sâu" || text[0:9] != "Lũ lụt" {
		t.Fatalf("test offsets wrong: %q %q", text[29:40], text[0:9])
	}
	got := Highlights(p, "lũ LUT")
	want := []Highlight{
		{0, 3, "query", ""}, // "Lũ"
		{0, 9, "evidence", "flood"},
		{4, 9, "query", ""},   // "lụt"
		{21, 23, "query", ""}, // "lu"
		{24, 27, "query", ""}, // "lut"
		{29, 40, "evidence", "flood"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Highlights:\n got %+v\nwant %+v", got, want)
	}
	for _, h := range got {
		if h.Kind == KindQuery {
			if w := text[h.Start:h.End]; w != "Lũ" && w != "lụt" && w != "lu" && w != "lut" {
				t.Errorf("query highlight on %q", w)
			}
		}
	}
	if Highlights(&post.Post{Text: "x"}, "") != nil {
		t.Error("nothing to highlight must give nil")
	}
}

func TestBucketStartAndInterval(t *testing.T) {
	day := 24 * time.Hour
	ict := time.FixedZone("ICT", 7*3600)
	if got := BucketStart(time.Date(2026, 11, 20, 3, 0, 0, 0, ict), day); !got.Equal(time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("24h bucket of 03:00+07:00 = %s, want previous UTC midnight", got)
	}
	// Weeks align to the epoch (a Thursday), as Elasticsearch's fixed_interval does.
	if got := BucketStart(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), 7*day); got.Weekday() != time.Thursday {
		t.Errorf("7d bucket starts on %s, want Thursday", got.Weekday())
	}
	if got := BucketStart(time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), day); !got.Equal(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("floor before the epoch: %s", got)
	}
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := BucketInterval(Query{Interval: day}, first, first.Add(30*day)); d != day {
		t.Errorf("30 days of 24h: %v", d)
	}
	if d := BucketInterval(Query{Interval: time.Hour}, first, first.Add(365*day)); d != 32*time.Hour {
		t.Errorf("a year of hours widened to %v, want 32h (first power-of-two multiple within %d buckets)", d, MaxBuckets)
	}
	if d := BucketInterval(Query{Interval: -1}, first, first); d != 0 {
		t.Errorf("negative interval: %v, want 0", d)
	}
	if d := BucketInterval(Query{Interval: time.Millisecond}, first, first.Add(time.Minute)); d != time.Second {
		t.Errorf("sub-second interval: %v, want 1s", d)
	}
}
