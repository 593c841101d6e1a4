package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
)

// e2ePosts builds n valid posts spread over about 60 days (so several monthly partitions
// are written), with Vietnamese text that the default model classifies.
func e2ePosts(n int) []*post.Post {
	texts := []string{
		"Lũ lụt ở Quảng Bình, nước ngập sâu, cần cứu trợ gấp",
		"Cảnh báo lừa đảo: giả danh công an gọi điện yêu cầu chuyển khoản trước",
		"Làm thủ tục hành chính mà chờ cả ngày, bệnh viện quá tải",
		"Hôm nay trời đẹp, đi ăn phở với bạn bè vui quá",
		"ko hiểu sao đường này ngập hoài, mn cẩn thận nha",
		"Giá xăng tăng nữa rồi, buồn thật",
	}
	base := time.Date(2026, 9, 20, 8, 0, 0, 0, time.UTC)
	out := make([]*post.Post, n)
	for i := range out {
		at := base.Add(time.Duration(i) * 60 * 24 * time.Hour / time.Duration(n))
		out[i] = &post.Post{
			Schema:      post.SchemaVersion,
			ID:          post.MakeID("forum", "e2e.test", fmt.Sprintf("t-%d", i)),
			Platform:    "forum",
			Source:      "e2e",
			URL:         fmt.Sprintf("https://e2e.test/t/%d", i),
			Author:      post.Author{ID: post.PseudonymizeAuthor([]byte("test-key"), "forum", fmt.Sprintf("u%d", i%37))},
			Text:        fmt.Sprintf("%s (#%d)", texts[i%len(texts)], i),
			Lang:        "vi",
			PublishedAt: at,
			FetchedAt:   at.Add(time.Minute),
		}
	}
	return out
}

func writeJSONL(t *testing.T, posts []*post.Post) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "posts-*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range posts {
		b, err := post.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(append(b, '\n'))
	}
	return f.Name()
}

// waitIndexed polls the store until it holds want posts or the deadline passes; onProgress
// sees every intermediate count (the tests use it to kill the indexer mid-stream).
func waitIndexed(t testing.TB, st store.Store, want int, timeout time.Duration, onProgress func(n int)) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := -1
	for time.Now().Before(deadline) {
		_ = st.Refresh(context.Background())
		res, err := st.Search(context.Background(), store.Query{Limit: 1, Interval: -1})
		if err == nil {
			last = res.Total
			if onProgress != nil {
				onProgress(last)
			}
			if last >= want {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("store holds %d posts after %s, want %d", last, timeout, want)
	return last
}

// assertExactlyOnce checks that every post is in the store once: the total equals the
// number of distinct ids, and every expected id is there.
func assertExactlyOnce(t *testing.T, st store.Store, posts []*post.Post) {
	t.Helper()
	ctx := context.Background()
	if err := st.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	total := -1
	for off := 0; ; off += store.MaxLimit {
		res, err := st.Search(ctx, store.Query{Sort: store.SortOldest, Offset: off, Limit: store.MaxLimit, Interval: -1})
		if err != nil {
			t.Fatal(err)
		}
		total = res.Total
		for _, h := range res.Hits {
			seen[h.Post.ID]++
		}
		if len(res.Hits) < store.MaxLimit {
			break
		}
	}
	if total != len(posts) {
		t.Errorf("store total = %d, want %d", total, len(posts))
	}
	missing := 0
	for _, p := range posts {
		if seen[p.ID] != 1 {
			missing++
			if missing <= 5 {
				t.Errorf("post %s seen %d times, want once", p.ID, seen[p.ID])
			}
		}
		delete(seen, p.ID)
	}
	if len(seen) > 0 {
		t.Errorf("%d unexpected ids in the store", len(seen))
	}
	got, err := st.Get(ctx, posts[len(posts)/2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Analysis == nil || got.Analysis.Model == "" {
		t.Errorf("indexed post lacks its analysis: %+v", got)
	}
}

// expectDLQ reads the dead-letter topic until it finds the message with key, and checks
// the headers name the stage, the error and the origin.
func expectDLQ(t *testing.T, brokers []string, topic, key, stage, errPart string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Keys hash to a partition; read every partition.
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		pr := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p.ID, MaxWait: 200 * time.Millisecond})
		for {
			pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
			m, err := pr.ReadMessage(pctx)
			pcancel()
			if err != nil {
				break
			}
			if string(m.Key) != key {
				continue
			}
			h := map[string]string{}
			for _, x := range m.Headers {
				h[x.Key] = string(x.Value)
			}
			if h[bus.HeaderStage] != stage || !strings.Contains(h[bus.HeaderError], errPart) || h[bus.HeaderTopic] == "" || h[bus.HeaderOffset] == "" {
				t.Errorf("DLQ headers %v, want stage %q and an error containing %q", h, stage, errPart)
			}
			pr.Close()
			return
		}
		pr.Close()
	}
	t.Errorf("message %q not found in %s", key, topic)
}

// flakyStore writes a batch and then reports failure, once, after the given number of
// calls: the indexer must retry, and the store must absorb the redelivered duplicates.
type flakyStore struct {
	store.Store
	failAfter int64
	calls     atomic.Int64
	failed    atomic.Bool
}

func (f *flakyStore) Index(ctx context.Context, posts []*post.Post) error {
	if err := f.Store.Index(ctx, posts); err != nil {
		return err
	}
	if f.calls.Add(1) >= f.failAfter && f.failed.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: injected failure after a successful write", store.ErrUnavailable)
	}
	return nil
}
