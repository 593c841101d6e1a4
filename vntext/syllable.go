package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

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
