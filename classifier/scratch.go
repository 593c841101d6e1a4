package classifier

import (
	"sync"

	"github.com/langnghe/langnghe/vntext"
)

// scratch holds the buffers of one Analyze call, reused through a pool so classifying a
// post costs few allocations. Nothing that points into a scratch may outlive the call:
// the syllable strings it hands out alias its buffers (or, for cached words, the word
// cache's immutable arena).
type scratch struct {
	tok           vntext.Tokenizer
	ids           [][2]int32 // per token from tokenizeIDs: syllable ids, or -1 when unknown
	idCache       *idCache
	syls          []syllable
	covered       []bool
	nextFree      []int
	best, matches []match
	touched       []int
	narrRaw       []float64
	narrSeen      []int32
	occ           [][]ruleSpan
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledScratch keeps a 1 MB post from pinning megabytes in the pool.
const maxPooledScratch = 256 << 10

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(sc *scratch) {
	if sc.tok.Oversized() || cap(sc.syls) > maxPooledScratch/8 {
		return
	}
	scratchPool.Put(sc)
}

// tokenize is vntext.Tokenize into sc's Tokenizer. The tokens' Norm and Folded strings
// alias sc and are valid until sc is reused.
func (sc *scratch) tokenize(s string) []vntext.Token { return sc.tok.Tokenize(s) }

// idCache keeps, per slot of the Tokenizer's word cache, the ids of that word's forms in
// one model's symbol table, so a repeated word costs no symbol lookups. An entry is valid
// while the slot still holds the word it was computed for (same stamp) and the model is
// the one it was computed with (owner).
type idCache struct {
	owner   *lexModel
	entries [vntext.CacheSlots]idEntry
}

type idEntry struct {
	stamp    uint64
	nid, fid int32
}

// tokenizeIDs is tokenize that also fills sc.ids with the ids of each token's forms in
// m's symbol table: from the id cache for cached words, -1 for the others (the caller
// looks those up).
func (sc *scratch) tokenizeIDs(s string, m *lexModel) []vntext.Token {
	toks := sc.tok.Tokenize(s)
	if sc.idCache == nil {
		sc.idCache = new(idCache)
	}
	c := sc.idCache
	if c.owner != m {
		c.owner = m
		clear(c.entries[:])
	}
	ids := sc.ids[:0]
	for i, k := range sc.tok.CacheKeys() {
		if k.Stamp == 0 {
			ids = append(ids, [2]int32{-1, -1})
			continue
		}
		e := &c.entries[k.Slot]
		if e.stamp != k.Stamp {
			e.nid, e.fid = m.sylIDs(toks[i].Norm, toks[i].Folded)
			e.stamp = k.Stamp
		}
		ids = append(ids, [2]int32{e.nid, e.fid})
	}
	sc.ids = ids
	return toks
}
