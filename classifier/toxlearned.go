package classifier

import (
	"cmp"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"

	"github.com/langnghe/langnghe/post"
)

// toxLearned is the default model's learned toxicity component (learned/toxicity.tsv):
// a binary logistic regression over the distinct word unigrams and bigrams of a post's
// normalized syllables, trained on ViHOS (see models/README.md). Its decision threshold
// is folded into the bias, so a post is toxic by it when the logit is at least 0.
// Syllables inside an occurrence of a neutral term (neutral_terms.tsv) are masked exactly
// as in training (FeatureExtractor with WithNeutralTerms), so the model never scores
// officials, institutions or political labels.
type toxLearned struct {
	bias float64
	// info holds, by syllable id of lexModel.syms, the syllable's unigram weight and
	// whether it begins a weighted bigram or a neutral term, so the common syllable costs
	// one array read.
	info []toxSyl
	bi   map[uint64]float32 // bigram (first id << 32 | second id) -> weight
	// neutral lists, by the id of their first syllable, the neutral terms' syllable id
	// sequences (normalized, and folded for foldable terms), as neutralSet.mask matches.
	neutral map[int32][][]int32
	names   map[uint64]string // feature -> its text, for evidence
}

type toxSyl struct {
	uni     float32
	biFirst bool
	neutral bool
}

// toxHit is one weighted feature occurrence of a post, syllables [from, to).
type toxHit struct {
	key      uint64
	w        float32
	from, to int
}

// learnedToxBias is the file's key for the bias; no syllable contains "<".
const learnedToxBias = "<bias>"

// loadLearnedToxicity reads learned/toxicity.tsv: "<bias><TAB>b" and "feature<TAB>weight"
// lines, a feature being one or two normalized syllables separated by a space. It runs
// after every lexicon is loaded, so the syllables it adds to the symbol table get ids
// past the tries' roots.
func (m *lexModel) loadLearnedToxicity(fsys fs.FS, name string) error {
	lt := &toxLearned{bi: map[uint64]float32{}, neutral: map[int32][][]int32{}, names: map[uint64]string{}}
	type feat struct {
		ids []int32
		w   float64
	}
	var feats []feat
	seenBias := false
	err := tsvLines(fsys, name, func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want feature<TAB>weight, got %d fields", len(f))
		}
		w, err := parseWeight(f[1], -20, 20)
		if err != nil {
			return err
		}
		if f[0] == learnedToxBias {
			lt.bias, seenBias = w, true
			return nil
		}
		syls := strings.Split(f[0], " ")
		if len(syls) > 2 || slices.Contains(syls, "") {
			return fmt.Errorf("feature %q must be one or two syllables", f[0])
		}
		ids := m.symIDs(syls)
		k := toxKey(ids)
		if _, dup := lt.names[k]; dup {
			return fmt.Errorf("feature %q listed twice", f[0])
		}
		lt.names[k] = f[0]
		feats = append(feats, feat{ids, w})
		return nil
	})
	if err != nil {
		return err
	}
	if !seenBias {
		return fmt.Errorf("%s: %w: no %s line", name, ErrModelFile, learnedToxBias)
	}
	if m.neutral != nil {
		for _, cands := range m.neutral.byFirst {
			for _, c := range cands {
				ids := m.symIDs(c)
				lt.neutral[ids[0]] = append(lt.neutral[ids[0]], ids)
			}
		}
	}
	lt.info = make([]toxSyl, m.nsyms+1)
	for _, f := range feats {
		if len(f.ids) == 1 {
			lt.info[f.ids[0]].uni = float32(f.w)
		} else {
			lt.info[f.ids[0]].biFirst = true
			lt.bi[toxKey(f.ids)] = float32(f.w)
		}
	}
	for id := range lt.neutral {
		lt.info[id].neutral = true
	}
	m.learnedTox = lt
	return nil
}

func toxKey(ids []int32) uint64 {
	if len(ids) == 1 {
		return uint64(uint32(ids[0]))
	}
	return uint64(uint32(ids[0]))<<32 | uint64(uint32(ids[1]))
}

// logit returns the learned logit of a post's syllables (threshold folded in: toxic at
// >= 0), -Inf when no feature weighs towards toxic (the component flags only on positive
// evidence), and appends its weighted feature occurrences, each feature once, to hits.
func (lt *toxLearned) logit(syls []syllable, hits []toxHit, masked *[]bool) (float64, []toxHit) {
	info := lt.info
	var mask []bool
	for i := range syls {
		if id := syls[i].nid; uint(id) < uint(len(info)) && info[id].neutral {
			mask = lt.mask(syls, masked)
			break
		}
	}
	z, pos := lt.bias, false
	add := func(k uint64, w float32, from, to int) {
		for _, h := range hits {
			if h.key == k {
				return // features are binary: each counts once
			}
		}
		hits = append(hits, toxHit{key: k, w: w, from: from, to: to})
		z += float64(w)
		pos = pos || w > 0
	}
	for i := range syls {
		id := syls[i].nid
		if uint(id) >= uint(len(info)) || id <= 0 || (mask != nil && mask[i]) {
			continue
		}
		s := info[id]
		if s.uni != 0 {
			add(uint64(uint32(id)), s.uni, i, i+1)
		}
		if s.biFirst && i+1 < len(syls) && syls[i+1].nid > 0 && (mask == nil || !mask[i+1]) {
			k := uint64(uint32(id))<<32 | uint64(uint32(syls[i+1].nid))
			if w, ok := lt.bi[k]; ok {
				add(k, w, i, i+2)
			}
		}
	}
	if !pos {
		return math.Inf(-1), hits
	}
	return z, hits
}

// mask marks the syllables inside an occurrence of a neutral term, as neutralSet.mask
// does on strings.
func (lt *toxLearned) mask(syls []syllable, buf *[]bool) []bool {
	mask := slices.Grow((*buf)[:0], len(syls))[:len(syls)]
	clear(mask)
	*buf = mask
	for i := range syls {
		for _, c := range lt.neutral[syls[i].nid] {
			if i+len(c) > len(syls) {
				continue
			}
			ok := true
			for j := 1; j < len(c); j++ {
				if syls[i+j].nid != c[j] {
					ok = false
					break
				}
			}
			if ok {
				for j := range c {
					mask[i+j] = true
				}
			}
		}
	}
	return mask
}

// sigmoid maps the learned logit to a score, 0.5 at the threshold.
func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

const (
	// maxToxLearnedEvidence bounds the learned features reported for one post: the heaviest.
	maxToxLearnedEvidence = 8
	// learnedHateMin: a learned feature this heavy within targetWindow syllables of a
	// protected group makes the post hate, as an offensive lexicon term there does.
	learnedHateMin = 1.0
)

// evidence appends the post's positive learned features (the heaviest first, at most
// maxToxLearnedEvidence, leaving out spans the lexicon already reports) to dst, and reports
// whether one of them at least learnedHateMin heavy lies near a protected-group mention.
func (lt *toxLearned) evidence(dst []post.Evidence, hits []toxHit, targets []match, lexEv []post.Evidence, span func(match) (int, int)) ([]post.Evidence, bool, int) {
	slices.SortStableFunc(hits, func(x, y toxHit) int { return cmp.Compare(y.w, x.w) })
	hate, n, strong := false, 0, 0
	for _, h := range hits {
		if h.w <= 0 {
			break
		}
		mt := match{from: h.from, to: h.to}
		if h.w >= learnedHateMin && len(targets) > 0 {
			if _, ok := nearTarget(targets, mt); ok {
				hate = true
			}
		}
		start, end := span(mt)
		if slices.ContainsFunc(lexEv, func(e post.Evidence) bool { return e.Start < end && start < e.End }) {
			continue
		}
		if h.w >= learnedHateMin {
			strong++
		}
		if n == maxToxLearnedEvidence {
			continue
		}
		dst = append(dst, post.Evidence{For: "toxicity", Term: lt.names[h.key], Start: start, End: end, Weight: round3(float64(h.w))})
		n++
	}
	return dst, hate, strong
}
