package crawler

import (
	"slices"
	"testing"
	"time"
)

// TrimValidators keeps the pages keep accepts and the n most recently confirmed others; a
// 304 (Revalidated) counts as a confirmation, so an unchanged page is not evicted first.
func TestTrimValidators(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	cur := Cursor{Validators: map[string]Validator{
		"https://f/list":    {ETag: `"l"`, At: t0},
		"https://f/t/old":   {ETag: `"o"`, At: t0.Add(time.Minute)},
		"https://f/t/mid":   {ETag: `"m"`, At: t0.Add(2 * time.Minute)},
		"https://f/t/newer": {ETag: `"n"`, At: t0.Add(3 * time.Minute)},
	}}
	tr := NewTracker(cur, 0)
	tr.Revalidated("https://f/t/old") // answered 304 now: the most recent
	tr.Revalidated("https://f/t/absent")
	tr.SetNext("https://f/t/old", "https://f/t/old/page-2")
	tr.TrimValidators(func(u string) bool { return u == "https://f/list" }, 2)
	got := tr.Cursor()
	var keys []string
	for k := range got.Validators {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"https://f/list", "https://f/t/newer", "https://f/t/old"}
	if !slices.Equal(keys, want) {
		t.Errorf("kept %v, want %v", keys, want)
	}
	if v := got.Validators["https://f/t/old"]; v.ETag != `"o"` || v.Next != "https://f/t/old/page-2" {
		t.Errorf("revalidated page lost its validator or next link: %+v", v)
	}
	if len(cur.Validators) != 4 || cur.Validators["https://f/t/old"].At != t0.Add(time.Minute) {
		t.Errorf("the input cursor was modified: %v", cur.Validators)
	}
}
