package vntext

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// LexNormTrainOptions configure TrainLexNorm.
type LexNormTrainOptions struct {
	// Params, when set, are used as given instead of being tuned.
	Params *LexNormParams
	// HoldOut: every HoldOut-th pair (default 10) is held out of the counts while the
	// weights are tuned; the final counts use every pair.
	HoldOut int
	// Progress, if set, is called as tuning advances.
	Progress func(stage string, done, total int)
}

// LexNormTrainResult is a trained normalizer with how it was chosen.
type LexNormTrainResult struct {
	File     *LexNormFile
	HeldOut  NormERR // the chosen weights, counts from the other pairs, on the held-out pairs
	Trials   []LexNormTrial
	Duration time.Duration
}

// LexNormTrial is one setting tried during tuning and its held-out ERR.
type LexNormTrial struct {
	Params LexNormParams
	ERR    float64
}

// ErrNoPairs means TrainLexNorm got too few pairs to learn and tune from.
var ErrNoPairs = errors.New("too few normalization pairs")

// lexNormGrid is the value tried for each weight during tuning, in the order tuned.
var lexNormGrid = []struct {
	name string
	vals []float64
	set  func(*LexNormParams, float64)
}{
	{"teencode", []float64{0.05, 0.2, 0.5, 1, 2}, func(p *LexNormParams, v float64) { p.Teencode = v }},
	{"fold_plain", []float64{0, 0.01, 0.03, 0.1, 0.3, 1}, func(p *LexNormParams, v float64) { p.FoldPlain = v }},
	{"fold_marked", []float64{0, 0.0001, 0.001, 0.01}, func(p *LexNormParams, v float64) { p.FoldMarked = v }},
	{"edit", []float64{0, 0.001, 0.01, 0.05, 0.2, 0.5}, func(p *LexNormParams, v float64) { p.Edit = v }},
	{"beta", []float64{0.1, 0.3, 1, 3}, func(p *LexNormParams, v float64) { p.Beta = v }},
	{"lm_weight", []float64{0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5}, func(p *LexNormParams, v float64) { p.LMWeight = v }},
	{"mu", []float64{1, 3, 10, 30, 100}, func(p *LexNormParams, v float64) { p.Mu = v }},
}

// TrainLexNorm learns a normalizer from pairs: it aligns each original with its
// normalization syllable by syllable, counts what each source syllable became and the
// bigrams of the normalized side, and tunes the weights (LexNormParams) by coordinate
// ascent on the held-out ERR. Deterministic for the same pairs and options.
func TrainLexNorm(pairs []NormPair, opt LexNormTrainOptions) (*LexNormTrainResult, error) {
	start := time.Now()
	hold := opt.HoldOut
	if hold <= 1 {
		hold = 10
	}
	if len(pairs) < 2*hold {
		return nil, fmt.Errorf("%w: %d, want at least %d", ErrNoPairs, len(pairs), 2*hold)
	}
	var fit, held []NormPair
	for i, p := range pairs {
		if i%hold == hold-1 {
			held = append(held, p)
		} else {
			fit = append(fit, p)
		}
	}
	res := &LexNormTrainResult{}
	fitCounts := countLexNorm(fit)
	eval := func(p LexNormParams) float64 {
		f := *fitCounts
		f.Params = p
		m := NewLexNormModel(&f)
		r := MeasureNormalizerFunc(held, func(s string) []string { return strings.Fields(m.Normalize(s)) })
		res.Trials = append(res.Trials, LexNormTrial{p, r.ErrorReductionRate})
		res.HeldOut = r
		return r.ErrorReductionRate
	}
	params := DefaultLexNormParams()
	if opt.Params != nil {
		params = *opt.Params
		eval(params)
	} else {
		params = tuneLexNorm(params, eval, opt.Progress)
		eval(params) // leaves HeldOut at the chosen setting
	}
	f := countLexNorm(pairs)
	f.Params = params
	f.Training = map[string]any{
		"pairs": len(pairs), "held_out_every": hold, "held_out_err": res.HeldOut.ErrorReductionRate,
		"trials": len(res.Trials),
	}
	res.File = f
	res.Duration = time.Since(start)
	return res, nil
}

// tuneLexNorm does two rounds of coordinate ascent over lexNormGrid; ties keep the
// earlier value, so the result is deterministic.
func tuneLexNorm(p LexNormParams, eval func(LexNormParams) float64, progress func(string, int, int)) LexNormParams {
	total := 0
	for _, g := range lexNormGrid {
		total += 2 * len(g.vals)
	}
	done := 0
	best := eval(p)
	for round := 0; round < 2; round++ {
		for _, g := range lexNormGrid {
			for _, v := range g.vals {
				done++
				if progress != nil {
					progress(g.name, done, total)
				}
				q := p
				g.set(&q, v)
				if q == p {
					continue
				}
				if e := eval(q); e > best {
					best, p = e, q
				}
			}
		}
	}
	return p
}

// countLexNorm counts the alignments and the target bigrams of pairs.
func countLexNorm(pairs []NormPair) *LexNormFile {
	f := &LexNormFile{Format: LexNormFormat, Unigrams: map[string]int{}, Bigrams: map[string]int{},
		Channel: map[string]map[string]int{}}
	for _, p := range pairs {
		src, tgt := surfaceSyllables(p.Original), surfaceSyllables(p.Normalized)
		prev := "<s>"
		f.Unigrams[prev]++
		for _, w := range tgt {
			f.Unigrams[w]++
			f.Bigrams[prev+" "+w]++
			prev = w
		}
		f.Unigrams["</s>"]++
		f.Bigrams[prev+" </s>"]++
		for _, a := range alignSyllables(src, tgt) {
			if f.Channel[a[0]] == nil {
				f.Channel[a[0]] = map[string]int{}
			}
			f.Channel[a[0]][a[1]]++
		}
	}
	return f
}

// alignSyllables pairs each source syllable with what it became: one syllable, or
// several when an abbreviation was spelled out ("mn" → "mọi người"). Texts of equal
// length pair one to one; others are aligned by a weighted edit distance where an
// expansion whose initials (or letters) match costs less than a substitution plus an
// insertion. Inserted and deleted syllables are left out.
func alignSyllables(src, tgt []string) [][2]string {
	if len(src) == len(tgt) {
		out := make([][2]string, len(src))
		for i := range src {
			out[i] = [2]string{src[i], tgt[i]}
		}
		return out
	}
	const inf = 1e9
	n, m := len(src), len(tgt)
	cost := make([][]float64, n+1)
	op := make([][]int8, n+1) // 0 start, 1 insert, 2 delete, k+2 = 1:k
	for i := range cost {
		cost[i] = make([]float64, m+1)
		op[i] = make([]int8, m+1)
		for j := range cost[i] {
			cost[i][j] = inf
		}
	}
	cost[0][0] = 0
	for i := 0; i <= n; i++ {
		for j := 0; j <= m; j++ {
			c := cost[i][j]
			if c >= inf {
				continue
			}
			relax := func(i2, j2 int, d float64, o int8) {
				if c+d < cost[i2][j2] {
					cost[i2][j2], op[i2][j2] = c+d, o
				}
			}
			if j < m {
				relax(i, j+1, 1, 1)
			}
			if i < n {
				relax(i+1, j, 1, 2)
			}
			for k := 1; k <= 3 && i < n && j+k <= m; k++ {
				relax(i+1, j+k, alignCost(src[i], tgt[j:j+k]), int8(k+2))
			}
		}
	}
	var out [][2]string
	for i, j := n, m; i > 0 || j > 0; {
		switch o := op[i][j]; o {
		case 1:
			j--
		case 2:
			i--
		default:
			k := int(o - 2)
			out = append(out, [2]string{src[i-1], strings.Join(tgt[j-k:j], " ")})
			i, j = i-1, j-k
		}
	}
	for l, r := 0, len(out)-1; l < r; l, r = l+1, r-1 {
		out[l], out[r] = out[r], out[l]
	}
	return out
}

// alignCost is the cost of source syllable s becoming the syllables t.
func alignCost(s string, t []string) float64 {
	if len(t) == 1 {
		if s == t[0] {
			return 0
		}
		return 1
	}
	fs := string(appendFolded(nil, s))
	var cat, initials []byte
	for _, w := range t {
		f := appendFolded(nil, w)
		cat = append(cat, f...)
		if len(f) > 0 {
			initials = append(initials, f[0])
		}
	}
	if fs == string(cat) {
		return 0.3 // "deptrai" → "đẹp trai"
	}
	if len(fs) > 0 && len(initials) > 0 && fs[0] == initials[0] && isSubsequence(initials, fs) {
		return 0.9 // "mn" → "mọi người", "ngta" → "người ta"
	}
	return 10
}

func isSubsequence(sub []byte, s string) bool {
	i := 0
	for j := 0; j < len(s) && i < len(sub); j++ {
		if s[j] == sub[i] {
			i++
		}
	}
	return i == len(sub)
}
