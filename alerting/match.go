package alerting

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store/query"
)

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
	for _, r := range e.rules.Rules {
		if r.Kind == KindMatch {
			e.noteEval(r.ID, now, nil)
		}
	}
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
			if len(g.IDs) < LinkMaxIDs {
				g.IDs = append(g.IDs, p.ID)
			}
			changed = true
		}
		if matched {
			e.state.remember(p.ID)
		}
	}
	return changed
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
	list := e.rules.Silences
	if e.silences != nil {
		// Run-time silences (the /alerts page) are merged with the rule files' own.
		list = append(slices.Clip(list), e.silences.Active(now)...)
	}
	for _, s := range list {
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

func (e *Engine) matchNotification(r *Rule, g *group, now time.Time) *Notification {
	reason := fmt.Sprintf("%d bài mới khớp luật từ %s / %d new matching posts since %s",
		g.Count, g.First.In(Zone).Format("15:04 02/01"), g.Count, g.First.In(Zone).Format("15:04 02/01"))
	return e.render(r, renderInput{
		id:  r.ID + "/" + g.Key + "/" + strconv.FormatInt(g.First.UnixNano(), 10),
		key: g.Key, now: now, from: g.First, to: now, count: g.Count, posts: g.Top, reason: reason,
		ids: g.IDs,
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
		g.LastSent, g.Count, g.Top, g.IDs = now, 0, nil, nil
		changed = true
	}
	if now.Sub(e.lastPrune) >= time.Minute || now.Before(e.lastPrune) {
		e.state.prune(now)
		e.lastPrune = now
	}
	return queued, changed
}
