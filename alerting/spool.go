package alerting

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HistorySpool is a Recorder that loses no record while the history index is away.
// Record appends the notification (without bodies) as one JSON line to an append-only
// file under the data dir and fsyncs it; Run writes the lines in order into the inner
// Recorder, retrying each with capped exponential backoff until it lands, and keeps how
// far it got in a small offset file beside it. A restart resumes from that offset (a
// record written but not yet marked is written again: documents are keyed by alert id,
// and replaying in order ends on the newest status). Once everything is drained the file
// is truncated. langnghe_alerts_history_backlog is the number of records waiting.
type HistorySpool struct {
	path, offPath string
	inner         Recorder
	log           *slog.Logger
	health        *Degraded
	backoff       [2]time.Duration

	mu      sync.Mutex
	f       *os.File // O_APPEND
	size    int64    // bytes in the file
	done    int64    // bytes drained
	backlog int      // records after done
	wake    chan struct{}
}

// SpoolOption configures a HistorySpool.
type SpoolOption func(*HistorySpool)

// WithSpoolLogger sets the logger.
func WithSpoolLogger(l *slog.Logger) SpoolOption { return func(s *HistorySpool) { s.log = l } }

// WithSpoolDegraded reports the history index's outages to d.
func WithSpoolDegraded(d *Degraded) SpoolOption { return func(s *HistorySpool) { s.health = d } }

// WithSpoolBackoff sets the retry backoff bounds (default 500ms..5s: alerts are rare, and the cap bounds how long after Elasticsearch returns the backlog starts draining).
func WithSpoolBackoff(min, max time.Duration) SpoolOption {
	return func(s *HistorySpool) { s.backoff = [2]time.Duration{min, max} }
}

// WithSpoolMetrics registers langnghe_alerts_history_backlog on reg.
func WithSpoolMetrics(reg prometheus.Registerer) SpoolOption {
	return func(s *HistorySpool) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "langnghe_alerts_history_backlog", Help: "Alert history records spooled locally and not yet written to the history index."},
			func() float64 { return float64(s.Backlog()) }))
	}
}

// OpenHistorySpool opens (or creates) the spool file at path in front of inner. A torn
// last line (a crash during an append) is cut off.
func OpenHistorySpool(path string, inner Recorder, opts ...SpoolOption) (*HistorySpool, error) {
	s := &HistorySpool{path: path, offPath: path + ".offset", inner: inner, log: slog.New(slog.DiscardHandler),
		backoff: [2]time.Duration{500 * time.Millisecond, 5 * time.Second}, wake: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("alert history spool: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("alert history spool: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading alert history spool %s: %w", path, err)
	}
	whole := int64(bytes.LastIndexByte(data, '\n') + 1)
	if whole < int64(len(data)) {
		if err := f.Truncate(whole); err != nil {
			f.Close()
			return nil, fmt.Errorf("alert history spool %s: cutting a torn record: %w", path, err)
		}
		s.log.Warn("bỏ bản ghi lịch sử dở dang / dropped a torn history record", "file", path, "bytes", int64(len(data))-whole)
	}
	s.f, s.size = f, whole
	if b, err := os.ReadFile(s.offPath); err == nil {
		if off, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64); err == nil && off >= 0 && off <= whole {
			s.done = off
		}
	}
	s.backlog = bytes.Count(data[s.done:whole], []byte{'\n'})
	if s.backlog > 0 {
		s.log.Info("lịch sử cảnh báo chờ ghi từ lần chạy trước / alert history records pending from the last run", "records", s.backlog, "file", path)
	}
	return s, nil
}

// Backlog is the number of records not yet written to the inner Recorder.
func (s *HistorySpool) Backlog() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.backlog
}

// Record appends n to the spool (fsynced) and returns; Run writes it later.
func (s *HistorySpool) Record(_ context.Context, n *Notification) error {
	c := *n
	c.Text, c.HTML = "", ""
	line, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("alert history spool: %w", err)
	}
	line = append(line, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(line); err != nil {
		// Cut what may have been half written, so the next record starts on a line.
		_ = s.f.Truncate(s.size)
		return fmt.Errorf("appending to alert history spool %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("syncing alert history spool %s: %w", s.path, err)
	}
	s.size += int64(len(line))
	s.backlog++
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// next reads the record at the drain offset; ok is false when the spool is drained.
func (s *HistorySpool) next() (n *Notification, end int64, ok bool, err error) {
	s.mu.Lock()
	done, size := s.done, s.size
	s.mu.Unlock()
	if done >= size {
		return nil, 0, false, nil
	}
	r := bufio.NewReader(io.NewSectionReader(s.f, done, size-done))
	line, err := r.ReadBytes('\n')
	if err != nil {
		return nil, 0, false, fmt.Errorf("reading alert history spool %s at %d: %w", s.path, done, err)
	}
	end = done + int64(len(line))
	n = new(Notification)
	if err := json.Unmarshal(line, n); err != nil {
		// Cannot happen with lines this process wrote; skip rather than block forever.
		s.log.Error("bản ghi lịch sử hỏng bị bỏ qua / skipping a corrupt history record", "file", s.path, "offset", done, "err", err)
		return nil, end, true, nil
	}
	return n, end, true, nil
}

// advance marks the drain offset end; a drained spool is truncated.
func (s *HistorySpool) advance(end int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = end
	s.backlog = max(s.backlog-1, 0)
	if s.done == s.size {
		// Truncate before resetting the offset: a crash in between leaves an offset past
		// the end, which OpenHistorySpool ignores.
		if err := s.f.Truncate(0); err == nil {
			s.done, s.size = 0, 0
		}
	}
	// The offset need not be fsynced: a stale one only writes documents again, in order.
	if err := os.WriteFile(s.offPath, []byte(strconv.FormatInt(s.done, 10)), 0o640); err != nil {
		s.log.Warn("alert history spool offset", "file", s.offPath, "err", err)
	}
}

// Run drains the spool into the inner Recorder until ctx ends.
func (s *HistorySpool) Run(ctx context.Context) error {
	delay := s.backoff[0]
	for {
		n, end, ok, err := s.next()
		if err != nil {
			return err
		}
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-s.wake:
			}
			continue
		}
		if n != nil {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = s.inner.Record(rctx, n)
			cancel()
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				s.health.Fail(PartHistory, err)
				s.log.Debug("alert history write failed, will retry", "alert", n.ID, "retry_in", delay, "err", err)
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(delay):
				}
				delay = min(2*delay, s.backoff[1])
				continue
			}
			s.health.OK(PartHistory)
			delay = s.backoff[0]
		}
		s.advance(end)
	}
}

// Close closes the spool file.
func (s *HistorySpool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

var _ Recorder = (*HistorySpool)(nil)
