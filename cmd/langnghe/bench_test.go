package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/classifier"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

const benchPosts = 20000

func rawMessages(b *testing.B, posts []*post.Post) []bus.Message {
	msgs := make([]bus.Message, len(posts))
	for i, p := range posts {
		v, err := post.Encode(p)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = bus.Message{Key: []byte(p.ID), Value: v}
	}
	return msgs
}

// runPipeline publishes msgs into posts.raw of a started app and returns the time until
// every post is searchable.
func runPipeline(b *testing.B, a *app, msgs []bus.Message) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	classify, err := a.classifyConsumer()
	if err != nil {
		b.Fatal(err)
	}
	index := a.indexConsumer()
	done := make(chan struct{}, 2)
	go func() { classify.Run(ctx); done <- struct{}{} }()
	go func() { index.Run(ctx); done <- struct{}{} }()
	start := time.Now()
	for i := 0; i < len(msgs); i += 1000 {
		if err := a.producer.Publish(ctx, a.topic(bus.TopicRaw), msgs[i:min(i+1000, len(msgs))]...); err != nil {
			b.Fatal(err)
		}
	}
	waitIndexed(b, a.st, len(msgs), 10*time.Minute, nil)
	elapsed := time.Since(start)
	cancel()
	<-done
	<-done
	return elapsed
}

// peakRSSMiB is the process's high-water resident set (VmHWM).
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkPipelineEmbedded: posts/s from publishing into posts.raw until searchable, on
// the embedded broker and bleve, and the process's peak RSS. Each iteration runs the same
// posts three times: with the broker's log durable in the data dir (the default: fsync
// before every acknowledgement), in the data dir without fsync (survives a killed process,
// not a power cut), and memory-only (the broker before the data dir, which lost posts on
// any stop); ratio-durable is durable posts/s over memory-only posts/s.
func BenchmarkPipelineEmbedded(b *testing.B) {
	msgs := rawMessages(b, e2ePosts(benchPosts))
	variants := []struct {
		name  string
		extra []bus.EmbeddedOption
	}{
		{"durable", nil},
		{"nosync", []bus.EmbeddedOption{bus.WithEmbeddedNoSync()}},
		{"memory", []bus.EmbeddedOption{bus.WithEmbeddedDataDir("")}},
	}
	total := make([]time.Duration, len(variants))
	for i := 0; i < b.N; i++ {
		for v, variant := range variants {
			cfg := defaultConfig()
			cfg.DataDir = b.TempDir()
			a := newApp(cfg, io.Discard)
			a.embeddedExtra = variant.extra
			if err := a.startBus(context.Background(), true); err != nil {
				b.Fatal(err)
			}
			if err := a.openStore(context.Background()); err != nil {
				b.Fatal(err)
			}
			total[v] += runPipeline(b, a, msgs)
			a.close()
		}
	}
	rate := func(v int) float64 { return float64(benchPosts*b.N) / total[v].Seconds() }
	b.ReportMetric(rate(0), "posts/s")
	b.ReportMetric(rate(1), "nosync-posts/s")
	b.ReportMetric(rate(2), "memory-posts/s")
	b.ReportMetric(rate(0)/rate(2), "ratio-durable")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkPipelineRealKafkaES: posts/s through real Kafka and Elasticsearch (classify and
// index in this process), and the ratio to a plain _bulk load of the same classified
// documents into the same Elasticsearch, measured in the same run.
func BenchmarkPipelineRealKafkaES(b *testing.B) {
	brokers := testinfra.KafkaBrokers(b)
	esURL := testinfra.ElasticsearchURL(b)
	posts := e2ePosts(benchPosts)
	msgs := rawMessages(b, posts)
	var pipe, bulk time.Duration
	for i := 0; i < b.N; i++ {
		prefix := fmt.Sprintf("bench%d", time.Now().UnixNano())
		bulkPrefix := fmt.Sprintf("bulk%d", time.Now().UnixNano())
		bulk += plainBulkLoad(b, esURL, bulkPrefix, posts)
		cfg := defaultConfig()
		cfg.DataDir = b.TempDir()
		cfg.Kafka.Brokers = brokers
		cfg.Kafka.TopicPrefix = prefix + "."
		cfg.Kafka.GroupPrefix = prefix
		cfg.ES.URL = []string{esURL}
		cfg.ES.IndexPrefix = prefix
		a := newApp(cfg, io.Discard)
		if err := a.startBus(context.Background(), false); err != nil {
			b.Fatal(err)
		}
		if err := a.openStore(context.Background()); err != nil {
			b.Fatal(err)
		}
		pipe += runPipeline(b, a, msgs)
		a.close()
		deleteIndices(b, esURL, prefix)
		deleteIndices(b, esURL, bulkPrefix)
	}
	b.ReportMetric(float64(benchPosts*b.N)/pipe.Seconds(), "posts/s")
	b.ReportMetric(float64(benchPosts*b.N)/bulk.Seconds(), "bulk-docs/s")
	b.ReportMetric(bulk.Seconds()/pipe.Seconds(), "ratio-to-bulk")
}

// plainBulkLoad posts the documents the indexer would write (classified post plus derived
// fields) straight to _bulk in batches of 500, with the same template, and waits until
// they are searchable: the ceiling the pipeline is compared with.
func plainBulkLoad(b *testing.B, esURL, prefix string, posts []*post.Post) time.Duration {
	ctx := context.Background()
	st, err := esstore.New(ctx, esstore.Config{URLs: []string{esURL}, IndexPrefix: prefix}) // installs the template
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	model, err := classifier.LoadDefault()
	if err != nil {
		b.Fatal(err)
	}
	var bodies [][]byte
	var buf bytes.Buffer
	for i, p := range posts {
		q := *p
		an := model.Analyze(q.Text)
		q.Analysis = &an
		doc := struct {
			*post.Post
			store.DocFields
		}{&q, store.Fields(&q)}
		fmt.Fprintf(&buf, `{"index":{"_index":%q,"_id":%q}}`+"\n", st.IndexName(&q), q.ID)
		json.NewEncoder(&buf).Encode(doc)
		if (i+1)%500 == 0 || i == len(posts)-1 {
			bodies = append(bodies, append([]byte(nil), buf.Bytes()...))
			buf.Reset()
		}
	}
	start := time.Now()
	for _, body := range bodies {
		resp, err := http.Post(esURL+"/_bulk", "application/x-ndjson", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("_bulk status %d", resp.StatusCode)
		}
	}
	waitCount(b, esURL, prefix, len(posts), 5*time.Minute)
	return time.Since(start)
}

// waitCount polls _count over <prefix>-* (the store adds its read alias only to indices it
// created itself, and the plain loader bypasses the store) until want documents are there.
func waitCount(b *testing.B, esURL, prefix string, want int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	got := -1
	for time.Now().Before(deadline) {
		if resp, err := http.Post(esURL+"/"+prefix+"-*/_refresh", "application/json", nil); err == nil {
			resp.Body.Close()
		}
		resp, err := http.Get(esURL + "/" + prefix + "-*/_count")
		if err == nil {
			var c struct {
				Count int `json:"count"`
			}
			json.NewDecoder(resp.Body).Decode(&c)
			resp.Body.Close()
			if got = c.Count; got >= want {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Fatalf("%s-* holds %d documents after %s, want %d", prefix, got, timeout, want)
}
