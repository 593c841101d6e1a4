package classifier

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
)

// compiledLearned is a learned model turned into arrays for fast scoring: feature ids
// instead of string keys, a dense accumulator per call, and a per-syllable cache of the
// character n-grams the model knows (character n-grams never cross a syllable, so a
// syllable always yields the same ones). It computes exactly what vectorize does.
type compiledLearned struct {
	k      int
	ids    map[string]int32
	keys   []string
	idf    []float64
	block  []uint8
	w      []float64 // len(keys) * k
	cfg    FeatureConfig
	cache  sync.Map // syllable -> []int32, its known character n-grams with repeats
	cached atomic.Int64
	pool   sync.Pool // *learnScratch
}

// maxCachedSyllables bounds the syllable cache; hostile text of random "words" stops
// filling it and is computed each time instead.
const maxCachedSyllables = 200000

type learnScratch struct {
	count   []float64 // by feature id; zero outside touched
	first   []int32   // by feature id: index+1 into spans of the first occurrence
	touched []int32
	spans   [][2]int
	kb      []byte
}

func compileLearned(lf *LearnedFile) *compiledLearned {
	c := &compiledLearned{k: len(lf.Labels), ids: make(map[string]int32, len(lf.Terms)), cfg: lf.Features}
	for key := range lf.Terms {
		c.keys = append(c.keys, key)
	}
	for i, key := range c.keys {
		t := lf.Terms[key]
		c.ids[key] = int32(i)
		c.idf = append(c.idf, t.IDF)
		c.w = append(c.w, t.W...)
		b := uint8(blockWord)
		switch key[0] {
		case 'c':
			b = blockChar
		case 'x':
			b = blockLex
		}
		c.block = append(c.block, b)
	}
	n := len(c.keys)
	c.pool.New = func() any { return &learnScratch{count: make([]float64, n), first: make([]int32, n)} }
	return c
}

// charIDs returns the known character n-grams of one syllable, computing and caching them.
func (c *compiledLearned) charIDs(syl string, kb []byte) []int32 {
	if v, ok := c.cache.Load(syl); ok {
		return v.([]int32)
	}
	w := "_" + syl + "_"
	var starts []int
	for i := range w {
		starts = append(starts, i)
	}
	starts = append(starts, len(w))
	var out []int32
	for i := 0; i < len(starts)-1; i++ {
		for n := c.cfg.CharMin; n <= c.cfg.CharMax && i+n < len(starts); n++ {
			kb = append(append(kb[:0], "c:"...), w[starts[i]:starts[i+n]]...)
			if id, ok := c.ids[string(kb)]; ok {
				out = append(out, id)
			}
		}
	}
	if c.cached.Load() < maxCachedSyllables {
		c.cache.Store(strings.Clone(syl), out)
		c.cached.Add(1)
	}
	return out
}

// scoreResult is what Analyze needs from scoring: per-label scores and, for evidence,
// the word features with their values and first spans.
type wordHit struct {
	id         int32
	val        float64
	start, end int
}

// score computes the label scores of syllables syls (with spans) plus lexicon features.
func (c *compiledLearned) score(lf *LearnedFile, syls []syllableSpan, lex func(fn func(key string, v float64))) ([]float64, []wordHit) {
	sc := c.pool.Get().(*learnScratch)
	defer c.pool.Put(sc)
	touch := func(id int32, start, end int) {
		if sc.count[id] == 0 {
			sc.touched = append(sc.touched, id)
			if start >= 0 {
				sc.spans = append(sc.spans, [2]int{start, end})
				sc.first[id] = int32(len(sc.spans))
			}
		}
		sc.count[id]++
	}
	kb := sc.kb[:0]
	for i := range syls {
		kb = append(kb[:0], "w:"...)
		for n := 0; n < c.cfg.WordMax && i+n < len(syls); n++ {
			if n > 0 {
				kb = append(kb, ' ')
			}
			kb = append(kb, syls[i+n].norm...)
			if id, ok := c.ids[string(kb)]; ok {
				touch(id, syls[i].start, syls[i+n].end)
			}
		}
		if c.cfg.Folded {
			kb = append(kb[:0], "f:"...)
			for n := 0; n < 2 && i+n < len(syls); n++ {
				if n > 0 {
					kb = append(kb, ' ')
				}
				kb = append(kb, syls[i+n].fold...)
				if id, ok := c.ids[string(kb)]; ok {
					touch(id, syls[i].start, syls[i+n].end)
				}
			}
		}
		if c.cfg.CharMin > 0 {
			for _, id := range c.charIDs(syls[i].norm, kb) {
				touch(id, -1, -1)
			}
		}
	}
	sc.kb = kb
	// Lexicon features carry their value, not a count.
	var lexVals []struct {
		id int32
		v  float64
	}
	lex(func(key string, v float64) {
		if id, ok := c.ids[key]; ok {
			lexVals = append(lexVals, struct {
				id int32
				v  float64
			}{id, v})
		}
	})
	var norm [nBlocks]float64
	for _, id := range sc.touched {
		v := (1 + math.Log(sc.count[id])) * c.idf[id]
		norm[c.block[id]] += v * v
	}
	s := make([]float64, c.k)
	for j := range s {
		s[j] = lf.Bias[j] + lf.Offset[j]
	}
	var hits []wordHit
	for _, id := range sc.touched {
		v := (1 + math.Log(sc.count[id])) * c.idf[id]
		if nb := norm[c.block[id]]; nb > 0 {
			v /= math.Sqrt(nb)
		}
		row := c.w[int(id)*c.k : int(id)*c.k+c.k]
		for j := range s {
			s[j] += v * row[j]
		}
		if f := sc.first[id]; f > 0 {
			sp := sc.spans[f-1]
			hits = append(hits, wordHit{id: id, val: v, start: sp[0], end: sp[1]})
		}
		sc.count[id], sc.first[id] = 0, 0
	}
	for _, lv := range lexVals {
		row := c.w[int(lv.id)*c.k : int(lv.id)*c.k+c.k]
		for j := range s {
			s[j] += lv.v * row[j]
		}
	}
	sc.touched, sc.spans = sc.touched[:0], sc.spans[:0]
	return s, hits
}

// syllableSpan is a syllable with the byte span of its token.
type syllableSpan struct {
	norm, fold string
	start, end int
}

func syllableSpans(text string) []syllableSpan {
	toks := Tokenize(text)
	out := make([]syllableSpan, 0, len(toks))
	for _, t := range toks {
		if strings.IndexByte(t.Norm, ' ') < 0 {
			out = append(out, syllableSpan{t.Norm, t.Folded, t.Start, t.End})
			continue
		}
		f := strings.Fields(t.Folded)
		for j, n := range strings.Fields(t.Norm) {
			fs := n
			if j < len(f) {
				fs = f[j]
			}
			out = append(out, syllableSpan{n, fs, t.Start, t.End})
		}
	}
	return out
}
