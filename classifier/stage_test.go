package classifier

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
)

type memPublisher struct {
	mu   sync.Mutex
	msgs []bus.Message
}

func (p *memPublisher) Publish(_ context.Context, _ string, msgs ...bus.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msgs...)
	return nil
}

// TestStageCountsNarratives: /metrics has a counter per narrative id of the model, at 0
// before any post, and each published post adds one per narrative the classifier found
// (the count is compared with the narratives of the published posts themselves). Crawled
// text cannot add a label: the series are exactly the model's narrative ids.
func TestStageCountsNarratives(t *testing.T) {
	m, err := LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	pub := &memPublisher{}
	st := NewStage(m, pub, "out", WithStageMetrics(reg))
	infos := Narratives(m)
	if len(infos) == 0 {
		t.Fatal("default model lists no narratives")
	}
	if n := testutil.CollectAndCount(reg, "langnghe_classifier_narratives_total"); n != len(infos) {
		t.Fatalf("narrative series before any post: %d, want one per narrative (%d)", n, len(infos))
	}
	texts := []string{
		"Cảnh báo lừa đảo: kẻ gian giả danh ngân hàng yêu cầu cung cấp mã OTP",
		"Lừa đảo chuyển khoản, mất hết tiền tiết kiệm vì cung cấp mã OTP",
		"Hôm nay trời đẹp, đi dạo công viên",
		"narrative-injection {{ evil }} <script>alert(1)</script> scam2 fake_narrative",
	}
	var msgs []bus.Message
	for i, txt := range texts {
		p := &post.Post{Schema: 1, ID: fmt.Sprintf("forum:test:%d", i), Platform: "forum", Source: "test.vn", URL: "https://test.vn/" + fmt.Sprint(i), Text: txt, PublishedAt: time.Now(), FetchedAt: time.Now()}
		b, _ := post.Encode(p)
		msgs = append(msgs, bus.Message{Key: []byte(p.ID), Value: b})
	}
	for _, err := range st.Process(context.Background(), msgs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]float64{}
	for _, m := range pub.msgs {
		p, err := post.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range p.Analysis.Narratives {
			want[n.ID]++
		}
	}
	if want["scam"] < 2 {
		t.Fatalf("the two scam texts were not classified as scam: %v", want)
	}
	for _, n := range infos {
		got := testutil.ToFloat64(st.narratives.WithLabelValues(n.ID))
		if got != want[n.ID] {
			t.Errorf("langnghe_classifier_narratives_total{narrative=%q} = %v, want %v", n.ID, got, want[n.ID])
		}
	}
	if n := testutil.CollectAndCount(reg, "langnghe_classifier_narratives_total"); n != len(infos) {
		t.Errorf("narrative series after posts: %d, want %d (only the model's ids)", n, len(infos))
	}
}
