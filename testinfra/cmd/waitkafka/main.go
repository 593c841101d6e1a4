// Command waitkafka waits until a Kafka broker answers the Kafka protocol: ApiVersions,
// then Metadata listing at least one broker and a controller, then (unless -no-probe) a
// CreateTopics/DeleteTopics round trip through the KRaft controller. testinfra/kafka.sh uses
// it as the readiness check.
//
//	go run ./testinfra/cmd/waitkafka -addr 127.0.0.1:19092 -timeout 90s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19092", "broker address")
	timeout := flag.Duration("timeout", 90*time.Second, "give up after this long")
	noProbe := flag.Bool("no-probe", false, "skip the create/delete topic round trip")
	quiet := flag.Bool("q", false, "print nothing on success")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()
	var last error
	for {
		err := check(ctx, *addr, !*noProbe)
		if err == nil {
			if !*quiet {
				fmt.Printf("waitkafka: %s ready after %s\n", *addr, time.Since(start).Round(time.Millisecond))
			}
			return
		}
		last = err
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "waitkafka: %s not ready after %s: %v\n", *addr, *timeout, last)
			os.Exit(1)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func check(parent context.Context, addr string, probe bool) error {
	ctx, cancel := context.WithTimeout(parent, 10*time.Second)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}

	av, err := c.ApiVersions(ctx, &kafka.ApiVersionsRequest{})
	if err != nil {
		return fmt.Errorf("ApiVersions: %w", err)
	}
	if av.Error != nil {
		return fmt.Errorf("ApiVersions: %w", av.Error)
	}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("metadata request: %w", err)
	}
	if len(md.Brokers) == 0 {
		return errors.New("metadata lists no brokers yet")
	}
	if md.Controller.ID < 0 {
		return errors.New("metadata names no controller yet")
	}
	if !probe {
		return nil
	}
	topic := "__langnghe_ready_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	cr, err := c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: 1, ReplicationFactor: 1,
	}}})
	if err != nil {
		return fmt.Errorf("CreateTopics: %w", err)
	}
	if err := cr.Errors[topic]; err != nil {
		return fmt.Errorf("CreateTopics: %w", err)
	}
	dr, err := c.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
	if err != nil {
		return fmt.Errorf("DeleteTopics: %w", err)
	}
	if err := dr.Errors[topic]; err != nil {
		return fmt.Errorf("DeleteTopics: %w", err)
	}
	return nil
}
