package classifier

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// compiledLearned is a learned model turned into arrays for fast scoring. It computes
// exactly what the reference path (extractor.features, vectorize, string-keyed weights)
// computes, in the same order, so the scores are equal bit for bit:
//
//   - Syllables are looked up once each in a dictionary of the syllables the model's word
//     n-grams use; a longer word n-gram is then found by walking a trie of syllable
//     indices (one small-integer lookup per further syllable, stopping as soon as no known
//     n-gram continues), not by building "w:a b c" strings and hashing them in a map of
//     every term.
//   - Character n-grams never cross a syllable, so each dictionary syllable carries the
//     ids of its known character n-grams, computed at load; other syllables go through a
//     small bounded cache.
//   - A text's features are counted in a small per-call hash table (not arrays as long as
//     the vocabulary), and each feature's idf and weights sit side by side in one row.
//   - What scoring touches is laid out by frequency (the idf of unigrams and n-grams), so
//     the rows and trie entries of common syllables share cache lines; on a shared,
//     busy machine memory latency, not arithmetic, is the cost.
//   - Lexicon features have their ids resolved at load.
type compiledLearned struct {
	k    int
	cfg  FeatureConfig
	keys []string  // feature id -> key ("w:không tốt")
	rows []float64 // feature id -> idf, then k weights (stride k+1)

	syl  map[string]int32 // syllable -> index into syls, most frequent first
	syls []sylRec
	// sylChars holds the known character n-gram ids of each dictionary syllable.
	sylChars []int32
	chars    map[string]int32 // character n-gram without "c:" (with "_" edges) -> feature id
	other    *otherCache

	// Word n-grams form a trie over syllable indices with two roots: rootWord ("w:") and
	// rootFolded ("f:"). A unigram's node is its sylRec; the children of a node are an
	// open-addressing area of edges (see ngramEdge).
	edges []ngramEdge
	bloom []uint64 // blocked Bloom filter of (area, syllable) pairs in edges
	bmask uint64

	// Lexicon features: "x:sent_score", "x:tox_score", "x:log_len" and, by the label that
	// follows "x:sent_" or "x:tox_", the label indicators (-1: not in the model).
	lexSentScore, lexToxScore, lexLogLen int32
	lexSent, lexTox                      map[string]int32
	tfs                                  [32]float64 // tf(n) for small n
	// Neutral-term candidates (see maskNeutral): sequences of dictionary indices.
	neutSeqs [][]int32
	neutIdx  []int32
	pool     sync.Pool // *learnScratch
}

// rootWord and rootFolded are the trie roots of "w:" and "f:" n-grams.
const (
	rootWord   = 0
	rootFolded = 1
)

// kids is where the children of a trie node are in compiledLearned.edges: n slots from
// off, n a power of two (0: no children).
type kids struct {
	off, n uint32
}

// sylRec is a syllable of the dictionary: by root, the feature of its unigram (-1: none)
// and the unigram's children; and where its character n-gram ids are in sylChars.
type sylRec struct {
	feat   [2]int32
	kids   [2]kids
	c0, c1 uint32
	// The folded form of the syllable and its index (-1: not in the dictionary), so the
	// usual folded token needs a string comparison, not a second lookup.
	fold    int32
	foldStr string
	// n0..n1 index neutIdx: the neutral-term candidates starting with this syllable.
	n0, n1 uint32
}

// ngramEdge is a trie node below the unigrams, in its parent's area: the syllable that
// leads to it (-1: empty slot), the feature of the n-gram ending here (-1: none), and its
// own children.
type ngramEdge struct {
	syl  int32
	feat int32
	kids kids
}

func compileLearned(lf *LearnedFile, neutral *neutralSet) *compiledLearned {
	k := len(lf.Labels)
	c := &compiledLearned{k: k, cfg: lf.Features,
		other: &otherCache{seed: maphash.MakeSeed()}, lexSentScore: -1, lexToxScore: -1, lexLogLen: -1,
		lexSent: map[string]int32{}, lexTox: map[string]int32{}}
	for n := range c.tfs {
		c.tfs[n] = 1 + math.Log(float64(n))
	}
	// sortByIDF sorts keys by the idf of key(i) (absent: last), then by key.
	sortByIDF := func(keys []string, key func(string) string) {
		type ranked struct {
			s   string
			idf float64
		}
		r := make([]ranked, len(keys))
		for i, s := range keys {
			r[i] = ranked{s, math.Inf(1)}
			if t, ok := lf.Terms[key(s)]; ok {
				r[i].idf = t.IDF
			}
		}
		slices.SortFunc(r, func(a, b ranked) int {
			if c := cmp.Compare(a.idf, b.idf); c != 0 {
				return c
			}
			return strings.Compare(a.s, b.s)
		})
		for i := range r {
			keys[i] = r[i].s
		}
	}

	// The syllables of the word n-gram keys, most frequent first (by the idf of their
	// unigram), interned in one string so the dictionary's keys sit together in memory.
	var names []string
	seen := map[string]bool{}
	for key := range lf.Terms {
		if !strings.HasPrefix(key, "w:") && !strings.HasPrefix(key, "f:") {
			continue
		}
		for s := range strings.SplitSeq(key[2:], " ") {
			if !seen[s] {
				seen[s] = true
				names = append(names, s)
			}
		}
	}
	// The syllables of neutral terms join the dictionary (most have no feature), so an
	// occurrence is found by comparing dictionary indices.
	if neutral != nil {
		for _, s := range neutral.syllables() {
			if !seen[s] {
				seen[s] = true
				names = append(names, s)
			}
		}
	}
	sortByIDF(names, func(s string) string { return "w:" + s })
	names = internAll(names)
	c.syl = make(map[string]int32, len(names))
	c.syls = make([]sylRec, len(names))
	for i, s := range names {
		c.syl[s] = int32(i)
		c.syls[i] = sylRec{feat: [2]int32{-1, -1}}
	}

	// Feature ids in the order scoring touches them: each syllable's unigrams and
	// character n-grams together, frequent syllables first; then the longer n-grams by
	// frequency; then the remaining character n-grams and the lexicon features.
	c.keys = make([]string, 0, len(lf.Terms))
	placed := make(map[string]bool, len(lf.Terms))
	place := func(key string) {
		if _, ok := lf.Terms[key]; ok && !placed[key] {
			placed[key] = true
			c.keys = append(c.keys, key)
		}
	}
	var buf []byte
	for _, s := range names {
		place("w:" + s)
		place("f:" + s)
		if c.cfg.CharMin > 0 {
			forCharNgrams(s, c.cfg, &buf, func(g []byte) { place("c:" + string(g)) })
		}
	}
	rest := make([]string, 0, len(lf.Terms)-len(c.keys))
	for key := range lf.Terms {
		if !placed[key] {
			rest = append(rest, key)
		}
	}
	sortByIDF(rest, func(s string) string { return s })
	c.keys = append(c.keys, rest...)

	// Rows, character n-grams, lexicon features, and the trie (built with pointers here,
	// laid out below).
	type node struct {
		feat int32
		idf  float64
		seq  int
		kids map[int32]*node
		area kids
	}
	var all []*node
	newNode := func() *node {
		n := &node{feat: -1, idf: math.Inf(1), seq: len(all)}
		all = append(all, n)
		return n
	}
	var uni [2][]*node // by root, by syllable index
	uni[0], uni[1] = make([]*node, len(names)), make([]*node, len(names))
	c.rows = make([]float64, 0, len(c.keys)*(k+1))
	var charKeys []string
	var charIDs []int32
	for i, key := range c.keys {
		t := lf.Terms[key]
		c.rows = append(append(c.rows, t.IDF), t.W...)
		var root int
		switch {
		case strings.HasPrefix(key, "c:"):
			charKeys, charIDs = append(charKeys, key[2:]), append(charIDs, int32(i))
			continue
		case strings.HasPrefix(key, "x:"):
			switch key {
			case "x:sent_score":
				c.lexSentScore = int32(i)
			case "x:tox_score":
				c.lexToxScore = int32(i)
			case "x:log_len":
				c.lexLogLen = int32(i)
			}
			// "x:sent_score" is also the indicator of a sentiment label "score", as in
			// lexFeatures, which builds its keys by concatenation.
			if l, ok := strings.CutPrefix(key, "x:sent_"); ok {
				c.lexSent[l] = int32(i)
			}
			if l, ok := strings.CutPrefix(key, "x:tox_"); ok {
				c.lexTox[l] = int32(i)
			}
			continue
		case strings.HasPrefix(key, "w:"):
			root = rootWord
		case strings.HasPrefix(key, "f:"):
			root = rootFolded
		default:
			continue // no feature of the extractor has this key: never matches
		}
		var n *node
		for s := range strings.SplitSeq(key[2:], " ") {
			si := c.syl[s]
			var kid *node
			if n == nil {
				if kid = uni[root][si]; kid == nil {
					kid = newNode()
					uni[root][si] = kid
				}
			} else {
				if n.kids == nil {
					n.kids = map[int32]*node{}
				}
				if kid = n.kids[si]; kid == nil {
					kid = newNode()
					n.kids[si] = kid
				}
			}
			n = kid
		}
		n.feat, n.idf = int32(i), t.IDF
	}

	// Trie layout: the children areas of frequent n-grams first, each a power of two at
	// least 1.25 times the number of children (a single child fills its slot), so the
	// trie stays small; the Bloom filter keeps most lookups of unknown n-grams out of it.
	var parents []*node
	edges := 0
	for _, n := range all {
		if len(n.kids) > 0 {
			parents = append(parents, n)
			edges += len(n.kids)
		}
	}
	slices.SortFunc(parents, func(a, b *node) int {
		if c := cmp.Compare(a.idf, b.idf); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for _, p := range parents {
		n, want := uint32(1), uint32(len(p.kids)+len(p.kids)/4)
		for n < want {
			n *= 2
		}
		p.area = kids{off: uint32(len(c.edges)), n: n}
		for range n {
			c.edges = append(c.edges, ngramEdge{syl: -1, feat: -1})
		}
	}
	words := 64 // about 16 filter bits per edge: few false positives
	for words*64 < 16*edges {
		words *= 2
	}
	c.bloom, c.bmask = make([]uint64, words), uint64(words-1)
	for _, p := range parents {
		for si, kid := range p.kids {
			w, b := c.bloomBits(p.area, si)
			c.bloom[w] |= b
			mask := p.area.n - 1
			j := edgeSlot(si) & mask
			for c.edges[p.area.off+j].syl >= 0 {
				j = (j + 1) & mask
			}
			c.edges[p.area.off+j] = ngramEdge{syl: si, feat: kid.feat, kids: kid.area}
		}
	}
	for root := range uni {
		for si, n := range uni[root] {
			if n != nil {
				c.syls[si].feat[root], c.syls[si].kids[root] = n.feat, n.area
			}
		}
	}

	charKeys = internAll(charKeys)
	c.chars = make(map[string]int32, len(charKeys))
	for i, g := range charKeys {
		c.chars[g] = charIDs[i]
	}
	// Character n-grams and folded forms of every dictionary syllable.
	for i, s := range names {
		r := &c.syls[i]
		r.foldStr, r.fold = vntext.Fold(s), -1
		if f, ok := c.syl[r.foldStr]; ok {
			r.fold, r.foldStr = f, names[f]
		}
		r.c0 = uint32(len(c.sylChars))
		c.sylChars, buf = c.appendCharIDs(c.sylChars, s, buf)
		r.c1 = uint32(len(c.sylChars))
	}
	if neutral != nil {
		c.compileNeutral(neutral)
	}
	c.pool.New = func() any { return &learnScratch{tab: make([]countSlot, 1024)} }
	return c
}

// compileNeutral lists, per dictionary syllable, the neutral-term candidates starting
// with it, as sequences of dictionary indices.
func (c *compiledLearned) compileNeutral(ns *neutralSet) {
	firsts := make([]string, 0, len(ns.byFirst))
	for f := range ns.byFirst {
		firsts = append(firsts, f)
	}
	slices.Sort(firsts)
	for _, f := range firsts {
		r := &c.syls[c.syl[f]]
		r.n0 = uint32(len(c.neutIdx))
		for _, cand := range ns.byFirst[f] {
			seq := make([]int32, len(cand))
			for j, s := range cand {
				seq[j] = c.syl[s]
			}
			c.neutIdx = append(c.neutIdx, int32(len(c.neutSeqs)))
			c.neutSeqs = append(c.neutSeqs, seq)
		}
		r.n1 = uint32(len(c.neutIdx))
	}
}

// maskNeutral hides the syllables of neutral-term occurrences from scoring, as the
// extractor masks them: a masked syllable starts and continues no word n-gram and has no
// character n-grams. Candidates starting at i read only syllables from i on, which are
// not yet masked.
func (c *compiledLearned) maskNeutral(sc *learnScratch) {
	norm := sc.norm
	maskTo := 0
	for i, s := range norm {
		if s >= 0 {
			if r := &c.syls[s]; r.n0 != r.n1 {
				for _, ci := range c.neutIdx[r.n0:r.n1] {
					seq := c.neutSeqs[ci]
					if i+len(seq) <= len(norm) && slices.Equal(norm[i+1:i+len(seq)], seq[1:]) {
						maskTo = max(maskTo, i+len(seq))
					}
				}
			}
		}
		if i < maskTo {
			norm[i], sc.fold[i] = -1, -1
			sc.neutral = true
		}
	}
}

// edgeSlot is the home slot of syllable si in a children area (before masking).
func edgeSlot(si int32) uint32 { return uint32((uint64(uint32(si)) * 0x9E3779B97F4A7C15) >> 32) }

// bloomBits returns the filter word of the edge (area, si) and its three bits in it.
func (c *compiledLearned) bloomBits(area kids, si int32) (uint64, uint64) {
	h := (uint64(area.off)<<32 | uint64(uint32(si))) * 0xD6E8FEB86659FD93
	h ^= h >> 29
	return (h >> 18) & c.bmask, 1<<(h&63) | 1<<((h>>6)&63) | 1<<((h>>12)&63)
}

// child returns the edge from the node with children p by syllable si, or nil.
func (c *compiledLearned) child(p kids, si int32) *ngramEdge {
	if p.n == 0 {
		return nil
	}
	if w, b := c.bloomBits(p, si); c.bloom[w]&b != b {
		return nil
	}
	mask := p.n - 1
	j := edgeSlot(si) & mask
	for range p.n { // an area may be full: probe each slot at most once
		e := &c.edges[p.off+j]
		if e.syl == si {
			return e
		}
		if e.syl < 0 {
			return nil
		}
		j = (j + 1) & mask
	}
	return nil
}

// internAll returns ss as substrings of one new string.
func internAll(ss []string) []string {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range ss {
		b.WriteString(s)
	}
	all := b.String()
	out := make([]string, len(ss))
	off := 0
	for i, s := range ss {
		out[i] = all[off : off+len(s)]
		off += len(s)
	}
	return out
}

// forCharNgrams calls fn with each character n-gram of syllable syl as the extractor
// makes them: within "_"+syl+"_", by start character, then by length (CharMin..CharMax).
// buf is scratch space; g is valid during the call only.
func forCharNgrams(syl string, cfg FeatureConfig, buf *[]byte, fn func(g []byte)) {
	w := append(append(append((*buf)[:0], '_'), syl...), '_')
	*buf = w
	// Rune starts of w, then len(w); on the stack for ordinary syllables.
	var startsArr [64]int
	starts := startsArr[:0]
	for i := range string(w) {
		starts = append(starts, i)
	}
	starts = append(starts, len(w))
	for i := 0; i < len(starts)-1; i++ {
		for n := cfg.CharMin; n <= cfg.CharMax && i+n < len(starts); n++ {
			fn(w[starts[i]:starts[i+n]])
		}
	}
}

// appendCharIDs appends the ids of the known character n-grams of syllable syl, in the
// extractor's order.
func (c *compiledLearned) appendCharIDs(dst []int32, syl string, buf []byte) ([]int32, []byte) {
	if c.cfg.CharMin <= 0 || len(c.chars) == 0 {
		return dst, buf
	}
	forCharNgrams(syl, c.cfg, &buf, func(g []byte) {
		if id, ok := c.chars[string(g)]; ok {
			dst = append(dst, id)
		}
	})
	return dst, buf
}

// countSlot counts one feature of the text being scored. gen tells live slots from
// those of earlier texts, so the table is not cleared between texts.
type countSlot struct {
	id    int32
	gen   uint32
	n     int32 // occurrences
	first int32 // word features: index+1 into spans of the first occurrence; 0 otherwise
}

// learnScratch holds one scoring call's buffers, reused through a pool.
type learnScratch struct {
	tab      []countSlot // open addressing, power-of-two length
	gen      uint32
	used     int
	order    [2][]int32 // slot indices by block (word, char), in first-occurrence order
	spans    [][2]int
	norm     []int32 // per syllable: dictionary index of its normalized form, or -1
	fold     []int32 // per syllable: dictionary index of its folded form, or -1
	starts   []int   // per syllable: byte span of its token
	ends     []int
	cbuf     []int32 // character n-gram ids of a syllable outside the dictionary
	buf      []byte
	ids      []int32   // features of one block in first-occurrence order, while scoring
	vals     []float64 // and their tf-idf values
	scores   []float64
	hits     []wordHit
	contribs []contrib
	neutral  bool // the text holds a neutral-term occurrence (maskNeutral)
}

// maxPooledSlots keeps the count table of a huge text out of the pool.
const maxPooledSlots = 1 << 16

func (c *compiledLearned) getScratch() *learnScratch { return c.pool.Get().(*learnScratch) }

func (c *compiledLearned) putScratch(sc *learnScratch) {
	if len(sc.tab) > maxPooledSlots || cap(sc.norm) > maxPooledSlots || cap(sc.cbuf) > 4*maxPooledSlots || cap(sc.spans) > maxPooledSlots {
		return
	}
	c.pool.Put(sc)
}

// reset starts a new text.
func (sc *learnScratch) reset() {
	sc.gen++
	if sc.gen == 0 { // wrapped: old generations would look live
		clear(sc.tab)
		sc.gen = 1
	}
	sc.used = 0
	sc.order[0], sc.order[1] = sc.order[0][:0], sc.order[1][:0]
	sc.spans = sc.spans[:0]
	sc.hits = sc.hits[:0]
	sc.neutral = false
}

// add counts feature id of block b (blockWord or blockChar); start and end are the span
// of a word feature, or -1.
func (sc *learnScratch) add(id int32, b uint8, start, end int) {
	if 2*(sc.used+1) > len(sc.tab) {
		sc.grow()
	}
	mask := uint32(len(sc.tab) - 1)
	for h := (uint32(id) * 0x9E3779B1) & mask; ; h = (h + 1) & mask {
		s := &sc.tab[h]
		if s.gen != sc.gen {
			*s = countSlot{id: id, gen: sc.gen, n: 1}
			if start >= 0 {
				sc.spans = append(sc.spans, [2]int{start, end})
				s.first = int32(len(sc.spans))
			}
			sc.order[b] = append(sc.order[b], int32(h))
			sc.used++
			return
		}
		if s.id == id {
			s.n++
			return
		}
	}
}

// addChars counts character features ids (add for many features without spans).
func (sc *learnScratch) addChars(ids []int32) {
	for 2*(sc.used+len(ids)) > len(sc.tab) {
		sc.grow()
	}
	tab, gen, mask := sc.tab, sc.gen, uint32(len(sc.tab)-1)
	order, used := sc.order[blockChar], sc.used
	for _, id := range ids {
		for h := (uint32(id) * 0x9E3779B1) & mask; ; h = (h + 1) & mask {
			s := &tab[h]
			if s.gen != gen {
				*s = countSlot{id: id, gen: gen, n: 1}
				order = append(order, int32(h))
				used++
				break
			}
			if s.id == id {
				s.n++
				break
			}
		}
	}
	sc.order[blockChar], sc.used = order, used
}

// grow doubles the table, keeping live slots and the first-occurrence order.
func (sc *learnScratch) grow() {
	old := sc.tab
	sc.tab = make([]countSlot, 2*len(old))
	mask := uint32(len(sc.tab) - 1)
	for b := range sc.order {
		for j, h := range sc.order[b] {
			s := old[h]
			nh := (uint32(s.id) * 0x9E3779B1) & mask
			for sc.tab[nh].gen == sc.gen {
				nh = (nh + 1) & mask
			}
			sc.tab[nh] = s
			sc.order[b][j] = int32(nh)
		}
	}
}

// wordHit is a word feature of the text with its value and first span, for evidence.
type wordHit struct {
	id         int32
	val        float64
	start, end int
}

// syllables fills sc.norm, sc.fold, sc.starts and sc.ends from text, split as the
// extractor splits it (a teencode token such as "mn" gives two syllables with its span).
func (c *compiledLearned) syllables(sc *learnScratch, text string) {
	sc.norm, sc.fold, sc.starts, sc.ends = sc.norm[:0], sc.fold[:0], sc.starts[:0], sc.ends[:0]
	ts := getScratch()
	defer putScratch(ts)
	look := func(s string) int32 {
		if i, ok := c.syl[s]; ok {
			return i
		}
		return -1
	}
	for _, t := range ts.tokenize(text) {
		if strings.IndexByte(t.Norm, ' ') < 0 {
			n := look(t.Norm)
			f := n
			if c.cfg.Folded && t.Folded != t.Norm {
				f = c.lookFold(n, t.Folded)
			}
			sc.norm, sc.fold = append(sc.norm, n), append(sc.fold, f)
			sc.starts, sc.ends = append(sc.starts, t.Start), append(sc.ends, t.End)
			if n < 0 && c.cfg.CharMin > 0 {
				sc.unknown(c, t.Norm, len(sc.norm)-1)
			}
			continue
		}
		// strings.Fields of Norm and Folded without allocating; a missing folded word
		// falls back to the normalized one, as in the extractor.
		nr, fr := t.Norm, t.Folded
		for {
			var ns, fs string
			ns, nr = nextField(nr)
			if ns == "" {
				break
			}
			fs, fr = nextField(fr)
			if fs == "" {
				fs = ns
			}
			n := look(ns)
			f := n
			if c.cfg.Folded && fs != ns {
				f = c.lookFold(n, fs)
			}
			sc.norm, sc.fold = append(sc.norm, n), append(sc.fold, f)
			sc.starts, sc.ends = append(sc.starts, t.Start), append(sc.ends, t.End)
			if n < 0 && c.cfg.CharMin > 0 {
				sc.unknown(c, ns, len(sc.norm)-1)
			}
		}
	}
}

// lookFold returns the dictionary index of folded, the folded form of the syllable with
// index n (-1 when not in the dictionary), or -1.
func (c *compiledLearned) lookFold(n int32, folded string) int32 {
	if n >= 0 {
		if r := &c.syls[n]; r.foldStr == folded {
			return r.fold
		}
	}
	if i, ok := c.syl[folded]; ok {
		return i
	}
	return -1
}

// unknown records the character n-gram ids of syllable i, which is not in the dictionary:
// they are appended to cbuf, and norm[i] becomes -2-offset so score can find them.
func (sc *learnScratch) unknown(c *compiledLearned, syl string, i int) {
	off := len(sc.cbuf)
	sc.cbuf = append(sc.cbuf, c.other.charIDs(c, syl, &sc.buf)...)
	sc.cbuf = append(sc.cbuf, -1) // terminator
	sc.norm[i] = int32(-2 - off)
}

// otherCache remembers the known character n-gram ids of recently seen syllables outside
// the dictionary (names, typos, other languages). It is two-way set-associative with a
// fixed number of entries, so hostile text of random words only replaces entries, never
// grows it; it is safe for concurrent use (entries are immutable once published; a race
// costs at most a recomputation).
type otherCache struct {
	seed    maphash.Seed
	entries [otherCacheSize]atomic.Pointer[otherEntry]
}

const otherCacheSize = 8192 // a power of two: 4096 sets of two

type otherEntry struct {
	syl string
	ids []int32
}

func (oc *otherCache) charIDs(c *compiledLearned, syl string, buf *[]byte) []int32 {
	set := maphash.String(oc.seed, syl) & (otherCacheSize - 2)
	first, second := &oc.entries[set], &oc.entries[set+1]
	e0 := first.Load()
	if e0 != nil && e0.syl == syl {
		return e0.ids
	}
	if e := second.Load(); e != nil && e.syl == syl {
		return e.ids
	}
	var ids []int32
	ids, *buf = c.appendCharIDs(nil, syl, *buf)
	// The newest entry goes first, the one it displaces second; the older second leaves.
	first.Store(&otherEntry{syl: strings.Clone(syl), ids: ids})
	if e0 != nil {
		second.Store(e0)
	}
	return ids
}

// nextField returns the first space-separated field of s and the rest, as
// strings.Fields would split it on ASCII spaces.
func nextField(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j := i
	for j < len(s) && s[j] != ' ' {
		j++
	}
	return s[i:j], s[j:]
}

// tf is the sublinear term frequency 1 + ln n of a feature seen n times, exactly as
// vectorize computes it (a table for small n).
func (c *compiledLearned) tf(n int32) float64 {
	if n < int32(len(c.tfs)) {
		return c.tfs[n]
	}
	return 1 + math.Log(float64(n))
}

// addRow adds v * w[j] to s[j] for every label j, each product rounded before the sum.
func addRow(s []float64, v float64, w []float64) {
	switch len(s) {
	case 2:
		w := w[:2]
		s[0] += float64(v * w[0])
		s[1] += float64(v * w[1])
	case 3:
		w := w[:3]
		s[0] += float64(v * w[0])
		s[1] += float64(v * w[1])
		s[2] += float64(v * w[2])
	default:
		w := w[:len(s)]
		for j := range s {
			s[j] += float64(v * w[j])
		}
	}
}

// ngramsAt counts the known word n-grams of up to max syllables starting at syllable i of
// syls (dictionary indices), from trie root.
func (c *compiledLearned) ngramsAt(sc *learnScratch, syls []int32, i, root, max int) {
	s := syls[i]
	if s < 0 || max < 1 {
		return
	}
	r := &c.syls[s]
	if id := r.feat[root]; id >= 0 {
		sc.add(id, blockWord, sc.starts[i], sc.ends[i])
	}
	p := r.kids[root]
	for n := 1; n < max && i+n < len(syls); n++ {
		s := syls[i+n]
		if s < 0 {
			return
		}
		e := c.child(p, s)
		if e == nil {
			return
		}
		if e.feat >= 0 {
			sc.add(e.feat, blockWord, sc.starts[i], sc.ends[i+n])
		}
		p = e.kids
	}
}

// score computes the label scores of text into sc.scores, and the word features with
// their values and first spans into sc.hits. a is the base model's analysis of text, for
// the lexicon features.
func (c *compiledLearned) score(sc *learnScratch, lf *LearnedFile, text string, a *post.Analysis) {
	sc.reset()
	sc.cbuf = sc.cbuf[:0]
	c.syllables(sc, text)
	if len(c.neutSeqs) > 0 {
		c.maskNeutral(sc)
	}
	nsyl := len(sc.norm)
	for i := 0; i < nsyl; i++ {
		c.ngramsAt(sc, sc.norm, i, rootWord, c.cfg.WordMax)
		if c.cfg.Folded {
			c.ngramsAt(sc, sc.fold, i, rootFolded, 2)
		}
		if c.cfg.CharMin > 0 {
			if s := sc.norm[i]; s >= 0 {
				r := &c.syls[s]
				sc.addChars(c.sylChars[r.c0:r.c1])
			} else if s <= -2 {
				ids := sc.cbuf[-2-s:]
				sc.addChars(ids[:slices.Index(ids, -1)])
			}
		}
	}

	K, stride := c.k, c.k+1
	if cap(sc.scores) < K {
		sc.scores = make([]float64, K)
	}
	s := sc.scores[:K]
	for j := range s {
		s[j] = lf.Bias[j] + lf.Offset[j]
	}
	// As vectorize: v = (1 + ln count) * idf, L2-normalised per block; then the scores
	// sum v * w over word features, then character features, in first-occurrence order.
	// Products are rounded before they are added (float64(...)), as in vectorize, so no
	// platform fuses them differently in the two scorers.
	for b := range sc.order {
		order := sc.order[b]
		ids, vals := sc.ids[:0], sc.vals[:0]
		var norm float64
		for _, h := range order {
			sl := &sc.tab[h]
			v := c.rows[int(sl.id)*stride] * c.tf(sl.n)
			norm += float64(v * v)
			ids, vals = append(ids, sl.id), append(vals, v)
		}
		sc.ids, sc.vals = ids, vals
		sq := math.Sqrt(norm)
		if b == blockChar && K == 3 {
			// The bulk of the features, with the sums in registers.
			s0, s1, s2 := s[0], s[1], s[2]
			for i, id := range ids {
				v := vals[i]
				if norm > 0 {
					v /= sq
				}
				if v == 0 {
					continue
				}
				w := c.rows[int(id)*4+1 : int(id)*4+4]
				s0 += float64(v * w[0])
				s1 += float64(v * w[1])
				s2 += float64(v * w[2])
			}
			s[0], s[1], s[2] = s0, s1, s2
			continue
		}
		for i, id := range ids {
			v := vals[i]
			if norm > 0 {
				v /= sq
			}
			if v == 0 {
				continue
			}
			addRow(s, v, c.rows[int(id)*stride+1:int(id)*stride+stride])
			if f := sc.tab[order[i]].first; f > 0 {
				sp := sc.spans[f-1]
				sc.hits = append(sc.hits, wordHit{id: id, val: v, start: sp[0], end: sp[1]})
			}
		}
	}
	if c.cfg.Lexicon {
		lex := func(id int32, v float64) {
			if id < 0 || v == 0 {
				return
			}
			addRow(s, v, c.rows[int(id)*stride+1:int(id)*stride+stride])
		}
		label := func(m map[string]int32, l string) int32 {
			if id, ok := m[l]; ok {
				return id
			}
			return -1
		}
		// The features of lexFeatures, in its order.
		lex(c.lexSentScore, a.Sentiment.Score)
		lex(label(c.lexSent, a.Sentiment.Label), 1)
		lex(c.lexToxScore, a.Toxicity.Score)
		lex(label(c.lexTox, a.Toxicity.Label), 1)
		if c.cfg.Length && len(text) > 0 {
			lex(c.lexLogLen, math.Log1p(float64(nsyl))/5)
		}
	}
}
