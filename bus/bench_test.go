package bus

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/langnghe/langnghe/testinfra"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
)

// syllables is a small Vietnamese vocabulary; samplePostJSON draws from it at random so the
// text compresses roughly like real prose (not like one sentence repeated).
var syllables = strings.Fields("cảnh báo lừa đảo chuyển khoản trước nhận quà tri ân khách hàng " +
	"ngân không bao giờ yêu cầu cung cấp mã người dân cần cẩn thận với tin nhắn lạ bão số gây " +
	"ngập lụt nhiều tuyến đường ở Hà Nội và Hải Phòng dịch vụ công trực tuyến bệnh viện thuốc " +
	"giả tiêm chủng cháy nổ tai nạn giao thông xe máy ô tô cầu sập sạt lở đất học sinh giáo viên " +
	"trường điện nước giá xăng tăng giảm chính quyền địa phương phản ánh chậm trễ hồ sơ đất đai " +
	"thủ tục hành chính trang web giả mạo đường dây nóng công an cảnh sát điều tra bắt giữ đối tượng")

// samplePostJSON returns about size bytes of post JSON with random Vietnamese text, the same
// for the same i.
func samplePostJSON(i, size int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 42))
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"schema":1,"id":"rss:vnexpress.net:%d","platform":"rss","source":"vnexpress",`+
		`"url":"https://vnexpress.net/bai-viet-%d.html","author":{"id":"a1:%032x"},"lang":"vi",`+
		`"published_at":"2026-11-20T08:15:00Z","fetched_at":"2026-11-20T08:16:02Z",`+
		`"metrics":{"likes":%d,"shares":0,"replies":1},"text":"`, i, i, rng.Uint64(), rng.IntN(500))
	for b.Len() < size-2 {
		b.WriteString(syllables[rng.IntN(len(syllables))])
		if rng.IntN(12) == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
	}
	b.WriteString(`"}`)
	return b.Bytes()
}

// BenchmarkProduceConsume measures end-to-end throughput on the embedded broker: 1 KiB
// messages published synchronously (8 concurrent publishers, 100 messages per call) and
// consumed by one Consumer (batches of 500) with a no-op Processor and real commits.
func BenchmarkProduceConsume(b *testing.B) {
	e, err := StartEmbedded(b.Context(), WithEmbeddedLogger(testLogger(b)))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	benchProduceConsume(b, e.Brokers())
}

// BenchmarkProduceConsumeRealKafka is the same against the testinfra Kafka broker.
func BenchmarkProduceConsumeRealKafka(b *testing.B) {
	benchProduceConsume(b, testinfra.KafkaBrokers(b))
}

func benchProduceConsume(b *testing.B, brokers []string) {
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	topic := newTopic(b, brokers, 3)
	values := make([][]byte, 256)
	for i := range values {
		values[i] = samplePostJSON(i, 1024)
	}

	var consumed atomic.Int64
	all := make(chan struct{})
	target := int64(b.N)
	c := NewConsumer(brokers, uniqueName(b, "group"), topic, "bench", func(ctx context.Context, msgs []Message) []error {
		if consumed.Add(int64(len(msgs))) >= target {
			select {
			case <-all:
			default:
				close(all)
			}
		}
		return nil
	}, WithConsumerLogger(testLogger(b)))
	p := NewProducer(brokers, WithProducerLogger(testLogger(b)))
	defer p.Close()

	b.SetBytes(1024)
	b.ResetTimer()
	start := time.Now()
	stop := runConsumer(b, c)
	const publishers, perCall = 8, 100
	errs := make(chan error, publishers)
	var next atomic.Int64
	for range publishers {
		go func() {
			batch := make([]Message, 0, perCall)
			for {
				n := next.Add(perCall) - perCall
				if n >= target {
					errs <- nil
					return
				}
				batch = batch[:0]
				for i := n; i < min(n+perCall, target); i++ {
					batch = append(batch, Message{Key: fmt.Appendf(nil, "rss:vnexpress.net:%d", i), Value: values[i%int64(len(values))]})
				}
				if err := p.Publish(ctx, topic, batch...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range publishers {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	produced := time.Since(start)
	select {
	case <-all:
	case <-time.After(60 * time.Second):
		b.Fatalf("consumed %d of %d", consumed.Load(), target)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N)/produced.Seconds(), "produced-msgs/s")
}

// BenchmarkCompression compares the codecs the producer could use on a batch of 100 post
// JSON records (~1 KiB each), the unit Kafka compresses. It reports the compressed size as
// a percentage of the input.
func BenchmarkCompression(b *testing.B) {
	var in bytes.Buffer
	for i := range 100 {
		in.Write(samplePostJSON(i, 1024))
	}
	for _, codec := range []kafka.Compression{kafka.Snappy, kafka.Lz4, kafka.Zstd, kafka.Gzip} {
		b.Run(codec.String(), func(b *testing.B) {
			cc := compress.Compression(codec).Codec()
			var out bytes.Buffer
			b.SetBytes(int64(in.Len()))
			for b.Loop() {
				out.Reset()
				w := cc.NewWriter(&out)
				if _, err := w.Write(in.Bytes()); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*float64(out.Len())/float64(in.Len()), "%size")
		})
	}
}
