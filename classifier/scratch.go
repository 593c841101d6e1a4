package classifier

import (
	"sync"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// scratch holds the buffers of one Analyze call, reused through a pool so classifying a
// post costs few allocations. Nothing that points into a scratch may outlive the call:
// the syllable strings it hands out alias its buffers (or, for cached words, the word
// cache's immutable arena).
type scratch struct {
	tok           vntext.Tokenizer
	ids           [][2]int32 // per token from tokenizeIDs: syllable ids, or -1 when unknown
	owner         *lexModel  // the model the Tokenizer's SlotData tags belong to
	gen           uint32     // the tag of owner's data in SlotData
	syls          []syllable
	covered       []bool
	nextFree      []int
	best, matches []match
	touched       []int
	narrRaw       []float64
	narrSeen      []int32
	occ           [][]ruleSpan
	occAtoms      []int32 // atoms with occurrences in occ (findMatchesInto appends them)
	// Analyze's evidence, gathered here and copied out at its final length.
	evidence, toxEvidence []post.Evidence
	narrEvidence          [][]post.Evidence // per narrative
	neutralSyls           []string          // neutralSet.occursIn's syllables
	toxHits               []toxHit          // the learned toxicity component's features
	toxMask               []bool            // its neutral-term mask
	toxSeen               toxSeen           // its per-post feature stamps
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

// tokenizeIDs is tokenize that also fills sc.ids with the ids of each token's forms in
// m's symbol table: for cached words from the word's SlotData (computed on first sight,
// tagged with m's generation in this scratch), -1 for the others (the caller looks those
// up).
func (sc *scratch) tokenizeIDs(s string, m *lexModel) []vntext.Token {
	toks := sc.tok.Tokenize(s)
	if sc.owner != m {
		sc.owner = m
		sc.gen++
		if sc.gen == 0 { // wrapped: old tags could repeat
			sc.tok.ClearSlotData()
			sc.gen = 1
		}
	}
	ids := sc.ids[:0]
	for i := range toks {
		d := sc.tok.SlotData(i)
		if d == nil {
			ids = append(ids, [2]int32{-1, -1})
			continue
		}
		if d.Tag != sc.gen {
			d.A, d.B = m.sylIDs(toks[i].Norm, toks[i].Folded, s[toks[i].Start:toks[i].End])
			d.Tag = sc.gen
		}
		ids = append(ids, [2]int32{d.A, d.B})
	}
	sc.ids = ids
	return toks
}
