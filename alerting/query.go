package alerting

import (
	"slices"
	"strings"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// QuerySpec is a rule's query, written as the fields of store.Query. It is the one place
// that knows how a rule query is spelled: when the store's query language lands, a rule
// gains a `q:` string that compiles to the same store.Query plus a Matcher, and nothing
// else in this package changes (Store and Matcher are the only two uses).
type QuerySpec struct {
	Text       string   `yaml:"text" json:"text,omitempty"`
	Narratives []string `yaml:"narratives" json:"narratives,omitempty"`
	Sentiment  []string `yaml:"sentiment" json:"sentiment,omitempty"`
	Toxicity   []string `yaml:"toxicity" json:"toxicity,omitempty"`
	Flagged    *bool    `yaml:"flagged" json:"flagged,omitempty"`
	Platform   []string `yaml:"platform" json:"platform,omitempty"`
	Source     []string `yaml:"source" json:"source,omitempty"`
}

// IsZero reports whether the query matches everything.
func (q QuerySpec) IsZero() bool {
	return strings.TrimSpace(q.Text) == "" && len(q.Narratives) == 0 && len(q.Sentiment) == 0 &&
		len(q.Toxicity) == 0 && q.Flagged == nil && len(q.Platform) == 0 && len(q.Source) == 0
}

// Store returns the store.Query of q (no time range, default paging).
func (q QuerySpec) Store() store.Query {
	return store.Query{
		Text:       q.Text,
		Narratives: q.Narratives,
		Sentiments: q.Sentiment,
		Toxicities: q.Toxicity,
		Flagged:    q.Flagged,
		Platforms:  q.Platform,
		Sources:    q.Source,
	}
}

// Matcher decides whether one classified post matches a query, with the same semantics
// as the stores: every folded query word must occur among the folded words of the text or
// title; each list field matches any of its values; an empty field matches everything.
// It is safe for concurrent use.
type Matcher struct {
	terms                           []string
	narratives, sentiment, toxicity []string
	platform, source                []string
	flagged                         *bool
}

// NewMatcher compiles q; query words are folded once here.
func NewMatcher(q QuerySpec) *Matcher {
	return &Matcher{
		terms:      store.QueryTerms(q.Text),
		narratives: q.Narratives, sentiment: q.Sentiment, toxicity: q.Toxicity,
		platform: q.Platform, source: q.Source, flagged: q.Flagged,
	}
}

// Match reports whether p matches. words is the folded word set of p (see PostWords);
// pass nil to compute it here.
func (m *Matcher) Match(p *post.Post, words map[string]struct{}) bool {
	var sentiment, toxicity string
	var narratives []string
	flagged := false
	if a := p.Analysis; a != nil {
		sentiment, toxicity, flagged = a.Sentiment.Label, a.Toxicity.Label, a.Flagged
		for _, n := range a.Narratives {
			narratives = append(narratives, n.ID)
		}
	}
	anyOf := func(want []string, have ...string) bool {
		if len(want) == 0 {
			return true
		}
		for _, h := range have {
			if slices.Contains(want, h) {
				return true
			}
		}
		return false
	}
	if !anyOf(m.platform, p.Platform) || !anyOf(m.source, p.Source) ||
		!anyOf(m.sentiment, sentiment) || !anyOf(m.toxicity, toxicity) ||
		!anyOf(m.narratives, narratives...) || (m.flagged != nil && *m.flagged != flagged) {
		return false
	}
	if len(m.terms) == 0 {
		return true
	}
	if words == nil {
		words = PostWords(p)
	}
	for _, t := range m.terms {
		if _, ok := words[t]; !ok {
			return false
		}
	}
	return true
}

// PostWords is the set of folded words of p's text and title (classifier.FoldedText), the
// same words the stores index in text_folded and title_folded. Compute it once per post
// and share it across rules.
func PostWords(p *post.Post) map[string]struct{} {
	words := map[string]struct{}{}
	for _, field := range []string{p.Text, p.Title} {
		for _, w := range strings.Fields(classifier.FoldedText(field)) {
			words[w] = struct{}{}
		}
	}
	return words
}

// MatchText reports whether every folded query word occurs in text (the other fields of
// the query are ignored). The alert history search uses it.
func (m *Matcher) MatchText(text string) bool {
	words := map[string]struct{}{}
	for _, w := range strings.Fields(classifier.FoldedText(text)) {
		words[w] = struct{}{}
	}
	for _, t := range m.terms {
		if _, ok := words[t]; !ok {
			return false
		}
	}
	return true
}
