package crawler

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/testinfra"
)

// The cursor store contract against the real Kafka broker (compacted topic created by
// NewKafkaCursors); skipped when testinfra's Kafka is not running.
func TestKafkaCursorsRealKafka(t *testing.T) {
	brokers := testinfra.KafkaBrokers(t)
	ctx := context.Background()
	topic := fmt.Sprintf("langnghe-test-crawler-cursors-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		_ = bus.DeleteTopics(context.Background(), brokers, topic)
	})
	p := bus.NewProducer(brokers)
	defer p.Close()
	cursorStoreContract(t, func() CursorStore {
		s, err := NewKafkaCursors(ctx, brokers, topic, 1, p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
