package classifier

import (
	"slices"
	"strings"
	"testing"
)

// TestGappedPairs: pairs with one or two syllables between, one key per pair whatever
// the gap, folded ones under "h:", and none across a masked (neutral) syllable.
func TestGappedPairs(t *testing.T) {
	fx, err := NewFeatureExtractor(FeatureConfig{WordMax: 1}, nil, WithNeutralTerms([]NeutralTerm{{Term: "công an"}}), WithGappedPairs(2, true, false))
	if err != nil {
		t.Fatal(err)
	}
	keys := func(text string) []string {
		var out []string
		for _, f := range fx.Features(text) {
			if f.Key[0] == 'g' || f.Key[0] == 'h' {
				if f.Block != 0 {
					t.Errorf("%s in block %d, want the word block", f.Key, f.Block)
				}
				out = append(out, f.Key)
			}
		}
		slices.Sort(out)
		return out
	}
	got := keys("không làm được gì")
	want := []string{"g:không … gì", "g:không … được", "g:làm … gì", "h:khong … duoc", "h:khong … gi", "h:lam … gi"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, k := range keys("đồ công an chó") {
		if strings.Contains(k, "đồ") || strings.Contains(k, "do ") {
			t.Errorf("%s spans the masked neutral term", k)
		}
	}
	if got := keys("đồ chó"); len(got) != 0 {
		t.Errorf("adjacent syllables gave %q", got)
	}
}
