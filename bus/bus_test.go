package bus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/testinfra"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
)

// TestBusEmbedded runs the conformance suite against the in-process kfake broker.
func TestBusEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, WithEmbeddedLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	testBus(t, e.Brokers())
}

// TestBusRealKafka runs the same suite against a real broker, e.g. the Kafka 4 broker
// started by testinfra/kafka.sh (found through testinfra.KafkaBrokers).
func TestBusRealKafka(t *testing.T) {
	brokers := testinfra.KafkaBrokers(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := Ping(ctx, brokers); err != nil {
		t.Fatalf("Kafka at %v does not answer: %v", brokers, err)
	}
	testBus(t, brokers)
}

// testBus is the conformance suite: everything the pipeline relies on from the bus, run
// against any Kafka-protocol broker. Every subtest uses its own topics and groups.
func testBus(t *testing.T, brokers []string) {
	t.Run("Ping", func(t *testing.T) { testPing(t, brokers) })
	t.Run("EnsureTopicsIdempotent", func(t *testing.T) { testEnsureTopics(t, brokers) })
	t.Run("SinglePublishLatency", func(t *testing.T) { testSinglePublishLatency(t, brokers) })
	testConsumers(t, brokers)
	// The consumer suite again with a Preparer, so fetching ahead keeps every promise; the
	// Preparer must have seen every message before the Processor does.
	t.Run("Prepared", func(t *testing.T) {
		var prepared sync.Map // topic/partition/offset -> true
		key := func(m Message) string { return fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset) }
		check := func(t *testing.T) ConsumerOption {
			return WithPrepare(func(ctx context.Context, msgs []Message) {
				for _, m := range msgs {
					prepared.Store(key(m), true)
				}
			})
		}
		seen := func(t *testing.T, batch []Message) {
			for _, m := range batch {
				if _, ok := prepared.Load(key(m)); !ok {
					t.Errorf("message %s processed before it was prepared", key(m))
				}
			}
		}
		testConsumers(t, brokers, consumerTestOpts{extra: check, beforeProcess: seen})
	})
}

// consumerTestOpts vary the consumer subtests: extra options for every Consumer they
// create, and a check run on every batch before their Processor handles it.
type consumerTestOpts struct {
	extra         func(t *testing.T) ConsumerOption
	beforeProcess func(t *testing.T, batch []Message)
}

func (o consumerTestOpts) opts(t *testing.T, opts ...ConsumerOption) []ConsumerOption {
	if o.extra != nil {
		opts = append(opts, o.extra(t))
	}
	return opts
}

func (o consumerTestOpts) check(t *testing.T, batch []Message) {
	if o.beforeProcess != nil {
		o.beforeProcess(t, batch)
	}
}

func testConsumers(t *testing.T, brokers []string, o ...consumerTestOpts) {
	var co consumerTestOpts
	if len(o) > 0 {
		co = o[0]
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, brokers, co) })
	t.Run("DeadLetter", func(t *testing.T) { testDeadLetter(t, brokers, co) })
	t.Run("TransientRetry", func(t *testing.T) { testTransientRetry(t, brokers, co) })
	t.Run("AtLeastOnceRedelivery", func(t *testing.T) { testAtLeastOnce(t, brokers, co) })
}

func testPing(t *testing.T, brokers []string) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := Ping(ctx, brokers); err != nil {
		t.Fatalf("Ping(%v) = %v, want nil", brokers, err)
	}
	// Port 1 on loopback refuses connections: a dead broker listed first must not fail
	// the probe while a live one answers, and a list of only dead brokers must fail.
	if err := Ping(ctx, append([]string{"127.0.0.1:1"}, brokers...)); err != nil {
		t.Fatalf("Ping with one dead broker first = %v, want nil", err)
	}
	if err := Ping(ctx, []string{"127.0.0.1:1"}); err == nil {
		t.Fatal("Ping(dead broker) = nil, want error")
	}
	if err := Ping(ctx, nil); !errors.Is(err, ErrNoBrokers) {
		t.Fatalf("Ping(nil) = %v, want ErrNoBrokers", err)
	}
}

func testEnsureTopics(t *testing.T, brokers []string) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	a, b := uniqueName(t, "a"), uniqueName(t, "b")
	specs := []TopicSpec{
		{Name: a, Partitions: 2, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "3600000"}},
		{Name: b, Partitions: 1, ReplicationFactor: 1},
	}
	for i := range 3 {
		if err := EnsureTopics(ctx, brokers, specs...); err != nil {
			t.Fatalf("EnsureTopics call %d: %v", i+1, err)
		}
	}
	// An existing topic is left alone even when the spec asks for more partitions.
	if err := EnsureTopics(ctx, brokers, TopicSpec{Name: a, Partitions: 5, ReplicationFactor: 1}); err != nil {
		t.Fatalf("EnsureTopics on existing topic with other partition count: %v", err)
	}
	tr := newTransport("test")
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, tp := range md.Topics {
		got[tp.Name] = len(tp.Partitions)
	}
	if got[a] != 2 || got[b] != 1 {
		t.Fatalf("partitions = %v, want %s:2 %s:1", got, a, b)
	}
	// The default pipeline topics exist on any broker the suite runs against after this.
	if err := EnsureTopics(ctx, brokers, DefaultTopics(3, 1)...); err != nil {
		t.Fatalf("EnsureTopics(DefaultTopics): %v", err)
	}
}

// testSinglePublishLatency: a lone post is not held back for batching (kafka-go's default
// BatchTimeout is 1s); Publish returns after the acks within a few milliseconds.
func testSinglePublishLatency(t *testing.T, brokers []string) {
	topic := newTopic(t, brokers, 3)
	p := NewProducer(brokers, WithProducerLogger(testLogger(t)))
	defer p.Close()
	// The first call pays for connections and metadata.
	if err := p.Publish(t.Context(), topic, Message{Key: []byte("warm-up")}); err != nil {
		t.Fatal(err)
	}
	var lat []time.Duration
	for i := range 21 {
		start := time.Now()
		if err := p.Publish(t.Context(), topic, Message{Key: []byte("k" + strconv.Itoa(i)), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("single Publish latency: min %s, median %s, max %s", lat[0], lat[len(lat)/2], lat[len(lat)-1])
	if med := lat[len(lat)/2]; med > 200*time.Millisecond {
		t.Errorf("median single Publish latency %s, want well under 200ms", med)
	}
}

func testRoundTrip(t *testing.T, brokers []string, co consumerTestOpts) {
	const partitions, n = 3, 60
	topic := newTopic(t, brokers, partitions)
	group := uniqueName(t, "group")
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	log := testLogger(t)

	p := NewProducer(brokers, WithProducerLogger(log), WithProducerMetrics(m))
	defer p.Close()
	want := map[string]string{}
	var msgs []Message
	for i := range n {
		k, v := fmt.Sprintf("rss:example.vn:%d", i), fmt.Sprintf("bài viết số %d", i)
		want[k] = v
		msgs = append(msgs, Message{Key: []byte(k), Value: []byte(v)})
	}
	// Half in one call, the rest one per call from concurrent goroutines.
	if err := p.Publish(t.Context(), topic, msgs[:n/2]...); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, msg := range msgs[n/2:] {
		wg.Go(func() {
			if err := p.Publish(t.Context(), topic, msg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := testutil.ToFloat64(m.produced.WithLabelValues(topic)); got != n {
		t.Fatalf("produced_total = %v, want %d", got, n)
	}

	var mu sync.Mutex
	got := map[string]Message{}
	c := NewConsumer(brokers, group, topic, "roundtrip", func(ctx context.Context, batch []Message) []error {
		co.check(t, batch)
		mu.Lock()
		defer mu.Unlock()
		for _, msg := range batch {
			got[string(msg.Key)] = msg
		}
		return nil
	}, co.opts(t, WithBatch(16, 20*time.Millisecond), WithConsumerLogger(log), WithConsumerMetrics(m))...)
	stop := runConsumer(t, c)
	waitFor(t, 30*time.Second, "all messages consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == n
	})
	took, err := stop()
	if err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
	if took > 3*time.Second {
		t.Errorf("shutdown took %s, want about 2s at most", took)
	}
	t.Logf("shutdown took %s", took)

	perPartition := map[int]int64{}
	balancer := &kafka.Murmur2Balancer{}
	for k, msg := range got {
		if string(msg.Value) != want[k] {
			t.Errorf("key %s: value %q, want %q", k, msg.Value, want[k])
		}
		// The Java client's murmur2 partitioner would have put the key on this partition.
		if wantP := balancer.Balance(kafka.Message{Key: msg.Key}, 0, 1, 2); msg.Partition != wantP {
			t.Errorf("key %s on partition %d, murmur2 says %d", k, msg.Partition, wantP)
		}
		perPartition[msg.Partition]++
	}
	// Everything consumed is committed: per partition the committed offset is the count.
	committed := committedOffsets(t, brokers, group, topic, partitions)
	for part := range partitions {
		if committed[part] != perPartition[part] {
			t.Errorf("partition %d: committed offset %d, want %d (all %d messages)", part, committed[part], perPartition[part], perPartition[part])
		}
	}
	if v := testutil.ToFloat64(m.consumed.WithLabelValues("roundtrip")); v != n {
		t.Errorf("consumed_total = %v, want %d", v, n)
	}
	if v := testutil.ToFloat64(m.processed.WithLabelValues("roundtrip")); v != n {
		t.Errorf("processed_total = %v, want %d", v, n)
	}
	if v := testutil.ToFloat64(m.commits.WithLabelValues("roundtrip")); v < 1 {
		t.Errorf("commit_total = %v, want >= 1", v)
	}
}

func testDeadLetter(t *testing.T, brokers []string, co consumerTestOpts) {
	topic := newTopic(t, brokers, 2)
	dlqTopic := newTopic(t, brokers, 1)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	log := testLogger(t)
	p := NewProducer(brokers, WithProducerLogger(log), WithProducerMetrics(m))
	defer p.Close()

	goodIDs := map[string]bool{}
	var msgs []Message
	for i := range 3 {
		id, b := validPost(t, strconv.Itoa(i), "Lừa đảo chuyển khoản trước, cẩn thận!")
		goodIDs[id] = true
		msgs = append(msgs, Message{Key: []byte(id), Value: b})
	}
	bad := map[string]struct {
		value  []byte
		reason string
	}{
		"bad:malformed:1":  {[]byte("{không phải JSON\n"), ReasonMalformed},
		"bad:schema:2":     {[]byte(`{"schema": 99, "id": "x:y:z"}`), ReasonSchemaTooNew},
		"bad:invalid:3":    {[]byte(`{"schema": 1, "id": ""}`), ReasonInvalid},
		"bad:downstream:4": {[]byte(`{"schema": 1}`), ReasonOther},
	}
	for k, b := range bad {
		msgs = append(msgs, Message{Key: []byte(k), Value: b.value,
			Headers: []kafka.Header{{Key: "trace-id", Value: []byte("t-" + k)}}})
	}
	if err := p.Publish(t.Context(), topic, msgs...); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	processed := map[string]bool{}
	seen := map[string]Message{}
	c := NewConsumer(brokers, uniqueName(t, "group"), topic, "classify", func(ctx context.Context, batch []Message) []error {
		co.check(t, batch)
		mu.Lock()
		defer mu.Unlock()
		errs := make([]error, len(batch))
		for i, msg := range batch {
			seen[string(msg.Key)] = msg
			if string(msg.Key) == "bad:downstream:4" {
				// A permanent failure that is not a post contract error.
				errs[i] = Permanent(errors.New("sink rejected document:\nmapping conflict"))
				continue
			}
			pst, err := post.Decode(msg.Value)
			if err != nil {
				errs[i] = Permanent(fmt.Errorf("decode: %w", err))
				continue
			}
			processed[pst.ID] = true
		}
		return errs
	}, co.opts(t, WithDLQTopic(dlqTopic), WithConsumerLogger(log), WithConsumerMetrics(m))...)
	stop := runConsumer(t, c)

	dead := readPartition(t, brokers, dlqTopic, 0, len(bad))
	if _, err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !maps.Equal(processed, goodIDs) {
		t.Errorf("processed %v, want %v", processed, goodIDs)
	}
	for _, d := range dead {
		k := string(d.Key)
		b, ok := bad[k]
		if !ok {
			t.Errorf("unexpected key %q in DLQ", k)
			continue
		}
		if string(d.Value) != string(b.value) {
			t.Errorf("%s: DLQ value %q, want original %q", k, d.Value, b.value)
		}
		orig := seen[k]
		wantHeaders := map[string]string{
			HeaderStage:     "classify",
			HeaderTopic:     topic,
			HeaderPartition: strconv.Itoa(orig.Partition),
			HeaderOffset:    strconv.FormatInt(orig.Offset, 10),
			"trace-id":      "t-" + k,
		}
		for hk, hv := range wantHeaders {
			if got, _ := header(d, hk); got != hv {
				t.Errorf("%s: header %s = %q, want %q", k, hk, got, hv)
			}
		}
		reason, _ := header(d, HeaderError)
		if reason == "" || strings.ContainsAny(reason, "\r\n") || len(reason) > 1024 {
			t.Errorf("%s: error header %q must be one non-empty line of at most 1 KiB", k, reason)
		}
		if v := testutil.ToFloat64(m.deadLettered.WithLabelValues("classify", b.reason)); v != 1 {
			t.Errorf("dead_lettered_total{reason=%s} = %v, want 1", b.reason, v)
		}
		delete(bad, k)
	}
	if len(bad) != 0 {
		t.Errorf("missing from DLQ: %v", slices.Collect(maps.Keys(bad)))
	}
	if v := testutil.ToFloat64(m.produced.WithLabelValues(dlqTopic)); v != 4 {
		t.Errorf("produced_total{topic=dlq} = %v, want 4", v)
	}
	// Dead-lettered messages count as done: the committed offsets cover all 7 messages.
	var sum int64
	for _, off := range committedOffsets(t, brokers, c.group, topic, 2) {
		sum += max(off, 0)
	}
	if sum != 7 {
		t.Errorf("committed offsets sum to %d, want 7", sum)
	}
}

func testTransientRetry(t *testing.T, brokers []string, co consumerTestOpts) {
	topic := newTopic(t, brokers, 1)
	dlqTopic := newTopic(t, brokers, 1)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	log := testLogger(t)
	p := NewProducer(brokers, WithProducerLogger(log))
	defer p.Close()
	var msgs []Message
	for i := range 5 {
		msgs = append(msgs, Message{Key: []byte("k" + strconv.Itoa(i)), Value: []byte("v")})
	}
	if err := p.Publish(t.Context(), topic, msgs...); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	calls := map[string]int{}
	var batches [][]string
	errFlaky := errors.New("elasticsearch: 503 service unavailable")
	c := NewConsumer(brokers, uniqueName(t, "group"), topic, "index", func(ctx context.Context, batch []Message) []error {
		co.check(t, batch)
		mu.Lock()
		defer mu.Unlock()
		errs := make([]error, len(batch))
		var keys []string
		for i, msg := range batch {
			k := string(msg.Key)
			keys = append(keys, k)
			calls[k]++
			switch {
			case k == "k2" && calls[k] <= 2: // fails twice, then succeeds
				errs[i] = fmt.Errorf("bulk index: %w", errFlaky)
			case k == "k4" && calls[k] == 1: // fails transiently, then turns out permanent
				errs[i] = errFlaky
			case k == "k4":
				errs[i] = Permanent(errors.New("document too large"))
			}
		}
		batches = append(batches, keys)
		return errs
	}, co.opts(t, WithBatch(10, 200*time.Millisecond), WithRetryBackoff(10*time.Millisecond, 40*time.Millisecond),
		WithDLQTopic(dlqTopic), WithConsumerLogger(log), WithConsumerMetrics(m))...)
	stop := runConsumer(t, c)
	dead := readPartition(t, brokers, dlqTopic, 0, 1)
	waitFor(t, 10*time.Second, "k2 processed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return calls["k2"] == 3
	})
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}
	if string(dead[0].Key) != "k4" {
		t.Errorf("DLQ key %q, want k4", dead[0].Key)
	}
	want := map[string]int{"k0": 1, "k1": 1, "k2": 3, "k3": 1, "k4": 2}
	if !maps.Equal(calls, want) {
		t.Errorf("processor calls per key %v, want %v (only failed messages are retried); batches %v", calls, want, batches)
	}
	if v := testutil.ToFloat64(m.retried.WithLabelValues("index")); v != 3 {
		t.Errorf("retried_total = %v, want 3", v)
	}
	if v := testutil.ToFloat64(m.processed.WithLabelValues("index")); v != 4 {
		t.Errorf("processed_total = %v, want 4", v)
	}
	if off := committedOffsets(t, brokers, c.group, topic, 1)[0]; off != 5 {
		t.Errorf("committed offset %d, want 5", off)
	}
}

// testAtLeastOnce: consumer A processes some batches, then its processor fails every
// message of a batch (a sink outage) and A is cancelled while retrying. Consumer B in the
// same group must receive every message A did not finish, and none that A finished and
// committed.
func testAtLeastOnce(t *testing.T, brokers []string, co consumerTestOpts) {
	const partitions, n, okBeforeOutage = 3, 90, 30
	topic := newTopic(t, brokers, partitions)
	group := uniqueName(t, "group")
	log := testLogger(t)
	p := NewProducer(brokers, WithProducerLogger(log))
	defer p.Close()
	all := map[string]bool{}
	var msgs []Message
	for i := range n {
		k := "post:" + strconv.Itoa(i)
		all[k] = true
		msgs = append(msgs, Message{Key: []byte(k), Value: []byte("v")})
	}
	if err := p.Publish(t.Context(), topic, msgs...); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	doneA := map[string]bool{}
	failingA := map[string]bool{}
	outage := make(chan struct{})
	var outageOnce sync.Once
	a := NewConsumer(brokers, group, topic, "a", func(ctx context.Context, batch []Message) []error {
		co.check(t, batch)
		mu.Lock()
		defer mu.Unlock()
		if len(doneA) >= okBeforeOutage {
			errs := make([]error, len(batch))
			for i, msg := range batch {
				failingA[string(msg.Key)] = true
				errs[i] = errors.New("sink down")
			}
			outageOnce.Do(func() { close(outage) })
			return errs
		}
		for _, msg := range batch {
			if doneA[string(msg.Key)] {
				t.Errorf("consumer A got %s twice", msg.Key)
			}
			doneA[string(msg.Key)] = true
		}
		return nil
	}, co.opts(t, WithBatch(10, 20*time.Millisecond), WithRetryBackoff(20*time.Millisecond, 100*time.Millisecond), WithConsumerLogger(log))...)
	stopA := runConsumer(t, a)
	select {
	case <-outage:
	case <-time.After(30 * time.Second):
		t.Fatal("consumer A never reached the failing batch")
	}
	time.Sleep(150 * time.Millisecond) // let A retry a few times
	took, err := stopA()
	if err != nil {
		t.Fatalf("A.Run = %v, want nil on cancel", err)
	}
	if took > 3*time.Second {
		t.Errorf("A shutdown took %s, want about 2s at most", took)
	}
	t.Logf("A finished %d messages, was failing %d, shutdown took %s", len(doneA), len(failingA), took)

	var received sync.Map
	b := NewConsumer(brokers, group, topic, "b", func(ctx context.Context, batch []Message) []error {
		co.check(t, batch)
		for _, msg := range batch {
			received.Store(string(msg.Key), true)
		}
		return nil
	}, co.opts(t, WithBatch(10, 20*time.Millisecond), WithConsumerLogger(log))...)
	stopB := runConsumer(t, b)
	mu.Lock()
	missing := func() []string {
		var out []string
		for k := range all {
			if _, ok := received.Load(k); !ok && !doneA[k] {
				out = append(out, k)
			}
		}
		return out
	}
	mu.Unlock()
	deadline := time.Now().Add(45 * time.Second)
	for len(missing()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("lost messages: %d never redelivered: %v", len(missing()), missing())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // give unexpected redeliveries a chance to show up
	if _, err := stopB(); err != nil {
		t.Fatal(err)
	}
	for k := range failingA {
		if _, ok := received.Load(k); !ok {
			t.Errorf("message %s of A's unfinished batch was not redelivered", k)
		}
	}
	redelivered := 0
	received.Range(func(k, _ any) bool {
		if doneA[k.(string)] {
			redelivered++
		}
		return true
	})
	if redelivered != 0 {
		t.Errorf("%d messages A finished and committed were delivered again", redelivered)
	}
}
