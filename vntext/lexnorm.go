package vntext

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// NormPair is a text and its human normalization (ViLexNorm's original and normalized).
type NormPair struct{ Original, Normalized string }

// NormERR is the token-level error reduction rate of a normalizer on pairs: errors are
// the syllable edit distance to the human normalization, where "leave as is" (the original
// text's syllables, only case, Unicode form and tone placement unified) is the baseline.
// ERR = (baseline - system) / baseline; 1 is perfect, 0 no better than leaving text alone,
// negative worse.
type NormERR struct {
	Pairs, GoldTokens  int
	BaselineErrors     int
	SystemErrors       int
	ErrorReductionRate float64
}

// MeasureNormalizer computes NormERR over pairs for the shipped normalizer: the system is
// Tokenize's Norm syllables (teencode and abbreviations expanded).
func MeasureNormalizer(pairs []NormPair) NormERR {
	return MeasureNormalizerFunc(pairs, func(s string) []string {
		var sys []string
		for _, t := range Tokenize(s) {
			sys = append(sys, strings.Fields(t.Norm)...)
		}
		return sys
	})
}

// MeasureNormalizerFunc computes NormERR over pairs for any normalizer, given as the
// function from a text to its normalized syllables (compared after Normalize).
func MeasureNormalizerFunc(pairs []NormPair, normalize func(string) []string) NormERR {
	var r NormERR
	for _, p := range pairs {
		gold := surfaceSyllables(p.Normalized)
		r.Pairs++
		r.GoldTokens += len(gold)
		r.BaselineErrors += editDistance(surfaceSyllables(p.Original), gold)
		sys := normalize(p.Original)
		for i, s := range sys {
			sys[i] = Normalize(s)
		}
		r.SystemErrors += editDistance(sys, gold)
	}
	if r.BaselineErrors > 0 {
		r.ErrorReductionRate = float64(r.BaselineErrors-r.SystemErrors) / float64(r.BaselineErrors)
	}
	return r
}

// ErrNormData marks a malformed normalization pair file (ReadNormPairs).
var ErrNormData = errors.New("bad normalization pair file")

// ReadNormPairs reads pairs from CSV in ViLexNorm's layout: a header row naming the
// columns "original" and "normalized" (other columns, such as ViLexNorm's unnamed row
// number, are ignored), then one pair a row. Errors name the file and line.
func ReadNormPairs(r io.Reader, name string) ([]NormPair, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // checked here, to report the line in our words
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: %w: empty file, want a header with original,normalized", name, ErrNormData)
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	orig, normd := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "original":
			orig = i
		case "normalized":
			normd = i
		}
	}
	if orig < 0 || normd < 0 {
		return nil, fmt.Errorf("%s:1: %w: header %q lacks the columns original and normalized", name, ErrNormData, strings.Join(header, ","))
	}
	var pairs []NormPair
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return pairs, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: %w: %d fields, the header has %d", name, line, ErrNormData, len(rec), len(header))
		}
		if strings.TrimSpace(rec[orig]) == "" || strings.TrimSpace(rec[normd]) == "" {
			return nil, fmt.Errorf("%s:%d: %w: empty original or normalized text", name, line, ErrNormData)
		}
		pairs = append(pairs, NormPair{Original: rec[orig], Normalized: rec[normd]})
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: %w: %v", name, pe.Line, ErrNormData, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
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
