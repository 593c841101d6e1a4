package classifier

// The Vietnamese normalizer shared by the classifier, the indexer and the query parser
// (DESIGN.md, "Vietnamese text"). Its output is part of the stored data (text_folded), so
// changing a rule here changes what existing indices match: treat it like a schema.
//
// Conventions:
//   - Unicode: NFC. Precomposed and decomposed input (NFD, or the combining tone marks
//     that Windows-1258 keyboards produce) give the same result.
//   - Tone-mark placement: the classic placement that most Vietnamese text uses, with the
//     tone on the first vowel of the open diphthongs oa, oe, uy: "hòa", "khỏe", "thủy".
//     "hoà", "khoẻ", "thuỷ" (and misplaced marks such as "hòang") are rewritten to it.
//     Precisely: in the vowel nucleus (after the onset glides of "qu" and "gi"), a vowel
//     with a circumflex, breve or horn takes the tone (the ơ of ươ); otherwise a syllable
//     with a final consonant puts it on the last vowel ("hoàng"), and an open one on the
//     first of two vowels or the middle of three ("hoài", "khuỷu"). Words that do not parse
//     as one Vietnamese syllable keep their marks where they are.
//   - Case: lowercase.
//   - Invalid UTF-8 never panics: Normalize and Fold replace it with U+FFFD, Tokenize skips it.

import (
	"bufio"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"

	"github.com/langnghe/langnghe/models"
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
	if sc.norm == nil { // a caller may lend buffers (scratch.tokenize)
		sc.norm = make([]byte, 0, 32)
		sc.fold = make([]byte, 0, 32)
	}
	sc.teen = defaultTeenTable()
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
	k0, k1, ok := packSym(sc.s[start:end])
	if !ok {
		sc.wordUncached(start, end)
		return
	}
	slot := &sc.cache.slots[symHash(k0, k1)>>(64-wordCacheBits)]
	if slot.k0 != k0 || slot.k1 != k1 {
		sc.wordUncached(start, end)
		*slot = wordSlot{k0: k0, k1: k1, norm: sc.cache.intern(sc.norm)}
		slot.fold = slot.norm
		if string(sc.fold) != slot.norm {
			slot.fold = sc.cache.intern(sc.fold)
		}
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
)

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
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// wordEnd returns the end of the run of word runes starting at s[i].
func wordEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiClass[c] != acWord {
				return i
			}
			i++
			continue
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

// --- Vietnamese syllables

// Tones, in the order of the columns of vowelForms.
const (
	toneNone  = iota
	toneGrave // huyền
	toneAcute // sắc
	toneTilde // ngã
	toneHook  // hỏi
	toneDot   // nặng
)

// vowelForms lists the twelve Vietnamese vowels, each with its six tones.
var vowelForms = [12][6]rune{
	{'a', 'à', 'á', 'ã', 'ả', 'ạ'},
	{'ă', 'ằ', 'ắ', 'ẵ', 'ẳ', 'ặ'},
	{'â', 'ầ', 'ấ', 'ẫ', 'ẩ', 'ậ'},
	{'e', 'è', 'é', 'ẽ', 'ẻ', 'ẹ'},
	{'ê', 'ề', 'ế', 'ễ', 'ể', 'ệ'},
	{'i', 'ì', 'í', 'ĩ', 'ỉ', 'ị'},
	{'o', 'ò', 'ó', 'õ', 'ỏ', 'ọ'},
	{'ô', 'ồ', 'ố', 'ỗ', 'ổ', 'ộ'},
	{'ơ', 'ờ', 'ớ', 'ỡ', 'ở', 'ợ'},
	{'u', 'ù', 'ú', 'ũ', 'ủ', 'ụ'},
	{'ư', 'ừ', 'ứ', 'ữ', 'ử', 'ự'},
	{'y', 'ỳ', 'ý', 'ỹ', 'ỷ', 'ỵ'},
}

// Vowel indexes into vowelForms.
const (
	vA, vAbreve, vAcirc, vE, vEcirc, vI, vO, vOcirc, vOhorn, vU, vUhorn, vY = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
)

// vowelFold is the base letter of each vowel, without diacritics.
var vowelFold = [12]byte{'a', 'a', 'a', 'e', 'e', 'i', 'o', 'o', 'o', 'u', 'u', 'y'}

// vowelModified marks the vowels with a circumflex, breve or horn.
var vowelModified = [12]bool{vAbreve: true, vAcirc: true, vEcirc: true, vOcirc: true, vOhorn: true, vUhorn: true}

// vowelTableSize covers Latin-1 through Latin Extended Additional, where every
// precomposed Vietnamese vowel lives.
const vowelTableSize = 0x1F00

// vowelTable maps a rune (either case) to 1+vowel index in the high bits and the tone in
// the low three bits; 0 means not a vowel. It is an immutable lookup table, built once, so
// the hot path is an array index instead of a map lookup or a decomposition.
var vowelTable = func() *[vowelTableSize]uint8 {
	var t [vowelTableSize]uint8
	for v, forms := range vowelForms {
		for tone, r := range forms {
			code := uint8((v+1)<<3 | tone)
			t[r] = code
			t[unicode.ToUpper(r)] = code
		}
	}
	return &t
}()

func vowelOf(r rune) (v int, tone uint8, ok bool) {
	if r >= vowelTableSize {
		return 0, 0, false
	}
	c := vowelTable[r]
	if c == 0 {
		return 0, 0, false
	}
	return int(c>>3) - 1, c & 7, true
}

// sylLetter is one letter of a syllable being normalized: a vowel (v >= 0, with its own
// tone as written) or a consonant or digit r.
type sylLetter struct {
	r    rune
	v    int8
	tone uint8
}

// maxSyllable bounds the letters the Vietnamese path handles on the stack; longer words
// are not Vietnamese syllables and take the generic path.
const maxSyllable = 24

// appendSyllable appends the normalized and folded forms of one word (a run of word
// runes) to nb and fb.
func appendSyllable(nb, fb []byte, w string) ([]byte, []byte) {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii { // the common case for teencode, numbers and text typed without diacritics
		for i := 0; i < len(w); i++ {
			c := lowerASCII(w[i])
			nb = append(nb, c)
			fb = append(fb, c)
		}
		return nb, fb
	}
	var buf [maxSyllable]sylLetter
	if ls, ok := parseSyllable(buf[:0], w); ok {
		return composeSyllable(nb, fb, ls)
	}
	// Generic path for other scripts and unusual marks: allocates, but is rare.
	n := norm.NFC.String(strings.ToLower(w))
	nb = append(nb, n...)
	return nb, appendFolded(fb, n)
}

// parseSyllable splits w into letters with their tones, reading precomposed and combining
// forms alike. It reports false when w has a rune outside the Vietnamese alphabet, a mark
// that cannot apply, or more letters than fit.
func parseSyllable(ls []sylLetter, w string) ([]sylLetter, bool) {
	for _, r := range w {
		if v, tone, ok := vowelOf(r); ok {
			if len(ls) == cap(ls) {
				return nil, false
			}
			ls = append(ls, sylLetter{r: vowelForms[v][0], v: int8(v), tone: tone})
			continue
		}
		switch {
		case r < utf8.RuneSelf && isASCIIWord(byte(r)):
			if len(ls) == cap(ls) {
				return nil, false
			}
			ls = append(ls, sylLetter{r: rune(lowerASCII(byte(r))), v: -1})
			continue
		case r == 'đ' || r == 'Đ':
			if len(ls) == cap(ls) {
				return nil, false
			}
			ls = append(ls, sylLetter{r: 'đ', v: -1})
			continue
		}
		// A combining mark modifies the letter before it.
		if len(ls) == 0 {
			return nil, false
		}
		last := &ls[len(ls)-1]
		if tone := combiningTone(r); tone != toneNone {
			if last.v < 0 || last.tone != toneNone {
				return nil, false
			}
			last.tone = tone
			continue
		}
		v := modifyVowel(last.v, r)
		if v < 0 {
			return nil, false
		}
		last.v = int8(v)
		last.r = vowelForms[v][0]
	}
	return ls, true
}

func combiningTone(r rune) uint8 {
	switch r {
	case 0x0300, 0x0340:
		return toneGrave
	case 0x0301, 0x0341:
		return toneAcute
	case 0x0303:
		return toneTilde
	case 0x0309:
		return toneHook
	case 0x0323:
		return toneDot
	}
	return toneNone
}

// modifyVowel applies a combining circumflex, breve or horn, or returns -1.
func modifyVowel(v int8, mark rune) int {
	switch {
	case mark == 0x0302 && v == vA:
		return vAcirc
	case mark == 0x0302 && v == vE:
		return vEcirc
	case mark == 0x0302 && v == vO:
		return vOcirc
	case mark == 0x0306 && v == vA:
		return vAbreve
	case mark == 0x031B && v == vO:
		return vOhorn
	case mark == 0x031B && v == vU:
		return vUhorn
	}
	return -1
}

// composeSyllable writes the letters back, moving a single tone mark to its place.
func composeSyllable(nb, fb []byte, ls []sylLetter) ([]byte, []byte) {
	tones, tone := 0, uint8(toneNone)
	for _, l := range ls {
		if l.tone != toneNone {
			tones++
			tone = l.tone
		}
	}
	if tones == 1 {
		if p := tonePosition(ls); p >= 0 {
			for i := range ls {
				ls[i].tone = toneNone
			}
			ls[p].tone = tone
		}
	}
	for _, l := range ls {
		if l.v >= 0 {
			nb = utf8.AppendRune(nb, vowelForms[l.v][l.tone])
			fb = append(fb, vowelFold[l.v])
			continue
		}
		nb = utf8.AppendRune(nb, l.r)
		if l.r == 'đ' {
			fb = append(fb, 'd')
		} else {
			fb = append(fb, byte(l.r))
		}
	}
	return nb, fb
}

// tonePosition returns the index of the letter that carries the tone under the classic
// convention (see the file comment), or -1 when ls is not one Vietnamese syllable.
func tonePosition(ls []sylLetter) int {
	n := len(ls)
	f := 0
	for f < n && ls[f].v < 0 {
		f++
	}
	if f == n {
		return -1
	}
	e := f
	for e < n && ls[e].v >= 0 {
		e++
	}
	for i := e; i < n; i++ {
		if ls[i].v >= 0 {
			return -1 // a second vowel group: not one syllable
		}
	}
	// The u of "qu" and the i of "gi" are part of the onset when a vowel follows.
	if e-f > 1 && f == 1 && (ls[0].r == 'q' && ls[1].v == vU || ls[0].r == 'g' && ls[1].v == vI) {
		f++
	}
	for i := e - 1; i >= f; i-- {
		if vowelModified[ls[i].v] {
			return i
		}
	}
	if e < n {
		return e - 1 // closed syllable: "hoàng", "thoát", "huỳnh"
	}
	switch e - f {
	case 1, 2:
		return f // "hòa", "khỏe", "thủy", "tài"
	case 3:
		return f + 1 // "hoài", "khuỷu", "ngoáy"
	}
	return -1
}

// appendFolded appends s with diacritics removed and đ folded to d.
func appendFolded(dst []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			dst = append(dst, byte(r))
		case r == 'đ' || r == 'Đ':
			dst = append(dst, 'd')
		default:
			if v, _, ok := vowelOf(r); ok {
				dst = append(dst, vowelFold[v])
				continue
			}
			if unicode.IsMark(r) {
				continue
			}
			var tmp [utf8.UTFMax]byte
			d := norm.NFD.Append(nil, utf8.AppendRune(tmp[:0], r)...)
			for _, dr := range string(d) {
				if !unicode.IsMark(dr) {
					dst = utf8.AppendRune(dst, dr)
				}
			}
		}
	}
	return dst
}

// --- teencode

// teenEntry is the expansion of one teencode abbreviation.
type teenEntry struct{ norm, fold string }

// defaultTeencode returns the dictionary from the embedded models/teencode.tsv. The
// normalizer is a plain function shared by the store and query parser, so the dictionary
// is package data, parsed once; a broken file leaves it empty (TestTeencodeFileParses
// keeps that from shipping).
var defaultTeencode = sync.OnceValue(func() map[string]teenEntry {
	d, _ := loadTeencode()
	return d
})

// teenTable is the teencode dictionary in a symTable, so the per-word lookup of the
// tokenizer (every word up to the longest key) hashes two machine words instead of going
// through a string map. It holds the same entries as defaultTeencode.
type teenTable struct {
	syms    symTable
	entries []teenEntry // by id-1
	maxKey  int         // longest key in bytes: longer words skip the lookup
}

var defaultTeenTable = sync.OnceValue(func() *teenTable {
	t := &teenTable{}
	for k, e := range defaultTeencode() {
		t.entries = append(t.entries, e)
		t.syms.put(k, int32(len(t.entries)))
		t.maxKey = max(t.maxKey, len(k))
	}
	return t
})

// lookup returns the expansion of the normalized word w, or nil.
func (t *teenTable) lookup(w []byte) *teenEntry {
	if len(w) > t.maxKey {
		return nil
	}
	if id := t.syms.get(w); id > 0 {
		return &t.entries[id-1]
	}
	return nil
}

func loadTeencode() (map[string]teenEntry, error) {
	f, err := models.FS().Open("teencode.tsv")
	if err != nil {
		return nil, fmt.Errorf("teencode: %w", err)
	}
	defer f.Close()
	return parseTeencode("teencode.tsv", f)
}

// parseTeencode reads abbreviation<TAB>expansion lines. Keys must be one syllable.
func parseTeencode(name string, r io.Reader) (map[string]teenEntry, error) {
	d := make(map[string]teenEntry)
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		key, exp, ok := strings.Cut(text, "\t")
		key, exp = Normalize(strings.TrimSpace(key)), strings.TrimSpace(exp)
		if !ok || key == "" || exp == "" {
			return nil, fmt.Errorf("%s:%d: %w: want abbreviation<TAB>expansion", name, line, ErrModelFile)
		}
		if wordEnd(key, 0) != len(key) {
			return nil, fmt.Errorf("%s:%d: %w: abbreviation %q is not one syllable", name, line, ErrModelFile, key)
		}
		if _, dup := d[key]; dup {
			return nil, fmt.Errorf("%s:%d: %w: duplicate abbreviation %q", name, line, ErrModelFile, key)
		}
		n := strings.Join(strings.Fields(Normalize(exp)), " ")
		d[key] = teenEntry{norm: n, fold: string(appendFolded(nil, n))}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// --- word cache

// wordCache memoizes word normalization (tone placement, folding, teencode) for the
// Analyze hot path: posts repeat a few thousand syllables, and a hit costs one hash of
// the word as written instead of parsing and composing it. It is direct-mapped (a new
// word evicts the one in its slot) and lives in a pooled scratch, so one goroutine uses
// it at a time. The cached forms are exactly what word() computes, so the cache changes
// speed only; words longer than symInline bytes are not cached. Each slot also keeps the
// syllable ids of its forms in one model's symbol table (owner), refreshed lazily when
// another model uses the scratch.
type wordCache struct {
	slots [1 << wordCacheBits]wordSlot
	owner *lexModel
	gen   uint32 // bumped when owner changes; slot ids are valid when slot.gen == gen
	arena []byte // backing store of the slots' strings, allocated a block at a time
}

// intern returns b as a string stored in the cache's arena. Arena bytes are never
// written twice, so the strings stay immutable (and valid after their slot is reused).
func (c *wordCache) intern(b []byte) string {
	if len(b) > cap(c.arena)-len(c.arena) {
		c.arena = make([]byte, 0, max(4096, len(b)))
	}
	i := len(c.arena)
	c.arena = append(c.arena, b...)
	return unsafe.String(&c.arena[i], len(b))
}

const wordCacheBits = 13

type wordSlot struct {
	k0, k1     uint64 // the packed word as written; k1 is never 0 for a used slot
	norm, fold string // what word() gives, after teencode expansion
	nid, fid   int32  // ids in owner's symbol table (single-syllable forms only)
	gen        uint32
}

// --- symbol table

// symTable maps short strings (syllables, teencode keys) to positive ids. It is the hot
// lookup of the tokenizer and the matcher, done once or twice per syllable, so it avoids
// Go's string map: a string of up to symInline bytes is packed with its length into two
// machine words, hashed with one multiplication and found by linear probing in a flat
// table kept at most half full. Longer strings (rare: no Vietnamese syllable is that
// long) go to a plain map. Reads are safe for concurrent use once building is done.
type symTable struct {
	slots []symSlot // len is a power of two, or 0
	shift uint      // 64 - log2(len(slots))
	n     int       // packed entries
	long  map[string]int32
}

type symSlot struct {
	k0, k1 uint64
	id     int32 // 0: empty
}

// symInline is the longest string packed inline; the top byte of k1 holds the length.
const symInline = 15

// packSym packs s into two words, or reports false when s is longer than symInline.
// The loads are word loads, not a copy, so packing costs a few instructions.
func packSym[S string | []byte](s S) (k0, k1 uint64, ok bool) {
	n := len(s)
	switch {
	case n > symInline:
		return 0, 0, false
	case n > 8:
		return load8(s[:8]), loadUpTo8(s[8:]) | uint64(n)<<56, true
	}
	return loadUpTo8(s), uint64(n) << 56, true
}

// loadUpTo8 returns the bytes of s (at most 8) as a little-endian word, zero-padded.
func loadUpTo8[S string | []byte](s S) uint64 {
	n := len(s)
	switch {
	case n == 8:
		return load8(s)
	case n >= 4: // two overlapping 4-byte loads; the overlap holds the same bytes
		return uint64(load4(s)) | uint64(load4(s[n-4:]))<<(8*(n-4))
	case n > 0:
		return uint64(s[0]) | uint64(s[n/2])<<(8*(n/2)) | uint64(s[n-1])<<(8*(n-1))
	}
	return 0
}

func load8[S string | []byte](s S) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load4[S string | []byte](s S) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func symHash(k0, k1 uint64) uint64 {
	h := (k0 ^ bits.RotateLeft64(k1, 29)) * 0x9E3779B97F4A7C15
	return h ^ h>>31
}

// get returns the id of s, or 0.
func (t *symTable) get(s []byte) int32 {
	k0, k1, ok := packSym(s)
	if !ok {
		return t.long[string(s)] // no allocation: the compiler special-cases m[string(b)]
	}
	return t.getPacked(k0, k1)
}

// getString is get for a string.
func (t *symTable) getString(s string) int32 {
	k0, k1, ok := packSym(s)
	if !ok {
		return t.long[s]
	}
	return t.getPacked(k0, k1)
}

func (t *symTable) getPacked(k0, k1 uint64) int32 {
	if len(t.slots) == 0 {
		return 0
	}
	mask := uint64(len(t.slots) - 1)
	for i := symHash(k0, k1) >> t.shift; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			return 0
		}
		if sl.k0 == k0 && sl.k1 == k1 {
			return sl.id
		}
	}
}

// put sets the id (> 0) of s.
func (t *symTable) put(s string, id int32) {
	k0, k1, ok := packSym(s)
	if !ok {
		if t.long == nil {
			t.long = make(map[string]int32)
		}
		t.long[s] = id
		return
	}
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	if t.insert(k0, k1, id) {
		t.n++
	}
}

// insert reports whether the key is new.
func (t *symTable) insert(k0, k1 uint64, id int32) bool {
	mask := uint64(len(t.slots) - 1)
	for i := symHash(k0, k1) >> t.shift; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.id == 0 {
			*sl = symSlot{k0, k1, id}
			return true
		}
		if sl.k0 == k0 && sl.k1 == k1 {
			sl.id = id
			return false
		}
	}
}

func (t *symTable) grow() {
	old := t.slots
	size := max(16, 2*len(old))
	t.slots = make([]symSlot, size)
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	for _, sl := range old {
		if sl.id != 0 {
			t.insert(sl.k0, sl.k1, sl.id)
		}
	}
}
