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
	"github.com/langnghe/langnghe/vntext"
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
	// feat holds the toxSyl of the syllables that play a part (feat[0]: the zero toxSyl)
	// and featIdx, by syllable id, their index in it. A post's syllables carry that index
	// (syllable.feat, with featOf's bits above it, from featKey), so logit reads this
	// small array, not a table over every id, and most posts need not read it at all.
	feat    []toxSyl
	featIdx []int32
	featKey []int32 // by syllable id: what featOf returns
	// biTab holds the weighted bigrams, grouped by first syllable: the bigrams beginning
	// with the syllable of feat index p lie in the buckets feat[p].biOff + (0 ..
	// feat[p].biOff + bucketMask(feat[p].biBits)), the one of second syllable f in bucket
	// feat[p].biOff + toxHash(f, feat[p].biOff)&bucketMask(feat[p].biBits), its index in biW
	// in the same lane. biW[0] is 0 (no bigram) and bucket 0 is empty. A syllable's bigrams
	// lie in a cache line or a few, where one hash table of all of them, at most a quarter
	// full, took 96 KB.
	biTab []toxBucket
	biW   []float32
	biPos int // the bigrams from biPos on weigh towards toxic (> 0), those before not
	// neutral holds the neutral terms' syllable id sequences (normalized, and folded for
	// foldable terms), as neutralSet.mask matches them, grouped by first syllable: the
	// group of the syllable of feat index f is neutral[neutralOf[f]-1].
	neutral   [][][]int32
	neutralOf []uint16
	names     map[uint64]string // feature -> its text, for evidence
}

// toxSyl is what logit needs of one syllable, 8 bytes so feat stays small in cache.
type toxSyl struct {
	uni    float32
	biOff  uint16 // with toxBiFirst: the first bucket of its bigrams in toxLearned.biTab
	flags  uint8  // toxUni, toxBiFirst, toxBiSecond, toxNeutral; 0: the syllable plays no part
	biBits uint8  // with toxBiFirst: log2 of its bucket count (bucketMask)
}

const (
	toxUni       = 1 << iota // has a unigram weight
	toxBiFirst               // begins a weighted bigram
	toxBiSecond              // ends a weighted bigram
	toxNeutral               // begins a neutral term
	toxPos                   // its unigram weighs towards toxic (weight > 0)
	toxPosFirst              // begins a bigram that weighs towards toxic
	toxPosSecond             // ends a bigram that weighs towards toxic
	toxUnit                  // a unit word ("l", "đ"): masked after an amount or a size word (unitAt)
)

// toxBucket holds up to 4 bigrams of one first syllable: lane k (16 bits) of keys is
// the feat index of a second syllable, lane k of idx the bigram's index in biW; unused
// lanes are 0 in both.
type toxBucket struct{ keys, idx uint64 }

// toxHash hashes the key of a bigram's second syllable to its bucket among the first
// syllable's buckets, which begin at off (masked by the caller with bucketMask; 16 bits,
// at most maxBuckets buckets).
// Keying the hash with off lets placeBuckets move a first syllable's buckets by a few
// empty ones until no bucket overflows, so every set of keys finds a layout: with the
// key alone, a lexicon edit that renumbers syllables could leave five keys in one
// bucket and the model would not load.
func toxHash(f int32, off uint32) uint32 { return (uint32(f) ^ off) * 0x9E3779B1 >> 16 }

// bucketMask is the mask of a first syllable's 1 << bits buckets (bits < 16: the &15 lets
// the compiler emit a plain shift).
func bucketMask(bits uint8) uint32 { return 1<<(bits&15) - 1 }

const (
	toxLanes = 0x0001_0001_0001_0001 // 1 in each 16-bit lane
	toxLow   = 0x7FFF_7FFF_7FFF_7FFF
	toxHigh  = 0x8000_8000_8000_8000
)

// find returns the index in biW of the bigram of bk whose second syllable has feat
// index f, or 0. Without a branch: the lanes of keys equal to f are those where keys ^
// f·toxLanes is zero, found without carries between lanes (the high bit of a lane of
// ((x & toxLow) + toxLow) | x is set exactly when the lane is nonzero); at most one
// lane of a bucket holds f, and unused lanes have index 0.
func (bk *toxBucket) find(f int32) uint32 {
	x := bk.keys ^ uint64(uint16(f))*toxLanes
	zero := ^(((x & toxLow) + toxLow) | x) & toxHigh // high bit of each lane equal to f
	v := bk.idx & ((zero >> 15) * 0xFFFF)
	v |= v >> 32
	return uint32(v|v>>16) & 0xFFFF
}

// placeBuckets appends to tab the fewest buckets (a power of 2, at most maxBuckets) that
// hold the bigrams of one first syllable, the one of second-syllable key keys[j] (1 to
// 65535) with index idx[j] (1 to 65535) in bucket off + toxHash(keys[j], off) &
// bucketMask(bits), none overflowing, and returns the grown table, off and bits. Where a
// size overflows at the next free bucket it tries the layouts after a few empty buckets
// before doubling.
func placeBuckets(tab []toxBucket, keys []int32, idx []int) ([]toxBucket, uint32, uint8, error) {
	for bits := uint8(0); 1<<bits <= maxBuckets; bits++ {
		n := 1 << bits
		for pad := 0; pad <= 3; pad++ {
			off := uint32(len(tab) + pad)
			if b, ok := fillBuckets(keys, idx, off, n); ok {
				tab = append(tab, make([]toxBucket, pad)...)
				return append(tab, b...), off, bits, nil
			}
		}
	}
	return tab, 0, 0, fmt.Errorf("%d bigrams begin with one syllable: too many", len(keys))
}

// maxBuckets bounds one first syllable's buckets. Until session 8 a syllable had at most
// 256 buckets (the hash kept 8 bits, the mask was a uint8) and the placement retried up to
// 64 layouts at that size: the narrative file regenerated in session 8 (narr14) has 376
// and 381 bigrams beginning with "cho" and "con", which 256 buckets of 4 hold in 0.7-1.5%
// of layouts, so a lexicon edit that renumbered syllables made the model fail to load
// about half the time (TestAddresseesFileErrors), and near 420 bigrams no number of
// retries would do. With up to 4,096 buckets (16,384 bigrams) a crowded syllable doubles
// instead (TestPlaceBucketsCrowded).
const maxBuckets = 4096

// fillBuckets puts the keys in n buckets beginning at off, or reports that one overflows.
func fillBuckets(keys []int32, idx []int, off uint32, n int) ([]toxBucket, bool) {
	tab := make([]toxBucket, n)
	used := make([]int, n)
	for j, f := range keys {
		h := toxHash(f, off) & uint32(n-1)
		if used[h] == 4 {
			return nil, false
		}
		shift := 16 * uint(used[h])
		tab[h].keys |= uint64(f) << shift
		tab[h].idx |= uint64(idx[j]) << shift
		used[h]++
	}
	return tab, true
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
	neutralIDs, neutral, err := m.neutralGroups()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	info := make([]toxSyl, m.nsyms+1)  // by syllable id
	seconds := map[int32][]toxSecond{} // bigrams by first syllable id
	for _, f := range feats {
		if len(f.ids) == 1 {
			info[f.ids[0]].uni = float32(f.w)
			info[f.ids[0]].flags |= toxUni
			if f.w > 0 {
				info[f.ids[0]].flags |= toxPos
			}
		} else {
			info[f.ids[0]].flags |= toxBiFirst
			info[f.ids[1]].flags |= toxBiSecond
			if f.w > 0 {
				info[f.ids[0]].flags |= toxPosFirst
				info[f.ids[1]].flags |= toxPosSecond
			}
			seconds[f.ids[0]] = append(seconds[f.ids[0]], toxSecond{f.ids[1], float32(f.w)})
		}
	}
	for _, id := range neutralIDs {
		info[id].flags |= toxNeutral
	}
	// A unit word matters only where it has a feature: masking one that has none changes
	// no sum (it begins and ends no weighted bigram either).
	for w := range unitWords {
		if id := m.syms.GetString(w); id > 0 && info[id].flags != 0 {
			info[id].flags |= toxUnit
		}
	}
	lt.feat = []toxSyl{{}}
	lt.featIdx = make([]int32, len(info))
	for id, s := range info {
		if s.flags != 0 {
			lt.featIdx[id] = int32(len(lt.feat))
			lt.feat = append(lt.feat, s)
		}
	}
	lt.neutral = neutral
	lt.neutralOf = make([]uint16, len(lt.feat))
	for g, id := range neutralIDs {
		lt.neutralOf[lt.featIdx[id]] = uint16(g + 1)
	}
	if err := lt.buildBigrams(seconds); err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrModelFile, err)
	}
	if err := lt.buildKeys(); err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrModelFile, err)
	}
	m.learnedTox = lt
	return nil
}

// toxSecond is a weighted bigram's second syllable (id) and weight.
type toxSecond struct {
	id int32
	w  float32
}

// buildBigrams fills biTab and biW from the bigrams by first syllable id. Each first
// syllable gets the fewest buckets (a power of 2) in which none overflows. The bigrams
// weighing towards toxic get the last indexes (from biPos).
func (lt *toxLearned) buildBigrams(seconds map[int32][]toxSecond) error {
	firsts := slices.Sorted(maps.Keys(seconds))
	lt.biW = []float32{0} // index 0: no bigram
	for _, pos := range []bool{false, true} {
		if pos {
			lt.biPos = len(lt.biW)
		}
		for _, first := range firsts {
			for _, sec := range seconds[first] {
				if (sec.w > 0) == pos {
					lt.biW = append(lt.biW, sec.w)
				}
			}
		}
	}
	if len(lt.biW) > math.MaxUint16 || len(lt.feat) > math.MaxUint16 {
		return fmt.Errorf("too many bigrams or syllables (%d, %d) for 16-bit indexes", len(lt.biW), len(lt.feat))
	}
	next := [2]int{1, lt.biPos}     // the next index of a bigram not weighing / weighing towards toxic
	lt.biTab = make([]toxBucket, 1) // bucket 0: empty
	for _, first := range firsts {
		secs := seconds[first]
		idx := make([]int, len(secs))
		for j, sec := range secs {
			k := 0
			if sec.w > 0 {
				k = 1
			}
			idx[j] = next[k]
			next[k]++
		}
		keys := make([]int32, len(secs))
		for j, sec := range secs {
			keys[j] = lt.featIdx[sec.id]
		}
		tab, off, bits, err := placeBuckets(lt.biTab, keys, idx)
		if err != nil {
			return err
		}
		if len(tab) > math.MaxUint16 {
			return fmt.Errorf("too many bigram buckets (%d)", len(tab))
		}
		fs := &lt.feat[lt.featIdx[first]]
		fs.biOff, fs.biBits = uint16(off), bits
		lt.biTab = tab
	}
	return nil
}

// featOf returns what a syllable of id carries for the component (syllable.feat): its
// index in lt.feat in the low toxIdxBits bits and, above them, the flags plain tests;
// 0 when it plays no part or lt is nil (a model without the component).
func (lt *toxLearned) featOf(id int32) int32 {
	if lt == nil || uint(id) >= uint(len(lt.featKey)) {
		return 0
	}
	return lt.featKey[id]
}

// The bits of syllable.feat: the index in toxLearned.feat, then what plain needs.
const (
	toxIdxBits = 15
	toxIdxMask = 1<<toxIdxBits - 1
	toxStop    = 1 << toxIdxBits // begins a neutral term or has a unigram weighing towards toxic
	// Bits 16-23: the classes of the second syllables of the bigrams weighing towards
	// toxic that it begins; bits 24-31: 1 << its class if it ends one. A pair whose first
	// syllable's classes do not include the second's is no such bigram: plain looks up
	// only the others (a class is the feat index's lowest 3 bits).
	toxPosClassShift = 16
	toxSecondShift   = 24
)

// buildKeys fills featKey (see featOf) once feat and biTab are built.
func (lt *toxLearned) buildKeys() error {
	if len(lt.feat) > toxIdxMask {
		return fmt.Errorf("%d syllables play a part, at most %d", len(lt.feat), toxIdxMask)
	}
	lt.featKey = make([]int32, len(lt.featIdx))
	for id, f := range lt.featIdx {
		if f == 0 {
			continue
		}
		s := lt.feat[f]
		k := uint32(f)
		if s.flags&(toxNeutral|toxPos) != 0 {
			k |= toxStop
		}
		if s.flags&toxPosSecond != 0 {
			k |= 1 << (toxSecondShift + uint32(f)&7)
		}
		if s.flags&toxPosFirst != 0 { // the classes of its positive bigrams' second syllables
			for _, bk := range lt.biTab[s.biOff : uint32(s.biOff)+bucketMask(s.biBits)+1] {
				for lane := 0; lane < 64; lane += 16 {
					if sec, b := uint32(bk.keys>>lane)&0xFFFF, uint32(bk.idx>>lane)&0xFFFF; b >= uint32(lt.biPos) {
						k |= 1 << (toxPosClassShift + sec&7)
					}
				}
			}
		}
		lt.featKey[id] = int32(k)
	}
	return nil
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
// Analyze needs to know (neutralSet.occursIn, which matches the same sequences). Unit
// words after an amount or a size word are masked too (unitAt; toks are the syllables'
// tokens).
//
// Most posts hold no feature that weighs towards toxic: their result is -Inf whatever
// the other features weigh and whatever the masking leaves out, and plain finds them
// by the syllables' flags, without summing (on the ViHSD comments 74% of the posts, 59%
// of the syllables). The others are summed by sum.
func (lt *toxLearned) logit(toks []vntext.Token, syls []syllable, hits []toxHit, seen *toxSeen) (float64, []toxHit, bool) {
	if ok, neutral := lt.plain(toks, syls); ok {
		return math.Inf(-1), hits, neutral
	}
	if seen.owner != lt {
		*seen = toxSeen{owner: lt, stamp: make([]uint8, len(lt.feat)+len(lt.biW))}
	}
	if seen.gen++; seen.gen == 0 { // wrapped: old stamps could repeat
		clear(seen.stamp)
		seen.gen = 1
	}
	return lt.sum(toks, syls, hits, seen.stamp, seen.gen)
}

// plain reports whether no syllable of syls has a unigram or, with the syllable before,
// a bigram that weighs towards toxic (then sum need not run), and whether a neutral
// term occurs, as sum would. The loop's common step tests the bits the syllables carry
// (syllable.feat, see featOf) once, reading nothing else; a pair that may be such a
// bigram is looked up, and a syllable that begins a neutral term is matched.
func (lt *toxLearned) plain(toks []vntext.Token, syls []syllable) (ok, neutral bool) {
	var prev uint32 // the previous syllable's feat
	for i := range syls {
		k := uint32(syls[i].feat)
		if k&toxStop|(prev>>toxPosClassShift)&(k>>toxSecondShift)&0xFF != 0 {
			if neutral, ok = lt.flagged(toks, syls, i, neutral); !ok {
				return false, false
			}
		}
		prev = k
	}
	return true, neutral
}

// flagged is plain's step for syllable i, whose flags call for a closer look: ok is
// false if it has a unigram, or with syllable i-1 a bigram, that weighs towards toxic;
// neutral is set if a neutral term begins there. A unit (unitAt) is masked: it weighs
// nothing alone nor in a bigram. Out of plain's loop, so that the loop stays a few
// instructions.
//
//go:noinline
func (lt *toxLearned) flagged(toks []vntext.Token, syls []syllable, i int, neutral bool) (bool, bool) {
	f := syls[i].feat & toxIdxMask
	s := lt.feat[f]
	if s.flags&toxNeutral != 0 && !neutral {
		neutral = lt.neutralEnd(syls, i, lt.neutralOf[f]) > 0
	}
	if s.flags&toxUnit != 0 && unitAtSyls(toks, syls, i) {
		return neutral, true
	}
	if s.flags&toxPos != 0 {
		return neutral, false
	}
	if s.flags&toxPosSecond != 0 && i > 0 {
		if p := lt.feat[syls[i-1].feat&toxIdxMask]; p.flags&toxPosFirst != 0 && lt.biTab[uint32(p.biOff)+toxHash(f, uint32(p.biOff))&bucketMask(p.biBits)].find(f) >= uint32(lt.biPos) &&
			(p.flags&toxUnit == 0 || !unitAtSyls(toks, syls, i-1)) {
			return neutral, false
		}
	}
	return neutral, true
}

// sum adds up the features of syls (each once: stamp records what the post counted),
// masking the syllables of neutral terms as in training, and appends the features that
// weigh towards toxic to hits; see logit.
func (lt *toxLearned) sum(toks []vntext.Token, syls []syllable, hits []toxHit, stamp []uint8, gen uint8) (float64, []toxHit, bool) {
	n0 := len(hits)
	hits = slices.Grow(hits, 2*len(syls)) // at most a unigram and a bigram per syllable: no append grows
	feat, tab, biW := lt.feat, lt.biTab, lt.biW
	nuni := len(feat) // stamps: unigrams by feat index, then bigrams by index in biW
	z := lt.bias
	// The buckets of the previous syllable's bigrams (prevOff 0 when it begins none or
	// is masked).
	var prevOff, prevMask uint32
	// Syllables before maskEnd lie in a neutral term. Terms are found at their first
	// syllable, in text order, so the union of their spans up to syllable i is one
	// interval ending at maskEnd.
	maskEnd := 0
	for i := range syls {
		f := syls[i].feat & toxIdxMask
		s := feat[f]
		if s.flags&toxNeutral != 0 {
			maskEnd = max(maskEnd, lt.neutralEnd(syls, i, lt.neutralOf[f]))
		}
		if i < maskEnd || s.flags&toxUnit != 0 && unitAtSyls(toks, syls, i) {
			prevOff, prevMask = 0, 0
			continue
		}
		if prevOff != 0 && s.flags&toxBiSecond != 0 {
			if b := tab[prevOff+toxHash(f, prevOff)&prevMask].find(f); b != 0 && stamp[nuni+int(b)] != gen {
				stamp[nuni+int(b)] = gen
				w := biW[b]
				z += float64(w)
				if w > 0 {
					hits = append(hits, toxHit{key: uint64(uint32(syls[i-1].nid))<<32 | uint64(uint32(syls[i].nid)), w: w, from: i - 1, to: i + 1})
				}
			}
		}
		w := math.Float32frombits(math.Float32bits(s.uni) & fresh(stamp, int(f), gen))
		z += float64(w)
		if w > 0 {
			hits = append(hits, toxHit{key: uint64(uint32(syls[i].nid)), w: w, from: i, to: i + 1})
		}
		prevOff, prevMask = uint32(s.biOff), bucketMask(s.biBits)
	}
	if len(hits) == n0 {
		return math.Inf(-1), hits, maskEnd > 0
	}
	return z, hits, maskEnd > 0
}

// fresh returns all ones if stamp[k] is not gen (the post did not count feature k yet),
// else 0, and stamps k.
func fresh(stamp []uint8, k int, gen uint8) uint32 {
	var m uint32
	if stamp[k] != gen {
		m = ^uint32(0)
	}
	stamp[k] = gen
	return m
}

// neutralEnd returns the end of the longest neutral term occurring at syllable i (matched
// as neutralSet.mask matches strings), or 0; group is syllable i's toxSyl.neutral.
func (lt *toxLearned) neutralEnd(syls []syllable, i int, group uint16) int {
	return neutralEndIn(lt.neutral[group-1], syls, i)
}

// neutralGroups returns the neutral terms as syllable id sequences grouped by first
// syllable: ids, the first syllables ascending, and groups[g], the terms beginning with
// ids[g]. Both learned components mask with them; a syllable's group number is g+1 (0:
// none), which must fit a uint16.
func (m *lexModel) neutralGroups() (ids []int32, groups [][][]int32, err error) {
	byFirst := map[int32][][]int32{}
	if m.neutral != nil {
		for _, cands := range m.neutral.byFirst {
			for _, c := range cands {
				seq := m.symIDs(c)
				byFirst[seq[0]] = append(byFirst[seq[0]], seq)
			}
		}
	}
	if len(byFirst) >= math.MaxUint16 {
		return nil, nil, fmt.Errorf("%w: %d neutral first syllables, at most %d", ErrModelFile, len(byFirst), math.MaxUint16-1)
	}
	ids = slices.Sorted(maps.Keys(byFirst))
	for _, id := range ids {
		groups = append(groups, byFirst[id])
	}
	return ids, groups, nil
}

// neutralEndIn returns the end of the longest of cands (neutral terms beginning with
// syllable i's id) occurring at syllable i, or 0.
func neutralEndIn(cands [][]int32, syls []syllable, i int) int {
	end := 0
	for _, c := range cands {
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

// sortHitsByWeight sorts hits heaviest first, stably. A post has a few: an insertion sort
// with the comparison inline costs less than slices.SortStableFunc's calls of a
// comparison function (same order; that is the fallback for many hits).
func sortHitsByWeight(hits []toxHit) {
	if len(hits) > 32 {
		slices.SortStableFunc(hits, func(x, y toxHit) int { return cmp.Compare(y.w, x.w) })
		return
	}
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].w > hits[j-1].w; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
}

// evidence appends the post's positive learned features (the heaviest first, at most
// maxToxLearnedEvidence, leaving out spans the lexicon already reports) to dst, and reports
// whether one of them at least learnedHateMin heavy lies near a protected-group mention
// (then the mention is evidence too) and how many that heavy it found.
func (lt *toxLearned) evidence(m *lexModel, dst []post.Evidence, hits []toxHit, targets []match, lexEv []post.Evidence, span func(match) (int, int)) ([]post.Evidence, bool, int) {
	sortHitsByWeight(hits)
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
