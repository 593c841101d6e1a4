package vntext

import (
	"flag"
	"os"
	"sync"
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

// sharedLexNorm trains the learned normalizer on ViLexNorm train once per test binary
// (research data from ../shared; the model is never written to the repository).
var sharedLexNorm struct {
	once       sync.Once
	res        *LexNormTrainResult
	train, dev []NormPair
	err        error
}

func trainSharedLexNorm(tb testing.TB) (*LexNormTrainResult, []NormPair, []NormPair) {
	tb.Helper()
	trainPath := testinfra.NeedShared(tb, "fixtures/corpus/vilexnorm_train.csv")
	devPath := testinfra.NeedShared(tb, "fixtures/corpus/vilexnorm_dev.csv")
	s := &sharedLexNorm
	s.once.Do(func() {
		if s.train, s.err = readNormPairsFile(trainPath); s.err != nil {
			return
		}
		if s.dev, s.err = readNormPairsFile(devPath); s.err != nil {
			return
		}
		s.res, s.err = TrainLexNorm(s.train, LexNormTrainOptions{})
	})
	if s.err != nil {
		tb.Fatal(s.err)
	}
	return s.res, s.train, s.dev
}

func readNormPairsFile(path string) ([]NormPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadNormPairs(f, path)
}

// lexnormModel lets BenchmarkLexNorm load a model trained by langnghe model train --task
// normalize instead of training one (which dominates an instruction count).
var lexnormModel = flag.String("lexnorm.model", "", "learned normalizer file for BenchmarkLexNorm (default: train on ViLexNorm train)")

// BenchmarkLexNorm compares the learned normalizer with today's Tokenize over the same
// texts (ViLexNorm dev) in the same run: ns/op is per pass over the 1,050 comments.
// The learned path must stay within 2× of Tokenize.
func BenchmarkLexNorm(b *testing.B) {
	var m *LexNormModel
	devPath := testinfra.NeedShared(b, "fixtures/corpus/vilexnorm_dev.csv")
	dev, err := readNormPairsFile(devPath)
	if err != nil {
		b.Fatal(err)
	}
	if *lexnormModel != "" {
		f, err := os.Open(*lexnormModel)
		if err != nil {
			b.Fatal(err)
		}
		m, err = DecodeLexNorm(f, *lexnormModel)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	} else {
		res, _, _ := trainSharedLexNorm(b)
		m = NewLexNormModel(res.File)
	}
	texts := make([]string, len(dev))
	for i, p := range dev {
		texts[i] = p.Original
	}
	b.Run("Tokenize", func(b *testing.B) {
		for b.Loop() {
			for _, s := range texts {
				Tokenize(s)
			}
		}
	})
	b.Run("LearnedNormalize", func(b *testing.B) {
		for b.Loop() {
			for _, s := range texts {
				m.Normalize(s)
			}
		}
	})
	// Cold: the cache of syllables outside the model's table emptied before every pass, as
	// for texts never seen before.
	b.Run("LearnedNormalizeCold", func(b *testing.B) {
		for b.Loop() {
			m.unseen.reset()
			for _, s := range texts {
				m.Normalize(s)
			}
		}
	})
	b.Run("LearnedTokenize", func(b *testing.B) {
		for b.Loop() {
			for _, s := range texts {
				m.Tokenize(s)
			}
		}
	})
}
