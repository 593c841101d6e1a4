package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/langnghe/langnghe/post"
)

// fx describes one fixture post compactly; build turns it into a valid *post.Post.
type fx struct {
	id         string // platform:site:native
	source     string
	title      string
	text       string
	at         string // RFC 3339
	sentiment  string
	toxicity   string
	narratives []string
	flagged    bool
	evidence   [][2]string // {for, term}: term must occur in text; offsets are computed
	noAnalysis bool
}

// fixtures are ~30 Vietnamese posts over October and November 2026, so two monthly
// partitions are used. Some are typed without diacritics, one has a title that holds the
// only flood word, one has a +07:00 offset, two share a timestamp (sort tie-break), one
// sits exactly on the month boundary and one has no analysis at all.
var fixtures = []fx{
	{"rss:vnexpress.net:1001", "vnexpress-rss", "", "Lũ lụt nghiêm trọng tại Quảng Nam, nhiều nhà dân bị ngập sâu.", "2026-10-05T03:00:00Z", "negative", "clean", []string{"flood"}, true, [][2]string{{"flood", "Lũ lụt"}, {"flood", "ngập sâu"}}, false},
	{"rss:vnexpress.net:1002", "vnexpress-rss", "", "Mưa lớn gây ngập úng nhiều tuyến đường ở Hà Nội.", "2026-10-05T10:00:00Z", "negative", "clean", []string{"flood"}, false, [][2]string{{"flood", "ngập úng"}}, false},
	{"mastodon:mastodon.social:2001", "mastodon-vn", "", "lu lut o mien trung qua kinh khung, moi nguoi giu an toan nhe", "2026-10-06T08:00:00Z", "negative", "clean", []string{"flood"}, true, [][2]string{{"flood", "lu lut"}}, false},
	{"xenforo:voz.vn:3001", "voz-forum", "", "Cảnh báo lừa đảo: yêu cầu chuyển khoản trước để nhận quà.", "2026-10-08T12:30:00Z", "negative", "clean", []string{"scam"}, true, [][2]string{{"scam", "lừa đảo"}, {"scam", "chuyển khoản trước"}}, false},
	{"bluesky:bsky.app:4001", "bsky-vn", "", "Thủ tục hành chính ở phường quá chậm, chờ cả buổi sáng.", "2026-10-10T02:15:00Z", "negative", "clean", []string{"public_service"}, false, nil, false},
	{"rss:tuoitre.vn:5001", "tuoitre-rss", "", "Đội tuyển Việt Nam thắng trận, người hâm mộ vui mừng.", "2026-10-12T14:00:00Z", "positive", "clean", nil, false, nil, false},
	{"mastodon:mastodon.social:2002", "mastodon-vn", "", "Hôm nay trời đẹp quá, đi cà phê với bạn bè.", "2026-10-12T14:00:00Z", "positive", "clean", nil, false, nil, false},
	{"xenforo:voz.vn:3002", "voz-forum", "", "Bọn lừa đảo này thật đáng khinh, ngu như bò.", "2026-10-15T20:00:00Z", "negative", "offensive", []string{"scam"}, true, [][2]string{{"offensive", "ngu như bò"}, {"scam", "lừa đảo"}}, false},
	{"rss:vnexpress.net:1003", "vnexpress-rss", "", "Nước lũ dâng cao, người dân Huế phải sơ tán khẩn cấp.", "2026-10-20T06:45:00Z", "negative", "clean", []string{"flood", "public_safety"}, true, [][2]string{{"public_safety", "sơ tán khẩn cấp"}}, false},
	{"bluesky:bsky.app:4002", "bsky-vn", "", "Bệnh viện quá tải, bệnh nhân phải nằm ghép.", "2026-10-22T09:00:00Z", "negative", "clean", []string{"public_service"}, false, nil, false},
	{"mastodon:mastodon.social:2003", "mastodon-vn", "", "nhan tin trung thuong, chuyen khoan truoc 500k de nhan qua", "2026-10-25T11:11:00Z", "negative", "clean", []string{"scam"}, true, [][2]string{{"scam", "chuyen khoan truoc"}}, false},
	{"rss:tuoitre.vn:5002", "tuoitre-rss", "", "Giá xăng giảm nhẹ từ chiều nay.", "2026-10-28T08:00:00Z", "neutral", "clean", nil, false, nil, false},
	{"xenforo:voz.vn:3003", "voz-forum", "", "Có ai biết quán phở ngon ở quận 3 không?", "2026-10-31T23:30:00Z", "neutral", "clean", nil, false, nil, false},
	{"rss:vnexpress.net:1004", "vnexpress-rss", "", "Lũ lụt tái diễn ở miền Trung đầu tháng 11.", "2026-11-01T00:00:00Z", "negative", "clean", []string{"flood"}, false, [][2]string{{"flood", "Lũ lụt"}}, false},
	{"bluesky:bsky.app:4003", "bsky-vn", "", "Đường ngập nước, xe chết máy hàng loạt.", "2026-11-02T07:20:00Z", "negative", "clean", []string{"flood"}, false, nil, false},
	{"mastodon:mastodon.social:2004", "mastodon-vn", "", "Tụi mày là lũ ngu, cút đi 😡 :(", "2026-11-03T22:00:00Z", "negative", "hate", []string{"harassment"}, true, [][2]string{{"hate", "lũ ngu"}}, false},
	{"xenforo:voz.vn:3004", "voz-forum", "", "Điện thoại mất sóng cả ngày, tổng đài không trả lời.", "2026-11-05T13:00:00Z", "negative", "clean", []string{"public_service"}, false, nil, false},
	{"rss:tuoitre.vn:5003", "tuoitre-rss", "", "Hội chợ sách mở cửa miễn phí cuối tuần này.", "2026-11-07T01:00:00Z", "positive", "clean", nil, false, nil, false},
	{"mastodon:mastodon.social:2005", "mastodon-vn", "", "Mọi người cẩn thận trang web giả mạo ngân hàng, đừng nhập mật khẩu.", "2026-11-09T15:30:00Z", "negative", "clean", []string{"scam"}, true, [][2]string{{"scam", "giả mạo ngân hàng"}}, false},
	{"bluesky:bsky.app:4004", "bsky-vn", "", "ngap het roi, nuoc vao tan nha", "2026-11-10T04:00:00Z", "negative", "clean", []string{"flood"}, false, nil, false},
	{"rss:vnexpress.net:1005", "vnexpress-rss", "", "Chính quyền hỗ trợ người dân vùng lũ lụt khắc phục hậu quả.", "2026-11-12T10:00:00Z", "positive", "clean", []string{"flood"}, false, nil, false},
	{"xenforo:voz.vn:3005", "voz-forum", "", "Trận đấu tối qua hay quá anh em ơi.", "2026-11-14T16:00:00Z", "positive", "clean", nil, false, nil, false},
	{"mastodon:mastodon.social:2006", "mastodon-vn", "", "Xe buýt trễ 40 phút, dịch vụ công cộng tệ thật.", "2026-11-15T08:30:00Z", "negative", "clean", []string{"public_service"}, false, nil, false},
	{"rss:tuoitre.vn:5004", "tuoitre-rss", "", "Thời tiết Hà Nội chuyển lạnh.", "2026-11-18T00:30:00Z", "neutral", "clean", nil, false, nil, false},
	{"bluesky:bsky.app:4005", "bsky-vn", "", "Đầu tư tiền ảo lãi 30% mỗi tháng, cam kết không lỗ!", "2026-11-20T05:00:00Z", "positive", "clean", []string{"scam"}, true, [][2]string{{"scam", "cam kết không lỗ"}}, false},
	{"xenforo:voz.vn:3006", "voz-forum", "", "Thằng đó đúng là đồ rác rưởi.", "2026-11-21T19:00:00Z", "negative", "offensive", []string{"harassment"}, true, [][2]string{{"offensive", "đồ rác rưởi"}}, false},
	{"mastodon:mastodon.social:2007", "mastodon-vn", "", "Cảm ơn các chiến sĩ cứu hộ trong mùa lũ.", "2026-11-22T03:00:00Z", "positive", "clean", []string{"flood"}, false, nil, false},
	{"rss:vnexpress.net:1006", "vnexpress-rss", "Ngập lụt ở TP.HCM", "Triều cường khiến nhiều khu dân cư ngập nặng.", "2026-11-25T09:00:00Z", "negative", "clean", []string{"flood"}, true, [][2]string{{"flood", "ngập nặng"}}, false},
	{"bluesky:bsky.app:4006", "bsky-vn", "", "Mất điện cả khu phố mà không báo trước.", "2026-11-27T12:00:00Z", "negative", "clean", []string{"public_service"}, false, nil, false},
	{"rss:tuoitre.vn:5005", "tuoitre-rss", "", "Khai mạc lễ hội ẩm thực đường phố.", "2026-11-29T16:59:59+07:00", "positive", "clean", nil, false, nil, false},
	{"mastodon:mastodon.social:2008", "mastodon-vn", "", "Chào buổi sáng cả nhà", "2026-11-30T01:00:00Z", "", "", nil, false, nil, true},
}

// Fixtures returns fresh copies of the conformance fixture posts (callers may mutate
// them). Every post passes post.Validate.
func Fixtures() []*post.Post {
	out := make([]*post.Post, len(fixtures))
	for i, f := range fixtures {
		out[i] = f.build()
	}
	return out
}

func (f fx) build() *post.Post {
	at, err := time.Parse(time.RFC3339, f.at)
	if err != nil {
		panic(fmt.Sprintf("fixture %s: %v", f.id, err))
	}
	platform := f.id[:strings.IndexByte(f.id, ':')]
	p := &post.Post{
		Schema:   post.SchemaVersion,
		ID:       f.id,
		Platform: platform,
		Source:   f.source,
		URL:      "https://example.test/" + strings.ReplaceAll(f.id, ":", "/"),
		// Several posts per author (same source, same text length mod 3), so unique-author
		// counts differ from post counts.
		Author:      post.Author{ID: post.PseudonymizeAuthor([]byte("storetest"), platform, fmt.Sprintf("%s-%d", f.source, len(f.text)%3))},
		Title:       f.title,
		Text:        f.text,
		Lang:        "vi",
		PublishedAt: at,
		FetchedAt:   at.Add(90*time.Second + 123456789*time.Nanosecond),
		Metrics:     post.Metrics{Likes: len(f.text) % 7, Shares: len(f.text) % 3, Replies: len(f.id) % 5},
	}
	if f.noAnalysis {
		return p
	}
	a := &post.Analysis{
		Model:     "default@2026.11.1",
		Sentiment: post.Label{Label: f.sentiment, Score: map[string]float64{"negative": -0.71, "neutral": 0, "positive": 0.64}[f.sentiment]},
		Toxicity:  post.Label{Label: f.toxicity, Score: map[string]float64{"clean": 0.05, "offensive": 0.62, "hate": 0.93}[f.toxicity]},
		Flagged:   f.flagged,
	}
	for _, n := range f.narratives {
		a.Narratives = append(a.Narratives, post.Narrative{ID: n, Score: 0.875})
	}
	for _, e := range f.evidence {
		i := strings.Index(f.text, e[1])
		if i < 0 {
			panic(fmt.Sprintf("fixture %s: evidence %q not in text", f.id, e[1]))
		}
		a.Evidence = append(a.Evidence, post.Evidence{For: e[0], Term: e[1], Start: i, End: i + len(e[1])})
	}
	p.Analysis = a
	return p
}
