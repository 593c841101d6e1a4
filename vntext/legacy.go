package vntext

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Encoding names a legacy Vietnamese encoding that text may arrive in. Such text reaches
// us already decoded as Unicode, but wrongly: TCVN3 (ABC) and VNI-Windows bytes read as
// Windows-1252/Latin-1 ("B¶o Th¾ng", "Xin chaøo"), and VIQR is plain ASCII with marks
// after the vowels ("Vie^.t Nam").
type Encoding string

// The legacy encodings DecodeLegacy converts.
const (
	TCVN3 Encoding = "tcvn3" // also called ABC
	VNI   Encoding = "vni"
	VIQR  Encoding = "viqr"
)

// ErrEncoding is returned for an encoding name DecodeLegacy does not know.
var ErrEncoding = errors.New("unknown legacy encoding")

// ParseEncoding accepts "tcvn3", "abc", "vni", "vni-windows" and "viqr", in any case.
func ParseEncoding(name string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "tcvn3", "abc", "tcvn":
		return TCVN3, nil
	case "vni", "vni-windows":
		return VNI, nil
	case "viqr":
		return VIQR, nil
	}
	return "", fmt.Errorf("%w %q (want tcvn3, vni or viqr)", ErrEncoding, name)
}

// DecodeLegacy converts s from a declared legacy encoding to NFC Unicode. Characters that
// are not part of the encoding's Vietnamese letters are kept as they are.
func DecodeLegacy(s string, enc Encoding) (string, error) {
	switch enc {
	case TCVN3:
		return decodeTCVN3(s), nil
	case VNI:
		return decodeVNI(s), nil
	case VIQR:
		return decodeVIQR(s), nil
	}
	return "", fmt.Errorf("%w %q", ErrEncoding, enc)
}

// FixLegacy detects text that reveals a legacy encoding and converts it. It returns s
// unchanged and "" when s looks like Unicode Vietnamese or like any other language; it
// converts only on clear evidence (several characters that real Unicode Vietnamese never
// has), so it can run on every crawled post. Byte offsets into the result differ from
// offsets into s, so call it when a post is ingested, before its text is stored.
func FixLegacy(s string) (string, Encoding) {
	if enc := DetectLegacy(s); enc != "" {
		out, _ := DecodeLegacy(s, enc)
		return out, enc
	}
	return s, ""
}

// DetectLegacy returns the legacy encoding s reveals, or "". It runs on every crawled post
// with no declared encoding, so it must never fire on English, German, URLs, handles or
// accentless Vietnamese: VNI needs two characters that only VNI puts after a vowel, and
// TCVN3 and VIQR need whole words that decode to toned Vietnamese syllables
// (tcvn3Evidence, viqrEvidence).
func DetectLegacy(s string) Encoding {
	var tcvn, vni, vietnamese int
	prevVowel, prevLetter, nonASCIILetter := false, false, false
	for _, r := range s {
		switch {
		case isVietnameseOnly(r):
			vietnamese++ // ă, đ, ĩ, ũ, ơ, ư, precomposed toned letters, combining tones
		case r >= 0xA1 && r <= 0xBF && prevLetter && tcvn3[r] != "":
			tcvn++ // "B¶o": a TCVN3 letter in ¡..¿, symbols that never sit inside a word
		}
		if r >= utf8.RuneSelf && unicode.IsLetter(r) {
			nonASCIILetter = true
		}
		prevLetter = r < utf8.RuneSelf && isASCIILetter(byte(r)) || tcvn3[r] != ""
		if prevVowel {
			if _, ok := vniMarks[unicode.ToLower(r)]; ok && !isVietnameseLetter(r) {
				vni++ // "aø", "eä": a vowel followed by a VNI mark that is no Vietnamese letter
			}
		}
		prevVowel = strings.ContainsRune("aeiouyAEIOUY", r) || r == 'ô' || r == 'ö' || r == 'Ô' || r == 'Ö'
	}
	switch {
	case vietnamese > 0:
		return "" // real Unicode Vietnamese (or already fixed)
	case tcvn >= 2 && tcvn3Evidence(s):
		return TCVN3
	case vni >= 2:
		return VNI
	case !nonASCIILetter && viqrEvidence(s):
		return VIQR // VIQR is pure ASCII: a text with other letters is not VIQR
	}
	return ""
}

// viqrEvidence reports whether s reads as VIQR: enough of its words are VIQR syllables
// (legacyWords), and at least one of them carries a mark that only VIQR uses inside a
// word: "^", "(" or "+" after a vowel, or a leading "dd". Tone marks alone ("bo` cho'")
// are how some people type casually, and converting such text could only guess.
func viqrEvidence(s string) bool {
	strong := false
	ok := legacyWords(s, func(w string) bool {
		if !isViqrSyllable(w) {
			return false
		}
		lw := strings.ToLower(w)
		if strings.HasPrefix(lw, "dd") || strings.ContainsAny(w, "^(+") {
			strong = true
		}
		return true
	})
	return ok && strong
}

// tcvn3Evidence reports whether enough words of s decode from TCVN3 to toned Vietnamese
// syllables. Soft hyphens, middle dots and guillemets inside German or English words
// ("Mit\u00adar\u00adbei\u00adter", "an·thro·po·cene", "»erstreben«") are TCVN3 bytes too,
// but the words they sit in do not decode to syllables.
func tcvn3Evidence(s string) bool {
	return legacyWords(s, func(w string) bool {
		dec := strings.TrimRight(decodeTCVN3(w), ".?")
		return dec != w && isToned(dec)
	})
}

// legacyWords splits s into words (outer punctuation trimmed) and reports whether at
// least three of them, and at least two in five of the words with a letter, satisfy
// isEvidence.
func legacyWords(s string, isEvidence func(w string) bool) bool {
	words, evidence := 0, 0
	for _, w := range strings.Fields(s) {
		core := strings.TrimLeft(w, "\"\u201c\u2018\u00ab([{<*_-")
		core = strings.TrimRight(core, "\"\u201d\u2019\u00bb)]}>,;:!*_")
		if core == "" || strings.IndexFunc(core, unicode.IsLetter) < 0 {
			continue
		}
		words++
		if isEvidence(core) {
			evidence++
		}
	}
	return evidence >= 3 && 5*evidence >= 2*words
}

// isToned reports whether w is one Vietnamese syllable carrying a diacritic.
func isToned(w string) bool {
	f := Fold(w)
	return isSyllableShape(f) && f != Normalize(w)
}

func isASCIILetterRune(r rune) bool { return r < utf8.RuneSelf && isASCIILetter(byte(r)) }

// isViqrSyllable reports whether the word w (outer punctuation trimmed) is VIQR for one
// toned Vietnamese syllable: it has a VIQR mark after a vowel or starts with "dd", is no
// link, handle, number or English contraction, and decodes to a word whose letters
// form a Vietnamese syllable and carry a diacritic.
func isViqrSyllable(w string) bool {
	if strings.ContainsAny(w, "@/#:=&%0123456789") || englishContraction(w) {
		return false
	}
	dec := strings.TrimRight(decodeVIQR(w), ".?")
	if dec == w || strings.ContainsAny(dec, ".?'`~^(+\\") {
		return false // no mark decoded, or marks left over: not one syllable
	}
	return isToned(dec)
}

// englishContraction matches "I'm", "it's", "don't", "we'll", "you're", "I've", "I'd".
func englishContraction(w string) bool {
	i := strings.LastIndexByte(w, '\'')
	if i <= 0 {
		return false
	}
	switch strings.ToLower(w[i+1:]) {
	case "m", "s", "t", "d", "ll", "re", "ve":
		return true
	}
	return false
}

// isSyllableShape reports whether the folded, lowercase word f has the shape of one
// Vietnamese syllable: an optional onset, one to three vowels, an optional final
// consonant. English words rarely do ("examplẹorg" folds to "examplẹorg", which does not).
func isSyllableShape(f string) bool {
	for _, onset := range syllableOnsets {
		if rest, ok := strings.CutPrefix(f, onset); ok && isRhyme(rest) {
			return true
		}
	}
	return false
}

// syllableOnsets are the initial consonants, longest first, and "" for none.
var syllableOnsets = []string{"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
	"b", "c", "d", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""}

func isRhyme(r string) bool {
	n := 0
	for n < len(r) && strings.IndexByte("aeiouy", r[n]) >= 0 {
		n++
	}
	if n == 0 || n > 3 {
		return false
	}
	switch r[n:] {
	case "", "c", "ch", "m", "n", "ng", "nh", "p", "t":
		return true
	}
	return false
}

// isVietnameseOnly reports letters and marks that Unicode Vietnamese has and that no
// Windows-1252 reading of a TCVN3 byte produces. (Œ œ Š š Ž ž Ÿ ƒ, also between U+0102
// and U+01B0, are TCVN3 capitals read as Windows-1252, so they are no evidence of
// Unicode.)
func isVietnameseOnly(r rune) bool {
	switch r {
	case 'ă', 'Ă', 'đ', 'Đ', 'ĩ', 'Ĩ', 'ũ', 'Ũ', 'ơ', 'Ơ', 'ư', 'Ư', 0x300, 0x301, 0x303, 0x309, 0x323:
		return true
	}
	return r >= 0x1EA0 && r <= 0x1EF9
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isVietnameseLetter(r rune) bool {
	return strings.ContainsRune("àáảãạâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộùúủũụỳýỷỹỵ", unicode.ToLower(r))
}

// Combining marks used to build letters; NFC composes them.
const (
	cmGrave   = '\u0300'
	cmAcute   = '\u0301'
	cmCircum  = '\u0302'
	cmTilde   = '\u0303'
	cmBreve   = '\u0306'
	cmHook    = '\u0309'
	cmHorn    = '\u031B'
	cmDotBelo = '\u0323'
)

// tcvn3 maps TCVN3 (ABC) bytes, as read in Windows-1252 (= Latin-1 from 0xA0 up), to
// letters: the lowercase letters and the capitals of ă â ê ô ơ ư đ. DetectLegacy takes
// its evidence from these; decoding also uses tcvn3Upper.
var tcvn3 = map[rune]string{
	0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
	0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
	0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
	0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
	0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
	0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
	0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
	0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
	0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
	0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
	0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
	0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
	0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
	0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}

// tcvn3Upper maps the other bytes of TCVN 5712:1993 (VN1), read as Windows-1252, to
// their letters: the 60 toned capitals and the separate tone marks 0xB0-0xB4 (combining
// marks, composed by NFC with the letter before them). From glibc iconv's TCVN5712-1
// mapping (testdata/tcvn3_capitals.tsv). The five bytes Windows-1252 leaves undefined
// (0x81 Ả, 0x8D Ì, 0x8F Ĩ, 0x90 Í, 0x9D Ù) are read as the C1 control of the same number,
// as browsers (WHATWG) and Latin-1 do; a decoder that turned them into U+FFFD has lost
// them. Capitals at C0 control bytes (0x01 Ú, 0x02 Ụ, 0x04-0x06 Ừ Ử Ữ, 0x11-0x17 Ứ Ự Ỳ
// Ỷ Ỹ Ý Ỵ) are read as those controls. DetectLegacy takes no evidence from this table:
// its readings (’ “ ” – — … ™ ° ² º À Á Â …) are common in other text.
var tcvn3Upper = map[rune]string{
	0x01: "Ú", 0x02: "Ụ", 0x04: "Ừ", 0x05: "Ử", 0x06: "Ữ",
	0x11: "Ứ", 0x12: "Ự", 0x13: "Ỳ", 0x14: "Ỷ", 0x15: "Ỹ", 0x16: "Ý", 0x17: "Ỵ",
	'€': "À", 0x81: "Ả", '‚': "Ã", 'ƒ': "Á", '„': "Ạ", '…': "Ặ", '†': "Ậ", '‡': "È",
	'ˆ': "Ẻ", '‰': "Ẽ", 'Š': "É", '‹': "Ẹ", 'Œ': "Ệ", 0x8D: "Ì", 'Ž': "Ỉ", 0x8F: "Ĩ",
	0x90: "Í", '‘': "Ị", '’': "Ò", '“': "Ỏ", '”': "Õ", '•': "Ó", '–': "Ọ", '—': "Ộ",
	'˜': "Ờ", '™': "Ở", 'š': "Ỡ", '›': "Ớ", 'œ': "Ợ", 0x9D: "Ù", 'ž': "Ủ", 'Ÿ': "Ũ",
	0xAF: "Ằ", 0xBA: "Ẳ", 0xBF: "Ẵ",
	0xB0: "\u0300", 0xB1: "\u0309", 0xB2: "\u0303", 0xB3: "\u0301", 0xB4: "\u0323",
	0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ", 0xC5: "Ề",
	0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ", 0xF0: "Ỗ", 0xFF: "Ố",
}

func decodeTCVN3(s string) string {
	var b strings.Builder
	for _, r := range s {
		if t, ok := tcvn3[r]; ok {
			b.WriteString(t)
		} else if t, ok := tcvn3Upper[r]; ok {
			b.WriteString(t)
		} else {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// vniMarks are the VNI-Windows mark bytes (as read in Latin-1, lower case) that follow a
// base vowel, with the combining marks they stand for: shape first, then tone.
var vniMarks = map[rune][]rune{
	'ø': {cmGrave}, 'ù': {cmAcute}, 'û': {cmHook}, 'õ': {cmTilde}, 'ï': {cmDotBelo},
	'â': {cmCircum}, 'à': {cmCircum, cmGrave}, 'á': {cmCircum, cmAcute}, 'å': {cmCircum, cmHook}, 'ã': {cmCircum, cmTilde}, 'ä': {cmCircum, cmDotBelo},
	'ê': {cmBreve}, 'è': {cmBreve, cmGrave}, 'é': {cmBreve, cmAcute}, 'ú': {cmBreve, cmHook}, 'ü': {cmBreve, cmTilde}, 'ë': {cmBreve, cmDotBelo},
}

// vniSingle are VNI bytes that are whole letters on their own.
var vniSingle = map[rune]string{
	'ô': "ơ", 'Ô': "Ơ", 'ö': "ư", 'Ö': "Ư", 'ñ': "đ", 'Ñ': "Đ",
	'æ': "ỉ", 'Æ': "Ỉ", 'ó': "ĩ", 'Ó': "Ĩ", 'ò': "ị", 'Ò': "Ị", 'î': "ỵ", 'Î': "Ỵ",
}

func decodeVNI(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		base := string(r)
		isBase := strings.ContainsRune("aeiouyAEIOUY", r)
		if t, ok := vniSingle[r]; ok {
			base = t
			isBase = r == 'ô' || r == 'Ô' || r == 'ö' || r == 'Ö' // ơ and ư take tones
		}
		b.WriteString(base)
		if !isBase || i+1 >= len(rs) {
			continue
		}
		marks, ok := vniMarks[unicode.ToLower(rs[i+1])]
		if !ok {
			continue
		}
		shape := len(marks) == 2 || marks[0] == cmCircum || marks[0] == cmBreve
		lower := unicode.ToLower(r)
		switch {
		case shape && marks[0] == cmCircum && !strings.ContainsRune("aeo", lower):
			continue
		case shape && marks[0] == cmBreve && lower != 'a':
			continue
		case shape && (lower == 'ô' || lower == 'ö'):
			continue
		}
		for _, m := range marks {
			b.WriteRune(m)
		}
		i++
	}
	return norm.NFC.String(b.String())
}

// decodeVIQR converts VIQR: after a vowel, "(" breve, "^" circumflex, "+" horn, then a
// tone "'" "`" "?" "~" "."; "dd" is đ; a backslash keeps the next character literal. "?"
// and "." count as tones only inside a word (followed by a letter), so sentence
// punctuation stays.
func decodeVIQR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			r, w := utf8.DecodeRuneInString(s[i+1:])
			b.WriteRune(r)
			i += 1 + w
			continue
		case (c == 'd' || c == 'D') && i+1 < len(s) && (s[i+1] == 'd' || s[i+1] == 'D'):
			if c == 'D' {
				b.WriteString("Đ")
			} else {
				b.WriteString("đ")
			}
			i += 2
			continue
		case strings.IndexByte("aeiouyAEIOUY", c) < 0:
			r, w := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += w
			continue
		}
		b.WriteByte(c)
		i++
		lower := c | 0x20
		if i < len(s) {
			switch m := s[i]; {
			case m == '(' && lower == 'a':
				b.WriteRune(cmBreve)
				i++
			case m == '^' && (lower == 'a' || lower == 'e' || lower == 'o'):
				b.WriteRune(cmCircum)
				i++
			case m == '+' && (lower == 'o' || lower == 'u'):
				b.WriteRune(cmHorn)
				i++
			}
		}
		if i < len(s) {
			inWord := i+1 < len(s) && isASCIILetter(s[i+1])
			switch s[i] {
			case '\'':
				b.WriteRune(cmAcute)
				i++
			case '`':
				b.WriteRune(cmGrave)
				i++
			case '~':
				b.WriteRune(cmTilde)
				i++
			case '?':
				if inWord {
					b.WriteRune(cmHook)
					i++
				}
			case '.':
				if inWord {
					b.WriteRune(cmDotBelo)
					i++
				}
			}
		}
	}
	return norm.NFC.String(b.String())
}
