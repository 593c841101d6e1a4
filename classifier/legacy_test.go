package classifier

import (
	"errors"
	"testing"
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
		// Left alone: Unicode Vietnamese, other languages, accentless Vietnamese, symbols.
		{"Tiếng Việt có dấu, chào các bạn", "", "Tiếng Việt có dấu, chào các bạn"},
		{"Xin chào, cà phê ở đâu?", "", "Xin chào, cà phê ở đâu?"},
		{"« Bonjour » à tous, ça va?", "", "« Bonjour » à tous, ça va?"},
		{"Nhiệt độ 30°C, diện tích 50 m² và 20 m²", "", "Nhiệt độ 30°C, diện tích 50 m² và 20 m²"},
		{"khong biet noi gi luon. ok? dc", "", "khong biet noi gi luon. ok? dc"},
		{"What? Really. Okay!", "", "What? Really. Okay!"},
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
