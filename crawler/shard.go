package crawler

import (
	"context"
	"hash/fnv"
	"net/url"
	"strings"
	"time"

	"github.com/langnghe/langnghe/bus"
)

// DefaultTaskTopic is the topic whose partitions the crawl consumer group divides: a
// replica crawls the hosts that hash to the partitions assigned to it.
const DefaultTaskTopic = "crawler.tasks"

// Hoster is implemented by sources whose requests go to one host. RunSharded keys crawl
// tasks by it, so every source of a host runs in the same replica and per-host politeness
// holds across replicas.
type Hoster interface {
	Host() string
}

// HostOf returns the shard key of a source: its host, or its name when it has none.
func HostOf(s Source) string {
	if h, ok := s.(Hoster); ok && h.Host() != "" {
		return strings.ToLower(h.Host())
	}
	return "source:" + s.Name()
}

// HostOfURL returns the host (with port) of u, or "".
func HostOfURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(pu.Host)
}

// ShardPartition maps a host onto one of n partitions (FNV-1a), the same in every replica.
func ShardPartition(host string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(host))
	return int(h.Sum32() % uint32(n))
}

// ShardOptions tune RunSharded; zero values mean defaults suited to a crawler (a replica
// that dies hands its hosts over within about 10 s).
type ShardOptions struct {
	Partitions        int
	Replication       int
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
}

// RunSharded runs, until ctx ends, the sources whose host hashes to a partition of topic
// that the consumer group assigns to this replica. Replicas started with the same group
// split the hosts; when one joins or leaves, the group rebalances, each replica stops its
// current set (between passes or by canceling the pass; an interrupted pass saves no
// cursor, so its posts are re-emitted by the new owner, never lost) and starts its new
// set. The topic carries no messages: only its partition assignment is used.
func (r *Runner) RunSharded(ctx context.Context, brokers []string, group, topic string, o ShardOptions) error {
	o.Partitions = max(o.Partitions, 1)
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = time.Second
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 10 * time.Second
	}
	if err := bus.EnsureTopics(ctx, brokers, bus.TopicSpec{Name: topic, Partitions: o.Partitions, ReplicationFactor: max(o.Replication, 1)}); err != nil {
		return err
	}
	m, err := bus.JoinGroup(bus.GroupConfig{Brokers: brokers, Group: group, Topic: topic,
		HeartbeatInterval: o.HeartbeatInterval, SessionTimeout: o.SessionTimeout})
	if err != nil {
		return err
	}
	defer m.Close()
	for {
		gen, err := m.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.log.Warn("nhóm crawl lỗi, thử lại / crawl group error, retrying", "group", group, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		owned := map[int]bool{}
		for _, p := range gen.Partitions {
			owned[p] = true
		}
		var mine []Scheduled
		var names []string
		for _, s := range r.sources {
			if owned[ShardPartition(HostOf(s.Source), o.Partitions)] {
				mine = append(mine, s)
				names = append(names, s.Source.Name())
			}
		}
		r.setOwned(names)
		if rf, ok := r.cursors.(interface{ Refresh(context.Context) error }); ok {
			// Sources taken over from another replica continue from its last cursor.
			if err := rf.Refresh(ctx); err != nil {
				r.log.Warn("không đọc lại được con trỏ / cannot refresh cursors", "err", err)
			}
		}
		r.log.Info("nhận nguồn / sources assigned", "generation", gen.Generation, "partitions", len(owned), "sources", strings.Join(names, ","))
		gen.Start(func(gctx context.Context) {
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				select {
				case <-gctx.Done():
					cancel()
				case <-runCtx.Done():
				}
			}()
			r.runSet(runCtx, mine)
		})
	}
}
