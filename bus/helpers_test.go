package bus

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/segmentio/kafka-go"
)

// testLogger logs to the test's output until the test ends and drops lines after that:
// closeWithin may leave a kafka-go close running past the test, and logging through t after
// it completed panics.
func testLogger(t testing.TB) *slog.Logger {
	w := &guardedWriter{w: t.Output()}
	t.Cleanup(func() { w.closed.Store(true) })
	level := slog.LevelWarn
	if os.Getenv("LANGNGHE_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type guardedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	closed atomic.Bool
}

func (g *guardedWriter) Write(p []byte) (int, error) {
	if g.closed.Load() {
		return len(p), nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.w.Write(p)
}

// uniqueName returns a topic or group name unique to this test run, so the conformance tests
// can run repeatedly against one long-lived real broker.
func uniqueName(t testing.TB, kind string) string {
	r := strings.NewReplacer("/", ".", " ", "_")
	return fmt.Sprintf("test.%s.%s.%d", kind, r.Replace(t.Name()), time.Now().UnixNano())
}

func newTopic(t testing.TB, brokers []string, partitions int) string {
	t.Helper()
	name := uniqueName(t, "topic")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := EnsureTopics(ctx, brokers, TopicSpec{Name: name, Partitions: partitions, ReplicationFactor: 1}); err != nil {
		t.Fatalf("EnsureTopics(%s): %v", name, err)
	}
	return name
}

// runConsumer starts c.Run and returns a stop function that cancels it and returns how long
// shutdown took and Run's error.
func runConsumer(t testing.TB, c *Consumer) (stop func() (time.Duration, error)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var err error
	var took time.Duration
	stop = func() (time.Duration, error) {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				err = fmt.Errorf("consumer did not stop within 15s")
			}
			took = time.Since(start)
		})
		return took, err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readPartition reads n messages from one partition without a consumer group: an
// independent view of what the code under test wrote.
func readPartition(t testing.TB, brokers []string, topic string, partition, n int) []Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, Topic: topic, Partition: partition,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 100 * time.Millisecond, ReadLagInterval: -1,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var out []Message
	for len(out) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("reading %s/%d: got %d of %d messages: %v", topic, partition, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// committedOffsets returns the group's committed offset per partition (-1 when none).
func committedOffsets(t testing.TB, brokers []string, group, topic string, partitions int) map[int]int64 {
	t.Helper()
	tr := newTransport("test")
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 10 * time.Second}
	ps := make([]int, partitions)
	for i := range ps {
		ps[i] = i
	}
	resp, err := client.OffsetFetch(t.Context(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ps}})
	if err != nil {
		t.Fatalf("OffsetFetch: %v", err)
	}
	if resp.Error != nil {
		t.Fatalf("OffsetFetch: %v", resp.Error)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			t.Fatalf("OffsetFetch partition %d: %v", p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out
}

func header(m Message, key string) (string, bool) {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// validPost returns the JSON of a post that passes post.Decode.
func validPost(t testing.TB, native string, text string) (id string, data []byte) {
	t.Helper()
	p := &post.Post{
		Schema:      post.SchemaVersion,
		ID:          post.MakeID("rss", "vnexpress.net", native),
		Platform:    "rss",
		Source:      "vnexpress",
		URL:         "https://vnexpress.net/" + native,
		Text:        text,
		Lang:        "vi",
		PublishedAt: time.Date(2026, 11, 20, 8, 15, 0, 0, time.UTC),
		FetchedAt:   time.Date(2026, 11, 20, 8, 16, 2, 0, time.UTC),
	}
	b, err := post.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID, b
}
