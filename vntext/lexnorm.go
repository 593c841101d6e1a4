package vntext

import "strings"

// NormPair is a text and its human normalization (ViLexNorm's original and normalized).
type NormPair struct{ Original, Normalized string }

// NormERR is the token-level error reduction rate of the normalizer on pairs: errors are
// the syllable edit distance to the human normalization, where "leave as is" (the original
// text's syllables, only case, Unicode form and tone placement unified) is the baseline
// and the system is Tokenize's Norm syllables (teencode and abbreviations expanded).
// ERR = (baseline - system) / baseline; 1 is perfect, 0 no better than leaving text alone,
// negative worse.
type NormERR struct {
	Pairs, GoldTokens  int
	BaselineErrors     int
	SystemErrors       int
	ErrorReductionRate float64
}

// MeasureNormalizer computes NormERR over pairs.
func MeasureNormalizer(pairs []NormPair) NormERR {
	var r NormERR
	for _, p := range pairs {
		gold := surfaceSyllables(p.Normalized)
		r.Pairs++
		r.GoldTokens += len(gold)
		r.BaselineErrors += editDistance(surfaceSyllables(p.Original), gold)
		var sys []string
		for _, t := range Tokenize(p.Original) {
			sys = append(sys, strings.Fields(t.Norm)...)
		}
		r.SystemErrors += editDistance(sys, gold)
	}
	if r.BaselineErrors > 0 {
		r.ErrorReductionRate = float64(r.BaselineErrors-r.SystemErrors) / float64(r.BaselineErrors)
	}
	return r
}

// surfaceSyllables are the tokens of s as written, in canonical form (Normalize), with no
// teencode expansion.
func surfaceSyllables(s string) []string {
	toks := Tokenize(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = Normalize(s[t.Start:t.End])
	}
	return out
}

func editDistance(a, b []string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
