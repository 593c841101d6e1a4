package query

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/langnghe/langnghe/internal/duration"
)

// MaxLength caps the query text; longer queries are a SyntaxError, not a slow search.
const MaxLength = 4096

// MaxDepth caps nesting: every parenthesis and every unary operator (-, NOT) counts one
// level, so neither "((((x))))" nor "- - - -x" nor "NOT NOT x" can grow a deep tree. A
// 4,094-deep NOT chain cost bleve 8-13 CPU-seconds per request over 6,000 posts (issue 11).
const MaxDepth = 32

// MaxTerms caps the searchable terms of one query: the words of every text term and
// phrase plus every field filter. Each costs the store a term lookup per request.
const MaxTerms = 256

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tPhrase
	tField
	tLParen
	tRParen
	tOr
	tAnd
	tNot   // "-" prefix or NOT
	tExact // "+" prefix
)

type token struct {
	kind  tokKind
	pos   int
	text  string // word, phrase content, field value
	field string // tField: field name
	vpos  int    // tField: offset of the value
}

// Parse parses an analyst query. An empty or blank text gives (nil, nil): match all.
// Errors are *SyntaxError with the byte offset of the problem.
func Parse(text string) (*Expr, error) {
	if len(text) > MaxLength {
		return nil, &SyntaxError{Pos: MaxLength, Msg: "truy vấn quá dài / query longer than " + strconv.Itoa(MaxLength) + " bytes"}
	}
	if !utf8.ValidString(text) {
		return nil, &SyntaxError{Pos: invalidAt(text), Msg: "UTF-8 không hợp lệ / invalid UTF-8"}
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, &SyntaxError{Pos: t.pos, Msg: "dấu ) không có dấu ( tương ứng / unmatched )"}
		}
		return nil, &SyntaxError{Pos: t.pos, Msg: "không mong đợi ở đây / unexpected token"}
	}
	return e, nil
}

func invalidAt(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, w := utf8.DecodeRuneInString(s[i:]); w == 1 {
				return i
			}
		}
	}
	return 0
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
		case r == '(':
			toks = append(toks, token{kind: tLParen, pos: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tRParen, pos: i})
			i++
		case r == '"':
			text, end, err := quoted(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tPhrase, pos: i, text: text})
			i = end
		case (r == '-' || r == '+') && i+1 < len(s) && !isSpaceAt(s, i+1) && s[i+1] != ')':
			k := tNot
			if r == '+' {
				k = tExact
			}
			toks = append(toks, token{kind: k, pos: i})
			i++
		default:
			j := i
			for j < len(s) {
				r, w := utf8.DecodeRuneInString(s[j:])
				if unicode.IsSpace(r) || r == '"' {
					break
				}
				if r == '(' || r == ')' {
					// An emoticon such as ":(" or "=))" is one (ignored) word: parentheses
					// right after punctuation-only text, up to a space or the end.
					k := j
					for k < len(s) && (s[k] == '(' || s[k] == ')') {
						k++
					}
					if j == i || !isPunct(s[i:j]) || (k < len(s) && !isSpaceAt(s, k)) {
						break
					}
					j = k
					break
				}
				j += w
			}
			word := s[i:j]
			switch word {
			case "OR":
				toks = append(toks, token{kind: tOr, pos: i})
				i = j
				continue
			case "AND":
				toks = append(toks, token{kind: tAnd, pos: i})
				i = j
				continue
			case "NOT":
				toks = append(toks, token{kind: tNot, pos: i})
				i = j
				continue
			}
			if name, val, ok := strings.Cut(word, ":"); ok && isFieldName(name) {
				lower := strings.ToLower(name)
				known := slices.Contains(knownFields, lower)
				switch {
				case val == "" && j < len(s) && s[j] == '"' && known:
					text, end, err := quoted(s, j)
					if err != nil {
						return nil, err
					}
					toks = append(toks, token{kind: tField, pos: i, field: lower, text: text, vpos: j + 1})
					i = end
					continue
				case val == "" && known:
					return nil, &SyntaxError{Pos: j, Msg: "thiếu giá trị sau " + lower + ": / missing value after " + lower + ":"}
				case val != "" && known:
					toks = append(toks, token{kind: tField, pos: i, field: lower, text: val, vpos: i + len(name) + 1})
					i = j
					continue
				case val != "" && !strings.HasPrefix(val, "/"):
					return nil, &SyntaxError{Pos: i, Msg: "trường không biết " + strconv.Quote(name) + " / unknown field " + strconv.Quote(name) + " (" + strings.Join(knownFields, ", ") + ")"}
				}
			}
			toks = append(toks, token{kind: tWord, pos: i, text: word})
			i = j
		}
	}
	return append(toks, token{kind: tEOF, pos: len(s)}), nil
}

// isPunct: no letter or digit, so an emoticon rather than the start of a term.
func isPunct(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
}

func isSpaceAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r)
}

// isFieldName: ASCII letters only, so "10:30" or "lúc:" stay words.
func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// quoted reads a "..." string starting at s[i] == '"'; it returns the content and the
// offset after the closing quote.
func quoted(s string, i int) (string, int, error) {
	end := strings.IndexByte(s[i+1:], '"')
	if end < 0 {
		return "", 0, &SyntaxError{Pos: i, Msg: "dấu ngoặc kép chưa đóng / unclosed quote"}
	}
	return s[i+1 : i+1+end], i + 2 + end, nil
}

type parser struct {
	toks  []token
	i     int
	terms int // searchable terms so far (MaxTerms)
}

// count adds n terms of the node at pos and fails past MaxTerms.
func (p *parser) count(n, pos int) error {
	p.terms += n
	if p.terms > MaxTerms {
		return &SyntaxError{Pos: pos, Msg: "quá nhiều điều kiện, tối đa " + strconv.Itoa(MaxTerms) + " / too many terms, at most " + strconv.Itoa(MaxTerms)}
	}
	return nil
}

// deeper fails when one more level of nesting at pos would pass MaxDepth.
func deeper(depth, pos int) error {
	if depth >= MaxDepth {
		return &SyntaxError{Pos: pos, Msg: "lồng quá sâu (ngoặc và phủ định), tối đa " + strconv.Itoa(MaxDepth) + " / nested too deep (parentheses and negations), at most " + strconv.Itoa(MaxDepth)}
	}
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

// or := and ("OR" and)*
func (p *parser) or(depth int) (*Expr, error) {
	start := p.peek().pos
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	args := []*Expr{first}
	for p.peek().kind == tOr {
		orTok := p.next()
		if k := p.peek().kind; k == tEOF || k == tRParen || k == tOr {
			return nil, &SyntaxError{Pos: orTok.pos, Msg: "thiếu điều kiện sau OR / OR needs a term after it"}
		}
		e, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	return combine(OpOr, args, start), nil
}

// and := unary+ with optional AND between
func (p *parser) and(depth int) (*Expr, error) {
	start := p.peek().pos
	var args []*Expr
	n := 0
	for {
		t := p.peek()
		switch t.kind {
		case tEOF, tRParen, tOr:
			if n == 0 {
				msg := "thiếu điều kiện / expected a term"
				if t.kind == tOr {
					msg = "thiếu điều kiện trước OR / OR needs a term before it"
				}
				if t.kind == tRParen && depth > 0 {
					msg = "cặp ngoặc rỗng / empty parentheses"
				}
				if t.kind == tEOF && depth == 0 {
					return nil, nil // empty query
				}
				return nil, &SyntaxError{Pos: t.pos, Msg: msg}
			}
			return combine(OpAnd, args, start), nil
		case tAnd:
			p.next()
			if k := p.peek().kind; n == 0 || k == tEOF || k == tRParen || k == tOr || k == tAnd {
				return nil, &SyntaxError{Pos: t.pos, Msg: "AND cần điều kiện hai bên / AND needs a term on each side"}
			}
			continue
		}
		e, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		n++
		args = append(args, e)
	}
}

func (p *parser) unary(depth int) (*Expr, error) {
	t := p.next()
	switch t.kind {
	case tNot:
		switch p.peek().kind {
		case tEOF, tRParen, tOr, tAnd:
			return nil, &SyntaxError{Pos: t.pos, Msg: "thiếu điều kiện sau dấu loại trừ / nothing to exclude"}
		}
		if err := deeper(depth, t.pos); err != nil {
			return nil, err
		}
		e, err := p.unary(depth + 1)
		if err != nil || e == nil {
			return nil, err
		}
		return &Expr{Op: OpNot, Args: []*Expr{e}, Pos: t.pos}, nil
	case tExact:
		w := p.next()
		if w.kind != tWord && w.kind != tPhrase {
			return nil, &SyntaxError{Pos: t.pos, Msg: "+ phải đứng ngay trước một từ hoặc cụm \"...\" / + must precede a word or a \"phrase\""}
		}
		return p.textNode(ExactWords(w.text), true, t.pos)
	case tWord, tPhrase:
		return p.textNode(FoldedWords(t.text), false, t.pos)
	case tField:
		if err := p.count(1, t.pos); err != nil {
			return nil, err
		}
		return fieldNode(t)
	case tLParen:
		if err := deeper(depth, t.pos); err != nil {
			return nil, err
		}
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, &SyntaxError{Pos: t.pos, Msg: "dấu ( chưa đóng / unclosed ("}
		}
		return e, nil
	case tOr:
		return nil, &SyntaxError{Pos: t.pos, Msg: "thiếu điều kiện trước OR / OR needs a term before it"}
	}
	return nil, &SyntaxError{Pos: t.pos, Msg: "không mong đợi ở đây / unexpected token"}
}

func (p *parser) textNode(words []string, exact bool, pos int) (*Expr, error) {
	if len(words) == 0 {
		return nil, nil // nothing searchable: ignored
	}
	if err := p.count(len(words), pos); err != nil {
		return nil, err
	}
	return &Expr{Op: OpText, Words: words, Exact: exact, Pos: pos}, nil
}

// combine drops ignored (nil) arguments and collapses single-argument groups.
func combine(op Op, args []*Expr, pos int) *Expr {
	kept := args[:0]
	for _, a := range args {
		if a != nil {
			kept = append(kept, a)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return &Expr{Op: op, Args: slices.Clone(kept), Pos: pos}
}

func fieldNode(t token) (*Expr, error) {
	v := strings.TrimSpace(t.text)
	if v == "" {
		return nil, &SyntaxError{Pos: t.vpos, Msg: "thiếu giá trị sau " + t.field + ": / missing value after " + t.field + ":"}
	}
	switch t.field {
	case FieldFlagged:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, &SyntaxError{Pos: t.vpos, Msg: "flagged: cần true hoặc false / flagged: wants true or false"}
		}
		return &Expr{Op: OpField, Field: t.field, Value: strconv.FormatBool(b), Pos: t.pos}, nil
	case FieldFrom, FieldTo:
		e := &Expr{Op: OpRange, Field: t.field, Pos: t.pos}
		at, ago, err := ParseTime(v)
		if err != nil {
			return nil, &SyntaxError{Pos: t.vpos, Msg: t.field + ": " + err.Error()}
		}
		e.At, e.Ago = at, ago
		return e, nil
	}
	return &Expr{Op: OpField, Field: t.field, Value: v, Pos: t.pos}, nil
}

// ErrBadTime is returned by ParseTime for a value that is no time.
var ErrBadTime = errors.New("cần RFC 3339, ngày 2006-01-02 hoặc khoảng lùi như 24h, 7d / want RFC 3339, a date 2006-01-02, or a duration back from now such as 24h, 7d")

// MinTime and MaxTime bound the absolute times a query may name: the range of int64
// nanoseconds around 1970 (1677-09-21 to 2262-04-11), which both stores represent. A time
// outside is bad input (400), not a store failure (issue 11).
var (
	MinTime = time.Unix(0, math.MinInt64).UTC()
	MaxTime = time.Unix(0, math.MaxInt64).UTC()
)

// ErrTimeRange is returned by ParseTime for a well-formed time outside MinTime..MaxTime.
var ErrTimeRange = errors.New("thời điểm phải trong khoảng 1677-09-22 đến 2262-04-11 / the time must be within 1677-09-22 to 2262-04-11")

// InRange reports whether t lies within MinTime..MaxTime.
func InRange(t time.Time) bool { return !t.Before(MinTime) && !t.After(MaxTime) }

// ParseTime reads an absolute time (RFC 3339, or a date 2006-01-02 meaning its UTC
// midnight) or a positive duration back from now ("90m", "24h", "7d"): exactly one of
// at and ago is set.
func ParseTime(s string) (at time.Time, ago time.Duration, err error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if !InRange(t) {
				return time.Time{}, 0, ErrTimeRange
			}
			return t, 0, nil
		}
	}
	if d, err := duration.Parse(s); err == nil && d > 0 {
		return time.Time{}, d, nil
	}
	return time.Time{}, 0, ErrBadTime
}
