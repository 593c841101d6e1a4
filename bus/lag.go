package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// LagMonitor exports consumer lag: for each watched (group, topic) and each partition of
// the topic, the end offset minus the group's committed offset, polled from the brokers
// with the admin API (ListOffsets and OffsetFetch), so it measures what is committed, the
// same number `kafka-consumer-groups.sh --describe` shows. A partition the group never
// committed counts every retained message (consumers start at the earliest offset).
//
// Several replicas of a role each export the same series; dashboards and alert rules take
// max by (group, topic, partition).
type LagMonitor struct {
	brokers  []string
	interval time.Duration
	log      *slog.Logger

	mu      sync.Mutex
	watches []groupTopic

	lag      *prometheus.GaugeVec
	errs     *prometheus.CounterVec
	lastPoll prometheus.Gauge
}

type groupTopic struct{ group, topic string }

// LagOption configures a LagMonitor.
type LagOption func(*LagMonitor)

// WithLagInterval sets how often Run polls (default 10s).
func WithLagInterval(d time.Duration) LagOption {
	return func(m *LagMonitor) {
		if d > 0 {
			m.interval = d
		}
	}
}

// WithLagLogger sets the logger (default: discard).
func WithLagLogger(l *slog.Logger) LagOption { return func(m *LagMonitor) { m.log = l } }

// NewLagMonitor registers langnghe_bus_consumer_lag (and its poll error counter) on reg;
// a second monitor on the same registry shares the collectors.
func NewLagMonitor(brokers []string, reg prometheus.Registerer, opts ...LagOption) *LagMonitor {
	m := &LagMonitor{
		brokers:  brokers,
		interval: 10 * time.Second,
		log:      slog.New(slog.DiscardHandler),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "langnghe_bus_consumer_lag",
			Help: "Messages in a partition not yet committed by the consumer group (end offset minus committed offset).",
		}, []string{"group", "topic", "partition"}),
		errs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_consumer_lag_poll_errors_total",
			Help: "Failed polls of committed and end offsets, by consumer group.",
		}, []string{"group"}),
		lastPoll: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "langnghe_bus_consumer_lag_last_poll_timestamp_seconds",
			Help: "Unix time of the last successful consumer lag poll.",
		}),
	}
	for _, o := range opts {
		o(m)
	}
	if reg != nil {
		m.lag = register(reg, m.lag)
		m.errs = register(reg, m.errs)
		m.lastPoll = register(reg, m.lastPoll)
	}
	return m
}

// Watch adds a consumer group reading topic.
func (m *LagMonitor) Watch(group, topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.watches = append(m.watches, groupTopic{group, topic})
}

// Run polls every interval until ctx ends. Poll failures are counted and logged at WARN
// once per failure streak, never returned: lag is for operators, not for the pipeline.
func (m *LagMonitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	failing := false
	for {
		pctx, cancel := context.WithTimeout(ctx, m.interval)
		err := m.Poll(pctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			m.log.Warn("không đọc được độ trễ consumer / consumer lag poll failed", "err", err)
			failing = true
		case err == nil && failing:
			m.log.Info("đọc lại được độ trễ consumer / consumer lag poll recovered")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Poll reads end and committed offsets once and updates the gauges.
func (m *LagMonitor) Poll(ctx context.Context) error {
	_, err := m.poll(ctx)
	return err
}

// Lag is one partition's lag.
type Lag struct {
	Group, Topic string
	Partition    int
	Lag          int64
}

// PollLag is Poll returning what was measured, sorted by group, topic and partition.
func (m *LagMonitor) PollLag(ctx context.Context) ([]Lag, error) { return m.poll(ctx) }

func (m *LagMonitor) poll(ctx context.Context) ([]Lag, error) {
	if len(m.brokers) == 0 {
		return nil, ErrNoBrokers
	}
	m.mu.Lock()
	watches := append([]groupTopic(nil), m.watches...)
	m.mu.Unlock()
	tr := newTransport("langnghe-lag")
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(m.brokers...), Timeout: adminTimeout, Transport: tr}

	var out []Lag
	var errs []error
	ends := map[string]map[int]PartitionRange{}
	for _, w := range watches {
		end, ok := ends[w.topic]
		if !ok {
			var err error
			if end, err = TopicOffsets(ctx, client, w.topic); err != nil {
				errs = append(errs, err)
				m.errs.WithLabelValues(w.group).Inc()
				continue
			}
			ends[w.topic] = end
		}
		lags, err := groupLag(ctx, client, w.group, w.topic, end)
		if err != nil {
			errs = append(errs, err)
			m.errs.WithLabelValues(w.group).Inc()
			continue
		}
		for _, l := range lags {
			m.lag.WithLabelValues(l.Group, l.Topic, strconv.Itoa(l.Partition)).Set(float64(l.Lag))
		}
		out = append(out, lags...)
	}
	if len(errs) == 0 {
		m.lastPoll.SetToCurrentTime()
	}
	return out, errors.Join(errs...)
}

// PartitionRange is the first and the end (next to be written) offset of a partition.
type PartitionRange struct{ First, End int64 }

// TopicOffsets lists the partitions of topic with their first and end offsets.
func TopicOffsets(ctx context.Context, client *kafka.Client, topic string) (map[int]PartitionRange, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("bus: metadata of %s: %w", topic, err)
	}
	var reqs []kafka.OffsetRequest
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("bus: metadata of %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			reqs = append(reqs, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("bus: topic %s has no partitions", topic)
	}
	res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("bus: end offsets of %s: %w", topic, err)
	}
	out := map[int]PartitionRange{}
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("bus: end offset of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = PartitionRange{First: po.FirstOffset, End: po.LastOffset}
	}
	return out, nil
}

func groupLag(ctx context.Context, client *kafka.Client, group, topic string, end map[int]PartitionRange) ([]Lag, error) {
	parts := make([]int, 0, len(end))
	for p := range end {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	res, err := offsetFetch(ctx, client, group, topic, parts)
	if err != nil {
		return nil, fmt.Errorf("bus: committed offsets of group %s on %s: %w", group, topic, err)
	}
	committed := map[int]int64{}
	for _, p := range res {
		if p.Error != nil {
			return nil, fmt.Errorf("bus: committed offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
		}
		committed[p.Partition] = p.CommittedOffset
	}
	out := make([]Lag, 0, len(parts))
	for _, p := range parts {
		r := end[p]
		c, ok := committed[p]
		if !ok || c < r.First { // never committed, or committed below what is retained
			c = r.First
		}
		out = append(out, Lag{Group: group, Topic: topic, Partition: p, Lag: max(0, r.End-c)})
	}
	return out, nil
}

// offsetFetch asks for the group's committed offsets. A group the broker does not know yet
// has committed nothing (nil, nil). A coordinator that moved or is still loading is asked
// again a few times: right after a group appears, Kafka 4 answers NOT_COORDINATOR for a
// moment.
func offsetFetch(ctx context.Context, client *kafka.Client, group, topic string, parts []int) ([]kafka.OffsetFetchPartition, error) {
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, errors.Join(err, ctx.Err())
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		var res *kafka.OffsetFetchResponse
		res, err = client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
		if err == nil {
			err = res.Error
		}
		switch {
		case err == nil:
			return res.Topics[topic], nil
		case errors.Is(err, kafka.GroupIdNotFound):
			return nil, nil
		case errors.Is(err, kafka.NotCoordinatorForGroup), errors.Is(err, kafka.GroupCoordinatorNotAvailable), errors.Is(err, kafka.GroupLoadInProgress):
			continue
		default:
			return nil, err
		}
	}
	return nil, err
}
