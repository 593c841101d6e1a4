package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is an in-process Kafka-protocol broker (franz-go's kfake) listening on
// 127.0.0.1. `langnghe run` starts one when no brokers are configured, so the pipeline uses
// the very same kafka-go code path as in production and external tools (kcat, kafka-ui) can
// attach to Brokers(). It is a single broker: replication factor 1.
type Embedded struct {
	cluster *kfake.Cluster
	brokers []string
}

// EmbeddedOption configures StartEmbedded.
type EmbeddedOption func(*embeddedConfig)

type embeddedConfig struct {
	port       int
	partitions int
	dataDir    string
	noSync     bool
	log        *slog.Logger
	topics     []TopicSpec
}

// WithEmbeddedPort listens on the given port (default 0: any free port).
func WithEmbeddedPort(port int) EmbeddedOption {
	return func(c *embeddedConfig) { c.port = port }
}

// WithEmbeddedPartitions sets the partition count of the default topics (default 3).
func WithEmbeddedPartitions(n int) EmbeddedOption {
	return func(c *embeddedConfig) { c.partitions = n }
}

// WithEmbeddedDataDir persists topics, records and committed offsets under dir, so a
// restarted single-machine `langnghe run` resumes where it stopped (default: memory only).
// Every produced batch and every offset commit is written to dir and fsynced before the
// broker answers (kfake's SyncWrites), so whatever a producer saw acknowledged survives a
// crash of the process or of the machine; see WithEmbeddedNoSync.
func WithEmbeddedDataDir(dir string) EmbeddedOption {
	return func(c *embeddedConfig) { c.dataDir = dir }
}

// WithEmbeddedNoSync leaves the data dir's writes in the page cache (synced on segment roll
// and Close, like Kafka's default). An acknowledged record then survives the process being
// killed but not a power cut. For benchmarks and tests that measure the fsync's cost.
func WithEmbeddedNoSync() EmbeddedOption {
	return func(c *embeddedConfig) { c.noSync = true }
}

// WithEmbeddedLogger sets the logger for the broker's own messages (logged at Debug).
func WithEmbeddedLogger(l *slog.Logger) EmbeddedOption {
	return func(c *embeddedConfig) { c.log = l }
}

// WithEmbeddedTopics replaces the topics created at start (default DefaultTopics(partitions, 1)).
func WithEmbeddedTopics(topics ...TopicSpec) EmbeddedOption {
	return func(c *embeddedConfig) { c.topics = topics }
}

// StartEmbedded starts the broker and creates the default topics through EnsureTopics (the
// same admin path as against real Kafka). ctx bounds the start only; stop the broker with
// Close.
func StartEmbedded(ctx context.Context, opts ...EmbeddedOption) (*Embedded, error) {
	cfg := embeddedConfig{partitions: 3, log: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.topics == nil {
		cfg.topics = DefaultTopics(cfg.partitions, 1)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ClusterID("langnghe-embedded"),
		kfake.DefaultNumPartitions(max(cfg.partitions, 1)),
		kfake.WithLogger(kfakeLogger{cfg.log}),
	}
	if cfg.port != 0 {
		kopts = append(kopts, kfake.Ports(cfg.port))
	}
	if cfg.dataDir != "" {
		kopts = append(kopts, kfake.DataDir(cfg.dataDir))
		if !cfg.noSync {
			kopts = append(kopts, kfake.SyncWrites())
		}
	}
	cluster, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("bus: start embedded broker: %w", err)
	}
	e := &Embedded{cluster: cluster, brokers: cluster.ListenAddrs()}
	if err := EnsureTopics(ctx, e.brokers, cfg.topics...); err != nil {
		cluster.Close()
		return nil, fmt.Errorf("bus: embedded broker topics: %w", err)
	}
	if err := e.lowerCommitsAboveEnd(ctx, cfg.log); err != nil {
		cluster.Close()
		return nil, fmt.Errorf("bus: embedded broker: %w", err)
	}
	cfg.log.Info("embedded kafka broker started", "brokers", e.brokers, "data_dir", cfg.dataDir)
	return e, nil
}

// lowerCommitsAboveEnd sets every group commit that lies beyond its partition's end back to
// that end. Builds before the trimmer kept each partition's last record could trim a
// partition empty; kfake then restores it at offset 0 while the groups' commits stay where
// they were, and every record produced after the restart up to those commits would be
// skipped. No stage is connected yet, so the groups are empty and take simple commits.
func (e *Embedded) lowerCommitsAboveEnd(ctx context.Context, log *slog.Logger) error {
	cl := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
	groups, err := cl.ListGroups(ctx, &kafka.ListGroupsRequest{})
	if err == nil {
		err = groups.Error
	}
	if err != nil {
		return fmt.Errorf("listing groups: %w", err)
	}
	for _, g := range groups.Groups {
		gi := e.cluster.GroupInfo(g.GroupID)
		if gi == nil {
			continue
		}
		fix := map[string][]kafka.OffsetCommit{}
		for topic, parts := range gi.Commits {
			for partition, c := range parts {
				p := e.cluster.PartitionInfo(topic, partition)
				if p == nil || c.Offset <= p.HighWatermark {
					continue
				}
				log.Warn("embedded broker: a group's commit lies beyond its partition's end (a data dir trimmed empty by an older build); lowering it so no new record is skipped",
					"group", g.GroupID, "topic", topic, "partition", partition, "commit", c.Offset, "end", p.HighWatermark)
				fix[topic] = append(fix[topic], kafka.OffsetCommit{Partition: int(partition), Offset: p.HighWatermark})
			}
		}
		if len(fix) == 0 {
			continue
		}
		resp, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: g.GroupID, GenerationID: -1, Topics: fix})
		if err != nil {
			return fmt.Errorf("lowering the commits of group %s: %w", g.GroupID, err)
		}
		for topic, parts := range resp.Topics {
			for _, p := range parts {
				if p.Error != nil {
					return fmt.Errorf("lowering the commit of group %s on %s/%d: %w", g.GroupID, topic, p.Partition, p.Error)
				}
			}
		}
	}
	return nil
}

// Brokers returns the bootstrap addresses ("127.0.0.1:port").
func (e *Embedded) Brokers() []string { return append([]string(nil), e.brokers...) }

// Close stops the broker (persisting state when a data directory is set). Clients still
// connected see their connections closed. Safe to call more than once.
func (e *Embedded) Close() error {
	e.cluster.Close()
	return nil
}

// kfakeLogger forwards kfake's messages to slog at Debug (errors at Warn).
type kfakeLogger struct{ l *slog.Logger }

func (k kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	lvl := slog.LevelDebug
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelWarn
	case kfake.LogLevelNone:
		return
	}
	if k.l.Enabled(context.Background(), lvl) {
		k.l.Log(context.Background(), lvl, fmt.Sprintf(format, args...), "component", "kfake")
	}
}

// TrimConsumed deletes, in every partition of topic, the records below the lowest offset
// committed by all of groups: records every reader of the topic has finished with, except
// the partition's last record, which keeps its offsets across a restart. A
// partition where one of the groups has no commit is left alone (that group still has
// everything to read), so nothing is deleted that a stage has not processed or
// dead-lettered. It returns how many records were deleted. Groups must name every group
// that reads topic.
func (e *Embedded) TrimConsumed(topic string, groups ...string) (int64, error) {
	if len(groups) == 0 {
		return 0, nil
	}
	commits := make([]map[int32]kfake.GroupCommit, 0, len(groups))
	for _, g := range groups {
		gi := e.cluster.GroupInfo(g)
		if gi == nil || gi.Commits[topic] == nil {
			return 0, nil
		}
		commits = append(commits, gi.Commits[topic])
	}
	var deleted int64
	var errs []error
	for _, p := range e.cluster.PartitionInfos(topic) {
		upTo := int64(-1)
		for _, c := range commits {
			gc, ok := c[p.Partition]
			if !ok {
				upTo = -1
				break
			}
			if upTo < 0 || gc.Offset < upTo {
				upTo = gc.Offset
			}
		}
		// The last record stays: kfake restores a partition's offsets from the records in
		// its data dir, so a partition trimmed empty came back at offset 0 after a restart,
		// below the groups' commits, and the stages skipped the next records up to them
		// (session 9: 432 of 20,000 replayed posts lost that way).
		upTo = min(upTo, p.HighWatermark-1)
		if upTo <= p.LogStartOffset {
			continue
		}
		if err := e.cluster.DeleteRecords(topic, p.Partition, upTo); err != nil {
			errs = append(errs, fmt.Errorf("bus: trim %s/%d to %d: %w", topic, p.Partition, upTo, err))
			continue
		}
		deleted += upTo - p.LogStartOffset
	}
	return deleted, errors.Join(errs...)
}

// RunTrimmer calls TrimConsumed for each topic of readers (topic -> the groups reading it)
// every interval until ctx ends, so the data dir holds only records some stage has still
// to finish. Errors are logged, not returned: a missed trim only keeps records longer.
func (e *Embedded) RunTrimmer(ctx context.Context, interval time.Duration, readers map[string][]string, log *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for topic, groups := range readers {
			n, err := e.TrimConsumed(topic, groups...)
			if err != nil {
				log.Warn("embedded broker: trimming consumed records failed", "topic", topic, "err", err)
			} else if n > 0 {
				log.Debug("embedded broker: trimmed consumed records", "topic", topic, "records", n)
			}
		}
	}
}
