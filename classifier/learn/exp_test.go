// Experiments that measured ideas for the learned models (models/README.md, "Measured on
// branch learn6"). They read research data and run for many minutes, so they are built
// only with the tag: go test -tags experiments ./classifier/learn -run TestExperiments -v
//go:build experiments

package learn

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/testinfra"
	"github.com/langnghe/langnghe/vntext"
)

// TestExperiments measures ideas on the shared dev splits (research data, local only).
// LEARN_EXP_SETS, LEARN_EXP_IDEAS select what runs.
func TestExperiments(t *testing.T) {
	root := testinfra.NeedShared(t, "data")
	base, err := classifier.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	sets := []struct{ name, task string }{{"vihsd", "toxicity"}, {"victsd", "toxicity"}, {"vsfc", "sentiment"}}
	ideas := strings.Split(os.Getenv("LEARN_EXP_IDEAS"), ",")
	embs := map[string]*wordVecs{}
	for _, s := range sets {
		if v := os.Getenv("LEARN_EXP_SETS"); v != "" && !strings.Contains(v, s.name) {
			continue
		}
		train := readShared(t, filepath.Join(root, s.name, "train.jsonl"))
		dev := readShared(t, filepath.Join(root, s.name, "dev.jsonl"))
		for _, idea := range ideas {
			opts := TrainOptions{Task: s.task, Cs: []float64{4}, ClassWeights: []string{"balanced"}, NB: 1, MaxIter: 80, TuneOffsets: true,
				Features: classifier.FeatureConfig{WordMax: 3, Lexicon: true}}
			if strings.Contains(idea, "char") {
				opts.Features.CharMin, opts.Features.CharMax = 2, 5
			}
			if strings.Contains(idea, "style") {
				opts.dense = styleFeatures
			}
			if strings.Contains(idea, "full") { // the variant the default picks per set, C grid, chars, 150 iterations
				opts.Features.CharMin, opts.Features.CharMax = 2, 5
				opts.Cs, opts.ClassWeights, opts.MaxIter = []float64{1, 2, 4, 8, 16}, []string{"none", "balanced"}, 150
				opts.Features.Folded = s.name == "vsfc"
				if s.name == "vihsd" {
					opts.NB = 0
				}
			}
			if strings.Contains(idea, "cv") {
				opts.OffsetFolds = 5
			}
			if strings.Contains(idea, "ft") {
				ft := ftOptions{Dim: 16, Epochs: 5, LR: 0.1}
				fmt.Sscanf(envOr("LEARN_EXP_FT", "16,5,0.1"), "%d,%d,%g", &ft.Dim, &ft.Epochs, &ft.LR)
				opts.fitter = func(W []float64, X []sparse, F, K int, cw []float64) { sgdFactor(W, X, F, K, cw, ft) }
			}
			if strings.Contains(idea, "bag") {
				opts.bagFolds = true
			}
			if strings.Contains(idea, "prune") { // LEARN_EXP_PRUNE=rule,weight (cl or mean; 0 drops)
				opts.prune, opts.pruneRule = true, "cl"
				fmt.Sscanf(strings.Replace(envOr("LEARN_EXP_PRUNE", "cl,0"), ",", " ", 1), "%s %g", &opts.pruneRule, &opts.pruneWeight)
			}
			if strings.Contains(idea, "gap") { // gapped pairs, up to LEARN_EXP_GAP (2) syllables between
				opts.gap, opts.gapFolded, opts.gapBlock = 2, strings.Contains(idea, "gapf"), strings.Contains(idea, "gapb")
				fmt.Sscanf(envOr("LEARN_EXP_GAP", "2"), "%d", &opts.gap)
			}
			if strings.Contains(idea, "two") && s.name != "victsd" {
				first := map[string]string{"vihsd": "clean", "vsfc": "neutral"}[s.name]
				c0 := cpuTime()
				dev, cv, pc := twoStage(t, train, dev, base, opts, first)
				t.Logf("RESULT %-7s %-14s cv %.4f dev %.4f [%s] %.1f s CPU", s.name, idea, cv, dev, pc, cpuTime()-c0)
				continue
			}
			if strings.Contains(idea, "nooff") {
				opts.TuneOffsets = false
			}
			if strings.Contains(idea, "emb") || strings.Contains(idea, "clu") {
				corpus := "all"
				if strings.Contains(idea, "own") {
					corpus = s.name
				}
				emb := embs[corpus]
				if emb == nil {
					t0 := cpuTime()
					emb = trainWordVecs(t, root, corpus, 64)
					embs[corpus] = emb
					t.Logf("word vectors (%s): %d words, %.1f s CPU", corpus, len(emb.vec), cpuTime()-t0)
				}
				fx, err := classifier.NewFeatureExtractor(classifier.FeatureConfig{WordMax: 1}, nil, classifier.WithNeutralTerms(mustNeutral(t)))
				if err != nil {
					t.Fatal(err)
				}
				scale := 1.0
				fmt.Sscanf(envOr("LEARN_EXP_SCALE", "1"), "%g", &scale)
				if strings.Contains(idea, "embm") {
					opts.dense = func(text string) []float64 { return emb.postMean(fx, text, scale) }
				} else if strings.Contains(idea, "emb") {
					opts.dense = func(text string) []float64 { return emb.postVec(fx, text, scale) }
				} else {
					opts.dense = func(text string) []float64 { return emb.postClusters(fx, text, scale) }
				}
				if strings.Contains(idea, "style") {
					f := opts.dense
					opts.dense = func(text string) []float64 { return append(f(text), styleFeatures(text)...) }
				}
			}
			c0, w0 := cpuTime(), time.Now()
			r, err := Train(context.Background(), train, dev, base, opts)
			if err != nil {
				t.Fatal(err)
			}
			m := r.File.Training["metric"].(string)
			pick := func(r Report) float64 {
				if m == "weighted_f1" {
					return r.WeightedF1
				}
				return r.MacroF1
			}
			var pc []string
			for l, c := range r.DevDataLabels.PerClass {
				pc = append(pc, fmt.Sprintf("%s %.3f", l, c.F1))
			}
			slices.Sort(pc)
			t.Logf("RESULT %-7s %-14s cv %v dev %s %.4f (raw %.4f, policy labels %.4f) [%s] %d feats, pruned %v, C %v %v, %.1f s CPU, %.1f s wall",
				s.name, idea, r.File.Training["cv_"+m], m, pick(r.DevDataLabels), pick(r.DevRaw), pick(r.Dev), strings.Join(pc, ", "), r.NumFeatures,
				r.File.Training["pruned_per_label"], r.File.Training["c"], r.File.Training["class_weight"], cpuTime()-c0, time.Since(w0).Seconds())
		}
	}
}

// twoStage fits a 3-label set in two stages, each a Train with its own C, class weight
// and offsets (opts.OffsetFolds folds): first (ViHSD's clean, UIT-VSFC's neutral)
// against the rest on every post, then the other two labels on the posts labelled either.
// A post the first stage does not call first gets the second stage's label (ViHSD: with
// the authority policy). It returns the dev score (the set's metric) against the data
// set's labels, the out-of-fold score on the whole training split against the policy
// labels (as Train's cv), and the dev per-class F1.
func twoStage(t *testing.T, train, dev []Example, base classifier.Model, opts TrainOptions, first string) (float64, float64, string) {
	bin := func(ex []Example) []Example {
		out := slices.Clone(ex)
		for i := range out {
			if out[i].Label != first {
				out[i].Label = "not_" + first
			}
		}
		return out
	}
	notClean := func(ex []Example) []Example {
		var out []Example
		for _, e := range ex {
			if e.Label != first {
				out = append(out, e)
			}
		}
		return out
	}
	r1, err := Train(context.Background(), bin(train), bin(dev), base, opts)
	if err != nil {
		t.Fatal(err)
	}
	train2 := notClean(train)
	r2, err := Train(context.Background(), train2, notClean(dev), base, opts)
	if err != nil {
		t.Fatal(err)
	}
	m := r1.File.Training["metric"].(string)
	t.Logf("two-stage: stage 1 C %v %v offsets %v cv %v dev %v; stage 2 C %v %v offsets %v cv %v dev %v (%s)",
		r1.File.Training["c"], r1.File.Training["class_weight"], r1.File.Offset, r1.File.Training["cv_"+m], r1.File.Training["dev_"+m],
		r2.File.Training["c"], r2.File.Training["class_weight"], r2.File.Offset, r2.File.Training["cv_"+m], r2.File.Training["dev_"+m], m)
	m2, err := classifier.NewLearned(r2.File, base)
	if err != nil {
		t.Fatal(err)
	}
	label2 := func(text string) string {
		a := m2.Analyze(text)
		if opts.Task == "sentiment" {
			return a.Sentiment.Label
		}
		return a.Toxicity.Label
	}
	argmax := func(s, off []float64) int {
		best := 0
		for k := range s {
			if s[k]+off[k] > s[best]+off[best] {
				best = k
			}
		}
		return best
	}
	l1, l2 := r1.File.Labels, r2.File.Labels
	// Dev: the first stage's dev scores, then the second stage as the shipped scorer runs it.
	devGold, devPred := make([]string, len(dev)), make([]string, len(dev))
	for i, e := range dev {
		devGold[i] = e.Label
		devPred[i] = first
		if l1[argmax(r1.devScores[i], r1.File.Offset)] != first {
			devPred[i] = label2(e.Text)
		}
	}
	// Out of fold on the whole training split: stage 1's out-of-fold scores; stage 2's
	// out-of-fold scores for the posts it trained on, its full model for the clean posts
	// (which it never saw).
	fx, err := classifier.NewFeatureExtractor(opts.Features, base, classifier.WithNeutralTerms(mustNeutral(t)))
	if err != nil {
		t.Fatal(err)
	}
	gold := slices.Clone(train)
	pol := make([]bool, len(gold))
	if opts.Task == "toxicity" {
		pol, _ = relabelAuthorityHate(gold, fx, base)
	}
	cvGold, cvPred := make([]string, len(train)), make([]string, len(train))
	j := 0
	for i, e := range train {
		cvGold[i] = gold[i].Label
		cvPred[i] = first
		stage2 := e.Label != first
		if l1[argmax(r1.oofScores[i], r1.File.Offset)] != first {
			if stage2 {
				cvPred[i] = l2[argmax(r2.oofScores[j], r2.File.Offset)]
				if cvPred[i] == "hate" && pol[i] {
					cvPred[i] = "offensive"
				}
			} else {
				cvPred[i] = label2(e.Text)
			}
		}
		if stage2 {
			j++
		}
	}
	d := Score(devGold, devPred)
	var pc []string
	for l, c := range d.PerClass {
		pc = append(pc, fmt.Sprintf("%s %.3f", l, c.F1))
	}
	slices.Sort(pc)
	if opts.Task == "sentiment" {
		return d.WeightedF1, Score(cvGold, cvPred).WeightedF1, strings.Join(pc, ", ")
	}
	return d.MacroF1, Score(cvGold, cvPred).MacroF1, strings.Join(pc, ", ")
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func mustNeutral(t *testing.T) []classifier.NeutralTerm {
	n, err := classifier.DefaultNeutralTerms()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readShared(t *testing.T, p string) []Example {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamples(f, p)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func cpuTime() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6 + float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
}

var (
	emojiPos   = "😀😁😃😄😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩👍👏💪❤💕💖💗💓💞💯🎉🌹😇🥳👌🙏💋😻♥"
	emojiNeg   = "😒😞😔😟😕🙁☹😣😖😫😩😢😭😤😠😡🤬🤮🤢👎💩🖕😈👿😑😐🙄😬😱😨😰😥"
	emojiLaugh = "😂🤣😅😹"
)

// styleFeatures are counts the normalizer drops or that n-grams do not generalise:
// exclamation and question marks, capitals, elongated words, emoji classes, laughs,
// ellipses (log1p of the counts, halved).
func styleFeatures(text string) []float64 {
	var excl, quest, upper, letters, capsWords, elong, pos, neg, laugh, other, dots float64
	prev, run := rune(0), 0
	for _, w := range strings.Fields(text) {
		up, lo := 0, 0
		for _, r := range w {
			if unicode.IsUpper(r) {
				up++
			} else if unicode.IsLower(r) {
				lo++
			}
		}
		if up >= 2 && lo == 0 {
			capsWords++
		}
		if strings.Contains(w, ":))") || strings.Contains(w, "=))") || strings.Contains(strings.ToLower(w), "haha") || strings.Contains(strings.ToLower(w), "hihi") {
			laugh++
		}
	}
	elongWord := false
	for _, r := range text {
		switch {
		case r == '!':
			excl++
		case r == '?':
			quest++
		case strings.ContainsRune(emojiPos, r):
			pos++
		case strings.ContainsRune(emojiNeg, r):
			neg++
		case strings.ContainsRune(emojiLaugh, r):
			laugh++
		case r >= 0x1F300 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF:
			other++
		}
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
		if r == prev {
			run++
		} else {
			run = 1
		}
		if run == 3 {
			if unicode.IsLetter(r) && !elongWord {
				elong++
				elongWord = true
			}
			if r == '.' {
				dots++
			}
		}
		if unicode.IsSpace(r) {
			elongWord = false
		}
		prev = r
	}
	capsRatio := 0.0
	if letters >= 4 {
		capsRatio = upper / letters
	}
	l := func(x float64) float64 { return math.Log1p(x) / 2 }
	return []float64{l(excl), l(quest), capsRatio, l(capsWords), l(elong), l(pos), l(neg), l(laugh), l(other), l(dots)}
}

// wordVecs are word vectors from a truncated SVD of the PPMI co-occurrence matrix of
// unlabeled training text, with k-means clusters.
type wordVecs struct {
	vec     map[string][]float64
	cluster map[string]int
	k       int
}

func (e *wordVecs) postVec(fx *classifier.FeatureExtractor, text string, scale float64) []float64 {
	var sum []float64
	n := 0.0
	for _, f := range fx.Features(text) {
		v, ok := e.vec[strings.TrimPrefix(f.Key, "w:")]
		if !ok {
			continue
		}
		if sum == nil {
			sum = make([]float64, len(v))
		}
		for i := range v {
			sum[i] += f.Value * v[i]
		}
		n += f.Value
	}
	if sum == nil {
		return nil
	}
	var norm float64
	for _, x := range sum {
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range sum {
		sum[i] *= scale / norm
	}
	return sum
}

// postMean is the mean of the vectors of the text's syllables that have one (no
// normalisation: its weights fold into one weight per syllable).
func (e *wordVecs) postMean(fx *classifier.FeatureExtractor, text string, scale float64) []float64 {
	var sum []float64
	n := 0.0
	for _, f := range fx.Features(text) {
		v, ok := e.vec[strings.TrimPrefix(f.Key, "w:")]
		if !ok {
			continue
		}
		if sum == nil {
			sum = make([]float64, len(v))
		}
		axpy(f.Value, v, sum)
		n += f.Value
	}
	for i := range sum {
		sum[i] *= scale / n
	}
	return sum
}

func (e *wordVecs) postClusters(fx *classifier.FeatureExtractor, text string, scale float64) []float64 {
	out := make([]float64, e.k)
	var norm float64
	for _, f := range fx.Features(text) {
		if c, ok := e.cluster[strings.TrimPrefix(f.Key, "w:")]; ok {
			out[c]++
		}
	}
	for i, x := range out {
		if x > 0 {
			out[i] = 1 + math.Log(x)
			norm += out[i] * out[i]
		}
	}
	if norm > 0 {
		for i := range out {
			out[i] *= scale / math.Sqrt(norm)
		}
	}
	return out
}

// unlabeledTexts are the texts of the training splits (no dev text) and ViLexNorm's
// training originals. ViHOS is left out: its comments come from ViHSD, dev included.
func unlabeledTexts(t *testing.T, root, corpus string) []string {
	var out []string
	sets := []string{"vihsd", "victsd", "vsfc", "vsmec"}
	if corpus != "all" {
		sets = []string{corpus}
	}
	for _, s := range sets {
		for _, e := range readShared(t, filepath.Join(root, s, "train.jsonl")) {
			out = append(out, e.Text)
		}
	}
	if corpus != "all" {
		return out
	}
	f, err := os.Open(filepath.Join(root, "..", "fixtures", "corpus", "vilexnorm_train.csv"))
	if err == nil {
		defer f.Close()
		rows, _ := csv.NewReader(f).ReadAll()
		for _, r := range rows[1:] {
			out = append(out, r[0])
		}
	}
	return out
}

func trainWordVecs(t *testing.T, root, corpus string, d int) *wordVecs {
	texts := unlabeledTexts(t, root, corpus)
	var docs [][]string
	freq := map[string]int{}
	for _, s := range texts {
		var syl []string
		for _, tk := range vntext.Tokenize(s) {
			syl = append(syl, strings.Fields(tk.Norm)...)
		}
		for _, w := range syl {
			freq[w]++
		}
		docs = append(docs, syl)
	}
	var vocab []string
	for w, n := range freq {
		if n >= 3 {
			vocab = append(vocab, w)
		}
	}
	slicesSort(vocab)
	id := map[string]int{}
	for i, w := range vocab {
		id[w] = i
	}
	V := len(vocab)
	co := make([]map[int32]float64, V)
	for i := range co {
		co[i] = map[int32]float64{}
	}
	const win = 3
	for _, doc := range docs {
		for i, w := range doc {
			a, ok := id[w]
			if !ok {
				continue
			}
			for j := i + 1; j <= i+win && j < len(doc); j++ {
				b, ok := id[doc[j]]
				if !ok {
					continue
				}
				wt := 1 / float64(j-i)
				co[a][int32(b)] += wt
				co[b][int32(a)] += wt
			}
		}
	}
	// PPMI with context distribution smoothing (0.75).
	row := make([]float64, V)
	col := make([]float64, V)
	var total, ctot float64
	for a := range co {
		for b, x := range co[a] {
			row[a] += x
			col[b] += x
			total += x
		}
	}
	for b := range col {
		col[b] = math.Pow(col[b], 0.75)
		ctot += col[b]
	}
	type ent struct {
		j int32
		v float64
	}
	M := make([][]ent, V)
	for a := range co {
		for b, x := range co[a] {
			pmi := math.Log(x * ctot / (row[a] * col[b]))
			if pmi > 0 {
				M[a] = append(M[a], ent{b, pmi})
			}
		}
	}
	// Randomized SVD: Q spans M's top range (two power iterations), then the small
	// problem B Bᵀ with B = Qᵀ M.
	p := d + 10
	rng := rand.New(rand.NewPCG(1, 2))
	mul := func(Y [][]float64, transpose bool) [][]float64 { // M·Y or Mᵀ·Y, Y is V×p
		out := make([][]float64, V)
		for i := range out {
			out[i] = make([]float64, p)
		}
		for a := range M {
			for _, e := range M[a] {
				if transpose {
					axpy(e.v, Y[a], out[e.j])
				} else {
					axpy(e.v, Y[e.j], out[a])
				}
			}
		}
		return out
	}
	Y := make([][]float64, V)
	for i := range Y {
		Y[i] = make([]float64, p)
		for j := range Y[i] {
			Y[i][j] = rng.NormFloat64()
		}
	}
	Y = mul(Y, false)
	for range 2 {
		orth(Y, p)
		Y = mul(mul(Y, true), false)
	}
	orth(Y, p)
	// Bᵀ = Mᵀ Q (V×p); C = B Bᵀ = (MᵀQ)ᵀ(MᵀQ) (p×p).
	Bt := mul(Y, true)
	C := make([][]float64, p)
	for i := range C {
		C[i] = make([]float64, p)
	}
	for _, r := range Bt {
		for i := range p {
			for j := range p {
				C[i][j] += r[i] * r[j]
			}
		}
	}
	eval, evec := jacobiEigen(C)
	// U = Q · evec; word vector = U_k * sqrt(sigma_k), sigma = sqrt(eval).
	order := make([]int, p)
	for i := range order {
		order[i] = i
	}
	slicesSortFunc(order, func(a, b int) int {
		switch {
		case eval[a] > eval[b]:
			return -1
		case eval[a] < eval[b]:
			return 1
		}
		return 0
	})
	e := &wordVecs{vec: map[string][]float64{}}
	for w, i := range id {
		v := make([]float64, d)
		for k := range d {
			c := order[k]
			var u float64
			for j := range p {
				u += Y[i][j] * evec[j][c]
			}
			v[k] = u * math.Pow(math.Max(eval[c], 0), 0.25)
		}
		var n float64
		for _, x := range v {
			n += x * x
		}
		if n = math.Sqrt(n); n > 0 {
			for k := range v {
				v[k] /= n
			}
			e.vec[w] = v
		}
	}
	e.k = 256
	e.cluster = kmeans(e.vec, vocab, e.k, rng)
	return e
}

// orth orthonormalises the p columns of Y (modified Gram-Schmidt).
func orth(Y [][]float64, p int) {
	for c := range p {
		for c2 := range c {
			var d float64
			for i := range Y {
				d += Y[i][c] * Y[i][c2]
			}
			for i := range Y {
				Y[i][c] -= d * Y[i][c2]
			}
		}
		var n float64
		for i := range Y {
			n += Y[i][c] * Y[i][c]
		}
		n = math.Sqrt(n)
		for i := range Y {
			Y[i][c] /= n
		}
	}
}

// jacobiEigen returns the eigenvalues and eigenvectors (columns) of symmetric A.
func jacobiEigen(A [][]float64) ([]float64, [][]float64) {
	n := len(A)
	a := make([][]float64, n)
	v := make([][]float64, n)
	for i := range a {
		a[i] = append([]float64(nil), A[i]...)
		v[i] = make([]float64, n)
		v[i][i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off float64
		for i := range n {
			for j := i + 1; j < n; j++ {
				off += a[i][j] * a[i][j]
			}
		}
		if off < 1e-18 {
			break
		}
		for p := range n {
			for q := p + 1; q < n; q++ {
				if math.Abs(a[p][q]) < 1e-300 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
				tt := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(tt*tt+1)
				s := tt * c
				for k := range n {
					akp, akq := a[k][p], a[k][q]
					a[k][p], a[k][q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range n {
					apk, aqk := a[p][k], a[q][k]
					a[p][k], a[q][k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := range n {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	ev := make([]float64, n)
	for i := range n {
		ev[i] = a[i][i]
	}
	return ev, v
}

// kmeans clusters the unit vectors (cosine k-means, 10 rounds) in vocab order.
func kmeans(vec map[string][]float64, vocab []string, k int, rng *rand.Rand) map[string]int {
	var words []string
	for _, w := range vocab {
		if _, ok := vec[w]; ok {
			words = append(words, w)
		}
	}
	d := len(vec[words[0]])
	cent := make([][]float64, k)
	for i := range cent {
		cent[i] = append([]float64(nil), vec[words[rng.IntN(len(words))]]...)
	}
	assign := make(map[string]int, len(words))
	for range 10 {
		sums := make([][]float64, k)
		for i := range sums {
			sums[i] = make([]float64, d)
		}
		for _, w := range words {
			best, bv := 0, math.Inf(-1)
			for c := range cent {
				if s := dot(vec[w], cent[c]); s > bv {
					best, bv = c, s
				}
			}
			assign[w] = best
			axpy(1, vec[w], sums[best])
		}
		for c := range cent {
			var n float64
			for _, x := range sums[c] {
				n += x * x
			}
			if n = math.Sqrt(n); n > 0 {
				for j := range sums[c] {
					sums[c][j] /= n
				}
				cent[c] = sums[c]
			}
		}
	}
	return assign
}

func slicesSort(s []string) { slices.Sort(s) }

func slicesSortFunc(s []int, f func(a, b int) int) { slices.SortFunc(s, f) }

// ftOptions configure sgdFactor.
type ftOptions struct {
	Dim, Epochs int
	LR          float64
}

// sgdFactor fits W (F rows of K weights, then K biases) as fastText does: every feature f
// has an embedding E_f of o.Dim numbers, a text is the sum of its features' values times
// their embeddings, its logits B·h + b; plain SGD on the class-weighted cross-entropy with a
// learning rate falling linearly to 0, no penalty. The result is again linear:
// W_f = B·E_f. For measuring only.
func sgdFactor(W []float64, X []sparse, F, K int, cw []float64, o ftOptions) {
	d := o.Dim
	rng := rand.New(rand.NewPCG(7, 11))
	E := make([]float64, F*d)
	for i := range E {
		E[i] = (rng.Float64()*2 - 1) / float64(d)
	}
	B := make([]float64, K*d)
	b := make([]float64, K)
	h, z, gh := make([]float64, d), make([]float64, K), make([]float64, d)
	order := make([]int, len(X))
	for i := range order {
		order[i] = i
	}
	steps, total := 0, o.Epochs*len(X)
	for range o.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			x := X[i]
			lr := o.LR * (1 - float64(steps)/float64(total))
			steps++
			clear(h)
			for j, f := range x.idx {
				axpy(float64(x.val[j]), E[int(f)*d:int(f)*d+d], h)
			}
			mx := math.Inf(-1)
			for k := range K {
				z[k] = b[k] + dot(B[k*d:k*d+d], h)
				mx = math.Max(mx, z[k])
			}
			var sum float64
			for k := range K {
				z[k] = math.Exp(z[k] - mx)
				sum += z[k]
			}
			clear(gh)
			for k := range K {
				g := z[k] / sum
				if k == x.y {
					g--
				}
				g *= cw[x.y]
				axpy(g, B[k*d:k*d+d], gh)
				axpy(-lr*g, h, B[k*d:k*d+d])
				b[k] -= lr * g
			}
			for j, f := range x.idx {
				axpy(-lr*float64(x.val[j]), gh, E[int(f)*d:int(f)*d+d])
			}
		}
	}
	for f := range F {
		for k := range K {
			W[f*K+k] = dot(B[k*d:k*d+d], E[f*d:f*d+d])
		}
	}
	copy(W[F*K:], b)
}
