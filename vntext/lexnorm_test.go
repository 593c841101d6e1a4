package vntext

import (
	"encoding/csv"
	"os"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b []string
		want int
	}{
		{nil, nil, 0},
		{[]string{"k"}, []string{"không"}, 1},
		{[]string{"xn"}, []string{"xét", "nghiệm"}, 2},
		{[]string{"a", "b", "c"}, []string{"a", "c"}, 1},
	} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestMeasureNormalizer(t *testing.T) {
	r := MeasureNormalizer([]NormPair{
		{"mn ko đi dc", "mọi người không đi được"}, // baseline 4 errors (mn→2), system 0
		{"Hoà bình", "hòa bình"},                   // tone placement and case are not errors
	})
	if r.BaselineErrors != 4 || r.SystemErrors != 0 || r.ErrorReductionRate != 1 {
		t.Errorf("got %+v", r)
	}
}

// TestNormalizerERRViLexNorm reports the normalizer's token-level error reduction rate on
// ViLexNorm dev (research data, read from ../shared; skipped when absent). Run with -v to
// see the numbers. It fails if the normalizer stops beating "leave as is" clearly.
func TestNormalizerERRViLexNorm(t *testing.T) {
	path := testinfra.NeedShared(t, "fixtures/corpus/vilexnorm_dev.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var pairs []NormPair
	for _, r := range rows[1:] {
		pairs = append(pairs, NormPair{Original: r[1], Normalized: r[2]})
	}
	r := MeasureNormalizer(pairs)
	t.Logf("ViLexNorm dev: %d comments, %d gold syllables; errors leave-as-is %d, normalizer %d; ERR %.4f",
		r.Pairs, r.GoldTokens, r.BaselineErrors, r.SystemErrors, r.ErrorReductionRate)
	if r.ErrorReductionRate < 0.2 {
		t.Errorf("ERR %.4f below 0.2", r.ErrorReductionRate)
	}
}
