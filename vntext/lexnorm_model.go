package vntext

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// LexNormFormat is the format tag of a learned normalizer file.
const LexNormFormat = "langnghe-lexnorm/1"

// LexNormFile is a learned lexical normalizer as stored (langnghe model train --task
// normalize): the counts it was learned from and the weights chosen on held-out pairs. It
// holds counts, not probabilities, so a reader can see what was learned; the runtime
// tables are derived when it is loaded. Trained on research-only data (ViLexNorm), such a
// file stays on the machine that trained it.
type LexNormFile struct {
	Format   string         `json:"format"`
	Params   LexNormParams  `json:"params"`
	Training map[string]any `json:"training,omitempty"`
	// Unigrams and Bigrams count normalized syllables of the training targets, with "<s>"
	// and "</s>" marking a text's start and end; a bigram key is "v w".
	Unigrams map[string]int `json:"unigrams"`
	Bigrams  map[string]int `json:"bigrams"`
	// Channel counts, for every source syllable (as written, after Normalize), the
	// normalized strings it was aligned to, itself included.
	Channel map[string]map[string]int `json:"channel"`
}

// LexNormParams weigh the parts of the learned normalizer. The score of a normalization is
// the sum over its syllables of LMWeight·log P(word | previous word) and the channel
// score log((c(src→t) + Beta·prior(t)) / (c(src) + Beta)), where c counts the training
// alignments and prior is 1 for leaving the syllable as written, Teencode for the shipped
// teencode expansion, FoldPlain (source without diacritics) or FoldMarked (with) for a
// known word with the same letters once diacritics are removed, and Edit for a known word
// one letter away, the last two shared out by the words' frequency.
type LexNormParams struct {
	LMWeight   float64 `json:"lm_weight"`
	Mu         float64 `json:"mu"` // Dirichlet smoothing of the bigram model towards unigrams
	Beta       float64 `json:"beta"`
	Teencode   float64 `json:"teencode"`
	FoldPlain  float64 `json:"fold_plain"`
	FoldMarked float64 `json:"fold_marked"`
	Edit       float64 `json:"edit"`
	MinVocab   int     `json:"min_vocab"` // a word is proposed by folding or editing only if seen this often
	Beam       float64 `json:"beam"`      // candidates scoring this much below a syllable's best are dropped
	MaxCands   int     `json:"max_cands"`
}

// DefaultLexNormParams are the starting point of tuning.
func DefaultLexNormParams() LexNormParams {
	return LexNormParams{LMWeight: 1, Mu: 5, Beta: 1, Teencode: 0.5, FoldPlain: 0.1, FoldMarked: 0.001,
		Edit: 0.001, MinVocab: 2, Beam: 12, MaxCands: 8}
}

// LexNormModel is a learned lexical normalizer: a candidate table (the training
// alignments, the shipped teencode dictionary, accent restoration and one-letter edits
// towards known words) ranked by a bigram model of normalized syllables, decoded with
// Viterbi. It is an opt-in alternative to the rule-based expansion of Tokenize, whose
// output stays as it is. Safe for concurrent use.
type LexNormModel struct {
	p       LexNormParams
	vocab   SymbolTable // word → id (1 "<s>", 2 "</s>", then the words)
	words   []string    // by id
	count   []float64   // by id
	logUni  []float32   // log unigram probability by id; [0] is the unknown word's
	logCtx  []float32   // log(c(v as history) + Mu) by id
	logMu   float32
	bigram  bigramTable // log P(w|v) of seen bigrams
	srcs    SymbolTable // source syllable → 1 + index into cands
	cands   [][]lnCand
	channel map[string]map[string]int
	fold    map[string][]int32 // folded word → known word ids (count ≥ MinVocab)
	dels    map[string][]int32 // folded word with one letter deleted → known word ids
	teen    *teenTable
	scratch sync.Pool
	unseen  lnCache // candidates of recent sources not in srcs
}

// lnCand is one normalization of a source syllable: out (one or more syllables, or the
// source as written), the LM ids of its first and last syllable, and its channel score
// plus the LM score inside a multi-syllable out.
type lnCand struct {
	out, fold   string
	first, last int32
	score       float32
}

const (
	lnBOS = 1
	lnEOS = 2
)

// ErrLexNormModel marks a learned normalizer file that cannot be used.
var ErrLexNormModel = errors.New("bad learned normalizer")

// DecodeLexNorm reads a learned normalizer file; name labels errors.
func DecodeLexNorm(r io.Reader, name string) (*LexNormModel, error) {
	var f LexNormFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, ErrLexNormModel, err)
	}
	if f.Format != LexNormFormat {
		return nil, fmt.Errorf("%s: %w: format %q, want %q", name, ErrLexNormModel, f.Format, LexNormFormat)
	}
	if len(f.Unigrams) == 0 {
		return nil, fmt.Errorf("%s: %w: no unigrams", name, ErrLexNormModel)
	}
	return NewLexNormModel(&f), nil
}

// NewLexNormModel builds the runtime tables of f.
func NewLexNormModel(f *LexNormFile) *LexNormModel {
	m := &LexNormModel{p: f.Params, channel: f.Channel, teen: defaultTeenTable()}
	if m.p.MaxCands <= 0 {
		m.p.MaxCands = 8
	}
	m.buildLM(f)
	m.buildIndex()
	// Every source seen in training, every known word and every teencode key gets its
	// candidates computed now, so the hot path is one table lookup a syllable.
	var srcs []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] && s != "<s>" && s != "</s>" {
			seen[s] = true
			srcs = append(srcs, s)
		}
	}
	for s := range f.Channel {
		add(s)
	}
	for s := range f.Unigrams {
		add(s)
	}
	for s := range defaultTeencode() {
		add(s)
	}
	sort.Strings(srcs)
	for _, s := range srcs {
		m.cands = append(m.cands, m.candidates(s))
		m.srcs.Put(s, int32(len(m.cands)))
	}
	m.scratch.New = func() any { return new(lnScratch) }
	return m
}

func (m *LexNormModel) buildLM(f *LexNormFile) {
	words := make([]string, 0, len(f.Unigrams))
	for w := range f.Unigrams {
		if w != "<s>" && w != "</s>" {
			words = append(words, w)
		}
	}
	sort.Strings(words)
	words = append([]string{"", "<s>", "</s>"}, words...)
	m.words = words
	m.count = make([]float64, len(words))
	var total float64
	for id, w := range words {
		if id > 0 {
			m.vocab.Put(w, int32(id))
			m.count[id] = float64(f.Unigrams[w])
			if w != "<s>" {
				total += m.count[id]
			}
		}
	}
	v := float64(len(words))
	m.logUni = make([]float32, len(words))
	for id := range words {
		m.logUni[id] = float32(math.Log((m.count[id] + 0.5) / (total + 0.5*v)))
	}
	mu := math.Max(m.p.Mu, 1e-9)
	m.logMu = float32(math.Log(mu))
	hist := make([]float64, len(words))
	type bg struct {
		v, w int32
		c    float64
	}
	var bgs []bg
	for k, c := range f.Bigrams {
		a, b, ok := strings.Cut(k, " ")
		va, vb := m.vocab.GetString(a), m.vocab.GetString(b)
		if !ok || va == 0 || vb == 0 {
			continue
		}
		hist[va] += float64(c)
		bgs = append(bgs, bg{va, vb, float64(c)})
	}
	m.logCtx = make([]float32, len(words))
	for id := range words {
		m.logCtx[id] = float32(math.Log(hist[id] + mu))
	}
	m.bigram.init(len(bgs))
	for _, b := range bgs {
		p := (b.c + mu*math.Exp(float64(m.logUni[b.w]))) / (hist[b.v] + mu)
		m.bigram.put(uint64(b.v)<<32|uint64(b.w), float32(math.Log(p)))
	}
}

// lm is log P(w | v).
func (m *LexNormModel) lm(v, w int32) float32 {
	if p, ok := m.bigram.get(uint64(v)<<32 | uint64(w)); ok {
		return p
	}
	return m.logMu + m.logUni[w] - m.logCtx[v]
}

func (m *LexNormModel) buildIndex() {
	m.fold, m.dels = map[string][]int32{}, map[string][]int32{}
	n := int32(len(m.count))
	for id := int32(lnEOS + 1); id < n; id++ {
		if m.count[id] < float64(max(m.p.MinVocab, 1)) {
			continue
		}
		w := m.word(id)
		if !isLetters(w) {
			continue
		}
		f := string(appendFolded(nil, w))
		m.fold[f] = append(m.fold[f], id)
		for _, d := range deletions(f) {
			m.dels[d] = append(m.dels[d], id)
		}
	}
}

// word returns the word of an LM id.
func (m *LexNormModel) word(id int32) string { return m.words[id] }

// isLetters reports whether w is one syllable of letters (no digits, no emoticon).
func isLetters(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if r >= '0' && r <= '9' || !isWordRune(r) {
			return false
		}
	}
	return true
}

// deletions lists s with one character removed, each once.
func deletions(s string) []string {
	var out []string
	for i, r := range s {
		d := s[:i] + s[i+utf8.RuneLen(r):]
		if len(out) == 0 || out[len(out)-1] != d {
			out = append(out, d)
		}
	}
	return out
}

// candidates ranks the normalizations of source syllable s.
func (m *LexNormModel) candidates(s string) []lnCand {
	obs := m.channel[s]
	var total float64
	for _, c := range obs {
		total += float64(c)
	}
	pr := lnPrior{{s, 1}}
	if isLetters(s) {
		if e := m.teen.lookup([]byte(s)); e != nil {
			pr.add(e.norm, m.p.Teencode)
		}
		f := string(appendFolded(nil, s))
		w := m.p.FoldMarked
		if f == s {
			w = m.p.FoldPlain
		}
		m.share(&pr, m.fold[f], w)
		if m.vocab.GetString(s) == 0 && total == 0 && m.p.Edit > 0 {
			ids := append([]int32(nil), m.dels[f]...)
			for _, d := range deletions(f) {
				ids = append(ids, m.fold[d]...)
				ids = append(ids, m.dels[d]...)
			}
			m.share(&pr, ids, m.p.Edit)
		}
	}
	for t := range obs {
		pr.add(t, 0)
	}
	cs := make([]lnCand, 0, len(pr))
	for _, x := range pr {
		t := x.t
		num := float64(obs[t]) + m.p.Beta*x.w
		if num <= 0 {
			continue
		}
		c := lnCand{out: t, fold: string(appendFolded(nil, t)), score: float32(math.Log(num / (total + m.p.Beta)))}
		first, rest, multi := strings.Cut(t, " ")
		c.first = m.vocab.GetString(first)
		c.last = c.first
		for multi {
			var w string
			w, rest, multi = strings.Cut(rest, " ")
			id := m.vocab.GetString(w)
			c.score += float32(m.p.LMWeight) * m.lm(c.last, id)
			c.last = id
		}
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].out < cs[j].out
	})
	keep := 1
	for keep < len(cs) && keep < m.p.MaxCands && float64(cs[0].score-cs[keep].score) <= m.p.Beam {
		keep++
	}
	return cs[:keep:keep]
}

// lnPrior is the prior weight of each candidate of a syllable: a handful, so a slice.
type lnPrior []struct {
	t string
	w float64
}

// add raises t's weight to at least w.
func (p *lnPrior) add(t string, w float64) {
	for i := range *p {
		if (*p)[i].t == t {
			(*p)[i].w = max((*p)[i].w, w)
			return
		}
	}
	*p = append(*p, struct {
		t string
		w float64
	}{t, w})
}

// share adds weight w to the prior, shared out by frequency among the distinct known
// words ids; only the MaxCands most frequent are kept, as the rest would be pruned.
func (m *LexNormModel) share(pr *lnPrior, ids []int32, w float64) {
	if w <= 0 || len(ids) == 0 {
		return
	}
	ids = append([]int32(nil), ids...)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	uniq := ids[:0]
	var sum float64
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			uniq = append(uniq, id)
			sum += m.count[id]
		}
	}
	sort.Slice(uniq, func(i, j int) bool {
		if ci, cj := m.count[uniq[i]], m.count[uniq[j]]; ci != cj {
			return ci > cj
		}
		return uniq[i] < uniq[j]
	})
	for _, id := range uniq[:min(len(uniq), m.p.MaxCands)] {
		pr.add(m.words[id], w*m.count[id]/sum)
	}
}

// lnScratch is the per-call state of the decoder, pooled.
type lnScratch struct {
	toks       []lnTok
	cands      [][]lnCand
	best       []float32 // Viterbi scores, cands of position i from off[i]
	back       []int32
	off        []int32
	buf        []byte
	norm, fold []byte // the scanner's word buffers
	extra      []lnCand
}

type lnTok struct {
	start, end int
	c          int    // chosen candidate
	word       bool   // a syllable, not an emoticon or emoji
	norm, fold string // an emoticon's or emoji's canonical forms (Tokenize's)
}

// Normalize returns the normalized syllables of s joined by single spaces: each syllable
// (or emoticon, emoji) as the learned model normalizes it, lowercase NFC, punctuation
// dropped, as ViLexNorm's annotators would write it.
func (m *LexNormModel) Normalize(s string) string {
	sc := m.scratch.Get().(*lnScratch)
	m.decode(s, sc, false)
	out := sc.buf[:0]
	for i, t := range sc.toks {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, sc.cands[i][t.c].out...)
	}
	r := string(out)
	sc.buf = out
	m.scratch.Put(sc)
	return r
}

// Tokenize is vntext.Tokenize with the learned normalization: the same tokens and offsets,
// with Norm the learned form (possibly several syllables, as with teencode) and Folded
// its accent-free form. Emoticons and emoji keep Tokenize's canonical forms.
func (m *LexNormModel) Tokenize(s string) []Token {
	sc := m.scratch.Get().(*lnScratch)
	m.decode(s, sc, true)
	toks := make([]Token, len(sc.toks))
	for i, t := range sc.toks {
		toks[i] = Token{Start: t.start, End: t.end, Norm: t.norm, Folded: t.fold}
		if t.word {
			c := &sc.cands[i][t.c]
			toks[i].Norm, toks[i].Folded = c.out, c.fold
		}
	}
	m.scratch.Put(sc)
	return toks
}

// decode fills sc.toks and sc.cands for s and picks the best path. canon keeps the
// canonical forms of emoticons and emoji for Tokenize.
func (m *LexNormModel) decode(s string, sc *lnScratch, canon bool) {
	var ts tokenScanner
	ts.norm, ts.fold = sc.norm[:0], sc.fold[:0]
	ts.init(s)
	ts.teen = &noTeen
	sc.toks, sc.cands, sc.extra = sc.toks[:0], sc.cands[:0], sc.extra[:0]
	for ts.next() {
		c := s[ts.start]
		word := c < utf8.RuneSelf && asciiClass[c] == acWord || c >= utf8.RuneSelf && isWordStart(s, ts.start)
		sc.toks = append(sc.toks, lnTok{start: ts.start, end: ts.end, word: word})
		if word {
			if id := m.srcs.Get(ts.norm); id > 0 {
				sc.cands = append(sc.cands, m.cands[id-1])
			} else {
				sc.cands = append(sc.cands, m.unseen.get(ts.norm, m.candidates))
			}
			continue
		}
		// An emoticon or emoji: itself, as written (the annotators' form).
		if canon {
			t := &sc.toks[len(sc.toks)-1]
			t.norm, t.fold = string(ts.norm), string(ts.fold)
		}
		src := appendSurface(sc.buf[:0], s[ts.start:ts.end])
		sc.buf = src
		id := m.vocab.Get(src)
		sc.extra = append(sc.extra, lnCand{out: string(src), first: id, last: id})
		sc.cands = append(sc.cands, sc.extra[len(sc.extra)-1:len(sc.extra)])
	}
	sc.norm, sc.fold = ts.norm, ts.fold
	m.viterbi(sc)
}

func isWordStart(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// noTeen is an empty teencode table: the decoder sees syllables as written.
var noTeen teenTable

// appendSurface appends a non-word token (emoticon, emoji) as Normalize writes it:
// ASCII lowercased, other bytes kept (emoji have no case).
func appendSurface(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, lowerASCII(s[i]))
	}
	return dst
}

func (m *LexNormModel) viterbi(sc *lnScratch) {
	n := len(sc.toks)
	sc.off = sc.off[:0]
	total := 0
	for _, cs := range sc.cands {
		sc.off = append(sc.off, int32(total))
		total += len(cs)
	}
	sc.best = grow(sc.best, total)
	sc.back = grow(sc.back, total)
	lw := float32(m.p.LMWeight)
	prevCands := []lnCand{{last: lnBOS}}
	prevBest := []float32{0}
	for i := 0; i < n; i++ {
		cs := sc.cands[i]
		best := sc.best[sc.off[i] : int(sc.off[i])+len(cs)]
		back := sc.back[sc.off[i] : int(sc.off[i])+len(cs)]
		for j := range cs {
			c := &cs[j]
			if len(cs) == 1 && len(prevCands) == 1 {
				// One path in and out: the transition adds the same to every path.
				best[j], back[j] = prevBest[0]+c.score, 0
				continue
			}
			bk, bs := int32(0), float32(math.Inf(-1))
			for k := range prevCands {
				v := prevBest[k] + lw*m.lm(prevCands[k].last, c.first)
				if v > bs {
					bs, bk = v, int32(k)
				}
			}
			best[j], back[j] = bs+c.score, bk
		}
		prevCands, prevBest = cs, best
	}
	if n == 0 {
		return
	}
	bj, bs := 0, float32(math.Inf(-1))
	for j := range prevCands {
		v := prevBest[j]
		if len(prevCands) > 1 {
			v += lw * m.lm(prevCands[j].last, lnEOS)
		}
		if v > bs {
			bs, bj = v, j
		}
	}
	for i := n - 1; i >= 0; i-- {
		sc.toks[i].c = bj
		bj = int(sc.back[int(sc.off[i])+bj])
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// bigramTable maps a bigram key (v<<32 | w) to its log probability by linear probing in
// a table kept at most half full: the decoder's inner loop, cheaper than a map. Keys are
// stored with the top bit set, so 0 marks an empty slot (the unknown word's id is 0).
type bigramTable struct {
	keys  []uint64
	vals  []float32
	shift uint
}

func (t *bigramTable) init(n int) {
	size := 16
	for size < 2*n {
		size *= 2
	}
	t.keys, t.vals = make([]uint64, size), make([]float32, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
}

func (t *bigramTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

const bigramUsed = 1 << 63

func (t *bigramTable) put(k uint64, v float32) {
	k |= bigramUsed
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		if t.keys[i] == 0 || t.keys[i] == k {
			t.keys[i], t.vals[i] = k, v
			return
		}
	}
}

func (t *bigramTable) get(k uint64) (float32, bool) {
	k |= bigramUsed
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return t.vals[i], true
		case 0:
			return 0, false
		}
	}
}

// lnCache keeps the candidates of recently seen source syllables that are not in the
// model's table (names, typos), so a word repeated across posts is ranked once. It is
// direct-mapped and bounded, like the Tokenizer's word cache, and safe for concurrent use.
type lnCache struct {
	mu    sync.Mutex
	slots [1 << lnCacheBits]struct {
		key   string
		cands []lnCand
	}
}

func (c *lnCache) get(src []byte, compute func(string) []lnCand) []lnCand {
	var h uint64 = 14695981039346656037
	for _, b := range src {
		h = (h ^ uint64(b)) * 1099511628211
	}
	sl := &c.slots[h>>(64-lnCacheBits)]
	c.mu.Lock()
	if sl.cands != nil && sl.key == string(src) {
		cs := sl.cands
		c.mu.Unlock()
		return cs
	}
	c.mu.Unlock()
	key := string(src)
	cs := compute(key)
	c.mu.Lock()
	sl.key, sl.cands = key, cs
	c.mu.Unlock()
	return cs
}

const lnCacheBits = 14

// reset empties the cache (benchmarks measure the cold cost with it).
func (c *lnCache) reset() {
	c.mu.Lock()
	clear(c.slots[:])
	c.mu.Unlock()
}
