package classifier

import (
	"slices"
	"sync"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// scratch holds the buffers of one Analyze call, reused through a pool so classifying a
// post costs few allocations. Nothing that points into a scratch may outlive the call:
// the syllable strings it hands out alias its buffers (or, for cached words, the word
// cache's immutable arena).
type scratch struct {
	tok   vntext.Tokenizer
	owner *lexModel // the model the Tokenizer's SlotData tags belong to
	gen   uint32    // the tag of owner's data in SlotData
	syls  []syllable
	// Analyze's matches by kind (protected groups, addressees, sentiment phrases, modifiers)
	// and its free negators and intensifiers.
	targets, addressees, sents, mods []match
	negAt, intAt                     []match
	nextFree                         []int
	best, matches                    []match
	touched                          []int
	narrRaw                          []float64
	narrSeen                         []int32
	narrCands                        []int // narratives the post may match (narrativeCandidates)
	learnedCands                     []int // narrCands and the narratives learned without terms (learnedCandidates)
	occ                              [][]ruleSpan
	occAtoms                         []int32 // atoms with occurrences in occ (findMatchesInto appends them)
	// Analyze's evidence, gathered here and copied out at its final length.
	evidence, toxEvidence []post.Evidence
	narrEvidence          [][]post.Evidence // per narrative
	neutralSyls           []string          // neutralSet.occursIn's syllables
	toxHits               []toxHit          // the learned toxicity component's features
	toxSeen               toxSeen           // its per-post feature stamps
	narr                  narrPass          // the learned narrative component's logits and features
	// evBlock is the block the posts' evidence is copied into (see copyEvidence).
	evBlock []post.Evidence
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

// syllables tokenizes s into sc's Tokenizer and returns the tokens with the text's
// syllables and the ids of their forms in m's symbol table. It is one pass over the
// tokens: a cached word of one syllable takes its ids from the word's SlotData (computed
// on first sight, tagged with m's generation in this scratch); other words are looked up
// (appendSyllables). Both results alias sc and are valid until sc is reused.
func (sc *scratch) syllables(s string, m *lexModel) ([]vntext.Token, []syllable) {
	toks := sc.tok.Tokenize(s)
	if sc.owner != m {
		sc.owner = m
		sc.gen++
		if sc.gen == 0 { // wrapped: old tags could repeat
			sc.tok.ClearSlotData()
			sc.gen = 1
		}
	}
	syls := sc.syls[:0]
	for i := range toks {
		d := sc.tok.SlotData(i)
		if d != nil && d.Tag != sc.gen {
			d.A, d.B = m.sylIDs(toks[i].Norm, toks[i].Folded, s[toks[i].Start:toks[i].End])
			d.C = m.learnedTox.featOf(d.A)
			d.Tag = sc.gen
		}
		if d != nil && d.A >= 0 {
			syls = append(syls, syllable{tok: int32(i), nid: d.A, fid: d.B, feat: d.C})
			continue
		}
		syls = m.appendSyllables(syls, s, toks, i)
	}
	sc.syls = syls
	return toks, syls
}

// evidenceBlock is how many pieces of evidence copyEvidence allocates at once.
const evidenceBlock = 8

// copyEvidence returns a copy of ev for a post's Analysis. Two posts in three have
// evidence, one or two pieces most often, and an allocation each was 3% of the time
// classifying the ViHSD comments (GC assists, span refills): small copies share a block of
// evidenceBlock pieces instead, each copy capped at its length so that an append to one
// reallocates rather than writing into the next. The price: an Analysis kept alive keeps
// its block (at most evidenceBlock pieces, 448 bytes) alive.
func (sc *scratch) copyEvidence(ev []post.Evidence) []post.Evidence {
	n := len(ev)
	if n > cap(sc.evBlock)-len(sc.evBlock) {
		if n > evidenceBlock/2 { // a large copy gets its own array
			return append(make([]post.Evidence, 0, n), ev...)
		}
		sc.evBlock = make([]post.Evidence, 0, evidenceBlock)
	}
	i := len(sc.evBlock)
	sc.evBlock = append(sc.evBlock, ev...)
	return sc.evBlock[i : i+n : i+n]
}

// emptyOccurrences returns sc.occ sized for atoms rule atoms, every one empty (nil when
// the model has none). Only the atoms the last post hit hold occurrences (most posts hit
// none), so emptying those keeps every atom empty without a pass over all of them.
func (sc *scratch) emptyOccurrences(atoms int) [][]ruleSpan {
	if atoms == 0 {
		return nil
	}
	all := sc.occ[:cap(sc.occ)]
	for _, a := range sc.occAtoms {
		all[a] = all[a][:0]
	}
	sc.occAtoms = sc.occAtoms[:0]
	sc.occ = slices.Grow(sc.occ[:0], atoms)[:atoms]
	return sc.occ
}
