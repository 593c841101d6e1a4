package bus

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// ReadPartition returns at once on an empty partition, and otherwise hands over every
// message written before the call, in order, and stops there (it does not wait for more).
func TestReadPartition(t *testing.T) {
	ctx := context.Background()
	emb, err := StartEmbedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	topic := newTopic(t, emb.Brokers(), 1)
	var got []string
	collect := func(m Message) error { got = append(got, string(m.Key)+"="+string(m.Value)); return nil }
	start := time.Now()
	if err := ReadPartition(ctx, emb.Brokers(), topic, 0, collect); err != nil || len(got) != 0 {
		t.Fatalf("empty partition: err %v, read %v", err, got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("empty partition took %s", d)
	}
	p := NewProducer(emb.Brokers())
	defer p.Close()
	var want []string
	for i := range 5 {
		k, v := fmt.Sprint("k", i%2), fmt.Sprint("v", i)
		if err := p.Publish(ctx, topic, Message{Key: []byte(k), Value: []byte(v)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, k+"="+v)
	}
	if err := ReadPartition(ctx, emb.Brokers(), topic, 0, collect); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	stop := fmt.Errorf("stop")
	if err := ReadPartition(ctx, emb.Brokers(), topic, 0, func(Message) error { return stop }); err != stop {
		t.Errorf("fn's error not returned: %v", err)
	}
}
