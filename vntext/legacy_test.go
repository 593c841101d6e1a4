package vntext

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestDecodeLegacy(t *testing.T) {
	for _, c := range []struct {
		enc      Encoding
		in, want string
	}{
		{TCVN3, "B¶o Th¾ng", "Bảo Thắng"},
		{TCVN3, "M\u00adêng Kh\u00ad¬ng", "Mường Khương"}, // ư is 0xAD, a soft hyphen in Latin-1
		{TCVN3, "B¸t X¸t", "Bát Xát"},
		{TCVN3, "§µ N½ng", "Đà Nẵng"},
		// Capitals of TCVN 5712 (VN1), as the bytes read in Windows-1252: Ủ is ž, Ỉ Ž,
		// Á ƒ, Ẩ Â; Ả is byte 0x81, which Windows-1252 leaves undefined (read as U+0081).
		{TCVN3, "žY BAN NH¢N D¢N TŽNH QU\u0081NG NINH TH¤NG BƒO KHÂN", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH THÔNG BÁO KHẨN"},
		{TCVN3, "àn ®Þnh gi¸ ®iÖn. Äp B¾c, Ú Èm, žy ban, ™ ®©u?", "Ổn định giá điện. Ấp Bắc, Ế ẩm, Ủy ban, Ở đâu?"},
		{TCVN3, "\u0081NH: \u009dN TÀC ™ CÁU \u0090T NHÄT \u008fNH \u008dNH", "ẢNH: ÙN TẮC Ở CẦU ÍT NHẤT ĨNH ÌNH"},
		{TCVN3, "§€ N¿NG: C\u0081NH BƒO L\u0004A §\u0081O CHUYÍN KHO\u0081N", "ĐÀ NẴNG: CẢNH BÁO LỪA ĐẢO CHUYỂN KHOẢN"}, // Ừ is control byte 0x04
		// Separate tone marks 0xB0-0xB4 (° ± ² ³ ´) compose with the letter before them.
		{TCVN3, "Viª´t Nam, ba³o, ca°, mu±, ng©²", "Việt Nam, báo, cà, mủ, ngẫ"},
		{VNI, "Xin chaøo caùc baïn", "Xin chào các bạn"},
		{VNI, "Tieáng Vieät", "Tiếng Việt"},
		{VNI, "ñaát nöôùc", "đất nước"},
		{VNI, "Ñaø Naüng", "Đà Nẵng"},
		{VNI, "tyû leä", "tỷ lệ"},
		{VIQR, "Tie^'ng Vie^.t", "Tiếng Việt"},
		{VIQR, "dda^'t nu+o+'c", "đất nước"},
		{VIQR, "Ha` No^.i.", "Hà Nội."}, // the final "." is punctuation
		// A word-final "?" or "." is read as punctuation (VIQR's own ambiguity): "khoe?" stays.
		{VIQR, "Ba.n co' khoe? kho^ng?", "Bạn có khoe? không?"},
		{VIQR, "kho?e kho^ng", "khỏe không"},
		{VIQR, `a\.b`, "a.b"},
	} {
		got, err := DecodeLegacy(c.in, c.enc)
		if err != nil || got != c.want {
			t.Errorf("DecodeLegacy(%q, %s) = %q, %v; want %q", c.in, c.enc, got, err, c.want)
		}
	}
	if _, err := DecodeLegacy("x", "utf-7"); !errors.Is(err, ErrEncoding) {
		t.Errorf("unknown encoding: %v", err)
	}
	for _, n := range []string{"ABC", "tcvn3", "VNI-Windows", "viqr"} {
		if _, err := ParseEncoding(n); err != nil {
			t.Errorf("ParseEncoding(%q): %v", n, err)
		}
	}
}

func TestFixLegacy(t *testing.T) {
	for _, c := range []struct {
		in   string
		enc  Encoding
		want string
	}{
		{"Th«ng b¸o: B¶o Th¾ng mÊt ®iÖn", TCVN3, "Thông báo: Bảo Thắng mất điện"},
		{"Xin chaøo caùc baïn, hoâm nay trôøi ñeïp", VNI, "Xin chào các bạn, hôm nay trời đẹp"},
		{"Tie^'ng Vie^.t co' da^'u", VIQR, "Tiếng Việt có dấu"},
		// Capitals read as Œ œ Š š Ž ž Ÿ ƒ are no evidence of Unicode Vietnamese.
		{"žy ban nh©n d©n tØnh th«ng b¸o: BÖnh viÖn Ú Èm", TCVN3, "Ủy ban nhân dân tỉnh thông báo: Bệnh viện Ế ẩm"},
		{"žY BAN NH¢N D¢N TŽNH TH¤NG BƒO", TCVN3, "ỦY BAN NHÂN DÂN TỈNH THÔNG BÁO"},
		// Left alone: Unicode Vietnamese, other languages, accentless Vietnamese, symbols.
		{"Tiếng Việt có dấu, chào các bạn", "", "Tiếng Việt có dấu, chào các bạn"},
		{"Xin chào, cà phê ở đâu?", "", "Xin chào, cà phê ở đâu?"},
		{"« Bonjour » à tous, ça va?", "", "« Bonjour » à tous, ça va?"},
		{"Nhiệt độ 30°C, diện tích 50 m² và 20 m²", "", "Nhiệt độ 30°C, diện tích 50 m² và 20 m²"},
		{"khong biet noi gi luon. ok? dc", "", "khong biet noi gi luon. ok? dc"},
		{"What? Really. Okay!", "", "What? Really. Okay!"},
		{"L’œuvre « Cœur » coûte 30 € — c’est ça. Ÿ, Š, ž.", "", "L’œuvre « Cœur » coûte 30 € — c’est ça. Ÿ, Š, ž."},
		{"It’s 25°C – “hot”… Nº 5, 2² m², ¿qué?", "", "It’s 25°C – “hot”… Nº 5, 2² m², ¿qué?"},
		{"ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH THÔNG BÁO KHẨN", "", "ỦY BAN NHÂN DÂN TỈNH QUẢNG NINH THÔNG BÁO KHẨN"},
	} {
		got, enc := FixLegacy(c.in)
		if got != c.want || enc != c.enc {
			t.Errorf("FixLegacy(%q) = %q, %q; want %q, %q", c.in, got, enc, c.want, c.enc)
		}
	}
}

func FuzzFixLegacy(f *testing.F) {
	for _, s := range []string{"B¶o Th¾ng", "Xin chaøo", "Vie^.t", "\xff\xfe", "aø\u0301", "dd\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := FixLegacy(s)
		for _, enc := range []Encoding{TCVN3, VNI, VIQR} {
			_, _ = DecodeLegacy(s, enc)
		}
		_ = Tokenize(out)
	})
}

// Every capital letter and separate tone mark of TCVN 5712 (VN1), one per line of
// testdata/tcvn3_capitals.tsv (generated with glibc iconv), decodes from its
// Windows-1252 reading. A tone mark is tried after "a".
func TestTCVN3Capitals(t *testing.T) {
	b, err := os.ReadFile("testdata/tcvn3_capitals.tsv")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("testdata/tcvn3_capitals.tsv:%d: want 4 tab-separated fields, got %q", i+1, line)
		}
		var reading, letter rune
		if _, err := fmt.Sscanf(f[1]+" "+f[2], "U+%X U+%X", &reading, &letter); err != nil {
			t.Fatalf("testdata/tcvn3_capitals.tsv:%d: %v", i+1, err)
		}
		in, want := string(reading), string(letter)
		if unicode.Is(unicode.Mn, letter) {
			in, want = "a"+in, norm.NFC.String("a"+want)
		}
		got, _ := DecodeLegacy(in, TCVN3)
		if got != want {
			t.Errorf("testdata/tcvn3_capitals.tsv:%d: byte %s (%s): DecodeLegacy(%q) = %q, want %q", i+1, f[0], f[3], in, got, want)
		}
		rows++
	}
	if rows != 72 { // 67 capitals (60 toned + Ă Â Ê Ô Ơ Ư Đ) and 5 tone marks
		t.Errorf("%d rows, want 72", rows)
	}
}
