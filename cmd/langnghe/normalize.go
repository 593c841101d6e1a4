package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/langnghe/langnghe/vntext"
)

// The normalize task: a lexical normalizer learned from ViLexNorm-style CSV pairs
// (columns original,normalized), opt-in beside the shipped rule-based one.

func readNormPairsFile(path string) ([]vntext.NormPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	defer f.Close()
	pairs, err := vntext.ReadNormPairs(f, path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if len(pairs) == 0 {
		return nil, usageError{path + ": không có cặp nào / no pairs"}
	}
	return pairs, nil
}

// trainNormalizer is langnghe model train --task normalize --data train.csv --out norm.json.
func trainNormalizer(env *cliEnv, data, out string, holdOut int) error {
	pairs, err := readNormPairsFile(data)
	if err != nil {
		return err
	}
	bar := &progressBar{w: env.stderr}
	res, err := vntext.TrainLexNorm(pairs, vntext.LexNormTrainOptions{HoldOut: holdOut, Progress: bar.update})
	bar.done()
	if err != nil {
		return usageError{err.Error()}
	}
	// No training time in the file: the same pairs give the same bytes.
	res.File.Training["data"] = data
	fit := vntext.NewLexNormModel(res.File)
	train := vntext.MeasureNormalizerFunc(pairs, syllablesOf(fit))
	res.File.Training["train_err"] = train.ErrorReductionRate
	f, err := os.Create(out)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := json.NewEncoder(f).Encode(res.File); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	p := res.File.Params
	fmt.Fprintf(env.stdout, "trọng số chọn trên phần giữ lại / weights chosen on the held-out pairs (%d thử / trials): lm_weight %g mu %g beta %g teencode %g fold_plain %g fold_marked %g edit %g beam %g\n",
		len(res.Trials), p.LMWeight, p.Mu, p.Beta, p.Teencode, p.FoldPlain, p.FoldMarked, p.Edit, p.Beam)
	fmt.Fprintf(env.stdout, "ERR phần giữ lại / held-out %.4f (%d cặp / pairs), trên dữ liệu huấn luyện / on the training pairs (fit) %.4f\n",
		res.HeldOut.ErrorReductionRate, res.HeldOut.Pairs, train.ErrorReductionRate)
	fmt.Fprintf(env.stdout, "%d cặp / pairs, %d âm tiết nguồn / source syllables, huấn luyện / training %s, ghi vào / written to %s\n",
		len(pairs), len(res.File.Channel), res.Duration.Round(time.Millisecond), out)
	return nil
}

func syllablesOf(m *vntext.LexNormModel) func(string) []string {
	return func(s string) []string { return strings.Fields(m.Normalize(s)) }
}

// normReport is the result of langnghe eval --task normalize.
type normReport struct {
	Model          string  `json:"model"`
	Pairs          int     `json:"pairs"`
	Tokens         int     `json:"tokens"` // syllables of the human normalizations
	BaselineErrors int     `json:"baseline_errors"`
	SystemErrors   int     `json:"system_errors"`
	ERR            float64 `json:"err"`
	PostsPerSecond float64 `json:"posts_per_second"`
}

// evalNormalizer measures a normalizer's error reduction rate on CSV pairs: the learned
// one in modelPath, or the shipped one (Tokenize's teencode expansion) without it.
func evalNormalizer(env *cliEnv, modelPath, data, format string) error {
	pairs, err := readNormPairsFile(data)
	if err != nil {
		return err
	}
	rep := normReport{Model: "shipped"}
	var r vntext.NormERR
	var el time.Duration
	if modelPath == "" {
		start := time.Now()
		r = vntext.MeasureNormalizer(pairs)
		el = time.Since(start)
	} else {
		f, err := os.Open(modelPath)
		if err != nil {
			return usageError{err.Error()}
		}
		m, err := vntext.DecodeLexNorm(f, modelPath)
		f.Close()
		if err != nil {
			return usageError{err.Error()}
		}
		rep.Model = modelPath
		start := time.Now()
		r = vntext.MeasureNormalizerFunc(pairs, syllablesOf(m))
		el = time.Since(start)
	}
	rep.Pairs, rep.Tokens, rep.BaselineErrors, rep.SystemErrors, rep.ERR = r.Pairs, r.GoldTokens, r.BaselineErrors, r.SystemErrors, r.ErrorReductionRate
	if el > 0 {
		// Includes scoring (edit distances), so it understates the normalizer alone;
		// BenchmarkLexNorm in vntext measures that.
		rep.PostsPerSecond = float64(r.Pairs) / el.Seconds()
	}
	if format == "json" {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(env.stdout, "bộ chuẩn hóa / normalizer %s, %s: %d cặp / pairs, %d âm tiết chuẩn / gold syllables\n", rep.Model, data, rep.Pairs, rep.Tokens)
	fmt.Fprintf(env.stdout, "lỗi để nguyên / leave-as-is errors %d, lỗi bộ chuẩn hóa / normalizer errors %d\n", rep.BaselineErrors, rep.SystemErrors)
	fmt.Fprintf(env.stdout, "ERR (tỉ lệ giảm lỗi / error reduction rate) %.4f  %.0f bài/giây / posts/s\n", rep.ERR, rep.PostsPerSecond)
	return nil
}
