package query

import (
	"slices"
	"strconv"
	"time"

	"github.com/langnghe/langnghe/post"
)

// Doc is a post prepared for matching: its words computed once, so a stream evaluator
// checking many rules against one post tokenizes it once.
type Doc struct {
	Post                    *post.Post
	textFolded, textExact   []string
	titleFolded, titleExact []string
}

// NewDoc prepares p for Match. p must not be nil.
func NewDoc(p *post.Post) *Doc {
	return &Doc{
		Post:        p,
		textFolded:  FoldedWords(p.Text),
		textExact:   ExactWords(p.Text),
		titleFolded: FoldedWords(p.Title),
		titleExact:  ExactWords(p.Title),
	}
}

// Match reports whether p matches e, relative times counted back from time.Now(). It
// gives the same answer as a search of a store holding p (store/storetest checks this on
// both backends). A nil e matches every post.
func Match(e *Expr, p *post.Post) bool { return MatchAt(e, NewDoc(p), time.Now()) }

// MatchAt reports whether d matches e, relative times counted back from now.
//
// Semantics: a text term matches when its words occur consecutively in the text or in the
// title (FoldedWords, or ExactWords for + terms); narrative: matches any of the post's
// narrative ids; sentiment:, toxicity: and flagged: compare the classifier's labels (a
// post without analysis has none and is not flagged); source: and platform: compare the
// post's fields; all values exactly as written. from: is inclusive, to: exclusive.
func MatchAt(e *Expr, d *Doc, now time.Time) bool {
	if e == nil {
		return true
	}
	p := d.Post
	switch e.Op {
	case OpAnd:
		for _, a := range e.Args {
			if !MatchAt(a, d, now) {
				return false
			}
		}
		return true
	case OpOr:
		for _, a := range e.Args {
			if MatchAt(a, d, now) {
				return true
			}
		}
		return false
	case OpNot:
		return !MatchAt(e.Args[0], d, now)
	case OpText:
		if e.Exact {
			return containsRun(d.textExact, e.Words) || containsRun(d.titleExact, e.Words)
		}
		return containsRun(d.textFolded, e.Words) || containsRun(d.titleFolded, e.Words)
	case OpField:
		a := p.Analysis
		switch e.Field {
		case FieldSource:
			return p.Source == e.Value
		case FieldPlatform:
			return p.Platform == e.Value
		case FieldFlagged:
			flagged := a != nil && a.Flagged
			return strconv.FormatBool(flagged) == e.Value
		}
		if a == nil {
			return false
		}
		switch e.Field {
		case FieldSentiment:
			return a.Sentiment.Label == e.Value
		case FieldToxicity:
			return a.Toxicity.Label == e.Value
		case FieldNarrative:
			return slices.ContainsFunc(a.Narratives, func(n post.Narrative) bool { return n.ID == e.Value })
		}
		return false
	case OpRange:
		t := e.Time(now)
		if e.Field == FieldFrom {
			return !p.PublishedAt.Before(t)
		}
		return p.PublishedAt.Before(t)
	}
	return false
}

// containsRun reports whether want occurs as a consecutive run in have.
func containsRun(have, want []string) bool {
	if len(want) == 0 {
		return true
	}
outer:
	for i := 0; i+len(want) <= len(have); i++ {
		for j, w := range want {
			if have[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}
