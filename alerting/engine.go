package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/store"

	_ "time/tzdata" // Asia/Ho_Chi_Minh on hosts without zoneinfo
)

// Zone is where digest times are read.
var Zone = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Engine evaluates the rules, keeps the alert state and feeds the delivery queue.
//
// Process (a bus.Processor on posts.classified) handles match rules; Tick flushes due
// groups and evaluates threshold, spike and digest rules on the store; Deliver sends the
// queue through the Notifier. Run does the last two until ctx ends. All methods are safe
// for concurrent use.
type Engine struct {
	mu          sync.Mutex
	rules       *RuleSet
	silences    SilenceSource // run-time silences, beside rules.Silences; may be nil
	st          store.Store
	notifier    Notifier
	state       *state
	stateStore  StateStore
	log         *slog.Logger
	now         func() time.Time
	links       Links
	nextEval    map[string]time.Time
	lastEval    map[string]evalRecord // rulestatus.go
	wake        chan struct{}         // delivery has work
	tickWake    chan struct{}         // a group is due: tick now rather than at the next tick
	lastPrune   time.Time
	started     time.Time     // the first Tick; a digest due from before it waits catchUp
	catchUp     time.Duration // WithDigestCatchUp
	backoff     [2]time.Duration
	tick        time.Duration
	recorder    Recorder
	health      *Degraded // which parts run without Elasticsearch; logs the outage once
	dirty       bool      // the last state save failed
	evalWorkers int
	watchDir    string
	watchEvery  time.Duration

	fired, sent, failed *prometheus.CounterVec
	queued              prometheus.GaugeFunc
	reg                 prometheus.Registerer
}

// Recorder keeps a searchable copy of the alert history (an Elasticsearch index for
// Kibana, see alerting/eshistory). The engine calls Record from the delivery goroutine
// after every delivery attempt with the notification's new status. Errors are logged
// and do not hold up delivery: the alert state stays the source of truth, and the next
// status change rewrites the document (ids are stable).
type Recorder interface {
	Record(ctx context.Context, n *Notification) error
}

// WithRecorder mirrors the history into r.
func WithRecorder(r Recorder) Option { return func(e *Engine) { e.recorder = r } }

// Links are the base URLs put in emails.
type Links struct {
	WebURL      string // the web UI, e.g. http://127.0.0.1:8080
	KibanaURL   string // Kibana, e.g. https://kibana.example.vn; empty: no Kibana link
	KibanaIndex string // the Kibana data view id of the posts (the index prefix by default)
}

// Option configures an Engine.
type Option func(*Engine)

// WithSilences adds the run-time silences of src (a SilenceFile the web UI writes) to
// the rule files' silences.
func WithSilences(src SilenceSource) Option { return func(e *Engine) { e.silences = src } }

// WithStore sets the store threshold, spike and digest rules query.
func WithStore(st store.Store) Option { return func(e *Engine) { e.st = st } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithLinks sets the URLs put in emails.
func WithLinks(l Links) Option { return func(e *Engine) { e.links = l } }

// WithRetryBackoff sets the delivery retry backoff bounds (default 1s..1m).
func WithRetryBackoff(min, max time.Duration) Option {
	return func(e *Engine) { e.backoff = [2]time.Duration{min, max} }
}

// WithTick sets how often Run calls Tick (default 1s).
func WithTick(d time.Duration) Option { return func(e *Engine) { e.tick = d } }

// WithRulesDir makes Run reload the rules of dir when its files change (see WatchDir).
func WithRulesDir(dir string, every time.Duration) Option {
	return func(e *Engine) { e.watchDir, e.watchEvery = dir, every }
}

// WithDigestCatchUp sets how long a digest whose time passed while the engine was not
// running waits after start-up (default 1m). A digest sent at once would count a store the
// pipeline has not yet filled with what it resumed with: a fresh install's first digest
// said "0 posts" while its first posts were being indexed.
func WithDigestCatchUp(d time.Duration) Option { return func(e *Engine) { e.catchUp = max(0, d) } }

// WithEvalConcurrency sets how many store rules are evaluated at once (default 4).
func WithEvalConcurrency(n int) Option { return func(e *Engine) { e.evalWorkers = max(1, n) } }

// WithStateStore keeps the alert state in ss instead of the file at NewEngine's
// statePath (Elasticsearch when configured, see alerting/esstate).
func WithStateStore(ss StateStore) Option { return func(e *Engine) { e.stateStore = ss } }

// WithDegraded reports the parts running without Elasticsearch (store rules paused) to d,
// which logs an outage once; share d with the state store and the history spool.
func WithDegraded(d *Degraded) Option { return func(e *Engine) { e.health = d } }

// WithMetrics registers the alerting metrics on reg.
func WithMetrics(reg prometheus.Registerer) Option { return func(e *Engine) { e.reg = reg } }

// NewEngine loads the state from the WithStateStore store, or else from the file at
// statePath (a new state if nothing was saved yet). With both, a state file seeds a
// store that holds no state yet (moving from the embedded mode to Elasticsearch).
func NewEngine(rules *RuleSet, statePath string, n Notifier, opts ...Option) (*Engine, error) {
	e := &Engine{
		rules: rules, notifier: n,
		log: slog.New(slog.DiscardHandler), now: time.Now,
		nextEval: map[string]time.Time{}, lastEval: map[string]evalRecord{}, wake: make(chan struct{}, 1), tickWake: make(chan struct{}, 1),
		backoff: [2]time.Duration{time.Second, time.Minute}, tick: time.Second, evalWorkers: 4,
		catchUp: time.Minute,
	}
	for _, o := range opts {
		o(e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if e.stateStore == nil {
		e.stateStore = FileStateStore{Path: statePath}
	} else if statePath != "" {
		// Moving from the embedded mode: a state file seeds a store that holds nothing yet.
		if err := e.seed(ctx, FileStateStore{Path: statePath}); err != nil {
			return nil, err
		}
	}
	if err := e.reloadLocked(ctx); err != nil {
		return nil, err
	}
	e.fired = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "langnghe_alerts_fired_total", Help: "Alert notifications queued, by rule and kind."}, []string{"rule", "kind"})
	e.sent = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "langnghe_alerts_sent_total", Help: "Alert notifications delivered, by notifier."}, []string{"notifier"})
	e.failed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "langnghe_alerts_delivery_errors_total", Help: "Failed delivery attempts, by notifier and permanence."}, []string{"notifier", "permanent"})
	e.queued = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "langnghe_alerts_queue_length", Help: "Alert notifications waiting for delivery."}, func() float64 {
		e.mu.Lock()
		defer e.mu.Unlock()
		return float64(len(e.state.Queue))
	})
	e.zeroSeries(e.rules)
	if e.reg != nil {
		for _, c := range []prometheus.Collector{e.fired, e.sent, e.failed, e.queued} {
			if err := e.reg.Register(c); err != nil {
				return nil, fmt.Errorf("alerting metrics: %w", err)
			}
		}
	}
	return e, nil
}

// SetRules replaces the rules (reload). Pending groups of removed rules are dropped.
func (e *Engine) SetRules(rs *RuleSet) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rules = rs
	e.zeroSeries(rs)
}

// zeroSeries makes each rule's fired counter and the notifier's sent counter exist at 0,
// so a dashboard's rate() shows 0 rather than "no data" until the first alert (a fresh
// deployment's Grafana panels looked broken).
func (e *Engine) zeroSeries(rs *RuleSet) {
	if e.fired == nil || rs == nil {
		return
	}
	for _, r := range rs.Rules {
		e.fired.WithLabelValues(r.ID, string(r.Kind))
	}
	if e.notifier != nil {
		e.sent.WithLabelValues(e.notifier.Name())
	}
}

// Rules returns the current rules.
func (e *Engine) Rules() *RuleSet {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rules
}

// History returns queued and delivered notifications, newest first, without bodies.
func (e *Engine) History() []*Notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.history()
}

// stateTimeout bounds one Load or Save of the state.
const stateTimeout = 30 * time.Second

// conflictRetries is how often a change is applied again on the state another replica
// saved before the engine gives up (and the caller retries later).
const conflictRetries = 5

// commitLocked applies a change to the state and saves it. When another writer saved
// first (ErrStateConflict) it loads that writer's state and applies the change again, so
// neither replica's work is silently overwritten. apply reports whether it changed the
// state; it must be safe to repeat on a reloaded state (ids make it idempotent).
func (e *Engine) commitLocked(ctx context.Context, apply func() bool) error {
	for attempt := 0; ; attempt++ {
		if !apply() && !e.dirty && !e.syncPending() {
			return nil
		}
		err := e.saveLocked(ctx)
		if !errors.Is(err, ErrStateConflict) || attempt >= conflictRetries {
			return err
		}
		if errors.Is(err, ErrStateMerged) {
			e.log.Info("trạng thái cảnh báo đã hợp nhất sau sự cố, tải lại / alert state merged after the outage, reloading")
		} else {
			e.log.Warn("trạng thái cảnh báo do bản sao khác ghi, tải lại / alert state changed by another replica, reloading", "attempt", attempt+1)
		}
		if rerr := e.reloadLocked(ctx); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
}

// syncPending reports whether the state store holds changes locally that its main store
// lacks (FallbackStateStore during an Elasticsearch outage): Tick then saves even with
// nothing new, so the state reaches Elasticsearch soon after it answers again.
func (e *Engine) syncPending() bool {
	p, ok := e.stateStore.(interface{ Pending() bool })
	return ok && p.Pending()
}

// reloadLocked replaces the in-memory state with the stored one.
func (e *Engine) reloadLocked(ctx context.Context) error {
	data, err := e.stateStore.Load(ctx)
	if err != nil {
		return fmt.Errorf("loading alert state: %w", err)
	}
	st, err := decodeState(data, fmt.Sprint(e.stateStore))
	if err != nil {
		return err
	}
	e.state, e.dirty = st, false
	return nil
}

// seed copies the state of from into the engine's store if that holds no state yet.
func (e *Engine) seed(ctx context.Context, from StateStore) error {
	data, err := e.stateStore.Load(ctx)
	if err != nil || data != nil {
		if err != nil {
			err = fmt.Errorf("loading alert state: %w", err)
		}
		return err
	}
	old, err := from.Load(ctx)
	if err != nil || old == nil {
		return err
	}
	if _, err := decodeState(old, fmt.Sprint(from)); err != nil {
		return err
	}
	if err := e.stateStore.Save(ctx, old); err != nil && !errors.Is(err, ErrStateConflict) {
		return fmt.Errorf("copying alert state %v to %v: %w", from, e.stateStore, err)
	}
	e.log.Info("trạng thái cảnh báo chuyển từ tệp / alert state copied from the file", "from", fmt.Sprint(from), "to", fmt.Sprint(e.stateStore))
	return nil
}

// saveLocked writes the state; after a failure the state stays dirty so the next call
// saves even if nothing changed (a retried batch finds its posts already counted).
func (e *Engine) saveLocked(ctx context.Context) error {
	data, err := json.Marshal(e.state)
	if err == nil {
		err = e.stateStore.Save(ctx, data)
	}
	if err != nil {
		e.dirty = true
		return fmt.Errorf("saving alert state: %w", err)
	}
	e.dirty = false
	return nil
}

// Tick flushes the groups whose window has closed and evaluates the store rules that are
// due. Run calls it every second; tests call it with a controlled clock.
func (e *Engine) Tick(ctx context.Context) error {
	now := e.now()
	e.mu.Lock()
	if e.started.IsZero() {
		e.started = now
	}
	rules := e.rules
	byID := map[string]*Rule{}
	for _, r := range rules.Rules {
		byID[r.ID] = r
	}
	queued := false
	err := e.commitLocked(ctx, func() bool {
		q, changed := e.flushLocked(byID, now)
		queued = queued || q
		return changed
	})
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if queued {
		e.kick()
	}
	if e.st == nil {
		return nil
	}
	// Store rules run on a few goroutines: each is one or a few searches, mostly waiting
	// on the store.
	var (
		errs  []error
		errMu sync.Mutex
		wg    sync.WaitGroup
		sem   = make(chan struct{}, e.evalWorkers)
	)
	for _, r := range rules.Rules {
		if r.Kind == KindMatch {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := e.evalStoreRule(ctx, r, now); err != nil {
				errMu.Lock()
				errs = append(errs, fmt.Errorf("rule %s: %w", r.ID, err))
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	// A store that cannot be reached pauses the store rules: the outage is logged once
	// (Degraded), not every tick; the rules run again on the next tick after it answers.
	var other []error
	unavailable := error(nil)
	for _, err := range errs {
		if errors.Is(err, store.ErrUnavailable) {
			unavailable = err
		} else {
			other = append(other, err)
		}
	}
	if unavailable != nil && e.health != nil {
		e.health.Fail(PartStoreRules, unavailable)
	} else {
		if unavailable != nil {
			other = append(other, unavailable)
		}
		e.health.OK(PartStoreRules)
	}
	return errors.Join(other...)
}

func (e *Engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run ticks, delivers and (WithRulesDir) reloads rules until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			_ = e.Deliver(ctx)
			select {
			case <-ctx.Done():
				return
			case <-e.wake:
			case <-time.After(5 * time.Second):
			}
		}
	}()
	if r, ok := e.recorder.(interface{ Run(context.Context) error }); ok { // a HistorySpool's drain
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(ctx); err != nil {
				e.log.Error("ghi lịch sử cảnh báo / alert history", "err", err)
			}
		}()
	}
	if e.watchDir != "" {
		wg.Add(1)
		go func() { defer wg.Done(); WatchDir(ctx, e.watchDir, e.watchEvery, e, e.log) }()
	}
	t := time.NewTicker(e.tick)
	defer t.Stop()
	defer wg.Wait()
	for {
		if err := e.Tick(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("đánh giá luật cảnh báo / evaluating alert rules", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-e.tickWake:
		}
	}
}
