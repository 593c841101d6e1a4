package classifier

import (
	"bufio"
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/testinfra"
	"github.com/langnghe/langnghe/vntext"
)

// TestAccentedWordsMatchOnlyWithOwnAccents: folding is for text typed without diacritics.
// A word written with diacritics matches a term only with its own ("con đi" is never
// "con đĩ"); a word typed without any may match a term through its folded form.
func TestAccentedWordsMatchOnlyWithOwnAccents(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct {
		name, text, toxicity string
	}{
		{"accented text never matches another word's accents", "Mẹ cho con đi học", "clean"},
		{"the same in a longer sentence", "Sáng nào bố cũng chở con đi học rồi mới đi làm", "clean"},
		{"the term with its own accents", "đồ con đĩ", "hate"}, // aimed by "đồ": harassment
		{"the term typed without diacritics", "do con di", "hate"},
		{"a one-syllable term marked fold, typed without diacritics", "dm thang nay", "offensive"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := m.Analyze(c.text)
			if a.Toxicity.Label != c.toxicity {
				t.Errorf("%q: toxicity %+v (evidence %+v), want %s", c.text, a.Toxicity, a.Evidence, c.toxicity)
			}
		})
	}
}

// falseFoldedMatches returns the term matches in text (every group, rule atoms too) whose
// text syllables are not the term's own and include a syllable written with diacritics:
// matches that exist only because folding erased the difference.
func falseFoldedMatches(m *lexModel, text string) []string {
	var syls []syllable
	var norm []string
	var accented []bool // the syllable's word was typed with a diacritic or đ
	toks := vntext.Tokenize(text)
	for i, tok := range toks {
		f := strings.Fields(tok.Folded)
		written := text[tok.Start:tok.End]
		for j, n := range strings.Fields(tok.Norm) {
			fs := n
			if j < len(f) {
				fs = f[j]
			}
			nid, fid := m.sylIDs(n, fs, written)
			syls = append(syls, m.syllable(int32(i), nid, fid))
			norm = append(norm, n)
			accented = append(accented, n != vntext.Fold(n) && strings.IndexFunc(written, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0)
		}
	}
	sc := getScratch()
	defer putScratch(sc)
	occ := make([][]ruleSpan, m.atoms)
	var out []string
	check := func(term int32, from, to int) {
		got := norm[from:to]
		if strings.Join(got, " ") == m.terms[term].text {
			return
		}
		for i := range got {
			if accented[from+i] {
				out = append(out, m.terms[term].text+" <- "+strings.Join(got, " "))
				return
			}
		}
	}
	for _, mt := range m.findMatchesInto(sc, text, toks, syls, occ) {
		check(mt.term, mt.from, mt.to)
	}
	for _, o := range occ {
		for _, r := range o {
			check(r.term, r.from, r.to)
		}
	}
	return out
}

// TestNoFalseFoldedMatchesInSharedData counts, over every text of ../shared/data, the
// matches that exist only because folding erased diacritics the text has ("con đi" as
// "con đĩ"). There must be none. Fails in CI, skips elsewhere, without ../shared/data.
func TestNoFalseFoldedMatchesInSharedData(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testinfra.NeedShared(t, "data"), "*", "*.jsonl"))
	if len(files) == 0 {
		testinfra.Missing(t, "no data sets under ../shared/data", "see ../shared/data/README.md")
	}
	m := defaultModel(t).(*lexModel)
	var texts, accented, bad, badTexts int
	examples := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var r struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &r) != nil {
				continue
			}
			texts++
			if vntext.Fold(r.Text) != vntext.Normalize(r.Text) {
				accented++
			}
			if ff := falseFoldedMatches(m, r.Text); len(ff) > 0 {
				bad += len(ff)
				badTexts++
				for _, e := range ff {
					examples[e]++
				}
			}
		}
		fh.Close()
	}
	t.Logf("%d texts (%d with diacritics): %d false folded matches in %d texts", texts, accented, bad, badTexts)
	if bad > 0 {
		keys := make([]string, 0, len(examples))
		for e := range examples {
			keys = append(keys, e)
		}
		slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(examples[b], examples[a]), strings.Compare(a, b)) })
		for _, e := range keys[:min(len(keys), 60)] {
			t.Logf("  %4d  %s", examples[e], e)
		}
		t.Errorf("%d matches only through folding away the text's own diacritics", bad)
	}
}

// TestTeencodeTypedPlainMatchesFolded: a teencode word typed without diacritics ("ko")
// expands to a form with them ("không"), but the post around it is accentless too, so
// the phrase must still match through folding. Words typed with other diacritics than
// the term's still must not.
func TestTeencodeTypedPlainMatchesFolded(t *testing.T) {
	m := defaultModel(t)
	for _, c := range []struct {
		text, term string
		want       bool
	}{
		{"viec nhe luong cao ko can von", "không cần vốn", true},
		{"Ko can von, nhan tien ngay", "không cần vốn", true},
		{"viec nhe luong cao khong can von", "không cần vốn", true},
		{"viec nhe luong cao không cần vốn", "không cần vốn", true},
		{"ko cân vốn", "không cần vốn", false}, // "cân" has its own diacritics
	} {
		t.Run(c.text, func(t *testing.T) {
			a := m.Analyze(c.text)
			got := slices.ContainsFunc(a.Evidence, func(e post.Evidence) bool { return e.Term == c.term })
			if got != c.want {
				t.Errorf("%q: evidence %+v; want %q found = %v", c.text, a.Evidence, c.term, c.want)
			}
		})
	}
}
