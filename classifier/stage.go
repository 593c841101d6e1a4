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
	// narratives counts posts by narrative id. The label values are the model's narrative
	// ids (its files), never text from a post, so the series stay few.
	narratives *prometheus.CounterVec
	reloader   *Reloader
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
		s.narratives = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_classifier_narratives_total",
			Help: "Posts classified into a narrative, by narrative id (a post with several narratives counts in each).",
		}, []string{"narrative"})
		reg.MustRegister(s.posts, s.narratives)
	}
}

// knownNarratives is the set of m's narrative ids, or nil when m does not list them.
func knownNarratives(m Model) map[string]bool {
	infos := Narratives(m)
	if infos == nil {
		return nil
	}
	known := make(map[string]bool, len(infos))
	for _, n := range infos {
		known[n.ID] = true
	}
	return known
}

// initNarratives makes every narrative of m appear in /metrics at 0 before its first post.
func (s *Stage) initNarratives(m Model) {
	if s.narratives == nil {
		return
	}
	for id := range knownNarratives(m) {
		s.narratives.WithLabelValues(id)
	}
}

// countNarratives adds one per narrative of each published post. An id the model does
// not list (a Model from elsewhere) counts as "other", so the label set stays bounded.
func (s *Stage) countNarratives(model Model, narratives [][]string) {
	known := knownNarratives(model)
	for _, ids := range narratives {
		for _, id := range ids {
			if known != nil && !known[id] {
				id = "other"
			}
			s.narratives.WithLabelValues(id).Inc()
		}
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
	s.initNarratives(m)
	return s
}

// SetModel replaces the model for the following batches.
func (s *Stage) SetModel(m Model) {
	s.model.Store(&modelBox{m})
	s.initNarratives(m)
}

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
	var narratives [][]string
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
		if s.narratives != nil && len(a.Narratives) > 0 {
			ids := make([]string, len(a.Narratives))
			for j, n := range a.Narratives {
				ids[j] = n.ID
			}
			narratives = append(narratives, ids)
		}
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
		s.countNarratives(model, narratives)
	}
	return errs
}
