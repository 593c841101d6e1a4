package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/classifier/learn"
)

// cmdEval measures a model on labelled JSON Lines: langnghe eval --task T --data F
// [--model M] [--format text|json].
func cmdEval(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(env.stdout) // --help; errors go to stderr through runCLI
	task := fs.String("task", "", "sentiment, toxicity, narrative hoặc normalize / sentiment, toxicity, narrative or normalize")
	data := fs.String("data", "", "tệp JSON Lines có \"text\" và \"label\" (narrative: \"narratives\": [id]; normalize: CSV original,normalized) / labelled JSON Lines (narrative: a \"narratives\" list; normalize: CSV pairs)")
	modelPath := fs.String("model", "", "thư mục mô hình hoặc tệp mô hình học (.json; normalize: bộ chuẩn hóa học); trống = mặc định / model dir or learned model file (normalize: a learned normalizer); empty = shipped default")
	format := fs.String("format", "text", "text hoặc json / text or json")
	maxErrors := fs.Int("errors", -1, "narrative: số bài sai được liệt kê; -1 = tất cả, 0 = không liệt kê (để chấm một tập giữ lại mà không đọc bài) / narrative: posts listed as errors; -1 = all, 0 = none (to score a held-out set without reading its posts)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *task != "sentiment" && *task != "toxicity" && *task != "narrative" && *task != "normalize":
		return usageError{"--task phải là sentiment, toxicity, narrative hoặc normalize / --task must be sentiment, toxicity, narrative or normalize"}
	case *data == "":
		return usageError{"thiếu --data / --data is required"}
	case *format != "text" && *format != "json":
		return usageError{"--format phải là text hoặc json / --format must be text or json"}
	case *maxErrors < -1:
		return usageError{"--errors phải ≥ -1 / --errors must be ≥ -1"}
	}
	if *task == "normalize" {
		return evalNormalizer(env, *modelPath, *data, *format)
	}
	model, err := loadModelPath(*modelPath)
	if err != nil {
		return err
	}
	if *task == "narrative" {
		return evalNarratives(env, model, *data, *format, *maxErrors)
	}
	ex, err := readExamplesFile(*data)
	if err != nil {
		return err
	}
	rep, err := evaluate(ctx, model, *task, ex)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(env.stdout, model.Name(), *task, *data, rep)
	return nil
}

func loadModelPath(path string) (classifier.Model, error) {
	if path == "" {
		return classifier.LoadDefault()
	}
	m, err := classifier.Load(path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return m, nil
}

func readExamplesFile(path string) ([]learn.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	defer f.Close()
	ex, err := learn.ReadExamples(f, path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if len(ex) == 0 {
		return nil, usageError{path + ": không có dòng nào / no examples"}
	}
	return ex, nil
}

// evaluate classifies every example and scores the predictions; binary gold labels
// (toxic/non_toxic, or ViHOS's clean/hate_offensive, both reported as toxic/non_toxic) are
// compared with the prediction collapsed to not-clean/clean.
func evaluate(ctx context.Context, m classifier.Model, task string, ex []learn.Example) (learn.Report, error) {
	binary := task == "toxicity" && learn.IsBinaryToxicity(ex)
	gold, pred := make([]string, len(ex)), make([]string, len(ex))
	start := time.Now()
	for i, e := range ex {
		if i%1024 == 0 && ctx.Err() != nil {
			return learn.Report{}, ctx.Err()
		}
		p, err := learn.Prediction(m, task, e.Text, binary)
		if err != nil {
			return learn.Report{}, usageError{err.Error()}
		}
		gold[i], pred[i] = e.Label, p
		if binary {
			gold[i] = learn.CollapseToxicity(e.Label)
		}
	}
	el := time.Since(start)
	rep := learn.Score(gold, pred)
	if el > 0 {
		rep.PostsPerSecond = float64(len(ex)) / el.Seconds()
	}
	return rep, nil
}

func printReport(w io.Writer, model, task, data string, r learn.Report) {
	fmt.Fprintf(w, "mô hình / model %s, %s, %s: %d dòng / rows\n", model, task, data, r.N)
	fmt.Fprintf(w, "accuracy %.4f  macro-F1 %.4f  weighted-F1 %.4f  %.0f bài/giây / posts/s\n\n", r.Accuracy, r.MacroF1, r.WeightedF1, r.PostsPerSecond)
	fmt.Fprintf(w, "%-16s %9s %9s %9s %9s\n", "nhãn / label", "precision", "recall", "F1", "support")
	for _, l := range r.Labels {
		c := r.PerClass[l]
		fmt.Fprintf(w, "%-16s %9.4f %9.4f %9.4f %9d\n", l, c.Precision, c.Recall, c.F1, c.Support)
	}
	fmt.Fprintf(w, "\nma trận nhầm lẫn / confusion (dòng: nhãn đúng / rows: gold; cột: dự đoán / columns: predicted)\n%-16s", "")
	for _, l := range r.Labels {
		fmt.Fprintf(w, " %10s", l)
	}
	fmt.Fprintln(w)
	gold := make([]string, 0, len(r.Confusion))
	for g := range r.Confusion {
		gold = append(gold, g)
	}
	sort.Strings(gold)
	for _, g := range gold {
		fmt.Fprintf(w, "%-16s", g)
		for _, l := range r.Labels {
			fmt.Fprintf(w, " %10d", r.Confusion[g][l])
		}
		fmt.Fprintln(w)
	}
}

// evalNarratives scores the model's narratives on a set labelled with "narratives" lists:
// per narrative precision, recall, F1 and support, then the posts it got wrong (the first
// maxErrors of them; all when it is -1).
func evalNarratives(env *cliEnv, m classifier.Model, path, format string, maxErrors int) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err.Error()}
	}
	defer f.Close()
	ex, err := learn.ReadNarrativeExamples(f, path)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(ex) == 0 {
		return usageError{path + ": không có dòng nào / no examples"}
	}
	start := time.Now()
	rep := learn.ScoreNarratives(m, ex)
	if el := time.Since(start); el > 0 {
		rep.PostsPerSecond = float64(len(ex)) / el.Seconds()
	}
	nErrors := rep.ErrorCount
	if maxErrors >= 0 && maxErrors < nErrors {
		rep.Errors = rep.Errors[:maxErrors]
	}
	if format == "json" {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	w := env.stdout
	fmt.Fprintf(w, "mô hình / model %s, narrative, %s: %d bài / posts (%d không thuộc chủ đề nào / labelled none, %d trong số đó không khớp gì / of them matched nothing)\n", m.Name(), path, rep.N, rep.None, rep.NoneClean)
	fmt.Fprintf(w, "macro precision %.4f  recall %.4f  F1 %.4f  khớp đúng cả bài / exact match %.4f\n\n", rep.MacroPrecision, rep.MacroRecall, rep.MacroF1, rep.ExactMatch)
	fmt.Fprintf(w, "%-26s %9s %9s %9s %9s\n", "chủ đề / narrative", "precision", "recall", "F1", "support")
	for _, id := range rep.Narratives {
		c := rep.PerNarrative[id]
		fmt.Fprintf(w, "%-26s %9.4f %9.4f %9.4f %9d\n", id, c.Precision, c.Recall, c.F1, c.Support)
	}
	if nErrors > len(rep.Errors) {
		fmt.Fprintf(w, "\nlỗi / errors: %d, liệt kê %d (--errors) / %d, %d listed (--errors)\n", nErrors, len(rep.Errors), nErrors, len(rep.Errors))
	} else if nErrors > 0 {
		fmt.Fprintf(w, "\nlỗi / errors (%d)\n", nErrors)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "%-26s %-15s %q\n", e.Narrative, e.Kind, e.Text)
	}
	return nil
}
