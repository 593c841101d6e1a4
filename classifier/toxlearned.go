package classifier

import (
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/langnghe/langnghe/post"
)

// toxLearned is the default model's learned toxicity component (learned/toxicity.tsv):
// a binary logistic regression over the distinct word unigrams and bigrams of a post's
// normalized syllables, trained on ViHOS (see models/README.md). Its decision threshold
// is folded into the bias, so a post is toxic by it when the logit is at least 0.
// Syllables inside an occurrence of a neutral term (neutral_terms.tsv) are masked exactly
// as in training (FeatureExtractor with WithNeutralTerms), so the model never scores
// officials, institutions or political labels.
type toxLearned struct {
	bias float64
	// info holds, by syllable id of lexModel.syms, the syllable's unigram weight and
	// whether it begins a weighted bigram or a neutral term, so the common syllable costs
	// one array read.
	info []toxSyl
	// feat holds the toxSyl of the syllables that play a part (feat[0]: the zero toxSyl)
	// and featIdx, by syllable id, their index in it: a post's syllables carry that index
	// (syllable.feat), so logit reads this small array, not info.
	feat    []toxSyl
	featIdx []int32
	bi      keyTable // bigram (first id << 32 | second id) -> its index in biW
	biW     []float32
	// neutral holds the neutral terms' syllable id sequences (normalized, and folded for
	// foldable terms), as neutralSet.mask matches them, grouped by first syllable: the
	// group of syllable id is neutral[info[id].neutral-1].
	neutral [][][]int32
	names   map[uint64]string // feature -> its text, for evidence
}

type toxSyl struct {
	uni     float32
	flags   uint8  // toxUni, toxBiFirst, toxBiSecond, toxNeutral; 0: the syllable plays no part
	neutral uint16 // with toxNeutral: 1 + the index of the terms it begins in toxLearned.neutral
}

const (
	toxUni      = 1 << iota // has a unigram weight
	toxBiFirst              // begins a weighted bigram
	toxBiSecond             // ends a weighted bigram
	toxNeutral              // begins a neutral term
)

// keyTable maps a nonzero uint64 key to a small index by open addressing (a Go map
// costs several times more per lookup): the learned component's bigrams, and the
// matcher's trie edges. Lookups are made for most syllables of a post.
type keyTable struct {
	keys  []uint64 // 0: empty (syllable ids and trie nodes start at 1, so no key is 0)
	idx   []int32
	n     int // keys in use
	shift uint
}

func newKeyTable(n int) keyTable {
	size, bits := 4, uint(2)
	for size < 4*n { // at most a quarter full: most lookups miss and stop at the first empty slot
		size, bits = size*2, bits+1
	}
	return keyTable{keys: make([]uint64, size), idx: make([]int32, size), shift: 64 - bits}
}

func (t *keyTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

// get returns the index stored for k. t must come from newKeyTable (or have had a put).
func (t *keyTable) get(k uint64) (int32, bool) {
	mask := uint64(len(t.keys) - 1)
	for s := t.slot(k); t.keys[s] != 0; s = (s + 1) & mask {
		if t.keys[s] == k {
			return t.idx[s], true
		}
	}
	return 0, false
}

// put stores i for k, doubling the table when it would pass a quarter full.
func (t *keyTable) put(k uint64, i int32) {
	if 4*(t.n+1) > len(t.keys) {
		old := *t
		*t = newKeyTable(2 * (t.n + 1))
		for s, ok := range old.keys {
			if ok != 0 {
				t.put(ok, old.idx[s])
			}
		}
	}
	mask := uint64(len(t.keys) - 1)
	for s := t.slot(k); ; s = (s + 1) & mask {
		if t.keys[s] == 0 {
			t.n++
		}
		if t.keys[s] == 0 || t.keys[s] == k {
			t.keys[s], t.idx[s] = k, i
			return
		}
	}
}

// toxHit is one weighted feature occurrence of a post, syllables [from, to).
type toxHit struct {
	key      uint64
	w        float32
	from, to int
}

// learnedToxBias is the file's key for the bias; no syllable contains "<".
const learnedToxBias = "<bias>"

// loadLearnedToxicity reads learned/toxicity.tsv: "<bias><TAB>b" and "feature<TAB>weight"
// lines, a feature being one or two normalized syllables separated by a space. It runs
// after every lexicon is loaded, so the syllables it adds to the symbol table get ids
// past the tries' roots.
func (m *lexModel) loadLearnedToxicity(fsys fs.FS, name string) error {
	lt := &toxLearned{names: map[uint64]string{}}
	type feat struct {
		ids []int32
		w   float64
	}
	var feats []feat
	seenBias := false
	err := tsvLines(fsys, name, func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want feature<TAB>weight, got %d fields", len(f))
		}
		w, err := parseWeight(f[1], -20, 20)
		if err != nil {
			return err
		}
		if f[0] == learnedToxBias {
			lt.bias, seenBias = w, true
			return nil
		}
		syls := strings.Split(f[0], " ")
		if len(syls) > 2 || slices.Contains(syls, "") {
			return fmt.Errorf("feature %q must be one or two syllables", f[0])
		}
		ids := m.symIDs(syls)
		k := toxKey(ids)
		if _, dup := lt.names[k]; dup {
			return fmt.Errorf("feature %q listed twice", f[0])
		}
		lt.names[k] = f[0]
		feats = append(feats, feat{ids, w})
		return nil
	})
	if err != nil {
		return err
	}
	if !seenBias {
		return fmt.Errorf("%s: %w: no %s line", name, ErrModelFile, learnedToxBias)
	}
	neutral := map[int32][][]int32{} // neutral terms by first syllable id
	if m.neutral != nil {
		for _, cands := range m.neutral.byFirst {
			for _, c := range cands {
				ids := m.symIDs(c)
				neutral[ids[0]] = append(neutral[ids[0]], ids)
			}
		}
	}
	if len(neutral) >= math.MaxUint16 {
		return fmt.Errorf("%s: %w: %d neutral first syllables, at most %d", name, ErrModelFile, len(neutral), math.MaxUint16-1)
	}
	lt.info = make([]toxSyl, m.nsyms+1)
	nbi := 0
	for _, f := range feats {
		if len(f.ids) == 2 {
			nbi++
		}
	}
	lt.bi = newKeyTable(nbi)
	for _, f := range feats {
		if len(f.ids) == 1 {
			lt.info[f.ids[0]].uni = float32(f.w)
			lt.info[f.ids[0]].flags |= toxUni
		} else {
			lt.info[f.ids[0]].flags |= toxBiFirst
			lt.info[f.ids[1]].flags |= toxBiSecond
			lt.bi.put(toxKey(f.ids), int32(len(lt.biW)))
			lt.biW = append(lt.biW, float32(f.w))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(neutral)) {
		lt.neutral = append(lt.neutral, neutral[id])
		lt.info[id].flags |= toxNeutral
		lt.info[id].neutral = uint16(len(lt.neutral))
	}
	lt.feat = []toxSyl{{}}
	lt.featIdx = make([]int32, len(lt.info))
	for id, s := range lt.info {
		if s.flags != 0 {
			lt.featIdx[id] = int32(len(lt.feat))
			lt.feat = append(lt.feat, s)
		}
	}
	m.learnedTox = lt
	return nil
}

// featOf returns the index in lt.feat of syllable id, 0 when it plays no part or lt
// is nil (a model without the component).
func (lt *toxLearned) featOf(id int32) int32 {
	if lt == nil || uint(id) >= uint(len(lt.featIdx)) {
		return 0
	}
	return lt.featIdx[id]
}

func toxKey(ids []int32) uint64 {
	if len(ids) == 1 {
		return uint64(uint32(ids[0]))
	}
	return uint64(uint32(ids[0]))<<32 | uint64(uint32(ids[1]))
}

// toxSeen marks the features a post already counted (features are binary): a stamp
// per feature, unigrams by index in toxLearned.feat, then bigrams by index, reused
// across posts.
type toxSeen struct {
	owner *toxLearned
	gen   uint8
	stamp []uint8 // one byte each, so the array stays small in cache; cleared when gen wraps
}

// logit returns the learned logit of a post's syllables (threshold folded in: toxic at
// >= 0), -Inf when no feature weighs towards toxic (the component flags only on positive
// evidence), and appends its weighted feature occurrences, each feature once, to hits.
// It also reports whether a neutral term occurs: the masking finds them anyway, and
// Analyze needs to know (neutralSet.occursIn, which matches the same sequences).
func (lt *toxLearned) logit(syls []syllable, hits []toxHit, seen *toxSeen) (float64, []toxHit, bool) {
	if seen.owner != lt {
		*seen = toxSeen{owner: lt, stamp: make([]uint8, len(lt.feat)+len(lt.biW))}
	}
	if seen.gen++; seen.gen == 0 { // wrapped: old stamps could repeat
		clear(seen.stamp)
		seen.gen = 1
	}
	n0 := len(hits)
	hits = slices.Grow(hits, 2*len(syls)) // at most a unigram and a bigram per syllable: no append grows
	p := toxPass{lt: lt, z: lt.bias, hits: hits, gen: seen.gen, stamp: seen.stamp}
	// Syllables before maskEnd lie in a neutral term. Terms are found at their first
	// syllable, in text order, so the union of their spans up to syllable i is one
	// interval ending at maskEnd.
	maskEnd := 0
	feat := lt.feat
	var prev int32 // the previous syllable's id if it begins a bigram, else 0
	for i := range syls {
		id, f := syls[i].nid, syls[i].feat
		// No early exit for syllables that play no part (f 0): whether one does is a coin
		// toss per syllable, a branch the CPU mispredicts often, while the checks below
		// are nearly always false and feat[0], without a unigram weight, adds 0.
		s := &feat[f]
		if s.flags&toxNeutral != 0 {
			maskEnd = max(maskEnd, lt.neutralEnd(syls, i, s.neutral))
		}
		if i < maskEnd {
			prev = 0
			continue
		}
		if prev > 0 && s.flags&toxBiSecond != 0 {
			p.bigram(prev, id, i)
		}
		prev = id & -int32(s.flags&toxBiFirst/toxBiFirst) // id if it begins a bigram, else 0, without a branch
		p.unigram(id, f, s.uni, i)
	}
	if len(p.hits) == n0 {
		return math.Inf(-1), p.hits, maskEnd > 0
	}
	return p.z, p.hits, maskEnd > 0
}

// toxPass is the running sum of one logit call. It lives apart from logit's loop, and
// features are counted in methods, so the loop over syllables keeps its few variables in
// registers (with everything inline the compiler spilled them to the stack every step).
type toxPass struct {
	lt    *toxLearned
	z     float64
	hits  []toxHit
	gen   uint8
	stamp []uint8 // toxSeen.stamp: unigrams by feature index, then bigrams by index
}

// unigram counts the unigram of syllable i (id, index f in feat, weight w) unless the
// post already did. A syllable that plays no part (f 0) has w 0: it adds 0 and no hit.
// Whether the feature is new to the post decides by a mask, not a branch: for f 0 it
// is new only the first time in a post, a pattern the CPU mispredicted often.
func (p *toxPass) unigram(id, f int32, w float32, i int) {
	var fresh uint32 // all ones if the post did not count feature f yet
	if p.stamp[f] != p.gen {
		fresh = ^uint32(0)
	}
	p.stamp[f] = p.gen
	w = math.Float32frombits(math.Float32bits(w) & fresh)
	p.z += float64(w)
	if w > 0 {
		p.hits = append(p.hits, toxHit{key: uint64(uint32(id)), w: w, from: i, to: i + 1})
	}
}

// bigram counts the bigram of syllables i-1 and i (ids first, second) if it is weighted
// and the post did not count it yet.
func (p *toxPass) bigram(first, second int32, i int) {
	k := uint64(uint32(first))<<32 | uint64(uint32(second))
	b, ok := p.lt.bi.get(k)
	if !ok {
		return
	}
	bi := int(b)
	if st := &p.stamp[len(p.lt.feat)+bi]; *st != p.gen {
		*st = p.gen
		w := p.lt.biW[bi]
		p.z += float64(w)
		if w > 0 {
			p.hits = append(p.hits, toxHit{key: k, w: w, from: i - 1, to: i + 1})
		}
	}
}

// neutralEnd returns the end of the longest neutral term occurring at syllable i (matched
// as neutralSet.mask matches strings), or 0; group is syllable i's toxSyl.neutral.
func (lt *toxLearned) neutralEnd(syls []syllable, i int, group uint16) int {
	end := 0
	for _, c := range lt.neutral[group-1] {
		if i+len(c) > len(syls) || i+len(c) <= end {
			continue
		}
		ok := true
		for j := 1; j < len(c); j++ {
			if syls[i+j].nid != c[j] {
				ok = false
				break
			}
		}
		if ok {
			end = i + len(c)
		}
	}
	return end
}

// sigmoid maps the learned logit to a score, 0.5 at the threshold.
func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

const (
	// maxToxLearnedEvidence bounds the learned features reported for one post: the heaviest.
	maxToxLearnedEvidence = 8
	// learnedHateMin: a learned feature this heavy within targetWindow syllables of a
	// protected group makes the post hate, as an offensive lexicon term there does.
	learnedHateMin = 1.0
)

// evidence appends the post's positive learned features (the heaviest first, at most
// maxToxLearnedEvidence, leaving out spans the lexicon already reports) to dst, and reports
// whether one of them at least learnedHateMin heavy lies near a protected-group mention
// (then the mention is evidence too) and how many that heavy it found.
func (lt *toxLearned) evidence(m *lexModel, dst []post.Evidence, hits []toxHit, targets []match, lexEv []post.Evidence, span func(match) (int, int)) ([]post.Evidence, bool, int) {
	slices.SortStableFunc(hits, func(x, y toxHit) int { return cmp.Compare(y.w, x.w) })
	hate, n, strong := false, 0, 0
	for _, h := range hits {
		if h.w <= 0 {
			break
		}
		mt := match{from: h.from, to: h.to}
		if h.w >= learnedHateMin && len(targets) > 0 && !hate {
			if tg, ok := nearTarget(targets, mt); ok {
				// The group mention is evidence of the hate, as for lexicon terms.
				hate = true
				ts, te := span(tg)
				dst = append(dst, post.Evidence{For: "toxicity", Term: m.terms[tg.term].text, Start: ts, End: te, Weight: round3(float64(h.w))})
			}
		}
		start, end := span(mt)
		if slices.ContainsFunc(lexEv, func(e post.Evidence) bool { return e.Start < end && start < e.End }) {
			continue
		}
		if h.w >= learnedHateMin {
			strong++
		}
		if n == maxToxLearnedEvidence {
			continue
		}
		dst = append(dst, post.Evidence{For: "toxicity", Term: lt.names[h.key], Start: start, End: end, Weight: round3(float64(h.w))})
		n++
	}
	return dst, hate, strong
}

// addressed reports whether a positively weighted learned feature (a word ViHOS
// annotators marked as abuse, see models/README.md), not already reported as a lexicon
// term nor the address word itself, lies within addresseeWindow of an addressee
// (lexicon/addressees.tsv): an insult the lexicons miss, aimed at a person. hits must be
// sorted heaviest first, as evidence leaves them.
func (lt *toxLearned) addressed(hits []toxHit, addressees []match, lexEv []post.Evidence, span func(match) (int, int)) (match, bool) {
	for _, h := range hits {
		if h.w <= 0 {
			break // hits are sorted, heaviest first (evidence)
		}
		mt := match{from: h.from, to: h.to}
		ad, ok := nearWithin(addressees, mt, addresseeWindow)
		if !ok || ad.from <= mt.from && mt.to <= ad.to { // the address word itself ("mụ") insults no one
			continue
		}
		start, end := span(mt)
		if !slices.ContainsFunc(lexEv, func(e post.Evidence) bool { return e.Start < end && start < e.End }) {
			return ad, true
		}
	}
	return match{}, false
}
