package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/bus"
	blevestore "github.com/langnghe/langnghe/store/bleve"
)

// TestPipelineEmbedded runs the whole pipeline in one process on the embedded broker
// (kfake) and bleve: 2,000 posts and one malformed message are replayed, the index stage
// is stopped mid-stream and replaced, and one store write is followed by an injected
// failure so that batch is delivered again. Every post must be searchable exactly once and
// the malformed message must be in the DLQ.
func TestPipelineEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Kafka.BatchSize = 50
	a := newApp(cfg, io.Discard)
	defer a.close()
	if err := a.startBus(ctx, true); err != nil {
		t.Fatal(err)
	}
	bl, err := blevestore.Open(filepath.Join(cfg.DataDir, "bleve"))
	if err != nil {
		t.Fatal(err)
	}
	flaky := &flakyStore{Store: bl, failAfter: 5}
	a.st = flaky

	classify, err := a.classifyConsumer()
	if err != nil {
		t.Fatal(err)
	}
	classifyCtx, stopClassify := context.WithCancel(ctx)
	classifyDone := make(chan error, 1)
	go func() { classifyDone <- classify.Run(classifyCtx) }()

	startIndex := func() (stop func()) {
		ictx, icancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.indexConsumer().Run(ictx) }()
		return func() {
			icancel()
			if err := <-done; err != nil {
				t.Errorf("index consumer: %v", err)
			}
		}
	}
	stopIndex := startIndex()

	posts := e2ePosts(2000)
	file := writeJSONL(t, posts)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := a.replay(ctx, f, file, 200, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := a.producer.Publish(ctx, a.topic(bus.TopicRaw), bus.Message{Key: []byte("bad-1"), Value: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}

	restarted := false
	waitIndexed(t, a.st, len(posts), 2*time.Minute, func(n int) {
		if !restarted && n >= 300 {
			restarted = true
			stopIndex()
			// the replacement registers its metrics anew, as a new process would
			a.reg = prometheus.NewRegistry()
			stopIndex = startIndex()
			t.Logf("index stage replaced after %d posts were searchable", n)
		}
	})
	stopIndex()
	stopClassify()
	if err := <-classifyDone; err != nil {
		t.Errorf("classify consumer: %v", err)
	}
	if !restarted {
		t.Error("the index stage was never replaced mid-stream")
	}
	if !flaky.failed.Load() {
		t.Error("the injected failure never happened, so no redelivery was forced")
	}
	assertExactlyOnce(t, a.st, posts)
	expectDLQ(t, a.brokers, a.topic(bus.TopicDLQ), "bad-1", "classify", "malformed")
}
