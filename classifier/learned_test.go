package classifier

import (
	"errors"
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
