package learn

import (
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/vntext"
	"gopkg.in/yaml.v3"
)

// Learned narrative component of the default model (models/learned/narratives.tsv).
const (
	narrMinPosts  = 2    // a feature must occur in this many distinct training posts
	narrMinAbs    = 0.05 // smaller weights are dropped
	narrMaxIter   = 200
	narrCutMargin = 0.0
)

// narrPTarget: the threshold is the lowest at which the learned component alone reaches
// this precision on the pooled out-of-fold posts (narrPTargetFor overrides it per
// narrative). 0.99 until the narr8 round; with dev_mix's hard negatives 0.99 cost recall on
// holdout4-6 (not training sets: macro R .957/.976/.950 -> .949/.956/.935) and 0.98 won
// it back; disaster stays at 0.99, where 0.98 gained nothing on holdout3-6 and added false
// matches on the shared dev texts (a figurative "ác quỷ", flooding blamed on filled ponds).
// public_service_complaint is at 0.97 since the narr9 round: with dev_more's 62 complaint
// hard negatives 0.98 cost its recall on holdout4-6 (not training sets: 1.00/.949/.981 ->
// .942/.864/.904) and 0.97 won part of it back (.981/.881/.923) at the same precision.
// Since the narr10 round (holdout4-8 and dev_narr10 among the training sets) the targets
// were chosen on the folds holding holdout7 and holdout8 left out (new text for the fitted
// model): hate_harassment 0.97 (recall .821 -> .893 and .814 -> .831 at the same
// precision), scam 0.99 (precision .898 -> .914 and .962 -> .980, recall .898 and .864 ->
// .831), disaster 0.98 like the others (recall .831 -> .848 and .797 -> .831, precision
// .980 -> .962 and .979 -> .961); health_misinfo at 0.97 and public_service_complaint at
// 0.98 were tried and not kept (a wash, and recall lost on holdout8).
var (
	narrPTarget    = 0.98
	narrPTargetFor = map[string]float64{"hate_harassment": 0.97, "public_service_complaint": 0.97, "scam": 0.99}
)

// pTarget is the precision target of narrative id.
func pTarget(id string) float64 {
	if p, ok := narrPTargetFor[id]; ok {
		return p
	}
	return narrPTarget
}

// pTargetText describes the targets for the generated file's header.
func pTargetText() string {
	s := fmt.Sprint(narrPTarget)
	for _, id := range slices.Sorted(maps.Keys(narrPTargetFor)) {
		s += fmt.Sprintf(" (%s %g)", id, narrPTargetFor[id])
	}
	return s
}

// narrCs are the inverse L2 strengths tried (per narrative, by cross-validation).
var narrCs = []float64{0.5, 1, 2, 4, 8, 16}

// narrSets are the hand-written narrative sets the component is trained on (ours,
// shippable). holdout4 was left out on 2026-12-07 (session 4): then it drove
// public_service_complaint's threshold so high (logit cut 5.6 against 0.34; precision 0.99
// on the pooled out-of-fold posts is reached only there) that the learned part of that
// narrative all but stopped matching (holdout3 recall 0.89 -> 0.77). Since the narr10 round
// (session 6) holdout4-8, the rules' development sets, are training sets too: with the
// batches of narr7-9 that no longer happens (public_service_complaint's learned part alone
// reaches recall .63 at its target on the pooled out-of-fold posts), and holdout7/8, opened
// in that round, are scored as new text by the folds that leave them out.
// dev_hate (narr7 round, 2026-12-07) is a training batch written for the component: 160
// hate and harassment posts of many forms and 102 hard negatives (criticism of officials,
// supportive posts about groups, rebuttals of stereotypes, rude language with no target).
// dev_mix (narr8 round, 2026-12-07) is a second such batch, 276 posts: scam hard negatives
// (real bank and telecom notices, cash-back, job ads, licensed loans, lottery results, shop
// giveaways, scams in fiction) and new scam kinds, health myths phrased as questions,
// testimonials, chain messages and herbal cure ads with debunks and ordinary advice,
// public-service questions, praise, news and private-business complaints, disaster ground reports.
// dev_more (narr9 round, 2026-12-07) is a third, 309 posts: hate and harassment of forms the
// earlier batches lack (online harassment of women and LGBT people, body shaming aimed at a
// person, sexual harassment reports, coded ethnic slurs, threats against journalists, teachers
// and shop owners, cyberbullying of students, doxxing of reviewers) with hard negatives,
// public-service questions, praise, notices and private-business complaints, new disaster
// hazards and regions, and figurative, drill and forecast posts that are not disasters.
// dev_narr10 (narr10 round, 2026-12-07, session 6) is a fourth, 251 posts, written for the
// general causes of holdout7/8's errors: hate forms without "dân X", public-service
// complaints and their look-alikes (procedure questions, praise, private firms), heat,
// drought and landslide reports, health myths, newer scams and their look-alikes.
// dev_indirect (narr11), dev_hate2 and dev_scam2 (narr12), session 6, 355, 192 and 190
// posts: narratives stated indirectly (stereotypes, victims' own accounts, scams told
// without "lừa đảo", quiet complaints) and their near-misses.
// holdout9 and holdout10 (444 posts each, written in session 6 by two authors who knew only
// the definitions) were opened in the narr13 round, as holdout7/8 were in narr10: their
// errors were read and fixed in the rules, and they are training sets since; two newer
// judge sets measure new text. holdout11 and holdout12 (445 posts each, written blind in
// session 7 and scored once held out) were opened the same way in session 8 (narr14), and
// holdout13 and holdout14 (459 and 445 posts, written blind in session 8 and scored twice
// held out) later in session 8 (narr15), and holdout15 and holdout16 (445 and 490 posts,
// written blind in session 8 and scored twice held out) in session 9 (narr16), and
// holdout17 and holdout18 (456 and 465 posts, written blind in session 9 and scored twice
// held out) in session 10 (narr17).
var narrSets = []string{"dev", "test", "holdout", "holdout2", "holdout3", "dev_hate", "dev_mix", "dev_more",
	"holdout4", "holdout5", "holdout6", "holdout7", "holdout8", "dev_narr10", "dev_indirect",
	"dev_hate2", "dev_scam2", "holdout9", "holdout10", "dev_implied", "dev_quiet",
	"holdout11", "holdout12", "holdout13", "holdout14", "holdout15", "holdout16", "holdout17", "holdout18", "dev_ordinary"}

// narrFolds groups narrSets into the folds of the cross-validation (a set's index in
// narrSets -> fold). Until the narr10 round every set was a fold of its own; with 14 sets
// (17 since narr12, 21 since session 7, 23 since session 8 (narr14), 25 since narr15, 27 since
// session 9 (narr16), 28 with dev_ordinary, 30 since session 10 (narr17)) the nested leave-one-out would take about an hour (fits
// grow with folds squared), so the sets are grouped into 5 folds of 740-1,400 posts.
// holdout7 and holdout8 are in different folds, and so are holdout9 and holdout10 (narr13:
// holdout9 joins fold 3, 741 -> 1,185 posts, holdout10 fold 4, 846 -> 1,290; alone, 444
// posts, either would be a fold far smaller than the others), so leaving out a fold still
// scores each of them as new text. The session 7 training batches dev_implied (297 posts)
// and dev_quiet (299) joined the smallest folds. Session 8 (narr14): holdout11 and
// holdout12 (445 posts each) joined the two smallest folds, in different folds for the same
// reason: holdout12 fold 1 (1,293 -> 1,738 posts), holdout11 fold 4 (1,290 -> 1,735).
// Session 8 (narr15): holdout13 and holdout14 joined the two smallest folds, again apart:
// holdout13 fold 0 (1,393 -> 1,852 posts), holdout14 fold 2 (1,445 -> 1,890).
// Session 9 (narr16): holdout15 (445 posts) and holdout16 (490) joined the two smallest
// folds, apart: holdout15 fold 3 (1,484 -> 1,929 posts), holdout16 fold 4 (1,735 -> 2,225).
// Session 9: the training batch dev_ordinary (326 posts: ordinary health talk, notices,
// private-business complaints and their positive counterparts) joined the smallest fold,
// fold 1 (1,738 -> 2,064).
// Session 10 (narr17): holdout17 (456 posts) and holdout18 (465) joined folds 0 and 2,
// apart: holdout17 fold 0 (1,852 -> 2,308 posts), holdout18 fold 2 (1,890 -> 2,355).
// Posts per fold: 2,308, 2,064, 2,355, 1,929, 2,225.
var narrFolds = map[string]int{
	"dev": 0, "test": 0, "holdout": 0, "holdout2": 0, "dev_scam2": 0, "holdout13": 0, "holdout17": 0,
	"holdout3": 1, "holdout4": 1, "dev_hate": 1, "dev_indirect": 1, "holdout12": 1, "dev_ordinary": 1,
	"dev_mix": 2, "holdout5": 2, "dev_narr10": 2, "dev_hate2": 2, "dev_implied": 2, "holdout14": 2, "holdout18": 2,
	"dev_more": 3, "holdout7": 3, "holdout9": 3, "dev_quiet": 3, "holdout15": 3,
	"holdout6": 4, "holdout8": 4, "holdout10": 4, "holdout11": 4, "holdout16": 4,
}

// narrNumFolds is the number of folds of narrFolds.
func narrNumFolds() int {
	n := 0
	for _, f := range narrFolds {
		n = max(n, f+1)
	}
	return n
}

// narrFoldName names fold f by its sets.
func narrFoldName(f int) string {
	var names []string
	for _, s := range narrSets {
		if narrFolds[s] == f {
			names = append(names, s)
		}
	}
	return strings.Join(names, "+")
}

// narrDoc is one training post: the features of its text and of its text typed without
// diacritics (both, so accentless posts find weights), gold labels, and what the rules
// (the narratives without the learned component) decide.
type narrDoc struct {
	set      int    // fold of the cross-validation (narrFolds)
	name     string // the set it comes from (empty for ViHOS comments and YAML examples)
	text     string
	feats    []string // union of the word 1-2-gram keys of the text and its folded form
	featsOrg []string // of the text as written: for scoring
	featsFld []string // of the folded text: a training example of its own
	gold     map[string]bool
	rule     map[string]bool
	excl     map[string]bool
	cand     map[string]bool // narratives one of whose terms occurs: the learned part may match only those
	only     string          // a YAML example (set -1): trains only this narrative's model
	neutral  bool            // names an authority: the learned part matches nothing
	ext      bool            // a ViHOS comment: a negative for every narrative, not in the P/R table
	skip     map[string]bool // narratives this post neither trains nor is scored for
}

// narrParams are the per-narrative choices of the cross-validation.
type narrParams struct {
	c   float64
	cut float64 // on the logit
}

// narrWeights is one narrative's fitted model.
type narrWeights struct {
	bias float64
	w    map[string]float64
}

// rulesOnlyModel loads the shipped default model without learned/narratives.tsv.
func rulesOnlyModel(t *testing.T) (classifier.Model, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, models.FS()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "learned", "narratives.tsv")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	m, err := classifier.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

func loadNarrDocs(t *testing.T, rules classifier.Model, withViHOS bool) ([]narrDoc, []string) {
	t.Helper()
	fx := wordFeatures(t)
	keys := func(text string) []string {
		var out []string
		for _, f := range fx.Features(text) {
			out = append(out, strings.TrimPrefix(f.Key, "w:"))
		}
		return out
	}
	var docs []narrDoc
	for _, name := range narrSets {
		si := narrFolds[name]
		path := "../testdata/narratives_" + name + ".jsonl"
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := ReadNarrativeExamples(f, path)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex {
			d := narrDoc{set: si, name: name, text: e.Text, gold: map[string]bool{}, rule: map[string]bool{}, excl: map[string]bool{}, cand: map[string]bool{}}
			for _, id := range e.Narratives {
				d.gold[id] = true
			}
			for _, id := range NarrativeMatches(rules, e.Text) {
				d.rule[id] = true
			}
			d.neutral = fx.MentionsNeutral(e.Text)
			cand, excl := classifier.NarrativeGates(rules, e.Text)
			for _, id := range excl {
				d.excl[id] = true
			}
			for _, id := range cand {
				d.cand[id] = true
			}
			d.featsOrg = keys(e.Text)
			d.featsFld = keys(vntext.Fold(e.Text))
			d.feats = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(d.featsOrg), d.featsFld...))))
			docs = append(docs, d)
		}
	}
	var ids []string
	for _, n := range classifier.Narratives(rules) {
		ids = append(ids, n.ID)
	}
	if withViHOS {
		docs = append(docs, viHOSNegatives(t, rules, fx, keys)...)
	}
	// The narratives' own examples (models/narratives/*.yaml, hand-written) train the
	// model of their narrative, always (set -1: never scored in the cross-validation).
	files, err := fs.Glob(models.FS(), "narratives/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		data, err := fs.ReadFile(models.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		var y struct {
			ID       string `yaml:"id"`
			Examples struct {
				Match   []string `yaml:"match"`
				NoMatch []string `yaml:"no_match"`
			} `yaml:"examples"`
		}
		if err := yaml.Unmarshal(data, &y); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		add := func(text string, match bool) {
			d := narrDoc{set: -1, text: text, only: y.ID, gold: map[string]bool{y.ID: match}}
			d.featsOrg = keys(text)
			d.featsFld = keys(vntext.Fold(text))
			d.feats = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(d.featsOrg), d.featsFld...))))
			docs = append(docs, d)
		}
		for _, e := range y.Examples.Match {
			add(e, true)
		}
		for _, e := range y.Examples.NoMatch {
			add(e, false)
		}
	}
	return docs, ids
}

// fitNarratives fits, for each narrative id with its C, a binary L2 logistic regression
// on docs (each post twice: as written and typed without diacritics).
func fitNarratives(docs []narrDoc, ids []string, cs map[string]float64) map[string]narrWeights {
	df := map[string]int{}
	for _, d := range docs {
		for _, f := range d.feats {
			df[f]++
		}
	}
	var keys []string
	for k, n := range df {
		if n >= narrMinPosts {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	index := map[string]int32{}
	for i, k := range keys {
		index[k] = int32(i)
	}
	vec := func(feats []string) sparse {
		var s sparse
		for _, f := range feats {
			if j, ok := index[f]; ok {
				s.idx = append(s.idx, j)
				s.val = append(s.val, 1)
			}
		}
		return s
	}
	var base []sparse
	var owner []int
	for i, d := range docs {
		base = append(base, vec(d.featsOrg))
		owner = append(owner, i)
		if !slices.Equal(d.featsOrg, d.featsFld) {
			base = append(base, vec(d.featsFld))
			owner = append(owner, i)
		}
	}
	out := map[string]narrWeights{}
	F, K := len(keys), 2
	for _, id := range ids {
		// A feature that came out weighing towards the narrative without being allowed
		// to (narrAllowed) is dropped and the model refitted, twice, so the others do not
		// absorb it; what still comes out so is left out.
		drop := make([]bool, F)
		var W []float64
		for range 3 {
			X := make([]sparse, 0, len(base))
			for i, s := range base {
				if o := docs[owner[i]].only; o != "" && o != id || docs[owner[i]].skip[id] {
					continue
				}
				var x sparse
				for j, f := range s.idx {
					if !drop[f] {
						x.idx = append(x.idx, f)
						x.val = append(x.val, s.val[j])
					}
				}
				if docs[owner[i]].gold[id] {
					x.y = 1
				}
				X = append(X, x)
			}
			W = make([]float64, F*K+K)
			lbfgs(W, lrObjective(X, F, K, cs[id], []float64{1, 1}, nil), narrMaxIter)
			for i, k := range keys {
				if W[i*K+1]-W[i*K] > 0 && !narrAllowed(k) {
					drop[i] = true
				}
			}
		}
		nw := narrWeights{bias: W[F*K+1] - W[F*K], w: map[string]float64{}}
		for i, k := range keys {
			v := W[i*K+1] - W[i*K]
			if math.Abs(v) >= narrMinAbs && !drop[i] && (v < 0 || narrAllowed(k)) {
				nw.w[k] = math.Round(v*1000) / 1000
			}
		}
		nw.bias = math.Round(nw.bias*1000) / 1000
		out[id] = nw
	}
	return out
}

// narrStop are function and everyday words (pronouns, particles, copulas, prepositions,
// quantifiers, time words), with their forms typed without diacritics, written by hand:
// with about 1,500 training posts the regression weighed "là", "mà", "cho", "tao" towards
// narratives, and ordinary comments matched. A feature may weigh towards a narrative only
// if one of its syllables is not such a word ("bọn", "lũ", "triệu", "chờ" may; "bọn nó"
// may; "là", "không ai" may not). Negative weights are free.
var narrStop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`là thì mà cho của và có không ko được đã đang sẽ này đó kia ấy
		ở trong ngoài với để khi nếu vì nên như cũng lại ra vào lên xuống đi đến tới từ rồi nữa
		thôi gì ai nào đâu sao bao mấy những các một hai ba bốn năm mọi cả rất quá lắm hơn nhất
		vẫn còn chỉ đều luôn ngay tao mày nó họ mình tôi tui bạn anh chị em ông bà cô chú con
		cháu người cái chiếc việc điều thế vậy nhé nha ạ à ơi hả nhỉ bị phải cần muốn biết thấy
		nói làm lấy xem theo về qua sau trước nay mai hôm giờ lúc ngày tháng lần đây kìa chứ
		mới vừa hay hoặc hết nhiều ít vài bây chưa đừng hãy chẳng chả được nhưng tại bởi do
		trên dưới giữa thằng đứa chúng tụi bọn đám`) {
		narrStop[w] = true
		narrStop[foldSyllable(w)] = true
	}
}

func narrAllowed(feature string) bool {
	return slices.ContainsFunc(strings.Fields(feature), func(s string) bool { return !narrStop[s] })
}

// narrZ is the learned logit of a post's features as written (as Analyze computes it),
// -Inf when none weighs towards the narrative.
func narrZ(feats []string, nw narrWeights) float64 {
	z, pos := nw.bias, false
	for _, f := range feats {
		z += nw.w[f]
		pos = pos || nw.w[f] > 0
	}
	if !pos {
		return math.Inf(-1)
	}
	return z
}

func subsetDocs(docs []narrDoc, keep func(set int) bool) []narrDoc {
	var out []narrDoc
	for _, d := range docs {
		if keep(d.set) {
			out = append(out, d)
		}
	}
	return out
}

// chooseCut returns the lowest logit cut at which the learned component alone (z >= cut
// and not excluded) reaches pTarget(id) precision over docs given their z, maximising its
// recall; +Inf when none does. The rules are left out of the choice: they were tuned on
// most of these sets, so their recall there says nothing about new text. It returns the
// learned recall and the F1 of "rules OR learned" at the cut.
func chooseCut(docs []narrDoc, z []float64, id string) (cut, recall, f1 float64) {
	var cands []float64
	for i, d := range docs {
		if !d.excl[id] && !math.IsInf(z[i], -1) && d.gold[id] && !d.skip[id] {
			cands = append(cands, z[i])
		}
	}
	slices.Sort(cands)
	score := func(cut float64, withRules bool) (p, r, f float64) {
		var tp, fp, fn float64
		for i, d := range docs {
			if d.skip[id] {
				continue
			}
			pred := (withRules && d.rule[id]) || (!d.excl[id] && z[i] >= cut)
			switch {
			case pred && d.gold[id]:
				tp++
			case pred:
				fp++
			case d.gold[id]:
				fn++
			}
		}
		if tp+fp > 0 {
			p = tp / (tp + fp)
		}
		if tp+fn > 0 {
			r = tp / (tp + fn)
		}
		if p+r > 0 {
			f = 2 * p * r / (p + r)
		}
		return p, r, f
	}
	cut = math.Inf(1)
	for _, c := range cands { // ascending: the first that holds the target has the best recall
		if p, r, _ := score(c, false); p >= pTarget(id) {
			cut, recall = c, r
			break
		}
	}
	_, _, f1 = score(cut, true)
	return cut, recall, f1
}

// selectNarrParams chooses each narrative's C and cut by leave-one-set-out
// cross-validation over the docs of sets (pooled out-of-fold logits).
func selectNarrParams(t *testing.T, docs []narrDoc, ids []string, sets []int) map[string]narrParams {
	type res struct{ cut, recall, f1 float64 }
	results := map[string][]res{}
	for _, c := range narrCs {
		cs := map[string]float64{}
		for _, id := range ids {
			cs[id] = c
		}
		oof := map[string][]float64{}
		var pooled []narrDoc
		for _, held := range sets {
			train := subsetDocs(docs, func(s int) bool { return s < 0 || s != held && slices.Contains(sets, s) })
			test := subsetDocs(docs, func(s int) bool { return s == held })
			w := fitNarratives(train, ids, cs)
			for _, d := range test {
				for _, id := range ids {
					z := narrZ(d.featsOrg, w[id])
					if !d.cand[id] || d.excl[id] || d.neutral {
						z = math.Inf(-1) // the learned part may not match it
					}
					oof[id] = append(oof[id], z)
				}
			}
			pooled = append(pooled, test...)
		}
		for _, id := range ids {
			cut, r, f := chooseCut(pooled, oof[id], id)
			results[id] = append(results[id], res{cut, r, f})
		}
	}
	out := map[string]narrParams{}
	for _, id := range ids {
		best := 0
		for i, r := range results[id] {
			if r.recall > results[id][best].recall+1e-9 {
				best = i
			}
		}
		out[id] = narrParams{c: narrCs[best], cut: results[id][best].cut + narrCutMargin}
		t.Logf("  sets %v: %s C=%g cut %.3f (pooled out-of-fold: learned alone R %.3f at P >= target; rules OR learned F1 %.3f)", sets, id, narrCs[best], out[id].cut, results[id][best].recall, results[id][best].f1)
	}
	return out
}

// trainNarr selects parameters on sets by cross-validation, then fits on all of them and
// folds each cut into the bias. A narrative whose cut is +Inf gets no learned part.
func trainNarr(t *testing.T, docs []narrDoc, ids []string, sets []int) (map[string]narrWeights, map[string]narrParams) {
	params := selectNarrParams(t, docs, ids, sets)
	cs := map[string]float64{}
	for id, p := range params {
		cs[id] = p.c
	}
	w := fitNarratives(subsetDocs(docs, func(s int) bool { return s < 0 || slices.Contains(sets, s) }), ids, cs)
	for id, p := range params {
		if math.IsInf(p.cut, 1) {
			delete(w, id)
			continue
		}
		nw := w[id]
		nw.bias = math.Round((nw.bias-p.cut)*1000) / 1000
		w[id] = nw
	}
	return w, params
}

func renderNarratives(w map[string]narrWeights, ids []string, params map[string]narrParams, ndocs int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `# Learned narrative component of the default model: per narrative a binary logistic
# regression over the distinct word unigrams and bigrams (normalized syllables) of a post,
# neutral terms masked (models/neutral_terms.tsv: no feature touches one). A post gets a
# narrative by it when it holds a feature weighing towards that narrative, <bias> + the
# weights of its features >= 0 (the threshold is folded into <bias>), and none of the
# exclusions of the narrative's rule (a top-level AND NOT) occurs; the rules match as
# before, either one suffices. Generated, do not edit: see models/README.md,
#   NARR_LEARNED_OUT=$PWD/models/learned/narratives.tsv go test ./classifier/learn -run TestLearnedNarrativesModel
# Data: the project's own hand-written sets classifier/testdata/narratives_{%s}.jsonl
# and the examples of models/narratives/*.yaml, each also typed without diacritics (an
# example trains only its own narrative), and as negatives the ViHOS training comments
# (MIT) in which a narrative's term occurs (not for a narrative their rules match, nor for
# hate_harassment when they name a protected group): %d posts in all. No research-only set.
# Per narrative C (of %v) and threshold chosen by leave-one-set-out cross-validation:
# the lowest threshold at which the learned component alone reaches precision %s on the pooled
# out-of-fold posts.
`, strings.Join(narrSets, ","), ndocs, narrCs, pTargetText())
	for _, id := range ids {
		if _, ok := w[id]; !ok {
			fmt.Fprintf(&sb, "# %s: no threshold met the precision target; no learned part\n", id)
			continue
		}
		fmt.Fprintf(&sb, "# %s: C=%g, logit cut %.3f\n", id, params[id].c, params[id].cut)
	}
	for _, id := range ids {
		nw, ok := w[id]
		if !ok {
			continue
		}
		fmt.Fprintf(&sb, "%s\t%s\t%.3f\n", id, learnedToxBiasKey, nw.bias)
		keys := make([]string, 0, len(nw.w))
		for k := range nw.w {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if c := cmp.Compare(nw.w[b], nw.w[a]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			fmt.Fprintf(&sb, "%s\t%s\t%.3f\n", id, k, nw.w[k])
		}
	}
	return sb.String()
}

// withLearnedNarratives loads the default model from dir (a copy of models/) with file
// content as learned/narratives.tsv.
func withLearnedNarratives(t *testing.T, dir, content string) classifier.Model {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "learned", "narratives.tsv"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := classifier.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLearnedNarrativesModel trains the default model's learned narrative component,
// models/learned/narratives.tsv, on the project's hand-written narrative sets (with
// ViHOS training comments as negatives, unless NARR_NO_VIHOS is set; needs ../shared), and
// reports its leave-one-set-out cross-validation: for each set, parameters are chosen by
// an inner leave-one-set-out cross-validation over the others, the model is fitted
// on them, and the left-out set is scored with the combined matcher (rules OR learned)
// next to the rules alone. It runs only with NARR_LEARNED_CV=1 (the table) or
// NARR_LEARNED_OUT=file (the table, then the shipped file trained on all the sets),
// since it fits a few hundred models.
func TestLearnedNarrativesModel(t *testing.T) {
	out := os.Getenv("NARR_LEARNED_OUT")
	// Without either variable the test refits the shipped file from the training sets
	// and requires it byte for byte: a change to the sets, the features or the fitting
	// that is not regenerated fails here (about a minute).
	reproduce := out == "" && os.Getenv("NARR_LEARNED_CV") == ""
	if v := os.Getenv("NARR_LEARNED_PTARGET"); v != "" { // for measuring other targets
		if _, err := fmt.Sscan(v, &narrPTarget); err != nil {
			t.Fatal(err)
		}
		narrPTargetFor = nil // one target for all narratives
	}
	if v := os.Getenv("NARR_LEARNED_PTARGET_FOR"); v != "" { // e.g. hate_harassment=0.97,scam=0.99: per narrative
		narrPTargetFor = maps.Clone(narrPTargetFor)
		if narrPTargetFor == nil {
			narrPTargetFor = map[string]float64{}
		}
		for _, kv := range strings.Split(v, ",") {
			id, p, ok := strings.Cut(kv, "=")
			var f float64
			if _, err := fmt.Sscan(p, &f); !ok || err != nil {
				t.Fatalf("NARR_LEARNED_PTARGET_FOR: bad %q", kv)
			}
			narrPTargetFor[id] = f
		}
	}
	rules, dir := rulesOnlyModel(t)
	docs, ids := loadNarrDocs(t, rules, os.Getenv("NARR_NO_VIHOS") == "")
	var all []int
	for i := range narrNumFolds() {
		all = append(all, i)
	}
	if os.Getenv("NARR_LEARNED_SKIP_CV") == "" && !reproduce {
		only := os.Getenv("NARR_LEARNED_CV_SETS") // comma-separated set names: leave out only their folds (a shorter run)
		for held := range narrNumFolds() {
			if only != "" && !slices.ContainsFunc(strings.Split(only, ","), func(s string) bool { f, ok := narrFolds[s]; return ok && f == held }) {
				continue
			}
			others := slices.DeleteFunc(slices.Clone(all), func(s int) bool { return s == held })
			w, params := trainNarr(t, docs, ids, others)
			combined := withLearnedNarratives(t, dir, renderNarratives(w, ids, params, 0))
			var ex []NarrativeExample
			bySet := map[string][]NarrativeExample{}
			newExt, nExt := map[string]int{}, 0
			for _, d := range subsetDocs(docs, func(s int) bool { return s == held }) {
				if d.ext { // ViHOS negatives: count the learned part's matches, out of fold
					nExt++
					for _, id := range NarrativeMatches(combined, d.text) {
						if !d.rule[id] {
							newExt[id]++
						}
					}
					continue
				}
				var g []string
				for id := range d.gold {
					g = append(g, id)
				}
				ex = append(ex, NarrativeExample{Text: d.text, Narratives: g})
				bySet[d.name] = append(bySet[d.name], ex[len(ex)-1])
			}
			rr, rc := ScoreNarratives(rules, ex), ScoreNarratives(combined, ex)
			t.Logf("left out %s (%d posts): rules macro P %.3f R %.3f F1 %.3f | rules+learned P %.3f R %.3f F1 %.3f",
				narrFoldName(held), len(ex), rr.MacroPrecision, rr.MacroRecall, rr.MacroF1, rc.MacroPrecision, rc.MacroRecall, rc.MacroF1)
			t.Logf("left out %s: ViHOS negatives of the fold %d, new matches by the learned part %v", narrFoldName(held), nExt, newExt)
			for _, id := range ids {
				a, b := rr.PerNarrative[id], rc.PerNarrative[id]
				t.Logf("| %s | %s | %d | %.2f / %.2f | %.2f / %.2f |", narrFoldName(held), id, a.Support, a.Precision, a.Recall, b.Precision, b.Recall)
			}
			for _, name := range narrSets { // each set of the fold on its own (new text for the fitted model)
				if narrFolds[name] != held || len(bySet[name]) == 0 {
					continue
				}
				sr, sc := ScoreNarratives(rules, bySet[name]), ScoreNarratives(combined, bySet[name])
				t.Logf("left out set %s (%d posts): rules macro P %.3f R %.3f | rules+learned P %.3f R %.3f", name, len(bySet[name]), sr.MacroPrecision, sr.MacroRecall, sc.MacroPrecision, sc.MacroRecall)
				for _, id := range ids {
					a, b := sr.PerNarrative[id], sc.PerNarrative[id]
					t.Logf("| %s | %s | %d | %.3f / %.3f | %.3f / %.3f |", name, id, a.Support, a.Precision, a.Recall, b.Precision, b.Recall)
				}
			}
			for _, e := range rc.Errors {
				if !slices.ContainsFunc(rr.Errors, func(x NarrativeError) bool { return x == e }) {
					t.Logf("  new %s %s: %s", e.Kind, e.Narrative, e.Text)
				}
			}
		}
	}
	if out == "" && !reproduce {
		return
	}
	w, params := trainNarr(t, docs, ids, all)
	rendered := renderNarratives(w, ids, params, len(docs))
	if reproduce {
		shipped, err := fs.ReadFile(models.FS(), "learned/narratives.tsv")
		if err != nil {
			t.Fatal(err)
		}
		if string(shipped) != rendered {
			t.Errorf("models/learned/narratives.tsv is not what its generator makes from the current sets and code; regenerate: NARR_LEARNED_OUT=$PWD/models/learned/narratives.tsv go test ./classifier/learn -run TestLearnedNarrativesModel")
		}
		return
	}
	if err := os.WriteFile(out, []byte(rendered), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLearnedNarrativesFile checks the shipped learned/narratives.tsv: it loads, and no
// feature touches a neutral term (the masking makes such features impossible; a hand
// edit that adds one fails here).
func TestLearnedNarrativesFile(t *testing.T) {
	data, err := fs.ReadFile(models.FS(), "learned/narratives.tsv")
	if err != nil {
		t.Fatal(err)
	}
	terms, err := classifier.DefaultNeutralTerms()
	if err != nil {
		t.Fatal(err)
	}
	var neutral [][]string // each term's syllables, and folded as the masking folds them
	for _, nt := range terms {
		var norm, folded []string
		for _, tok := range vntext.Tokenize(nt.Term) {
			norm = append(norm, strings.Fields(tok.Norm)...)
			folded = append(folded, strings.Fields(tok.Folded)...)
		}
		neutral = append(neutral, norm)
		if len(folded) > 1 || nt.Fold {
			neutral = append(neutral, folded)
		}
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.HasPrefix(line, "#") || f[1] == learnedToxBiasKey {
			continue
		}
		n++
		if slices.ContainsFunc(neutral, func(q []string) bool { return len(q) > 0 && subseq(strings.Fields(f[1]), q) }) {
			t.Errorf("learned/narratives.tsv: %s feature %q touches a neutral term", f[0], f[1])
		}
	}
	if n == 0 {
		t.Fatal("learned/narratives.tsv has no features")
	}
}

// TestLearnedNarrativesMatchTraining checks that the run time decides what training
// computes: for every post of the training sets (as written and typed without diacritics),
// the default model's narratives are the rules' plus those whose learned logit from the
// shipped file (training's features, bias with the threshold folded in) is at least 0,
// with a positive feature, a term of the narrative occurring, no exclusion and no
// authority named.
func TestLearnedNarrativesMatchTraining(t *testing.T) {
	data, err := fs.ReadFile(models.FS(), "learned/narratives.tsv")
	if err != nil {
		t.Fatal(err)
	}
	w := map[string]narrWeights{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || strings.HasPrefix(line, "#") {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(f[2], &v); err != nil {
			t.Fatal(err)
		}
		nw, ok := w[f[0]]
		if !ok {
			nw = narrWeights{w: map[string]float64{}}
		}
		if f[1] == learnedToxBiasKey {
			nw.bias = v
		} else {
			nw.w[f[1]] = v
		}
		w[f[0]] = nw
	}
	rules, _ := rulesOnlyModel(t)
	full := defaultModel(t)
	docs, ids := loadNarrDocs(t, rules, false)
	fx := wordFeatures(t)
	n := 0
	for _, d := range docs {
		for _, text := range []string{d.text, vntext.Fold(d.text)} {
			var feats []string
			for _, f := range fx.Features(text) {
				feats = append(feats, strings.TrimPrefix(f.Key, "w:"))
			}
			ruled := NarrativeMatches(rules, text)
			cand, excl := classifier.NarrativeGates(rules, text)
			want := map[string]bool{}
			for _, id := range ids {
				nw, ok := w[id]
				learned := ok && slices.Contains(cand, id) && !slices.Contains(excl, id) && !fx.MentionsNeutral(text) && narrZ(feats, nw) >= 0
				want[id] = slices.Contains(ruled, id) || learned
			}
			got := NarrativeMatches(full, text)
			for _, id := range ids {
				if want[id] != slices.Contains(got, id) {
					t.Errorf("%q: %s run time %v, training %v", text, id, slices.Contains(got, id), want[id])
				}
			}
			n++
		}
	}
	t.Logf("%d texts agree", n)
}

// viHOSNegatives returns the ViHOS training comments (MIT; social-media comments, mostly
// about no narrative) as negatives for every narrative: the hand-written sets' "none"
// posts are few and crafted, and on real comments the component matched insults and
// everyday chat. All of them are kept, not only those where a narrative term occurs:
// narratives marked learned_without_terms may match anywhere, and with every comment the
// learned part's matches on the left-out comments fell from 23 to 8 (session 7). A
// comment trains no narrative its rules match (its gold is unknown there), and none for
// hate_harassment when it names a protected group of lexicon/targets.tsv (it may be hate
// against that group). Comment i goes to fold i mod narrNumFolds(), so the
// cross-validation scores it out of fold like the sets.
func viHOSNegatives(t *testing.T, rules classifier.Model, fx *classifier.FeatureExtractor, keys func(string) []string) []narrDoc {
	t.Helper()
	groups := protectedGroups(t)
	var docs []narrDoc
	for i, r := range readEval(t, "vihos/train.jsonl") {
		cand, excl := classifier.NarrativeGates(rules, r.Text)
		d := narrDoc{set: i % narrNumFolds(), text: r.Text, ext: true, gold: map[string]bool{}, rule: map[string]bool{}, excl: map[string]bool{}, cand: map[string]bool{}, skip: map[string]bool{}}
		for _, id := range NarrativeMatches(rules, r.Text) {
			d.rule[id], d.skip[id] = true, true
		}
		for _, id := range excl {
			d.excl[id] = true
		}
		for _, id := range cand {
			d.cand[id] = true
		}
		if namesGroup(r.Text, groups) {
			d.skip["hate_harassment"] = true
		}
		d.neutral = fx.MentionsNeutral(r.Text)
		d.featsOrg = keys(r.Text)
		d.featsFld = keys(vntext.Fold(r.Text))
		d.feats = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(d.featsOrg), d.featsFld...))))
		docs = append(docs, d)
	}
	t.Logf("ViHOS train: %d comments added as negatives", len(docs))
	return docs
}

// protectedGroups returns the terms of lexicon/targets.tsv as syllables, normalized and
// folded.
func protectedGroups(t *testing.T) [][]string {
	t.Helper()
	b, err := fs.ReadFile(models.FS(), "lexicon/targets.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		term, _, _ := strings.Cut(line, "\t")
		norm, folded := textSyllables(term)
		out = append(out, norm, folded)
	}
	return out
}

func textSyllables(text string) (norm, folded []string) {
	for _, tok := range vntext.Tokenize(text) {
		norm = append(norm, strings.Fields(tok.Norm)...)
		folded = append(folded, strings.Fields(tok.Folded)...)
	}
	return norm, folded
}

// namesGroup reports whether text holds a protected-group term, as written or folded
// (generous on purpose: such a comment is only left out of hate_harassment's negatives).
func namesGroup(text string, groups [][]string) bool {
	norm, folded := textSyllables(text)
	return slices.ContainsFunc(groups, func(g []string) bool {
		return len(g) > 0 && (subseq(norm, g) || subseq(folded, g))
	})
}
