package classifier_test

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/classifier"
)

// TestDefaultModelIssueCases runs testdata/default_cases.tsv: misses of the shipped default
// reported in issue 13 (insults read as neutral, a miracle-cure ad read as positive, a
// power-cut complaint in teencode, the "Mẹ ơi chuyển gấp" scam, vaccine-infertility and
// garlic/steam-cures-Covid claims), and everyday sentences typed without diacritics that
// a folded insult must not catch ("me cho con di hoc" is "Mẹ cho con đi học").
func TestDefaultModelIssueCases(t *testing.T) {
	m, err := classifier.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/default_cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		check, text, ok := strings.Cut(l, "\t")
		if !ok {
			t.Fatalf("default_cases.tsv:%d: want check<TAB>text", line)
		}
		n++
		_, a := classifier.ClassifyText(m, text)
		var ids []string
		for _, nr := range a.Narratives {
			ids = append(ids, nr.ID)
		}
		var bad bool
		switch k, v, _ := strings.Cut(strings.Replace(check, "!=", "=!", 1), "="); k {
		case "sentiment":
			bad = !labelHolds(a.Sentiment.Label, v)
		case "toxicity":
			bad = !labelHolds(a.Toxicity.Label, v)
		case "narrative":
			if not, ok := strings.CutPrefix(v, "!"); ok {
				bad = slices.Contains(ids, not)
			} else {
				bad = !slices.Contains(ids, v)
			}
		default:
			t.Fatalf("default_cases.tsv:%d: unknown check %q", line, check)
		}
		if bad {
			t.Errorf("default_cases.tsv:%d %s %q: sentiment %s (%.2f), toxicity %s, narratives %v", line, check, text, a.Sentiment.Label, a.Sentiment.Score, a.Toxicity.Label, ids)
		}
	}
	if n < 6 {
		t.Fatalf("only %d cases", n)
	}
}

// labelHolds reports whether label satisfies want: "L" (equal) or "!L" (anything else).
func labelHolds(label, want string) bool {
	if not, ok := strings.CutPrefix(want, "!"); ok {
		return label != not
	}
	return label == want
}
