package classifier

import (
	"sync"
	"unsafe"
)

// scratch holds the buffers of one Analyze call, reused through a pool so classifying a
// post costs few allocations. Nothing that points into a scratch may outlive the call:
// the syllable strings it hands out alias its buffers (or, for cached words, the word
// cache's immutable arena).
type scratch struct {
	toks             []Token
	normBuf, foldBuf []byte
	pend             []tokPend
	syls             []syllable
	covered          []bool
	nextFree         []int
	best, matches    []match
	touched          []int
	wordBufs         [2][]byte // the tokenScanner's per-word buffers
	words            *wordCache
	ids              [][2]int32 // per token from tokenizeIDs: syllable ids, or -1 when unknown
	narrRaw          []float64
	narrSeen         []int32
	occ              [][]ruleSpan
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledScratch keeps a 1 MB post from pinning megabytes in the pool.
const maxPooledScratch = 256 << 10

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(sc *scratch) {
	if cap(sc.normBuf) > maxPooledScratch || cap(sc.syls) > maxPooledScratch/8 {
		return
	}
	scratchPool.Put(sc)
}

// EachToken calls fn with the tokens of s in order, exactly as Tokenize returns them, but
// through a pooled scratch and its word cache: a repeated word costs a lookup instead of
// a normalization, and nothing is allocated per token. The indexer derives the stored word
// fields of every post this way. The Token's strings are valid only during the call to fn.
func EachToken(s string, fn func(Token)) {
	sc := getScratch()
	defer putScratch(sc)
	for _, t := range sc.tokenize(s) {
		fn(t)
	}
}

// tokenize is Tokenize into sc's buffers. The tokens' Norm and Folded strings alias sc
// and are valid until sc is reused.
func (sc *scratch) tokenize(s string) []Token { return sc.tokenizeIDs(s, nil) }

// tokenizeIDs is tokenize that also fills sc.ids with the ids of each token's forms in
// m's symbol table (through the word cache), when m is not nil.
func (sc *scratch) tokenizeIDs(s string, m *lexModel) []Token {
	var ts tokenScanner
	if sc.wordBufs[0] != nil {
		ts.norm, ts.fold = sc.wordBufs[0][:0], sc.wordBufs[1][:0]
	}
	ts.init(s)
	if sc.words == nil {
		sc.words = new(wordCache)
	}
	ts.cache = sc.words
	wc := sc.words
	if m != nil && wc.owner != m {
		wc.owner, wc.gen = m, wc.gen+1
	}
	defer func() { sc.wordBufs = [2][]byte{ts.norm, ts.fold} }()
	toks, normBuf, foldBuf, pend := sc.toks[:0], sc.normBuf[:0], sc.foldBuf[:0], sc.pend[:0]
	ids := sc.ids[:0]
	for ts.next() {
		if sl := ts.slot; sl != nil {
			// A cached word: its forms are the cache's immutable strings.
			toks = append(toks, Token{Start: ts.start, End: ts.end, Norm: sl.norm, Folded: sl.fold})
			if m != nil {
				if sl.gen != wc.gen {
					sl.nid, sl.fid = m.sylIDs(sl.norm, sl.fold)
					sl.gen = wc.gen
				}
				ids = append(ids, [2]int32{sl.nid, sl.fid})
			}
			continue
		}
		p := tokPend{tok: int32(len(toks)), n0: int32(len(normBuf)), f0: int32(len(foldBuf))}
		toks = append(toks, Token{Start: ts.start, End: ts.end})
		normBuf = append(normBuf, ts.norm...)
		foldBuf = append(foldBuf, ts.fold...)
		p.n1, p.f1 = int32(len(normBuf)), int32(len(foldBuf))
		pend = append(pend, p)
		if m != nil {
			ids = append(ids, [2]int32{-1, -1})
		}
	}
	sc.ids = ids
	ns, fs := unsafe.String(unsafe.SliceData(normBuf), len(normBuf)), unsafe.String(unsafe.SliceData(foldBuf), len(foldBuf))
	for _, p := range pend {
		toks[p.tok].Norm, toks[p.tok].Folded = ns[p.n0:p.n1], fs[p.f0:p.f1]
	}
	sc.toks, sc.normBuf, sc.foldBuf, sc.pend = toks, normBuf, foldBuf, pend
	return toks
}

// tokPend is a token whose forms are in scratch's buffers, filled in once they stop growing.
type tokPend struct{ tok, n0, n1, f0, f1 int32 }
