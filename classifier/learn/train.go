package learn

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/langnghe/langnghe/classifier"
)

// TrainOptions configure Train. Zero values take the defaults noted per field.
type TrainOptions struct {
	Task         string                   // sentiment or toxicity (required)
	Name         string                   // model name; default "learned-" + Task
	Version      string                   // default: today's date, "2006.01.02"
	Features     classifier.FeatureConfig // default classifier.DefaultFeatures
	MinDF        int                      // features seen in fewer training texts are dropped; default 2
	Cs           []float64                // inverse regularisation strengths tried; default 0.5..32
	ClassWeights []string                 // "none" and/or "balanced"; default both
	Metric       string                   // macro_f1 or weighted_f1, tuned on dev; default macro_f1 for toxicity, weighted_f1 for sentiment
	TuneOffsets  bool                     // also tune per-label decision offsets on dev
	MaxIter      int                      // L-BFGS iterations per fit; default 150
	// NB scales each weight's L2 penalty by the feature's naive-Bayes log-count ratio for
	// the label (NB-SVM, Wang and Manning 2012): a weight's prior scale is (1-NB) +
	// NB*|r|, so n-grams that tell a label apart are penalised less. 0 is plain L2. It
	// changes training only: the model file and scoring are the same.
	NB float64
	// Neutral are the authority and political terms whose occurrences no feature may
	// touch; nil means the shipped list (classifier.DefaultNeutralTerms). There is no way
	// to train without a list: criticism of authorities must not be learned as toxic.
	Neutral []classifier.NeutralTerm
	// KeepAuthorityHate keeps the data set's "hate" label on posts about authorities that
	// attack no protected group (see relabelAuthorityHate); for measuring only.
	KeepAuthorityHate bool
	// Ensemble fits a word model (word and folded n-grams, lexicon features) and a
	// character model (character n-grams, lexicon features) apart, each with its own C and
	// class weight chosen on dev, and mixes their logits with the weight chosen on dev
	// (0, 0.1, ..., 1). The mix is again one linear model: same file, same scoring.
	Ensemble bool
	// OffsetFolds, if 2 or more, tunes the decision offsets (TuneOffsets) on the
	// out-of-fold scores of that many folds of the training split (example i in fold
	// i mod OffsetFolds, each fold scored by a model fitted on the others with the chosen C
	// and class weight) instead of on dev, so dev stays unused by them. It costs
	// OffsetFolds more fits. Not with Ensemble.
	OffsetFolds int
	// Progress, if set, is called as work advances: stage is "features", "fit", "folds"
	// (OffsetFolds) or "offsets".
	Progress func(stage string, done, total int)

	// dense, if set, gives extra dense features per text, appended unnormalised as
	// columns "e:0", "e:1", ...; for measuring ideas in tests only (no scorer reads them).
	dense func(text string) []float64
	// fitter, if set, replaces each L-BFGS fit (tests measure other optimisers with it):
	// it fits W (F rows of K weights, then K biases) to X.
	fitter func(W []float64, X []sparse, F, K int, cw []float64)
	// bagFolds keeps the mean of the OffsetFolds fold models instead of the full fit
	// (measuring only).
	bagFolds bool
	// prune, if set, is confident learning (measuring only): the training examples whose
	// label looks wrong by 5-fold out-of-fold probabilities (noisyLabels, rule pruneRule)
	// are dropped (pruneWeight 0) or weighted by pruneWeight, and the model refitted; with
	// OffsetFolds each fold's training part is pruned by its own inner out-of-fold
	// probabilities, and every example is still scored with its given label.
	prune       bool
	pruneRule   string // "cl": the confident joint's off-diagonal; "mean": below its label's mean self-confidence
	pruneWeight float64
	// gap adds gapped syllable pairs (classifier.WithGappedPairs) with up to gap syllables
	// between; gapFolded their folded form too (measuring only).
	gap       int
	gapFolded bool
	gapBlock  bool // in a block of their own
}

// GridPoint is the dev score of one (C, class weight) setting.
type GridPoint struct {
	Part        string  `json:"part,omitempty"` // "word" or "char" in an ensemble
	C           float64 `json:"c"`
	ClassWeight string  `json:"class_weight"`
	Dev         float64 `json:"dev"`
}

// TrainResult is a trained model and how it was chosen.
type TrainResult struct {
	File   *classifier.LearnedFile
	Grid   []GridPoint
	DevRaw Report // best setting, offsets at 0
	Dev    Report // best setting with the tuned offsets (equal to DevRaw without TuneOffsets)
	// DevDataLabels is Dev against the dev set's own labels, as `eval` scores it; Dev is
	// against the labels after the authority policy (they differ only where it relabelled).
	DevDataLabels Report
	TrainTime     time.Duration
	NumFeatures   int

	// For composing models in experiments: the dev scores of the chosen weights, the
	// out-of-fold scores of the training split (OffsetFolds), both without offsets.
	devScores, oofScores [][]float64
}

// ErrNoDev means Train was asked to tune without a dev set.
var ErrNoDev = errors.New("a dev set is required to tune C and class weights")

// sparse is one vectorized text.
type sparse struct {
	idx []int32
	val []float32
	y   int
	wt  float32 // the example's weight in the loss; 0 means 1
}

// Train fits a regularised multinomial logistic regression over the features of opts on
// train, picks C and class weights by opts.Metric on dev, and returns an interpretable
// keyword model. base is the lexicon model used for lexicon features (LoadDefault()).
// It honours ctx between fits and feature passes.
func Train(ctx context.Context, train, dev []Example, base classifier.Model, opts TrainOptions) (*TrainResult, error) {
	t0 := time.Now()
	if opts.Task != "sentiment" && opts.Task != "toxicity" {
		return nil, fmt.Errorf("task %q must be sentiment or toxicity", opts.Task)
	}
	if len(dev) == 0 {
		return nil, ErrNoDev
	}
	if opts.Name == "" {
		opts.Name = "learned-" + opts.Task
	}
	if opts.Version == "" {
		opts.Version = time.Now().UTC().Format("2006.01.02")
	}
	if opts.Features == (classifier.FeatureConfig{}) {
		opts.Features = classifier.DefaultFeatures
	}
	if opts.MinDF == 0 {
		opts.MinDF = 2
	}
	if len(opts.Cs) == 0 {
		opts.Cs = []float64{0.5, 1, 2, 4, 8, 16, 32}
	}
	if len(opts.ClassWeights) == 0 {
		opts.ClassWeights = []string{"none", "balanced"}
	}
	if opts.Metric == "" {
		opts.Metric = "macro_f1"
		if opts.Task == "sentiment" {
			opts.Metric = "weighted_f1"
		}
	}
	if opts.Metric != "macro_f1" && opts.Metric != "weighted_f1" {
		return nil, fmt.Errorf("metric %q must be macro_f1 or weighted_f1", opts.Metric)
	}
	if opts.MaxIter == 0 {
		opts.MaxIter = 150
	}
	if opts.Features.CharMin == 0 {
		opts.Ensemble = false // no character model to mix in
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	if len(opts.Neutral) == 0 {
		var err error
		if opts.Neutral, err = classifier.DefaultNeutralTerms(); err != nil {
			return nil, err
		}
	}
	xopts := []classifier.ExtractorOption{classifier.WithNeutralTerms(opts.Neutral)}
	if opts.gap > 0 {
		xopts = append(xopts, classifier.WithGappedPairs(opts.gap, opts.gapFolded, opts.gapBlock))
	}
	ex, err := classifier.NewFeatureExtractor(opts.Features, base, xopts...)
	if err != nil {
		return nil, err
	}

	train, dev = slices.Clone(train), slices.Clone(dev)
	devDataGold := make([]string, len(dev))
	for i, e := range dev {
		devDataGold[i] = e.Label
	}
	relabelled := [2]int{}
	// devPolicy[i]: the label policy for posts about authorities applies to dev example i,
	// so a hate prediction there counts as offensive, as the model will score it.
	var devPolicy, trainPolicy []bool
	policy := opts.Task == "toxicity" && !opts.KeepAuthorityHate && hasLabels(train, "hate", "offensive")
	if policy {
		trainPolicy, relabelled[0] = relabelAuthorityHate(train, ex, base)
		devPolicy, relabelled[1] = relabelAuthorityHate(dev, ex, base)
	}

	// Labels, in sorted order.
	var labels []string
	for _, e := range train {
		if !slices.Contains(labels, e.Label) {
			labels = append(labels, e.Label)
		}
	}
	slices.Sort(labels)
	if len(labels) < 2 {
		return nil, fmt.Errorf("training data has %d distinct labels; need at least 2", len(labels))
	}
	K := len(labels)

	// Features (on every processor) and document frequencies.
	total := len(train) + len(dev)
	texts := make([]string, 0, total)
	for _, e := range train {
		texts = append(texts, e.Text)
	}
	for _, e := range dev {
		texts = append(texts, e.Text)
	}
	allFeats, err := extractAll(ctx, ex, texts, func(done int) { progress("features", done, total) })
	if err != nil {
		return nil, err
	}
	trainFeats, devFeats := allFeats[:len(train)], allFeats[len(train):]
	df := map[string]int{}
	for _, fs := range trainFeats {
		for _, f := range fs {
			df[f.Key]++
		}
	}
	vocab := map[string]int32{}
	var keys []string
	for k, n := range df {
		if n >= opts.MinDF || k[0] == 'x' {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // a fixed feature order makes training reproducible bit for bit
	for i, k := range keys {
		vocab[k] = int32(i)
	}
	idf := make([]float64, len(keys))
	N := float64(len(train))
	for i, k := range keys {
		if k[0] == 'x' {
			idf[i] = 1
		} else {
			idf[i] = math.Log((1+N)/(1+float64(df[k]))) + 1
		}
	}
	lookup := func(k string) (float64, bool) {
		i, ok := vocab[k]
		if !ok {
			return 0, false
		}
		return idf[i], true
	}
	toSparse := func(feats []classifier.Feature, label string) sparse {
		vals := classifier.Vectorize(feats, lookup)
		s := sparse{y: slices.Index(labels, label)}
		for i, f := range feats {
			if vals[i] != 0 {
				s.idx = append(s.idx, vocab[f.Key])
				s.val = append(s.val, float32(vals[i]))
			}
		}
		return s
	}
	X := make([]sparse, len(train))
	for i := range train {
		X[i] = toSparse(trainFeats[i], train[i].Label)
		trainFeats[i] = nil
	}
	D := make([]sparse, len(dev))
	devGold := make([]string, len(dev))
	for i, e := range dev {
		D[i] = toSparse(devFeats[i], e.Label) // y is -1 for a label unseen in train
		devFeats[i] = nil
		devGold[i] = e.Label
	}
	progress("features", total, total)
	if opts.dense != nil {
		keys, idf = appendDense(X, D, train, dev, keys, idf, opts.dense)
	}

	F := len(keys)
	counts := make([]float64, K)
	for _, x := range X {
		counts[x.y]++
	}
	var predictWith func(scores [][]float64, off []float64, policy []bool) []string
	metric := func(r Report) float64 {
		if opts.Metric == "weighted_f1" {
			return r.WeightedF1
		}
		return r.MacroF1
	}
	scoreAll := func(D []sparse, W []float64) [][]float64 {
		out := make([][]float64, len(D))
		for i, d := range D {
			s := make([]float64, K)
			copy(s, W[F*K:])
			for j, f := range d.idx {
				v := float64(d.val[j])
				row := W[int(f)*K : int(f)*K+K]
				for k := range s {
					s[k] += v * row[k]
				}
			}
			out[i] = s
		}
		return out
	}
	devScores := func(W []float64) [][]float64 { return scoreAll(D, W) }
	predict := func(scores [][]float64, off []float64) []string { return predictWith(scores, off, devPolicy) }
	predictWith = func(scores [][]float64, off []float64, pol []bool) []string {
		p := make([]string, len(scores))
		for i, s := range scores {
			best, bv := 0, math.Inf(-1)
			for k := range s {
				if v := s[k] + off[k]; v > bv {
					best, bv = k, v
				}
			}
			p[i] = labels[best]
			if p[i] == "hate" && pol != nil && pol[i] {
				p[i] = "offensive"
			}
		}
		return p
	}

	var pen []float64
	if opts.NB > 0 {
		pen = nbPenalty(X, F, K, opts.NB)
	}
	res := &TrainResult{NumFeatures: F}
	fitW := func(W []float64, X []sparse, C float64, cw, pen []float64) {
		if opts.fitter != nil {
			opts.fitter(W, X, F, K, cw)
			return
		}
		lbfgs(W, lrObjective(X, F, K, C, cw, pen), opts.MaxIter)
	}
	fits, nfits := 0, len(opts.Cs)*len(opts.ClassWeights)
	if opts.Ensemble {
		nfits *= 2
	}
	// fitGrid fits X over every class weight and C (warm-started across increasing C) and
	// returns the weights with the best dev score before offsets.
	fitGrid := func(X []sparse, part string) (best gridFit, err error) {
		best.score = math.Inf(-1)
		zero := make([]float64, K)
		for _, cwName := range opts.ClassWeights {
			cw := make([]float64, K)
			for k := range cw {
				switch cwName {
				case "none":
					cw[k] = 1
				case "balanced":
					cw[k] = N / (float64(K) * counts[k])
				default:
					return best, fmt.Errorf("class weight %q must be none or balanced", cwName)
				}
			}
			W := make([]float64, F*K+K)
			Cs := slices.Clone(opts.Cs)
			slices.Sort(Cs)
			for _, C := range Cs {
				if err := ctx.Err(); err != nil {
					return best, err
				}
				fitW(W, X, C, cw, pen)
				fits++
				progress("fit", fits, nfits)
				sc := metric(Score(devGold, predict(devScores(W), zero)))
				res.Grid = append(res.Grid, GridPoint{Part: part, C: C, ClassWeight: cwName, Dev: round4(sc)})
				if sc > best.score {
					best = gridFit{W: slices.Clone(W), score: sc, C: C, cw: cwName, cwv: cw}
				}
			}
		}
		return best, nil
	}
	var bestW []float64
	var chosen map[string]any
	var chosenFit gridFit // the chosen C and class weight (not with Ensemble)
	if !opts.Ensemble {
		g, err := fitGrid(X, "")
		if err != nil {
			return nil, err
		}
		bestW, chosen = g.W, map[string]any{"c": g.C, "class_weight": g.cw}
		chosenFit = g
		if opts.prune {
			// Confident learning: flag by out-of-fold probabilities, refit on the rest.
			oof, _, err := outOfFold(ctx, X, F, K, 5, fitW, g, opts.NB, scoreAll, nil, progress)
			if err != nil {
				return nil, err
			}
			flag := noisyLabels(X, oof, K, opts.pruneRule)
			kept := pruned(X, flag, opts.pruneWeight)
			var p []float64
			if opts.NB > 0 {
				p = nbPenalty(kept, F, K, opts.NB)
			}
			W := make([]float64, F*K+K)
			fitW(W, kept, g.C, g.cwv, p)
			bestW = W
			perClass := make([]int, K)
			for i, f := range flag {
				if f {
					perClass[X[i].y]++
				}
			}
			chosen["pruned_per_label"] = perClass
		}
	} else {
		// A word model and a character model fitted apart (each with its own C and class
		// weight), their logits mixed: one linear model again, so the file and scoring
		// are unchanged.
		isWord := func(f int32) bool { return keys[f][0] != 'c' }
		isChar := func(f int32) bool { return keys[f][0] == 'c' || keys[f][0] == 'x' }
		wg, err := fitGrid(restrict(X, isWord), "word")
		if err != nil {
			return nil, err
		}
		cg, err := fitGrid(restrict(X, isChar), "char")
		if err != nil {
			return nil, err
		}
		bestScore, bestA := math.Inf(-1), 0.0
		zero := make([]float64, K)
		for i := 0; i <= 10; i++ {
			a := float64(i) / 10
			if sc := metric(Score(devGold, predict(devScores(mix(wg.W, cg.W, a)), zero))); sc > bestScore {
				bestScore, bestA = sc, a
			}
		}
		bestW = mix(wg.W, cg.W, bestA)
		chosen = map[string]any{"c": wg.C, "class_weight": wg.cw, "ensemble": true, "word_weight": bestA,
			"word_c": wg.C, "word_class_weight": wg.cw, "char_c": cg.C, "char_class_weight": cg.cw,
			"dev_word_" + opts.Metric: round4(wg.score), "dev_char_" + opts.Metric: round4(cg.score)}
	}
	scores := devScores(bestW)
	off := make([]float64, K)
	res.DevRaw = Score(devGold, predict(scores, off))
	if opts.TuneOffsets {
		tuneScores, tuneGold, tunePolicy := scores, devGold, devPolicy
		if opts.OffsetFolds >= 2 && !opts.Ensemble {
			var err error
			var avg []float64
			var pr *pruneOpts
			if opts.prune {
				pr = &pruneOpts{rule: opts.pruneRule, weight: opts.pruneWeight}
			}
			if tuneScores, avg, err = outOfFold(ctx, X, F, K, opts.OffsetFolds, fitW, chosenFit, opts.NB, scoreAll, pr, progress); err != nil {
				return nil, err
			}
			if opts.bagFolds {
				bestW, scores = avg, devScores(avg)
				res.DevRaw = Score(devGold, predict(scores, off))
			}
			tuneGold = make([]string, len(train))
			for i, e := range train {
				tuneGold[i] = e.Label
			}
			tunePolicy = trainPolicy
			res.oofScores = tuneScores
			chosen["offset_folds"] = opts.OffsetFolds
		}
		score := func(off []float64) float64 { return metric(Score(tuneGold, predictWith(tuneScores, off, tunePolicy))) }
		cur := score(off)
		for round := 0; round < 3; round++ {
			for k := 1; k < K; k++ {
				bestV := off[k]
				for v := -3.0; v <= 3.0+1e-9; v += 0.05 {
					off[k] = v
					if s := score(off); s > cur+1e-9 || (s >= cur-1e-9 && math.Abs(v) < math.Abs(bestV)) {
						cur, bestV = s, v
					}
				}
				off[k] = round3(bestV)
			}
			progress("offsets", round+1, 3)
		}
		if opts.OffsetFolds >= 2 && !opts.Ensemble {
			// The training split's out-of-fold score with these offsets: an estimate on
			// many more examples than dev (slightly optimistic, the offsets being tuned on it).
			chosen["cv_"+opts.Metric] = round4(cur)
		}
	}
	res.devScores = scores
	res.Dev = Score(devGold, predict(scores, off))
	res.DevDataLabels = Score(devDataGold, predict(scores, off))

	lf := &classifier.LearnedFile{
		Format: classifier.LearnedFormat, Name: opts.Name, Version: opts.Version, Task: opts.Task,
		Labels: labels, Features: opts.Features, Bias: roundAll(bestW[F*K:]), Offset: off,
		Terms: make(map[string]classifier.LearnedTerm, F), Neutral: opts.Neutral, AuthorityPolicy: policy,
		Training: map[string]any{
			"train_examples": len(train), "dev_examples": len(dev),
			"metric": opts.Metric, "dev_" + opts.Metric: round4(metric(res.Dev)),
			"dev_" + opts.Metric + "_without_offsets": round4(metric(res.DevRaw)), "min_df": opts.MinDF,
			"dev_" + opts.Metric + "_data_labels": round4(metric(res.DevDataLabels)),
			"authority_hate_relabelled_train":     relabelled[0], "authority_hate_relabelled_dev": relabelled[1],
			"nb": opts.NB, "max_iter": opts.MaxIter,
		},
	}
	for i, k := range keys {
		w := bestW[i*K : i*K+K]
		keep := false
		for _, x := range w {
			if math.Abs(x) >= 1e-4 {
				keep = true
			}
		}
		if keep {
			lf.Terms[k] = classifier.LearnedTerm{IDF: round5(idf[i]), W: roundAll(w)}
		}
	}
	maps.Copy(lf.Training, chosen)
	if opts.Features.Lexicon {
		lf.LexiconFingerprint = classifier.LexiconFingerprint(base)
	}
	res.File = lf
	res.TrainTime = time.Since(t0)
	return res, nil
}

// gridFit is the best fit of one grid: its weights, dev score, C and class weight.
type gridFit struct {
	W     []float64
	score float64
	C     float64
	cw    string
	cwv   []float64 // the class weights cw names, per label
}

// outOfFold returns the scores of every example of X by a model fitted, with fit's C and
// class weights, on the other folds (example i in fold i mod folds), each fitted from zero
// as the full model was (warm-started over increasing C in the grid; for a single C the
// same), with NB penalties (nb > 0) counted on its own folds.
func outOfFold(ctx context.Context, X []sparse, F, K, folds int, fitW func(W []float64, X []sparse, C float64, cw, pen []float64), fit gridFit, nb float64, scoreAll func([]sparse, []float64) [][]float64, pr *pruneOpts, progress func(stage string, done, total int)) ([][]float64, []float64, error) {
	out := make([][]float64, len(X))
	avg := make([]float64, F*K+K) // the mean of the fold models' weights
	for f := range folds {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var in, held []sparse
		var heldIdx []int
		for i, x := range X {
			if i%folds == f {
				held, heldIdx = append(held, x), append(heldIdx, i)
			} else {
				in = append(in, x)
			}
		}
		if pr != nil {
			// Prune the training part by its own out-of-fold probabilities (inner folds:
			// the other outer folds), so no held-out label takes part.
			inner, _, err := outOfFold(ctx, in, F, K, folds-1, fitW, fit, nb, scoreAll, nil, nil)
			if err != nil {
				return nil, nil, err
			}
			in = pruned(in, noisyLabels(in, inner, K, pr.rule), pr.weight)
		}
		var pen []float64
		if nb > 0 {
			pen = nbPenalty(in, F, K, nb)
		}
		W := make([]float64, F*K+K)
		fitW(W, in, fit.C, fit.cwv, pen)
		for j, s := range scoreAll(held, W) {
			out[heldIdx[j]] = s
		}
		axpy(1/float64(folds), W, avg)
		if progress != nil {
			progress("folds", f+1, folds)
		}
	}
	return out, avg, nil
}

// pruneOpts are TrainOptions.prune's rule and weight for outOfFold.
type pruneOpts struct {
	rule   string
	weight float64
}

// noisyLabels flags the examples of X whose given label looks wrong by their out-of-fold
// scores (confident learning, Northcutt et al. 2021): with p the softmax of the scores and
// t_k the mean p_k over the examples labelled k (the label's self-confidence), rule "cl"
// flags an example labelled y when, among the labels k with p_k >= t_k, the likeliest is
// not y (the off-diagonal of the confident joint); rule "mean" flags it when p_y < t_y.
func noisyLabels(X []sparse, scores [][]float64, K int, rule string) []bool {
	probs := make([][]float64, len(X))
	t, n := make([]float64, K), make([]float64, K)
	for i, s := range scores {
		p := make([]float64, K)
		mx := slices.Max(s)
		var sum float64
		for k := range s {
			p[k] = math.Exp(s[k] - mx)
			sum += p[k]
		}
		for k := range p {
			p[k] /= sum
		}
		probs[i] = p
		t[X[i].y] += p[X[i].y]
		n[X[i].y]++
	}
	for k := range t {
		t[k] /= max(n[k], 1)
	}
	flag := make([]bool, len(X))
	for i, p := range probs {
		y := X[i].y
		if rule == "mean" {
			flag[i] = p[y] < t[y]
			continue
		}
		best := -1
		for k := range p {
			if p[k] >= t[k] && (best < 0 || p[k] > p[best]) {
				best = k
			}
		}
		flag[i] = best >= 0 && best != y
	}
	return flag
}

// pruned returns X without the flagged examples (weight 0) or with them weighted.
func pruned(X []sparse, flag []bool, weight float64) []sparse {
	out := make([]sparse, 0, len(X))
	for i, x := range X {
		if flag[i] {
			if weight == 0 {
				continue
			}
			x.wt = float32(weight)
		}
		out = append(out, x)
	}
	return out
}

// appendDense appends the dense features of every text as columns "e:j" (idf 1) after
// the existing ones; for experiments (TrainOptions.dense).
func appendDense(X, D []sparse, train, dev []Example, keys []string, idf []float64, dense func(string) []float64) ([]string, []float64) {
	F0 := int32(len(keys))
	n := 0
	add := func(s *sparse, text string) {
		v := dense(text)
		n = max(n, len(v))
		for j, x := range v {
			if x != 0 {
				s.idx = append(s.idx, F0+int32(j))
				s.val = append(s.val, float32(x))
			}
		}
	}
	for i := range X {
		add(&X[i], train[i].Text)
	}
	for i := range D {
		add(&D[i], dev[i].Text)
	}
	for j := range n {
		keys = append(keys, fmt.Sprintf("e:%d", j))
		idf = append(idf, 1)
	}
	return keys, idf
}

// restrict returns X with only the features keep accepts.
func restrict(X []sparse, keep func(f int32) bool) []sparse {
	out := make([]sparse, len(X))
	for i, x := range X {
		out[i].y = x.y
		for j, f := range x.idx {
			if keep(f) {
				out[i].idx = append(out[i].idx, f)
				out[i].val = append(out[i].val, x.val[j])
			}
		}
	}
	return out
}

// mix returns a*u + (1-a)*v: the logits of two linear models mixed.
func mix(u, v []float64, a float64) []float64 {
	out := make([]float64, len(u))
	for i := range u {
		out[i] = a*u[i] + (1-a)*v[i]
	}
	return out
}

func round5(x float64) float64 { return math.Round(x*1e5) / 1e5 }

func roundAll(w []float64) []float64 {
	out := make([]float64, len(w))
	for i, x := range w {
		out[i] = round5(x)
	}
	return out
}

// extractAll returns the features of every text, computed on up to GOMAXPROCS goroutines
// (the extractor is safe for concurrent use); progress is called with the number done.
// It honours ctx between texts.
func extractAll(ctx context.Context, ex *classifier.FeatureExtractor, texts []string, progress func(done int)) ([][]classifier.Feature, error) {
	out := make([][]classifier.Feature, len(texts))
	var next, done atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(texts) {
					return
				}
				out[i] = ex.Features(texts[i])
				if d := done.Add(1); d%500 == 0 {
					mu.Lock()
					progress(int(d))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// objChunks is how many parts lrObjective splits the examples into, whatever the
// number of processors, so a model trains to the same bits on every machine.
const objChunks = 4

// lrObjective returns the objective C * sum_i cw[y_i] * cross-entropy_i + sum W²/(2 pen)
// (bias not penalised; pen nil means 1), which writes its gradient into g. W holds F rows
// of K weights, then K biases. The examples are split into objChunks parts summed on up
// to GOMAXPROCS goroutines, then added in order; the parts' gradient buffers are reused
// across calls.
func lrObjective(X []sparse, F, K int, C float64, cw, pen []float64) func(W, g []float64) float64 {
	bufs := make([][]float64, objChunks)
	for c := 1; c < objChunks; c++ {
		bufs[c] = make([]float64, F*K+K)
	}
	procs := max(1, runtime.GOMAXPROCS(0))
	return func(W, g []float64) float64 {
		bufs[0] = g
		var loss [objChunks]float64
		var wg sync.WaitGroup
		sem := make(chan struct{}, procs)
		for c := range objChunks {
			lo, hi := c*len(X)/objChunks, (c+1)*len(X)/objChunks
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				loss[c] = lrLoss(X[lo:hi], W, bufs[c], F, K, C, cw)
			}()
		}
		wg.Wait()
		total := loss[0]
		for c := 1; c < objChunks; c++ {
			total += loss[c]
			for i, x := range bufs[c] {
				g[i] += x
			}
		}
		for i := 0; i < F*K; i++ {
			if pen != nil {
				total += 0.5 * W[i] * W[i] * pen[i]
				g[i] += W[i] * pen[i]
				continue
			}
			total += 0.5 * W[i] * W[i]
			g[i] += W[i]
		}
		return total
	}
}

// lrLoss writes into g (cleared first) the gradient of the weighted cross-entropy of X
// and returns it.
func lrLoss(X []sparse, W, g []float64, F, K int, C float64, cw []float64) float64 {
	clear(g)
	var loss float64
	z := make([]float64, K)
	for _, x := range X {
		copy(z, W[F*K:])
		for j, f := range x.idx {
			v := float64(x.val[j])
			row := W[int(f)*K : int(f)*K+K]
			for k := range z {
				z[k] += v * row[k]
			}
		}
		mx := z[0]
		for _, v := range z[1:] {
			mx = math.Max(mx, v)
		}
		var sum float64
		for k := range z {
			z[k] = math.Exp(z[k] - mx)
			sum += z[k]
		}
		w := C * cw[x.y]
		if x.wt != 0 {
			w *= float64(x.wt)
		}
		loss += w * (math.Log(sum) - math.Log(z[x.y]))
		for k := range z {
			z[k] = w * z[k] / sum // gradient of the loss for logit k
		}
		z[x.y] -= w
		for j, f := range x.idx {
			v := float64(x.val[j])
			row := g[int(f)*K : int(f)*K+K]
			for k := range z {
				row[k] += v * z[k]
			}
		}
		for k := range z {
			g[F*K+k] += z[k]
		}
	}
	return loss
}

// nbPenalty returns, per feature and label, the penalty factor 1/s² of NB-scaled L2:
// s = (1-beta) + beta*|r|, r the log-count ratio of the feature's summed values in the
// label's examples against the others' (add-one smoothed, each side L1-normalised),
// floored at 0.05 so no weight is pinned to zero.
func nbPenalty(X []sparse, F, K int, beta float64) []float64 {
	const alpha = 1
	p := make([]float64, F*K) // summed values per feature and label
	for _, x := range X {
		for j, f := range x.idx {
			p[int(f)*K+x.y] += math.Abs(float64(x.val[j])) // lexicon values may be negative
		}
	}
	tot := make([]float64, F)
	for f := range F {
		for k := range K {
			tot[f] += p[f*K+k]
		}
	}
	in, out := make([]float64, K), make([]float64, K) // L1 norms of the smoothed counts
	for f := range F {
		for k := range K {
			in[k] += p[f*K+k] + alpha
			out[k] += tot[f] - p[f*K+k] + alpha
		}
	}
	pen := make([]float64, F*K)
	for f := range F {
		for k := range K {
			r := math.Log((p[f*K+k] + alpha) / in[k] / ((tot[f] - p[f*K+k] + alpha) / out[k]))
			s := max(0.05, (1-beta)+beta*math.Abs(r))
			pen[f*K+k] = 1 / (s * s)
		}
	}
	return pen
}

// lbfgs minimises f from x in place with limited-memory BFGS (10 pairs) and a
// backtracking Armijo line search.
func lbfgs(x []float64, f func(x, g []float64) float64, maxIter int) {
	const m = 10
	n := len(x)
	g := make([]float64, n)
	fx := f(x, g)
	var S, Y [][]float64
	var rho []float64
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	alpha := make([]float64, m)
	for it := 0; it < maxIter; it++ {
		// d = -H g (two-loop recursion)
		copy(d, g)
		for i := len(S) - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(S[i], d)
			axpy(-alpha[i], Y[i], d)
		}
		gamma := 1.0
		if len(S) > 0 {
			gamma = dot(S[len(S)-1], Y[len(S)-1]) / dot(Y[len(S)-1], Y[len(S)-1])
		} else if gn := math.Sqrt(dot(g, g)); gn > 0 {
			gamma = 1 / gn
		}
		for i := range d {
			d[i] *= gamma
		}
		for i := 0; i < len(S); i++ {
			b := rho[i] * dot(Y[i], d)
			axpy(alpha[i]-b, S[i], d)
		}
		for i := range d {
			d[i] = -d[i]
		}
		gd := dot(g, d)
		if gd >= 0 { // not a descent direction: restart from steepest descent
			S, Y, rho = nil, nil, nil
			continue
		}
		step := 1.0
		var fn float64
		for ls := 0; ; ls++ {
			for i := range x {
				xn[i] = x[i] + step*d[i]
			}
			fn = f(xn, gn)
			if fn <= fx+1e-4*step*gd || ls == 30 {
				break
			}
			step /= 2
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			s[i] = xn[i] - x[i]
			y[i] = gn[i] - g[i]
		}
		copy(x, xn)
		copy(g, gn)
		rel := (fx - fn) / math.Max(1, math.Abs(fn))
		fx = fn
		if sy := dot(s, y); sy > 1e-12 {
			if len(S) == m {
				S, Y, rho = S[1:], Y[1:], rho[1:]
			}
			S, Y, rho = append(S, s), append(Y, y), append(rho, 1/sy)
		}
		if rel < 1e-7 {
			return
		}
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}
func round3(x float64) float64 { return math.Round(x*1e3) / 1e3 }

// DevScore is r's dev score before offsets by the metric it was tuned on.
func (r *TrainResult) DevScore() float64 {
	if r.File.Training["metric"] == "weighted_f1" {
		return r.DevRaw.WeightedF1
	}
	return r.DevRaw.MacroF1
}

// Variant is one setting TrainVariants tries besides C and class weights.
type Variant struct {
	Folded bool    // opts.Features.Folded
	NB     float64 // opts.NB
}

// TrainVariants searches over variants as Train searches over C: it runs Train once per
// variant (overriding opts.Features.Folded and opts.NB) and keeps the result with the
// best DevScore, the first on a tie. No variants means opts as given. seen, if set, is
// called with each result as it is fitted (`model train` prints them).
func TrainVariants(ctx context.Context, train, dev []Example, base classifier.Model, opts TrainOptions, variants []Variant, seen func(v Variant, r *TrainResult)) (*TrainResult, error) {
	if len(variants) == 0 {
		variants = []Variant{{Folded: opts.Features.Folded, NB: opts.NB}}
	}
	var best *TrainResult
	for _, v := range variants {
		o := opts
		o.Features.Folded, o.NB = v.Folded, v.NB
		r, err := Train(ctx, train, dev, base, o)
		if err != nil {
			return nil, err
		}
		if seen != nil {
			seen(v, r)
		}
		if best == nil || r.DevScore() > best.DevScore() {
			best = r
		}
	}
	return best, nil
}

// hasLabels reports whether every label of want occurs in ex.
func hasLabels(ex []Example, want ...string) bool {
	for _, l := range want {
		if !slices.ContainsFunc(ex, func(e Example) bool { return e.Label == l }) {
			return false
		}
	}
	return true
}

// relabelAuthorityHate applies the product's label policy to toxicity examples labelled
// "hate" (the caller checks that the data has "hate" and "offensive" labels): a post that
// mentions a neutral term (an authority, institution or political camp) and in which the
// reviewed lexicons find no hate (classifier.LexiconFindsHate) is at most offensive.
// Research data sets (ViHSD) label much rude criticism of officials hate; masking the
// authority terms alone leaves the model learning that "lũ ... cút hết đi" about anyone is
// hate. It returns, per example, whether the policy applies to it (whatever its label:
// the model applies it when scoring too, see LearnedFile.AuthorityPolicy) and how many
// examples it changed.
func relabelAuthorityHate(ex []Example, fx *classifier.FeatureExtractor, base classifier.Model) ([]bool, int) {
	applies := make([]bool, len(ex))
	n := 0
	for i, e := range ex {
		if !fx.MentionsNeutral(e.Text) {
			continue
		}
		_, a := classifier.ClassifyText(base, e.Text)
		if classifier.LexiconFindsHate(a) {
			continue
		}
		applies[i] = true
		if e.Label == "hate" {
			ex[i].Label = "offensive"
			n++
		}
	}
	return applies, n
}
