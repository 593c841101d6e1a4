package vntext

import (
	"sync"
	"unsafe"
)

// wordCache memoizes word normalization (tone placement, folding, teencode) for hot
// paths such as classification and indexing: posts repeat a few thousand syllables, and
// a hit costs one hash of the word as written instead of parsing and composing it. It
// belongs to one Tokenizer, so one goroutine uses it at a time. The cached forms are
// exactly what word() computes, so the cache changes speed only; words longer than
// symInline bytes are not cached.
//
// It is two-way set associative, 16,384 slots of 64 bytes (1 MB): a word may sit in
// either slot of its set, and a new word evicts the one of the two used less recently.
// Over one pass of the 925,757 words of ../shared/data (20,523 distinct; simulated), the
// direct-mapped cache of 8,192 slots it replaces missed 11.1% of the words, 16,384
// direct-mapped slots 7.1%, this one 3.9% (2.2% are first sightings). A miss costs a
// normalization, an arena copy and the classifier's look-ups of the word's ids.
type wordCache struct {
	// slots holds the sets. Which slot of a set was used last is bit way1Used of the
	// first slot's k1 (set: the second), so that marking a hit writes to a cache line the
	// look-up has just read.
	slots [wordSets][2]wordSlot
	arena []byte // backing store of the slots' strings, allocated a block at a time
}

// intern returns b as a string stored in the cache's arena. Arena bytes are never
// written twice, so the strings stay immutable (and valid after their slot is reused).
func (c *wordCache) intern(b []byte) string {
	if len(b) > cap(c.arena)-len(c.arena) {
		c.arena = make([]byte, 0, max(4096, len(b)))
	}
	i := len(c.arena)
	c.arena = append(c.arena, b...)
	return unsafe.String(&c.arena[i], len(b))
}

const wordCacheBits = 14

// wordSets is the number of sets of two slots.
const wordSets = 1 << (wordCacheBits - 1)

// wordSet returns the set of the packed word (k0, k1).
func wordSet(k0, k1 uint64) uint64 { return symHash(k0, k1) >> (64 - wordCacheBits + 1) }

// find returns the slot holding the word w as written, marked used, or nil when w is
// not cached or longer than symInline. It packs w as packSym does, written out for the
// lengths of words: this is the path of most words, and packSym's calls cost more than
// its loads.
func (c *wordCache) find(w string) *wordSlot {
	var k0, k1 uint64
	switch n := len(w); {
	case n > symInline:
		return nil
	case n > 8:
		k0, k1 = load8(w), loadUpTo8(w[8:])|uint64(n)<<56
	case n == 8:
		k0, k1 = load8(w), uint64(n)<<56
	case n >= 4:
		k0, k1 = uint64(load4(w))|uint64(load4(w[n-4:]))<<(8*(n-4)), uint64(n)<<56
	case n > 0:
		k0, k1 = uint64(w[0])|uint64(w[n/2])<<(8*(n/2))|uint64(w[n-1])<<(8*(n-1)), uint64(n)<<56
	default:
		return nil
	}
	return probe(&c.slots[wordSet(k0, k1)%wordSets], k0, k1)
}

// way1Used is the bit of a set's first slot's k1 that says its second slot was used
// last. A packed word's k1 never has it (its top byte is the length, at most symInline).
const way1Used = 1 << 63

// probe returns the slot of ways holding the packed word (k0, k1), marked used, or nil.
func probe(ways *[2]wordSlot, k0, k1 uint64) *wordSlot {
	k := ways[0].k1
	if ways[0].k0 == k0 && k&^way1Used == k1 {
		if k != k1 {
			ways[0].k1 = k1
		}
		return &ways[0]
	}
	if ways[1].k0 == k0 && ways[1].k1 == k1 {
		if k&way1Used == 0 {
			ways[0].k1 = k | way1Used
		}
		return &ways[1]
	}
	return nil
}

// scanCached appends to toks and slots the tokens of s from pos on while they are
// cached words made of ASCII letters and digits and Vietnamese letters, after ASCII
// separators that begin no emoticon, and while toks and slots have room; it returns
// where it stopped: at len(s), or at the start of a token that Tokenize's general path
// takes (tokenScanner.next skips the separators before
// it as this does). It is Tokenize's hot loop, and calls nothing, not even append's
// growslice: Go saves no register across a call, so a call anywhere in the loop makes
// every iteration store and reload what the loop holds. The look-up is find's, and the
// letters are wordEnd's, written out.
func (c *wordCache) scanCached(s string, pos int, toks []Token, slots []*wordSlot) (int, []Token, []*wordSlot) {
	for len(toks) < cap(toks) && len(slots) < cap(slots) {
		i := pos
		for uint(i) < uint(len(s)) && byteClass[s[i]] == acOther {
			i++
		}
		end := i
	letters:
		for uint(end) < uint(len(s)) {
			switch c0 := s[end]; byteClass[c0] {
			case acWord:
				end++
			case acNonASCII:
				switch {
				case c0 >= 0xC2 && c0 < 0xE0 && uint(end+1) < uint(len(s)):
					if c1 := s[end+1]; c1&0xC0 == 0x80 {
						if r := rune(c0&0x1F)<<6 | rune(c1&0x3F); vowelTable[r] != 0 || r == 'đ' || r == 'Đ' {
							end += 2
							continue
						}
					}
				case c0 == 0xE1 && uint(end+2) < uint(len(s)):
					if c1, c2 := s[end+1], s[end+2]; c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
						if r := 0x1000 | rune(c1&0x3F)<<6 | rune(c2&0x3F); r < vowelTableSize && vowelTable[r] != 0 {
							end += 3
							continue
						}
					}
				}
				return i, toks, slots // another rune: the general path decides
			default:
				break letters
			}
		}
		if end == i { // no letter: an emoticon, say, or the end
			return i, toks, slots
		}
		w := s[i:end]
		var k0, k1 uint64
		switch n := len(w); {
		case n > symInline:
			return i, toks, slots
		case n > 8:
			k0, k1 = load8(w), loadUpTo8(w[8:])|uint64(n)<<56
		case n == 8:
			k0, k1 = load8(w), uint64(n)<<56
		case n >= 4:
			k0, k1 = uint64(load4(w))|uint64(load4(w[n-4:]))<<(8*(n-4)), uint64(n)<<56
		default: // n >= 1
			k0, k1 = uint64(w[0])|uint64(w[n/2])<<(8*(n/2))|uint64(w[n-1])<<(8*(n-1)), uint64(n)<<56
		}
		sl := probe(&c.slots[wordSet(k0, k1)%wordSets], k0, k1)
		if sl == nil {
			return i, toks, slots
		}
		toks = toks[:len(toks)+1]
		toks[len(toks)-1] = Token{Start: i, End: end, Norm: sl.norm, Folded: sl.fold}
		slots = slots[:len(slots)+1]
		slots[len(slots)-1] = sl
		pos = end
	}
	return pos, toks, slots
}

// evict returns the slot of set to refill with a new word, the one used less recently,
// and marks it used. The caller overwrites the whole slot.
func (c *wordCache) evict(set uint64) *wordSlot {
	ways := &c.slots[set%wordSets]
	// An empty set fills its first slot first, which a look-up reads first: a word alone
	// in its set is then found in one cache line (filling the second first, four in five
	// hits of BenchmarkClassifyViHSD's words read both slots, simulated).
	if k := ways[0].k1; k&way1Used != 0 || k == 0 {
		return &ways[0] // refilled whole, the bit cleared: the first slot is the last used
	}
	ways[0].k1 |= way1Used
	return &ways[1]
}

type wordSlot struct {
	k0, k1     uint64 // the packed word as written; k1 is never 0 for a used slot
	norm, fold string // what word() gives, after teencode expansion
	data       SlotData
}

// SlotData is room for a caller's own data about a cached word, kept in the word's cache
// slot so that a hot loop finds it next to the word's forms: the classifier keeps a
// model's syllable ids of the word here. A slot refilled with another word starts with
// the zero SlotData, so a caller marks the data it wrote with a nonzero Tag of its
// choosing and trusts A, B and C only while the Tag is its own. (Four words keep the
// slot at 64 bytes, one cache line.)
type SlotData struct {
	Tag     uint32
	A, B, C int32
}

// Tokenizer is Tokenize with reusable buffers and a word cache: a repeated word costs a
// lookup instead of a normalization, and tokenizing allocates nothing per token once the
// buffers have grown. It gives exactly the tokens Tokenize gives. A Tokenizer is not safe
// for concurrent use; the zero value is ready to use.
type Tokenizer struct {
	toks             []Token
	slots            []*wordSlot // per token: its cache slot, or nil
	normBuf, foldBuf []byte
	pend             []tokPend
	wordBufs         [2][]byte // the tokenScanner's per-word buffers
	words            *wordCache
	// teen is the teencode table, looked up once: defaultTeenTable's sync.OnceValue per
	// call was a few cache lines of code fetched for every post.
	teen *teenTable
}

// tokPend is a token whose forms are in the Tokenizer's buffers, filled in once they
// stop growing.
type tokPend struct{ tok, n0, n1, f0, f1 int32 }

// Tokenize returns the tokens of s, as the package function Tokenize does. The tokens
// and their Norm and Folded strings alias z's buffers: they are valid until the next
// call on z.
func (z *Tokenizer) Tokenize(s string) []Token {
	var ts tokenScanner
	if z.wordBufs[0] != nil {
		ts.norm, ts.fold = z.wordBufs[0][:0], z.wordBufs[1][:0]
	}
	if z.teen == nil {
		z.teen = defaultTeenTable()
	}
	ts.teen = z.teen
	ts.init(s)
	if z.words == nil {
		z.words = new(wordCache)
	}
	ts.cache = z.words
	defer func() { z.wordBufs = [2][]byte{ts.norm, ts.fold} }()
	// Only toks and slots live in registers through the loop: what lives across its
	// calls is saved and restored around each of them (Go saves no register across a
	// call), and a word not cached is rare enough to append to z's buffers in place.
	toks, slots := z.toks[:0], z.slots[:0]
	z.normBuf, z.foldBuf, z.pend = z.normBuf[:0], z.foldBuf[:0], z.pend[:0]
	pos := 0
	for {
		// The common tokens, cached words of ASCII and Vietnamese letters after ASCII
		// separators, are taken by scanCached; next takes the rest (and refills the
		// cache).
		pos, toks, slots = z.words.scanCached(s, pos, toks, slots)
		ts.pos = pos
		if !ts.next() {
			break
		}
		pos = ts.pos
		if sl := ts.slot; sl != nil {
			// A cached word: its forms are the cache's immutable strings.
			toks = append(toks, Token{Start: ts.start, End: ts.end, Norm: sl.norm, Folded: sl.fold})
			slots = append(slots, sl)
			continue
		}
		p := tokPend{tok: int32(len(toks)), n0: int32(len(z.normBuf)), f0: int32(len(z.foldBuf))}
		toks = append(toks, Token{Start: ts.start, End: ts.end})
		slots = append(slots, nil)
		z.normBuf = append(z.normBuf, ts.norm...)
		z.foldBuf = append(z.foldBuf, ts.fold...)
		p.n1, p.f1 = int32(len(z.normBuf)), int32(len(z.foldBuf))
		z.pend = append(z.pend, p)
	}
	ns := unsafe.String(unsafe.SliceData(z.normBuf), len(z.normBuf))
	fs := unsafe.String(unsafe.SliceData(z.foldBuf), len(z.foldBuf))
	for _, p := range z.pend {
		toks[p.tok].Norm, toks[p.tok].Folded = ns[p.n0:p.n1], fs[p.f0:p.f1]
	}
	z.toks, z.slots = toks, slots
	return toks
}

// SlotData returns the caller's data of the cached word token i of the last Tokenize call
// came from, or nil when that word is not in the cache (too long to cache, or evicted by
// a later word of the same text). It is valid until the next Tokenize call on z.
func (z *Tokenizer) SlotData(i int) *SlotData {
	sl := z.slots[i]
	// Arena strings are never reused, so the slot still holds this token's word exactly
	// when it hands out the same string.
	if sl == nil || unsafe.StringData(sl.norm) != unsafe.StringData(z.toks[i].Norm) {
		return nil
	}
	return &sl.data
}

// ClearSlotData resets every cached word's SlotData, for a caller whose Tag values are
// about to repeat.
func (z *Tokenizer) ClearSlotData() {
	if z.words != nil {
		for i := range z.words.slots {
			z.words.slots[i][0].data = SlotData{}
			z.words.slots[i][1].data = SlotData{}
		}
	}
}

// Oversized reports whether z's buffers grew past what is worth keeping in a pool (a
// megabyte post should not pin megabytes).
func (z *Tokenizer) Oversized() bool { return cap(z.normBuf) > maxPooledBuffer }

const maxPooledBuffer = 256 << 10

var tokenizerPool = sync.Pool{New: func() any { return new(Tokenizer) }}

// EachToken calls fn with the tokens of s in order, exactly as Tokenize returns them, but
// through a pooled Tokenizer: nothing is allocated per token. The indexer derives the
// stored word fields of every post this way. The Token's strings are valid only during
// the call to fn.
func EachToken(s string, fn func(Token)) {
	z := tokenizerPool.Get().(*Tokenizer)
	for _, t := range z.Tokenize(s) {
		fn(t)
	}
	if !z.Oversized() {
		tokenizerPool.Put(z)
	}
}
