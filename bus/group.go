package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// GroupConfig configures a Membership.
type GroupConfig struct {
	Brokers []string
	// Group is the consumer group id; members with the same Group split Topic's partitions.
	Group string
	// Topic is the topic whose partitions are assigned. It must exist (EnsureTopics).
	Topic string
	// HeartbeatInterval (default 1s) and SessionTimeout (default 10s, also the rebalance
	// timeout): a member that stops heartbeating loses its partitions after SessionTimeout.
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
}

// Membership is one member of a Kafka consumer group used only for partition assignment:
// it reads no message and commits no offset. The crawler uses it to split hosts between
// replicas (a replica crawls the hosts hashing to its partitions), so the group protocol
// (join, heartbeat, rebalance when a member joins or dies) does the coordination.
//
// Next blocks until the group has formed a generation and returns this member's share;
// call Assignment.Start to run work for that generation, then Next again: Next returns
// the following generation only after every function started on the previous one
// returned, which they must do soon after their context ends (the rebalance).
type Membership struct {
	cg    *kafka.ConsumerGroup
	topic string
}

// Assignment is this member's share of the topic in one generation of the group.
type Assignment struct {
	// Generation is the group generation id (grows with every rebalance).
	Generation int32
	// Partitions are the partitions of the topic assigned to this member.
	Partitions []int
	gen        *kafka.Generation
}

// JoinGroup creates a Membership; it joins the group on the first Next.
func JoinGroup(cfg GroupConfig) (*Membership, error) {
	if len(cfg.Brokers) == 0 {
		return nil, ErrNoBrokers
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: cfg.Group, Brokers: cfg.Brokers, Topics: []string{cfg.Topic},
		HeartbeatInterval: cfg.HeartbeatInterval, SessionTimeout: cfg.SessionTimeout, RebalanceTimeout: cfg.SessionTimeout,
		JoinGroupBackoff: time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: group %s: %w", cfg.Group, err)
	}
	return &Membership{cg: cg, topic: cfg.Topic}, nil
}

// Next waits for the next generation of the group (see Membership). It returns ctx's error
// when ctx ends, and ErrGroupClosed after Close.
func (m *Membership) Next(ctx context.Context) (*Assignment, error) {
	gen, err := m.cg.Next(ctx)
	if err != nil {
		if errors.Is(err, kafka.ErrGroupClosed) {
			return nil, ErrGroupClosed
		}
		return nil, err
	}
	a := &Assignment{Generation: gen.ID, gen: gen}
	for _, pa := range gen.Assignments[m.topic] {
		a.Partitions = append(a.Partitions, pa.ID)
	}
	return a, nil
}

// Start runs fn in a goroutine with a context that ends when the generation ends (a
// rebalance, Close, or a lost session). fn must return soon after that.
func (a *Assignment) Start(fn func(ctx context.Context)) { a.gen.Start(fn) }

// Close leaves the group.
func (m *Membership) Close() error { return m.cg.Close() }

// ErrGroupClosed is returned by Membership.Next after Close.
var ErrGroupClosed = errors.New("bus: group membership closed")

// ReadPartition calls fn for every message of one partition of topic, in offset order,
// from the first offset still kept to the last one written before the call, and then
// returns. It is meant for small compacted topics read whole at start-up (the crawler's
// cursors); it uses no consumer group and commits nothing. An empty partition returns at
// once. It gives up after 30 s (or ctx's earlier deadline).
func ReadPartition(ctx context.Context, brokers []string, topic string, partition int, fn func(Message) error) error {
	if len(brokers) == 0 {
		return ErrNoBrokers
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, partition)
	if err != nil {
		return err
	}
	first, last, err := conn.ReadOffsets()
	conn.Close()
	if err != nil {
		return err
	}
	if last <= first {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: partition, MaxWait: 500 * time.Millisecond, MaxBytes: 16 << 20})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return err
	}
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return fmt.Errorf("reading at offset %d of %d: %w", first, last, err)
		}
		if err := fn(m); err != nil {
			return err
		}
		if m.Offset >= last-1 {
			return nil
		}
	}
}

// DeleteTopics deletes the named topics; missing topics are not an error. Tests use it to
// clean up the uniquely named topics they create on a shared broker.
func DeleteTopics(ctx context.Context, brokers []string, names ...string) error {
	if len(brokers) == 0 {
		return ErrNoBrokers
	}
	tr := newTransport("langnghe-admin")
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second, Transport: tr}
	resp, err := client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: names})
	if err != nil {
		return fmt.Errorf("bus: delete topics: %w", err)
	}
	var errs []error
	for name, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafka.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("bus: delete topic %s: %w", name, terr))
		}
	}
	return errors.Join(errs...)
}
