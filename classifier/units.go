package classifier

import (
	"strings"

	"github.com/langnghe/langnghe/vntext"
)

// Units. ViHOS comments write the obscenities "lồn" and "đụ"/"đéo" as the single letters
// "l" and "đ" (and "xl"), so the learned toxicity component learns those letters as toxic;
// yet every shop post writes sizes, litres and đồng with the same letters: "25k một ly size
// L", "Áo thun giá 150.000 đ, còn size L và XL". A unit word is a unit, and no feature of the
// learned component, when it follows an amount ("150.000 đ", "2 l"), a size or price word
// ("size L", "cỡ M", "giá 150k") or such a unit, alone or after "và"/"hoặc"/"hay" ("size S M
// L", "size L và XL"); elsewhere it stays what the comment meant ("cái l gì", "đ biết"). The
// rule is the same in training (FeatureExtractor with WithUnits masks those syllables as it
// masks neutral terms) and at run time (toxLearned masks them in sum and plain), so the
// learned file still scores at run time what it was trained on.

// unitWords are the words that are units or sizes after an amount or a size word; all
// one syllable, as vntext normalizes them. Written by hand.
var unitWords = wordSet(`l đ d s m xs xl xxl xxxl g kg ml cm mm`)

// unitCues are the words after which a unit word is a unit: size and price words and the
// words of large amounts ("60 nghìn đ"). Written by hand; "co" (cỡ typed without
// diacritics) is left out, it is mostly "có".
var unitCues = wordSet(`size sz cỡ giá gia loại nghìn nghin ngàn ngan triệu trieu tr trăm tram chục chuc tỷ tỉ ty`)

// unitJoins may stand between two units ("size L và XL").
var unitJoins = wordSet(`và va hoặc hoac hay với voi`)

// unitLookBack bounds how far back the chain of units is followed.
const unitLookBack = 8

func wordSet(list string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(list) {
		for _, t := range vntext.Tokenize(w) {
			out[t.Norm] = true
		}
	}
	return out
}

// isAmount reports whether a normalized syllable is a number as the tokenizer leaves one
// ("150", "000" of "150.000") or a price in thousands ("25k").
func isAmount(s string) bool {
	s = strings.TrimSuffix(s, "k")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// unitAt reports whether syllable i, whose normalized form syl gives, is a unit (see
// above). syl(j) must return syllable j's normalized form for 0 <= j <= i.
func unitAt(i int, syl func(int) string) bool {
	if !unitWords[syl(i)] {
		return false
	}
	for j := i - 1; j >= 0 && j >= i-unitLookBack; j-- {
		p := syl(j)
		switch {
		case unitCues[p] || isAmount(p):
			return true
		case unitWords[p]: // "size S M L": a unit after a unit
		case unitJoins[p] && j > 0 && unitWords[syl(j-1)]: // "L và XL"
			j--
		default:
			return false
		}
	}
	return false
}

// unitAtSyls is unitAt over the syllables of an analyzed post (toks their tokens).
func unitAtSyls(toks []vntext.Token, syls []syllable, i int) bool {
	return unitAt(i, func(j int) string { return sylNorm(toks, syls, j) })
}

// sylNorm returns syllable j's normalized form: its token's, or for a token of several
// syllables (a teencode expansion, "mn" → "mọi người") the piece of it syllable j is.
func sylNorm(toks []vntext.Token, syls []syllable, j int) string {
	n := toks[syls[j].tok].Norm
	if strings.IndexByte(n, ' ') < 0 {
		return n
	}
	k := 0 // syllable j is piece k of its token
	for j-k > 0 && syls[j-k-1].tok == syls[j].tok {
		k++
	}
	for ; k > 0; k-- {
		_, n, _ = strings.Cut(n, " ")
	}
	n, _, _ = strings.Cut(n, " ")
	return n
}
