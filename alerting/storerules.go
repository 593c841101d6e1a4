package alerting

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/langnghe/langnghe/internal/duration"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
)

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
	e.noteEval(r.ID, now, errors.Join(errs...))
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
		res.Total, duration.Format(r.Window.D()), r.Count, res.Total, duration.Format(r.Window.D()), r.Count)
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
		cur, duration.Format(r.Window.D()), sr.Mean, sr.StdDev, sr.Threshold, r.K, r.Baseline, cur, duration.Format(r.Window.D()), sr.Mean, sr.StdDev, sr.Threshold, r.K, r.Baseline)
	return e.conditionNotification(r, key, qs, now, q.From, q.To, res, reason), nil
}

// digestDue reports the local date of the digest due at now, if any: after At and within
// 12 hours of it (a restart in the morning still sends the day's digest), once per day.
// A digest whose time passed before the engine started waits the catch-up delay first.
func (e *Engine) digestDue(r *Rule, now time.Time) (string, bool) {
	local := now.In(Zone)
	at := time.Date(local.Year(), local.Month(), local.Day(), r.atHour, r.atMin, 0, 0, Zone)
	date := local.Format("2006-01-02")
	e.mu.Lock()
	last, started := e.state.Digests[r.ID], e.started
	e.mu.Unlock()
	if last == date || local.Before(at) || local.Sub(at) > 12*time.Hour {
		return "", false
	}
	if at.Before(started) && now.Before(started.Add(e.catchUp)) {
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
		reason: fmt.Sprintf("Tóm tắt %s qua: %d bài khớp / Summary of the last %s: %d matching posts", duration.Format(r.Lookback.D()), d.total, duration.Format(r.Lookback.D()), d.total),
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
