package vntext

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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
	bigram  map[uint64]float32 // log P(w|v) of seen bigrams, key v<<32|w
	srcs    SymbolTable        // source syllable → 1 + index into cands
	cands   [][]lnCand
	channel map[string]map[string]int
	fold    map[string][]int32 // folded word → known word ids (count ≥ MinVocab)
	dels    map[string][]int32 // folded word with one letter deleted → known word ids
	teen    *teenTable
	scratch sync.Pool
}

// lnCand is one normalization of a source syllable: out (one or more syllables, or the
// source as written), the LM ids of its first and last syllable, and its channel score
// plus the LM score inside a multi-syllable out.
type lnCand struct {
	out         string
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
	m.bigram = make(map[uint64]float32, len(bgs))
	for _, b := range bgs {
		p := (b.c + mu*math.Exp(float64(m.logUni[b.w]))) / (hist[b.v] + mu)
		m.bigram[uint64(b.v)<<32|uint64(b.w)] = float32(math.Log(p))
	}
}

// lm is log P(w | v).
func (m *LexNormModel) lm(v, w int32) float32 {
	if p, ok := m.bigram[uint64(v)<<32|uint64(w)]; ok {
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
	prior := map[string]float64{s: 1}
	if isLetters(s) {
		if e := m.teen.lookup([]byte(s)); e != nil {
			prior[e.norm] = max(prior[e.norm], m.p.Teencode)
		}
		f := string(appendFolded(nil, s))
		w := m.p.FoldMarked
		if f == s {
			w = m.p.FoldPlain
		}
		m.share(prior, m.fold[f], s, w)
		if m.vocab.GetString(s) == 0 && total == 0 && m.p.Edit > 0 {
			ids := append([]int32(nil), m.dels[f]...)
			for _, d := range deletions(f) {
				ids = append(ids, m.fold[d]...)
				ids = append(ids, m.dels[d]...)
			}
			m.share(prior, ids, s, m.p.Edit)
		}
	}
	var cs []lnCand
	for t := range union(obs, prior) {
		num := float64(obs[t]) + m.p.Beta*prior[t]
		if num <= 0 {
			continue
		}
		c := lnCand{out: t, score: float32(math.Log(num / (total + m.p.Beta)))}
		ws := strings.Fields(t)
		if len(ws) == 0 {
			continue
		}
		ids := make([]int32, len(ws))
		for i, w := range ws {
			ids[i] = m.vocab.GetString(w)
		}
		for i := 1; i < len(ids); i++ {
			c.score += float32(m.p.LMWeight) * m.lm(ids[i-1], ids[i])
		}
		c.first, c.last = ids[0], ids[len(ids)-1]
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

// share adds weight w to prior, shared out among the distinct known words ids by frequency.
func (m *LexNormModel) share(prior map[string]float64, ids []int32, self string, w float64) {
	if w <= 0 || len(ids) == 0 {
		return
	}
	uniq := map[int32]bool{}
	var sum float64
	for _, id := range ids {
		if !uniq[id] {
			uniq[id] = true
			sum += m.count[id]
		}
	}
	for id := range uniq {
		t := m.word(id)
		if t != self {
			prior[t] = max(prior[t], w*m.count[id]/sum)
		}
	}
}

func union(a map[string]int, b map[string]float64) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// lnScratch is the per-call state of the decoder, pooled.
type lnScratch struct {
	toks  []lnTok
	cands [][]lnCand
	best  []float32 // Viterbi scores, cands of position i from off[i]
	back  []int32
	off   []int32
	buf   []byte
	one   [1]lnCand
	extra []lnCand
}

type lnTok struct {
	start, end int
	c          int // chosen candidate
}

// Normalize returns the normalized syllables of s joined by single spaces: each syllable
// (or emoticon, emoji) as the learned model normalizes it, lowercase NFC, punctuation
// dropped, as ViLexNorm's annotators would write it.
func (m *LexNormModel) Normalize(s string) string {
	sc := m.scratch.Get().(*lnScratch)
	m.decode(s, sc)
	out := make([]byte, 0, len(s)+len(s)/4)
	for i, t := range sc.toks {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, sc.cands[i][t.c].out...)
	}
	m.scratch.Put(sc)
	return string(out)
}

// Tokenize is vntext.Tokenize with the learned normalization: the same tokens and offsets,
// with Norm the learned form (possibly several syllables, as with teencode) and Folded
// its accent-free form. Emoticons and emoji keep Tokenize's canonical forms.
func (m *LexNormModel) Tokenize(s string) []Token {
	toks := Tokenize(s)
	sc := m.scratch.Get().(*lnScratch)
	m.decode(s, sc)
	for i, t := range sc.toks {
		if i < len(toks) && isWordStart(s, t.start) {
			out := sc.cands[i][t.c].out
			toks[i].Norm = out
			toks[i].Folded = string(appendFolded(nil, out))
		}
	}
	m.scratch.Put(sc)
	return toks
}

func isWordStart(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(r)
}

// decode fills sc.toks and sc.cands for s and picks the best path.
func (m *LexNormModel) decode(s string, sc *lnScratch) {
	var ts tokenScanner
	ts.init(s)
	ts.teen = &noTeen
	sc.toks, sc.cands, sc.extra = sc.toks[:0], sc.cands[:0], sc.extra[:0]
	for ts.next() {
		sc.toks = append(sc.toks, lnTok{start: ts.start, end: ts.end})
		src := ts.norm
		if !isWordStart(s, ts.start) {
			src = appendSurface(sc.buf[:0], s[ts.start:ts.end])
			sc.buf = src
		}
		if id := m.srcs.Get(src); id > 0 {
			sc.cands = append(sc.cands, m.cands[id-1])
			continue
		}
		if isWordStart(s, ts.start) {
			sc.cands = append(sc.cands, m.candidates(string(src)))
			continue
		}
		// An emoticon or emoji: itself.
		sc.extra = append(sc.extra, lnCand{out: string(src), first: m.vocab.Get(src)})
		sc.extra[len(sc.extra)-1].last = sc.extra[len(sc.extra)-1].first
		sc.cands = append(sc.cands, sc.extra[len(sc.extra)-1:len(sc.extra)])
	}
	m.viterbi(sc)
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
