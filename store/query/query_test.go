package query

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
)

// TestParseTable runs testdata/parse.txt: each line is a query and its canonical form or
// the byte offset of its syntax error.
func TestParseTable(t *testing.T) {
	f, err := os.Open("testdata/parse.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Text()
		if strings.TrimSpace(raw) == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		in, want, ok := strings.Cut(raw, "=>")
		if !ok {
			t.Fatalf("testdata/parse.txt:%d: no =>", line)
		}
		in, want = strings.TrimSpace(in), strings.TrimSpace(want)
		e, err := Parse(in)
		if pos, isErr := strings.CutPrefix(want, "error @ "); isErr {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("parse.txt:%d: Parse(%q) = %v, %v; want syntax error at %s", line, in, e, err, pos)
				continue
			}
			if strconv.Itoa(se.Pos) != pos {
				t.Errorf("parse.txt:%d: Parse(%q) error at %d (%s), want at %s", line, in, se.Pos, se.Msg, pos)
			}
			continue
		}
		if err != nil {
			t.Errorf("parse.txt:%d: Parse(%q): %v", line, in, err)
			continue
		}
		if got := e.String(); got != want {
			t.Errorf("parse.txt:%d: Parse(%q) = %s, want %s", line, in, got, want)
		}
		// The canonical form parses back to itself.
		if e2, err := Parse(e.String()); err != nil || e2.String() != e.String() {
			t.Errorf("parse.txt:%d: reparse of %s = %v, %v", line, e, e2, err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestMatch(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	p := &post.Post{
		ID: "rss:x:1", Platform: "rss", Source: "vnexpress-rss", Title: "Ngập lụt ở TP.HCM",
		Text:        "Lũ lụt nghiêm trọng tại Quảng Nam, ko có điện 😡",
		PublishedAt: now.Add(-30 * time.Hour),
		Analysis: &post.Analysis{Sentiment: post.Label{Label: "negative"}, Toxicity: post.Label{Label: "clean"},
			Narratives: []post.Narrative{{ID: "flood"}}, Flagged: true},
	}
	bare := &post.Post{ID: "rss:x:2", Platform: "rss", Source: "s", Text: "lu lut", PublishedAt: now}
	cases := []struct {
		q          string
		want, bare bool
	}{
		{"lu lut", true, true},
		{"\"lụt nghiêm\"", true, false},
		{"\"nghiêm lụt\"", false, false},
		{"+lụt", true, false},
		{"+lut", false, true},
		{"+\"lũ lụt\"", true, false},
		{"tp hcm", true, false}, // title
		{"\"ngap lut o tp hcm\"", true, false},
		{"\"hcm lu\"", false, false}, // a phrase never spans title and text
		{"khong co dien", true, false},
		{"-quang", false, true},
		{"quang OR xyz", true, false},
		{"narrative:flood sentiment:negative toxicity:clean flagged:true", true, false},
		{"flagged:false", false, true},
		{"narrative:scam", false, false},
		{"source:vnexpress-rss platform:rss", true, false},
		{"from:24h", false, true},
		{"from:2d", true, true},
		{"to:24h", true, false},
		{"from:2026-11-22 to:2026-11-23", true, false},
		{"", true, true},
	}
	for _, c := range cases {
		e, err := Parse(c.q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.q, err)
		}
		if got := MatchAt(e, NewDoc(p), now); got != c.want {
			t.Errorf("%q on post: %v, want %v", c.q, got, c.want)
		}
		if got := MatchAt(e, NewDoc(bare), now); got != c.bare {
			t.Errorf("%q on bare post: %v, want %v", c.q, got, c.bare)
		}
	}
}

func TestTerms(t *testing.T) {
	e, err := Parse(`lũ "ngập sâu" -bão (+Huế OR narrative:flood)`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Terms(e), ","); got != "lu,ngap,sau,hue" {
		t.Errorf("Terms = %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`lũ "ngập" -(a OR b) narrative:scam from:7d +lụt`, `((`, `"`, `a:b:c`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			return
		}
		if _, err := Parse(e.String()); err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", e.String(), s, err)
		}
		_ = MatchAt(e, NewDoc(&post.Post{Text: s, Title: s}), time.Now())
	})
}

// TestTextsAgreeWithWords: the one-pass Texts equals joining FoldedWords and ExactWords.
func TestTextsAgreeWithWords(t *testing.T) {
	for _, s := range []string{"", "Lũ lụt ở TP.HCM, ko có điện 😡 :v", "covid-19 giá 30% 500k", "  ", "Đ đ Ư"} {
		f, e := Texts(s)
		if f != strings.Join(FoldedWords(s), " ") || e != strings.Join(ExactWords(s), " ") {
			t.Errorf("Texts(%q) = %q, %q; want %q, %q", s, f, e, strings.Join(FoldedWords(s), " "), strings.Join(ExactWords(s), " "))
		}
	}
}
