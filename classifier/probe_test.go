package classifier_test

import (
	"testing"

	"github.com/langnghe/langnghe/classifier"
)

// TestScopeProbeDefaultModel runs the scope probe (testdata/scope_probe.tsv) on the
// shipped default model. It reads as the product's promise:
//
//   - criticism of officials, the police, ministries, the state, parties and policies,
//     rude or polite, with or without diacritics, is never labelled hate and no
//     flagging narrative (such as hate_harassment) matches it;
//   - neutral news about authorities likewise;
//   - hate against protected groups and threats against people are still caught.
//
// `langnghe model train` runs the same probe on every model it fits.
func TestScopeProbeDefaultModel(t *testing.T) {
	m, err := classifier.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := classifier.ScopeProbe()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, c := range cases {
		kinds[c.Expect]++
	}
	if kinds[classifier.ProbeNotHate] < 60 || kinds[classifier.ProbeCaught] < 10 {
		t.Fatalf("probe too small: %v (want at least 60 not_hate and 10 caught)", kinds)
	}
	for _, r := range classifier.RunProbe(m, cases) {
		t.Run(r.Kind, func(t *testing.T) {
			if r.Why != "" {
				t.Errorf("scope_probe.tsv:%d %s %q: %s", r.Line, r.Expect, r.Text, r.Why)
			}
		})
	}
}

// TestParseProbeRejectsBadLines: a probe with an unknown expectation is an error, not a
// silently skipped case.
func TestParseProbeRejectsBadLines(t *testing.T) {
	for _, bad := range []string{"maybe\tnews\tCông an phường", "not_hate\tnews", "caught\tthreat\t  ", "not_hate\tnews\tx\tscam"} {
		if _, err := classifier.ParseProbe(bad, "x.tsv"); err == nil {
			t.Errorf("ParseProbe(%q) accepted a bad line", bad)
		}
	}
}

// TestDefaultNeutralTerms: the shipped list loads (no duplicates, known kinds) and covers
// the terms a ViHSD model learned as hate features.
func TestDefaultNeutralTerms(t *testing.T) {
	terms, err := classifier.DefaultNeutralTerms()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range terms {
		have[n.Term] = true
	}
	for _, want := range []string{"cán bộ", "công an", "chính quyền", "độc tài", "phản động", "bò đỏ", "dư luận viên"} {
		if !have[want] {
			t.Errorf("neutral_terms.tsv lacks %q", want)
		}
	}
}
