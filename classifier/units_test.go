package classifier

import (
	"strings"
	"testing"

	"github.com/langnghe/langnghe/vntext"
)

// TestUnitAt: a unit word after an amount, a size or price word or another unit is a
// unit (masked by the learned toxicity component); elsewhere it is not.
func TestUnitAt(t *testing.T) {
	for _, c := range []struct {
		text  string
		units string // the syllables unitAt calls units, space-separated
	}{
		{"Trà sữa 25k một ly size L", "l"},
		{"Áo thun giá 150.000 đ, còn size L và XL", "đ l xl"},
		{"Quần jean size S/M/L/XL giá 200k", "s m l xl"},
		{"Mua 2 l sữa tươi hết 60 nghìn đ", "l đ"},
		{"Bán áo khoác cỡ M", "m"},
		{"cái l gì vậy", ""},
		{"đ biết nói gì", ""},
		{"2 thằng l", ""},
		{"l và xl", ""},
		{"", ""},
	} {
		var norm []string
		for _, tok := range vntext.Tokenize(c.text) {
			norm = append(norm, strings.Fields(tok.Norm)...)
		}
		var got []string
		for i := range norm {
			if unitAt(i, func(j int) string { return norm[j] }) {
				got = append(got, norm[i])
			}
		}
		if strings.Join(got, " ") != c.units {
			t.Errorf("%q: units %q, want %q", c.text, strings.Join(got, " "), c.units)
		}
	}
}

// TestUnitAtSylsMatches: at run time unitAt reads the syllables' tokens (sylNorm), also
// inside a teencode expansion of several syllables ("mn" → "mọi người").
func TestUnitAtSylsMatches(t *testing.T) {
	m := defaultModel(t).(*lexModel)
	sc := new(scratch)
	for _, text := range []string{"mn size l nhé", "giá 150.000 đ mn ơi", "size mn l", "ko size l", "2 l"} {
		toks, syls := sc.syllables(text, m)
		var norm []string
		for _, tok := range toks {
			norm = append(norm, strings.Fields(tok.Norm)...)
		}
		if len(norm) != len(syls) {
			t.Fatalf("%q: %d syllables, %d normalized forms", text, len(syls), len(norm))
		}
		for i := range syls {
			if got, want := sylNorm(toks, syls, i), norm[i]; got != want {
				t.Errorf("%q: syllable %d reads %q, want %q", text, i, got, want)
			}
			if got, want := unitAtSyls(toks, syls, i), unitAt(i, func(j int) string { return norm[j] }); got != want {
				t.Errorf("%q: syllable %d: unitAtSyls %v, unitAt %v", text, i, got, want)
			}
		}
	}
}
