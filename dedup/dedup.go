// Package dedup groups near-duplicate posts: reposts, copy-paste campaigns, the same text
// with small edits, emoji added or accents dropped.
//
// Method: a text becomes the set of its 3-shingles over vntext tokens' folded forms (so
// accents, case and tone-mark conventions do not matter; emoji, emoticons and punctuation
// are left out, as campaigns sprinkle them freely). MinHash signatures of 126 hashes, cut
// into 42 bands of 3 rows (LSH), find candidate pairs: pairs with Jaccard similarity 0.45
// become candidates with probability 0.98, pairs at 0.2 with 0.29. Each candidate pair is
// then checked with the exact Jaccard similarity of the two shingle sets, and pairs at or
// above the threshold are joined (union-find), so a group is a connected component.
// TestLabelledSet measures precision and recall over pairs on a hand-written set.
package dedup

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/langnghe/langnghe/vntext"
)

// Parameters of the method (see the package comment).
const (
	ShingleSize = 3
	Bands       = 42
	Rows        = 3
	Hashes      = Bands * Rows
	// Threshold is the exact Jaccard similarity at which two texts are near-duplicates.
	Threshold = 0.45
)

// seeds of the MinHash functions: fixed, so signatures are the same in every process.
var seeds = func() [Hashes]uint64 {
	var s [Hashes]uint64
	x := uint64(0x6c616e676e676865) // "langnghe"
	for i := range s {
		x = splitmix(x)
		s[i] = x
	}
	return s
}()

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Shingles returns the hashed 3-shingles of text's folded words. A text of fewer than
// three words is one shingle of all of them; a text without words has none.
func Shingles(text string) map[uint64]struct{} {
	var words []string
	vntext.EachToken(text, func(t vntext.Token) {
		if hasWordRune(t.Folded) {
			words = append(words, t.Folded) // EachToken's strings are reused: copy below
		}
	})
	for i, w := range words {
		words[i] = string([]byte(w))
	}
	out := map[uint64]struct{}{}
	n := min(ShingleSize, len(words))
	for i := 0; n > 0 && i+n <= len(words); i++ {
		h := fnv.New64a()
		for _, w := range words[i : i+n] {
			h.Write([]byte(w))
			h.Write([]byte{0})
		}
		out[h.Sum64()] = struct{}{}
	}
	return out
}

func hasWordRune(s string) bool {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
		s = s[n:]
	}
	return false
}

// Signature is the MinHash of a shingle set.
type Signature [Hashes]uint64

// MinHash returns the signature of a shingle set.
func MinHash(sh map[uint64]struct{}) Signature {
	var sig Signature
	for i := range sig {
		sig[i] = math.MaxUint64
	}
	for x := range sh {
		for i, s := range seeds {
			if h := splitmix(x ^ s); h < sig[i] {
				sig[i] = h
			}
		}
	}
	return sig
}

// Jaccard is |a∩b| / |a∪b| (0 for two empty sets: texts without words never group).
func Jaccard(a, b map[uint64]struct{}) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	inter := 0
	for x := range a {
		if _, ok := b[x]; ok {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// Group returns, for texts, the index of each text's group: texts[i] and texts[j] are in
// one group when a chain of near-duplicate pairs links them. A group's index is that of
// its first text, so group[i] <= i.
func Group(texts []string) []int {
	sh := make([]map[uint64]struct{}, len(texts))
	buckets := make(map[[2]uint64][]int)
	for i, t := range texts {
		sh[i] = Shingles(t)
		if len(sh[i]) == 0 {
			continue
		}
		sig := MinHash(sh[i])
		for b := 0; b < Bands; b++ {
			h := fnv.New64a()
			var buf [8]byte
			for _, v := range sig[b*Rows : (b+1)*Rows] {
				binary.LittleEndian.PutUint64(buf[:], v)
				h.Write(buf[:])
			}
			key := [2]uint64{uint64(b), h.Sum64()}
			buckets[key] = append(buckets[key], i)
		}
	}
	uf := newUnionFind(len(texts))
	checked := map[[2]int]bool{}
	for _, members := range buckets {
		for x := 0; x < len(members); x++ {
			for y := x + 1; y < len(members); y++ {
				i, j := members[x], members[y]
				if uf.find(i) == uf.find(j) || checked[[2]int{i, j}] {
					continue
				}
				checked[[2]int{i, j}] = true
				if Jaccard(sh[i], sh[j]) >= Threshold {
					uf.union(i, j)
				}
			}
		}
	}
	out := make([]int, len(texts))
	for i := range out {
		out[i] = uf.find(i)
	}
	return out
}

type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

// union keeps the smaller index as the root, so a group is named by its first member.
func (u unionFind) union(i, j int) {
	a, b := u.find(i), u.find(j)
	if a > b {
		a, b = b, a
	}
	u[b] = a
}
