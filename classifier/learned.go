package classifier

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/langnghe/langnghe/post"
)

// LearnedFormat is the "format" value of the learned model files training writes. Format
// 2 adds AuthorityPolicy; a program that only knows format 1 would ignore it and label
// rude criticism of authorities hate, so it must refuse the file instead.
const LearnedFormat = "langnghe-keyword-lr/2"

// LearnedFormatV1 is the older format, still read and scored exactly as before.
const LearnedFormatV1 = "langnghe-keyword-lr/1"

// LearnedTerm is one feature of a learned model: its idf and one weight per label.
type LearnedTerm struct {
	IDF float64   `json:"idf"`
	W   []float64 `json:"w"`
}

// LearnedFile is the JSON form of a learned keyword model, written by `langnghe model
// train` and read by Load. It is a keyword model: the score of label k for a text is
// Bias[k] + Offset[k] + the sum over the text's features f of x_f * Terms[f].W[k], where x_f
// is the TF-IDF value described at FeatureConfig, and the label is the highest score.
type LearnedFile struct {
	Format   string         `json:"format"`
	Name     string         `json:"name"`
	Version  string         `json:"version"`
	Task     string         `json:"task"`   // sentiment or toxicity
	Labels   []string       `json:"labels"` // the training set's own label strings
	Features FeatureConfig  `json:"features"`
	Bias     []float64      `json:"bias"`
	Offset   []float64      `json:"offset"` // decision offsets tuned on the dev set
	Training map[string]any `json:"training,omitempty"`
	// Neutral are the authority and political terms the model was trained without
	// (models/neutral_terms.tsv): their occurrences are masked at run time exactly as in
	// training, so no feature touching them exists or scores.
	Neutral []NeutralTerm `json:"neutral_terms,omitempty"`
	// AuthorityPolicy applies the product's label policy when scoring, as training applies
	// it to the labels (models/README.md, "Responsible scope" rule 2): a text the model
	// calls "hate" that mentions a neutral term and in which the base lexicon model finds
	// no hate (no insult aimed at a protected group, no hate_harassment match) is
	// labelled "offensive", the hate probability going to offensive. It needs Neutral
	// and the labels "hate" and "offensive".
	AuthorityPolicy bool `json:"authority_policy,omitempty"`
	// LexiconFingerprint is LexiconFingerprint of the model training read the lexicon
	// features from; empty in files written before it was recorded (they still load). A
	// program knowing only format 2 ignores it, which is safe: it only adds a warning.
	LexiconFingerprint string                 `json:"lexicon_fingerprint,omitempty"`
	Terms              map[string]LearnedTerm `json:"terms"`
}

// LexiconDrift compares the lexicon fingerprint lf was trained with to base's: drift is
// true when lf reads lexicon features, both fingerprints are known and they differ, that
// is when base's lexicons give the "x:" features other values than in training and lf's
// results shift. Files without a recorded fingerprint never drift (nothing to compare).
func LexiconDrift(lf *LearnedFile, base Model) (trained, running string, drift bool) {
	trained, running = lf.LexiconFingerprint, LexiconFingerprint(base)
	return trained, running, lf.Features.Lexicon && trained != "" && running != "" && trained != running
}

// learnedModel overrides one task of a base lexicon model with a learned classifier; the
// other task, narratives and their evidence come from the base model.
type learnedModel struct {
	file  *LearnedFile
	base  *lexModel
	ex    extractor
	fast  *compiledLearned
	base0 int // index of the label that needs no evidence (neutral, clean, non_toxic), or -1
	// hate and offensive are the label indices AuthorityPolicy moves between (-1: off).
	hate, offensive int
	name            string
}

// ErrLearnedModel marks a learned model file that cannot be used.
var ErrLearnedModel = errors.New("invalid learned model")

// LoadLearned reads a learned model file (JSON, see LearnedFile) and layers it over base,
// which must be a model of this package (LoadDefault or Load of a directory).
func LoadLearned(path string, base Model) (Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("loading learned model: %w", err)
	}
	defer f.Close()
	lf, err := DecodeLearned(f, path)
	if err != nil {
		return nil, err
	}
	return NewLearned(lf, base)
}

// DecodeLearned parses and checks a learned model; name is used in errors.
func DecodeLearned(r io.Reader, name string) (*LearnedFile, error) {
	var lf LearnedFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&lf); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", name, ErrLearnedModel, err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %w: %s", name, ErrLearnedModel, fmt.Sprintf(format, args...))
	}
	k := len(lf.Labels)
	switch {
	case lf.Format != LearnedFormat && lf.Format != LearnedFormatV1:
		return nil, fail("format %q, want %q (or the older %q)", lf.Format, LearnedFormat, LearnedFormatV1)
	case lf.AuthorityPolicy && (lf.Format == LearnedFormatV1 || len(lf.Neutral) == 0 || !slices.Contains(lf.Labels, "hate") || !slices.Contains(lf.Labels, "offensive")):
		return nil, fail("authority_policy needs format %q, neutral_terms and the labels hate and offensive", LearnedFormat)
	case lf.Task != "sentiment" && lf.Task != "toxicity":
		return nil, fail("task %q must be sentiment or toxicity", lf.Task)
	case k < 2:
		return nil, fail("at least two labels are needed")
	case len(lf.Bias) != k:
		return nil, fail("bias has %d values for %d labels", len(lf.Bias), k)
	case lf.Features.WordMax < 0 || lf.Features.WordMax > 5 || lf.Features.CharMin < 0 || lf.Features.CharMax > 8 || lf.Features.CharMin > lf.Features.CharMax:
		return nil, fail("features out of range: %+v", lf.Features)
	}
	if _, ok := lf.Terms["x:log_len"]; ok {
		lf.Features.Length = true // a model from before the length feature was dropped
	}
	if _, err := newNeutralSet(lf.Neutral); err != nil {
		return nil, fail("%v", err)
	}
	if lf.Offset == nil {
		lf.Offset = make([]float64, k)
	}
	if len(lf.Offset) != k {
		return nil, fail("offset has %d values for %d labels", len(lf.Offset), k)
	}
	for key, t := range lf.Terms {
		if len(t.W) != k {
			return nil, fail("term %q has %d weights for %d labels", key, len(t.W), k)
		}
	}
	return &lf, nil
}

// NewLearned makes a Model from a decoded learned file over base.
func NewLearned(lf *LearnedFile, base Model) (Model, error) {
	lm, ok := base.(*lexModel)
	if !ok {
		return nil, fmt.Errorf("%w: base model %s is not a lexicon model", ErrLearnedModel, base.Name())
	}
	m := &learnedModel{file: lf, base: lm, ex: extractor{cfg: lf.Features}, base0: -1, hate: -1, offensive: -1, name: lf.Name + "@" + lf.Version}
	if trained, running, drift := LexiconDrift(lf, base); drift {
		// Not an error: the model still works, but its dev figures no longer hold.
		slog.Warn("mô hình học được huấn luyện trên bộ từ điển khác với mô hình mặc định đang chạy, kết quả có thể lệch; hãy huấn luyện lại / learned model was trained over other lexicons than the running default model, its results may shift; retrain it",
			"model", m.name, "trained_lexicons", trained, "running_lexicons", running)
	}
	if lf.Features.Lexicon {
		m.ex.base = lm
	}
	m.ex.known = func(k string) bool { _, ok := lf.Terms[k]; return ok }
	if len(lf.Neutral) > 0 {
		ns, err := newNeutralSet(lf.Neutral)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrLearnedModel, err)
		}
		m.ex.neutral = ns
	}
	m.fast = compileLearned(lf, m.ex.neutral)
	if lf.AuthorityPolicy && m.ex.neutral != nil {
		m.hate, m.offensive = slices.Index(lf.Labels, "hate"), slices.Index(lf.Labels, "offensive")
	}
	for i, l := range lf.Labels {
		if l == "neutral" || l == "clean" || l == "non_toxic" {
			m.base0 = i
		}
	}
	return m, nil
}

func (m *learnedModel) Name() string { return m.name }

func (m *learnedModel) narrativeInfos() []NarrativeInfo { return m.base.narrativeInfos() }

// vectorize returns the TF-IDF values of the known features of text, block-normalised.
func vectorize(feats []featOcc, idf func(key string) (float64, bool)) []float64 {
	vals := make([]float64, len(feats))
	var norm [nBlocks]float64
	for i, f := range feats {
		w, ok := idf(f.key)
		if !ok {
			continue
		}
		v := f.val
		if f.block != blockLex {
			v = (1 + math.Log(f.val)) * w
		}
		vals[i] = v
		norm[f.block] += float64(v * v) // float64(): never fused into an FMA, so both scorers round alike
	}
	for i, f := range feats {
		if f.block != blockLex && norm[f.block] > 0 {
			vals[i] /= math.Sqrt(norm[f.block])
		}
	}
	return vals
}

// scores returns the per-label scores of text and its features with their values.
func (m *learnedModel) scores(text string) ([]float64, []featOcc, []float64) {
	feats := m.ex.features(text)
	vals := vectorize(feats, func(k string) (float64, bool) {
		t, ok := m.file.Terms[k]
		return t.IDF, ok
	})
	s := make([]float64, len(m.file.Labels))
	for k := range s {
		s[k] = m.file.Bias[k] + m.file.Offset[k]
	}
	for i, f := range feats {
		if vals[i] == 0 {
			continue
		}
		t := m.file.Terms[f.key]
		for k, w := range t.W {
			s[k] += float64(vals[i] * w)
		}
	}
	return s, feats, vals
}

// Analyze implements Model.
func (m *learnedModel) Analyze(text string) post.Analysis {
	a := m.base.Analyze(text)
	a.Model = m.name
	sc := m.fast.getScratch()
	defer m.fast.putScratch(sc)
	m.fast.score(sc, m.file, text, &a)
	s := sc.scores
	best := 0
	for k := range s {
		if s[k] > s[best] {
			best = k
		}
	}
	var pbuf [8]float64
	p := softmax(s, pbuf[:0])
	if best == m.hate && sc.neutral && !LexiconFindsHate(a) {
		// The product's label policy (AuthorityPolicy): about authorities and no hate the
		// reviewed lexicons can see, so at most offensive.
		best = m.offensive
		p[m.offensive] += p[m.hate]
		p[m.hate] = 0
	}
	label := m.file.Labels[best]
	// Drop the base model's evidence for the task the learned model decides.
	ev := a.Evidence[:0]
	for _, e := range a.Evidence {
		if e.For != m.file.Task {
			ev = append(ev, e)
		}
	}
	a.Evidence = ev
	switch m.file.Task {
	case "sentiment":
		a.Sentiment = post.Label{Label: label, Score: round3(prob(p, m.file.Labels, "positive") - prob(p, m.file.Labels, "negative"))}
	case "toxicity":
		out := label
		switch label {
		case "non_toxic":
			out = "clean"
		case "toxic", "hate_offensive":
			out = "offensive"
		}
		clean := 0.0
		if m.base0 >= 0 {
			clean = p[m.base0]
		}
		a.Toxicity = post.Label{Label: out, Score: round3(1 - clean)}
		a.Flagged = out != "clean"
		for _, n := range a.Narratives {
			if i := slices.IndexFunc(m.base.narratives, func(d narrativeDef) bool { return d.ID == n.ID }); i >= 0 && m.base.narratives[i].severity >= flagSeverity {
				a.Flagged = true
			}
		}
	}
	if best != m.base0 {
		a.Evidence = m.evidence(a.Evidence, best, sc)
		slices.SortStableFunc(a.Evidence, func(x, y post.Evidence) int {
			if x.Start != y.Start {
				return cmp.Compare(x.Start, y.Start)
			}
			return strings.Compare(x.For, y.For)
		})
	}
	return a
}

// LexiconFindsHate reports whether a lexicon model's analysis a finds hate: the toxicity
// label hate (an insult aimed at a protected group of lexicon/targets.tsv, or the guarded
// pile of abuse) or a hate_harassment narrative. It is the evidence the label policy for
// posts about authorities asks for (models/README.md, "Responsible scope" rule 2).
func LexiconFindsHate(a post.Analysis) bool {
	if a.Toxicity.Label == "hate" {
		return true
	}
	for _, n := range a.Narratives {
		if n.ID == "hate_harassment" {
			return true
		}
	}
	return false
}

// fastScores returns the label scores Analyze computes for text (offsets included).
func (m *learnedModel) fastScores(text string) []float64 {
	a := m.base.Analyze(text)
	sc := m.fast.getScratch()
	defer m.fast.putScratch(sc)
	m.fast.score(sc, m.file, text, &a)
	return slices.Clone(sc.scores)
}

// maxLearnedEvidence bounds the evidence of a learned label.
const maxLearnedEvidence = 5

// evidence appends to dst the word n-grams that pushed label k most against the other
// labels, strongest first (on a tie: longest, then first in the text), leaving out any
// that overlaps one already chosen, with their byte spans. It uses sc's buffers.
func (m *learnedModel) evidence(dst []post.Evidence, k int, sc *learnScratch) []post.Evidence {
	cs := sc.contribs[:0]
	stride := m.fast.k + 1
	for i, h := range sc.hits {
		w := m.fast.rows[int(h.id)*stride+1 : int(h.id)*stride+stride]
		var other float64
		for j, x := range w {
			if j != k {
				other += x / float64(len(w)-1)
			}
		}
		if c := h.val * (w[k] - other); c > 0 {
			cs = append(cs, contrib{i, c})
		}
	}
	sc.contribs = cs
	// Strongest first. Equal contributions are common (n-grams that always occur together
	// get equal weights): then the longer span first, then text order, which puts "w:"
	// before the "f:" of the same span. An insertion sort for the usual handful (no
	// comparator calls), a sort for long texts.
	hits := sc.hits
	better := func(a, b contrib) bool {
		if a.c != b.c {
			return a.c > b.c
		}
		ha, hb := &hits[a.i], &hits[b.i]
		if la, lb := ha.end-ha.start, hb.end-hb.start; la != lb {
			return la > lb
		}
		return a.i < b.i
	}
	if len(cs) <= 32 {
		for i := 1; i < len(cs); i++ {
			x, j := cs[i], i
			for ; j > 0 && better(x, cs[j-1]); j-- {
				cs[j] = cs[j-1]
			}
			cs[j] = x
		}
	} else {
		slices.SortFunc(cs, func(a, b contrib) int {
			switch {
			case a.i == b.i:
				return 0
			case better(a, b):
				return -1
			}
			return 1
		})
	}
	n0 := len(dst)
	for _, c := range cs {
		f := sc.hits[c.i]
		overlap := false
		for _, e := range dst[n0:] {
			if f.start < e.End && e.Start < f.end {
				overlap = true
				break
			}
		}
		if overlap {
			continue
		}
		dst = append(dst, post.Evidence{For: m.file.Task, Term: m.fast.keys[f.id][2:], Start: f.start, End: f.end, Weight: keepSmall(c.c)})
		if len(dst)-n0 == maxLearnedEvidence {
			break
		}
	}
	return dst
}

// contrib is how much hit i pushed the chosen label.
type contrib struct {
	i int
	c float64
}

func prob(p []float64, labels []string, l string) float64 {
	if i := slices.Index(labels, l); i >= 0 {
		return p[i]
	}
	return 0
}

// softmax appends the softmax of s to dst (reusing its storage when large enough).
func softmax(s []float64, dst []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range s {
		mx = math.Max(mx, v)
	}
	p := slices.Grow(dst[:0], len(s))[:len(s)]
	var z float64
	for i, v := range s {
		p[i] = math.Exp(v - mx)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
	return p
}

// ErrScorerMismatch means a learned model's compiled scorer disagreed with the reference
// computation (feature extraction as in training, Vectorize, string-keyed weights).
var ErrScorerMismatch = errors.New("compiled scorer differs from the reference scores")

// CheckLearned scores every text of texts with a learned model both through the compiled
// scorer Analyze uses and through the reference computation, and returns an error wrapping
// ErrScorerMismatch that names the first text where they differ. It is how training (and
// its tests) make sure a model scores at run time exactly what it was trained to score.
// A model that is not a learned model is an error.
func CheckLearned(m Model, texts []string) error {
	lm, ok := m.(*learnedModel)
	if !ok {
		return fmt.Errorf("%s is not a learned model", m.Name())
	}
	for i, text := range texts {
		want, _, _ := lm.scores(text)
		if got := lm.fastScores(text); !slices.Equal(got, want) {
			return fmt.Errorf("%w: text %d %q: compiled %v, reference %v", ErrScorerMismatch, i, text, got, want)
		}
	}
	return nil
}

// keepSmall rounds a contribution to three decimals unless that would erase it: an
// evidence weight of 0 reads as "not recorded".
func keepSmall(x float64) float64 {
	if r := round3(x); r != 0 {
		return r
	}
	return x
}
