package learn

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/testinfra"
)

// vihsdLearned is a learned toxicity model trained once per test binary on part of the
// ViHSD training split (../shared), shared by the benchmark and the equality test.
var vihsdLearned struct {
	once   sync.Once
	m      classifier.Model
	base   classifier.Model
	terms  int
	dev    []string
	took   time.Duration
	nTrain int
	err    error
}

// Training budget of the shared model: enough posts and iterations for a model of
// realistic size (tens of thousands of terms, folded n-grams, lexicon features), little
// enough to train in a few seconds. Accuracy is not the point here; speed and equality are.
const (
	learnedBenchTrain   = 12000
	learnedBenchDev     = 600
	learnedBenchMaxIter = 40
)

func learnedViHSD(tb testing.TB) (classifier.Model, []string) {
	tb.Helper()
	testinfra.NeedShared(tb, "data/vihsd/train.jsonl")
	testinfra.NeedShared(tb, "data/vihsd/dev.jsonl")
	v := &vihsdLearned
	v.once.Do(func() {
		train, err := readExamplesPath(filepath.Join(evalDir, "vihsd", "train.jsonl"))
		if err != nil {
			v.err = err
			return
		}
		dev, err := readExamplesPath(filepath.Join(evalDir, "vihsd", "dev.jsonl"))
		if err != nil {
			v.err = err
			return
		}
		base, err := classifier.LoadDefault()
		if err != nil {
			v.err = err
			return
		}
		t0 := time.Now()
		res, err := Train(context.Background(), train[:min(len(train), learnedBenchTrain)], dev[:min(len(dev), learnedBenchDev)], base, TrainOptions{
			Task: "toxicity", Cs: []float64{8}, ClassWeights: []string{"balanced"}, MaxIter: learnedBenchMaxIter,
			Features: classifier.FeatureConfig{WordMax: 3, CharMin: 2, CharMax: 5, Lexicon: true, Folded: true},
		})
		if err != nil {
			v.err = fmt.Errorf("training on ViHSD: %w", err)
			return
		}
		v.took = time.Since(t0)
		v.nTrain = min(len(train), learnedBenchTrain)
		m, err := classifier.NewLearned(res.File, base)
		if err != nil {
			v.err = err
			return
		}
		v.m, v.base, v.terms = m, base, len(res.File.Terms)
		for _, e := range dev {
			v.dev = append(v.dev, e.Text)
		}
	})
	if v.err != nil {
		tb.Fatalf("training the ViHSD model for the learned-model measurement: %v", v.err)
	}
	return v.m, v.dev
}

// BenchmarkLearnedViHSD classifies the ViHSD dev comments on one goroutine with a learned
// toxicity model trained in the same run (see learnedViHSD) and, as the baseline in the
// same run, with the shipped default model it is layered over. Metrics: posts/s of each,
// ratio = learned posts/s over default posts/s, allocs/post and B/post of the learned model.
// Each sub-benchmark classifies the dev set once before timing, so caches are warm.
func BenchmarkLearnedViHSD(b *testing.B) {
	m, dev := learnedViHSD(b)
	b.Logf("learned model: %d terms, trained on %d posts in %v", vihsdLearned.terms, vihsdLearned.nTrain, vihsdLearned.took.Round(time.Millisecond))
	var size int64
	for _, t := range dev {
		size += int64(len(t))
	}
	run := func(b *testing.B, mod classifier.Model) float64 {
		for _, t := range dev { // warm caches before timing
			mod.Analyze(t)
		}
		b.SetBytes(size)
		return analyzeAll(b, mod, dev)
	}
	var basePPS float64
	b.Run("default", func(b *testing.B) { basePPS = run(b, vihsdLearned.base) })
	b.Run("learned", func(b *testing.B) {
		pps := run(b, m)
		if basePPS > 0 {
			b.ReportMetric(pps/basePPS, "ratio_to_default")
		}
	})
}

// TestLearnedFastPathMatchesReferenceViHSD: on every ViHSD dev comment, the scores Analyze
// computes through the compiled scorer equal those of the reference path (feature
// extraction as in training, vectorize, string-keyed weights), and so do the labels.
func TestLearnedFastPathMatchesReferenceViHSD(t *testing.T) {
	m, dev := learnedViHSD(t)
	if err := classifier.CheckLearned(m, dev); err != nil {
		t.Fatal(err)
	}
}

func readExamplesPath(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadExamples(f, path)
}

// analyzeAll classifies texts b.N times and reports posts/s, allocs/post and B/post, as
// the classifier package's benchmarks do.
func analyzeAll(b *testing.B, m classifier.Model, texts []string) float64 {
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
