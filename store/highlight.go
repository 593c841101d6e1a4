package store

import (
	"sort"
	"strings"
	"unicode"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store/query"
	"github.com/langnghe/langnghe/vntext"
)

// Highlight kinds.
const (
	KindEvidence = "evidence"
	KindQuery    = "query"
)

// Highlights computes the highlights of p for the analyst query queryText. Both backends
// call it on every hit instead of using their engine's highlighter, so the same post and
// query give byte-identical highlights whichever backend answered.
//
// The result holds every analysis.evidence item (Kind "evidence", For = evidence.For)
// whose offsets lie inside p.Text, plus every token of p.Text whose folded form equals a
// folded query word (Kind "query"). It is sorted by Start, then End, Kind and For, and
// exact duplicates are removed. It returns nil when there is nothing to highlight.
func Highlights(p *post.Post, queryText string) []Highlight {
	if p == nil {
		return nil
	}
	var out []Highlight
	if p.Analysis != nil {
		for _, e := range p.Analysis.Evidence {
			// Offsets are validated by post.Validate, but a stored document may predate a
			// text change; never hand the UI a range that would slice out of bounds.
			if e.Start < 0 || e.End <= e.Start || e.End > len(p.Text) {
				continue
			}
			out = append(out, Highlight{Start: e.Start, End: e.End, Kind: KindEvidence, For: e.For})
		}
	}
	if terms := highlightTerms(queryText); len(terms) > 0 {
		want := make(map[string]bool, len(terms))
		for _, t := range terms {
			want[t] = true
		}
		for _, tok := range vntext.Tokenize(p.Text) {
			for _, w := range query.FoldedWords(tok.Folded) {
				if want[w] {
					out = append(out, Highlight{Start: tok.Start, End: tok.End, Kind: KindQuery})
					break
				}
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.End != b.End {
			return a.End < b.End
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.For < b.For
	})
	dedup := out[:1]
	for _, h := range out[1:] {
		if h != dedup[len(dedup)-1] {
			dedup = append(dedup, h)
		}
	}
	return dedup
}

// FoldedFields returns the values a backend stores in text_folded and title_folded:
// query.FoldedText of the post's text and title (folded letter/digit words joined by
// spaces). The query parser folds query words the same way, so a backend only needs a
// lowercase word analyzer on these fields, and every analyzer splits them alike.
func FoldedFields(p *post.Post) (textFolded, titleFolded string) {
	textFolded, _ = query.Texts(p.Text)
	titleFolded, _ = query.Texts(p.Title)
	return textFolded, titleFolded
}

// highlightTerms are the folded words of the positive text terms of an analyst query
// (query.Terms); field filters and excluded words are not highlighted. A query that does
// not parse (the caller reported the error already) falls back to its plain words.
func highlightTerms(text string) []string {
	e, err := query.Parse(text)
	if err != nil {
		return QueryTerms(text)
	}
	return query.Terms(e)
}

// QueryTerms returns the folded words of free text, in order, without duplicates. Every
// one must match (AND semantics). Tokens without a letter or digit (emoji, emoticons such
// as ":)") are left out: the backends' word analyzers treat them differently (Lucene keeps
// emoji, bleve drops them), so searching for them could not give the same answer on both.
// An empty, punctuation-only or emoji-only text gives nil.
func QueryTerms(text string) []string {
	var terms []string
	seen := map[string]bool{}
	for _, tok := range vntext.Tokenize(text) {
		// A folded token may itself hold spaces if the normalizer expands an abbreviation
		// into several syllables; each syllable is a term of its own in text_folded.
		for _, w := range strings.Fields(tok.Folded) {
			if !strings.ContainsFunc(w, isWordRune) {
				continue
			}
			if !seen[w] {
				seen[w] = true
				terms = append(terms, w)
			}
		}
	}
	return terms
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
