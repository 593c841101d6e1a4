package classifier

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reloader re-reads a model when its files change or the process gets SIGHUP, and keeps
// the running model when the new one fails to load. It has no goroutine of its own: the
// classify stage calls Check between batches, so a reload never interrupts a batch and
// no message is dropped; a file change is noticed at most one check interval late (and
// only when batches flow). Check is safe for concurrent use.
type Reloader struct {
	load     func() (Model, error)
	path     string // model directory or learned model file
	interval time.Duration
	log      *slog.Logger
	reloads  *prometheus.CounterVec
	hup      chan os.Signal

	mu        sync.Mutex
	nextCheck time.Time
	sig       string // signature of the files at the last load
}

// ReloadOption configures a Reloader.
type ReloadOption func(*Reloader)

// WithReloadLogger sets the logger (default slog.Default()).
func WithReloadLogger(l *slog.Logger) ReloadOption { return func(r *Reloader) { r.log = l } }

// WithReloadInterval sets how often Check looks at the files (default 2s).
func WithReloadInterval(d time.Duration) ReloadOption { return func(r *Reloader) { r.interval = d } }

// WithReloadMetrics counts reloads on reg as langnghe_classifier_reloads_total{result}.
func WithReloadMetrics(reg prometheus.Registerer) ReloadOption {
	return func(r *Reloader) {
		r.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "langnghe_classifier_reloads_total",
			Help: "Model reloads after a file change or SIGHUP, by result (ok, failed).",
		}, []string{"result"})
		reg.MustRegister(r.reloads)
	}
}

// WithSIGHUP makes SIGHUP force a reload at the next Check. Call Close to stop listening.
func WithSIGHUP() ReloadOption {
	return func(r *Reloader) {
		r.hup = make(chan os.Signal, 1)
		signal.Notify(r.hup, syscall.SIGHUP)
	}
}

// NewReloader watches path (a model directory or learned model file) and calls load to
// build a new model when it changes.
func NewReloader(path string, load func() (Model, error), opts ...ReloadOption) *Reloader {
	r := &Reloader{load: load, path: path, interval: 2 * time.Second, log: slog.Default()}
	for _, o := range opts {
		o(r)
	}
	r.sig, _ = fileSignature(path)
	r.nextCheck = time.Now().Add(r.interval)
	return r
}

// Close stops listening for SIGHUP.
func (r *Reloader) Close() {
	if r.hup != nil {
		signal.Stop(r.hup)
	}
}

// Check returns a new model if the files changed (or SIGHUP arrived) and it loads, and
// nil otherwise. A failed load is logged with its reason and the old model stays.
func (r *Reloader) Check(now time.Time) Model {
	r.mu.Lock()
	defer r.mu.Unlock()
	reason := ""
	select {
	case <-r.hup: // nil channel without WithSIGHUP: never ready
		reason = "SIGHUP"
	default:
	}
	var sig string
	if reason == "" {
		if now.Before(r.nextCheck) {
			return nil
		}
		r.nextCheck = now.Add(r.interval)
		var err error
		if sig, err = fileSignature(r.path); err != nil || sig == r.sig {
			if err != nil && r.sig != "" {
				r.log.Warn("không đọc được tệp mô hình, giữ mô hình cũ / cannot read model files, keeping the old model", "path", r.path, "err", err)
				r.sig = ""
			}
			return nil
		}
		reason = "file change"
	} else {
		sig, _ = fileSignature(r.path)
	}
	r.sig = sig // a broken file is reported once, not on every check
	m, err := r.load()
	if err != nil {
		r.count("failed")
		r.log.Error("nạp lại mô hình thất bại, giữ mô hình cũ / model reload failed, keeping the old model", "path", r.path, "reason", reason, "err", err)
		return nil
	}
	r.count("ok")
	r.log.Info("đã nạp lại mô hình / model reloaded", "model", m.Name(), "reason", reason)
	return m
}

func (r *Reloader) count(result string) {
	if r.reloads != nil {
		r.reloads.WithLabelValues(result).Inc()
	}
}

// fileSignature summarises the names, sizes and modification times of the files under
// path, so any edit, addition or removal changes it.
func fileSignature(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return fmt.Sprintf("%d/%d", st.Size(), st.ModTime().UnixNano()), nil
	}
	var sig []byte
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sig = fmt.Appendf(sig, "%s:%d/%d;", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return string(sig), err
}
