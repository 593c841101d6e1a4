package classifier

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"slices"
	"strings"

	"github.com/langnghe/langnghe/models"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// Model classifies the text of one post. The classify stage calls Analyze once per post,
// from several goroutines at once; it never fails: empty or garbage text gives
// neutral/clean with score 0.
type Model interface {
	Name() string                      // "name@version", written to analysis.model
	Analyze(text string) post.Analysis // evidence offsets are byte offsets into text
}

// ErrModelFile marks a model data file that cannot be parsed. Load and LoadDefault wrap
// it in errors that start with "file:line:".
var ErrModelFile = errors.New("invalid model file")

// Severity levels of a narrative, lowest first. A narrative at SeverityMedium or above
// flags the post when it matches.
var severities = []string{"low", "medium", "high", "critical"}

const flagSeverity = 1 // index of "medium" in severities

// NarrativeInfo describes one narrative of a model, for UIs and alert rules.
type NarrativeInfo struct {
	ID        string
	NameVI    string
	NameEN    string
	Severity  string // low, medium, high or critical
	Threshold float64
}

// Narratives lists the narratives of m in file-name order, or nil if m does not expose them
// (models from this package do).
func Narratives(m Model) []NarrativeInfo {
	if n, ok := m.(interface{ narrativeInfos() []NarrativeInfo }); ok {
		return n.narrativeInfos()
	}
	return nil
}

// LoadDefault returns the shipped default model, built from the files embedded in
// package models ("default@2026.11.1").
func LoadDefault() (Model, error) {
	return loadFS(models.FS())
}

// Load reads a model from dir, laid out like the models/ folder: model.yaml,
// lexicon/sentiment.tsv, lexicon/toxicity.tsv, optionally lexicon/modifiers.tsv, and
// narratives/*.yaml. Errors name the file and line and wrap ErrModelFile (bad content)
// or the fs error (a missing file). The teencode dictionary is part of the normalizer
// and always the embedded one. If dir is a file, it is read as a learned model (see
// LearnedFile) layered over the shipped default.
func Load(dir string) (Model, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("loading model: %w", err)
	}
	if !st.IsDir() {
		// A learned model file (model train) over the shipped default lexicons and narratives.
		base, err := LoadDefault()
		if err != nil {
			return nil, err
		}
		return LoadLearned(dir, base)
	}
	return loadFS(os.DirFS(dir))
}

// Groups of terms in the matcher. Sentiment terms, modifiers and toxicity terms are
// matched independently of each other and of each narrative, so one phrase can count for
// several of them; within one group the leftmost-longest match wins.
const (
	groupSentiment = iota
	groupModifier
	groupToxicity
	groupTarget     // protected groups that abuse may target (lexicon/targets.tsv)
	groupAddressee  // words that aim abuse at a person or people (lexicon/addressees.tsv)
	groupNarrative0 // narrative i is group groupNarrative0+i
)

// Modifier kinds and toxicity labels, stored in lexTerm.kind.
const (
	kindNone = iota
	kindNegator
	kindIntensifier // intensifiers and diminishers work alike; only the factor differs
	kindOffensive
	kindHate
	kindContrast // "nhưng": sentiment before the last one counts for factor times as much
)

// lexTerm is one term of a lexicon or narrative.
type lexTerm struct {
	group  int
	text   string // the term, normalized, as reported in evidence
	weight float64
	kind   uint8
	atom   int32 // rule terms: the global index of their rule atom
	rule   bool  // a term of a rule atom: every occurrence counts, not only leftmost-longest
	fold   bool  // a single syllable marked safe to match without diacritics
	// rude marks a toxicity term that is vulgar but insults no one by itself (expletives
	// and intensifiers such as "vl", "đéo", rude pronouns such as "mày"): it does not make
	// abuse aimed at a person (addressees.tsv) hate.
	rude bool
	// accented marks a multi-syllable term matched only as written with diacritics: its
	// accentless form is an everyday phrase ("con do" is "còn đó", not "côn đồ").
	accented bool
}

// trie is a trie over syllables, each syllable named by its id in lexModel.syms. Chosen
// over a byte-level Aho-Corasick automaton: in BenchmarkMatcher github.com/coregx/ahocorasick
// finds the raw matches on prepared syllable streams 1 to 2 times as fast as the trie walk
// (which there also pays the symbol-table lookup of every syllable), but in Analyze the
// automaton would need space-delimited byte streams built per post, offsets mapped back
// to syllables and a leftmost-longest pass per group, which the trie walk does as it goes,
// and the word cache already hands Analyze the ids of most syllables. A post's syllables
// are looked up in the symbol table once each; the walk then indexes the root by id and
// finds the child of an inner node at the place the node's kids bits point to, without
// hashing strings.
type trie struct {
	root  []int32 // child node of the root by syllable id, 0 if none
	nodes []trieNode
	// edges holds the children of the nodes other than the root: those of node n from
	// nodes[n].off, ordered by (id&63, id), then an entry of id 0 (syllable ids start at
	// 1). Filled by freeze. A step finds its entry by counting the node's kids bits
	// below the id's (see inner): one read near the others of the step, where a hash table
	// of all edges (at most a quarter full: 768 KB for the normalized trie) cost a likely
	// cache miss per step, and a binary search of each node's children more instructions.
	edges []trieEdge
	// building maps (node << 32 | syllable id) to the child node while terms are
	// inserted (loading only: classifying reads edges); freeze empties it.
	building map[uint64]int32
	// links holds the terms ending at each node as lists (links[0] unused), so that the
	// nodes hold no pointers: a slice per node made every GC cycle visit thousands of
	// small objects, and GC cycles come often while classifying.
	links []trieLink
}

// trieLink is one term ending at a node and the next link of that node's list (0: none).
type trieLink struct{ term, next int32 }

// trieEdge is a child (node) of a node by syllable id (key: edgeOrder(id); a run's end:
// the largest key).
type trieEdge struct {
	key  uint32
	node int32
}

// maxTrieSyllables bounds the syllable ids in a trie, so that edgeOrder is one-to-one.
const maxTrieSyllables = 1 << 26

type trieNode struct {
	head int32 // the node's list of terms ending here in trie.links, in insertion order; 0: none
	off  int32 // its children in trie.edges (freeze)
	// kids has bit id&63 set for the id of every child (of a node other than the root):
	// the walk reads the node for its terms anyway, and this filter spares it the edge
	// lookup for most syllables that continue no term (on the ViHSD comments 85% of the
	// lookups that found nothing).
	kids uint64
}

func edgeKey(n, id int32) uint64 { return uint64(uint32(n))<<32 | uint64(uint32(id)) }

// child returns the node reached from node n by syllable id, or 0, while terms are
// inserted (before freeze). n == 0 is the root.
func (t *trie) child(n int32, id int32) int32 {
	if n == 0 {
		if uint(id) < uint(len(t.root)) {
			return t.root[id]
		}
		return 0
	}
	return t.building[edgeKey(n, id)]
}

// mayHave reports whether node n (not the root) may have a child by syllable id: false
// means it has none.
func (t *trie) mayHave(n int32, id int32) bool { return t.nodes[n].kids&(1<<(uint32(id)&63)) != 0 }

// inner returns the child of a node n other than the root by syllable id, or 0, once
// the trie is frozen. n's run of edges holds at least one child per kids bit below
// id&63's, and those children come first: the count of those bits is where the search
// starts, and id's child is there unless ids of n's children share their low 6 bits
// (then a few steps on). The walk calls inner for most syllables that begin a term, so it
// stays small enough to inline (cost 71 of 80: check with -gcflags=-m=2 after a change).
func (t *trie) inner(n int32, id int32) int32 {
	nd := &t.nodes[n]
	key := edgeOrder(id)
	p := nd.off + int32(bits.OnesCount64(nd.kids&(1<<(key>>26)-1)))
	for t.edges[p].key < key {
		p++
	}
	if e := t.edges[p]; e.key == key {
		return e.node
	}
	return 0
}

// edgeOrder is the key of a child by id in its node's run of trie.edges: ordered by the
// id's low 6 bits, then the id.
func edgeOrder(id int32) uint32 { return uint32(id)&63<<26 | uint32(id) }

// freeze lays out the children of the nodes other than the root in edges (see inner),
// after the last insert.
func (t *trie) freeze() error {
	kids := make([][]trieEdge, len(t.nodes))
	for k, child := range t.building { // any order: each node's run is sorted below
		id := int32(uint32(k))
		if id >= maxTrieSyllables {
			return fmt.Errorf("%w: more than %d distinct syllables in the lexicons", ErrModelFile, maxTrieSyllables-1)
		}
		n := int32(k >> 32)
		kids[n] = append(kids[n], trieEdge{key: edgeOrder(id), node: child})
	}
	end := trieEdge{key: math.MaxUint32}
	t.edges = []trieEdge{end} // a node without children: off 0, the end of an empty run
	for n, ks := range kids {
		if len(ks) == 0 {
			continue
		}
		slices.SortFunc(ks, func(a, b trieEdge) int { return cmp.Compare(a.key, b.key) })
		t.nodes[n].off = int32(len(t.edges))
		t.edges = append(append(t.edges, ks...), end)
	}
	t.building = nil
	return nil
}

// freezeTries freezes both tries once every term is added: Analyze needs it.
func (m *lexModel) freezeTries() error {
	return errors.Join(m.norm.freeze(), m.folded.freeze())
}

// insert adds a term; it may not follow freeze.
func (t *trie) insert(ids []int32, term int32) {
	if t.edges != nil {
		panic("classifier: trie insert after freeze")
	}
	if len(t.nodes) == 0 {
		t.nodes = append(t.nodes, trieNode{}) // node 0: the root, children in t.root
		t.building = map[uint64]int32{}
	}
	var n int32
	for _, id := range ids {
		c := t.child(n, id)
		if c == 0 {
			c = int32(len(t.nodes))
			t.nodes = append(t.nodes, trieNode{})
			if n == 0 {
				if int(id) >= len(t.root) {
					t.root = slices.Grow(t.root, int(id)+1-len(t.root))[:int(id)+1]
				}
				t.root[id] = c
			} else {
				t.building[edgeKey(n, id)] = c
				t.nodes[n].kids |= 1 << (uint32(id) & 63)
			}
		}
		n = c
	}
	if len(t.links) == 0 {
		t.links = append(t.links, trieLink{}) // index 0 ends every list
	}
	l := int32(len(t.links))
	t.links = append(t.links, trieLink{term: term})
	if nd := &t.nodes[n]; nd.head == 0 {
		nd.head = l
	} else { // append: terms are found in insertion order (a node ends a few)
		last := nd.head
		for t.links[last].next != 0 {
			last = t.links[last].next
		}
		t.links[last].next = l
	}
}

// narrativeDef is a parsed narrative.
type narrativeDef struct {
	NarrativeInfo
	severity int
	examples struct{ match, noMatch []string }
	rule     *ruleAST // nil: the weighted terms alone decide
	atom0    int      // index of the rule's first atom in lexModel.atomCount space
	weighted bool     // has weighted terms
	// learnedNotWhen: sentiment labels under which the learned narrative component may
	// not match this narrative (learned_not_when_sentiment).
	learnedNotWhen []string
	// learnedWithoutTerms: the learned component may match this narrative in a post
	// where none of its terms occurs (learned_without_terms).
	learnedWithoutTerms bool
}

// lexModel is the lexicon model: immutable after loading, so Analyze is safe for
// concurrent use.
type lexModel struct {
	name       string
	terms      []lexTerm
	syms       vntext.SymbolTable // every syllable of a term (normalized or folded) -> id from 1
	nsyms      int32
	norm       trie // every term, by normalized syllables
	folded     trie // terms of two or more syllables (and one-syllable "fold" terms), by folded syllables; walked only through syllables written without diacritics
	narratives []narrativeDef
	// Terms of rule atoms share the tries but are collected apart: every occurrence
	// counts (not only the leftmost-longest), since a rule may ask for "a" NEAR/2 "a b".
	atoms int // number of rule atoms over all narratives
	// exclusionAtom marks, by atom index, the atoms that occur in their rule only under a
	// NOT: they never make a post a narrative candidate (narrativeCandidates).
	exclusionAtom []bool
	// neutral holds the authority and political terms (neutral_terms.tsv); nil when the
	// model directory has none, and then strongly toxic posts are never promoted to hate.
	neutral *neutralSet
	// learnedTox is the learned toxicity component (learned/toxicity.tsv); nil when the
	// model directory has none.
	learnedTox *toxLearned
	// learnedNarr is the learned narrative component (learned/narratives.tsv); nil when
	// the model directory has none.
	learnedNarr *narrLearned
	// lexFingerprint identifies the files that decide the sentiment and toxicity a learned
	// model reads as its "x:" features (see LexiconFingerprint).
	lexFingerprint string
}

func (m *lexModel) Name() string { return m.name }

func (m *lexModel) narrativeInfos() []NarrativeInfo {
	out := make([]NarrativeInfo, len(m.narratives))
	for i, n := range m.narratives {
		out[i] = n.NarrativeInfo
	}
	return out
}

// addTerm registers a term. syllables are the Norm forms of its tokens, with multi-word
// teencode expansions split, so a term matches exactly what a post's token stream holds.
func (m *lexModel) addTerm(t lexTerm) error {
	return m.addTermTo(t, &m.norm, &m.folded)
}

func (m *lexModel) addTermTo(t lexTerm, norm, fold *trie) error {
	syls, folded := termSyllables(t.text)
	if len(syls) == 0 {
		return fmt.Errorf("term %q has no letters, digits or emoji", t.text)
	}
	t.text = strings.Join(syls, " ")
	id := int32(len(m.terms))
	m.terms = append(m.terms, t)
	norm.insert(m.symIDs(syls), id)
	// Folded matching only for multi-syllable terms: one folded syllable is too ambiguous
	// ("ma" would match "mà", "má", "mã").
	if len(folded) > 1 && !t.accented || t.fold {
		fold.insert(m.symIDs(folded), id)
	}
	return nil
}

// sylIDs returns the ids of one syllable's normalized and folded forms, 0 for a form no
// term has; -1 for a form of several syllables (a teencode expansion, split later).
//
// Folding is for text typed without diacritics: a syllable written with any diacritic
// (or đ) gets no folded id, so it matches terms only with its own diacritics ("con đi"
// is never "con đĩ", "bố mẹ" never "bỏ mẹ"), while "con di" still matches "con đĩ". Over
// the 63,687 texts of ../shared/data the old rule (match the folded form of every word)
// made 2,906 such matches, nearly all false (TestNoFalseFoldedMatchesInSharedData).
//
// written is the word as typed. A teencode word typed in plain ASCII ("ko", "dc") expands
// to a form with diacritics ("không"), yet it was written without any, like the words
// around it: it gets its folded id too, so "ko can von" matches "không cần vốn".
func (m *lexModel) sylIDs(norm, folded, written string) (int32, int32) {
	if strings.IndexByte(norm, ' ') >= 0 {
		return -1, -1
	}
	nid := m.syms.GetString(norm)
	if folded == norm {
		return nid, nid
	}
	if isASCII(written) {
		return nid, m.syms.GetString(folded)
	}
	return nid, 0
}

// appendSyllables appends the syllables of token i (not cached, or a multi-syllable
// teencode expansion) of text to syls, looking their forms up in the symbol table.
func (m *lexModel) appendSyllables(syls []syllable, text string, toks []vntext.Token, i int) []syllable {
	t := toks[i]
	if strings.IndexByte(t.Norm, ' ') < 0 {
		nid, fid := m.sylIDs(t.Norm, t.Folded, text[t.Start:t.End])
		return append(syls, m.syllable(int32(i), nid, fid))
	}
	// A multi-syllable teencode expansion ("mn" → "mọi người"): its forms are
	// single-spaced with as many syllables in each (parseTeencode), split here
	// without allocating.
	n, f := t.Norm, t.Folded
	for n != "" {
		var ns, fs string
		ns, n, _ = strings.Cut(n, " ")
		fs, f, _ = strings.Cut(f, " ")
		if fs == "" {
			fs = ns
		}
		nid, fid := m.sylIDs(ns, fs, text[t.Start:t.End])
		syls = append(syls, m.syllable(int32(i), nid, fid))
	}
	return syls
}

// syllable is the syllable of token tok with form ids nid and fid.
func (m *lexModel) syllable(tok, nid, fid int32) syllable {
	return syllable{tok: tok, nid: nid, fid: fid, feat: m.learnedTox.featOf(nid)}
}

// isASCII reports whether s has no byte outside ASCII, so no diacritic and no đ.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// symIDs returns the ids of syllables, interning new ones.
func (m *lexModel) symIDs(syls []string) []int32 {
	ids := make([]int32, len(syls))
	for i, s := range syls {
		id := m.syms.GetString(s)
		if id == 0 {
			m.nsyms++
			id = m.nsyms
			m.syms.Put(s, id)
		}
		ids[i] = id
	}
	return ids
}

func termSyllables(s string) (norm, folded []string) {
	for _, t := range vntext.Tokenize(s) {
		norm = append(norm, strings.Fields(t.Norm)...)
		folded = append(folded, strings.Fields(t.Folded)...)
	}
	return norm, folded
}

// syllable is one syllable of the text being analyzed; tok indexes its token (a
// teencode token such as "mn" yields two syllables with the same tok).
// The matcher needs only the ids of its forms in lexModel.syms (0: no term has that
// syllable), so the struct holds no pointers and the per-syllable slice is cheap to fill.
//
// feat is what the learned toxicity component needs of the syllable's normalized form
// (toxLearned.featOf: its index in toxLearned.feat and a few flags; 0: it plays no
// part), found when the syllable's ids are, so that component tests most posts without
// reading any table.
type syllable struct {
	tok      int32
	nid, fid int32
	feat     int32
}

// clauseBreakBefore reports whether the text between token i-1 and token i holds a clause
// break: , ; ! ? a newline or "…", or a "." or ":" followed by a space. Terms do not match
// across one: "tạm trú, bão giấy tờ" holds no "trú bão". A "." or ":" between two tokens
// with nothing else ("TP.HCM", "150.000", "10:30") is no break.
func clauseBreakBefore(text string, toks []vntext.Token, i int) bool {
	if i == 0 {
		return false
	}
	a, b := toks[i-1].End, toks[i].Start
	if b == a+1 && text[a] == ' ' {
		return false
	}
	return gapHasClauseBreak(text[a:b])
}

// breakBefore reports whether a clause break lies between syllables j-1 and j of text
// (whose tokens are toks). findMatchesInto asks only where a term could continue across
// the gap, far more rarely than once a syllable: an eager flag on every syllable cost 8%
// of BenchmarkClassifyViHSD's instructions.
func breakBefore(text string, toks []vntext.Token, syls []syllable, j int) bool {
	t := syls[j].tok
	if t == syls[j-1].tok { // syllables of one teencode expansion ("mn" → "mọi người")
		return false
	}
	return clauseBreakBefore(text, toks, int(t))
}

// gapHasClauseBreak reports whether gap, the text between two words, holds a clause break.
func gapHasClauseBreak(gap string) bool {
	for k := 0; k < len(gap); k++ {
		switch gap[k] {
		case ',', ';', '!', '?', '\n':
			return true
		case '.', ':':
			if k+1 < len(gap) && (gap[k+1] == ' ' || gap[k+1] == '\n') {
				return true
			}
		case 0xE2: // "…" is E2 80 A6
			if strings.HasPrefix(gap[k:], "…") {
				return true
			}
		}
	}
	return false
}

// match is a term found at syllables [from, to).
type match struct {
	term     int32
	from, to int
}

// Sentiment and scoring constants. Values are rounded to 3 decimals so output is stable.
const (
	negatorWindow     = 3   // a negator within this many syllables before a term flips it
	intensifierBefore = 2   // "rất tốt", "rất là tốt"
	intensifierAfter  = 1   // "ngon quá", "đẹp lắm"
	sentimentScale    = 2.0 // score = tanh(sum / scale)
	sentimentCut      = 0.2 // |score| at which a post stops being neutral
	// negativityBias multiplies a term's weight once it is negative (after negation and
	// intensity): a complaint in a post that also praises is what the post is about
	// ("thầy nhiệt tình nhưng nói nhanh quá"). 1.5 is the factor of SO-CAL (Taboada et
	// al., "Lexicon-Based Methods for Sentiment Analysis", 2011).
	negativityBias = 1.5
	// danglingNegation: the weight of a negator that negates no sentiment term. Alone it
	// stays inside the neutral band (tanh(0.4/2) < sentimentCut), so "Sáng mai lớp mình
	// không học" is neutral, while two of them, or one with a suggestion or a mild
	// complaint, make a post negative. (-0.5, which labels a bare negation negative,
	// scores UIT-VSFC dev weighted-F1 0.837 instead of 0.820 but calls such plain
	// statements negative.)
	danglingNegation = -0.4
	toxicityCut      = 0.5 // noisy-or score at which a post stops being clean
	// hateCut: a post this toxic is hate even without a group term or target, since
	// piled-up slurs and abuse are what hate-speech data sets call hate. Never applied to
	// a post naming an authority (neutral_terms.tsv): very profane criticism of
	// officials stays offensive (models/README.md, "Responsible scope").
	hateCut = 0.85
	// hateMinTerms: the promotion needs a pile of abuse, not one or two strong words
	// ("Đm thằng ad óc chó" is an insult at a person: offensive).
	hateMinTerms = 3
	targetWindow = 4 // offensive term and protected group this close: hate
	// addresseeWindow: an insult this close to a word that aims it at a person or
	// people ("mày", "thằng", "bọn") is harassment, which the product labels hate
	// (models/README.md, "What the product calls hate"). About a sentence: the insult
	// often comes a clause after the address ("Thằng cha này nói chuyện kiểu gì mà
	// nghe ngu thế"); 4 (the reach of targetWindow) left such posts offensive.
	addresseeWindow = 20
)

// Analyze implements Model. It never panics on any input.
func (m *lexModel) Analyze(text string) post.Analysis {
	a := post.Analysis{
		Model:      m.name,
		Sentiment:  post.Label{Label: "neutral"},
		Toxicity:   post.Label{Label: "clean"},
		Narratives: []post.Narrative{},
		Evidence:   []post.Evidence{},
	}
	sc := getScratch()
	defer putScratch(sc)
	toks, syls := sc.syllables(text, m)
	if len(toks) == 0 {
		return a
	}
	occ := sc.emptyOccurrences(m.atoms)
	matches := m.findMatchesInto(sc, text, toks, syls, occ)
	if len(matches) == 0 && len(sc.occAtoms) == 0 {
		m.analyzeUnmatched(&a, sc, toks, syls, occ)
		return a
	}
	span := func(mt match) (int, int) { return matchSpan(toks, syls, mt) }

	// One pass over the matches picks out the protected-group mentions, the sentiment
	// phrases and the modifiers, each in text order.
	targets, addressees, sents, mods := sc.targets[:0], sc.addressees[:0], sc.sents[:0], sc.mods[:0]
	for _, mt := range matches {
		switch m.terms[mt.term].group {
		case groupTarget:
			targets = append(targets, mt)
		case groupAddressee:
			if m.terms[mt.term].weight > 0 { // weight 0: a shield ("con mèo" names no person)
				addressees = append(addressees, mt)
			}
		case groupSentiment:
			sents = append(sents, mt)
		case groupModifier:
			mods = append(mods, mt)
		}
	}
	sc.targets, sc.addressees, sc.sents, sc.mods = targets, addressees, sents, mods
	// Sentiment: modifiers act only where they are not part of a sentiment phrase, so the
	// "chả" of "bún chả" and the "quá" of "quá tải" stay food and overload.
	negAt, intAt := sc.negAt[:0], sc.intAt[:0] // free modifiers, in text order
	contrastAt, contrastFactor := -1, 1.0
	next := 0 // sents before it end before the modifier looked at
	for _, mt := range mods {
		if covers(sents, &next, mt.from) || covers(sents, &next, mt.to-1) {
			continue
		}
		t := &m.terms[mt.term]
		switch t.kind {
		case kindNegator:
			negAt = append(negAt, mt)
		case kindContrast:
			if mt.from > 0 { // a leading "Nhưng" has no earlier clause to weaken
				contrastAt, contrastFactor = mt.from, t.weight
			}
		default:
			intAt = append(intAt, mt)
		}
	}
	sc.negAt, sc.intAt = negAt, intAt
	var sum float64
	negNext, intNext := 0, 0
	var negUsed uint64           // bit i: negAt[i] negated a sentiment term
	var tox, hate float64 = 1, 1 // products of (1 - weight), for the noisy-or
	toxTerms := 0                // toxicity term occurrences, for hateMinTerms
	addressed := false           // an insult aimed at a person or people (addresseeWindow)
	var addressee match          // the addressee that aimed it, for evidence
	var toxEvidence []post.Evidence
	narrRaw := slices.Grow(sc.narrRaw[:0], len(m.narratives))[:len(m.narratives)]
	clear(narrRaw)
	sc.narrRaw = narrRaw
	narrSeen := sc.narrSeen[:0] // narrative terms counted so far; a post has few
	// Evidence is gathered in the scratch's buffers and copied out once, at its final
	// length: appending to the result term by term cost several allocations a post.
	evidence, toxEvidence := sc.evidence[:0], sc.toxEvidence[:0]
	narrEvidence := slices.Grow(sc.narrEvidence[:0], len(m.narratives))[:len(m.narratives)]
	for i := range narrEvidence {
		narrEvidence[i] = narrEvidence[i][:0]
	}
	for _, mt := range matches {
		t := &m.terms[mt.term]
		switch {
		case t.weight == 0 || t.group == groupModifier:
			continue
		case t.group == groupSentiment:
			w := t.weight
			// matches, negAt and intAt are in text order, so modifiers too far back are
			// skipped for good and each term looks at a few candidates only.
			for negNext < len(negAt) && mt.from-negAt[negNext].to >= negatorWindow {
				negNext++
			}
			for j, n := range negAt[negNext:] {
				if n.from >= mt.from {
					break
				}
				if n.to <= mt.from && mt.from-n.to < negatorWindow {
					w *= m.terms[n.term].weight
					if k := negNext + j; k < 64 {
						negUsed |= 1 << k
					}
					break
				}
			}
			for intNext < len(intAt) && mt.from-intAt[intNext].to >= intensifierBefore {
				intNext++
			}
			for _, n := range intAt[intNext:] { // the first intensifier or diminisher in reach applies
				if n.from-mt.to >= intensifierAfter {
					break
				}
				before := n.to <= mt.from && mt.from-n.to < intensifierBefore
				after := n.from >= mt.to && n.from-mt.to < intensifierAfter
				if before || after {
					w *= m.terms[n.term].weight
					break
				}
			}
			if mt.to <= contrastAt { // "ngon nhưng đắt": the later clause carries the opinion
				w *= contrastFactor
			}
			if w < 0 {
				w *= negativityBias
			}
			sum += w
			start, end := span(mt)
			evidence = addEvidence(evidence, "sentiment", t.text, start, end, w)
		case t.group == groupToxicity:
			tox *= 1 - t.weight
			toxTerms++
			if t.kind == kindHate {
				hate *= 1 - t.weight
			} else if tg, ok := nearTarget(targets, mt); ok {
				// Abuse aimed at a protected group is hate: "bọn người X ngu như bò". The
				// group mention is evidence too: the term counts twice in the noisy-or,
				// so a milder insult ("kinh tởm", 0.45) aimed at a group still flags.
				tox *= 1 - t.weight
				hate *= (1 - t.weight) * (1 - t.weight)
				ts, te := span(tg)
				toxEvidence = addEvidence(toxEvidence, "toxicity", m.terms[tg.term].text, ts, te, t.weight)
			}
			if !addressed && !t.rude && len(addressees) > 0 {
				addressee, addressed = nearWithin(addressees, mt, addresseeWindow)
			}
			start, end := span(mt)
			toxEvidence = addEvidence(toxEvidence, "toxicity", t.text, start, end, t.weight)
		case t.group == groupTarget || t.group == groupAddressee:
			continue
		default:
			i := t.group - groupNarrative0
			if t.weight > 0 && !slices.Contains(narrSeen, mt.term) { // each distinct term counts once
				narrSeen = append(narrSeen, mt.term)
				narrRaw[i] += t.weight
			}
			if t.weight > 0 {
				start, end := span(mt)
				narrEvidence[i] = addEvidence(narrEvidence[i], m.narratives[i].ID, t.text, start, end, t.weight)
			}
		}
	}

	// A negator that negates no sentiment term still reports something missing or not
	// working ("máy không chạy", "gọi tổng đài không ai nghe"); the "không" that ends a
	// question ("có ai biết không?", "được không ạ") counts nothing.
	for j, n := range negAt {
		if j < 64 && negUsed&(1<<j) != 0 || clauseEndsAt(text, toks, syls, n.to) {
			continue
		}
		w := danglingNegation
		if n.to <= contrastAt {
			w *= contrastFactor
		}
		sum += w
		start, end := span(n)
		evidence = addEvidence(evidence, "sentiment", m.terms[n.term].text, start, end, w)
	}
	if sum != 0 {
		score := round3(math.Tanh(sum / sentimentScale))
		a.Sentiment.Score = score
		switch {
		case score >= sentimentCut:
			a.Sentiment.Label = "positive"
		case score <= -sentimentCut:
			a.Sentiment.Label = "negative"
		}
	}
	lexTox := round3(1 - tox)
	a.Toxicity.Score = lexTox
	// The learned component (learned/toxicity.tsv) adds toxic posts the lexicons miss;
	// hate stays decided by the lexicon rules and protected-group targets.
	learnedHate, strong := false, 0
	neutralKnown, hasNeutral := false, false // whether the post names an authority, once known
	if m.learnedTox != nil {
		z, hits, neutral := m.learnedTox.logit(toks, syls, sc.toxHits[:0], &sc.toxSeen)
		sc.toxHits = hits[:0]
		neutralKnown, hasNeutral = true, neutral
		if z >= 0 {
			a.Toxicity.Score = max(lexTox, toxicityCut, round3(sigmoid(z)))
			evidence, learnedHate, strong = m.learnedTox.evidence(m, evidence, hits, targets, toxEvidence, span)
			if !addressed && len(addressees) > 0 {
				addressee, addressed = m.learnedTox.addressed(hits, addressees, toxEvidence, span)
			}
		}
	}
	if a.Toxicity.Score >= toxicityCut {
		a.Toxicity.Label = "offensive"
		// A pile of abuse: hateMinTerms lexicon terms, or heavy learned features on top of
		// at least one lexicon term, one more than that (learned words are less certain).
		pile := toxTerms >= hateMinTerms || (toxTerms > 0 && toxTerms+strong > hateMinTerms)
		// Harassment (an insult aimed at a person) and the pile of abuse are hate only
		// where no authority is named: rude criticism of officials stays offensive.
		promote := addressed || (a.Toxicity.Score >= hateCut && pile)
		if 1-hate >= toxicityCut || learnedHate || (promote && m.neutral != nil && !m.namesAuthority(toks, &sc.neutralSyls, neutralKnown, hasNeutral)) {
			a.Toxicity.Label = "hate"
			if addressed && 1-hate < toxicityCut && !learnedHate {
				// The word that aimed the insult is evidence of the harassment.
				start, end := span(addressee)
				toxEvidence = addEvidence(toxEvidence, "toxicity", m.terms[addressee.term].text, start, end, 0)
			}
		}
		evidence = append(evidence, toxEvidence...)
		a.Flagged = true
	}
	termSeen := len(narrSeen) > 0 || len(sc.occAtoms) > 0 // a narrative term occurred: few posts
	if termSeen {
		evidence = m.scoreNarratives(&a, sc, narrSeen, occ, narrRaw, narrEvidence, evidence, span)
	} else {
		sc.narrCands = sc.narrCands[:0]
	}
	// The learned part looks at narratives one of whose terms occurs (few posts), and at
	// those marked learned_without_terms in every post.
	if m.learnedNarr != nil && (termSeen || len(m.learnedNarr.anywhere) > 0) {
		evidence = m.addLearnedNarratives(&a, sc, toks, syls, occ, evidence, neutralKnown && hasNeutral)
	}
	sc.setEvidence(&a, evidence)
	// The buffers, grown maybe, go back to the scratch (no return above once they exist).
	sc.narrSeen = narrSeen[:0]
	sc.evidence, sc.toxEvidence, sc.narrEvidence = evidence[:0], toxEvidence[:0], narrEvidence
	return a
}

// scoreNarratives adds to a the narratives the post matches (narrSeen: the weighted
// terms counted, occ: rule atom occurrences), with their evidence appended to evidence,
// which it returns. Out of Analyze's body: few posts get here.
func (m *lexModel) scoreNarratives(a *post.Analysis, sc *scratch, narrSeen []int32, occ [][]ruleSpan, narrRaw []float64, narrEvidence [][]post.Evidence, evidence []post.Evidence, span func(match) (int, int)) []post.Evidence {
	for _, i := range m.narrativeCandidates(sc, narrSeen, occ) {
		n := &m.narratives[i]
		if n.rule != nil && len(sc.occAtoms) > 0 && anyOccurrence(occ[n.atom0:n.atom0+len(n.rule.atoms)]) {
			// A rule holds only if one of its atoms occurs (parseRule rejects rules of
			// only NOT), so a narrative none of whose terms occur is skipped.
			if !m.ruleNarrative(n, i, occ, narrRaw, narrEvidence, span) {
				continue
			}
		}
		if narrRaw[i] < n.Threshold-1e-9 || narrRaw[i] == 0 { // tolerate 0.4+0.6 rounding
			continue
		}
		// 0.5 at the threshold, 0.75 at twice it, approaching 1.
		a.Narratives = append(a.Narratives, post.Narrative{ID: n.ID, Score: round3(1 - math.Pow(0.5, narrRaw[i]/n.Threshold))})
		evidence = append(evidence, narrEvidence[i]...)
		if n.severity >= flagSeverity {
			a.Flagged = true
		}
	}
	if len(a.Narratives) > 1 {
		slices.SortStableFunc(a.Narratives, func(x, y post.Narrative) int { return cmp.Compare(y.Score, x.Score) })
	}
	return evidence
}

// analyzeUnmatched finishes Analyze for a post in which no lexicon or narrative term
// occurs (many posts): sentiment stays neutral and only the learned toxicity component
// can flag it (and the learned narrative component add a narrative marked
// learned_without_terms). It gives what the general path would, without running through that
// path's code, so the common case keeps a small instruction-cache footprint.
func (m *lexModel) analyzeUnmatched(a *post.Analysis, sc *scratch, toks []vntext.Token, syls []syllable, occ [][]ruleSpan) {
	evidence := sc.evidence[:0]
	neutralKnown, hasNeutral := false, false
	if m.learnedTox != nil {
		z, hits, neutral := m.learnedTox.logit(toks, syls, sc.toxHits[:0], &sc.toxSeen)
		neutralKnown, hasNeutral = true, neutral
		sc.toxHits = hits[:0]
		if z >= 0 {
			// No protected-group mention and no lexicon term: offensive, never hate.
			a.Toxicity.Score = max(toxicityCut, round3(sigmoid(z)))
			a.Toxicity.Label = "offensive"
			a.Flagged = true
			span := func(mt match) (int, int) { return matchSpan(toks, syls, mt) }
			evidence, _, _ = m.learnedTox.evidence(m, evidence, hits, nil, nil, span)
		}
	}
	if m.learnedNarr != nil && len(m.learnedNarr.anywhere) > 0 { // narratives learned without terms
		sc.narrCands = sc.narrCands[:0]
		evidence = m.addLearnedNarratives(a, sc, toks, syls, occ, evidence, neutralKnown && hasNeutral)
	}
	sc.setEvidence(a, evidence)
	sc.evidence = evidence[:0]
}

// addEvidence appends one piece of evidence (weight rounded) to dst. Analyze appends
// evidence at several places; each inline append of the struct, with its write
// barriers, cost a stretch of machine code, and one shared copy keeps Analyze's body
// small in the instruction cache.
//
//go:noinline
func addEvidence(dst []post.Evidence, label, term string, start, end int, w float64) []post.Evidence {
	return append(dst, post.Evidence{For: label, Term: term, Start: start, End: end, Weight: round3(w)})
}

// evidenceOrder orders evidence by place, then label and term, so repeats are neighbours.
func evidenceOrder(x, y *post.Evidence) int {
	if c := cmp.Compare(x.Start, y.Start); c != 0 {
		return c
	}
	if c := strings.Compare(x.For, y.For); c != 0 {
		return c
	}
	if c := cmp.Compare(x.End, y.End); c != 0 {
		return c
	}
	return strings.Compare(x.Term, y.Term)
}

// dropRepeatedEvidence merges neighbours that name the same term at the same place for the
// same label: a narrative with a rule and weighted terms reports one occurrence twice, once
// from its terms (with the weight) and once from its rule (without); the UI would highlight
// it twice. The merged entry keeps the weight.
func dropRepeatedEvidence(evidence []post.Evidence) []post.Evidence {
	// Most posts have no repeat: find the first, so that those posts copy nothing (each
	// copied entry holds two strings, stored with write barriers).
	i := 1
	for i < len(evidence) && !sameEvidence(&evidence[i-1], &evidence[i]) {
		i++
	}
	if i >= len(evidence) {
		return evidence
	}
	out := evidence[:i]
	for _, e := range evidence[i:] {
		last := &out[len(out)-1]
		if sameEvidence(last, &e) {
			last.Weight = max(last.Weight, e.Weight)
			continue
		}
		out = append(out, e)
	}
	return out
}

// sameEvidence reports whether x and y name the same term at the same place for the
// same label.
func sameEvidence(x, y *post.Evidence) bool {
	return x.Start == y.Start && x.End == y.End && x.For == y.For && x.Term == y.Term
}

// sortEvidence sorts evidence stably by evidenceOrder. A post has a few: an insertion sort
// costs less than slices.SortStableFunc's calls of a comparison function (same order; that
// is the fallback for many).
func sortEvidence(ev []post.Evidence) {
	if len(ev) > 32 {
		slices.SortStableFunc(ev, func(x, y post.Evidence) int { return evidenceOrder(&x, &y) })
		return
	}
	for i := 1; i < len(ev); i++ {
		for j := i; j > 0 && evidenceOrder(&ev[j], &ev[j-1]) < 0; j-- {
			ev[j], ev[j-1] = ev[j-1], ev[j]
		}
	}
}

// setEvidence sorts a post's evidence into text order, drops repeats and copies what
// capEvidence keeps into a.
func (sc *scratch) setEvidence(a *post.Analysis, evidence []post.Evidence) {
	if len(evidence) == 0 {
		return
	}
	// Evidence mostly arrives in text order already (often one piece): the sort is called
	// only when needed, its generic code being a sizeable part of the per-post footprint.
	sorted := true
	for i := 1; i < len(evidence) && sorted; i++ {
		x, y := &evidence[i-1], &evidence[i]
		sorted = evidenceOrder(x, y) <= 0
	}
	if !sorted {
		sortEvidence(evidence)
	}
	a.Evidence = sc.copyEvidence(capEvidence(dropRepeatedEvidence(evidence)))
}

// ruleNarrative evaluates narrative i's rule (n) on the post's atom occurrences and, when
// it holds, adds the terms of its hits to narrEvidence[i] and, for an unweighted
// narrative, their distinct count to narrRaw[i]. It lives apart from Analyze because
// few posts get here: Analyze's loop stays compact in the instruction cache.
func (m *lexModel) ruleNarrative(n *narrativeDef, i int, occ [][]ruleSpan, narrRaw []float64, narrEvidence [][]post.Evidence, span func(match) (int, int)) bool {
	ok, hits := n.rule.root.eval(occ[n.atom0 : n.atom0+len(n.rule.atoms)])
	if !ok {
		return false
	}
	seen := map[ruleSpan]bool{}
	distinct := map[string]bool{}
	for _, h := range hits {
		for _, l := range h.leaves {
			if seen[l] {
				continue
			}
			seen[l] = true
			t := m.terms[l.term]
			distinct[t.text] = true
			start, end := span(match{term: l.term, from: l.from, to: l.to})
			narrEvidence[i] = append(narrEvidence[i], post.Evidence{For: n.ID, Term: t.text, Start: start, End: end})
		}
	}
	if !n.weighted {
		narrRaw[i] = float64(len(distinct))
	}
	return true
}

// namesAuthority reports whether a neutral term occurs in the tokens: known is set when
// the learned component's masking already found out (has), else neutralSet.occursIn looks.
func (m *lexModel) namesAuthority(toks []vntext.Token, buf *[]string, known, has bool) bool {
	if known {
		return has
	}
	return m.neutral.occursIn(toks, buf)
}

// covers reports whether a match of sents (in text order, not overlapping) contains
// syllable i. Calls come with i not decreasing, so *next, the first match that may
// still contain one, only moves forward.
func covers(sents []match, next *int, i int) bool {
	for *next < len(sents) && sents[*next].to <= i {
		*next++
	}
	return *next < len(sents) && sents[*next].from <= i
}

// narrativeCandidates returns, ascending, the narratives a post can match: those with a
// weighted term counted (narrSeen) or a rule atom occurring (sc.occAtoms, occ) other than
// one found only under a NOT (an exclusion: a rule cannot hold on it, and the learned
// component must not take a bank's "app chính thức" for scam vocabulary). A post
// hits few of the many narratives, and the others need no look. The result lives in sc.
func (m *lexModel) narrativeCandidates(sc *scratch, narrSeen []int32, occ [][]ruleSpan) []int {
	if len(narrSeen) == 0 && len(sc.occAtoms) == 0 {
		return nil // most posts: no sort to call
	}
	cands := sc.narrCands[:0]
	for _, id := range narrSeen {
		cands = append(cands, m.terms[id].group-groupNarrative0)
	}
	for _, a := range sc.occAtoms {
		if !m.exclusionAtom[a] {
			cands = append(cands, m.terms[occ[a][0].term].group-groupNarrative0)
		}
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	sc.narrCands = cands
	return cands
}

// questionParticles end a yes/no question after its "không" or "chưa" ("được không ạ").
var questionParticles = map[string]bool{"ạ": true, "à": true, "hả": true, "hở": true, "nhỉ": true, "nhé": true, "vậy": true, "ta": true, "chứ": true, "ha": true, "hen": true, "hem": true}

// clauseEndsAt reports whether a clause ends before syllable i: at the end of the text,
// at punctuation between the syllables, or at a question particle.
func clauseEndsAt(text string, toks []vntext.Token, syls []syllable, i int) bool {
	if i >= len(syls) {
		return true
	}
	prev, next := syls[i-1].tok, syls[i].tok
	if prev == next { // inside one teencode expansion
		return false
	}
	if a, b := toks[prev].End, toks[next].Start; a < b && b <= len(text) && strings.ContainsAny(text[a:b], "?.!,;:…\n") {
		return true
	}
	return questionParticles[toks[next].Norm]
}

// maxEvidencePerLabel bounds the evidence of one label (sentiment, toxicity or a
// narrative): the first ones in the text are kept, so a huge repetitive post stays a
// readable result.
const maxEvidencePerLabel = 50

func capEvidence(ev []post.Evidence) []post.Evidence {
	if len(ev) <= maxEvidencePerLabel {
		return ev
	}
	counts := map[string]int{}
	out := ev[:0]
	for _, e := range ev {
		if counts[e.For]++; counts[e.For] <= maxEvidencePerLabel {
			out = append(out, e)
		}
	}
	return out
}

// findMatchesInto returns, for every group, the leftmost-longest non-overlapping matches
// of its terms, looking both at the normalized and the folded syllables, in text order.
// No term spans a clause break of text (toks are its tokens; see clauseBreakBefore).
// Occurrences of rule terms go to occ (indexed by atom; nil when the model has no rules);
// the atoms that were empty before and got one are appended to sc.occAtoms.
// The result uses buffers from sc and is valid until sc is reused.
func (m *lexModel) findMatchesInto(sc *scratch, text string, toks []vntext.Token, syls []syllable, occ [][]ruleSpan) []match {
	ngroups := groupNarrative0 + len(m.narratives)
	nextFree := slices.Grow(sc.nextFree[:0], ngroups)[:ngroups] // first syllable a new match of the group may use
	clear(nextFree)
	best := slices.Grow(sc.best[:0], ngroups)[:ngroups] // longest candidate per group at the current start
	clear(best)
	touched := sc.touched[:0]
	out := sc.matches[:0]
	defer func() { sc.nextFree, sc.best, sc.touched, sc.matches = nextFree, best, touched[:0], out[:0] }()
	normRoot, foldRoot := m.norm.root, m.folded.root
	for i := range syls {
		// Most syllables start no term: look at the roots inline before anything else.
		var n0, f0 int32
		if id := syls[i].nid; uint(id) < uint(len(normRoot)) {
			n0 = normRoot[id]
		}
		if id := syls[i].fid; uint(id) < uint(len(foldRoot)) {
			f0 = foldRoot[id]
		}
		if n0 == 0 && f0 == 0 {
			continue
		}
		touched = touched[:0]
		consider := func(id int32, to int) {
			g := m.terms[id].group
			if i < nextFree[g] {
				return
			}
			b := &best[g]
			if b.to == 0 {
				touched = append(touched, g)
			} else if to <= b.to {
				return // the normalized match found first wins ties
			}
			*b = match{term: id, from: i, to: to}
		}
		for j, n := i, n0; n != 0; {
			for l := m.norm.nodes[n].head; l != 0; l = m.norm.links[l].next {
				id := m.norm.links[l].term
				if t := &m.terms[id]; t.rule {
					if a := t.atom; len(occ[a]) < 4*maxRuleHits {
						if len(occ[a]) == 0 {
							sc.occAtoms = append(sc.occAtoms, a)
						}
						occ[a] = append(occ[a], ruleSpan{from: i, to: j + 1, term: id})
					}
					continue
				}
				consider(id, j+1)
			}
			if j++; j == len(syls) {
				break
			}
			if id := syls[j].nid; m.norm.mayHave(n, id) && !breakBefore(text, toks, syls, j) {
				n = m.norm.inner(n, id) // n != 0: the loop runs while it is
			} else {
				break
			}
		}
		for j, n := i, f0; n != 0; {
			for l := m.folded.nodes[n].head; l != 0; l = m.folded.links[l].next {
				id := m.folded.links[l].term
				if t := &m.terms[id]; t.rule {
					if a := t.atom; len(occ[a]) < 4*maxRuleHits && !hasSpan(occ[a], i, j+1) {
						if len(occ[a]) == 0 {
							sc.occAtoms = append(sc.occAtoms, a)
						}
						occ[a] = append(occ[a], ruleSpan{from: i, to: j + 1, term: id})
					}
					continue
				}
				consider(id, j+1)
			}
			if j++; j == len(syls) {
				break
			}
			if id := syls[j].fid; m.folded.mayHave(n, id) && !breakBefore(text, toks, syls, j) {
				n = m.folded.inner(n, id)
			} else {
				break
			}
		}
		for _, g := range touched {
			out = append(out, best[g])
			nextFree[g] = best[g].to
			best[g] = match{}
		}
	}
	return out
}

// anyOccurrence reports whether any atom of occ occurred.
func anyOccurrence(occ [][]ruleSpan) bool {
	for _, o := range occ {
		if len(o) > 0 {
			return true
		}
	}
	return false
}

// hasSpan reports whether occ, ordered by from, holds [from, to) among its last entries.
func hasSpan(occ []ruleSpan, from, to int) bool {
	for k := len(occ) - 1; k >= 0 && occ[k].from == from; k-- {
		if occ[k].to == to {
			return true
		}
	}
	return false
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// --- loading

// loadFS builds a model from the layout described at Load.
func loadFS(fsys fs.FS) (Model, error) {
	m := &lexModel{}
	var err error
	if m.name, err = loadManifest(fsys, "model.yaml"); err != nil {
		return nil, err
	}
	if err := m.loadSentiment(fsys, "lexicon/sentiment.tsv"); err != nil {
		return nil, err
	}
	if err := m.loadModifiers(fsys, "lexicon/modifiers.tsv"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := m.loadToxicity(fsys, "lexicon/toxicity.tsv"); err != nil {
		return nil, err
	}
	if err := m.loadTargets(fsys, "lexicon/targets.tsv"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := m.loadAddressees(fsys, "lexicon/addressees.tsv"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := m.loadNeutral(fsys, "neutral_terms.tsv"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	files, err := fs.Glob(fsys, "narratives/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("listing narratives: %w", err)
	}
	slices.Sort(files)
	seen := map[string]string{}
	for _, f := range files {
		n, err := parseNarrative(fsys, f)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[n.def.ID]; dup {
			return nil, fmt.Errorf("%s: %w: narrative id %q already defined in %s", f, ErrModelFile, n.def.ID, prev)
		}
		seen[n.def.ID] = f
		if err := m.addNarrative(n, f); err != nil {
			return nil, err
		}
	}
	// The learned components add syllables to the symbol table, no terms.
	if err := m.freezeTries(); err != nil {
		return nil, err
	}
	if err := m.loadLearnedToxicity(fsys, "learned/toxicity.tsv"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := m.loadLearnedNarratives(fsys, learnedNarrFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if m.lexFingerprint, err = lexiconFingerprint(fsys); err != nil {
		return nil, err
	}
	return m, nil
}

// lexFeatureFiles are the model files that decide a post's sentiment and toxicity, the
// lexicon features ("x:sent_score", "x:tox_hate", ...) a learned model is trained on.
// Narratives and model.yaml do not change them.
var lexFeatureFiles = []string{"lexicon/sentiment.tsv", "lexicon/modifiers.tsv", "lexicon/toxicity.tsv", "lexicon/targets.tsv", "lexicon/addressees.tsv", "neutral_terms.tsv", "learned/toxicity.tsv"}

// lexiconFingerprint returns "sha256:" and the hex SHA-256 of the names and contents of
// the lexFeatureFiles present in fsys, each length-prefixed so that no two sets of files
// hash alike.
func lexiconFingerprint(fsys fs.FS) (string, error) {
	h := sha256.New()
	for _, name := range lexFeatureFiles {
		data, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("fingerprinting %s: %w", name, err)
		}
		fmt.Fprintf(h, "%d:%s\n%d:", len(name), name, len(data))
		h.Write(data)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// LexiconFingerprint identifies the lexicon files of m that feed a learned model's
// lexicon features (the sentiment and toxicity lexicons, modifiers, protected-group
// targets, neutral terms and the learned toxicity component): "sha256:" and a hex digest.
// A learned model records the fingerprint of the model it was trained over; when the
// lexicons change, its "x:" features mean something else and its results shift. It is
// "" for a model that is not a lexicon model of this package.
func LexiconFingerprint(m Model) string {
	switch lm := m.(type) {
	case *lexModel:
		return lm.lexFingerprint
	case *learnedModel:
		return lm.base.lexFingerprint
	}
	return ""
}

// tsvLines calls fn for each non-comment line of a TSV file with its fields and line
// number; fn's errors are prefixed with file:line.
func tsvLines(fsys fs.FS, name string, fn func(fields []string) error) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
		}
		if err := fn(fields); err != nil {
			return fmt.Errorf("%s:%d: %w: %v", name, i+1, ErrModelFile, err)
		}
	}
	return nil
}

func parseWeight(s string, lo, hi float64) (float64, error) {
	var w float64
	if _, err := fmt.Sscanf(s, "%g", &w); err != nil || math.IsNaN(w) {
		return 0, fmt.Errorf("weight %q is not a number", s)
	}
	if w < lo || w > hi {
		return 0, fmt.Errorf("weight %g outside %g..%g", w, lo, hi)
	}
	return w, nil
}

// dupCheck reports a term listed twice in one file, which is always a mistake (which
// weight would win?).
type dupCheck map[string]bool

func (d dupCheck) check(term string) error {
	n, _ := termSyllables(term)
	key := strings.Join(n, " ")
	if d[key] {
		return fmt.Errorf("term %q listed twice", term)
	}
	d[key] = true
	return nil
}

func (m *lexModel) loadSentiment(fsys fs.FS, name string) error {
	dup := dupCheck{}
	return tsvLines(fsys, name, func(f []string) error {
		if len(f) != 2 && len(f) != 3 {
			return fmt.Errorf("want term<TAB>weight[<TAB>fold], got %d fields", len(f))
		}
		w, err := parseWeight(f[1], -3, 3)
		if err != nil {
			return err
		}
		fold, err := foldFlag(f, 2)
		if err != nil {
			return err
		}
		if err := dup.check(f[0]); err != nil {
			return err
		}
		return m.addTerm(lexTerm{group: groupSentiment, text: f[0], weight: w, fold: fold})
	})
}

func (m *lexModel) loadModifiers(fsys fs.FS, name string) error {
	dup := dupCheck{}
	return tsvLines(fsys, name, func(f []string) error {
		if len(f) != 3 && len(f) != 4 {
			return fmt.Errorf("want term<TAB>kind<TAB>factor[<TAB>fold], got %d fields", len(f))
		}
		fold, err := foldFlag(f, 3)
		if err != nil {
			return err
		}
		t := lexTerm{group: groupModifier, text: f[0], fold: fold}
		switch f[1] {
		case "negator":
			t.kind = kindNegator
			t.weight, err = parseWeight(f[2], -1, 0)
		case "intensifier":
			t.kind = kindIntensifier
			t.weight, err = parseWeight(f[2], 1, 3)
		case "diminisher":
			t.kind = kindIntensifier
			t.weight, err = parseWeight(f[2], 0, 1)
		case "contrast":
			t.kind = kindContrast
			t.weight, err = parseWeight(f[2], 0, 1)
		default:
			return fmt.Errorf("kind %q must be negator, intensifier, diminisher or contrast", f[1])
		}
		if err != nil {
			return err
		}
		if err := dup.check(f[0]); err != nil {
			return err
		}
		return m.addTerm(t)
	})
}

func (m *lexModel) loadToxicity(fsys fs.FS, name string) error {
	dup := dupCheck{}
	return tsvLines(fsys, name, func(f []string) error {
		if len(f) != 3 && len(f) != 4 {
			return fmt.Errorf("want term<TAB>label<TAB>weight[<TAB>options], got %d fields", len(f))
		}
		t := lexTerm{group: groupToxicity, text: f[0]}
		if len(f) == 4 {
			for _, o := range strings.Split(f[3], ",") {
				switch strings.TrimSpace(o) {
				case "fold":
					t.fold = true
				case "rude":
					t.rude = true
				case "accented":
					t.accented = true
				default:
					return fmt.Errorf("option %q must be fold, rude or accented", o)
				}
			}
		}
		var err error
		switch f[1] {
		case "offensive":
			t.kind = kindOffensive
		case "hate":
			t.kind = kindHate
		default:
			return fmt.Errorf("label %q must be offensive or hate", f[1])
		}
		if t.weight, err = parseWeight(f[2], 0, 1); err != nil {
			return err
		}
		if t.weight == 1 {
			return errors.New("weight 1 would make the noisy-or certain; use at most 0.99")
		}
		if err := dup.check(f[0]); err != nil {
			return err
		}
		return m.addTerm(t)
	})
}

// addNarrative adds a parsed narrative from file f to the model.
func (m *lexModel) addNarrative(n *parsedNarrative, f string) error {
	group := groupNarrative0 + len(m.narratives)
	n.def.weighted = len(n.terms) > 0
	if n.rule != nil {
		n.def.rule, n.def.atom0 = n.rule, m.atoms
		for i, a := range n.rule.atoms {
			for _, term := range a.terms {
				t := lexTerm{group: group, text: term, atom: int32(m.atoms + i), rule: true}
				if err := m.addTerm(t); err != nil {
					return fmt.Errorf("%s:%d: %w: %v", f, n.atomLines[i], ErrModelFile, err)
				}
			}
		}
		m.atoms += len(n.rule.atoms)
		m.exclusionAtom = append(m.exclusionAtom, n.rule.exclusionOnly()...)
	}
	m.narratives = append(m.narratives, n.def)
	for _, t := range n.terms {
		t.term.group = group
		if err := m.addTerm(t.term); err != nil {
			return fmt.Errorf("%s:%d: %w: %v", f, t.line, ErrModelFile, err)
		}
	}
	return nil
}

// foldFlag reads the optional column i of a lexicon line: "fold" marks a one-syllable term
// whose form without diacritics is unambiguous ("tuyet" can only be "tuyệt"), so it also
// matches text typed without them. Terms of several syllables always do.
func foldFlag(f []string, i int) (bool, error) {
	if len(f) <= i {
		return false, nil
	}
	if f[i] != "fold" {
		return false, fmt.Errorf("column %d is %q; the only option is \"fold\"", i+1, f[i])
	}
	return true, nil
}

// matchSpan returns the byte span in the text of mt, a match over syls of toks. Not
// inlined: Analyze's span closure calls it at a dozen places, and the inlined body, with
// its bounds checks, made a kilobyte of Analyze's code.
//
//go:noinline
func matchSpan(toks []vntext.Token, syls []syllable, mt match) (int, int) {
	return toks[syls[mt.from].tok].Start, toks[syls[mt.to-1].tok].End
}

// nearTarget returns a protected-group mention within targetWindow syllables of mt.
// targets is short (a post names few groups), so a scan is enough.
func nearTarget(targets []match, mt match) (match, bool) {
	for _, tg := range targets {
		if (tg.to <= mt.from && mt.from-tg.to <= targetWindow) || (tg.from >= mt.to && tg.from-mt.to <= targetWindow) {
			return tg, true
		}
	}
	return match{}, false
}

// nearWithin returns a match of near that overlaps mt ("thằng" in "thằng ngu") or lies
// within window syllables of it (near is short, so a scan is enough).
func nearWithin(near []match, mt match, window int) (match, bool) {
	for _, tg := range near {
		if tg.from <= mt.to+window && mt.from <= tg.to+window {
			return tg, true
		}
	}
	return match{}, false
}

// targetKinds are the protected characteristics of lexicon/targets.tsv. Political
// affiliation is deliberately not one: criticism of authorities is not hate.
var targetKinds = []string{"region", "ethnicity", "nationality", "religion", "gender", "orientation", "disability"}

func (m *lexModel) loadTargets(fsys fs.FS, name string) error {
	dup := dupCheck{}
	return tsvLines(fsys, name, func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want term<TAB>kind, got %d fields", len(f))
		}
		if !slices.Contains(targetKinds, f[1]) {
			return fmt.Errorf("kind %q must be one of %v", f[1], targetKinds)
		}
		if err := dup.check(f[0]); err != nil {
			return err
		}
		return m.addTerm(lexTerm{group: groupTarget, text: f[0], weight: 1})
	})
}

// addresseeKinds are the kinds of lexicon/addressees.tsv: words that aim what follows or
// precedes them at a person or people, and "none", a longer phrase that shields a word
// of the others where it names no person ("con mèo", "con đường").
var addresseeKinds = []string{"second_person", "person", "collective", "none"}

// loadAddressees reads lexicon/addressees.tsv (term<TAB>kind). An insult within
// addresseeWindow syllables of one is harassment, labelled hate (see Analyze).
func (m *lexModel) loadAddressees(fsys fs.FS, name string) error {
	dup := dupCheck{}
	return tsvLines(fsys, name, func(f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want term<TAB>kind, got %d fields", len(f))
		}
		if !slices.Contains(addresseeKinds, f[1]) {
			return fmt.Errorf("kind %q must be one of %v", f[1], addresseeKinds)
		}
		if err := dup.check(f[0]); err != nil {
			return err
		}
		w := 1.0
		if f[1] == "none" {
			w = 0
		}
		return m.addTerm(lexTerm{group: groupAddressee, text: f[0], weight: w})
	})
}
