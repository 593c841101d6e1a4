package query

import (
	"errors"
	"strings"
	"testing"
)

// TestParseCapsNesting: every way of nesting (parentheses, "-", NOT, and mixes of them)
// is capped at MaxDepth levels with a SyntaxError at the byte offset of the first level
// too deep, and MaxDepth levels still parse. Issue 11: 4,094 "-" before a word parsed
// into a 4,094-deep tree that cost bleve seconds of CPU per request.
func TestParseCapsNesting(t *testing.T) {
	kinds := []struct {
		name  string
		open  string // one level
		close string
	}{
		{"parentheses", "(", ")"},
		{"dash", "-", ""},
		{"NOT", "NOT ", ""},
		{"dash-paren", "-(", ")"},
		{"NOT-paren", "NOT (", ")"},
	}
	for _, k := range kinds {
		levels := func(n int) string {
			return strings.Repeat(k.open, n) + "lụt" + strings.Repeat(k.close, n)
		}
		t.Run(k.name, func(t *testing.T) {
			// A "-(" level is two levels: the negation and the parenthesis.
			per := 1
			if strings.ContainsAny(k.open, "-N") && strings.Contains(k.open, "(") {
				per = 2
			}
			ok := MaxDepth / per
			if _, err := Parse(levels(ok)); err != nil {
				t.Errorf("%d levels: %v; want accepted", ok, err)
			}
			for _, n := range []int{ok + 1, 1000, 4094} {
				q := levels(n)
				if len(q) > MaxLength {
					q = strings.Repeat(k.open, (MaxLength-10)/len(k.open)) + "lụt"
				}
				_, err := Parse(q)
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("%d levels: %v; want a SyntaxError", n, err)
				}
				// The error points at the first level past the cap.
				want := ok * len(k.open)
				if per == 1 && se.Pos != want {
					t.Errorf("%d levels: error at %d, want %d (%s)", n, se.Pos, want, se.Msg)
				}
				if !strings.Contains(se.Msg, "too deep") {
					t.Errorf("%d levels: message %q does not say the query nests too deep", n, se.Msg)
				}
			}
		})
	}
}

// TestParseCapsTerms: more than MaxTerms searchable terms (words, phrase words, field
// filters, in any combination) is a SyntaxError at the term that passes the cap.
func TestParseCapsTerms(t *testing.T) {
	cases := map[string]func(n int) string{
		"words":  func(n int) string { return strings.TrimSpace(strings.Repeat("lũ ", n)) },
		"or":     func(n int) string { return strings.Repeat("a OR ", n-1) + "a" },
		"phrase": func(n int) string { return `"` + strings.TrimSpace(strings.Repeat("a ", n)) + `"` },
		"fields": func(n int) string { return strings.TrimSpace(strings.Repeat("source:x ", n)) },
		"exclusions": func(n int) string {
			return strings.TrimSpace(strings.Repeat("-a ", n))
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(build(MaxTerms)); err != nil {
				t.Errorf("%d terms: %v; want accepted", MaxTerms, err)
			}
			_, err := Parse(build(MaxTerms + 1))
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, "too many terms") {
				t.Errorf("%d terms: %v; want a too-many-terms SyntaxError", MaxTerms+1, err)
			}
		})
	}
}

// TestParseTimeRange: absolute times outside the int64-nanosecond range (1677-2262), in
// every accepted layout, are ErrTimeRange; the edges inside still parse, and so do they
// as from:/to: filters, whose error points at the value.
func TestParseTimeRange(t *testing.T) {
	for _, s := range []string{"0001-01-01", "1000-06-01", "1677-01-01", "1677-09-21T00:00:00Z", "2262-04-12", "2263-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2262-04-11T23:00:00-05:00"} {
		if _, _, err := ParseTime(s); !errors.Is(err, ErrTimeRange) {
			t.Errorf("ParseTime(%q) = %v; want ErrTimeRange", s, err)
		}
		_, err := Parse("lụt from:" + s)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Pos != len("lụt from:") {
			t.Errorf("Parse(from:%s) = %v; want a SyntaxError at the value", s, err)
		}
	}
	for _, s := range []string{"1678-01-01", "1677-09-22T00:00:00Z", "2262-04-10", "2026-11-20T12:00:00+07:00"} {
		if _, _, err := ParseTime(s); err != nil {
			t.Errorf("ParseTime(%q) = %v; want accepted", s, err)
		}
	}
}
