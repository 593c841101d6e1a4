package classifier

import (
	"cmp"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// narrLearned is the default model's learned narrative component
// (learned/narratives.tsv): per narrative a binary logistic regression over the distinct
// word unigrams and bigrams of a post's normalized syllables (the features of the learned
// toxicity component, neutral terms masked the same way), trained on the project's
// hand-written narrative sets (see models/README.md). Each narrative's threshold is folded
// into its bias: the component says narrative N when N's logit is at least 0, at least
// one of the post's features weighs towards N, and none of the exclusions of N's rule (a
// top-level AND NOT, e.g. health_misinfo's debunk markers) occurs.
type narrLearned struct {
	k    int       // number of narratives of the model (rows are k wide)
	bias []float64 // by narrative index; -Inf for a narrative without a learned part
	// info holds, by syllable id of lexModel.syms, the syllable's unigram row (1 + index
	// into uniW / k, 0: none), flags and bigram buckets; ids past its end play no part.
	info []narrSyl
	uniW []float32 // unigram rows, k weights each
	// biTab holds the bigrams grouped by first syllable, as toxLearned.biTab does: those
	// beginning with syllable p lie in the buckets info[p].biOff + (0 ..
	// bucketMask(info[p].biBits)), the one of second syllable id in bucket info[p].biOff +
	// toxHash(id, info[p].biOff)&bucketMask(info[p].biBits),
	// 1 + its row index into biW / k in the same lane. Bucket 0 is empty. A syllable's
	// bigrams lie in a cache line or a few, where one hash table of all of them (at most a
	// quarter full) took 768 KB and a likely cache miss per lookup.
	biTab []toxBucket
	biW   []float32
	// neutral: the neutral terms' syllable id sequences grouped by first syllable, as in
	// toxLearned (the group of id is neutral[info[id].neutral-1]).
	neutral [][][]int32
	veto    [][]int // by narrative: the rule atoms (absolute index) whose occurrence vetoes
	names   map[uint64]string
	// anywhere: the narratives (ascending) with a learned part that may match without
	// any of their terms occurring (learned_without_terms).
	anywhere []int
	// anyUni and anyBi hold, by syllable id, for each narrative of anywhere
	// (len(anywhere) numbers per syllable), the syllable's unigram weight and the heaviest
	// positive weight of a bigram it begins (0 if none): a bound of the post's logit from
	// above (anywhereBound).
	anyUni, anyBi []float32
}

type narrSyl struct {
	row     int32
	biOff   uint32 // with toxBiFirst: the first bucket of its bigrams in biTab
	neutral uint16
	flags   uint8 // toxBiFirst, toxBiSecond, toxNeutral (same meanings as toxSyl's)
	biBits  uint8 // with toxBiFirst: log2 of its bucket count (bucketMask)
}

// narrHit is one weighted feature occurrence of a post, syllables [from, from+1)
// (unigram) or [from, from+2) (bigram): row is its row in uniW (bigram false) or biW.
// Small (12 bytes) because the scoring loop appends one per feature.
type narrHit struct {
	row    int32
	from   int32
	bigram bool
}

// learnedNarrFile is the learned narrative component's file in a model directory.
const learnedNarrFile = "learned/narratives.tsv"

// loadLearnedNarratives reads learned/narratives.tsv: "narrative<TAB>feature<TAB>weight"
// lines, the feature "<bias>" or one or two normalized syllables separated by a space.
// Lines of a narrative the model does not have are skipped with a warning; a narrative
// with features and no <bias> line is an error. It runs after the narratives are loaded.
func (m *lexModel) loadLearnedNarratives(fsys fs.FS, name string) error {
	k := len(m.narratives)
	nl := &narrLearned{k: k, bias: make([]float64, k), names: map[uint64]string{}}
	for i := range nl.bias {
		nl.bias[i] = math.Inf(-1)
	}
	hasBias := make([]bool, k)
	feats := map[uint64]*narrFeat{}
	var order []uint64
	var skipped []string
	err := tsvLines(fsys, name, func(f []string) error {
		if len(f) != 3 {
			return fmt.Errorf("want narrative<TAB>feature<TAB>weight, got %d fields", len(f))
		}
		ni := slices.IndexFunc(m.narratives, func(d narrativeDef) bool { return d.ID == f[0] })
		if ni < 0 {
			// An operator who drops a narrative's YAML keeps the shipped file: its lines
			// for that narrative have nothing to add to and are skipped (logged below).
			if !slices.Contains(skipped, f[0]) {
				skipped = append(skipped, f[0])
			}
			return nil
		}
		w, err := parseWeight(f[2], -50, 50)
		if err != nil {
			return err
		}
		if f[1] == learnedToxBias {
			if hasBias[ni] {
				return fmt.Errorf("%s: bias listed twice", f[0])
			}
			nl.bias[ni], hasBias[ni] = w, true
			return nil
		}
		syls := strings.Split(f[1], " ")
		if len(syls) > 2 || slices.Contains(syls, "") {
			return fmt.Errorf("feature %q must be one or two syllables", f[1])
		}
		ids := m.symIDs(syls)
		key := toxKey(ids)
		ft := feats[key]
		if ft == nil {
			ft = &narrFeat{ids: ids, w: make([]float32, k)}
			feats[key] = ft
			order = append(order, key)
			nl.names[key] = f[1]
		} else if ft.w[ni] != 0 {
			return fmt.Errorf("%s: feature %q listed twice", f[0], f[1])
		}
		ft.w[ni] = float32(w)
		return nil
	})
	if err != nil {
		return err
	}
	if len(skipped) > 0 {
		slog.Warn("mô hình học chủ đề có chủ đề không còn trong mô hình, bỏ qua / learned narrative file names narratives the model no longer has, skipped", "file", name, "narratives", skipped)
	}
	for i, d := range m.narratives {
		if !hasBias[i] && slices.ContainsFunc(order, func(key uint64) bool { return feats[key].w[i] != 0 }) {
			return fmt.Errorf("%s: %w: narrative %q has features but no %s line", name, ErrModelFile, d.ID, learnedToxBias)
		}
		nl.veto = append(nl.veto, d.exclusions())
		if d.learnedWithoutTerms && hasBias[i] {
			nl.anywhere = append(nl.anywhere, i)
		}
	}
	nl.info = make([]narrSyl, m.nsyms+1)
	seconds := map[int32][]narrSecond{} // bigrams by first syllable id
	for _, key := range order {
		f := feats[key]
		if len(f.ids) == 1 {
			nl.info[f.ids[0]].row = int32(len(nl.uniW)/k) + 1
			nl.uniW = append(nl.uniW, f.w...)
			continue
		}
		nl.info[f.ids[0]].flags |= toxBiFirst
		nl.info[f.ids[1]].flags |= toxBiSecond
		seconds[f.ids[0]] = append(seconds[f.ids[0]], narrSecond{id: f.ids[1], row: len(nl.biW) / k})
		nl.biW = append(nl.biW, f.w...)
	}
	if err := nl.buildBigrams(seconds); err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrModelFile, err)
	}
	neutralIDs, neutral, err := m.neutralGroups()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if int(m.nsyms)+1 > len(nl.info) { // the neutral terms' syllables may be new
		nl.info = append(nl.info, make([]narrSyl, int(m.nsyms)+1-len(nl.info))...)
	}
	nl.neutral = neutral
	for g, id := range neutralIDs {
		nl.info[id].flags |= toxNeutral
		nl.info[id].neutral = uint16(g + 1)
	}
	nl.buildUpperBounds(feats, order)
	m.learnedNarr = nl
	return nil
}

// narrFeat is one feature of the file being loaded: its syllable ids and its weight by
// narrative.
type narrFeat struct {
	ids []int32
	w   []float32
}

// buildUpperBounds fills anyUni and anyBi from the features (feats by key, in order).
func (nl *narrLearned) buildUpperBounds(feats map[uint64]*narrFeat, order []uint64) {
	na := len(nl.anywhere)
	if na == 0 {
		return
	}
	uni := make([]float32, len(nl.info)*na)
	bi := make([]float32, len(nl.info)*na)
	for _, key := range order {
		f := feats[key]
		dst := uni
		if len(f.ids) == 2 {
			dst = bi
		}
		for j, i := range nl.anywhere {
			at := int(f.ids[0])*na + j
			if len(f.ids) == 1 {
				dst[at] = f.w[i]
			} else if w := f.w[i]; w > 0 {
				dst[at] = max(dst[at], w)
			}
		}
	}
	nl.anyUni, nl.anyBi = uni, bi
}

// narrSecond is a bigram's second syllable (id) and the bigram's row index into biW / k.
type narrSecond struct {
	id  int32
	row int
}

// buildBigrams fills biTab and the syllables' bucket ranges from the bigrams by first
// syllable id.
func (nl *narrLearned) buildBigrams(seconds map[int32][]narrSecond) error {
	nl.biTab = make([]toxBucket, 1) // bucket 0: empty
	for _, first := range slices.Sorted(maps.Keys(seconds)) {
		secs := seconds[first]
		keys, idx := make([]int32, len(secs)), make([]int, len(secs))
		for j, sec := range secs {
			keys[j], idx[j] = sec.id, sec.row+1
			if sec.id > math.MaxUint16 || idx[j] > math.MaxUint16 {
				return fmt.Errorf("too many syllables or bigrams (%d, %d) for 16-bit indexes", sec.id, idx[j])
			}
		}
		tab, off, bits, err := placeBuckets(nl.biTab, keys, idx)
		if err != nil {
			return err
		}
		nl.info[first].biOff, nl.info[first].biBits = off, bits
		nl.biTab = tab
	}
	return nil
}

// exclusions returns the absolute indexes of the atoms of the rule's top-level exclusions:
// the operands of NOT (an atom, or atoms joined by OR) among the rule's top-level AND
// operands. A learned match is vetoed by them as a rule match is ("AND NOT @debunk": a
// debunk article is not misinformation).
func (d *narrativeDef) exclusions() []int {
	if d.rule == nil {
		return nil
	}
	var out []int
	var and func(n *ruleNode)
	var atoms func(n *ruleNode) ([]int, bool)
	atoms = func(n *ruleNode) ([]int, bool) {
		switch n.op {
		case opAtom:
			return []int{d.atom0 + n.atom}, true
		case opOr:
			a, okA := atoms(n.a)
			b, okB := atoms(n.b)
			return append(a, b...), okA && okB
		}
		return nil, false
	}
	and = func(n *ruleNode) {
		switch n.op {
		case opAnd:
			and(n.a)
			and(n.b)
		case opNot:
			if a, ok := atoms(n.a); ok {
				out = append(out, a...)
			}
		}
	}
	and(d.rule.root)
	return out
}

// narrPass holds one post's learned narrative feature occurrences.
type narrPass struct {
	// neutral: the post names an authority (a neutral term occurs); then the component
	// matches nothing (see matches).
	neutral bool
	hits    []narrHit
	// stamp marks the features counted in this post (unigram rows, then bigram rows),
	// stamped with gen, reused across posts; a byte each, so that the 13,000 stamps take
	// 13 KB of cache, not 52 (cleared when gen wraps).
	owner *narrLearned
	gen   uint8
	stamp []uint8
	// z: anywhereBound's sums by index into nl.anywhere (reused across posts).
	z []float64
	// seen stamps the syllable ids counted by anywhereBound in this post (seenGen).
	seen    []uint8
	seenGen uint8
}

// score collects the distinct weighted features of a post's syllables into p (reused
// across posts); logit sums them for one narrative, as only the few candidate narratives
// the rules did not match need a logit. Features are binary: each distinct feature counts
// once. Syllables inside an occurrence of a neutral term are masked as in
// toxLearned.logit, so no feature touches one.
func (nl *narrLearned) score(syls []syllable, p *narrPass) {
	k := nl.k
	p.hits = p.hits[:0]
	nuni := len(nl.uniW) / k
	if p.owner != nl {
		*p = narrPass{owner: nl, hits: p.hits, stamp: make([]uint8, nuni+len(nl.biW)/k)}
	}
	if p.gen++; p.gen == 0 { // wrapped: old stamps could repeat
		clear(p.stamp)
		p.gen = 1
	}
	maskEnd := 0
	p.neutral = false
	var prev *narrSyl // the previous syllable when it begins a bigram and is not masked
	info := nl.info
	stamp, gen := p.stamp, p.gen
	for i := range syls {
		id := syls[i].nid
		if uint(id) >= uint(len(info)) || id <= 0 {
			prev = nil
			continue
		}
		s := &info[id]
		if s.flags == 0 && s.row == 0 { // most syllables: no part
			prev = nil
			continue
		}
		if s.flags&toxNeutral != 0 {
			maskEnd = max(maskEnd, neutralEndIn(nl.neutral[s.neutral-1], syls, i))
			p.neutral = p.neutral || maskEnd > i
		}
		if i < maskEnd {
			prev = nil
			continue
		}
		if prev != nil && s.flags&toxBiSecond != 0 {
			if b := nl.biTab[prev.biOff+toxHash(id, prev.biOff)&bucketMask(prev.biBits)].find(id); b != 0 && stamp[nuni+int(b)-1] != gen {
				r := int32(b) - 1
				stamp[nuni+int(r)] = gen
				p.hits = append(p.hits, narrHit{row: r, bigram: true, from: int32(i - 1)})
			}
		}
		prev = nil
		if s.flags&toxBiFirst != 0 {
			prev = s
		}
		if s.row > 0 {
			if r := s.row - 1; stamp[r] != gen {
				stamp[r] = gen
				p.hits = append(p.hits, narrHit{row: r, from: int32(i)})
			}
		}
	}
}

// anywhereBound reports whether one of the narratives learned without terms could reach
// its threshold in the post, by a bound of its logit from above: the unigram weights of
// the post's distinct syllables plus, for every syllable, the heaviest positive bigram it
// begins (a syllable begins at most one bigram of the post). It reads two arrays by
// syllable id, where the exact sum needs the bigram table. Masking is ignored: a post
// that names an authority matches nothing anyway.
func (nl *narrLearned) anywhereBound(syls []syllable, p *narrPass) bool {
	na, n := len(nl.anywhere), len(nl.info)
	if cap(p.z) < na {
		p.z = make([]float64, na)
	}
	if len(p.seen) != n {
		p.seen, p.seenGen = make([]uint8, n), 0
	}
	if p.seenGen++; p.seenGen == 0 {
		clear(p.seen)
		p.seenGen = 1
	}
	z := p.z[:na]
	for j, i := range nl.anywhere {
		z[j] = nl.bias[i]
	}
	uni, bi, seen, gen := nl.anyUni, nl.anyBi, p.seen, p.seenGen
	for i := range syls {
		id := int(syls[i].nid)
		if id <= 0 || id >= n {
			continue
		}
		at := id * na
		b := bi[at : at+na]
		for j := range z {
			z[j] += float64(b[j])
		}
		if seen[id] != gen {
			seen[id] = gen
			u := uni[at : at+na]
			for j := range z {
				z[j] += float64(u[j])
			}
		}
	}
	for _, v := range z {
		if v >= -1e-6 { // the exact check decides; rounding must not rule a post out
			return true
		}
	}
	return false
}

// logit returns narrative i's learned logit for the post scored into p (the weights
// summed in the order of the features' first occurrence, then the bias) and whether one
// of the post's features weighs towards i.
func (nl *narrLearned) logit(p *narrPass, i int) (z float64, positive bool) {
	for _, h := range p.hits {
		w := nl.weight(h, i)
		z += float64(w)
		positive = positive || w > 0
	}
	return z + nl.bias[i], positive
}

func (nl *narrLearned) weight(h narrHit, i int) float32 {
	if h.bigram {
		return nl.biW[int(h.row)*nl.k+i]
	}
	return nl.uniW[int(h.row)*nl.k+i]
}

// matches reports whether the learned component says narrative i: logit at least 0, a
// feature weighing towards it, none of its rule's exclusions occurring (occ, nil when the
// post has no rule-term occurrence), and no authority named. On a post that names one
// (a neutral term) only the rules decide: the component cannot see those words (they are
// masked) and learned from a few hundred posts that venting words ("cút", "cả lũ",
// "vô dụng") go with harassment, so criticism of officials would match it.
func (nl *narrLearned) matches(p *narrPass, i int, occ [][]ruleSpan) (float64, bool) {
	if p.neutral || math.IsInf(nl.bias[i], -1) {
		return 0, false
	}
	z, positive := nl.logit(p, i)
	if z < 0 || !positive {
		return 0, false
	}
	for _, a := range nl.veto[i] {
		if a < len(occ) && len(occ[a]) > 0 {
			return 0, false
		}
	}
	return z, true
}

// maxNarrLearnedEvidence bounds the learned features reported for one narrative.
const maxNarrLearnedEvidence = 8

// addLearnedNarratives adds to a the narratives the learned component finds that the
// rules did not (a.Narratives holds the rule matches), among the candidates one of whose
// terms occurs (sc.narrCands, set by scoreNarratives), with the heaviest positive
// features as evidence appended to evidence, which it returns. The score is the
// component's probability (0.5 at the threshold). namesAuthority: the caller already knows
// that a neutral term occurs (false when it does not know or none does).
func (m *lexModel) addLearnedNarratives(a *post.Analysis, sc *scratch, toks []vntext.Token, syls []syllable, occ [][]ruleSpan, evidence []post.Evidence, namesAuthority bool) []post.Evidence {
	nl := m.learnedNarr
	if namesAuthority {
		// The post names an authority, so the component matches nothing (see matches):
		// the learned toxicity component's scan, which masks the same neutral terms by
		// the same syllable ids, already found one.
		return evidence
	}
	// Only a candidate that the learned part could still add needs the post scored:
	// often there is none.
	cands := nl.candidates(sc)
	if !slices.ContainsFunc(cands, func(i int) bool { return m.learnedMayAdd(a, i, occ) }) {
		return evidence
	}
	p := &sc.narr
	if len(sc.narrCands) == 0 && !nl.anywhereBound(syls, p) {
		// Only narratives learned without terms are in question, in a post that holds
		// none of any narrative's terms (most posts): a bound of their logits, read from
		// two arrays by syllable id, rules most of them out before the features are
		// collected.
		return evidence
	}
	nl.score(syls, p)
	added := false
	var span func(match) (int, int)
	for _, i := range cands {
		n := &m.narratives[i]
		if slices.ContainsFunc(a.Narratives, func(x post.Narrative) bool { return x.ID == n.ID }) || slices.Contains(n.learnedNotWhen, a.Sentiment.Label) {
			continue
		}
		z, ok := nl.matches(p, i, occ)
		if !ok {
			continue
		}
		if span == nil { // few posts get here
			span = func(mt match) (int, int) { return matchSpan(toks, syls, mt) }
		}
		added = true
		a.Narratives = append(a.Narratives, post.Narrative{ID: n.ID, Score: round3(max(0.5, sigmoid(z)))})
		if n.severity >= flagSeverity {
			a.Flagged = true
		}
		evidence = nl.evidence(evidence, p, i, n.ID, syls, span)
	}
	if added && len(a.Narratives) > 1 {
		slices.SortStableFunc(a.Narratives, func(x, y post.Narrative) int { return cmp.Compare(y.Score, x.Score) })
	}
	return evidence
}

// candidates returns, ascending, the narratives the learned part may consider for the
// post: the rules' candidates (sc.narrCands) and those learned without terms. The result
// lives in sc.
func (nl *narrLearned) candidates(sc *scratch) []int {
	if len(nl.anywhere) == 0 {
		return sc.narrCands
	}
	if len(sc.narrCands) == 0 {
		return nl.anywhere
	}
	c := append(append(sc.learnedCands[:0], sc.narrCands...), nl.anywhere...)
	slices.Sort(c)
	c = slices.Compact(c)
	sc.learnedCands = c
	return c
}

// learnedMayAdd reports whether the learned component may add narrative i to a, before
// the post is scored: i has a learned part, the rules did not match it, its
// learned_not_when_sentiment does not hold a's sentiment and none of its rule's
// exclusions occurs (occ). The scores then decide (matches).
func (m *lexModel) learnedMayAdd(a *post.Analysis, i int, occ [][]ruleSpan) bool {
	nl, n := m.learnedNarr, &m.narratives[i]
	if math.IsInf(nl.bias[i], -1) || slices.Contains(n.learnedNotWhen, a.Sentiment.Label) ||
		slices.ContainsFunc(a.Narratives, func(x post.Narrative) bool { return x.ID == n.ID }) {
		return false
	}
	return !slices.ContainsFunc(nl.veto[i], func(at int) bool { return at < len(occ) && len(occ[at]) > 0 })
}

// evidence appends narrative i's heaviest positive features of the post (at most
// maxNarrLearnedEvidence) to dst.
func (nl *narrLearned) evidence(dst []post.Evidence, p *narrPass, i int, id string, syls []syllable, span func(match) (int, int)) []post.Evidence {
	w := func(h narrHit) float32 { return nl.weight(h, i) }
	hits := slices.Clone(p.hits)
	slices.SortStableFunc(hits, func(x, y narrHit) int { return cmp.Compare(w(y), w(x)) })
	for n, h := range hits {
		if n == maxNarrLearnedEvidence || w(h) <= 0 {
			break
		}
		from, to, key := int(h.from), int(h.from)+1, uint64(uint32(syls[h.from].nid))
		if h.bigram {
			to, key = to+1, key<<32|uint64(uint32(syls[from+1].nid))
		}
		start, end := span(match{from: from, to: to})
		dst = append(dst, post.Evidence{For: id, Term: nl.names[key], Start: start, End: end, Weight: round3(float64(w(h)))})
	}
	return dst
}

// NarrativeGates returns, for text, the ids of m's narratives the learned narrative
// component may match (candidates: those one of whose terms occurs, a weighted term or a
// rule atom other than an exclusion, see narrativeCandidates, and those marked
// learned_without_terms) and the ids of those it cannot match (excluded: their rule's
// exclusions, the operands of a top-level AND NOT such as health_misinfo's debunk
// markers, occur, or their learned_not_when_sentiment holds the post's sentiment).
// Training (package learn) uses them to score "rules OR learned" as Analyze does; nil
// when m is not a lexicon model.
func NarrativeGates(m Model, text string) (candidates, excluded []string) {
	lm, ok := m.(*lexModel)
	if !ok {
		return nil, nil
	}
	sc := getScratch()
	defer putScratch(sc)
	toks, syls := sc.syllables(text, lm)
	occ := sc.emptyOccurrences(lm.atoms)
	var seen []int32 // the weighted narrative terms, as Analyze counts them
	for _, mt := range lm.findMatchesInto(sc, text, toks, syls, occ) {
		if t := lm.terms[mt.term]; t.group >= groupNarrative0 && t.weight > 0 {
			seen = append(seen, mt.term)
		}
	}
	cand := lm.narrativeCandidates(sc, seen, occ)
	var sentiment string // the post's, computed only if a narrative asks
	for i, n := range lm.narratives {
		if slices.Contains(cand, i) || n.learnedWithoutTerms {
			candidates = append(candidates, n.ID)
		}
		if len(n.learnedNotWhen) > 0 && sentiment == "" {
			sentiment = lm.Analyze(text).Sentiment.Label
		}
		if slices.ContainsFunc(n.exclusions(), func(a int) bool { return len(occ[a]) > 0 }) || slices.Contains(n.learnedNotWhen, sentiment) {
			excluded = append(excluded, n.ID)
		}
	}
	return candidates, excluded
}
