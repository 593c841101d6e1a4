package classifier

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coregx/ahocorasick"
	"github.com/langnghe/langnghe/testinfra"
	"github.com/langnghe/langnghe/vntext"
)

// vihsdTexts returns the ViHSD comments (train and dev) from ../shared, or skips.
func vihsdTexts(b *testing.B) []string {
	b.Helper()
	return sharedTexts(b, "vihsd")
}

// sharedTexts returns the texts of data set name (train and dev) from ../shared, or skips.
func sharedTexts(b *testing.B, name string) []string {
	b.Helper()
	var texts []string
	for _, split := range []string{"train", "dev"} {
		f, err := os.Open(testinfra.NeedShared(b, "data/"+name+"/"+split+".jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var r struct{ Text string }
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				b.Fatal(err)
			}
			texts = append(texts, r.Text)
		}
		f.Close()
	}
	return texts
}

// lexiconTerms lists every term of m (lexicons, modifiers, narrative terms, rule terms),
// normalized, one per entry, deduplicated.
func lexiconTerms(m *lexModel) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range m.terms {
		if !seen[t.text] {
			seen[t.text] = true
			out = append(out, t.text)
		}
	}
	sort.Strings(out)
	return out
}

// analyzeAll classifies every text with m once per b.Loop iteration and reports posts/s,
// allocs/post and B/post; it returns posts/s.
func analyzeAll(b *testing.B, m Model, texts []string) float64 {
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		for _, t := range texts {
			m.Analyze(t)
		}
	}
	runtime.ReadMemStats(&ms1)
	posts := float64(b.N) * float64(len(texts))
	pps := posts / b.Elapsed().Seconds()
	b.ReportMetric(pps, "posts/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/posts, "allocs/post")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/posts, "B/post")
	return pps
}

// BenchmarkClassifyViHSD classifies every ViHSD comment with the default model and all
// default narratives on one goroutine, and in the same run times ripgrep
// (`rg -F -o -f LEXICON`, one thread) over the same text with the model's terms. Metrics:
// posts/s, MB/s (SetBytes), allocs/post, and rg_ratio = our MB/s over ripgrep's.
func BenchmarkClassifyViHSD(b *testing.B) {
	texts := vihsdTexts(b)
	m := defaultModel(b).(*lexModel)
	var size int64
	for _, t := range texts {
		size += int64(len(t))
	}
	b.SetBytes(size)
	analyzeAll(b, m, texts)
	ours := float64(size) * float64(b.N) / b.Elapsed().Seconds() / 1e6

	rg, err := exec.LookPath("rg")
	if err != nil {
		b.Logf("ripgrep absent (apt-get install ripgrep): no baseline")
		return
	}
	dir := b.TempDir()
	textFile, lexFile := filepath.Join(dir, "vihsd.txt"), filepath.Join(dir, "lexicon.txt")
	var sb strings.Builder
	for _, t := range texts {
		sb.WriteString(strings.ReplaceAll(t, "\n", " "))
		sb.WriteByte('\n')
	}
	terms := lexiconTerms(m)
	if err := os.WriteFile(textFile, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(lexFile, []byte(strings.Join(terms, "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	// Best of 3, so one scheduling hiccup on a shared machine does not flatter us.
	best := time.Duration(1 << 62)
	for range 3 {
		cmd := exec.Command(rg, "-F", "-o", "-j1", "-f", lexFile, textFile)
		cmd.Stdout = io.Discard // a pipe, not /dev/null, so rg really writes every match
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("rg: %v", err)
		}
		best = min(best, time.Since(t0))
	}
	rgMBs := float64(sb.Len()) / best.Seconds() / 1e6
	b.ReportMetric(rgMBs, "rg_MB/s")
	b.ReportMetric(ours/rgMBs, "rg_ratio")
	b.Logf("%d posts, %.1f MB, %d lexicon terms: ours %.1f MB/s, rg %.1f MB/s", len(texts), float64(size)/1e6, len(terms), ours, rgMBs)
}

// BenchmarkMatcher compares the syllable trie the model uses with an Aho-Corasick
// automaton (github.com/coregx/ahocorasick) on the same job: finding the default model's
// terms on syllable boundaries in the normalized and folded syllable streams of the ViHSD
// comments (tokenization done beforehand, outside the timer; the trie's symbol-table
// lookups of each syllable inside it).
func BenchmarkMatcher(b *testing.B) {
	texts := vihsdTexts(b)
	m := defaultModel(b).(*lexModel)
	type doc struct {
		text       string
		toks       []vntext.Token
		syls       []syllable
		forms      [][3]string // normalized, folded and written form of each syllable
		norm, fold []byte      // " s1 s2 ... " streams for the automaton
	}
	docs := make([]doc, len(texts))
	var size int64
	for i, t := range texts {
		d := doc{text: t, toks: vntext.Tokenize(t)}
		d.norm, d.fold = []byte{' '}, []byte{' '}
		for j, tok := range d.toks {
			for _, n := range strings.Fields(tok.Norm) {
				d.syls = append(d.syls, syllable{tok: int32(j)})
				d.forms = append(d.forms, [3]string{n, vntext.Fold(n), t[tok.Start:tok.End]})
				d.norm = append(append(d.norm, n...), ' ')
				d.fold = append(append(d.fold, vntext.Fold(n)...), ' ')
			}
		}
		size += int64(len(d.norm) + len(d.fold))
		docs[i] = d
	}
	b.Run("trie", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		n := 0
		sc := new(scratch)
		occ := make([][]ruleSpan, m.atoms)
		for b.Loop() {
			for _, d := range docs {
				for i := range occ {
					occ[i] = occ[i][:0]
				}
				sc.occAtoms = sc.occAtoms[:0]
				for i, f := range d.forms {
					d.syls[i].nid, d.syls[i].fid = m.sylIDs(f[0], f[1], f[2])
				}
				n += len(m.findMatchesInto(sc, d.text, d.toks, d.syls, occ))
			}
		}
		b.ReportMetric(float64(n)/float64(b.N), "matches")
	})
	b.Run("ahocorasick", func(b *testing.B) {
		var normPats, foldPats []string
		seen := map[string]bool{}
		for _, t := range lexiconTerms(m) {
			normPats = append(normPats, " "+t+" ")
			if f := vntext.Fold(t); strings.Contains(t, " ") && !seen[f] {
				seen[f] = true
				foldPats = append(foldPats, " "+f+" ")
			}
		}
		norm, err := ahocorasick.NewBuilder().AddStrings(normPats).Build()
		if err != nil {
			b.Fatal(err)
		}
		fold, err := ahocorasick.NewBuilder().AddStrings(foldPats).Build()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			for _, d := range docs {
				n += len(norm.FindAllOverlapping(d.norm)) + len(fold.FindAllOverlapping(d.fold))
			}
		}
		b.ReportMetric(float64(n)/float64(b.N), "matches")
	})
}

// BenchmarkLoad50kLexicon measures loading a model directory whose sentiment lexicon has
// 50,000 terms (synthetic two- and three-syllable phrases).
func BenchmarkLoad50kLexicon(b *testing.B) {
	dir := b.TempDir()
	sylls := strings.Fields("an ba ca da đa em gà hai im khi la mà na ô phở qua ra sa ta u vui xa yêu bán cơm đẹp tốt xấu ngon dở mưa nắng gió lạnh nóng bình hòa thủy nhà cửa")
	var sb strings.Builder
	sb.WriteString("# synthetic\n")
	n := 0
	for i := 0; n < 50000; i++ {
		a, c, d := sylls[i%len(sylls)], sylls[(i/len(sylls))%len(sylls)], sylls[(i/len(sylls)/len(sylls))%len(sylls)]
		fmt.Fprintf(&sb, "%s %s %s\t%.1f\n", a, c, d, float64(i%5)-2)
		n++
	}
	for _, f := range []struct{ name, body string }{
		{"model.yaml", "name: big\nversion: '1'\n"},
		{"lexicon/sentiment.tsv", sb.String()},
		{"lexicon/toxicity.tsv", "ngu\toffensive\t0.6\n"},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/load")
}

// BenchmarkClassifyViHOS classifies the ViHOS comments (MIT, train and dev) with the
// default model on one goroutine: a benchmark whose CPU profile may feed something
// committed (a PGO profile was measured and not shipped, models/README.md "Learned
// toxicity component"), as ViHOS, unlike the research-only ViHSD, allows that.
func BenchmarkClassifyViHOS(b *testing.B) {
	texts := sharedTexts(b, "vihos")
	m := defaultModel(b)
	b.ResetTimer()
	analyzeAll(b, m, texts)
}
