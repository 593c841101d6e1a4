package classifier

import (
	"strings"
	"testing"

	"github.com/langnghe/langnghe/vntext"
)

// TestClauseBreakBefore: which gaps between two words stop a lexicon term. Each case
// marks with "|" the words that a break precedes.
func TestClauseBreakBefore(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"tạm trú, bão giấy tờ", "bão"},
		{"mua đồ; chó nhà mình", "chó"},
		{"thật sao! chó thật", "chó"},
		{"thật sao? chó thật", "chó"},
		{"về ăn cơm. Chó con", "Chó"},
		{"lưu ý: bão về", "bão"},
		{"trời ơi… bão về", "bão"},
		{"trời ơi...bão về", ""}, // "..." glued to the next word: kept as one run (no space)
		{"dòng một\ndòng hai", "dòng"},
		{"TP.HCM mưa lớn", ""},
		{"giá 150.000 đồng", ""},
		{"lúc 10:30 sáng", ""},
		{"bão (số 3) vào", ""},
	} {
		toks := vntext.Tokenize(tc.text)
		var got []string
		for i := range toks {
			if clauseBreakBefore(tc.text, toks, i) {
				got = append(got, tc.text[toks[i].Start:toks[i].End])
			}
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%q: breaks before %q, want %q", tc.text, g, tc.want)
		}
	}
}
