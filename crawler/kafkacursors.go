package crawler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/langnghe/langnghe/bus"
)

// DefaultCursorTopic is the compacted topic holding crawl cursors in the distributed mode.
const DefaultCursorTopic = "crawler.cursors"

// KafkaCursors keeps cursors in a compacted, single-partition Kafka topic keyed by source
// name, so any crawl replica (or a restarted one) continues where the last left off.
// NewKafkaCursors reads the topic to its end once; Save publishes (acks=all through the
// bus producer) and then updates the in-memory copy. Safe for concurrent use.
type KafkaCursors struct {
	brokers  []string
	topic    string
	producer *bus.Producer
	mu       sync.Mutex
	cache    map[string]Cursor
}

// NewKafkaCursors creates the topic if needed (cleanup.policy=compact) and loads it.
func NewKafkaCursors(ctx context.Context, brokers []string, topic string, replication int, producer *bus.Producer) (*KafkaCursors, error) {
	if len(brokers) == 0 {
		return nil, bus.ErrNoBrokers
	}
	spec := bus.TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: max(replication, 1),
		Configs: map[string]string{"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}}
	if err := bus.EnsureTopics(ctx, brokers, spec); err != nil {
		return nil, fmt.Errorf("crawler cursors topic %s: %w", topic, err)
	}
	k := &KafkaCursors{brokers: brokers, topic: topic, producer: producer, cache: map[string]Cursor{}}
	if err := k.Refresh(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// Refresh re-reads the topic, picking up cursors other replicas saved. RunSharded calls
// it after every rebalance, before running sources this replica just took over.
func (k *KafkaCursors) Refresh(ctx context.Context) error {
	fresh := map[string]Cursor{}
	if err := k.load(ctx, fresh); err != nil {
		return fmt.Errorf("crawler cursors topic %s: %w", k.topic, err)
	}
	k.mu.Lock()
	k.cache = fresh
	k.mu.Unlock()
	return nil
}

func (k *KafkaCursors) load(ctx context.Context, cache map[string]Cursor) error {
	return bus.ReadPartition(ctx, k.brokers, k.topic, 0, func(m bus.Message) error {
		if len(m.Value) == 0 {
			delete(cache, string(m.Key)) // tombstone
			return nil
		}
		var c Cursor
		if err := json.Unmarshal(m.Value, &c); err != nil {
			return fmt.Errorf("offset %d (source %q): %w", m.Offset, m.Key, err)
		}
		cache[string(m.Key)] = c
		return nil
	})
}

// Load implements CursorStore.
func (k *KafkaCursors) Load(_ context.Context, source string) (Cursor, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cache[source].Clone(), nil
}

// Save implements CursorStore.
func (k *KafkaCursors) Save(ctx context.Context, source string, c Cursor) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if k.producer == nil {
		return errors.New("crawler cursors: no producer")
	}
	if err := k.producer.Publish(ctx, k.topic, bus.Message{Key: []byte(source), Value: b}); err != nil {
		return fmt.Errorf("crawler cursor %s: %w", source, err)
	}
	k.mu.Lock()
	k.cache[source] = c.Clone()
	k.mu.Unlock()
	return nil
}
