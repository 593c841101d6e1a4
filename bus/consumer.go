package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Processor handles one batch of messages fetched from one topic, in offset order per
// partition. The Consumer calls it from a single goroutine, one batch at a time; a batch
// holds 1 to maxMessages messages (see WithBatch), possibly from several partitions.
//
// It returns one error per message, in the same order; a nil slice or nil entries mean
// success. A slice of any other length stops the Consumer with ErrProcessorContract.
//
//   - errors.Is(err, ErrPermanent) (see Permanent): the message can never succeed. It goes to
//     the dead-letter topic with err's text as the reason and counts as done.
//   - any other error: transient. Only the failed messages are passed again, after a capped
//     exponential backoff with jitter, until they succeed, become permanent, or ctx ends.
//     Meanwhile nothing new is fetched (backpressure).
//
// ctx is cancelled when the Consumer stops; a Processor should then return promptly (any
// error will do): the unfinished batch is not committed and will be redelivered. Because
// delivery is at-least-once, a Processor must be idempotent (key writes by post id).
type Processor func(ctx context.Context, msgs []Message) []error

// Consumer is one member of a Kafka consumer group reading one topic for one pipeline stage.
// It delivers at-least-once: see the package documentation. Create it with NewConsumer and
// call Run once.
type Consumer struct {
	brokers []string
	group   string
	topic   string
	stage   string
	process Processor
	cfg     consumerConfig
}

// ConsumerOption configures a Consumer.
type ConsumerOption func(*consumerConfig)

type consumerConfig struct {
	log            *slog.Logger
	metrics        *Metrics
	maxMessages    int
	maxWait        time.Duration
	dlq            *Producer
	dlqTopic       string
	backoffMin     time.Duration
	backoffMax     time.Duration
	clientID       string
	sessionTimeout time.Duration
	fetchMaxWait   time.Duration
	closeTimeout   time.Duration
	prepare        Preparer
}

// WithBatch sets the largest batch handed to the Processor (default 500) and how long the
// Consumer waits to fill a batch after its first message arrived (default 50ms). A batch
// never waits longer than maxWait for stragglers, so latency stays bounded at low traffic.
func WithBatch(maxMessages int, maxWait time.Duration) ConsumerOption {
	return func(c *consumerConfig) {
		if maxMessages > 0 {
			c.maxMessages = maxMessages
		}
		if maxWait > 0 {
			c.maxWait = maxWait
		}
	}
}

// Preparer does a stage's CPU work on a batch ahead of its Processor: with WithPrepare,
// the Consumer fetches batch n+1 while the Processor works on batch n and calls the
// Preparer on it from the fetching goroutine, so decoding and encoding overlap the
// previous batch's I/O. It is called once per fetched batch, never concurrently with
// itself but concurrently with the Processor, and always returns before that batch is
// passed to the Processor. It must only compute and cache (keyed by topic, partition and
// offset, which always name the same message): a prepared batch may be abandoned
// (shutdown, rebalance) and delivered again later, and messages passed to the Processor
// again after a transient error are not prepared again. It has no error to return: a
// message it cannot prepare is for the Processor to reject.
type Preparer func(ctx context.Context, msgs []Message)

// WithPrepare sets a Preparer and makes the Consumer fetch one batch ahead (default: none,
// and each batch is fetched after the previous one was committed). At most two batches are
// held: the one being processed and the prepared next one.
func WithPrepare(p Preparer) ConsumerOption { return func(c *consumerConfig) { c.prepare = p } }

// WithDLQ makes the Consumer write dead letters through p (default: its own producer to the
// same brokers, closed when Run returns). A shared p is not closed by the Consumer.
func WithDLQ(p *Producer) ConsumerOption {
	return func(c *consumerConfig) { c.dlq = p }
}

// WithDLQTopic overrides the dead-letter topic (default TopicDLQ). Tests use it to isolate
// runs on a shared broker.
func WithDLQTopic(topic string) ConsumerOption {
	return func(c *consumerConfig) { c.dlqTopic = topic }
}

// WithConsumerLogger sets the logger (default slog.Default()).
func WithConsumerLogger(l *slog.Logger) ConsumerOption {
	return func(c *consumerConfig) { c.log = l }
}

// WithConsumerMetrics records the consumer's metrics (and its own DLQ producer's) on m.
func WithConsumerMetrics(m *Metrics) ConsumerOption {
	return func(c *consumerConfig) { c.metrics = m }
}

// WithRetryBackoff sets the first and the largest delay between retries of transiently
// failed messages and failed commits (default 100ms and 5s, so a stage resumes within about
// 5 s of a dependency such as Elasticsearch coming back). Each delay doubles, capped at
// max, and is jittered to between half and all of it so replicas do not retry in lockstep.
func WithRetryBackoff(min, max time.Duration) ConsumerOption {
	return func(c *consumerConfig) {
		if min > 0 {
			c.backoffMin = min
		}
		if max >= c.backoffMin {
			c.backoffMax = max
		}
	}
}

// WithConsumerClientID sets the Kafka client.id (default "langnghe-<stage>").
func WithConsumerClientID(id string) ConsumerOption {
	return func(c *consumerConfig) { c.clientID = id }
}

// WithSessionTimeout sets the group session timeout (default 10s): how long the group waits
// for a member that vanished without leaving before giving its partitions to others. It
// must lie within the broker's group.min/max.session.timeout.ms (6s..30min on Kafka).
func WithSessionTimeout(d time.Duration) ConsumerOption {
	return func(c *consumerConfig) { c.sessionTimeout = d }
}

// WithFetchMaxWait sets kafka-go's ReaderConfig.MaxWait (default 1.5s). kafka-go uses it as
// the read deadline of a fetch and asks the broker to hold an idle fetch for less: d-1s when
// d >= 1s, else 3d/4. So 1.5s means "the broker answers an idle fetch after 0.5s, and may be
// up to 1s late before the client calls it an i/o timeout and reconnects". Smaller values
// leave a loaded broker too little slack (250ms leaves 62ms; we saw reconnect storms on a busy
// Kafka 4 host), exactly 1s makes the broker wait 0 (a busy poll, so it becomes 1.5s), and
// larger values delay Close, which waits for the in-flight fetch, by up to d-1s.
func WithFetchMaxWait(d time.Duration) ConsumerOption {
	return func(c *consumerConfig) {
		if d == time.Second {
			d = 1500 * time.Millisecond
		}
		if d > 0 {
			c.fetchMaxWait = d
		}
	}
}

// NewConsumer returns a consumer of topic in consumer group group for the named stage
// (used in metrics, logs and the DLQ stage header). It connects when Run is called.
func NewConsumer(brokers []string, group, topic, stage string, process Processor, opts ...ConsumerOption) *Consumer {
	cfg := consumerConfig{
		log:            slog.Default(),
		maxMessages:    500,
		maxWait:        50 * time.Millisecond,
		dlqTopic:       TopicDLQ,
		backoffMin:     100 * time.Millisecond,
		backoffMax:     5 * time.Second, // a stage resumes within 5 s of its dependency coming back
		clientID:       "langnghe-" + stage,
		sessionTimeout: 10 * time.Second,
		// See WithFetchMaxWait for why 1.5s and not kafka-go's 10s.
		fetchMaxWait: 1500 * time.Millisecond,
		closeTimeout: time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.log = cfg.log.With("stage", stage, "topic", topic, "group", group)
	return &Consumer{brokers: brokers, group: group, topic: topic, stage: stage, process: process, cfg: cfg}
}

func (c *Consumer) readerConfig() kafka.ReaderConfig {
	return kafka.ReaderConfig{
		Brokers: c.brokers,
		GroupID: c.group,
		Topic:   c.topic,
		Dialer: &kafka.Dialer{
			ClientID:  c.cfg.clientID,
			Timeout:   5 * time.Second,
			DualStack: true,
		},
		// Room for a full batch plus the next one being prefetched.
		QueueCapacity: max(100, c.cfg.maxMessages),
		MinBytes:      1,
		MaxBytes:      10 << 20,
		MaxWait:       c.cfg.fetchMaxWait,
		// The lag goroutine issues extra ListOffsets requests we do not use.
		ReadLagInterval:   -1,
		HeartbeatInterval: time.Second,
		// 0 = CommitMessages is synchronous: it returns after the broker stored the offset,
		// which is what lets us promise at-least-once.
		CommitInterval:   0,
		SessionTimeout:   c.cfg.sessionTimeout,
		RebalanceTimeout: c.cfg.sessionTimeout,
		JoinGroupBackoff: 500 * time.Millisecond,
		// A new group starts at the beginning: posts produced before the stage first ran
		// must not be skipped (kafka-go defaults to FirstOffset too, but say it).
		StartOffset:    kafka.FirstOffset,
		ReadBackoffMin: 50 * time.Millisecond,
		ReadBackoffMax: time.Second,
		Logger:         kafkaLogger(c.cfg.log, slog.LevelDebug-4, "kafka-reader"),
		ErrorLogger:    kafkaLogger(c.cfg.log, slog.LevelWarn, "kafka-reader"),
	}
}

// Run fetches, processes and commits until ctx is cancelled. Then it abandons the current
// batch if it is unfinished (it will be redelivered), commits what was done with a fresh
// short timeout, leaves the group and returns, all within about two seconds. It returns nil
// on cancellation and an error only if it cannot continue (ErrProcessorContract, the reader
// was closed underneath it). Call Run once per Consumer.
func (c *Consumer) Run(ctx context.Context) error {
	if c.process == nil {
		return errors.New("bus: consumer has no processor")
	}
	if len(c.brokers) == 0 {
		return ErrNoBrokers
	}
	dlq := c.cfg.dlq
	if dlq == nil {
		dlq = NewProducer(c.brokers, WithProducerLogger(c.cfg.log), WithProducerMetrics(c.cfg.metrics),
			WithClientID(c.cfg.clientID+"-dlq"))
	}
	r := kafka.NewReader(c.readerConfig())
	s := &session{Consumer: c, r: r, dlq: dlq, tr: newOffsetTracker(), ready: map[int]int64{}}
	c.cfg.log.Info("consumer started")

	lctx, stopLoop := context.WithCancel(ctx)
	err := s.loop(lctx)
	stopLoop() // ends a fetch ahead still waiting for messages
	s.ahead.Wait()

	// Shutdown. The caller's ctx is done (or the loop failed), so commit with a fresh,
	// short deadline: losing this commit only costs redeliveries, not data.
	start := time.Now()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.closeTimeout)
	if cerr := s.commitReady(cctx, false); cerr != nil {
		c.cfg.log.Warn("final commit failed; done messages will be redelivered", "err", cerr)
	}
	cancel()
	c.cfg.metrics.setInFlight(c.stage, 0)
	closeWithin(c.cfg.log, "reader", c.cfg.closeTimeout, r.Close)
	if c.cfg.dlq == nil {
		closeWithin(c.cfg.log, "dlq producer", c.cfg.closeTimeout, dlq.Close)
	}
	c.cfg.log.Info("consumer stopped", "shutdown", time.Since(start).Round(time.Millisecond), "err", err)
	return err
}

// closeWithin runs closeFn but gives up waiting after d. kafka-go's Reader.Close leaves the
// group over a fresh coordinator connection and waits for its fetch goroutines; against a
// dead broker that can take the dial timeout or longer, and shutdown must stay bounded.
func closeWithin(log *slog.Logger, what string, d time.Duration, closeFn func() error) {
	done := make(chan error, 1)
	go func() { done <- closeFn() }()
	select {
	case err := <-done:
		if err != nil {
			log.Warn("close failed", "what", what, "err", err)
		}
	case <-time.After(d):
		log.Warn("close still running; not waiting for it", "what", what, "after", d)
	}
}

// session is the state of one Run.
type session struct {
	*Consumer
	r   *kafka.Reader
	dlq *Producer
	tr  *offsetTracker
	// ready holds commit points of fully finished batches not yet committed. Only finished
	// batches are committed: the batch is the unit the Processor sees, and an unfinished
	// one is redelivered as a whole.
	ready map[int]int64
	ahead sync.WaitGroup // fetchAhead goroutines
}

// fetched is the outcome of one fetchAhead.
type fetched struct {
	batch []Message
	err   error
}

// fetchAhead fetches (and prepares, with WithPrepare) the next batch on its own goroutine.
// The goroutine never blocks after fetching, and s.ahead counts it so Run can wait for it
// before closing the reader.
func (s *session) fetchAhead(ctx context.Context) <-chan fetched {
	ch := make(chan fetched, 1)
	s.ahead.Add(1)
	go func() {
		defer s.ahead.Done()
		batch, err := s.fetchBatch(ctx)
		if len(batch) > 0 && s.cfg.prepare != nil && ctx.Err() == nil {
			s.cfg.prepare(ctx, batch)
		}
		ch <- fetched{batch, err}
	}()
	return ch
}

func (s *session) loop(ctx context.Context) error {
	fetchFailures := 0
	next := s.fetchAhead(ctx)
	for {
		f := <-next // the goroutine returns promptly once ctx is done
		batch, ferr := f.batch, f.err
		next = nil
		if ctx.Err() != nil {
			// Anything fetched but not processed is abandoned: it was never committed, so
			// the group hands it out again.
			return nil
		}
		if ferr != nil {
			if errors.Is(ferr, io.EOF) {
				return fmt.Errorf("bus: %s: reader closed: %w", s.stage, ferr)
			}
			fetchFailures++
			s.cfg.log.Warn("fetch failed", "err", ferr, "consecutive", fetchFailures)
			if len(batch) == 0 {
				if !sleep(ctx, s.backoff(fetchFailures-1)) {
					return nil
				}
				next = s.fetchAhead(ctx)
				continue
			}
		} else {
			fetchFailures = 0
		}
		if s.cfg.prepare != nil {
			next = s.fetchAhead(ctx) // batch n+1 is fetched and prepared while n is processed
		}

		for _, m := range batch {
			s.tr.fetched(m.Partition, m.Offset)
		}
		s.cfg.metrics.addConsumed(s.stage, len(batch))
		s.cfg.metrics.setInFlight(s.stage, len(batch))
		start := time.Now()
		finished, err := s.handle(ctx, batch)
		if err != nil {
			return err
		}
		if !finished {
			return nil // ctx ended mid-batch
		}
		s.cfg.metrics.observeBatch(s.stage, time.Since(start))
		s.cfg.metrics.setInFlight(s.stage, 0)
		for p, off := range s.tr.commitPoints() {
			s.ready[p] = off
		}
		if err := s.commitReady(ctx, true); err != nil {
			return nil // only fails when ctx ended; Run retries once more with a fresh ctx
		}
		if next == nil {
			next = s.fetchAhead(ctx)
		}
	}
}

// fetchBatch blocks for the first message, then gathers more for at most maxWait. A fetch
// error after the first message ends the batch early and is returned alongside it.
func (s *session) fetchBatch(ctx context.Context) ([]Message, error) {
	first, err := s.r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := make([]Message, 1, s.cfg.maxMessages)
	batch[0] = first
	if s.cfg.maxMessages == 1 {
		return batch, nil
	}
	// One timer for the whole batch; kafka-go's FetchMessage leaves the message in its
	// queue when ctx expires, so timing out loses nothing.
	wctx, cancel := context.WithTimeout(ctx, s.cfg.maxWait)
	defer cancel()
	for len(batch) < s.cfg.maxMessages {
		m, err := s.r.FetchMessage(wctx)
		if err != nil {
			if wctx.Err() != nil {
				return batch, nil
			}
			return batch, err
		}
		batch = append(batch, m)
	}
	return batch, nil
}

type deadLetter struct {
	msg Message
	err error
}

// handle runs the Processor over batch until every message is done. It reports false when
// ctx ended first.
func (s *session) handle(ctx context.Context, batch []Message) (bool, error) {
	todo := batch
	for attempt := 0; ; attempt++ {
		errs := s.process(ctx, todo)
		if len(errs) != 0 && len(errs) != len(todo) {
			return false, fmt.Errorf("%w: %d errors for %d messages (stage %s)", ErrProcessorContract, len(errs), len(todo), s.stage)
		}
		var (
			retry   []Message
			dead    []deadLetter
			ok      int
			lastErr error
		)
		for i, m := range todo {
			var err error
			if errs != nil {
				err = errs[i]
			}
			switch {
			case err == nil:
				ok++
				s.tr.markDone(m.Partition, m.Offset)
			case errors.Is(err, ErrPermanent):
				dead = append(dead, deadLetter{msg: m, err: err})
			default:
				retry = append(retry, m)
				lastErr = err
			}
		}
		s.cfg.metrics.addProcessed(s.stage, ok)
		if len(dead) > 0 {
			if !s.deadLetter(ctx, dead) {
				return false, nil
			}
		}
		if len(retry) == 0 {
			return true, nil
		}
		if ctx.Err() != nil {
			return false, nil
		}
		s.cfg.metrics.addRetried(s.stage, len(retry))
		d := s.backoff(attempt)
		// Log the first failure and then sparsely: a sink outage would otherwise log a
		// line per backoff step for as long as it lasts.
		if attempt == 0 || attempt%10 == 0 {
			s.cfg.log.Warn("transient processing failure; retrying", "failed", len(retry),
				"batch", len(batch), "attempt", attempt+1, "backoff", d, "err", lastErr)
		}
		if !sleep(ctx, d) {
			return false, nil
		}
		todo = retry
	}
}

// deadLetter publishes the messages to the DLQ topic, retrying until it succeeds or ctx
// ends; only then are they marked done. It reports whether they were written.
func (s *session) deadLetter(ctx context.Context, dead []deadLetter) bool {
	out := make([]Message, len(dead))
	for i, d := range dead {
		h := make([]kafka.Header, 0, len(d.msg.Headers)+5)
		h = append(h, d.msg.Headers...)
		h = append(h,
			kafka.Header{Key: HeaderStage, Value: []byte(s.stage)},
			kafka.Header{Key: HeaderError, Value: []byte(sanitizeError(d.err))},
			kafka.Header{Key: HeaderTopic, Value: []byte(d.msg.Topic)},
			kafka.Header{Key: HeaderPartition, Value: []byte(strconv.Itoa(d.msg.Partition))},
			kafka.Header{Key: HeaderOffset, Value: []byte(strconv.FormatInt(d.msg.Offset, 10))},
		)
		out[i] = Message{Key: d.msg.Key, Value: d.msg.Value, Headers: h}
	}
	for attempt := 0; ; attempt++ {
		err := s.dlq.Publish(ctx, s.cfg.dlqTopic, out...)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return false
		}
		s.cfg.log.Error("dead-letter publish failed; retrying", "topic", s.cfg.dlqTopic, "messages", len(out), "attempt", attempt+1, "err", err)
		if !sleep(ctx, s.backoff(attempt)) {
			return false
		}
	}
	for _, d := range dead {
		reason := Reason(d.err)
		s.cfg.metrics.incDeadLettered(s.stage, reason)
		s.tr.markDone(d.msg.Partition, d.msg.Offset)
		s.cfg.log.Warn("message dead-lettered", "partition", d.msg.Partition, "offset", d.msg.Offset,
			"key", string(d.msg.Key), "reason", reason, "err", d.err)
	}
	return true
}

// commitReady commits the ready commit points. With retry it keeps trying (with backoff)
// until success or ctx ends; a commit can fail during a rebalance and succeed right after.
func (s *session) commitReady(ctx context.Context, retry bool) error {
	if len(s.ready) == 0 {
		return nil
	}
	parts := make([]int, 0, len(s.ready))
	for p := range s.ready {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	msgs := make([]Message, len(parts))
	for i, p := range parts {
		// kafka-go commits Offset+1 of the highest message per partition.
		msgs[i] = Message{Topic: s.topic, Partition: p, Offset: s.ready[p]}
	}
	for attempt := 0; ; attempt++ {
		err := s.r.CommitMessages(ctx, msgs...)
		if err == nil {
			break
		}
		s.cfg.metrics.incCommitErr(s.stage)
		if !retry || ctx.Err() != nil {
			return fmt.Errorf("bus: commit %s: %w", s.topic, err)
		}
		s.cfg.log.Warn("commit failed; retrying", "attempt", attempt+1, "err", err)
		if !sleep(ctx, s.backoff(attempt)) {
			return fmt.Errorf("bus: commit %s: %w", s.topic, ctx.Err())
		}
	}
	s.cfg.metrics.incCommit(s.stage)
	for _, m := range msgs {
		s.tr.markCommitted(m.Partition, m.Offset)
		delete(s.ready, m.Partition)
	}
	return nil
}

// backoff returns the delay before retry number attempt (0-based): backoffMin doubled per
// attempt, capped at backoffMax, then jittered into [d/2, d].
func (s *session) backoff(attempt int) time.Duration {
	return jitteredBackoff(attempt, s.cfg.backoffMin, s.cfg.backoffMax)
}

func jitteredBackoff(attempt int, lo, hi time.Duration) time.Duration {
	d := hi
	if attempt < 32 {
		if x := lo << attempt; x > 0 && x < hi {
			d = x
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleep waits d or until ctx ends; it reports whether the full delay passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
