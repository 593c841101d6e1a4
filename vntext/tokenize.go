package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Token is one syllable (or emoji/emoticon) of a text. Start and End are byte offsets into
// the original string given to Tokenize, so text[t.Start:t.End] is the token as written.
// Norm is the normalized form (NFC, one tone-mark convention, lowercase, teencode expanded,
// so "ko" has Norm "không" and "mn" has Norm "mọi người"), and Folded is Norm without
// diacritics ("khong", "moi nguoi"). Emoticons are normalized to a short canonical form
// (":)))" → ":))") and emoji lose variation selectors and skin-tone modifiers.
type Token struct {
	Start, End int
	Norm       string
	Folded     string
}

// Normalize returns the canonical form of s: NFC, one tone-mark convention (see the file
// comment), lowercase, invalid UTF-8 replaced by U+FFFD. It works on characters and keeps
// punctuation and spacing; it does not expand teencode (Tokenize does, per token).
func Normalize(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	out := make([]byte, 0, len(s)+8)
	var fold []byte
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			j := i + w
			for j < len(s) {
				r, w := utf8.DecodeRuneInString(s[j:])
				if isWordRune(r) {
					break
				}
				j += w
			}
			out = appendOther(out, s[i:j])
			i = j
			continue
		}
		j := wordEnd(s, i)
		out, fold = appendSyllable(out, fold[:0], s[i:j])
		i = j
	}
	return string(out)
}

// Fold returns Normalize(s) without diacritics: tone marks and the circumflex, breve and
// horn are removed and đ becomes d. Like Normalize it keeps punctuation and spacing.
func Fold(s string) string {
	n := Normalize(s)
	out := make([]byte, 0, len(n))
	return string(appendFolded(out, n))
}

// Tokenize splits s into tokens: syllables (runs of letters, digits and combining marks),
// emoji, and the common emoticons (":)", ":))", "=))", ":(", ":((", ":D", ":v", ";)",
// "<3", "^^"), each its own token, in order. Everything else (spaces, punctuation, invalid
// UTF-8) separates tokens and is dropped. It never fails and is safe for concurrent use.
func Tokenize(s string) []Token {
	var sc tokenScanner
	sc.init(s)
	toks := make([]Token, 0, len(s)/4+1)
	normBuf := make([]byte, 0, len(s)+len(s)/8+8)
	foldBuf := make([]byte, 0, len(s)+len(s)/8+8)
	// ends records where each token's Norm and Folded end in the shared buffers. All
	// tokens share two backing strings, so Tokenize allocates O(1) strings, not O(tokens).
	ends := make([][2]int32, 0, cap(toks))
	for sc.next() {
		toks = append(toks, Token{Start: sc.start, End: sc.end})
		normBuf = append(normBuf, sc.norm...)
		foldBuf = append(foldBuf, sc.fold...)
		ends = append(ends, [2]int32{int32(len(normBuf)), int32(len(foldBuf))})
	}
	ns, fs := string(normBuf), string(foldBuf)
	var n0, f0 int32
	for i := range toks {
		toks[i].Norm, toks[i].Folded = ns[n0:ends[i][0]], fs[f0:ends[i][1]]
		n0, f0 = ends[i][0], ends[i][1]
	}
	return toks
}

// FoldedText is the value stored in the text_folded field and the form query words are
// compared against: the Folded form of every token of s, joined by single spaces.
func FoldedText(s string) string {
	var sc tokenScanner
	sc.init(s)
	out := make([]byte, 0, len(s)+8)
	for sc.next() {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, sc.fold...)
	}
	return string(out)
}

// tokenScanner walks a string token by token. norm and fold are scratch buffers reused
// from token to token, valid until the next call of next.
type tokenScanner struct {
	s          string
	pos        int
	start, end int
	norm, fold []byte
	teen       *teenTable
	cache      *wordCache // optional memo of word(); nil in Tokenize
	slot       *wordSlot  // the cache slot of the current word, or nil
}

func (sc *tokenScanner) init(s string) {
	sc.s = s
	if sc.norm == nil { // a caller may lend buffers (Tokenizer.Tokenize)
		sc.norm = make([]byte, 0, 32)
		sc.fold = make([]byte, 0, 32)
	}
	if sc.teen == nil { // a Tokenizer lends the table it looked up once
		sc.teen = defaultTeenTable()
	}
}

// next advances to the next token and reports whether there was one.
func (sc *tokenScanner) next() bool {
	s := sc.s
	for sc.pos < len(s) {
		i := sc.pos
		c := s[i]
		if c < utf8.RuneSelf {
			switch asciiClass[c] {
			case acWord:
				sc.word(i, wordEnd(s, i))
				return true
			case acEmoticon:
				if n, canon := emoticonAt(s, i); n > 0 {
					sc.set(i, i+n, canon, canon)
					return true
				}
			}
			sc.pos++
			continue
		}
		r, w := decodeRune(s, i)
		switch {
		case isWordRune(r):
			sc.word(i, wordEnd(s, i))
			return true
		case isEmoji(r):
			sc.emoji(i)
			return true
		}
		sc.pos += w // separators and invalid bytes (RuneError, width 1)
	}
	return false
}

func (sc *tokenScanner) set(start, end int, norm, fold string) {
	sc.start, sc.end, sc.pos = start, end, end
	sc.slot = nil
	sc.norm = append(sc.norm[:0], norm...)
	sc.fold = append(sc.fold[:0], fold...)
}

// word normalizes the syllable s[start:end] and expands it if it is teencode.
func (sc *tokenScanner) word(start, end int) {
	sc.start, sc.end, sc.pos = start, end, end
	sc.slot = nil
	if sc.cache == nil {
		sc.wordUncached(start, end)
		return
	}
	w := sc.s[start:end]
	if slot := sc.cache.find(w); slot != nil {
		sc.slot = slot
		return
	}
	k0, k1, ok := packSym(w)
	if !ok {
		sc.wordUncached(start, end)
		return
	}
	slot := sc.cache.evict(wordSet(k0, k1) % wordSets)
	sc.wordUncached(start, end)
	*slot = wordSlot{k0: k0, k1: k1, norm: sc.cache.intern(sc.norm)}
	slot.fold = slot.norm
	if string(sc.fold) != slot.norm {
		slot.fold = sc.cache.intern(sc.fold)
	}
	// The caller reads the forms from the slot; sc.norm and sc.fold are not filled.
	sc.slot = slot
}

func (sc *tokenScanner) wordUncached(start, end int) {
	sc.norm, sc.fold = appendSyllable(sc.norm[:0], sc.fold[:0], sc.s[start:end])
	if e := sc.teen.lookup(sc.norm); e != nil {
		sc.norm = append(sc.norm[:0], e.norm...)
		sc.fold = append(sc.fold[:0], e.fold...)
	}
	if len(sc.fold) == 0 {
		// A word of only combining marks folds to nothing; keep it visible and matchable.
		sc.fold = append(sc.fold, sc.norm...)
	}
}

// emoji consumes one emoji with its modifiers, ZWJ sequence or flag pair. The normalized
// form drops variation selectors and skin tones so "❤️" matches "❤" and "👍🏽" matches "👍".
func (sc *tokenScanner) emoji(start int) {
	s := sc.s
	sc.norm = sc.norm[:0]
	r, w := utf8.DecodeRuneInString(s[start:])
	sc.norm = utf8.AppendRune(sc.norm, r)
	i := start + w
	regional := isRegional(r)
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0xFE0F || r == 0xFE0E || (r >= 0x1F3FB && r <= 0x1F3FF):
			// dropped from the normalized form
		case r == 0x20E3 || (r >= 0xE0020 && r <= 0xE007F):
			sc.norm = utf8.AppendRune(sc.norm, r)
		case r == 0x200D:
			r2, w2 := utf8.DecodeRuneInString(s[i+w:])
			if !isEmoji(r2) {
				goto done
			}
			sc.norm = utf8.AppendRune(sc.norm, r)
			sc.norm = utf8.AppendRune(sc.norm, r2)
			w += w2
		case regional && isRegional(r):
			sc.norm = utf8.AppendRune(sc.norm, r)
			regional = false // a flag is exactly two regional indicators
		default:
			goto done
		}
		i += w
	}
done:
	sc.start, sc.end, sc.pos = start, i, i
	sc.slot = nil
	sc.fold = append(sc.fold[:0], sc.norm...)
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// isEmoji reports whether r starts an emoji token: the pictographic blocks and the older
// symbol blocks that emoji keyboards produce (☀, ✈, ❤, ⭐).
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF:
		return true
	case r >= 0x2600 && r <= 0x27BF:
		return true
	case r >= 0x2300 && r <= 0x23FF, r >= 0x2B00 && r <= 0x2BFF:
		return unicode.IsSymbol(r)
	case r == 0x3030 || r == 0x303D || r == 0x3297 || r == 0x3299:
		return true
	}
	return false
}

// emoticonAt reports the byte length and canonical form of an emoticon starting at s[i],
// or 0. Runs of parentheses collapse to one or two (":)))))" → ":))"), letters are
// lowercased (":D" → ":d"), and "<333" becomes "<3".
func emoticonAt(s string, i int) (int, string) {
	rest := s[i:]
	switch c := rest[0]; c {
	case ':', '=', ';':
		j := 1
		if j < len(rest) && rest[j] == '-' {
			j++ // nose, ":-)"
		}
		if j >= len(rest) {
			return 0, ""
		}
		switch p := rest[j]; p {
		case ')', '(':
			k := j
			for k < len(rest) && rest[k] == p {
				k++
			}
			return k, emoticonCanon(c, p, k-j)
		case 'd', 'D', 'p', 'P', 'v', 'V':
			// ":D" but not the start of a word after a colon (":Dạ").
			if j+1 < len(rest) && !isSeparatorAfter(rest[j+1:]) {
				return 0, ""
			}
			if c != ':' {
				return 0, ""
			}
			switch p | 0x20 {
			case 'd':
				return j + 1, ":d"
			case 'p':
				return j + 1, ":p"
			default:
				return j + 1, ":v"
			}
		}
	case '<':
		k := 1
		for k < len(rest) && rest[k] == '3' {
			k++
		}
		if k == 1 || (k < len(rest) && rest[k] >= '0' && rest[k] <= '9') {
			return 0, "" // "<30 tuổi" is a comparison
		}
		return k, "<3"
	case '^':
		if strings.HasPrefix(rest, "^^") {
			return 2, "^^"
		}
		if strings.HasPrefix(rest, "^_^") || strings.HasPrefix(rest, "^.^") {
			return 3, "^^"
		}
	}
	return 0, ""
}

func emoticonCanon(eyes, mouth byte, n int) string {
	smile := mouth == ')'
	switch {
	case eyes == ';':
		if smile {
			return ";)"
		}
		return ";("
	case eyes == '=' && smile && n == 1:
		return "=)"
	case eyes == '=' && smile:
		return "=))"
	case eyes == '=' && n == 1:
		return "=("
	case eyes == '=':
		return "=(("
	case smile && n == 1:
		return ":)"
	case smile:
		return ":))"
	case n == 1:
		return ":("
	}
	return ":(("
}

// isSeparatorAfter reports whether the text after an emoticon letter starts with
// something other than a letter or digit.
func isSeparatorAfter(rest string) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	return !isWordRune(r)
}

// Classes of ASCII bytes for the scanner: letters and digits, the first characters of
// the emoticons emoticonAt knows, and everything else (separators).
const (
	acOther = iota
	acWord
	acEmoticon
	acNonASCII // byteClass only: a byte of a multi-byte rune
)

// byteClass is asciiClass for every byte value, acNonASCII from utf8.RuneSelf on: indexed
// by a byte, it needs no bounds check.
var byteClass = func() (t [256]uint8) {
	copy(t[:], asciiClass[:])
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = acNonASCII
	}
	return t
}()

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		if isASCIIWord(byte(c)) {
			t[c] = acWord
		}
	}
	for _, c := range ":=;<^" {
		t[c] = acEmoticon
	}
	return t
}()

// decodeRune is utf8.DecodeRuneInString(s[i:]) for s[i] >= utf8.RuneSelf, with the two-
// and three-byte forms of Latin and Vietnamese letters decoded inline (three-byte leads
// E1..EC cannot be overlong or surrogates, so checking the continuation bytes suffices).
func decodeRune(s string, i int) (rune, int) {
	c := s[i]
	switch {
	case c >= 0xC2 && c < 0xE0 && i+1 < len(s):
		if c1 := s[i+1]; c1&0xC0 == 0x80 {
			return rune(c&0x1F)<<6 | rune(c1&0x3F), 2
		}
	case c >= 0xE1 && c <= 0xEC && i+2 < len(s):
		if c1, c2 := s[i+1], s[i+2]; c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			return rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F), 3
		}
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isASCIIWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isWordRune reports whether r belongs to a syllable: letters, digits and combining marks
// (decomposed tone marks are part of the syllable they modify).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIWord(byte(r))
	}
	if r < vowelTableSize && vowelTable[r] != 0 || r == 'đ' || r == 'Đ' {
		return true // Vietnamese letters, without the Unicode range tables
	}
	if noWordRuneIn(r) {
		return false // emoji, punctuation, arrows: the range tables' binary searches cost more
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// noWordRuneIn reports whether r lies in a block range holding no letter, digit or mark
// (TestNoWordRuneIn checks every rune of them against the unicode tables): the emoji and
// the General Punctuation to Dingbats blocks, but for 0x2070-0x218F (superscripts,
// letterlike symbols, number forms).
func noWordRuneIn(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2000 && r <= 0x27BF && (r < 0x2070 || r > 0x218F)
}

// wordEnd returns the end of the run of word runes starting at s[i].
func wordEnd(s string, i int) int {
	for uint(i) < uint(len(s)) { // unsigned: no bounds check on s[i]
		c := s[i]
		if cl := byteClass[c]; cl == acWord {
			i++
			continue
		} else if cl != acNonASCII {
			return i
		}
		// Vietnamese letters, decoded and looked up here: most non-ASCII runes of a
		// post are, and the general path is two calls.
		switch {
		case c >= 0xC2 && c < 0xE0 && i+1 < len(s):
			if c1 := s[i+1]; c1&0xC0 == 0x80 {
				if r := rune(c&0x1F)<<6 | rune(c1&0x3F); vowelTable[r] != 0 || r == 'đ' || r == 'Đ' {
					i += 2
					continue
				}
			}
		case c == 0xE1 && i+2 < len(s): // U+1000..U+1FFF, where the toned vowels are
			if c1, c2 := s[i+1], s[i+2]; c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
				if r := 0x1000 | rune(c1&0x3F)<<6 | rune(c2&0x3F); r < vowelTableSize && vowelTable[r] != 0 {
					i += 3
					continue
				}
			}
		}
		r, w := decodeRune(s, i)
		if !isWordRune(r) {
			return i
		}
		i += w
	}
	return i
}

// appendOther appends a non-word segment lowercased and in NFC.
func appendOther(dst []byte, seg string) []byte {
	ascii := true
	for i := 0; i < len(seg); i++ {
		if seg[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(seg); i++ {
			dst = append(dst, lowerASCII(seg[i]))
		}
		return dst
	}
	return append(dst, norm.NFC.String(strings.ToLower(seg))...)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
