package alerting

import (
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Parts of the alert role that can run degraded while Elasticsearch is away.
const (
	PartState      = "state"       // the state document: kept in a local file meanwhile
	PartHistory    = "history"     // the history index: records wait in the spool
	PartStoreRules = "store_rules" // threshold, spike and digest rules: not evaluated
)

// Degraded tracks which parts of the alert role run without Elasticsearch, so that an
// outage is two log lines, not one a second: one WARN when the first part fails (later
// parts and repeats are DEBUG) and one INFO when the last part has recovered. Match rules
// and delivery need only Kafka and the mail server, so they carry on meanwhile. It is
// safe for concurrent use; a nil *Degraded does nothing.
type Degraded struct {
	mu    sync.Mutex
	log   *slog.Logger
	parts map[string]string // part -> the error that made it degraded
	since time.Time
	gauge *prometheus.GaugeVec
}

// NewDegraded returns a tracker logging to log; with reg it exports
// langnghe_alerts_degraded{part} (1 while that part runs degraded).
func NewDegraded(log *slog.Logger, reg prometheus.Registerer) *Degraded {
	d := &Degraded{log: log, parts: map[string]string{}}
	if log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "langnghe_alerts_degraded", Help: "1 while a part of the alert role runs without Elasticsearch (state: local file, history: spooled, store_rules: paused)."}, []string{"part"})
	for _, p := range []string{PartState, PartHistory, PartStoreRules} {
		d.gauge.WithLabelValues(p).Set(0)
	}
	if reg != nil {
		_ = reg.Register(d.gauge)
	}
	return d
}

// Fail marks part degraded because of err.
func (d *Degraded) Fail(part string, err error) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.parts[part]; ok {
		return
	}
	msg := ""
	if err != nil {
		msg = strings.Join(strings.Fields(err.Error()), " ")
	}
	d.parts[part] = msg
	d.gauge.WithLabelValues(part).Set(1)
	if len(d.parts) == 1 {
		d.since = time.Now()
		d.log.Warn("cảnh báo chạy ở chế độ suy giảm: Elasticsearch không trả lời; luật match và gửi email vẫn chạy, trạng thái và lịch sử giữ cục bộ / alerting degraded: Elasticsearch unavailable; match rules and delivery continue, state and history kept locally",
			"part", part, "err", msg)
		return
	}
	d.log.Debug("alerting degraded part", "part", part, "err", msg)
}

// OK marks part recovered.
func (d *Degraded) OK(part string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.parts[part]; !ok {
		return
	}
	delete(d.parts, part)
	d.gauge.WithLabelValues(part).Set(0)
	if len(d.parts) == 0 {
		d.log.Info("cảnh báo đã hồi phục: Elasticsearch trả lời lại / alerting recovered: Elasticsearch answers again",
			"degraded_for", time.Since(d.since).Round(time.Millisecond).String())
	}
}

// Parts lists the degraded parts, sorted.
func (d *Degraded) Parts() []string {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.parts))
	for p := range d.parts {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
