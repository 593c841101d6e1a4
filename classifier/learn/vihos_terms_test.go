package learn

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/vntext"
)

// TestViHOSSpanTerms derives the candidate toxicity terms of models/lexicon/toxicity.tsv
// (section "derived from ViHOS spans") from the annotated hate/offensive spans of ViHOS
// train+dev (MIT License): every 1-3 syllable n-gram (vntext normalized forms) lying
// inside a span, kept when it is inside a span in at least minSpan comments and when
// at least minPrec of the comments containing it have it inside a span. ViHOS comments
// equal to a ViHSD dev text (NFC, lower case, spaces folded) are left out, so the ViHSD
// dev evaluation stays held out. It checks the provenance the lexicon claims: every term
// listed under "derived from ViHOS spans, third block" in models/lexicon/toxicity.tsv is
// such a candidate. Set VIHOS_TERMS_OUT=file to also write the candidates (term, span
// comments, comments, precision), which are reviewed by hand before use.
func TestViHOSSpanTerms(t *testing.T) {
	out := os.Getenv("VIHOS_TERMS_OUT")
	const minSpan, minPrec = 4, 0.6
	held := map[string]bool{}
	for _, r := range readSpanRows(t, "vihsd/dev.jsonl") {
		held[dedupKey(r.Text)] = true
	}
	inSpan, total := map[string]int{}, map[string]int{}
	skipped := 0
	for _, split := range []string{"vihos/train.jsonl", "vihos/dev.jsonl"} {
		for _, r := range readSpanRows(t, split) {
			if held[dedupKey(r.Text)] {
				skipped++
				continue
			}
			spanGrams, allGrams := commentGrams(r)
			for g := range allGrams {
				total[g]++
			}
			for g := range spanGrams {
				inSpan[g]++
			}
		}
	}
	type cand struct {
		term    string
		span, n int
		prec    float64
	}
	var cands []cand
	for g, s := range inSpan {
		p := float64(s) / float64(total[g])
		if s >= minSpan && p >= minPrec {
			cands = append(cands, cand{g, s, total[g], p})
		}
	}
	// Shortest first, so a longer n-gram containing a kept or already listed term
	// (which the lexicon matches anyway) is dropped.
	slices.SortFunc(cands, func(a, b cand) int {
		if d := len(strings.Fields(a.term)) - len(strings.Fields(b.term)); d != 0 {
			return d
		}
		return b.span - a.span
	})
	listed := lexiconSeqs(t, "lexicon/toxicity.tsv", false)
	neutral := lexiconSeqs(t, "neutral_terms.tsv", true)
	var sb strings.Builder
	kept, dropNeutral, dropListed := 0, 0, 0
	for _, c := range cands {
		syls := strings.Fields(c.term)
		if containsAny(syls, neutral) {
			dropNeutral++
			continue
		}
		if containsAny(syls, listed) {
			dropListed++
			continue
		}
		listed = append(listed, syls)
		kept++
		fmt.Fprintf(&sb, "%s\t%d\t%d\t%.2f\n", c.term, c.span, c.n, c.prec)
	}
	isCand := map[string]bool{}
	for _, c := range cands {
		isCand[c.term] = true
	}
	derived := derivedViHOSTerms(t)
	t.Logf("%d terms of toxicity.tsv are listed as derived from ViHOS spans; each must be a candidate", len(derived))
	for _, term := range derived {
		if !isCand[term] {
			t.Errorf("toxicity.tsv lists %q as derived from ViHOS spans, but it is not a candidate (span in >= %d comments, precision >= %.2f)", term, minSpan, minPrec)
		}
	}
	if out != "" {
		if err := os.WriteFile(out, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d candidates (span in >= %d comments, precision >= %.2f): %d kept, %d touch a neutral term, %d contain a listed term; %d ViHOS comments equal to a ViHSD dev text skipped", len(cands), minSpan, minPrec, kept, dropNeutral, dropListed, skipped)
}

type spanRow struct {
	Text  string   `json:"text"`
	Spans [][2]int `json:"spans"`
}

func readSpanRows(t *testing.T, rel string) []spanRow { return readSharedJSONL[spanRow](t, rel) }

func dedupKey(s string) string { return strings.Join(strings.Fields(vntext.Normalize(s)), " ") }

// commentGrams returns the distinct 1-3 syllable n-grams of one comment: those whose
// every syllable's token overlaps an annotated span (runs separated only by spaces
// count as one span, as ViHOS leaves spaces out), and all of them.
func commentGrams(r spanRow) (inSpan, all map[string]bool) {
	// rune offsets -> byte offsets
	byteAt := make([]int, 0, len(r.Text)+1)
	for i := range r.Text {
		byteAt = append(byteAt, i)
	}
	byteAt = append(byteAt, len(r.Text))
	n := utf8.RuneCountInString(r.Text)
	marked := make([]bool, len(r.Text)+1)
	for _, s := range r.Spans {
		if s[0] < 0 || s[1] > n || s[0] >= s[1] {
			continue
		}
		for b := byteAt[s[0]]; b < byteAt[s[1]]; b++ {
			marked[b] = true
		}
	}
	type syl struct {
		norm string
		in   bool
	}
	var syls []syl
	for _, tok := range vntext.Tokenize(r.Text) {
		in := false
		for b := tok.Start; b < tok.End; b++ {
			if marked[b] {
				in = true
				break
			}
		}
		for _, f := range strings.Fields(tok.Norm) {
			syls = append(syls, syl{f, in})
		}
	}
	inSpan, all = map[string]bool{}, map[string]bool{}
	for i := range syls {
		for k := 1; k <= 3 && i+k <= len(syls); k++ {
			parts := make([]string, k)
			ok := true
			for j := 0; j < k; j++ {
				parts[j] = syls[i+j].norm
				ok = ok && syls[i+j].in
			}
			g := strings.Join(parts, " ")
			all[g] = true
			if ok {
				inSpan[g] = true
			}
		}
	}
	return inSpan, all
}

// lexiconSeqs reads the first column of a shipped TSV as syllable sequences: normalized,
// plus folded (for neutral terms, as their matching folds them too).
func lexiconSeqs(t *testing.T, name string, withFolded bool) [][]string {
	t.Helper()
	data, err := fs.ReadFile(models.FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		term, _, _ := strings.Cut(line, "\t")
		var norm, folded []string
		for _, tok := range vntext.Tokenize(term) {
			norm = append(norm, strings.Fields(tok.Norm)...)
			folded = append(folded, strings.Fields(tok.Folded)...)
		}
		out = append(out, norm)
		if withFolded {
			out = append(out, folded)
		}
	}
	return out
}

// containsAny reports whether one of seqs occurs in syls, or syls in one of seqs (a
// fragment of a neutral or listed term is no new term either).
func containsAny(syls []string, seqs [][]string) bool {
	for _, q := range seqs {
		if len(q) > 0 && (subseq(syls, q) || subseq(q, syls)) {
			return true
		}
	}
	return false
}

func subseq(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

// derivedViHOSTerms returns the terms of the blocks of models/lexicon/toxicity.tsv headed
// "# derived from ViHOS spans, third block", normalized as the candidates are.
func derivedViHOSTerms(t *testing.T) []string {
	t.Helper()
	b, err := fs.ReadFile(models.FS(), "lexicon/toxicity.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var terms []string
	in, started := false, false // in a block; its terms have begun (its header may span lines)
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "# derived from ViHOS spans, third block"):
			in, started = true, false
		case strings.HasPrefix(line, "#") && in && !started:
		case strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "":
			in = false
		case in:
			started = true
			term, _, _ := strings.Cut(line, "\t")
			var syls []string
			for _, tk := range vntext.Tokenize(term) {
				syls = append(syls, tk.Norm)
			}
			terms = append(terms, strings.Join(syls, " "))
		}
	}
	if len(terms) == 0 {
		t.Fatal("toxicity.tsv has no block derived from ViHOS spans")
	}
	return terms
}
