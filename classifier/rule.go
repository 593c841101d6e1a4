package classifier

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrRule marks a narrative rule expression that cannot be parsed. The message names the
// column (in characters, from 1) of the offending token.
var ErrRule = errors.New("invalid rule")

// Rule language of narratives (the `rule:` field, see models/README.md):
//
//	expr    := and { "OR" and }
//	and     := not { "AND" not }
//	not     := "NOT" not | near
//	near    := primary { ("NEAR/n" | "ONEAR/n") primary }
//	primary := "(" expr ")" | "quoted phrase" | word | @group
//
// Operators are upper case. A word is one term (any run of characters other than space,
// parentheses and quotes); a quoted phrase is a term of several syllables; @group names a
// term group of the narrative. NEAR/n holds when both sides occur with at most n
// syllables between them, in either order; ONEAR/n when the left side comes first. NOT
// has no positions, so it cannot be an operand of NEAR or ONEAR. Terms go through the
// normalizer like every lexicon term, so case, tone placement and teencode do not matter.

type ruleOp uint8

const (
	opAtom ruleOp = iota
	opOr
	opAnd
	opNot
	opNear
	opONear
)

// ruleNode is a node of a parsed rule.
type ruleNode struct {
	op   ruleOp
	a, b *ruleNode
	n    int    // NEAR/ONEAR distance
	atom int    // opAtom: index into ruleAST.atoms
	col  int    // column of the token, for errors
	src  string // opAtom: the source text of the atom, for errors
}

// ruleAtom is a term or group reference of a rule.
type ruleAtom struct {
	group string   // "" for a literal term
	terms []string // literal: one term
	col   int
}

type ruleAST struct {
	root  *ruleNode
	atoms []ruleAtom
}

// exclusionOnly reports, by atom index, the atoms that occur in the rule only under a
// NOT ("AND NOT @notice"): words that keep a post out, not words of the narrative, so
// they do not make a post a candidate of the learned narrative component.
func (r *ruleAST) exclusionOnly() []bool {
	pos := make([]bool, len(r.atoms))
	var walk func(n *ruleNode, negated bool)
	walk = func(n *ruleNode, negated bool) {
		if n == nil {
			return
		}
		switch n.op {
		case opAtom:
			pos[n.atom] = pos[n.atom] || !negated
		case opNot:
			walk(n.a, !negated)
		default:
			walk(n.a, negated)
			walk(n.b, negated)
		}
	}
	walk(r.root, false)
	out := make([]bool, len(pos))
	for i, p := range pos {
		out[i] = !p
	}
	return out
}

// maxRuleDepth bounds nesting, so a hostile rule cannot exhaust the stack.
const maxRuleDepth = 64

type ruleToken struct {
	kind string // "(", ")", "AND", "OR", "NOT", "NEAR", "ONEAR", "phrase", "word", "group", "end"
	text string
	n    int
	col  int
}

func lexRule(s string) ([]ruleToken, error) {
	var toks []ruleToken
	col := 1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		start := col
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, fmt.Errorf("%w: column %d: invalid UTF-8", ErrRule, col)
		case unicode.IsSpace(r):
			i += size
			col++
			continue
		case r == '(' || r == ')':
			toks = append(toks, ruleToken{kind: string(r), col: start})
			i++
			col++
			continue
		case r == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("%w: column %d: unterminated quoted phrase", ErrRule, col)
			}
			text := s[i+1 : i+1+end]
			toks = append(toks, ruleToken{kind: "phrase", text: text, col: start})
			col += utf8.RuneCountInString(text) + 2
			i += end + 2
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if unicode.IsSpace(r) || r == '(' || r == ')' || r == '"' {
				break
			}
			j += size
		}
		w := s[i:j]
		col += utf8.RuneCountInString(w)
		i = j
		t := ruleToken{kind: "word", text: w, col: start}
		switch {
		case w == "AND" || w == "OR" || w == "NOT":
			t.kind = w
		case strings.HasPrefix(w, "NEAR/") || strings.HasPrefix(w, "ONEAR/"):
			op, num, _ := strings.Cut(w, "/")
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || n > 50 {
				return nil, fmt.Errorf("%w: column %d: %s needs a distance 0..50, got %q", ErrRule, start, op, num)
			}
			t.kind, t.n = op, n
		case w == "NEAR" || w == "ONEAR":
			return nil, fmt.Errorf("%w: column %d: %s needs a distance, as in %s/3", ErrRule, start, w, w)
		case strings.HasPrefix(w, "@"):
			if !narrativeIDPattern.MatchString(w[1:]) {
				return nil, fmt.Errorf("%w: column %d: group name %q must be lowercase letters, digits and _", ErrRule, start, w)
			}
			t.kind, t.text = "group", w[1:]
		}
		toks = append(toks, t)
	}
	toks = append(toks, ruleToken{kind: "end", col: col})
	return toks, nil
}

type ruleParser struct {
	toks  []ruleToken
	pos   int
	depth int
	ast   *ruleAST
}

// parseRule parses a rule; groups resolves @name to its terms (false: unknown group).
func parseRule(s string, groups func(name string) ([]string, bool)) (*ruleAST, error) {
	toks, err := lexRule(s)
	if err != nil {
		return nil, err
	}
	p := &ruleParser{toks: toks, ast: &ruleAST{}}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "end" {
		return nil, p.unexpected(t, "an operator (AND, OR, NEAR/n, ONEAR/n)")
	}
	if !hasPositive(root) {
		return nil, fmt.Errorf("%w: the rule must require at least one term (not only NOT)", ErrRule)
	}
	for i, a := range p.ast.atoms {
		if a.group == "" {
			continue
		}
		terms, ok := groups(a.group)
		if !ok {
			return nil, fmt.Errorf("%w: column %d: unknown group @%s", ErrRule, a.col, a.group)
		}
		p.ast.atoms[i].terms = terms
	}
	p.ast.root = root
	return p.ast, nil
}

func hasPositive(n *ruleNode) bool {
	switch n.op {
	case opAtom:
		return true
	case opNot:
		return false
	case opOr:
		return hasPositive(n.a) && hasPositive(n.b)
	default:
		return hasPositive(n.a) || hasPositive(n.b)
	}
}

func (p *ruleParser) peek() ruleToken { return p.toks[p.pos] }

func (p *ruleParser) unexpected(t ruleToken, want string) error {
	got := t.kind
	switch t.kind {
	case "end":
		got = "end of rule"
	case "word", "phrase":
		got = strconv.Quote(t.text)
	case "group":
		got = "@" + t.text
	}
	return fmt.Errorf("%w: column %d: expected %s, found %s", ErrRule, t.col, want, got)
}

func (p *ruleParser) enter() error {
	p.depth++
	if p.depth > maxRuleDepth {
		return fmt.Errorf("%w: column %d: nested deeper than %d", ErrRule, p.peek().col, maxRuleDepth)
	}
	return nil
}

func (p *ruleParser) or() (*ruleNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == "OR" {
		col := p.peek().col
		p.pos++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &ruleNode{op: opOr, a: left, b: right, col: col}
	}
	return left, nil
}

func (p *ruleParser) and() (*ruleNode, error) {
	left, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == "AND" {
		col := p.peek().col
		p.pos++
		right, err := p.not()
		if err != nil {
			return nil, err
		}
		left = &ruleNode{op: opAnd, a: left, b: right, col: col}
	}
	return left, nil
}

func (p *ruleParser) not() (*ruleNode, error) {
	if t := p.peek(); t.kind == "NOT" {
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		p.pos++
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &ruleNode{op: opNot, a: x, col: t.col}, nil
	}
	return p.near()
}

func (p *ruleParser) near() (*ruleNode, error) {
	left, err := p.primary()
	if err != nil {
		return nil, err
	}
	for k := p.peek().kind; k == "NEAR" || k == "ONEAR"; k = p.peek().kind {
		t := p.peek()
		p.pos++
		right, err := p.primary()
		if err != nil {
			return nil, err
		}
		for _, side := range []*ruleNode{left, right} {
			if hasNot(side) {
				return nil, fmt.Errorf("%w: column %d: %s/%d needs terms on both sides; NOT has no position", ErrRule, t.col, t.kind, t.n)
			}
		}
		op := opNear
		if k == "ONEAR" {
			op = opONear
		}
		left = &ruleNode{op: op, a: left, b: right, n: t.n, col: t.col}
	}
	return left, nil
}

func hasNot(n *ruleNode) bool {
	if n == nil {
		return false
	}
	return n.op == opNot || hasNot(n.a) || hasNot(n.b)
}

func (p *ruleParser) primary() (*ruleNode, error) {
	t := p.peek()
	switch t.kind {
	case "(":
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != ")" {
			return nil, p.unexpected(c, `")" closing the "(" at column `+strconv.Itoa(t.col))
		}
		p.pos++
		return x, nil
	case "phrase", "word":
		if syls, _ := termSyllables(t.text); len(syls) == 0 {
			return nil, fmt.Errorf("%w: column %d: term %q has no letters, digits or emoji", ErrRule, t.col, t.text)
		}
		p.pos++
		p.ast.atoms = append(p.ast.atoms, ruleAtom{terms: []string{t.text}, col: t.col})
		return &ruleNode{op: opAtom, atom: len(p.ast.atoms) - 1, col: t.col, src: t.text}, nil
	case "group":
		p.pos++
		p.ast.atoms = append(p.ast.atoms, ruleAtom{group: t.text, col: t.col})
		return &ruleNode{op: opAtom, atom: len(p.ast.atoms) - 1, col: t.col, src: "@" + t.text}, nil
	}
	return nil, p.unexpected(t, "a term, a \"quoted phrase\", @group, NOT or (")
}

// ruleSpan is an occurrence of a term at syllables [from, to); term indexes lexModel.terms.
type ruleSpan struct {
	from, to int
	term     int32
}

// ruleHit is an occurrence of a sub-expression: its syllable extent and the term
// occurrences inside it, for evidence (read only: an atom's hit aliases its occurrence).
type ruleHit struct {
	from, to int
	leaves   []ruleSpan
}

// maxRuleHits bounds the occurrences kept per node, so NEAR over a huge post stays linear.
const maxRuleHits = 64

// eval evaluates n given the occurrences of each atom. ok says whether n holds; hits are
// its positive occurrences (none for NOT).
func (n *ruleNode) eval(occ [][]ruleSpan) (ok bool, hits []ruleHit) {
	switch n.op {
	case opAtom:
		for k, s := range occ[n.atom] {
			if len(hits) == maxRuleHits {
				break
			}
			// The leaf is the occurrence itself, in occ (hits are read only, while occ
			// holds): no one-element slice allocated per occurrence.
			hits = append(hits, ruleHit{from: s.from, to: s.to, leaves: occ[n.atom][k : k+1 : k+1]})
		}
		return len(hits) > 0, hits
	case opNot:
		ok, _ := n.a.eval(occ)
		return !ok, nil
	case opOr:
		okA, a := n.a.eval(occ)
		okB, b := n.b.eval(occ)
		return okA || okB, capHits(append(a, b...))
	case opAnd:
		okA, a := n.a.eval(occ)
		if !okA {
			return false, nil
		}
		okB, b := n.b.eval(occ)
		if !okB {
			return false, nil
		}
		return true, capHits(append(a, b...))
	default: // NEAR, ONEAR
		_, a := n.a.eval(occ)
		if len(a) == 0 {
			return false, nil
		}
		_, b := n.b.eval(occ)
		for _, x := range a {
			for _, y := range b {
				var gap int
				switch {
				case x.to <= y.from:
					gap = y.from - x.to
				case n.op == opONear:
					continue
				case y.to <= x.from:
					gap = x.from - y.to
				default:
					continue // overlapping occurrences are one phrase, not two near each other
				}
				if gap > n.n {
					continue
				}
				h := ruleHit{from: min(x.from, y.from), to: max(x.to, y.to)}
				h.leaves = append(append(h.leaves, x.leaves...), y.leaves...)
				hits = append(hits, h)
				if len(hits) == maxRuleHits {
					return true, hits
				}
			}
		}
		return len(hits) > 0, hits
	}
}

func capHits(h []ruleHit) []ruleHit {
	if len(h) > maxRuleHits {
		return h[:maxRuleHits]
	}
	return h
}
