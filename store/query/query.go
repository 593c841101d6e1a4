// Package query is the analyst query language of Lắng Nghe, shared by the web API, both
// store backends and the alerting stream evaluator, so a query means the same thing
// wherever it runs.
//
// Syntax (DESIGN.md, issue 4):
//
//	lũ lụt                    every word must occur (AND), in the text or the title
//	"lũ lụt"                  a phrase: the words consecutively
//	-quảng  -"quảng cáo"      exclusion
//	lũ OR ngập, a AND b       OR binds looser than AND (implicit or written AND)
//	(lũ OR ngập) miền trung   parentheses group
//	NOT x                     same as -x
//	+lụt  +"lũ lụt"           exact accents: compare with diacritics instead of folded
//	narrative:scam sentiment:negative toxicity:hate source:voz-forum platform:rss
//	flagged:true              field filters (values may be "quoted")
//	from:24h from:7d from:2026-11-01 to:2026-11-20T12:00:00Z   published_at range
//
// Words are compared after the shared normalizer (vntext.Tokenize): without
// diacritics by default, so "lu lut" finds "lũ lụt"; with them under +. Words are the runs
// of letters and digits of each normalized syllable; a term with none (emoji, emoticons,
// a lone "-") is ignored, as are the groups that become empty that way.
//
// Parse returns a *SyntaxError carrying the byte offset of the problem. Match evaluates an
// expression on one post with exactly the semantics store/elasticsearch and store/bleve
// give it over an index; the conformance suite (store/storetest) checks all three agree.
package query

import (
	"fmt"
	"strings"
	"time"
)

// Op is the kind of an Expr node.
type Op int

const (
	OpAnd   Op = iota // every Arg
	OpOr              // any Arg
	OpNot             // not Args[0]
	OpText            // Words consecutively in the text or the title (Exact: with diacritics)
	OpField           // Field equals Value
	OpRange           // published_at bound: Field "from" (inclusive) or "to" (exclusive)
)

// Filter field names accepted before a colon.
const (
	FieldNarrative = "narrative"
	FieldSentiment = "sentiment"
	FieldToxicity  = "toxicity"
	FieldSource    = "source"
	FieldPlatform  = "platform"
	FieldFlagged   = "flagged"
	FieldFrom      = "from"
	FieldTo        = "to"
)

var knownFields = []string{FieldNarrative, FieldSentiment, FieldToxicity, FieldSource, FieldPlatform, FieldFlagged, FieldFrom, FieldTo}

// Expr is a parsed query. A nil *Expr matches every post (empty query).
type Expr struct {
	Op    Op
	Args  []*Expr  // OpAnd, OpOr (two or more), OpNot (one)
	Words []string // OpText: normalized words, folded unless Exact
	Exact bool     // OpText: compare with diacritics
	Field string   // OpField, OpRange
	Value string   // OpField: the value as written (flagged: "true" or "false")
	// OpRange: an absolute time (At) or a duration back from the evaluation time (Ago).
	At  time.Time
	Ago time.Duration
	Pos int // byte offset of the node in the query text
}

// Time is the bound of an OpRange node at evaluation time now.
func (e *Expr) Time(now time.Time) time.Time {
	if e.Ago > 0 {
		return now.Add(-e.Ago)
	}
	return e.At
}

// SyntaxError is a query that cannot be parsed. Pos is the byte offset into the query
// text where the problem is; Msg says what is wrong, Vietnamese first then English.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("lỗi cú pháp ở vị trí %d / syntax error at offset %d: %s", e.Pos, e.Pos, e.Msg)
}

// String renders e back in the query syntax (canonical form, for logs and tests).
func (e *Expr) String() string {
	if e == nil {
		return "*"
	}
	switch e.Op {
	case OpAnd, OpOr:
		sep := " "
		if e.Op == OpOr {
			sep = " OR "
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = a.String()
			if a.Op == OpOr || a.Op == OpAnd {
				parts[i] = "(" + parts[i] + ")"
			}
		}
		return strings.Join(parts, sep)
	case OpNot:
		s := e.Args[0].String()
		if e.Args[0].Op == OpAnd || e.Args[0].Op == OpOr {
			s = "(" + s + ")"
		}
		return "-" + s
	case OpText:
		s := strings.Join(e.Words, " ")
		if len(e.Words) > 1 {
			s = `"` + s + `"`
		}
		if e.Exact {
			s = "+" + s
		}
		return s
	case OpField:
		return e.Field + ":" + quoteIfNeeded(e.Value)
	case OpRange:
		if e.Ago > 0 {
			return e.Field + ":" + formatAgo(e.Ago)
		}
		return e.Field + ":" + e.At.UTC().Format(time.RFC3339Nano)
	}
	return "?"
}

func quoteIfNeeded(v string) string {
	if strings.ContainsAny(v, " \t\"()") || v == "" {
		return `"` + v + `"`
	}
	return v
}

func formatAgo(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// Terms returns the words of the positive text terms of e (those not under a negation),
// folded, in order and without duplicates. Highlighting marks them in a post.
func Terms(e *Expr) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(e *Expr, neg bool)
	walk = func(e *Expr, neg bool) {
		if e == nil {
			return
		}
		switch e.Op {
		case OpNot:
			walk(e.Args[0], !neg)
		case OpAnd, OpOr:
			for _, a := range e.Args {
				walk(a, neg)
			}
		case OpText:
			if neg {
				return
			}
			for _, w := range e.Words {
				if e.Exact {
					w = foldWord(w)
				}
				if !seen[w] {
					seen[w] = true
					out = append(out, w)
				}
			}
		}
	}
	walk(e, false)
	return out
}
