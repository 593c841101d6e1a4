package query

import (
	"strings"
	"testing"
)

// TestAllWordRunesAgreesWithContainsFunc: the byte-level fast path decides exactly what
// the rune-level definition does, on ASCII, Vietnamese, marks, emoji, other scripts and
// invalid UTF-8, for whole strings and for every prefix of them.
func TestAllWordRunesAgreesWithContainsFunc(t *testing.T) {
	texts := []string{
		"", "a", "Z", "0", "_", "-", " ", "abc123", "không", "Việt", "đ", "Đ", "ba\u0301",
		"\u0301", "👍", ":))", "a.b", "người_dùng", "Κόσμος", "мир", "世界", "a\xffb", "\xc3",
		"x\u00a0y", "٣", "ǅ", "\u200d", "ⅷ", "a\tb", "hoà\x00",
	}
	for _, s := range texts {
		for i := 0; i <= len(s); i++ {
			p := s[:i]
			if got, want := allWordRunes(p), !strings.ContainsFunc(p, notWordRune); got != want {
				t.Errorf("allWordRunes(%q) = %v, want %v", p, got, want)
			}
		}
	}
	for c := 0; c < 256; c++ {
		p := string([]byte{byte(c)})
		if got, want := allWordRunes(p), !strings.ContainsFunc(p, notWordRune); got != want {
			t.Errorf("allWordRunes(byte %#x) = %v, want %v", c, got, want)
		}
	}
}
