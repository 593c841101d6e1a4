package query

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/langnghe/langnghe/vntext"
)

// FoldedWords returns the words of s as the store indexes them in text_folded: every
// syllable of vntext.Tokenize, folded (no diacritics, đ→d, lowercase, teencode
// expanded), cut into runs of letters, digits and marks. Emoji and punctuation are not
// words. Joined by single spaces, the result tokenizes identically under Lucene's standard
// analyzer, bleve's unicode tokenizer and strings.Fields, which is what lets the two
// backends and Match agree on words and on phrase positions.
func FoldedWords(s string) []string { return words(s, true) }

// ExactWords is FoldedWords keeping diacritics (the normalized form), for text_exact.
func ExactWords(s string) []string { return words(s, false) }

// FoldedText is strings.Join(FoldedWords(s), " ").
func FoldedText(s string) string { f, _ := Texts(s); return f }

// ExactText is strings.Join(ExactWords(s), " ").
func ExactText(s string) string { _, e := Texts(s); return e }

// Texts returns FoldedText(s) and ExactText(s) from one tokenization (the indexer derives
// both for every post).
func Texts(s string) (folded, exact string) {
	var fb, eb strings.Builder
	fb.Grow(len(s))
	eb.Grow(len(s) + len(s)/8)
	vntext.EachToken(s, func(tok vntext.Token) {
		appendText(&fb, tok.Folded) // copies: tok's strings are only valid during the call
		appendText(&eb, tok.Norm)
	})
	return fb.String(), eb.String()
}

// appendText adds the words of w to b, space-separated, like appendWords.
func appendText(b *strings.Builder, w string) {
	if allWordRunes(w) { // the usual case: one clean syllable
		if w == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		return
	}
	for _, part := range strings.FieldsFunc(w, notWordRune) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(part)
	}
}

func words(s string, folded bool) []string {
	var out []string
	for _, tok := range vntext.Tokenize(s) {
		f := tok.Norm
		if folded {
			f = tok.Folded
		}
		out = appendWords(out, f)
	}
	return out
}

func appendWords(out []string, s string) []string {
	if s != "" && allWordRunes(s) {
		return append(out, s)
	}
	return append(out, strings.FieldsFunc(s, notWordRune)...)
}

// allWordRunes is !strings.ContainsFunc(s, notWordRune), with ASCII decided by a byte
// test: the indexer checks every token of every post, and most bytes are ASCII.
func allWordRunes(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if notWordRune(r) {
			return false
		}
		i += n
	}
	return true
}

func notWordRune(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
}

// foldWord folds one exact (normalized) word the way FoldedWords folds text.
func foldWord(w string) string {
	return strings.Join(strings.FieldsFunc(vntext.Fold(w), notWordRune), " ")
}
