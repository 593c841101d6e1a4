package classifier

// First-cut normalizer: the classifier helper replaces the internals, keeping these
// signatures, which the store, indexer and query parser rely on.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Token is one syllable (or emoji/emoticon) of a text. Start and End are byte offsets into
// the original string given to Tokenize; Norm is the normalized form and Folded the form
// without diacritics.
type Token struct {
	Start, End int
	Norm       string
	Folded     string
}

// Normalize returns the canonical form of s: NFC, one tone-mark convention, lowercase.
func Normalize(s string) string {
	return strings.ToLower(norm.NFC.String(s))
}

// Fold returns the normalized form of s without diacritics (đ → d).
func Fold(s string) string {
	d := norm.NFD.String(Normalize(s))
	var b strings.Builder
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Tokenize splits s into syllable tokens (runs of letters and digits) with byte offsets.
func Tokenize(s string) []Token {
	var toks []Token
	start := -1
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		if word && start < 0 {
			start = i
		}
		if !word && start >= 0 {
			toks = append(toks, mk(s, start, i))
			start = -1
		}
		_ = utf8.RuneLen(r)
	}
	if start >= 0 {
		toks = append(toks, mk(s, start, len(s)))
	}
	return toks
}

func mk(s string, a, b int) Token {
	n := Normalize(s[a:b])
	return Token{Start: a, End: b, Norm: n, Folded: Fold(n)}
}

// FoldedText is the value stored in the text_folded field: folded tokens joined by spaces.
func FoldedText(s string) string {
	toks := Tokenize(s)
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.Folded
	}
	return strings.Join(parts, " ")
}
