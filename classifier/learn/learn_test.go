package learn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

func TestScore(t *testing.T) {
	gold := []string{"a", "a", "a", "b", "b", "c"}
	pred := []string{"a", "a", "b", "b", "c", "c"}
	r := Score(gold, pred)
	// a: p=1 r=2/3 f=0.8; b: p=1/2 r=1/2 f=0.5; c: p=1/2 r=1 f=2/3.
	want := map[string]ClassReport{
		"a": {Precision: 1, Recall: 2.0 / 3, F1: 0.8, Support: 3},
		"b": {Precision: 0.5, Recall: 0.5, F1: 0.5, Support: 2},
		"c": {Precision: 0.5, Recall: 1, F1: 2.0 / 3, Support: 1},
	}
	for l, w := range want {
		g := r.PerClass[l]
		if math.Abs(g.Precision-w.Precision)+math.Abs(g.Recall-w.Recall)+math.Abs(g.F1-w.F1) > 1e-9 || g.Support != w.Support {
			t.Errorf("class %s: got %+v, want %+v", l, g, w)
		}
	}
	if math.Abs(r.Accuracy-4.0/6) > 1e-9 {
		t.Errorf("accuracy %v", r.Accuracy)
	}
	if m := (0.8 + 0.5 + 2.0/3) / 3; math.Abs(r.MacroF1-m) > 1e-9 {
		t.Errorf("macro-F1 %v, want %v", r.MacroF1, m)
	}
	if w := (0.8*3 + 0.5*2 + 2.0/3) / 6; math.Abs(r.WeightedF1-w) > 1e-9 {
		t.Errorf("weighted-F1 %v, want %v", r.WeightedF1, w)
	}
	if r.Confusion["a"]["b"] != 1 || r.Confusion["b"]["c"] != 1 || r.Confusion["a"]["a"] != 2 {
		t.Errorf("confusion %v", r.Confusion)
	}
	b, _ := json.Marshal(r)
	var keys map[string]any
	_ = json.Unmarshal(b, &keys)
	for _, k := range []string{"n", "accuracy", "macro_f1", "weighted_f1", "per_class", "confusion", "posts_per_second"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON lacks key %q: %s", k, b)
		}
	}
	if len(keys) != 7 {
		t.Errorf("JSON has %d keys, want exactly the 7 of the issue: %s", len(keys), b)
	}
}

func TestCollapseToxicity(t *testing.T) {
	for in, want := range map[string]string{"clean": "non_toxic", "non_toxic": "non_toxic", "offensive": "toxic", "hate": "toxic", "toxic": "toxic", "hate_offensive": "toxic"} {
		if got := CollapseToxicity(in); got != want {
			t.Errorf("CollapseToxicity(%q) = %q, want %q", in, got, want)
		}
	}
}

func readLearn(t *testing.T, name string) []Example {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamples(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func TestReadExamplesErrorsNameLine(t *testing.T) {
	f, err := os.Open("testdata/bad.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = ReadExamples(f, "bad.jsonl")
	if !errors.Is(err, ErrDataFile) || !strings.HasPrefix(err.Error(), "bad.jsonl:2:") {
		t.Fatalf("got %v, want bad.jsonl:2: ... wrapping ErrDataFile", err)
	}
	_, err = ReadExamples(strings.NewReader("{\"text\": 1}\n"), "x")
	if !errors.Is(err, ErrDataFile) || !strings.HasPrefix(err.Error(), "x:1:") {
		t.Fatalf("got %v", err)
	}
}

// TestTrainLearnedModel trains on a hand-written set and checks the model classifies the
// dev texts, explains labels with word n-grams at the right offsets, and survives a JSON
// round trip through classifier.Load.
func TestTrainLearnedModel(t *testing.T) {
	base := defaultModel(t)
	train, dev := readLearn(t, "train.jsonl"), readLearn(t, "dev.jsonl")
	var stages []string
	res, err := Train(context.Background(), train, dev, base, TrainOptions{
		Task: "sentiment", Name: "tiny", Version: "1", MinDF: 1, Cs: []float64{1, 10}, TuneOffsets: true,
		Progress: func(stage string, done, total int) {
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				stages = append(stages, stage)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(stages, ",") != "features,fit,offsets" {
		t.Errorf("progress stages %v", stages)
	}
	if len(res.Grid) != 4 {
		t.Errorf("grid %v, want 2 C values x 2 class weights", res.Grid)
	}
	if fp := classifier.LexiconFingerprint(base); !strings.HasPrefix(fp, "sha256:") || res.File.LexiconFingerprint != fp {
		t.Errorf("file records lexicon fingerprint %q, want the base model's %q", res.File.LexiconFingerprint, fp)
	}
	if res.DevRaw.Accuracy < 0.8 {
		t.Errorf("dev accuracy %.2f on an easy set; report %+v", res.DevRaw.Accuracy, res.DevRaw)
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(res.File); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := classifier.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "tiny@1" {
		t.Errorf("name %q", m.Name())
	}
	text := "Hàng lỗi, giao chậm, thất vọng quá"
	a := m.Analyze(text)
	if a.Sentiment.Label != "negative" || a.Sentiment.Score >= 0 {
		t.Fatalf("sentiment %+v, want negative with a negative score", a.Sentiment)
	}
	found := 0
	for _, e := range a.Evidence {
		if e.For != "sentiment" {
			continue
		}
		found++
		if e.Start < 0 || e.End > len(text) || vntext.Normalize(text[e.Start:e.End]) != e.Term {
			t.Errorf("evidence %+v does not point at its term in %q", e, text)
		}
	}
	if found == 0 {
		t.Errorf("no sentiment evidence in %+v", a.Evidence)
	}
	// The other task and narratives still come from the base model.
	if b, a2 := base.Analyze("đồ ngu"), m.Analyze("đồ ngu"); a2.Toxicity != b.Toxicity {
		t.Errorf("toxicity %+v, base %+v", a2.Toxicity, b.Toxicity)
	}
	for _, s := range []string{"", "\xff\xfe", strings.Repeat("😡", 1000)} {
		_ = m.Analyze(s)
	}
}

// TestLearnedFastPathMatchesReference: the compiled scorer (syllable dictionary, n-gram
// trie, per-call count table) gives exactly the scores of the straightforward feature
// extraction used in training, on texts with teencode, folded text, repeats, emoji and
// invalid UTF-8, and with each feature family switched off.
func TestLearnedFastPathMatchesReference(t *testing.T) {
	base := defaultModel(t)
	for _, feats := range []classifier.FeatureConfig{
		{WordMax: 3, CharMin: 2, CharMax: 5, Lexicon: true, Folded: true},
		{WordMax: 2, CharMin: 1, CharMax: 3},
		{WordMax: 5, Lexicon: true},
	} {
		res, err := Train(context.Background(), readLearn(t, "train.jsonl"), readLearn(t, "dev.jsonl"), base, TrainOptions{
			Task: "sentiment", MinDF: 1, Cs: []float64{4}, ClassWeights: []string{"none"}, Features: feats,
		})
		if err != nil {
			t.Fatal(err)
		}
		mm, err := classifier.NewLearned(res.File, base)
		if err != nil {
			t.Fatal(err)
		}
		// A long text: every training text, then made-up words (syllables outside the
		// dictionary), so the per-call count table grows and the other-syllable cache fills.
		var long strings.Builder
		for _, e := range readLearn(t, "train.jsonl") {
			long.WriteString(e.Text + " ")
		}
		for i := range 3000 {
			fmt.Fprintf(&long, "x%dq%cu ", i, 'a'+rune(i%26))
		}
		for _, text := range []string{"", "Thầy dạy dễ hiểu, rất nhiệt tình", "hang loi, giao cham, that vong",
			"mn ơi tệ quá tệ quá tệ quá 😡", "\xff ổn ổn", "Hàng lỗi Hàng lỗi, giao chậm chậm chậm :((", "ko dc j đâu, bt thôi",
			long.String()} {
			for range 2 { // the second time through pooled buffers
				if err := classifier.CheckLearned(mm, []string{text}); err != nil {
					t.Fatalf("%+v: %v", feats, err)
				}
			}
		}
	}
}

// TestLearnedConcurrentAnalyze: goroutines sharing one learned model (its scratch pool and
// its cache of syllables outside the dictionary) get the results of one goroutine alone.
// Run with -race to check the sharing.
func TestLearnedConcurrentAnalyze(t *testing.T) {
	base := defaultModel(t)
	res, err := Train(context.Background(), readLearn(t, "train.jsonl"), readLearn(t, "dev.jsonl"), base, TrainOptions{
		Task: "sentiment", MinDF: 1, Cs: []float64{4}, ClassWeights: []string{"none"},
		Features: classifier.FeatureConfig{WordMax: 3, CharMin: 2, CharMax: 5, Lexicon: true, Folded: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := classifier.NewLearned(res.File, base)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, e := range append(readLearn(t, "train.jsonl"), readLearn(t, "dev.jsonl")...) {
		texts = append(texts, e.Text, e.Text+" zzq"+e.Label+" qqx")
	}
	want := make([]post.Analysis, len(texts))
	for i, text := range texts {
		want[i] = m.Analyze(text)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Go(func() {
			for r := range 20 {
				i := (g*7 + r*13) % len(texts)
				for j := range texts {
					k := (i + j) % len(texts)
					if got := m.Analyze(texts[k]); !reflect.DeepEqual(got, want[k]) {
						errs <- fmt.Sprintf("%q: got %+v, want %+v", texts[k], got, want[k])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func defaultModel(t testing.TB) classifier.Model {
	t.Helper()
	m, err := classifier.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestNBPenalty: with NB scaling, a feature seen only in one label's examples is
// penalised less for that label than a feature spread evenly over the labels; negative
// feature values (lexicon features such as x:sent_score) give finite penalties; and
// beta 0 is plain L2 (every factor 1).
func TestNBPenalty(t *testing.T) {
	X := []sparse{
		{idx: []int32{0, 1, 2}, val: []float32{1, 0.5, -0.7}, y: 0},
		{idx: []int32{0, 1, 2}, val: []float32{1, 0.5, -0.2}, y: 0},
		{idx: []int32{1, 2}, val: []float32{0.5, 0.4}, y: 1},
		{idx: []int32{1}, val: []float32{0.5}, y: 1},
	}
	const F, K = 3, 2
	pen := nbPenalty(X, F, K, 1)
	for i, p := range pen {
		if math.IsNaN(p) || math.IsInf(p, 0) || p <= 0 {
			t.Fatalf("penalty %d = %v", i, p)
		}
	}
	if pen[0*K+0] >= pen[1*K+0] {
		t.Errorf("feature 0 (only in label 0) penalty %v, feature 1 (even) %v: want the informative one lower", pen[0], pen[1*K])
	}
	for i, p := range nbPenalty(X, F, K, 0) {
		if p != 1 {
			t.Errorf("beta 0: penalty %d = %v, want 1", i, p)
		}
	}
}

// TestTrainEnsemble: with Ensemble, a word model and a character model are fitted apart
// (the grid holds both), mixed by a weight in 0..1 chosen on dev, and the mix is one
// model file that scores as trained. Without character n-grams there is nothing to mix.
func TestTrainEnsemble(t *testing.T) {
	base := defaultModel(t)
	train, dev := readLearn(t, "train.jsonl"), readLearn(t, "dev.jsonl")
	opts := TrainOptions{Task: "sentiment", MinDF: 1, Cs: []float64{1, 4}, ClassWeights: []string{"none"}, Ensemble: true,
		Features: classifier.FeatureConfig{WordMax: 2, CharMin: 2, CharMax: 4, Lexicon: true}}
	res, err := Train(context.Background(), train, dev, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]int{}
	for _, g := range res.Grid {
		parts[g.Part]++
	}
	if parts["word"] != 2 || parts["char"] != 2 || len(res.Grid) != 4 {
		t.Errorf("grid %+v, want 2 word and 2 char fits", res.Grid)
	}
	a, ok := res.File.Training["word_weight"].(float64)
	if !ok || a < 0 || a > 1 || res.File.Training["ensemble"] != true {
		t.Errorf("training %v: want ensemble with a word_weight in 0..1", res.File.Training)
	}
	if res.DevRaw.Accuracy < 0.8 {
		t.Errorf("dev accuracy %.2f", res.DevRaw.Accuracy)
	}
	m, err := classifier.NewLearned(res.File, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := classifier.CheckLearned(m, []string{"Thầy dạy dễ hiểu, rất nhiệt tình", "hang loi, giao cham, that vong"}); err != nil {
		t.Error(err)
	}
	opts.Features.CharMin, opts.Features.CharMax = 0, 0
	if res, err = Train(context.Background(), train, dev, base, opts); err != nil || len(res.Grid) != 2 || res.File.Training["ensemble"] != nil {
		t.Errorf("without character n-grams: %v, grid %+v, training %v; want one plain grid", err, res.Grid, res.File.Training)
	}
}

// TestOffsetFoldsIgnoreDev: with OffsetFolds the decision offsets are tuned on the
// training split's out-of-fold scores, so (one C, one class weight: nothing else is chosen
// on dev) they are the same whatever the dev labels say, and the file records the folds
// and the out-of-fold score. Tuned on dev, they follow the dev labels.
func TestOffsetFoldsIgnoreDev(t *testing.T) {
	base := defaultModel(t)
	train, dev := readLearn(t, "train.jsonl"), readLearn(t, "dev.jsonl")
	flipped := slices.Clone(dev)
	for i := range flipped { // every dev label wrong
		flipped[i].Label = map[string]string{"positive": "negative", "negative": "neutral", "neutral": "positive"}[flipped[i].Label]
	}
	opts := TrainOptions{Task: "sentiment", MinDF: 1, Cs: []float64{1}, ClassWeights: []string{"balanced"}, TuneOffsets: true, OffsetFolds: 3}
	var stages []string
	opts.Progress = func(stage string, _, _ int) {
		if len(stages) == 0 || stages[len(stages)-1] != stage {
			stages = append(stages, stage)
		}
	}
	a, err := Train(context.Background(), train, dev, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Progress = nil
	b, err := Train(context.Background(), train, flipped, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.File.Offset, b.File.Offset) {
		t.Errorf("offsets %v with dev, %v with dev labels flipped: want the same", a.File.Offset, b.File.Offset)
	}
	if a.File.Training["offset_folds"] != 3 || a.File.Training["cv_weighted_f1"] == nil {
		t.Errorf("training %v: want offset_folds 3 and cv_weighted_f1", a.File.Training)
	}
	if strings.Join(stages, ",") != "features,fit,folds,offsets" {
		t.Errorf("progress stages %v", stages)
	}
	opts.OffsetFolds = 0
	c, err := Train(context.Background(), train, dev, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Train(context.Background(), train, flipped, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(c.File.Offset, d.File.Offset) {
		t.Errorf("offsets tuned on dev are %v whatever the dev labels; the test shows nothing", c.File.Offset)
	}
}

// TestNoisyLabels: confident learning flags an example whose out-of-fold probabilities
// confidently point at another label, and the "mean" rule flags what is below its label's
// mean self-confidence.
func TestNoisyLabels(t *testing.T) {
	X := []sparse{{y: 0}, {y: 0}, {y: 0}, {y: 1}, {y: 1}}
	lg := func(p float64) []float64 { return []float64{0, math.Log((1 - p) / p)} } // p: P(label 0)
	scores := [][]float64{lg(0.9), lg(0.8), lg(0.1), lg(0.2), lg(0.3)}
	// t_0 = (0.9+0.8+0.1)/3 = 0.6, t_1 = (0.8+0.7)/2 = 0.75.
	if got, want := noisyLabels(X, scores, 2, "cl"), []bool{false, false, true, false, false}; !slices.Equal(got, want) {
		t.Errorf("cl: got %v, want %v", got, want)
	}
	if got, want := noisyLabels(X, scores, 2, "mean"), []bool{false, false, true, false, true}; !slices.Equal(got, want) {
		t.Errorf("mean: got %v, want %v", got, want)
	}
	kept := pruned(X, []bool{false, false, true, false, false}, 0.3)
	if len(kept) != 5 || kept[2].wt != 0.3 || kept[0].wt != 0 {
		t.Errorf("weighted: %+v", kept)
	}
	if kept := pruned(X, []bool{false, false, true, false, false}, 0); len(kept) != 4 {
		t.Errorf("dropped: %d left, want 4", len(kept))
	}
}
