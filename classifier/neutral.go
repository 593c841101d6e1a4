package classifier

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/vntext"
)

// NeutralTerm is one authority, institution or political term a learned model must not
// learn from (models/neutral_terms.tsv). Fold lets a one-syllable term also match a word
// typed without diacritics; terms of several syllables always do.
type NeutralTerm struct {
	Term string `json:"term"`
	Kind string `json:"kind,omitempty"`
	Fold bool   `json:"fold,omitempty"`
}

// neutralKinds are the kinds of models/neutral_terms.tsv.
var neutralKinds = []string{"official", "police", "military", "institution", "ministry", "party", "ideology", "political_label", "criticism"}

// DefaultNeutralTerms returns the shipped list, models/neutral_terms.tsv.
func DefaultNeutralTerms() ([]NeutralTerm, error) {
	return ReadNeutralTerms(models.FS(), "neutral_terms.tsv")
}

// ReadNeutralTerms parses a neutral-terms file (term<TAB>kind[<TAB>fold]). Errors name the
// file and line and wrap ErrModelFile.
func ReadNeutralTerms(fsys fs.FS, name string) ([]NeutralTerm, error) {
	var out []NeutralTerm
	dup := dupCheck{}
	err := tsvLines(fsys, name, func(f []string) error {
		if len(f) != 2 && len(f) != 3 {
			return fmt.Errorf("want term<TAB>kind[<TAB>fold], got %d fields", len(f))
		}
		if !slices.Contains(neutralKinds, f[1]) {
			return fmt.Errorf("kind %q must be one of %v", f[1], neutralKinds)
		}
		fold, err := foldFlag(f, 2)
		if err != nil {
			return err
		}
		if n, _ := termSyllables(f[0]); len(n) == 0 {
			return fmt.Errorf("term %q has no letters, digits or emoji", f[0])
		}
		if err := dup.check(f[0]); err != nil {
			return err
		}
		out = append(out, NeutralTerm{Term: f[0], Kind: f[1], Fold: fold})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w: no terms", name, ErrModelFile)
	}
	return out, nil
}

// neutralSet finds occurrences of neutral terms in a text's syllables. A text syllable
// matches a term syllable when their normalized forms are equal, or, for a foldable term,
// when the text syllable has no diacritics and equals the term syllable's folded form:
// "cong an" is "công an" typed without accents, while "cộng ăn" is not "công an".
type neutralSet struct {
	// byFirst maps the first syllable of a candidate (normalized, or folded for foldable
	// terms) to the candidates starting with it, as syllable sequences.
	byFirst map[string][][]string
	terms   []NeutralTerm
}

var errNoNeutral = errors.New("neutral term without syllables")

func newNeutralSet(terms []NeutralTerm) (*neutralSet, error) {
	ns := &neutralSet{byFirst: map[string][][]string{}, terms: terms}
	for _, t := range terms {
		norm, folded := termSyllables(t.Term)
		if len(norm) == 0 {
			return nil, fmt.Errorf("%w: %q", errNoNeutral, t.Term)
		}
		ns.add(norm)
		if (len(folded) > 1 || t.Fold) && !slices.Equal(norm, folded) {
			ns.add(folded)
		}
	}
	return ns, nil
}

func (ns *neutralSet) add(seq []string) {
	for _, s := range ns.byFirst[seq[0]] {
		if slices.Equal(s, seq) {
			return
		}
	}
	ns.byFirst[seq[0]] = append(ns.byFirst[seq[0]], seq)
}

// syllables returns every syllable any candidate uses, for the compiled scorer's
// dictionary.
func (ns *neutralSet) syllables() []string {
	seen := map[string]bool{}
	var out []string
	for _, cands := range ns.byFirst {
		for _, c := range cands {
			for _, s := range c {
				if !seen[s] {
					seen[s] = true
					out = append(out, s)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// mask sets masked[i] for every syllable i of norm (the text's normalized syllables)
// inside an occurrence of a neutral term. A text syllable without diacritics has a
// normalized form equal to its folded one, so comparing normalized text syllables with
// the folded candidates is exactly "folded matching only for words typed without
// diacritics".
func (ns *neutralSet) mask(norm []string, masked []bool) {
	for i, s := range norm {
		for _, c := range ns.byFirst[s] {
			if i+len(c) > len(norm) {
				continue
			}
			ok := true
			for j := 1; j < len(c); j++ {
				if norm[i+j] != c[j] {
					ok = false
					break
				}
			}
			if ok {
				for j := range c {
					masked[i+j] = true
				}
			}
		}
	}
}

// occursIn reports whether a neutral term occurs in the tokens' syllables (matched as in
// mask). buf is a reusable buffer for the syllables (the scratch's), so the check does
// not allocate: strongly toxic posts, the only ones that reach it, are common in abusive
// comment threads.
func (ns *neutralSet) occursIn(toks []vntext.Token, buf *[]string) bool {
	norm := (*buf)[:0]
	for _, t := range toks {
		for s := range strings.FieldsSeq(t.Norm) {
			norm = append(norm, s)
		}
	}
	defer func() { *buf = norm[:0] }()
	for i, s := range norm {
		for _, c := range ns.byFirst[s] {
			if i+len(c) <= len(norm) && slices.Equal(norm[i+1:i+len(c)], c[1:]) {
				return true
			}
		}
	}
	return false
}

// loadNeutral reads the model directory's neutral terms, which guard the hate promotion
// of strongly toxic posts (hateCut).
func (m *lexModel) loadNeutral(fsys fs.FS, name string) error {
	terms, err := ReadNeutralTerms(fsys, name)
	if err != nil {
		return err
	}
	ns, err := newNeutralSet(terms)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	m.neutral = ns
	return nil
}
