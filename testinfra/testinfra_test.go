package testinfra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/langnghe/langnghe/testinfra"
)

// Smoke tests of the real components: each skips when its component is not running.

func TestKafkaRoundTrip(t *testing.T) {
	brokers := testinfra.KafkaBrokers(t)
	topic := testinfra.KafkaTopic(t, "testinfra-smoke", 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	msgs := []kafka.Message{}
	for i := range 10 {
		msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: []byte("xin chào " + fmt.Sprint(i))})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("produce: %v", err)
	}

	// A consumer group exercises __consumer_offsets (replication factor 1 on this broker).
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: topic + "-g", StartOffset: kafka.FirstOffset, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	seen := map[string]bool{}
	for len(seen) < len(msgs) {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("consume after %d messages: %v", len(seen), err)
		}
		seen[string(m.Key)] = true
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
}

func TestElasticsearchHealth(t *testing.T) {
	base := testinfra.ElasticsearchURL(t)
	var health struct {
		Status string `json:"status"`
	}
	getJSON(t, base+"/_cluster/health?wait_for_status=yellow&timeout=30s", &health)
	if health.Status != "green" && health.Status != "yellow" {
		t.Fatalf("cluster status %q", health.Status)
	}
}

func TestMailpitReceivesSMTP(t *testing.T) {
	addr := testinfra.SMTPAddr(t)
	api := testinfra.MailpitURL(t)
	subject := fmt.Sprintf("testinfra smoke %d", time.Now().UnixNano())
	body := "Subject: " + subject + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCảnh báo: lừa đảo\r\n"
	if err := smtp.SendMail(addr, nil, "alerts@langnghe.test", []string{"analyst@langnghe.test"}, []byte(body)); err != nil {
		t.Fatalf("send: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var res struct {
			MessagesCount int `json:"messages_count"`
		}
		getJSON(t, api+"/api/v1/search?query="+url.QueryEscape(`subject:"`+subject+`"`), &res)
		if res.MessagesCount == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %q not in Mailpit", subject)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPrometheusQuery(t *testing.T) {
	base := testinfra.PrometheusURL(t)
	var res struct {
		Status string `json:"status"`
	}
	getJSON(t, base+"/api/v1/query?query=up", &res)
	if res.Status != "success" {
		t.Fatalf("query status %q", res.Status)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(b)))
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
