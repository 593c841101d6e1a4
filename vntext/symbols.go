package vntext

import "math/bits"

// SymbolTable maps short strings (syllables, teencode keys) to positive ids. It is the hot
// lookup of the tokenizer and the matcher, done once or twice per syllable, so it avoids
// Go's string map: a string of up to symInline bytes is packed with its length into two
// machine words, hashed with one multiplication and found by linear probing in a flat
// table kept at most half full. Longer strings (rare: no Vietnamese syllable is that
// long) go to a plain map. Reads are safe for concurrent use once building is done.
type SymbolTable struct {
	slots []symSlot // len is a power of two, or 0
	shift uint      // 64 - log2(len(slots))
	n     int       // packed entries
	long  map[string]int32
}

type symSlot struct {
	k0, k1 uint64
	id     int32 // 0: empty
}

// symInline is the longest string packed inline; the top byte of k1 holds the length.
const symInline = 15

// packSym packs s into two words, or reports false when s is longer than symInline.
// The loads are word loads, not a copy, so packing costs a few instructions.
func packSym[S string | []byte](s S) (k0, k1 uint64, ok bool) {
	n := len(s)
	switch {
	case n > symInline:
		return 0, 0, false
	case n > 8:
		return load8(s[:8]), loadUpTo8(s[8:]) | uint64(n)<<56, true
	}
	return loadUpTo8(s), uint64(n) << 56, true
}

// loadUpTo8 returns the bytes of s (at most 8) as a little-endian word, zero-padded.
func loadUpTo8[S string | []byte](s S) uint64 {
	n := len(s)
	switch {
	case n == 8:
		return load8(s)
	case n >= 4: // two overlapping 4-byte loads; the overlap holds the same bytes
		return uint64(load4(s)) | uint64(load4(s[n-4:]))<<(8*(n-4))
	case n > 0:
		return uint64(s[0]) | uint64(s[n/2])<<(8*(n/2)) | uint64(s[n-1])<<(8*(n-1))
	}
	return 0
}

func load8[S string | []byte](s S) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load4[S string | []byte](s S) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func symHash(k0, k1 uint64) uint64 {
	h := (k0 ^ bits.RotateLeft64(k1, 29)) * 0x9E3779B97F4A7C15
	return h ^ h>>31
}

// Get returns the id of s, or 0.
func (t *SymbolTable) Get(s []byte) int32 {
	k0, k1, ok := packSym(s)
	if !ok {
		return t.long[string(s)] // no allocation: the compiler special-cases m[string(b)]
	}
	return t.getPacked(k0, k1)
}

// GetString is Get for a string.
func (t *SymbolTable) GetString(s string) int32 {
	k0, k1, ok := packSym(s)
	if !ok {
		return t.long[s]
	}
	return t.getPacked(k0, k1)
}

func (t *SymbolTable) getPacked(k0, k1 uint64) int32 {
	if len(t.slots) == 0 {
		return 0
	}
	mask := uint64(len(t.slots) - 1)
	for i := symHash(k0, k1) >> t.shift; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			return 0
		}
		if sl.k0 == k0 && sl.k1 == k1 {
			return sl.id
		}
	}
}

// Put sets the id (> 0) of s.
func (t *SymbolTable) Put(s string, id int32) {
	k0, k1, ok := packSym(s)
	if !ok {
		if t.long == nil {
			t.long = make(map[string]int32)
		}
		t.long[s] = id
		return
	}
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	if t.insert(k0, k1, id) {
		t.n++
	}
}

// insert reports whether the key is new.
func (t *SymbolTable) insert(k0, k1 uint64, id int32) bool {
	mask := uint64(len(t.slots) - 1)
	for i := symHash(k0, k1) >> t.shift; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			*sl = symSlot{k0, k1, id}
			return true
		}
		if sl.k0 == k0 && sl.k1 == k1 {
			sl.id = id
			return false
		}
	}
}

func (t *SymbolTable) grow() {
	old := t.slots
	size := max(16, 2*len(old))
	t.slots = make([]symSlot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for _, sl := range old {
		if sl.id != 0 {
			t.insert(sl.k0, sl.k1, sl.id)
		}
	}
}
