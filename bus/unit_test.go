package bus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/langnghe/langnghe/post"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
)

func TestOffsetTrackerContiguous(t *testing.T) {
	tr := newOffsetTracker()
	// Partition 0 has a gap (compaction): offsets 10, 11, 13, 14.
	for _, o := range []int64{10, 11, 13, 14} {
		tr.fetched(0, o)
	}
	tr.fetched(1, 0)
	tr.fetched(1, 1)
	if got := tr.commitPoints(); len(got) != 0 {
		t.Fatalf("nothing done yet, commit points %v", got)
	}

	// Out-of-order completion: 11 and 14 done first must not move the commit point past 10.
	tr.markDone(0, 11)
	tr.markDone(0, 14)
	tr.markDone(1, 1)
	if got := tr.commitPoints(); len(got) != 0 {
		t.Fatalf("first offsets not done, commit points %v, want none", got)
	}
	tr.markDone(0, 10)
	if got, want := tr.commitPoints(), map[int]int64{0: 11}; !maps.Equal(got, want) {
		t.Fatalf("commit points %v, want %v (stop before unfinished 13)", got, want)
	}
	tr.markDone(0, 13) // crosses the gap at 12, which was never fetched
	tr.markDone(1, 0)
	if got, want := tr.commitPoints(), map[int]int64{0: 14, 1: 1}; !maps.Equal(got, want) {
		t.Fatalf("commit points %v, want %v", got, want)
	}
	if n := tr.outstanding(); n != 0 {
		t.Fatalf("outstanding %d, want 0", n)
	}

	tr.markCommitted(0, 14)
	tr.markCommitted(1, 1)
	if got := tr.commitPoints(); len(got) != 0 {
		t.Fatalf("after commit, commit points %v, want none", got)
	}
	tr.markDone(0, 99) // unknown offsets are ignored
	tr.markDone(7, 1)  // unknown partitions too
	if got := tr.commitPoints(); len(got) != 0 {
		t.Fatalf("unknown offsets moved commit points: %v", got)
	}

	// A rewind (rebalance: the group restarts the partition at its committed offset) drops
	// the old state, and the partition commits again from the new prefix.
	tr.fetched(0, 15)
	tr.fetched(0, 16)
	tr.fetched(0, 12)
	tr.markDone(0, 16)
	if got := tr.commitPoints(); len(got) != 0 {
		t.Fatalf("after rewind, 16 is not fetched anymore: commit points %v", got)
	}
	tr.markDone(0, 12)
	if got, want := tr.commitPoints(), map[int]int64{0: 12}; !maps.Equal(got, want) {
		t.Fatalf("after rewind, commit points %v, want %v", got, want)
	}
}

func TestPermanent(t *testing.T) {
	if Permanent(nil) != nil {
		t.Fatal("Permanent(nil) != nil")
	}
	cause := fmt.Errorf("decode: %w", post.ErrMalformed)
	err := Permanent(cause)
	if !errors.Is(err, ErrPermanent) || !errors.Is(err, post.ErrMalformed) || !errors.Is(err, cause) {
		t.Fatalf("Permanent(%v): Is(ErrPermanent)=%v Is(ErrMalformed)=%v", cause, errors.Is(err, ErrPermanent), errors.Is(err, post.ErrMalformed))
	}
	if err.Error() != cause.Error() {
		t.Errorf("Error() = %q, want the cause's text %q", err.Error(), cause.Error())
	}
	var fe *post.FieldError
	if !errors.As(Permanent(fmt.Errorf("x: %w", &post.FieldError{Path: "id", Reason: "required"})), &fe) || fe.Path != "id" {
		t.Error("errors.As cannot reach a *post.FieldError through Permanent")
	}
	if Permanent(err) != err {
		t.Error("Permanent of a permanent error should not wrap again")
	}
	// Wrapping a permanent error keeps it permanent.
	if !errors.Is(fmt.Errorf("stage: %w", err), ErrPermanent) {
		t.Error("wrapped permanent error lost ErrPermanent")
	}
	if errors.Is(errors.New("timeout"), ErrPermanent) {
		t.Error("plain error is permanent")
	}
}

func TestReason(t *testing.T) {
	_, schemaErr := post.Decode([]byte(`{"schema": 7}`))
	_, malformed := post.Decode([]byte(`nope`))
	_, invalid := post.Decode([]byte(`{"schema": 1}`))
	cases := []struct {
		err  error
		want string
	}{
		{Permanent(schemaErr), ReasonSchemaTooNew},
		{Permanent(malformed), ReasonMalformed},
		{Permanent(invalid), ReasonInvalid},
		{Permanent(errors.New("mapping conflict")), ReasonOther},
	}
	for _, c := range cases {
		if got := Reason(c.err); got != c.want {
			t.Errorf("Reason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestSanitizeError(t *testing.T) {
	if got := sanitizeError(errors.New("a\nb\r\tc")); got != "a b  c" {
		t.Errorf("got %q", got)
	}
	// 1 KiB cut on a multi-byte boundary: "ễ" is 3 bytes, 1024 is not a multiple of 3.
	long := errors.New(strings.Repeat("ễ", 1000))
	got := sanitizeError(long)
	if len(got) > 1024 || len(got) < 1020 || !utf8.ValidString(got) {
		t.Errorf("len %d, valid UTF-8 %v; want <= 1024 bytes of valid UTF-8", len(got), utf8.ValidString(got))
	}
	if got := sanitizeError(errors.New("bad \xff byte")); !utf8.ValidString(got) {
		t.Errorf("invalid UTF-8 kept: %q", got)
	}
}

func TestJitteredBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1600, 2000, 2000} {
		want *= time.Millisecond
		for range 50 {
			d := jitteredBackoff(attempt, lo, hi)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: %s not in [%s, %s]", attempt, d, want/2, want)
			}
		}
	}
	if d := jitteredBackoff(200, lo, hi); d < hi/2 || d > hi {
		t.Fatalf("huge attempt: %s, want capped at %s", d, hi)
	}
}

func TestNewMetricsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := NewMetrics(reg)
	b := NewMetrics(reg) // second role in the same process: no panic, same series
	a.addProcessed("classify", 2)
	b.addProcessed("classify", 3)
	if v := testutil.ToFloat64(a.processed.WithLabelValues("classify")); v != 5 {
		t.Fatalf("processed = %v, want 5 (shared collectors)", v)
	}
	var nilMetrics *Metrics
	nilMetrics.addProcessed("x", 1) // nil Metrics records nothing and does not panic
	n, err := testutil.GatherAndCount(reg, "langnghe_bus_processed_total")
	if err != nil || n != 1 {
		t.Fatalf("GatherAndCount = %d, %v", n, err)
	}
}

func TestDefaultTopics(t *testing.T) {
	ts := DefaultTopics(6, 3)
	if len(ts) != 3 || ts[0].Name != TopicRaw || ts[1].Name != TopicClassified || ts[2].Name != TopicDLQ {
		t.Fatalf("topics %+v", ts)
	}
	for _, ts := range ts {
		if ts.Partitions != 6 || ts.ReplicationFactor != 3 || ts.Configs["min.insync.replicas"] != "2" {
			t.Errorf("%s: %+v", ts.Name, ts)
		}
	}
	dlqMs, _ := strconv.ParseInt(ts[2].Configs["retention.ms"], 10, 64)
	rawMs, _ := strconv.ParseInt(ts[0].Configs["retention.ms"], 10, 64)
	if dlqMs <= rawMs || rawMs <= 0 {
		t.Errorf("DLQ retention %s not longer than raw %s", ts[2].Configs["retention.ms"], ts[0].Configs["retention.ms"])
	}
	if one := DefaultTopics(0, 0); one[0].Partitions != 1 || one[0].ReplicationFactor != 1 || one[0].Configs["min.insync.replicas"] != "" {
		t.Errorf("DefaultTopics(0,0) = %+v", one[0])
	}
}

// TestProcessorContract: a Processor returning the wrong number of errors stops Run with
// ErrProcessorContract instead of guessing which message failed.
func TestProcessorContract(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, WithEmbeddedLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	topic := newTopic(t, e.Brokers(), 1)
	p := NewProducer(e.Brokers(), WithProducerLogger(testLogger(t)))
	defer p.Close()
	if err := p.Publish(ctx, topic, Message{Key: []byte("a")}, Message{Key: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	c := NewConsumer(e.Brokers(), uniqueName(t, "group"), topic, "broken", func(ctx context.Context, msgs []Message) []error {
		return []error{nil, nil, nil, nil, nil}[:len(msgs)+1]
	}, WithBatch(10, 100*time.Millisecond), WithConsumerLogger(testLogger(t)))
	if err := c.Run(ctx); !errors.Is(err, ErrProcessorContract) {
		t.Fatalf("Run = %v, want ErrProcessorContract", err)
	}
	if off := committedOffsets(t, e.Brokers(), c.group, topic, 1)[0]; off >= 0 {
		t.Fatalf("committed offset %d after a contract violation, want none", off)
	}
}

func TestEmbeddedDefaultTopics(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, WithEmbeddedPartitions(4), WithEmbeddedLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if b := e.Brokers(); len(b) != 1 || !strings.HasPrefix(b[0], "127.0.0.1:") {
		t.Fatalf("Brokers() = %v, want one 127.0.0.1 address", b)
	}
	tr := newTransport("test")
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(e.Brokers()...), Transport: tr}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{TopicRaw, TopicClassified, TopicDLQ}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range md.Topics {
		if tp.Error != nil || len(tp.Partitions) != 4 {
			t.Errorf("topic %s: %d partitions, err %v; want 4", tp.Name, len(tp.Partitions), tp.Error)
		}
	}
	if len(md.Topics) != 3 {
		t.Errorf("got %d topics, want 3", len(md.Topics))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Ping(ctx, e.Brokers()); err == nil {
		t.Error("Ping after Close = nil, want error")
	}
}

// TestEmbeddedDataDirResumes: with a data directory, a restarted embedded broker keeps
// messages and committed offsets, so a restarted `langnghe run` resumes instead of
// reprocessing everything.
func TestEmbeddedDataDirResumes(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	group := uniqueName(t, "group")
	consume := func(brokers []string, want int) []string {
		var mu sync.Mutex
		var keys []string
		c := NewConsumer(brokers, group, TopicRaw, "resume", func(ctx context.Context, msgs []Message) []error {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				keys = append(keys, string(m.Key))
			}
			return nil
		}, WithBatch(10, 20*time.Millisecond), WithConsumerLogger(testLogger(t)))
		stop := runConsumer(t, c)
		waitFor(t, 20*time.Second, fmt.Sprintf("%d messages", want), func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(keys) >= want
		})
		time.Sleep(300 * time.Millisecond) // room for unexpected extra deliveries
		if _, err := stop(); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return keys
	}

	e, err := StartEmbedded(ctx, WithEmbeddedDataDir(dir), WithEmbeddedPartitions(1), WithEmbeddedLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	p := NewProducer(e.Brokers(), WithProducerLogger(testLogger(t)))
	if err := p.Publish(ctx, TopicRaw, Message{Key: []byte("a")}, Message{Key: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if got := consume(e.Brokers(), 2); len(got) != 2 {
		t.Fatalf("first run consumed %v, want [a b]", got)
	}
	e.Close()

	e2, err := StartEmbedded(ctx, WithEmbeddedDataDir(dir), WithEmbeddedPartitions(1), WithEmbeddedLogger(testLogger(t)))
	if err != nil {
		t.Fatalf("restart on the same data dir: %v", err)
	}
	defer e2.Close()
	p2 := NewProducer(e2.Brokers(), WithProducerLogger(testLogger(t)))
	defer p2.Close()
	if err := p2.Publish(ctx, TopicRaw, Message{Key: []byte("c")}); err != nil {
		t.Fatal(err)
	}
	if got := consume(e2.Brokers(), 1); len(got) != 1 || got[0] != "c" {
		t.Fatalf("after restart consumed %v, want only [c] (offsets must survive)", got)
	}
}
