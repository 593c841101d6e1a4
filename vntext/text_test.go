package vntext

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lowercase", "HÀ NỘI", "hà nội"},
		{"tone on first vowel of open oa", "hoà", "hòa"},
		{"already classic oa", "hòa", "hòa"},
		{"tone on first vowel of open oe", "khoẻ", "khỏe"},
		{"tone on first vowel of open uy", "thuỷ", "thủy"},
		{"uppercase new style", "THUỶ", "thủy"},
		{"closed syllable keeps tone on last vowel", "hoàng", "hoàng"},
		{"misplaced tone in closed syllable moves", "hòang", "hoàng"},
		{"triphthong tone in the middle", "hoaì", "hoài"},
		{"uyu", "khuyủ", "khuỷu"},
		{"modified vowel takes the tone (ươ → ơ)", "ngừơi", "người"},
		{"modified vowel takes the tone (uô → ô)", "thúôc", "thuốc"},
		{"qu onset", "qúy", "quý"},
		{"gi onset", "gìa", "già"},
		{"gi alone keeps i", "gì", "gì"},
		{"NFD input composes", "Vie\u0302\u0323t Nam", "việt nam"},
		{"NFD with misplaced tone", "hoa\u0300", "hòa"},
		{"punctuation and spaces kept", "Xin chào, thế giới!", "xin chào, thế giới!"},
		{"teencode is not expanded by Normalize", "ko", "ko"},
		{"invalid UTF-8 replaced", "a\xffb", "a\uFFFDb"},
		{"other scripts lowercased", "Straße ÄRGER", "straße ärger"},
		{"đ uppercase", "ĐÀ NẴNG", "đà nẵng"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := Normalize(tt.want); got != tt.want {
				t.Errorf("Normalize is not idempotent on %q: %q", tt.want, got)
			}
			if !norm.NFC.IsNormalString(Normalize(tt.in)) {
				t.Errorf("Normalize(%q) is not NFC", tt.in)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Lũ lụt ở Quảng Bình", "lu lut o quang binh"},
		{"Đường đi", "duong di"},
		{"hoà / hòa", "hoa / hoa"},
		{"Nguyễn Thị Ánh", "nguyen thi anh"},
		{"ăâêôơư", "aaeoou"},
		{"NFD: Vie\u0302\u0323t", "nfd: viet"},
		{"café naïve", "cafe naive"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// tok is a compact expectation for Tokenize: the original text, Norm and Folded.
type tok struct{ orig, norm, folded string }

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []tok
	}{
		{"syllables with offsets", "Xin chào", []tok{{"Xin", "xin", "xin"}, {"chào", "chào", "chao"}}},
		{"tone convention in Norm", "Hoà bình", []tok{{"Hoà", "hòa", "hoa"}, {"bình", "bình", "binh"}}},
		{"teencode không", "ko k hok khum kh", []tok{
			{"ko", "không", "khong"}, {"k", "không", "khong"}, {"hok", "không", "khong"},
			{"khum", "không", "khong"}, {"kh", "không", "khong"}}},
		{"teencode được, gì, với", "Dc đc j vs", []tok{
			{"Dc", "được", "duoc"}, {"đc", "được", "duoc"}, {"j", "gì", "gi"}, {"vs", "với", "voi"}}},
		{"multi-syllable expansion keeps one token", "mn ơi bn tiền", []tok{
			{"mn", "mọi người", "moi nguoi"}, {"ơi", "ơi", "oi"}, {"bn", "bao nhiêu", "bao nhieu"}, {"tiền", "tiền", "tien"}}},
		{"numbers with units are not teencode", "50k 2kg", []tok{{"50k", "50k", "50k"}, {"2kg", "2kg", "2kg"}}},
		{"emoticons", "vui :))) =)) :( :D <3 ^^", []tok{
			{"vui", "vui", "vui"}, {":)))", ":))", ":))"}, {"=))", "=))", "=))"}, {":(", ":(", ":("},
			{":D", ":d", ":d"}, {"<3", "<3", "<3"}, {"^^", "^^", "^^"}}},
		{"not emoticons: time, url, comparison, word after colon", "10:30 http://x.vn <30 lưu ý:Dạ", []tok{
			{"10", "10", "10"}, {"30", "30", "30"}, {"http", "http", "http"}, {"x", "x", "x"},
			{"vn", "vn", "vn"}, {"30", "30", "30"}, {"lưu", "lưu", "luu"}, {"ý", "ý", "y"}, {"Dạ", "dạ", "da"}}},
		{"emoji each a token, modifiers dropped", "ngon😋😋 ❤️ 👍🏽", []tok{
			{"ngon", "ngon", "ngon"}, {"😋", "😋", "😋"}, {"😋", "😋", "😋"}, {"❤️", "❤", "❤"}, {"👍🏽", "👍", "👍"}}},
		{"ZWJ sequence is one token", "👨\u200d👩\u200d👧 ok", []tok{{"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"}, {"ok", "ok", "ok"}}},
		{"NFD syllable keeps original offsets", "Vie\u0302\u0323t", []tok{{"Vie\u0302\u0323t", "việt", "viet"}}},
		{"invalid UTF-8 separates", "ab\xffcd", []tok{{"ab", "ab", "ab"}, {"cd", "cd", "cd"}}},
		{"punctuation separates", "lũ-lụt, (bão)", []tok{{"lũ", "lũ", "lu"}, {"lụt", "lụt", "lut"}, {"bão", "bão", "bao"}}},
		{"empty", "", nil},
		{"only spaces", "  \n\t ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokenize(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("Tokenize(%q) gave %d tokens %v, want %d", tt.in, len(got), got, len(tt.want))
			}
			for i, g := range got {
				w := tt.want[i]
				if orig := tt.in[g.Start:g.End]; orig != w.orig || g.Norm != w.norm || g.Folded != w.folded {
					t.Errorf("token %d = {%q %q %q}, want {%q %q %q}", i, orig, g.Norm, g.Folded, w.orig, w.norm, w.folded)
				}
			}
		})
	}
}

func TestFoldedText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Lũ lụt ở Quảng Bình!!", "lu lut o quang binh"},
		{"lu lut o Quang Binh", "lu lut o quang binh"},
		{"Mn ơi, ko đi dc", "moi nguoi oi khong di duoc"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := FoldedText(tt.in); got != tt.want {
			t.Errorf("FoldedText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTeencodeFileParses keeps a broken teencode.tsv from shipping: the normalizer
// would otherwise silently run without expansions.
func TestTeencodeFileParses(t *testing.T) {
	d, err := loadTeencode()
	if err != nil {
		t.Fatal(err)
	}
	if len(d) < 20 {
		t.Errorf("teencode dictionary has %d entries, want at least 20", len(d))
	}
	for _, bad := range []string{"ko", "ko\t", "hai từ\tx", "ko\tkhông\nko\tkhông"} {
		if _, err := parseTeencode("t.tsv", strings.NewReader(bad)); err == nil {
			t.Errorf("parseTeencode(%q) succeeded, want an error", bad)
		}
	}
}

// checkTokens asserts the invariants every Tokenize result must keep.
func checkTokens(t *testing.T, s string, toks []Token) {
	t.Helper()
	prev := 0
	for i, tk := range toks {
		if tk.Start < prev || tk.End <= tk.Start || tk.End > len(s) {
			t.Fatalf("token %d has offsets %d..%d (previous end %d, len %d)", i, tk.Start, tk.End, prev, len(s))
		}
		if !utf8.ValidString(s[tk.Start:tk.End]) {
			t.Fatalf("token %d spans invalid UTF-8 %q", i, s[tk.Start:tk.End])
		}
		if tk.Norm == "" || tk.Folded == "" || !utf8.ValidString(tk.Norm) || !utf8.ValidString(tk.Folded) {
			t.Fatalf("token %d has Norm %q Folded %q", i, tk.Norm, tk.Folded)
		}
		prev = tk.End
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"Hoà bình", "ko dc j :)) <3", "a\xffb", "Vie\u0302\u0323t", "👨\u200d👩\u200d👧🇻🇳", ":-((( =)", "\u0301a", "<333 ^_^"} {
		f.Add(s)
	}
	var mu sync.Mutex
	var z Tokenizer // shared across inputs, so its word cache carries state between them
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokenize(s)
		checkTokens(t, s, toks)
		mu.Lock()
		cached := slices.Clone(z.Tokenize(s))
		mu.Unlock()
		if !slices.Equal(cached, toks) {
			t.Fatalf("the word-cache path tokenizes %q as %+v, Tokenize as %+v", s, cached, toks)
		}
		var folded []string
		for _, tk := range toks {
			folded = append(folded, tk.Folded)
		}
		if got := FoldedText(s); got != strings.Join(folded, " ") {
			t.Fatalf("FoldedText(%q) = %q, tokens give %q", s, got, strings.Join(folded, " "))
		}
		n := Normalize(s)
		if !utf8.ValidString(n) || Normalize(n) != n {
			t.Fatalf("Normalize(%q) = %q is not valid and idempotent (%q)", s, n, Normalize(n))
		}
	})
}

var benchText = strings.Repeat("Mn ơi, lũ lụt ở Quảng Bình nước ngập tới mái nhà rồi, ko ai đi dc đâu :(( "+
	"Hoà bình và thuỷ lợi, khoẻ không? Giá rau hôm nay tăng quá 😢 ", 8)

func BenchmarkTokenize(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	for b.Loop() {
		Tokenize(benchText)
	}
}

func BenchmarkFoldedText(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	b.ReportAllocs()
	for b.Loop() {
		FoldedText(benchText)
	}
}

// TestWordCacheGivesTokenizeForms: hot paths tokenize through a Tokenizer's cache of word
// forms (and hands out the cache's strings instead of copying them). Whether a
// word is a miss, a hit, or too long to cache (> symInline bytes, such as NFD syllables
// and long words), the tokens must be exactly Tokenize's, including when a word evicts
// another from its slot and when the same Tokenizer tokenizes several texts in a row.
func TestWordCacheGivesTokenizeForms(t *testing.T) {
	texts := []string{
		"Mn ơi, ko đi dc đâu :(( Hoà bình và thuỷ lợi, khoẻ không?",
		"HÒA thuỷ hòang Vie\u0302\u0323t Nam người NGƯỜI Người",
		"abcdefghijklmnopqrstuvwxyz abcdefghijklmno abcdefghijklmnop nghiêngggggggg",
		"👍🏽❤️ 🇻🇳 =)) <333 ^^ a\xffb \u0301 Κόσμος мир 世界",
		"", "ko", "mn", "mn mn mn",
	}
	var z Tokenizer
	for round := range 3 {
		for _, s := range texts {
			got := z.Tokenize(s)
			want := Tokenize(s)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: Tokenizer.Tokenize(%q) =\n%+v\nTokenize =\n%+v", round, s, got, want)
			}
			var each []Token
			EachToken(s, func(t Token) {
				t.Norm, t.Folded = strings.Clone(t.Norm), strings.Clone(t.Folded)
				each = append(each, t)
			})
			if len(want) == 0 && len(each) == 0 {
				continue
			}
			if !slices.Equal(each, want) {
				t.Fatalf("round %d: EachToken(%q) =\n%+v\nTokenize =\n%+v", round, s, each, want)
			}
		}
	}
	// Evictions: more distinct words than the cache has slots, then the first ones again.
	var sb strings.Builder
	for i := range 3 << wordCacheBits {
		fmt.Fprintf(&sb, "từ%d ", i)
	}
	big := sb.String()
	for range 2 {
		if got, want := z.Tokenize(big), Tokenize(big); !slices.Equal(got, want) {
			t.Fatal("Tokenizer.Tokenize differs from Tokenize after evictions")
		}
	}
}

// TestSymbolTable: packing keeps the length, so strings that differ only by trailing NUL
// bytes or across the 8-byte and 15-byte boundaries are distinct keys; longer strings
// fall back to a map.
func TestSymbolTable(t *testing.T) {
	keys := []string{"", "a", "a\x00", "a\x00\x00", "ab", "abc", "abcd", "abcdefg", "abcdefgh",
		"abcdefgh\x00", "abcdefghi", "abcdefghijklmn", "abcdefghijklmno", "abcdefghijklmnop",
		"abcdefghijklmnopq", "người", "nguời", "trường", "nghiêng", "khong", "không"}
	var st SymbolTable
	for i, k := range keys {
		st.Put(k, int32(i+1))
	}
	for i, k := range keys {
		if got := st.GetString(k); got != int32(i+1) {
			t.Errorf("GetString(%q) = %d, want %d", k, got, i+1)
		}
		if got := st.Get([]byte(k)); got != int32(i+1) {
			t.Errorf("Get(%q) = %d, want %d", k, got, i+1)
		}
	}
	for _, k := range []string{"b", "abcdefgi", "abcdefghijklmnoq", "ngươi"} {
		if got := st.GetString(k); got != 0 {
			t.Errorf("GetString(%q) = %d, want 0 (absent)", k, got)
		}
	}
}

// TestDecodeRune: the inline decoder agrees with utf8.DecodeRuneInString on every lead
// byte followed by every continuation pattern, including truncated and invalid input.
func TestDecodeRune(t *testing.T) {
	tails := []string{"", "\x80", "\xbf", "\x80\x80", "\xbf\xbf", "\xa0\x80", "\x9f\xbf", "a", "\x80a", "\xc0\x80", "\x80\x80\x80"}
	for c := 0x80; c <= 0xff; c++ {
		for _, tail := range tails {
			s := "x" + string([]byte{byte(c)}) + tail
			r, w := decodeRune(s, 1)
			wr, ww := utf8.DecodeRuneInString(s[1:])
			if r != wr || w != ww {
				t.Errorf("decodeRune(%q) = %U,%d; utf8 gives %U,%d", s[1:], r, w, wr, ww)
			}
		}
	}
	for _, s := range []string{"ầ", "ệ", "ữ", "đ", "Đ", "ơ", "€", "\u0301", "😀", "\uFFFD", "\uD7FF", "\uE000"} {
		r, w := decodeRune(s, 0)
		wr, ww := utf8.DecodeRuneInString(s)
		if r != wr || w != ww {
			t.Errorf("decodeRune(%q) = %U,%d; utf8 gives %U,%d", s, r, w, wr, ww)
		}
	}
}

// TestSlotData: a caller keeps data about a cached word in its SlotData. The data of a
// repeated word is shared while its slot holds it, uncached words have none, and a slot
// refilled with another word starts empty, so data is never reused for the wrong word.
func TestSlotData(t *testing.T) {
	var z Tokenizer
	toks := z.Tokenize("lũ lụt lũ abcdefghijklmnopqrstuvwxyz")
	d0, d1, d2, d3 := z.SlotData(0), z.SlotData(1), z.SlotData(2), z.SlotData(3)
	if d0 == nil || d0 != d2 {
		t.Errorf("repeated word lũ has slot data %p and %p, want one", d0, d2)
	}
	if d0 == d1 {
		t.Errorf("lũ and lụt share slot data")
	}
	if d3 != nil {
		t.Errorf("a word too long to cache (%q) has slot data", toks[3].Norm)
	}
	// Tag every word with its own text's length; after many evictions, a word whose
	// tag is set must carry its own value.
	var sb strings.Builder
	for i := range 3 << wordCacheBits {
		fmt.Fprintf(&sb, "từ%d ", i)
	}
	for range 2 {
		toks := z.Tokenize(sb.String())
		for i, tk := range toks {
			d := z.SlotData(i)
			if d == nil {
				continue // evicted by a later word of the same text
			}
			if d.Tag != 0 && int(d.A) != len(tk.Norm) {
				t.Fatalf("%q carries the slot data of another word (%+v)", tk.Norm, *d)
			}
			*d = SlotData{Tag: 1, A: int32(len(tk.Norm))}
		}
	}
	z.ClearSlotData()
	z.Tokenize("lũ")
	if d := z.SlotData(0); *d != (SlotData{}) {
		t.Errorf("after ClearSlotData: %+v", *d)
	}
}

// TestNoWordRuneIn: isWordRune's fast rejection agrees with the unicode tables on every
// rune it rejects, so the tokens do not depend on it.
func TestNoWordRuneIn(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !noWordRuneIn(r) {
			continue
		}
		n++
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			t.Errorf("noWordRuneIn(%U) but it is a letter, digit or mark", r)
		}
	}
	if n == 0 {
		t.Fatal("noWordRuneIn rejects nothing")
	}
}

// TestWordCacheEvictsLeastRecentlyUsed: of three words of one set, the third evicts the
// one of the first two used less recently.
func TestWordCacheEvictsLeastRecentlyUsed(t *testing.T) {
	bySet := map[uint64][]string{}
	var w []string
	for a := 'a'; a <= 'z' && w == nil; a++ {
		for b := 'a'; b <= 'z' && w == nil; b++ {
			for c := 'a'; c <= 'z' && w == nil; c++ {
				s := string([]rune{a, b, c})
				k0, k1, _ := packSym(s)
				set := wordSet(k0, k1) % wordSets
				if bySet[set] = append(bySet[set], s); len(bySet[set]) == 3 {
					w = bySet[set]
				}
			}
		}
	}
	if w == nil {
		t.Fatal("no three words of one set")
	}
	var z Tokenizer
	z.Tokenize(w[0])
	k0, k1, _ := packSym(w[0])
	if got, first := z.words.find(w[0]), &z.words.slots[wordSet(k0, k1)%wordSets][0]; got != first {
		t.Errorf("the first word of a set is not in its first slot")
	}
	for _, s := range []string{w[1], w[0], w[2]} { // w[1] is the least recently used
		z.Tokenize(s)
	}
	for i, want := range []bool{true, false, true} {
		if got := z.words.find(w[i]) != nil; got != want {
			t.Errorf("after %s %s %s %s: %q cached %v, want %v", w[0], w[1], w[0], w[2], w[i], got, want)
		}
	}
}
