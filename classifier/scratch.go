package classifier

import (
	"sync"
	"unsafe"
)

// scratch holds the buffers of one Analyze call, reused through a pool so classifying a
// post costs few allocations. Nothing that points into a scratch may outlive the call:
// the syllable strings it hands out alias its buffers.
type scratch struct {
	toks             []Token
	normBuf, foldBuf []byte
	ends             [][2]int32
	syls             []syllable
	covered          []bool
	nextFree         []int
	best, matches    []match
	touched          []int
	wordBufs         [2][]byte // the tokenScanner's per-word buffers
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

// tokenize is Tokenize into sc's buffers. The tokens' Norm and Folded strings alias sc
// and are valid until sc is reused.
func (sc *scratch) tokenize(s string) []Token {
	var ts tokenScanner
	if sc.wordBufs[0] != nil {
		ts.norm, ts.fold = sc.wordBufs[0][:0], sc.wordBufs[1][:0]
	}
	ts.init(s)
	defer func() { sc.wordBufs = [2][]byte{ts.norm, ts.fold} }()
	toks, normBuf, foldBuf, ends := sc.toks[:0], sc.normBuf[:0], sc.foldBuf[:0], sc.ends[:0]
	for ts.next() {
		toks = append(toks, Token{Start: ts.start, End: ts.end})
		normBuf = append(normBuf, ts.norm...)
		foldBuf = append(foldBuf, ts.fold...)
		ends = append(ends, [2]int32{int32(len(normBuf)), int32(len(foldBuf))})
	}
	ns, fs := unsafe.String(unsafe.SliceData(normBuf), len(normBuf)), unsafe.String(unsafe.SliceData(foldBuf), len(foldBuf))
	var n0, f0 int32
	for i := range toks {
		toks[i].Norm, toks[i].Folded = ns[n0:ends[i][0]], fs[f0:ends[i][1]]
		n0, f0 = ends[i][0], ends[i][1]
	}
	sc.toks, sc.normBuf, sc.foldBuf, sc.ends = toks, normBuf, foldBuf, ends
	return toks
}
