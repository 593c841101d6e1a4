package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

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
	// The group reads the first record produced after the restart.
	p2 := NewProducer(e2.Brokers(), WithProducerLogger(testLogger(t)), WithBatchSize(1, 1<<20))
	defer p2.Close()
	if err := p2.Publish(ctx, "t1", Message{Key: []byte("new"), Value: []byte("after restart")}); err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: e2.Brokers(), Topic: "t1", GroupID: "g", MaxWait: 100 * time.Millisecond})
	defer r.Close()
	m, err := r.ReadMessage(ctx)
	if err != nil || string(m.Value) != "after restart" {
		t.Fatalf("the group's next record after the restart: %q at offset %d, %v; want the record produced after the restart", m.Value, m.Offset, err)
	}
}
