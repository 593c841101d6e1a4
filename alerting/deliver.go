package alerting

import (
	"context"
	"errors"
	"time"
)

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
