package bus

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics holds the bus's Prometheus collectors. One Metrics may be shared by any number of
// producers and consumers (series are labelled by stage or topic). A nil *Metrics is valid
// and records nothing, so metrics stay optional.
type Metrics struct {
	consumed     *prometheus.CounterVec
	processed    *prometheus.CounterVec
	retried      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	produced     *prometheus.CounterVec
	produceErr   *prometheus.CounterVec
	commits      *prometheus.CounterVec
	commitErr    *prometheus.CounterVec
	inFlight     *prometheus.GaugeVec
	batchSeconds *prometheus.HistogramVec
}

// NewMetrics creates the bus collectors and registers them on reg (never on the default
// registry unless the caller passes it). Calling it again with the same registry returns
// collectors bound to the already registered ones instead of panicking, so several roles in
// one process (`langnghe run`) can each call it. A nil reg gives working but unregistered
// collectors.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_consumed_total",
			Help: "Messages fetched from Kafka by a consumer stage (redeliveries count again).",
		}, []string{"stage"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_processed_total",
			Help: "Messages a stage processed successfully.",
		}, []string{"stage"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_retried_total",
			Help: "Message processing attempts that failed transiently and were retried.",
		}, []string{"stage"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_dead_lettered_total",
			Help: "Messages written to the dead-letter topic, by reason (malformed, invalid, schema_too_new, other).",
		}, []string{"stage", "reason"}),
		produced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_produced_total",
			Help: "Messages acknowledged by Kafka, by topic.",
		}, []string{"topic"}),
		produceErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_produce_errors_total",
			Help: "Publish calls that failed, by topic.",
		}, []string{"topic"}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_commit_total",
			Help: "Successful offset commits by a consumer stage.",
		}, []string{"stage"}),
		commitErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_bus_commit_errors_total",
			Help: "Failed offset commit attempts by a consumer stage.",
		}, []string{"stage"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "langnghe_bus_in_flight",
			Help: "Messages fetched by a stage and not yet done (processed or dead-lettered).",
		}, []string{"stage"}),
		batchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "langnghe_bus_batch_seconds",
			Help:    "Time from handing a batch to the processor until every message is done, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10), // 0.5ms .. ~131s
		}, []string{"stage"}),
	}
	if reg != nil {
		m.consumed = register(reg, m.consumed)
		m.processed = register(reg, m.processed)
		m.retried = register(reg, m.retried)
		m.deadLettered = register(reg, m.deadLettered)
		m.produced = register(reg, m.produced)
		m.produceErr = register(reg, m.produceErr)
		m.commits = register(reg, m.commits)
		m.commitErr = register(reg, m.commitErr)
		m.inFlight = register(reg, m.inFlight)
		m.batchSeconds = register(reg, m.batchSeconds)
	}
	return m
}

// register registers c, or returns the identical collector already registered on reg.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err) // a conflicting definition under our metric name is a programming error
	}
	return c
}

func (m *Metrics) addConsumed(stage string, n int) {
	if m != nil {
		m.consumed.WithLabelValues(stage).Add(float64(n))
	}
}

func (m *Metrics) addProcessed(stage string, n int) {
	if m != nil && n > 0 {
		m.processed.WithLabelValues(stage).Add(float64(n))
	}
}

func (m *Metrics) addRetried(stage string, n int) {
	if m != nil && n > 0 {
		m.retried.WithLabelValues(stage).Add(float64(n))
	}
}

func (m *Metrics) incDeadLettered(stage, reason string) {
	if m != nil {
		m.deadLettered.WithLabelValues(stage, reason).Inc()
	}
}

func (m *Metrics) addProduced(topic string, n int) {
	if m != nil {
		m.produced.WithLabelValues(topic).Add(float64(n))
	}
}

func (m *Metrics) incProduceErr(topic string) {
	if m != nil {
		m.produceErr.WithLabelValues(topic).Inc()
	}
}

func (m *Metrics) incCommit(stage string) {
	if m != nil {
		m.commits.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) incCommitErr(stage string) {
	if m != nil {
		m.commitErr.WithLabelValues(stage).Inc()
	}
}

func (m *Metrics) setInFlight(stage string, n int) {
	if m != nil {
		m.inFlight.WithLabelValues(stage).Set(float64(n))
	}
}

func (m *Metrics) observeBatch(stage string, d time.Duration) {
	if m != nil {
		m.batchSeconds.WithLabelValues(stage).Observe(d.Seconds())
	}
}
