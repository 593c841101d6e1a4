package alerting

import (
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
)

func TestSegmentsMergeOverlapsAndCutLongText(t *testing.T) {
	text := "người gọi giả danh nhân viên ngân hàng"
	gs := strings.Index(text, "giả")
	p := &post.Post{Text: text, Analysis: &post.Analysis{Evidence: []post.Evidence{
		{For: "sentiment", Term: "giả", Start: gs, End: gs + len("giả")},
		{For: "scam", Term: "giả danh nhân viên", Start: gs, End: gs + len("giả danh nhân viên")},
	}}}
	var b strings.Builder
	for _, s := range segments(p, "ngan hang") {
		if s.Mark {
			b.WriteString("[" + s.For + ":" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	if got, want := b.String(), "người gọi [scam:giả danh nhân viên] [:ngân] [:hàng]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	long := strings.Repeat("lũ lụt miền Trung ", 100) + "lừa đảo"
	at := strings.Index(long, "lừa đảo")
	p = &post.Post{Text: long, PublishedAt: time.Now(), Analysis: &post.Analysis{Evidence: []post.Evidence{{For: "scam", Start: at, End: at + len("lừa đảo")}}}}
	segs := segments(p, "")
	total := 0
	for _, s := range segs {
		total += len(s.Text)
		if !strings.HasPrefix(s.Text, "…") && s.Text != strings.ToValidUTF8(s.Text, "") {
			t.Errorf("invalid UTF-8 in %q", s.Text)
		}
	}
	if segs[0].Text != "… " || total > snippetBytes+10 || !segs[len(segs)-1].Mark {
		t.Errorf("long text not cut around the evidence: %d bytes, %+v", total, segs)
	}
}
