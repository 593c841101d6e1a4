package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Topic names of the pipeline. See ../shared/DESIGN.md, "Flow", and DESIGN.md, "Decisions".
const (
	TopicRaw        = "posts.raw"
	TopicClassified = "posts.classified"
	TopicDLQ        = "posts.dlq"
)

// Header keys that Consumer sets on a dead-lettered message, next to the original key,
// value and headers.
const (
	// HeaderStage names the stage that gave up (the Consumer's stage argument).
	HeaderStage = "langnghe-stage"
	// HeaderError is the error text: one line, at most 1 KiB, valid UTF-8.
	HeaderError = "langnghe-error"
	// HeaderTopic, HeaderPartition and HeaderOffset say where the message was read
	// (partition and offset in decimal).
	HeaderTopic     = "langnghe-topic"
	HeaderPartition = "langnghe-partition"
	HeaderOffset    = "langnghe-offset"
)

// Message is a Kafka record. Producers set Key (the post id) and Value (post JSON);
// Consumers additionally see Topic, Partition, Offset, Headers and Time.
type Message = kafka.Message

// TopicSpec describes a topic EnsureTopics creates when it is missing.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	// Configs are topic-level Kafka configs such as "retention.ms".
	Configs map[string]string
}

// Retention periods. Pipeline topics only need to outlive a stage outage; dead letters are
// kept longer because people inspect and replay them by hand.
const (
	pipelineRetention = 7 * 24 * time.Hour
	dlqRetention      = 30 * 24 * time.Hour
)

// DefaultTopics returns posts.raw, posts.classified and posts.dlq with the given partition
// count and replication factor (values below 1 become 1). The dead-letter topic keeps
// messages 30 days instead of 7. With three or more replicas, min.insync.replicas is 2 so
// that acks=all really means "on two machines".
func DefaultTopics(partitions, replication int) []TopicSpec {
	partitions = max(partitions, 1)
	replication = max(replication, 1)
	cfg := func(retention time.Duration) map[string]string {
		m := map[string]string{
			"retention.ms":   strconv.FormatInt(retention.Milliseconds(), 10),
			"cleanup.policy": "delete",
		}
		if replication >= 3 {
			m["min.insync.replicas"] = "2"
		}
		return m
	}
	return []TopicSpec{
		{Name: TopicRaw, Partitions: partitions, ReplicationFactor: replication, Configs: cfg(pipelineRetention)},
		{Name: TopicClassified, Partitions: partitions, ReplicationFactor: replication, Configs: cfg(pipelineRetention)},
		// The DLQ sees a trickle, but it keeps the same partition count so keys spread the
		// same way and a replay tool can read it with the same parallelism.
		{Name: TopicDLQ, Partitions: partitions, ReplicationFactor: replication, Configs: cfg(dlqRetention)},
	}
}

// ErrNoBrokers is returned when a broker list is empty.
var ErrNoBrokers = errors.New("bus: no brokers configured")

// adminTimeout bounds one admin round trip when the caller's context has no deadline.
const adminTimeout = 10 * time.Second

// newTransport returns a private kafka-go transport (never kafka.DefaultTransport, which is
// process-global and would share connections and metadata caches between unrelated users).
func newTransport(clientID string) *kafka.Transport {
	return &kafka.Transport{
		ClientID:    clientID,
		DialTimeout: 5 * time.Second,
		IdleTimeout: 30 * time.Second,
		// Short metadata TTL: topics created by EnsureTopics a moment earlier, and
		// partition leader moves, become visible quickly.
		MetadataTTL: 2 * time.Second,
	}
}

// EnsureTopics creates the topics that do not exist yet and waits until every topic is
// visible in metadata with leaders for all its partitions. It uses the negotiated
// CreateTopics admin API (kafka.Client), which brokers forward to the controller, so it
// works on ZooKeeper-era Kafka, KRaft Kafka 4 and kfake alike (kafka.Conn.Controller() does
// not: Kafka 4 reports a random broker as controller). Existing topics are left as they are,
// even if their partition count differs. Safe to call concurrently and repeatedly.
func EnsureTopics(ctx context.Context, brokers []string, topics ...TopicSpec) error {
	if len(brokers) == 0 {
		return ErrNoBrokers
	}
	if len(topics) == 0 {
		return nil
	}
	tr := newTransport("langnghe-admin")
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: adminTimeout, Transport: tr}

	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		tc := kafka.TopicConfig{
			Topic:             t.Name,
			NumPartitions:     max(t.Partitions, 1),
			ReplicationFactor: max(t.ReplicationFactor, 1),
		}
		for k, v := range t.Configs {
			tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: k, ConfigValue: v})
		}
		req.Topics = append(req.Topics, tc)
	}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("bus: create topics: %w", err)
	}
	var errs []error
	for name, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("bus: create topic %s: %w", name, terr))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return waitTopics(ctx, client, topics)
}

// waitTopics polls metadata until every topic has all its partitions with a leader.
// Creation is asynchronous on real Kafka: CreateTopics can return before every broker knows
// the topic, and a producer started in that window fails with UnknownTopicOrPartition.
func waitTopics(ctx context.Context, client *kafka.Client, topics []TopicSpec) error {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	wait := 20 * time.Millisecond
	var last error
	for {
		last = topicsReady(ctx, client, names)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bus: waiting for topics: %w (last: %w)", ctx.Err(), last)
		case <-time.After(wait):
		}
		wait = min(wait*2, 500*time.Millisecond)
	}
}

func topicsReady(ctx context.Context, client *kafka.Client, names []string) error {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(md.Topics))
	for _, t := range md.Topics {
		if t.Error != nil {
			return fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		if len(t.Partitions) == 0 {
			return fmt.Errorf("topic %s: no partitions yet", t.Name)
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				return fmt.Errorf("topic %s partition %d: no leader yet (%v)", t.Name, p.ID, p.Error)
			}
		}
		seen[t.Name] = true
	}
	for _, n := range names {
		if !seen[n] {
			return fmt.Errorf("topic %s: not in metadata yet", n)
		}
	}
	return nil
}

// Ping returns nil as soon as one of the brokers answers a metadata request, and otherwise
// an error joining every broker's failure. /readyz calls it on each probe, so it asks for no
// topics (cheap for the broker) and keeps no connection open afterwards.
func Ping(ctx context.Context, brokers []string) error {
	if len(brokers) == 0 {
		return ErrNoBrokers
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	tr := newTransport("langnghe-ping")
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Timeout: adminTimeout, Transport: tr}
	var errs []error
	for _, b := range brokers {
		// An empty, non-nil topic list means "no topics" (nil would mean all topics).
		_, err := client.Metadata(ctx, &kafka.MetadataRequest{Addr: kafka.TCP(b), Topics: []string{}})
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("broker %s: %w", b, err))
		if ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("bus: ping: %w", errors.Join(errs...))
}
