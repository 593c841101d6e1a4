package bus

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLagEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	e, err := StartEmbedded(ctx, WithEmbeddedLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	testLag(t, e.Brokers())
}

func TestLagRealKafka(t *testing.T) {
	env := os.Getenv("LANGNGHE_TEST_KAFKA")
	if env == "" {
		t.Skip("real Kafka not configured: start one with testinfra/kafka.sh and set LANGNGHE_TEST_KAFKA=127.0.0.1:19092")
	}
	testLag(t, strings.Split(env, ","))
}

// testLag: a group that never committed lags by everything written; after a consumer has
// processed and committed, the lag is 0; messages published afterwards are the new lag,
// per partition, in the gauge Prometheus scrapes.
func testLag(t *testing.T, brokers []string) {
	topic := newTopic(t, brokers, 3)
	group := uniqueName(t, "group")
	p := NewProducer(brokers)
	defer p.Close()
	publish := func(n int, tag string) {
		t.Helper()
		msgs := make([]Message, n)
		for i := range msgs {
			msgs[i] = Message{Key: fmt.Appendf(nil, "%s-%d", tag, i), Value: []byte("x")}
		}
		if err := p.Publish(t.Context(), topic, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	publish(30, "a")

	reg := prometheus.NewRegistry()
	mon := NewLagMonitor(brokers, reg)
	mon.Watch(group, topic)
	total := func() int64 {
		t.Helper()
		lags, err := mon.PollLag(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(lags) != 3 {
			t.Fatalf("want 3 partitions, got %+v", lags)
		}
		var sum int64
		for _, l := range lags {
			sum += l.Lag
		}
		return sum
	}
	if got := total(); got != 30 {
		t.Fatalf("lag before any commit: got %d, want 30", got)
	}

	var done atomic.Int64
	c := NewConsumer(brokers, group, topic, "lagtest", func(_ context.Context, msgs []Message) []error {
		done.Add(int64(len(msgs)))
		return nil
	}, WithConsumerLogger(testLogger(t)), WithDLQTopic(topic))
	stop := runConsumer(t, c)
	waitFor(t, 30*time.Second, "lag 0 after consuming", func() bool { return done.Load() >= 30 && total() == 0 })
	if _, err := stop(); err != nil {
		t.Fatal(err)
	}

	publish(7, "b")
	if got := total(); got != 7 {
		t.Fatalf("lag after 7 more messages: got %d, want 7", got)
	}
	var fromGauge float64
	for part := range 3 {
		fromGauge += testutil.ToFloat64(mon.lag.WithLabelValues(group, topic, fmt.Sprint(part)))
	}
	if fromGauge != 7 {
		t.Fatalf("langnghe_bus_consumer_lag summed over partitions = %v, want 7", fromGauge)
	}
}
