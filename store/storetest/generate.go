package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

var words = strings.Fields(`người dân phản ánh đường phố ngập nước sau mưa lớn lũ lụt miền trung
sơ tán khẩn cấp cứu hộ chính quyền hỗ trợ bệnh viện quá tải thủ tục hành chính chậm trễ
cảnh báo lừa đảo chuyển khoản trước trúng thưởng tiền ảo giả mạo ngân hàng mật khẩu
hôm nay trời đẹp cà phê bạn bè trận đấu đội tuyển hội chợ sách ẩm thực giá xăng điện nước
mất điện tổng đài xe buýt trễ dịch vụ công cộng thời tiết lạnh nong qua troi oi khong biet`)

// Generate returns n synthetic, valid posts for benchmarks: fixture-like Vietnamese text
// of 12-40 words (a tenth typed without diacritics), spread over October and November
// 2026, with labels drawn at random. The same seed gives the same posts.
func Generate(n int, seed uint64) []*post.Post {
	r := rand.New(rand.NewPCG(seed, 0x6c616e67))
	platforms := []string{"rss", "mastodon", "xenforo", "bluesky"}
	narratives := []string{"flood", "scam", "public_service", "harassment", "public_safety"}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*post.Post, n)
	for i := range out {
		var b strings.Builder
		for w := 12 + r.IntN(29); w > 0; w-- {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		text := b.String()
		if r.IntN(10) == 0 {
			text = foldASCII(text)
		}
		platform := platforms[r.IntN(len(platforms))]
		at := start.Add(time.Duration(r.Int64N(int64(61 * 24 * time.Hour))))
		p := &post.Post{
			Schema: post.SchemaVersion, ID: post.MakeID(platform, "bench.example", fmt.Sprint(seed, "-", i)),
			Platform: platform, Source: platform + "-vn", Text: text, Lang: "vi",
			// about 5000 distinct pseudonymous authors, without drawing from r (keeps the
			// rest of the generated data as it was)
			Author:      post.Author{ID: fmt.Sprintf("a1:%032x", (uint64(i)*7919+seed)%5000)},
			PublishedAt: at, FetchedAt: at.Add(time.Minute),
			Metrics: post.Metrics{Likes: r.IntN(100)},
		}
		a := &post.Analysis{
			Model:     "bench@1",
			Sentiment: post.Label{Label: post.SentimentLabels[r.IntN(3)], Score: r.Float64()*2 - 1},
			Toxicity:  post.Label{Label: post.ToxicityLabels[r.IntN(3)], Score: r.Float64()},
			Flagged:   r.IntN(4) == 0,
		}
		for _, nid := range narratives {
			if r.IntN(5) == 0 {
				a.Narratives = append(a.Narratives, post.Narrative{ID: nid, Score: r.Float64()})
			}
		}
		if end := strings.IndexByte(text, ' '); end > 0 {
			a.Evidence = []post.Evidence{{For: "flood", Term: text[:end], Start: 0, End: end}}
		}
		p.Analysis = a
		out[i] = p
	}
	return out
}

// foldASCII drops Vietnamese diacritics the crude way people type without them.
func foldASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune("àáạảãâầấậẩẫăằắặẳẵ", r):
			r = 'a'
		case strings.ContainsRune("èéẹẻẽêềếệểễ", r):
			r = 'e'
		case strings.ContainsRune("ìíịỉĩ", r):
			r = 'i'
		case strings.ContainsRune("òóọỏõôồốộổỗơờớợởỡ", r):
			r = 'o'
		case strings.ContainsRune("ùúụủũưừứựửữ", r):
			r = 'u'
		case strings.ContainsRune("ỳýỵỷỹ", r):
			r = 'y'
		case r == 'đ':
			r = 'd'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// BenchQuery is the typical analyst query benchmarks run: folded free text (typed
// without diacritics) plus platform and flagged filters, newest first, 24h buckets.
func BenchQuery() store.Query {
	flagged := true
	return store.Query{Text: "lu lut", Platforms: []string{"rss", "mastodon"}, Flagged: &flagged, Interval: 24 * time.Hour}
}
