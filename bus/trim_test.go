package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestTrimConsumed: the embedded broker deletes only records every reading group has
// committed past, and nothing in a partition some group has not committed on.
func TestTrimConsumed(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, WithEmbeddedDataDir(t.TempDir()), WithEmbeddedLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	topic := newTopic(t, e.Brokers(), 2)
	p := NewProducer(e.Brokers(), WithProducerLogger(testLogger(t)), WithBatchSize(1, 1<<20))
	defer p.Close()
	for i := range 10 {
		// one message per produce to partition 0 (balancer by key); find keys for p0 below
		if err := p.Publish(ctx, topic, Message{Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	hw := map[int32]int64{}
	for _, pi := range e.cluster.PartitionInfos(topic) {
		hw[pi.Partition] = pi.HighWatermark
	}
	if hw[0] < 3 || hw[1] < 3 {
		t.Fatalf("keys spread %v over the two partitions; want at least 3 in each", hw)
	}
	commit := func(group string, offsets map[int32]int64) {
		t.Helper()
		var parts []kafka.OffsetCommit
		for p, o := range offsets {
			parts = append(parts, kafka.OffsetCommit{Partition: int(p), Offset: o})
		}
		cl := &kafka.Client{Addr: kafka.TCP(e.Brokers()...)}
		resp, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{topic: parts}})
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range resp.Topics {
			for _, p := range ps {
				if p.Error != nil {
					t.Fatalf("commit %s: %v", group, p.Error)
				}
			}
		}
	}
	start := func() map[int32]int64 {
		m := map[int32]int64{}
		for _, pi := range e.cluster.PartitionInfos(topic) {
			m[pi.Partition] = pi.LogStartOffset
		}
		return m
	}

	commit("a", map[int32]int64{0: hw[0], 1: hw[1]})
	if n, err := e.TrimConsumed(topic, "a", "b"); err != nil || n != 0 {
		t.Fatalf("trim with group b never committed = %d, %v; want 0, nil", n, err)
	}
	commit("b", map[int32]int64{0: 2})
	n, err := e.TrimConsumed(topic, "a", "b")
	if err != nil || n != 2 {
		t.Fatalf("trim = %d, %v; want 2 (partition 0 below b's commit; partition 1 has no commit of b)", n, err)
	}
	if s := start(); s[0] != 2 || s[1] != 0 {
		t.Fatalf("log start offsets %v, want partition 0 at 2 and partition 1 untouched", s)
	}
	commit("b", map[int32]int64{0: hw[0], 1: 1})
	// Partition 0 is trimmed to its last record (kept, see TestTrimSurvivesRestart),
	// partition 1 to b's commit.
	if n, err := e.TrimConsumed(topic, "a", "b"); err != nil || n != hw[0]-3+1 {
		t.Fatalf("second trim = %d, %v; want %d", n, err, hw[0]-3+1)
	}
	// What is left is still readable from the new start.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.Brokers(), Topic: topic, Partition: 1, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil || m.Offset != 1 {
		t.Fatalf("first record of partition 1 after the trim: offset %d, %v; want 1", m.Offset, err)
	}
}

// TestTrimSurvivesRestart: after the trimmer deleted every record of a partition (all
// groups read everything), a broker restarted on the same data dir keeps the partition's
// offsets, so a group's committed offset is not past the end of the log and new records
// are not written below it (where the group would never read them).
func TestTrimSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	e, err := StartEmbedded(ctx, WithEmbeddedDataDir(dir), WithEmbeddedLogger(testLogger(t)), WithEmbeddedTopics(TopicSpec{Name: "t1", Partitions: 1, ReplicationFactor: 1}))
	if err != nil {
		t.Fatal(err)
	}
	p := NewProducer(e.Brokers(), WithProducerLogger(testLogger(t)), WithBatchSize(1, 1<<20))
	for i := range 5 {
		if err := p.Publish(ctx, "t1", Message{Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	cl := &kafka.Client{Addr: kafka.TCP(e.Brokers()...)}
	if _, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "g", GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{"t1": {{Partition: 0, Offset: 5}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.TrimConsumed("t1", "g"); err != nil {
		t.Fatal(err)
	}
	before := e.cluster.PartitionInfos("t1")[0]
	e.Close()

	e2, err := StartEmbedded(ctx, WithEmbeddedDataDir(dir), WithEmbeddedLogger(testLogger(t)), WithEmbeddedTopics(TopicSpec{Name: "t1", Partitions: 1, ReplicationFactor: 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	after := e2.cluster.PartitionInfos("t1")[0]
	gi := e2.cluster.GroupInfo("g")
	t.Logf("before restart: log start %d, high watermark %d; after: %d, %d; commit %v", before.LogStartOffset, before.HighWatermark, after.LogStartOffset, after.HighWatermark, gi)
	if after.HighWatermark < 5 {
		t.Fatalf("after the restart the partition ends at offset %d, below the group's commit 5: the next records would be written where the group never reads", after.HighWatermark)
	}
	groupReadsNextRecord(ctx, t, e2, "t1", "g")
}

// TestStartLowersCommitsAboveEnd: a data dir trimmed empty by a build from before
// TrimConsumed kept each partition's last record restores the partition at offset 0 below
// the group's commit; StartEmbedded lowers the commit to the partition's end, so the first
// record produced after the restart is read, not skipped. A commit inside its partition
// stays as it is.
func TestStartLowersCommitsAboveEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	topics := WithEmbeddedTopics(TopicSpec{Name: "t1", Partitions: 1, ReplicationFactor: 1}, TopicSpec{Name: "t2", Partitions: 1, ReplicationFactor: 1})
	e, err := StartEmbedded(ctx, WithEmbeddedDataDir(dir), WithEmbeddedLogger(testLogger(t)), topics)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProducer(e.Brokers(), WithProducerLogger(testLogger(t)), WithBatchSize(1, 1<<20))
	for _, topic := range []string{"t1", "t2"} {
		for i := range 5 {
			if err := p.Publish(ctx, topic, Message{Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.Close()
	cl := &kafka.Client{Addr: kafka.TCP(e.Brokers()...)}
	// t1 consumed and trimmed empty the old way; t2 partly consumed.
	if _, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "g", GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{"t1": {{Partition: 0, Offset: 5}}, "t2": {{Partition: 0, Offset: 3}}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.cluster.DeleteRecords("t1", 0, 5); err != nil {
		t.Fatal(err)
	}
	e.Close()

	e2, err := StartEmbedded(ctx, WithEmbeddedDataDir(dir), WithEmbeddedLogger(testLogger(t)), topics)
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	commits := e2.cluster.GroupInfo("g").Commits
	end := e2.cluster.PartitionInfo("t1", 0).HighWatermark
	t.Logf("after the restart: t1 ends at %d, commits t1 %d, t2 %d", end, commits["t1"][0].Offset, commits["t2"][0].Offset)
	if commits["t1"][0].Offset != end {
		t.Fatalf("t1 restored with end %d; the group's commit is %d, want it lowered to the end", end, commits["t1"][0].Offset)
	}
	if commits["t2"][0].Offset != 3 {
		t.Errorf("t2's commit 3 lies inside the partition and must stay; got %d", commits["t2"][0].Offset)
	}
	groupReadsNextRecord(ctx, t, e2, "t1", "g")
}

// groupReadsNextRecord produces a record to topic on the restarted broker e and checks
// that group reads it next: the group's commit lies where the next record goes.
func groupReadsNextRecord(ctx context.Context, t *testing.T, e *Embedded, topic, group string) {
	t.Helper()
	p := NewProducer(e.Brokers(), WithProducerLogger(testLogger(t)), WithBatchSize(1, 1<<20))
	defer p.Close()
	if err := p.Publish(ctx, topic, Message{Key: []byte("new"), Value: []byte("after restart")}); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: e.Brokers(), Topic: topic, GroupID: group, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil || string(m.Value) != "after restart" {
		t.Fatalf("the group's next record after the restart: %q at offset %d, %v; want the record produced after the restart", m.Value, m.Offset, err)
	}
}
