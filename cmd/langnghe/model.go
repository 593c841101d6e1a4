package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/classifier/learn"
)

// cmdModel: langnghe model train ... | langnghe model show FILE [--top N].
func cmdModel(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usageError{"cách dùng / usage: langnghe model train|show ..."}
	}
	switch args[0] {
	case "train":
		return cmdModelTrain(ctx, env, args[1:])
	case "show":
		return cmdModelShow(env, args[1:])
	}
	return usageError{fmt.Sprintf("lệnh con không rõ / unknown subcommand %q (train, show)", args[0])}
}

func cmdModelTrain(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("model train", flag.ContinueOnError)
	fs.SetOutput(env.stdout) // --help; errors go to stderr through runCLI
	task := fs.String("task", "", "sentiment, toxicity hoặc normalize / sentiment, toxicity or normalize")
	data := fs.String("data", "", "dữ liệu huấn luyện JSON Lines {text,label} (normalize: CSV original,normalized) / training JSON Lines (normalize: CSV pairs)")
	dev := fs.String("dev", "", "dữ liệu dev để chọn C, trọng số lớp và ngưỡng / dev set for tuning")
	out := fs.String("out", "", "tệp mô hình .json / output model file")
	name := fs.String("name", "", "tên mô hình / model name (default learned-TASK)")
	ver := fs.String("version", "", "phiên bản / version (default today)")
	cs := fs.String("c", "0.5,1,2,4,8,16,32", "các giá trị C thử / C values tried")
	cw := fs.String("class-weight", "none,balanced", "none và/hoặc balanced / none and/or balanced")
	minDF := fs.Int("min-df", 2, "bỏ đặc trưng xuất hiện ở ít hơn N văn bản / drop rarer features")
	wordMax := fs.Int("word-ngrams", 3, "độ dài n-gram âm tiết tối đa / max syllable n-gram")
	charMin := fs.Int("char-min", 2, "n-gram ký tự ngắn nhất, 0 = tắt / min char n-gram, 0 = off")
	charMax := fs.Int("char-max", 5, "n-gram ký tự dài nhất / max char n-gram")
	lexicon := fs.Bool("lexicon", true, "thêm đặc trưng từ điển mặc định / add default-lexicon features")
	folded := fs.String("folded", "auto", "n-gram không dấu: auto (chọn trên dev), true, false / accentless n-grams: auto (chosen on dev), true, false")
	offsets := fs.Bool("tune-offsets", true, "chỉnh ngưỡng quyết định trên dev / tune decision offsets on dev")
	maxIter := fs.Int("max-iter", 150, "số vòng L-BFGS tối đa / max L-BFGS iterations")
	metric := fs.String("metric", "", "macro_f1 hoặc weighted_f1 (mặc định theo task) / tuning metric")
	neutralFile := fs.String("neutral-terms", "", "danh sách từ chỉ chính quyền/chính trị không được học (mặc định models/neutral_terms.tsv) / authority and political terms never learned (default: the shipped list)")
	nb := fs.String("nb", "0,1", "phạt L2 theo tỉ lệ log-đếm kiểu NB-SVM, các giá trị 0..1 thử trên dev, 0 = tắt / NB-SVM log-count-ratio penalty scaling, values 0..1 tried on dev, 0 = off")
	fast := fs.Bool("fast", false, "huấn luyện nhanh cho vòng phản hồi của chuyên viên: "+fastDesc+" (cờ ghi rõ vẫn được ưu tiên) / quick training for the analyst feedback loop: "+fastDesc+" (explicit flags win)")
	ensemble := fs.Bool("ensemble", false, "trộn mô hình n-gram âm tiết và mô hình n-gram ký tự huấn luyện riêng, tỉ lệ chọn trên dev / mix separately trained word and character models, weight chosen on dev")
	offsetFolds := fs.Int("offset-folds", 0, "chỉnh ngưỡng quyết định bằng kiểm định chéo N phần trên tập huấn luyện thay vì trên dev (0 = trên dev) / tune the decision offsets by N-fold cross-validation on the training split instead of on dev (0 = on dev)")
	allowProbe := fs.Bool("allow-probe-failures", false, "vẫn ghi mô hình khi trượt bộ thử phạm vi / write the model even if it fails the scope probe")
	holdOut := fs.Int("hold-out", 10, "normalize: giữ lại mỗi cặp thứ N để chọn trọng số / normalize: every Nth pair is held out to tune the weights")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *task == "normalize" {
		if *data == "" || *out == "" {
			return usageError{"cần --data và --out / --data and --out are required"}
		}
		return trainNormalizer(env, *data, *out, *holdOut)
	}
	if *fast {
		applyFast(fs)
	}
	switch {
	case *task != "sentiment" && *task != "toxicity":
		return usageError{"--task phải là sentiment hoặc toxicity / --task must be sentiment or toxicity"}
	case *data == "" || *dev == "" || *out == "":
		return usageError{"cần --data, --dev và --out / --data, --dev and --out are required"}
	case *offsetFolds == 1 || *offsetFolds < 0:
		return usageError{"--offset-folds phải là 0 hoặc từ 2 trở lên / --offset-folds must be 0 or at least 2"}
	case *offsetFolds > 0 && *ensemble:
		return usageError{"--offset-folds không dùng được với --ensemble / --offset-folds does not work with --ensemble"}
	}
	var nbs []float64
	for _, s := range strings.Split(*nb, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return usageError{fmt.Sprintf("--nb: %q phải trong khoảng 0..1 / must be in 0..1", s)}
		}
		nbs = append(nbs, v)
	}
	var cvals []float64
	for _, s := range strings.Split(*cs, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return usageError{fmt.Sprintf("--c: %q không phải số dương / is not a positive number", s)}
		}
		cvals = append(cvals, v)
	}
	train, err := readExamplesFile(*data)
	if err != nil {
		return err
	}
	devEx, err := readExamplesFile(*dev)
	if err != nil {
		return err
	}
	base, err := classifier.LoadDefault()
	if err != nil {
		return err
	}
	neutral, err := classifier.DefaultNeutralTerms()
	if *neutralFile != "" {
		neutral, err = classifier.ReadNeutralTerms(os.DirFS(filepath.Dir(*neutralFile)), filepath.Base(*neutralFile))
	}
	if err != nil {
		return usageError{err.Error()}
	}
	probe, err := classifier.ScopeProbe()
	if err != nil {
		return err
	}
	var foldeds []bool
	switch *folded {
	case "auto":
		foldeds = []bool{false, true}
	case "true":
		foldeds = []bool{true}
	case "false":
		foldeds = []bool{false}
	default:
		return usageError{"--folded phải là auto, true hoặc false / --folded must be auto, true or false"}
	}
	// The folded feature and NB scaling are tuned on dev like C: the variant with the
	// best dev score before offsets is kept.
	var variants []learn.Variant
	for _, f := range foldeds {
		for _, b := range nbs {
			variants = append(variants, learn.Variant{Folded: f, NB: b})
		}
	}
	var bar *progressBar
	t0 := time.Now()
	res, err := learn.TrainVariants(ctx, train, devEx, base, learn.TrainOptions{
		Task: *task, Name: *name, Version: *ver, MinDF: *minDF, Cs: cvals,
		ClassWeights: strings.Split(*cw, ","), Metric: *metric, TuneOffsets: *offsets, MaxIter: *maxIter, Neutral: neutral, Ensemble: *ensemble,
		OffsetFolds: *offsetFolds,
		Features:    classifier.FeatureConfig{WordMax: *wordMax, CharMin: *charMin, CharMax: *charMax, Lexicon: *lexicon},
		Progress: func(stage string, done, total int) {
			if bar == nil {
				bar = &progressBar{w: env.stderr}
			}
			bar.update(stage, done, total)
		},
	}, variants, func(v learn.Variant, r *learn.TrainResult) {
		if bar != nil {
			bar.done()
			bar = nil
		}
		fmt.Fprintf(env.stdout, "folded=%v nb=%g: dev %s %.4f (before offsets), %s\n", v.Folded, v.NB, r.File.Training["metric"], r.DevScore(), r.TrainTime.Round(1e8))
	})
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return err
	}
	if err := checkScope(env, res.File, base, probe, *allowProbe); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return usageError{err.Error()}
	}
	enc := json.NewEncoder(f)
	if err := enc.Encode(res.File); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	for _, g := range res.Grid {
		part := ""
		if g.Part != "" {
			part = g.Part + " "
		}
		fmt.Fprintf(env.stdout, "%sC=%-5g class_weight=%-8s dev %.4f\n", part, g.C, g.ClassWeight, g.Dev)
	}
	t := res.File.Training
	fmt.Fprintf(env.stdout, "chọn / chosen: folded=%v nb=%v C=%v class_weight=%v; dev macro-F1 %.4f weighted-F1 %.4f (không chỉnh ngưỡng / without offsets: %.4f, %.4f)\n",
		res.File.Features.Folded, t["nb"], t["c"], t["class_weight"], res.Dev.MacroF1, res.Dev.WeightedF1, res.DevRaw.MacroF1, res.DevRaw.WeightedF1)
	if n, _ := t["authority_hate_relabelled_dev"].(int); n > 0 {
		fmt.Fprintf(env.stdout, "  số trên chấm theo nhãn đã áp chính sách (%d bài dev về cơ quan, nhãn hate → offensive); theo nhãn gốc của bộ dữ liệu, như eval chấm: macro-F1 %.4f weighted-F1 %.4f\n  / the figures above score the policy's labels (%d dev posts about authorities, hate → offensive); against the data set's own labels, as eval scores: macro-F1 %.4f weighted-F1 %.4f\n",
			n, res.DevDataLabels.MacroF1, res.DevDataLabels.WeightedF1, n, res.DevDataLabels.MacroF1, res.DevDataLabels.WeightedF1)
	}
	if cv, ok := t["cv_"+fmt.Sprint(t["metric"])]; ok {
		fmt.Fprintf(env.stdout, "ngưỡng chỉnh bằng kiểm định chéo %v phần trên tập huấn luyện, điểm ngoài phần / offsets tuned by %v-fold cross-validation on the training split, out-of-fold %v %v\n", t["offset_folds"], t["offset_folds"], t["metric"], cv)
	}
	if t["ensemble"] == true {
		fmt.Fprintf(env.stdout, "trộn / ensemble: word C=%v %v, char C=%v %v, word_weight=%v\n", t["word_c"], t["word_class_weight"], t["char_c"], t["char_class_weight"], t["word_weight"])
	}
	fmt.Fprintf(env.stdout, "%d đặc trưng / features (%d giữ lại / kept), %s (tổng / in all %s), ghi vào / written to %s\n",
		res.NumFeatures, len(res.File.Terms), res.TrainTime.Round(1e8), time.Since(t0).Round(1e8), *out)
	return nil
}

// fastSettings are the flag values --fast sets when the flag is not given explicitly: the
// analyst's feedback loop wants a model in seconds, not the best dev score.
var fastSettings = [][2]string{{"c", "4"}, {"class-weight", "balanced"}, {"folded", "false"}, {"nb", "1"}, {"char-min", "0"}, {"max-iter", "80"}}

var fastDesc = func() string {
	var parts []string
	for _, kv := range fastSettings {
		parts = append(parts, "--"+kv[0]+"="+kv[1])
	}
	return strings.Join(parts, " ")
}()

// applyFast sets the --fast values of the flags the command line did not set.
func applyFast(fs *flag.FlagSet) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, kv := range fastSettings {
		if !set[kv[0]] {
			_ = fs.Set(kv[0], kv[1]) // the values are valid for their flags
		}
	}
}

// errScopeProbe means a trained model failed the scope probe and was not written.
var errScopeProbe = errors.New("mô hình trượt bộ thử phạm vi, không ghi / the model failed the scope probe and was not written (--allow-probe-failures to write it anyway)")

// checkScope runs the scope probe (classifier/testdata/scope_probe.tsv) on a trained
// model: criticism of authorities and neutral news must not be labelled hate or flagged
// by a narrative, hate against protected groups and threats must still be caught. It
// lists every failure and returns errScopeProbe unless allow is set.
func checkScope(env *cliEnv, lf *classifier.LearnedFile, base classifier.Model, probe []classifier.ProbeCase, allow bool) error {
	m, err := classifier.NewLearned(lf, base)
	if err != nil {
		return err
	}
	fails := classifier.ProbeFailures(classifier.RunProbe(m, probe))
	fmt.Fprintf(env.stdout, "bộ thử phạm vi / scope probe: %d/%d đạt / passed\n", len(probe)-len(fails), len(probe))
	if len(fails) == 0 {
		return nil
	}
	w := env.stderr
	if allow {
		w = env.stdout
	}
	for _, f := range fails {
		fmt.Fprintf(w, "  scope_probe.tsv:%d %s [%s] %q: %s\n", f.Line, f.Expect, f.Kind, f.Text, f.Why)
	}
	if allow {
		fmt.Fprintln(w, "  --allow-probe-failures: vẫn ghi mô hình / writing the model anyway")
		return nil
	}
	return errScopeProbe
}

// progressBar draws "[#####.....] stage done/total" on one terminal line.
type progressBar struct {
	w     io.Writer
	last  string
	drawn bool
}

func (p *progressBar) update(stage string, done, total int) {
	const width = 30
	n := 0
	if total > 0 {
		n = done * width / total
	}
	s := fmt.Sprintf("\r[%s%s] %-8s %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), stage, done, total)
	if s != p.last {
		fmt.Fprint(p.w, s)
		p.last, p.drawn = s, true
	}
}

func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

func cmdModelShow(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("model show", flag.ContinueOnError)
	fs.SetOutput(env.stdout) // --help; errors go to stderr through runCLI
	top := fs.Int("top", 30, "số từ khóa mỗi nhãn / terms per label")
	kinds := fs.String("kinds", "w,f,c,x", "loại đặc trưng: w âm tiết, f không dấu, c ký tự, x từ điển / feature kinds")
	// Accept the file before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parseFlagArgs(fs, args); err != nil { // the file may also follow the flags
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 || file == "" {
		return usageError{"cách dùng / usage: langnghe model show FILE [--top N]"}
	}
	f, err := os.Open(file)
	if err != nil {
		return usageError{err.Error()}
	}
	defer f.Close()
	lf, err := classifier.DecodeLearned(f, file)
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(env.stdout, "%s@%s  task %s  labels %s  %d terms\n", lf.Name, lf.Version, lf.Task, strings.Join(lf.Labels, ","), len(lf.Terms))
	if len(lf.Training) > 0 {
		b, _ := json.Marshal(lf.Training)
		fmt.Fprintf(env.stdout, "training %s\n", b)
	}
	if len(lf.Neutral) > 0 {
		fmt.Fprintf(env.stdout, "%d từ trung lập không được học / neutral terms never learned (models/neutral_terms.tsv)\n", len(lf.Neutral))
	} else {
		fmt.Fprintln(env.stdout, "cảnh báo / warning: mô hình cũ, không có danh sách từ trung lập / an older model trained without neutral terms")
	}
	if err := showLexiconDrift(env, lf); err != nil {
		return err
	}
	want := map[byte]bool{}
	for _, k := range strings.Split(*kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			want[k[0]] = true
		}
	}
	for k, label := range lf.Labels {
		type tw struct {
			key string
			w   float64
		}
		var list []tw
		for key, t := range lf.Terms {
			if !want[key[0]] {
				continue
			}
			// Weight against the mean of the other labels. Weights apply to normalised
			// TF-IDF values, so they compare across terms; scaling by idf would rank rare
			// n-grams first.
			var other float64
			for j, x := range t.W {
				if j != k {
					other += x / float64(len(t.W)-1)
				}
			}
			list = append(list, tw{key, t.W[k] - other})
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].w != list[j].w {
				return list[i].w > list[j].w
			}
			return list[i].key < list[j].key
		})
		fmt.Fprintf(env.stdout, "\n%s (bias %.3f, offset %.3f):\n", label, lf.Bias[k], lf.Offset[k])
		for i := 0; i < *top && i < len(list); i++ {
			fmt.Fprintf(env.stdout, "  %8.3f  %q\n", list[i].w, list[i].key)
		}
	}
	return nil
}

// showLexiconDrift tells whether the lexicons the model's "x:" features were computed
// with are the running default model's (classifier.LexiconDrift).
func showLexiconDrift(env *cliEnv, lf *classifier.LearnedFile) error {
	if !lf.Features.Lexicon {
		return nil
	}
	base, err := classifier.LoadDefault()
	if err != nil {
		return err
	}
	trained, running, drift := classifier.LexiconDrift(lf, base)
	switch {
	case trained == "":
		fmt.Fprintln(env.stdout, "từ điển / lexicons: tệp cũ, không ghi dấu vân tay từ điển / an older file, no lexicon fingerprint recorded")
	case drift:
		fmt.Fprintf(env.stdout, "cảnh báo / warning: từ điển khi huấn luyện %s khác từ điển mặc định đang chạy %s, kết quả có thể lệch, hãy huấn luyện lại / trained over other lexicons than the running default model's, results may shift, retrain\n", trained, running)
	default:
		fmt.Fprintf(env.stdout, "từ điển / lexicons: %s, khớp mô hình mặc định / matches the running default model\n", trained)
	}
	return nil
}
