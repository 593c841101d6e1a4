package classifier

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
)

// Publisher is what the stage publishes classified posts through: *bus.Producer in the
// roles, a recorder in tests. Publish is called once per batch with the batch's posts
// keyed by post id; it returns nil only when every message was accepted durably, and any
// error makes the stage report the batch as failed so the consumer redelivers it.
type Publisher interface {
	Publish(ctx context.Context, topic string, msgs ...bus.Message) error
}

// Stage is the classify role's processor: it decodes posts from posts.raw, classifies
// them with Classify and publishes them to posts.classified. bus.Consumer calls Process
// with one batch at a time; a post that cannot be decoded is returned as a permanent error
// (dead-lettered), a failed publish as a transient one (the batch is retried, so delivery
// is at-least-once and posts.classified may see a post twice, which the store's upsert
// absorbs).
type Stage struct {
	model    atomic.Pointer[modelBox]
	producer Publisher
	topic    string
	posts    *prometheus.CounterVec
	reloader *Reloader
}

// modelBox lets a reload swap the model while batches are in flight.
type modelBox struct{ m Model }

// StageOption configures a Stage.
type StageOption func(*Stage)

// WithStageMetrics registers the stage's counters on reg.
func WithStageMetrics(reg prometheus.Registerer) StageOption {
	return func(s *Stage) {
		s.posts = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_classifier_posts_total",
			Help: "Posts classified, by sentiment and toxicity label.",
		}, []string{"sentiment", "toxicity"})
		reg.MustRegister(s.posts)
	}
}

// WithReloader makes the stage ask r for a new model before each batch (see Reloader).
func WithReloader(r *Reloader) StageOption { return func(s *Stage) { s.reloader = r } }

// NewStage returns a Stage publishing to topic through producer.
func NewStage(m Model, producer Publisher, topic string, opts ...StageOption) *Stage {
	s := &Stage{producer: producer, topic: topic}
	s.model.Store(&modelBox{m})
	for _, o := range opts {
		o(s)
	}
	return s
}

// SetModel replaces the model for the following batches.
func (s *Stage) SetModel(m Model) { s.model.Store(&modelBox{m}) }

// Process implements bus.Processor.
func (s *Stage) Process(ctx context.Context, msgs []bus.Message) []error {
	errs := make([]error, len(msgs))
	if s.reloader != nil {
		if m := s.reloader.Check(time.Now()); m != nil {
			s.SetModel(m)
		}
	}
	model := s.model.Load().m
	out := make([]bus.Message, 0, len(msgs))
	published := make([]int, 0, len(msgs))
	labels := make([][2]string, 0, len(msgs))
	for i, m := range msgs {
		p, err := post.Decode(m.Value)
		if err != nil {
			errs[i] = bus.Permanent(err)
			continue
		}
		Classify(model, p)
		a := *p.Analysis
		b, err := post.Encode(p)
		if err != nil {
			errs[i] = bus.Permanent(fmt.Errorf("encoding classified post: %w", err))
			continue
		}
		labels = append(labels, [2]string{a.Sentiment.Label, a.Toxicity.Label})
		out = append(out, bus.Message{Key: []byte(p.ID), Value: b})
		published = append(published, i)
	}
	if len(out) == 0 {
		return errs
	}
	if err := s.producer.Publish(ctx, s.topic, out...); err != nil {
		for _, i := range published {
			errs[i] = fmt.Errorf("publishing to %s: %w", s.topic, err)
		}
		return errs
	}
	if s.posts != nil {
		for _, l := range labels {
			s.posts.WithLabelValues(l[0], l[1]).Inc()
		}
	}
	return errs
}
