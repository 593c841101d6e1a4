package crawler

import (
	"strings"
	"testing"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/vntext"
)

// FixPostText by declared encoding: nothing declared means detection over title and text
// together (the title alone would not be enough evidence); "viqr" converts; encodings the
// Fetcher already decoded, and text that only looks foreign, are left alone.
func TestFixPostText(t *testing.T) {
	for _, c := range []struct {
		name, enc           string
		title, text         string
		wantTitle, wantText string
		from                vntext.Encoding
	}{
		{"tcvn3 detected", "", "b¶n tin cò", "Th«ng b¸o: B¶o Th¾ng mÊt ®iÖn", "bản tin cũ", "Thông báo: Bảo Thắng mất điện", vntext.TCVN3},
		{"vni detected", "", "", "Xin chaøo caùc baïn, hoâm nay trôøi ñeïp", "", "Xin chào các bạn, hôm nay trời đẹp", vntext.VNI},
		{"viqr declared", "viqr", "Tin mo+'i", "Vie^.t Nam", "Tin mới", "Việt Nam", vntext.VIQR},
		{"unicode left alone", "", "Tin mới", "Tiếng Việt có dấu", "Tin mới", "Tiếng Việt có dấu", ""},
		{"french left alone", "", "", "« Bonjour » à tous, ça va?", "", "« Bonjour » à tous, ça va?", ""},
		{"decoded by the fetcher", "tcvn3", "", "Th«ng b¸o", "", "Th«ng b¸o", ""},
		{"whatwg label", "windows-1258", "", "Vie^.t Nam dd", "", "Vie^.t Nam dd", ""},
	} {
		p := &post.Post{Title: c.title, Text: c.text}
		from := FixPostText(p, c.enc)
		if p.Title != c.wantTitle || p.Text != c.wantText || from != c.from {
			t.Errorf("%s: title %q text %q from %q; want %q, %q, %q", c.name, p.Title, p.Text, from, c.wantTitle, c.wantText, c.from)
		}
	}
}

// The Runner's per-post legacy check (no encoding declared: DetectLegacy over title and
// text) against CleanText of the same post, which every source already pays.
func BenchmarkFixPostText(b *testing.B) {
	text := strings.Repeat("Người dân Quảng Bình sơ tán khẩn cấp vì nước lũ dâng cao, chính quyền đã hỗ trợ. ", 6)
	b.Run("CleanText-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			_ = CleanText(text)
		}
	})
	b.Run("FixPostText-unicode", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			p := &post.Post{Title: "Tin lũ", Text: text}
			FixPostText(p, "")
		}
	})
}

// A declared tcvn3 body keeps the TCVN 5712 capitals, including those on the bytes
// Windows-1252 leaves undefined (0x81 Ả, 0x90 Í, 0x9D Ù) and on control bytes (0x04 Ừ).
func TestDecodeBodyTCVN3Capitals(t *testing.T) {
	raw := []byte("<p>\xa7\x80 N\xbfNG: C\x81NH B\x83O L\x04A \xa7\x81O, \x9dN T\xc0C \x99 C\xc1U \x90T NH\xc4T</p>")
	got, err := decodeBody(raw, "tcvn3")
	if err != nil {
		t.Fatal(err)
	}
	if want := "<p>ĐÀ NẴNG: CẢNH BÁO LỪA ĐẢO, ÙN TẮC Ở CẦU ÍT NHẤT</p>"; string(got) != want {
		t.Errorf("decodeBody = %q, want %q", got, want)
	}
}
