package classifier

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadLearnedRejectsBadFiles(t *testing.T) {
	base := defaultModel(t)
	for _, c := range []struct{ name, body, want string }{
		{"not json", "{", "unexpected EOF"},
		{"format", `{"format":"x"}`, "format"},
		{"task", `{"format":"langnghe-keyword-lr/1","task":"emotion","labels":["a","b"],"bias":[0,0]}`, "task"},
		{"bias", `{"format":"langnghe-keyword-lr/1","task":"sentiment","labels":["a","b"],"bias":[0]}`, "bias has 1"},
		{"weights", `{"format":"langnghe-keyword-lr/1","task":"sentiment","labels":["a","b"],"bias":[0,0],"terms":{"w:x":{"idf":1,"w":[1]}}}`, `term "w:x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.json")
			if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadLearned(path, base)
			if !errors.Is(err, ErrLearnedModel) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want ErrLearnedModel naming %s and %q", err, path, c.want)
			}
		})
	}
}

// TestLearnedEvidenceTies: n-grams that always occur together get equal weights, so their
// contributions tie; the evidence then shows the longer one, and of a word n-gram and its
// folded twin with the same span, the word (accented) one.
func TestLearnedEvidenceTies(t *testing.T) {
	base := defaultModel(t)
	term := LearnedTerm{IDF: 1, W: []float64{-1, 1}}
	lf := &LearnedFile{
		Format: LearnedFormat, Name: "ties", Version: "1", Task: "toxicity", Labels: []string{"clean", "offensive"},
		Features: FeatureConfig{WordMax: 3, Folded: true}, Bias: []float64{0.5, 0}, Offset: []float64{0, 0},
		Terms: map[string]LearnedTerm{"w:tập lớn": term, "w:bài tập lớn": term, "f:ly thanh": term, "w:lý thành": term},
	}
	m, err := NewLearned(lf, base)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{"Bài tập lớn": "bài tập lớn", "Lý Thành": "lý thành"} {
		a := m.Analyze(text)
		var got []string
		for _, e := range a.Evidence {
			if e.For == "toxicity" {
				got = append(got, e.Term)
			}
		}
		if a.Toxicity.Label != "offensive" || len(got) != 1 || got[0] != want {
			t.Errorf("%q: toxicity %+v, evidence %v; want offensive with only %q", text, a.Toxicity, got, want)
		}
	}
}

// TestLearnedEvidenceWeights: the learned model records each n-gram's contribution to
// the label over the others, so a heavier term carries a larger weight.
func TestLearnedEvidenceWeights(t *testing.T) {
	base := defaultModel(t)
	lf := &LearnedFile{
		Format: LearnedFormat, Name: "weights", Version: "1", Task: "toxicity", Labels: []string{"clean", "offensive"},
		Features: FeatureConfig{WordMax: 1}, Bias: []float64{0.5, 0}, Offset: []float64{0, 0},
		Terms: map[string]LearnedTerm{"w:xấu": {IDF: 1, W: []float64{-1, 1}}, "w:tệ": {IDF: 1, W: []float64{-3, 3}}},
	}
	m, err := NewLearned(lf, base)
	if err != nil {
		t.Fatal(err)
	}
	a := m.Analyze("xấu tệ")
	w := map[string]float64{}
	for _, e := range a.Evidence {
		if e.For == "toxicity" {
			w[e.Term] = e.Weight
		}
	}
	if a.Toxicity.Label != "offensive" || w["xấu"] <= 0 || w["tệ"] <= w["xấu"] {
		t.Errorf("toxicity %+v, evidence weights %v; want offensive, both positive, tệ heavier than xấu", a.Toxicity, w)
	}
}

// policyModel is a small learned toxicity model whose "lũ" and "cút" push hate, as a
// ViHSD model's do, with the shipped neutral terms and the authority policy set as asked.
func policyModel(t *testing.T, policy bool, format string) Model {
	t.Helper()
	neutral, err := DefaultNeutralTerms()
	if err != nil {
		t.Fatal(err)
	}
	hateW := LearnedTerm{IDF: 1, W: []float64{-2, 4, 1}}
	lf := &LearnedFile{
		Format: format, Name: "policy", Version: "1", Task: "toxicity", Labels: []string{"clean", "hate", "offensive"},
		Features: FeatureConfig{WordMax: 2}, Bias: []float64{1, 0, 0}, Offset: []float64{0, 0, 0},
		Terms: map[string]LearnedTerm{"w:lũ": hateW, "w:cút": hateW, "w:lu": hateW, "w:cut": hateW}, Neutral: neutral, AuthorityPolicy: policy,
	}
	m, err := NewLearned(lf, defaultModel(t))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLearnedAuthorityPolicy: with AuthorityPolicy, a post the model calls hate that
// mentions an authority (with or without diacritics) and in which the lexicons find no
// hate is offensive, with the hate probability moved to offensive; hate at a protected
// group stays hate even next to an authority; posts about no authority keep the model's
// label. A format-1 file has no policy and scores exactly as before.
func TestLearnedAuthorityPolicy(t *testing.T) {
	m := policyModel(t, true, LearnedFormat)
	old := policyModel(t, false, LearnedFormatV1)
	for _, c := range []struct{ text, want, wantOld string }{
		{"Chính quyền kiểu này thì dân chết đói cả lũ rồi", "offensive", "hate"},
		{"May ong quan tham an tien cua dan, cut het di cho dan nho", "offensive", "hate"},
		{"Cả lũ quan chức cút hết đi", "offensive", "hate"},
		{"Cả lũ chúng mày cút hết đi", "hate", "hate"},             // no authority: the model decides
		{"Lũ bắc kỳ cút hết đi, công an cũng vậy", "hate", "hate"}, // a protected group: hate stays
		{"Công an phường tổ chức giải bóng đá", "clean", "clean"},
	} {
		a, o := m.Analyze(c.text), old.Analyze(c.text)
		if a.Toxicity.Label != c.want || o.Toxicity.Label != c.wantOld {
			t.Errorf("%q: policy %+v, format 1 %+v; want %s and %s", c.text, a.Toxicity, o.Toxicity, c.want, c.wantOld)
		}
		if a.Toxicity.Score != o.Toxicity.Score {
			t.Errorf("%q: the policy changed the toxicity score %v -> %v; only hate moves to offensive", c.text, o.Toxicity.Score, a.Toxicity.Score)
		}
		if err := CheckLearned(m, []string{c.text}); err != nil {
			t.Error(err)
		}
	}
}

// TestLearnedAuthorityPolicyNeedsFormat2: a file asking for the policy in format 1, or
// without neutral terms, is refused rather than scored without it.
func TestLearnedAuthorityPolicyNeedsFormat2(t *testing.T) {
	for _, body := range []string{
		`{"format":"langnghe-keyword-lr/1","task":"toxicity","labels":["clean","hate","offensive"],"bias":[0,0,0],"neutral_terms":[{"term":"công an"}],"authority_policy":true}`,
		`{"format":"langnghe-keyword-lr/2","task":"toxicity","labels":["clean","hate","offensive"],"bias":[0,0,0],"authority_policy":true}`,
	} {
		if _, err := DecodeLearned(strings.NewReader(body), "m.json"); !errors.Is(err, ErrLearnedModel) || !strings.Contains(err.Error(), "authority_policy") {
			t.Errorf("%s: got %v, want ErrLearnedModel about authority_policy", body, err)
		}
	}
}

// TestLearnedLexiconDrift: a learned model records the fingerprint of the lexicons its
// "x:" features came from; loaded over a default model whose lexicons changed since, it
// loads but logs a warning. Narratives do not feed those features and do not change the
// fingerprint. Files without a fingerprint (written before it existed) load silently.
func TestLearnedLexiconDrift(t *testing.T) {
	def := defaultModel(t)
	fp := LexiconFingerprint(def)
	if !strings.HasPrefix(fp, "sha256:") || len(fp) != len("sha256:")+64 {
		t.Fatalf("default fingerprint %q", fp)
	}
	load := func(edit func(dir string)) Model {
		dir := copyModelDir(t)
		edit(dir)
		m, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	appendTo := func(name, line string) func(dir string) {
		return func(dir string) {
			f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString(line); err != nil {
				t.Fatal(err)
			}
		}
	}
	same := load(func(string) {})
	narr := load(func(dir string) {
		if err := os.Remove(filepath.Join(dir, "narratives", "scam.yaml")); err != nil {
			t.Fatal(err)
		}
	})
	changed := load(appendTo("lexicon/toxicity.tsv", "đồ rùa bò\toffensive\t0.6\n"))
	if LexiconFingerprint(same) != fp || LexiconFingerprint(narr) != fp {
		t.Errorf("a copy of the default model (or one without a narrative) has fingerprint %q / %q, want %q", LexiconFingerprint(same), LexiconFingerprint(narr), fp)
	}
	if LexiconFingerprint(changed) == fp {
		t.Fatal("a changed toxicity lexicon keeps the fingerprint")
	}
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	body := `{"format":"%s","name":"fp","version":"1","task":"toxicity","labels":["clean","offensive"],"bias":[0,0],"features":{"word_max":1,"lexicon":true}%s,"terms":{"x:tox_score":{"idf":1,"w":[-1,1]}}}`
	for _, c := range []struct {
		name, format, extra string
		base                Model
		warn                bool
	}{
		{"same lexicons", LearnedFormat, `,"lexicon_fingerprint":"` + fp + `"`, same, false},
		{"changed lexicons", LearnedFormat, `,"lexicon_fingerprint":"` + fp + `"`, changed, true},
		{"format 2 without fingerprint", LearnedFormat, "", changed, false},
		{"format 1", LearnedFormatV1, "", changed, false},
	} {
		logs.Reset()
		lf, err := DecodeLearned(strings.NewReader(fmt.Sprintf(body, c.format, c.extra)), "m.json")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := NewLearned(lf, c.base); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, _, drift := LexiconDrift(lf, c.base)
		warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "running_lexicons="+LexiconFingerprint(changed))
		if drift != c.warn || warned != c.warn {
			t.Errorf("%s: drift %v, logged %q; want a warning: %v", c.name, drift, logs.String(), c.warn)
		}
	}
}
