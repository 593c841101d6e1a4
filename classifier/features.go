package classifier

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// FeatureConfig says which features a learned model uses. Every feature is a readable
// key: "w:" + one to WordMax normalized syllables joined by spaces ("w:không tốt"),
// "c:" + CharMin..CharMax characters of the normalized text, with "_" marking a word edge
// ("c:_ngu_"), and "x:" + a lexicon feature computed by the default model
// ("x:tox_score"). Word and character blocks are TF-IDF weighted (sublinear tf, smoothed
// idf) and L2-normalised separately, as scikit-learn's TfidfVectorizer does.
type FeatureConfig struct {
	WordMax int  `json:"word_ngram_max"`
	CharMin int  `json:"char_ngram_min"` // 0: no character n-grams
	CharMax int  `json:"char_ngram_max"`
	Lexicon bool `json:"lexicon"` // add x: features from the default lexicon model
	Folded  bool `json:"folded"`  // add word n-grams of the folded (accentless) syllables as "f:"
	// Length adds "x:log_len", the log of the post's syllable count. Training no longer
	// sets it: on ViHSD it learned that long posts (often political) are hate, a proxy for
	// the bias neutral terms remove. It is kept so older model files score as before.
	Length bool `json:"length,omitempty"`
}

// DefaultFeatures are word 1-3-grams, character 2-5-grams and lexicon features.
var DefaultFeatures = FeatureConfig{WordMax: 3, CharMin: 2, CharMax: 5, Lexicon: true}

// featOcc is one feature of a text: its key, its block (0 words, 1 chars, 2 lexicon), its
// raw count or value, and for word n-grams the byte span of its first occurrence.
type featOcc struct {
	key        string
	block      uint8
	val        float64
	start, end int
}

// extractor computes the features of a text. It is safe for concurrent use.
type extractor struct {
	cfg  FeatureConfig
	base *lexModel // for lexicon features; nil when cfg.Lexicon is false
	// known, if set, filters features: only keys it accepts are kept, so a learned model
	// does not allocate keys for the many n-grams it has no weight for.
	known func(key string) bool
	// neutral, if set, masks the syllables of neutral-term occurrences: no word, folded
	// or character n-gram touching them is extracted (see models/neutral_terms.tsv).
	neutral *neutralSet
	// units, if set, masks the unit words that follow an amount or a size word ("size
	// L", "150.000 đ"; see unitAt) the same way.
	units bool
	// gap, if above 0, adds gapped pairs (WithGappedPairs); gapFolded their folded form.
	gap       int
	gapFolded bool
	gapBlock  uint8
}

const (
	blockWord = iota
	blockChar
	blockLex
	blockGap // gapped pairs in their own block (WithGappedPairs ownBlock); no shipped model has them
	nBlocks
)

// features returns the distinct features of text with their counts (word and char
// blocks) or values (lexicon block).
func (x *extractor) features(text string) []featOcc {
	toks := vntext.Tokenize(text)
	type syl struct {
		norm, fold string
		start, end int
	}
	syls := make([]syl, 0, len(toks))
	for _, t := range toks {
		if strings.IndexByte(t.Norm, ' ') < 0 {
			syls = append(syls, syl{t.Norm, t.Folded, t.Start, t.End})
			continue
		}
		f := strings.Fields(t.Folded)
		for j, n := range strings.Fields(t.Norm) {
			fs := n
			if j < len(f) {
				fs = f[j]
			}
			syls = append(syls, syl{n, fs, t.Start, t.End})
		}
	}
	var masked []bool
	if x.neutral != nil {
		norm := make([]string, len(syls))
		for i, s := range syls {
			norm[i] = s.norm
		}
		masked = make([]bool, len(syls))
		x.neutral.mask(norm, masked)
	}
	if x.units {
		if masked == nil {
			masked = make([]bool, len(syls))
		}
		norm := func(j int) string { return syls[j].norm }
		for i := range syls {
			masked[i] = masked[i] || unitAt(i, norm)
		}
	}
	skip := func(i int) bool { return masked != nil && masked[i] }
	idx := make(map[string]int, min(len(syls)*8, 4096))
	var out []featOcc
	// add counts the feature whose key is in kb; it allocates the key string only for a
	// feature seen for the first time and kept.
	add := func(kb []byte, block uint8, start, end int) {
		if i, ok := idx[string(kb)]; ok { // no allocation for a map index with string(bytes)
			out[i].val++
			return
		}
		key := string(kb)
		if x.known != nil && !x.known(key) {
			return
		}
		idx[key] = len(out)
		out = append(out, featOcc{key: key, block: block, val: 1, start: start, end: end})
	}
	kb := make([]byte, 0, 64)
	for i := range syls {
		if skip(i) {
			continue
		}
		kb = append(kb[:0], "w:"...)
		for n := 0; n < x.cfg.WordMax && i+n < len(syls) && !skip(i+n); n++ {
			if n > 0 {
				kb = append(kb, ' ')
			}
			kb = append(kb, syls[i+n].norm...)
			add(kb, blockWord, syls[i].start, syls[i+n].end)
		}
		if x.cfg.Folded {
			kb = append(kb[:0], "f:"...)
			for n := 0; n < 2 && i+n < len(syls) && !skip(i+n); n++ {
				if n > 0 {
					kb = append(kb, ' ')
				}
				kb = append(kb, syls[i+n].fold...)
				add(kb, blockWord, syls[i].start, syls[i+n].end)
			}
		}
		if x.gap > 0 {
			x.gapPairs(kb, i, len(syls), skip, func(j int) (string, string) { return syls[j].norm, syls[j].fold }, func(kb []byte, j int) {
				add(kb, x.gapBlock, syls[i].start, syls[j].end)
			})
		}
	}
	if x.cfg.CharMin > 0 && len(syls) > 0 {
		// "_" marks word edges: "_ngu_ _quá_" gives "c:_n", "c:gu_", "c:_qu" and so on.
		// Masked syllables are left out: n-grams never cross a space, so this drops
		// exactly the character n-grams inside a neutral-term occurrence.
		var b strings.Builder
		for i, s := range syls {
			if skip(i) {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte('_')
			b.WriteString(s.norm)
			b.WriteByte('_')
		}
		s := b.String()
		var starts []int
		for i := range s {
			starts = append(starts, i)
		}
		starts = append(starts, len(s))
		for i := 0; i < len(starts)-1; i++ {
			for n := x.cfg.CharMin; n <= x.cfg.CharMax && i+n < len(starts); n++ {
				g := s[starts[i]:starts[i+n]]
				if strings.IndexByte(g, ' ') >= 0 { // within one word, like char_wb
					break
				}
				kb = append(append(kb[:0], "c:"...), g...)
				add(kb, blockChar, -1, -1)
			}
		}
	}
	if x.base != nil {
		lexFeatures(x.base.Analyze(text), text, len(syls), x.cfg.Length, func(key string, v float64) {
			out = append(out, featOcc{key: key, block: blockLex, val: v, start: -1, end: -1})
		})
	}
	return out
}

// lexFeatures calls fn with the non-zero lexicon features of a text, given the default
// model's analysis of it and its number of syllables.
func lexFeatures(a post.Analysis, text string, nsyl int, length bool, fn func(key string, v float64)) {
	lex := func(key string, v float64) {
		if v != 0 {
			fn(key, v)
		}
	}
	lex("x:sent_score", a.Sentiment.Score)
	lex("x:sent_"+a.Sentiment.Label, 1)
	lex("x:tox_score", a.Toxicity.Score)
	lex("x:tox_"+a.Toxicity.Label, 1)
	if length && utf8.RuneCountInString(text) > 0 {
		lex("x:log_len", math.Log1p(float64(nsyl))/5)
	}
}

// Feature is one feature of a text as a learned model sees it: its key (see
// FeatureConfig), its block (0 words, 1 characters, 2 lexicon), its raw count (word and
// character blocks) or value (lexicon block), and for word n-grams the byte span of its
// first occurrence. Training (package learn) works on Features; Analyze uses the same
// extraction and Vectorize, so a model scores at run time what it was trained on.
type Feature struct {
	Key        string
	Block      uint8
	Value      float64
	Start, End int
}

// FeatureExtractor computes the Features of texts for one FeatureConfig. It is safe for
// concurrent use.
type FeatureExtractor struct{ x extractor }

// NewFeatureExtractor returns the extractor for cfg. base supplies the lexicon features
// when cfg.Lexicon is set and must then be a lexicon model from this package
// (LoadDefault or Load of a directory).
func NewFeatureExtractor(cfg FeatureConfig, base Model, opts ...ExtractorOption) (*FeatureExtractor, error) {
	fx := &FeatureExtractor{x: extractor{cfg: cfg}}
	for _, o := range opts {
		if err := o(fx); err != nil {
			return nil, err
		}
	}
	if cfg.Lexicon {
		lm, ok := base.(*lexModel)
		if !ok {
			name := "nil"
			if base != nil {
				name = base.Name()
			}
			return nil, fmt.Errorf("lexicon features need a lexicon model, got %s", name)
		}
		fx.x.base = lm
	}
	return fx, nil
}

// ExtractorOption configures NewFeatureExtractor.
type ExtractorOption func(*FeatureExtractor) error

// WithNeutralTerms masks the occurrences of terms: no feature touching them is extracted.
// A learned model trained with them must record them (LearnedFile.Neutral) so it masks
// the same occurrences when it scores.
func WithNeutralTerms(terms []NeutralTerm) ExtractorOption {
	return func(fx *FeatureExtractor) error {
		if len(terms) == 0 {
			fx.x.neutral = nil
			return nil
		}
		ns, err := newNeutralSet(terms)
		if err != nil {
			return err
		}
		fx.x.neutral = ns
		return nil
	}
}

// WithUnits masks the unit words that follow an amount or a size word ("size L",
// "150.000 đ"; see unitAt): no feature touching them is extracted, as for neutral terms.
// The default model's learned toxicity component (learned/toxicity.tsv) is trained with it
// and masks the same syllables when it scores.
func WithUnits() ExtractorOption {
	return func(fx *FeatureExtractor) error {
		fx.x.units = true
		return nil
	}
}

// WithGappedPairs adds, for every syllable, the ordered pairs it forms with the syllables
// 2 to maxGap+1 places after it ("g:không … được"; with folded also "h:" of the folded
// syllables), one key whatever the gap, in the word block (weighted like bigrams) or,
// with ownBlock, in a block of their own (L2-normalised apart, so they do not shrink the
// word n-grams' values). No pair spans a masked syllable. For measuring ideas
// (classifier/learn experiments): a learned file does not record it, so no shipped model
// scores these features.
func WithGappedPairs(maxGap int, folded, ownBlock bool) ExtractorOption {
	return func(fx *FeatureExtractor) error {
		fx.x.gap, fx.x.gapFolded, fx.x.gapBlock = maxGap, folded, blockWord
		if ownBlock {
			fx.x.gapBlock = blockGap
		}
		return nil
	}
}

// gapPairs calls add with the key of each gapped pair that starts at syllable i of n.
func (x *extractor) gapPairs(kb []byte, i, n int, skip func(int) bool, syl func(int) (norm, fold string), add func(kb []byte, j int)) {
	for j := i + 1; j < n && j <= i+x.gap+1; j++ {
		if skip(j) {
			return
		}
		if j == i+1 {
			continue
		}
		ni, fi := syl(i)
		nj, fj := syl(j)
		kb = append(append(append(append(kb[:0], "g:"...), ni...), " … "...), nj...)
		add(kb, j)
		if x.gapFolded {
			kb = append(append(append(append(kb[:0], "h:"...), fi...), " … "...), fj...)
			add(kb, j)
		}
	}
}

// MentionsNeutral reports whether text holds an occurrence of a neutral term (always
// false without WithNeutralTerms).
func (fx *FeatureExtractor) MentionsNeutral(text string) bool {
	ns := fx.x.neutral
	if ns == nil {
		return false
	}
	var norm []string
	for _, t := range vntext.Tokenize(text) {
		norm = append(norm, strings.Fields(t.Norm)...)
	}
	masked := make([]bool, len(norm))
	ns.mask(norm, masked)
	for _, m := range masked {
		if m {
			return true
		}
	}
	return false
}

// Features returns the distinct features of text.
func (fx *FeatureExtractor) Features(text string) []Feature {
	occ := fx.x.features(text)
	out := make([]Feature, len(occ))
	for i, f := range occ {
		out[i] = Feature{Key: f.key, Block: f.block, Value: f.val, Start: f.start, End: f.end}
	}
	return out
}

// Vectorize returns the value of each feature as a learned model weighs it: sublinear
// tf times idf, L2-normalised per block, 0 for a feature idf does not know.
func Vectorize(feats []Feature, idf func(key string) (float64, bool)) []float64 {
	occ := make([]featOcc, len(feats))
	for i, f := range feats {
		occ[i] = featOcc{key: f.Key, block: f.Block, val: f.Value, start: f.Start, end: f.End}
	}
	return vectorize(occ, idf)
}
