package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"

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
	st          store.Store
	notifier    Notifier
	state       *state
	stateStore  StateStore
	log         *slog.Logger
	now         func() time.Time
	links       Links
	nextEval    map[string]time.Time
	wake        chan struct{} // delivery has work
	tickWake    chan struct{} // a group is due: tick now rather than at the next tick
	lastPrune   time.Time
	backoff     [2]time.Duration
	tick        time.Duration
	recorder    Recorder
	dirty       bool // the last state save failed
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

// WithEvalConcurrency sets how many store rules are evaluated at once (default 4).
func WithEvalConcurrency(n int) Option { return func(e *Engine) { e.evalWorkers = max(1, n) } }

// WithStateStore keeps the alert state in ss instead of the file at NewEngine's
// statePath (Elasticsearch when configured, see alerting/esstate).
func WithStateStore(ss StateStore) Option { return func(e *Engine) { e.stateStore = ss } }

// WithMetrics registers the alerting metrics on reg.
func WithMetrics(reg prometheus.Registerer) Option { return func(e *Engine) { e.reg = reg } }

// NewEngine loads the state from the WithStateStore store, or else from the file at
// statePath (a new state if nothing was saved yet). With both, a state file seeds a
// store that holds no state yet (moving from the embedded mode to Elasticsearch).
func NewEngine(rules *RuleSet, statePath string, n Notifier, opts ...Option) (*Engine, error) {
	e := &Engine{
		rules: rules, notifier: n,
		log: slog.New(slog.DiscardHandler), now: time.Now,
		nextEval: map[string]time.Time{}, wake: make(chan struct{}, 1), tickWake: make(chan struct{}, 1),
		backoff: [2]time.Duration{time.Second, time.Minute}, tick: time.Second, evalWorkers: 4,
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

// Process is the bus.Processor of posts.classified: it adds every post matching a match
// rule to its group and saves the state before returning, so Kafka offsets are committed
// only for posts the state holds. Undecodable posts are dead-lettered.
func (e *Engine) Process(ctx context.Context, msgs []bus.Message) []error {
	errs := make([]error, len(msgs))
	posts := make([]*post.Post, 0, len(msgs))
	for i, m := range msgs {
		p, err := post.Decode(m.Value)
		if err != nil {
			errs[i] = bus.Permanent(fmt.Errorf("alerting: %w", err))
			continue
		}
		posts = append(posts, p)
	}
	if err := e.observe(ctx, posts); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	return errs
}

// Observe applies the match rules to classified posts and persists the state.
func (e *Engine) Observe(posts []*post.Post) error {
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	return e.observe(ctx, posts)
}

func (e *Engine) observe(ctx context.Context, posts []*post.Post) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	return e.commitLocked(ctx, func() bool { return e.observeLocked(posts, now) })
}

// observeLocked counts posts into the state; it reports whether the state changed.
func (e *Engine) observeLocked(posts []*post.Post, now time.Time) bool {
	changed := false
	for _, p := range posts {
		if p.Analysis == nil {
			continue
		}
		if e.state.seen(p.ID) {
			continue // redelivered by Kafka: already counted in every rule it matched
		}
		var doc *query.Doc
		matched := false
		for _, r := range e.rules.Rules {
			if r.Kind != KindMatch {
				continue
			}
			if doc == nil {
				doc = query.NewDoc(p)
			}
			if !r.matcher.Match(doc, now) || e.silenced(r, doc, now) {
				continue
			}
			matched = true
			key := groupKey(r, p)
			gk := r.ID + "|" + key
			g := e.state.Groups[gk]
			if g == nil {
				g = &group{RuleID: r.ID, Key: key}
				e.state.Groups[gk] = g
			}
			if g.Count == 0 {
				g.First = now
				due := r.GroupWait.D()
				if !g.LastSent.IsZero() {
					due = max(due, g.LastSent.Add(r.GroupWindow.D()).Sub(now))
				}
				time.AfterFunc(due, func() {
					select {
					case e.tickWake <- struct{}{}:
					default:
					}
				})
			}
			g.Count++
			g.Top = addTop(g.Top, p, r.TopPosts)
			changed = true
		}
		if matched {
			e.state.remember(p.ID)
		}
	}
	return changed
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
		if !apply() && !e.dirty {
			return nil
		}
		err := e.saveLocked(ctx)
		if !errors.Is(err, ErrStateConflict) || attempt >= conflictRetries {
			return err
		}
		e.log.Warn("trạng thái cảnh báo do bản sao khác ghi, tải lại / alert state changed by another replica, reloading", "attempt", attempt+1)
		if rerr := e.reloadLocked(ctx); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
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

// groupKey is the per-key value of p for r.GroupBy.
func groupKey(r *Rule, p *post.Post) string {
	a := p.Analysis
	switch r.GroupBy {
	case "platform":
		return p.Platform
	case "source":
		return p.Source
	case "sentiment":
		return a.Sentiment.Label
	case "toxicity":
		return a.Toxicity.Label
	case "narrative":
		listed := r.listedNarratives()
		for _, n := range a.Narratives {
			if len(listed) == 0 || contains(listed, n.ID) {
				return n.ID
			}
		}
		return "-"
	}
	return ""
}

// relevance orders posts in an email: flagged first, then toxicity, then engagement.
func relevance(p *post.Post) float64 {
	s := float64(p.Metrics.Likes+2*p.Metrics.Shares+p.Metrics.Replies) / 1000
	if p.Analysis != nil {
		if p.Analysis.Flagged {
			s += 100
		}
		s += 10 * p.Analysis.Toxicity.Score
	}
	return s
}

func addTop(top []*post.Post, p *post.Post, n int) []*post.Post {
	top = append(top, p)
	sort.SliceStable(top, func(i, j int) bool { return relevance(top[i]) > relevance(top[j]) })
	if len(top) > n {
		top = top[:n]
	}
	return top
}

// silenced reports whether a silence covers r now; d is the post (nil for store rules,
// which only rule silences mute).
func (e *Engine) silenced(r *Rule, d *query.Doc, now time.Time) bool {
	for _, s := range e.rules.Silences {
		if !now.Before(s.Until) {
			continue
		}
		if s.Rule != "" && s.Rule != r.ID {
			continue
		}
		if s.matcher != nil {
			if d == nil || !s.matcher.Match(d, now) {
				continue
			}
		}
		return true
	}
	return false
}

// Tick flushes the groups whose window has closed and evaluates the store rules that are
// due. Run calls it every second; tests call it with a controlled clock.
func (e *Engine) Tick(ctx context.Context) error {
	now := e.now()
	e.mu.Lock()
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
	return errors.Join(errs...)
}

func (e *Engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// evalStoreRule runs a threshold, spike or digest rule if it is due.
func (e *Engine) evalStoreRule(ctx context.Context, r *Rule, now time.Time) error {
	e.mu.Lock()
	next := e.nextEval[r.ID]
	e.mu.Unlock()
	if now.Before(next) {
		return nil
	}
	type firing struct {
		n   *Notification
		key string
	}
	var out []firing
	var errs []error
	switch r.Kind {
	case KindThreshold, KindSpike:
		for _, key := range r.keys() {
			var n *Notification
			var err error
			if r.Kind == KindThreshold {
				n, err = e.evalThreshold(ctx, r, key, now)
			} else {
				n, err = e.evalSpike(ctx, r, key, now)
			}
			if err != nil {
				errs = append(errs, err)
			} else if n != nil {
				out = append(out, firing{n, key})
			}
		}
	case KindDigest:
		n, err := e.evalDigest(ctx, r, now)
		if err != nil {
			errs = append(errs, err)
		} else if n != nil {
			out = append(out, firing{n, ""})
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.Kind == KindDigest {
		e.nextEval[r.ID] = now.Add(30 * time.Second)
	} else {
		e.nextEval[r.ID] = now.Add(r.Every.D())
	}
	queued := false
	err := e.commitLocked(ctx, func() bool {
		changed := false
		for _, f := range out {
			if !e.state.enqueue(f.n) {
				continue
			}
			changed = true
			if r.Kind == KindDigest {
				e.state.Digests[r.ID] = now.In(Zone).Format("2006-01-02")
			} else {
				e.state.LastFired[lastKey(r, f.key)] = now
			}
		}
		queued = queued || changed
		return changed
	})
	if queued {
		e.fired.WithLabelValues(r.ID, string(r.Kind)).Add(float64(len(out)))
	}
	if err != nil {
		errs = append(errs, err)
	} else if queued {
		e.kick()
	}
	return errors.Join(errs...)
}

// lastKey is where the last firing of a condition rule (and key) is remembered.
func lastKey(r *Rule, key string) string {
	if key == "" {
		return r.ID
	}
	return r.ID + "|" + key
}

// repeatOK reports whether a condition rule may fire again.
func (e *Engine) repeatOK(r *Rule, key string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	last, ok := e.state.LastFired[lastKey(r, key)]
	return (!ok || now.Sub(last) >= r.RepeatInterval.D()) && !e.silenced(r, nil, now)
}

func (e *Engine) evalThreshold(ctx context.Context, r *Rule, key string, now time.Time) (*Notification, error) {
	if !e.repeatOK(r, key, now) {
		return nil, nil
	}
	qs := r.queryFor(key)
	q := qs.Store()
	q.Now = now
	q.From, q.To, q.Limit, q.Interval = now.Add(-r.Window.D()), now, r.TopPosts, -1
	res, err := e.st.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	if res.Total < r.Count {
		return nil, nil
	}
	reason := fmt.Sprintf("%d bài khớp trong %s qua (ngưỡng %d) / %d matching posts in the last %s (threshold %d)",
		res.Total, r.Window.D(), r.Count, res.Total, r.Window.D(), r.Count)
	return e.conditionNotification(r, key, qs, now, q.From, q.To, res, reason), nil
}

// spikeCounts returns the count of the current window [end-window, end) and of the
// r.Baseline baseline windows, window i covering [end-i·step-window, end-i·step), from one
// bucketed search.
func (e *Engine) spikeCounts(ctx context.Context, r *Rule, qs QuerySpec, end time.Time) (int, []int, error) {
	w, every, step := r.Window.D(), r.Every.D(), r.BaselineStep.D()
	from := end.Add(-time.Duration(r.Baseline)*step - w)
	q := qs.Store()
	q.Now = end
	q.From, q.To, q.Limit, q.Interval = from, end, 1, every
	res, err := e.st.Search(ctx, q)
	if err != nil {
		return 0, nil, err
	}
	counts := make([]int, r.Baseline+1) // counts[0] is the current window
	for _, b := range res.Buckets {
		if b.Start.Before(from) || !b.Start.Before(end) {
			continue
		}
		d := end.Sub(b.Start)
		i := int((d - 1) / step)
		if i <= r.Baseline && d <= time.Duration(i)*step+w {
			counts[i] += b.Count
		}
	}
	return counts[0], counts[1:], nil
}

func (e *Engine) evalSpike(ctx context.Context, r *Rule, key string, now time.Time) (*Notification, error) {
	if !e.repeatOK(r, key, now) {
		return nil, nil
	}
	qs := r.queryFor(key)
	end := store.BucketStart(now, r.Every.D())
	cur, base, err := e.spikeCounts(ctx, r, qs, end)
	if err != nil {
		return nil, err
	}
	sr := DetectSpike(cur, base, r.K, r.MinCount)
	if !sr.Fire {
		return nil, nil
	}
	q := qs.Store()
	q.Now = end
	q.From, q.To, q.Limit, q.Interval = end.Add(-r.Window.D()), end, r.TopPosts, -1
	res, err := e.st.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	reason := fmt.Sprintf("%d bài trong %s gần nhất, vượt nền %.1f ± %.1f (ngưỡng %.1f = TB + %g·ĐLC của %d cửa sổ trước) / %d posts in the last %s, above the baseline %.1f ± %.1f (threshold %.1f = mean + %g·stddev of the %d baseline windows)",
		cur, r.Window.D(), sr.Mean, sr.StdDev, sr.Threshold, r.K, r.Baseline, cur, r.Window.D(), sr.Mean, sr.StdDev, sr.Threshold, r.K, r.Baseline)
	return e.conditionNotification(r, key, qs, now, q.From, q.To, res, reason), nil
}

// digestDue reports the local date of the digest due at now, if any: after At and within
// 12 hours of it (a restart in the morning still sends the day's digest), once per day.
func (e *Engine) digestDue(r *Rule, now time.Time) (string, bool) {
	local := now.In(Zone)
	at := time.Date(local.Year(), local.Month(), local.Day(), r.atHour, r.atMin, 0, 0, Zone)
	date := local.Format("2006-01-02")
	e.mu.Lock()
	last := e.state.Digests[r.ID]
	e.mu.Unlock()
	if last == date || local.Before(at) || local.Sub(at) > 12*time.Hour {
		return "", false
	}
	return date, true
}

func (e *Engine) evalDigest(ctx context.Context, r *Rule, now time.Time) (*Notification, error) {
	date, due := e.digestDue(r, now)
	if !due {
		return nil, nil
	}
	e.mu.Lock()
	silenced := e.silenced(r, nil, now)
	e.mu.Unlock()
	if silenced {
		return nil, nil
	}
	d, err := e.digest(ctx, r, now)
	if err != nil {
		return nil, err
	}
	n := e.render(r, renderInput{
		id: r.ID + "/" + date, key: date, now: now, from: now.Add(-r.Lookback.D()), to: now,
		count: d.total, digest: d,
		reason: fmt.Sprintf("Tóm tắt %s qua: %d bài khớp / Summary of the last %s: %d matching posts", r.Lookback.D(), d.total, r.Lookback.D(), d.total),
	})
	return n, nil
}

// digestData is a digest grouped by narrative.
type digestData struct {
	total  int
	groups []digestGroup
}

type digestGroup struct {
	Narrative string
	Count     int
	Previous  int
	Posts     []*post.Post
}

func (e *Engine) digest(ctx context.Context, r *Rule, now time.Time) (*digestData, error) {
	lb := r.Lookback.D()
	q := r.Query.Store()
	q.Now = now
	q.From, q.To, q.Limit, q.Interval = now.Add(-lb), now, store.MaxLimit, -1
	res, err := e.st.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	d := &digestData{total: res.Total}
	ids := map[string]int{}
	listed := r.listedNarratives()
	for _, h := range res.Hits {
		if h.Post.Analysis == nil {
			continue
		}
		for _, n := range h.Post.Analysis.Narratives {
			if len(listed) == 0 || contains(listed, n.ID) {
				ids[n.ID]++
			}
		}
	}
	var names []string
	for id := range ids {
		names = append(names, id)
	}
	sort.Slice(names, func(i, j int) bool {
		if ids[names[i]] != ids[names[j]] {
			return ids[names[i]] > ids[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) > 15 {
		names = names[:15]
	}
	for _, id := range names {
		nq := r.Query.narrowed(query.FieldNarrative, id).Store()
		nq.Now = now
		nq.From, nq.To, nq.Limit, nq.Interval = now.Add(-lb), now, 3, -1
		cur, err := e.st.Search(ctx, nq)
		if err != nil {
			return nil, err
		}
		nq.From, nq.To, nq.Limit = now.Add(-2*lb), now.Add(-lb), 1
		prev, err := e.st.Search(ctx, nq)
		if err != nil {
			return nil, err
		}
		g := digestGroup{Narrative: id, Count: cur.Total, Previous: prev.Total}
		for _, h := range cur.Hits {
			g.Posts = append(g.Posts, h.Post)
		}
		d.groups = append(d.groups, g)
	}
	return d, nil
}

func (e *Engine) matchNotification(r *Rule, g *group, now time.Time) *Notification {
	reason := fmt.Sprintf("%d bài mới khớp luật từ %s / %d new matching posts since %s",
		g.Count, g.First.In(Zone).Format("15:04 02/01"), g.Count, g.First.In(Zone).Format("15:04 02/01"))
	return e.render(r, renderInput{
		id:  r.ID + "/" + g.Key + "/" + strconv.FormatInt(g.First.UnixNano(), 10),
		key: g.Key, now: now, from: g.First, to: now, count: g.Count, posts: g.Top, reason: reason,
	})
}

func (e *Engine) conditionNotification(r *Rule, key string, qs QuerySpec, now, from, to time.Time, res *store.Result, reason string) *Notification {
	var posts []*post.Post
	for _, h := range res.Hits {
		posts = append(posts, h.Post)
	}
	slot := strconv.FormatInt(store.BucketStart(now, r.Every.D()).Unix(), 10)
	id := r.ID + "/" + slot
	if key != "" {
		id = r.ID + "/" + key + "/" + slot
	}
	return e.render(r, renderInput{
		id: id, key: key, query: &qs, now: now, from: from, to: to,
		count: res.Total, posts: posts, reason: reason,
	})
}

// flushLocked queues the groups whose window has closed and prunes old ids; it reports
// whether it queued a notification and whether the state changed.
func (e *Engine) flushLocked(byID map[string]*Rule, now time.Time) (queued, changed bool) {
	keys := make([]string, 0, len(e.state.Groups))
	for k := range e.state.Groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := e.state.Groups[k]
		r := byID[g.RuleID]
		if r == nil {
			delete(e.state.Groups, k)
			changed = true
			continue
		}
		if g.Count == 0 {
			if !g.LastSent.IsZero() && now.Sub(g.LastSent) >= r.GroupWindow.D() {
				delete(e.state.Groups, k)
				changed = true
			}
			continue
		}
		due := g.First.Add(r.GroupWait.D())
		if !g.LastSent.IsZero() {
			if d := g.LastSent.Add(r.GroupWindow.D()); d.After(due) {
				due = d
			}
		}
		if now.Before(due) {
			continue
		}
		n := e.matchNotification(r, g, now)
		if e.state.enqueue(n) {
			e.fired.WithLabelValues(r.ID, string(r.Kind)).Inc()
			queued = true
		}
		g.LastSent, g.Count, g.Top = now, 0, nil
		changed = true
	}
	if now.Sub(e.lastPrune) >= time.Minute || now.Before(e.lastPrune) {
		e.state.prune(now)
		e.lastPrune = now
	}
	return queued, changed
}

// Deliver sends the queue head through the notifier until the queue is empty or ctx
// ends, retrying transient failures with a capped exponential backoff, in order.
func (e *Engine) Deliver(ctx context.Context) error {
	delay := e.backoff[0]
	for {
		e.mu.Lock()
		var head *Notification
		if len(e.state.Queue) > 0 {
			head = e.state.Queue[0]
		}
		e.mu.Unlock()
		if head == nil {
			return nil
		}
		err := e.notifier.Notify(ctx, head)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.mu.Lock()
		switch {
		case err == nil:
			e.sent.WithLabelValues(e.notifier.Name()).Inc()
		case errors.Is(err, ErrPermanent):
			e.failed.WithLabelValues(e.notifier.Name(), "true").Inc()
			e.log.Error("cảnh báo không gửi được / alert undeliverable", "alert", head.ID, "err", err)
		default:
			e.failed.WithLabelValues(e.notifier.Name(), "false").Inc()
		}
		rec := *head
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), stateTimeout)
		// The outcome is applied to the queue entry with head's id in the current state:
		// after a conflict that is the other replica's state (which may already have
		// finished it, then there is nothing to record).
		serr := e.commitLocked(sctx, func() bool {
			q := e.state.queued(head.ID)
			if q == nil {
				return false
			}
			q.Attempts++
			switch {
			case err == nil:
				q.Status, q.SentAt, q.Via, q.LastError = StatusSent, e.now(), e.notifier.Name(), ""
				e.state.finish(q)
			case errors.Is(err, ErrPermanent):
				q.Status, q.LastError = StatusFailed, err.Error()
				e.state.finish(q)
			default:
				q.LastError = err.Error()
			}
			rec = *q
			return true
		})
		scancel()
		e.mu.Unlock()
		if serr != nil {
			e.log.Error("saving alert state", "err", serr)
		}
		if e.recorder != nil {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if rerr := e.recorder.Record(rctx, &rec); rerr != nil {
				e.log.Warn("ghi lịch sử cảnh báo / recording alert history", "alert", rec.ID, "err", rerr)
			}
			cancel()
		}
		if err == nil || errors.Is(err, ErrPermanent) {
			delay = e.backoff[0]
			continue
		}
		e.log.Warn("gửi cảnh báo thất bại, sẽ thử lại / alert delivery failed, will retry", "alert", head.ID, "notifier", e.notifier.Name(), "retry_in", delay, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, e.backoff[1])
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
