package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/segmentio/kafka-go"

	esstore "github.com/langnghe/langnghe/store/elasticsearch"
)

// Start-up waits for Kafka and Elasticsearch instead of exiting when they are not up yet
// (issue 15, item 3): roles can be started in any order. Only configuration errors end
// the wait, with exit status 2.

// Backoff bounds of the wait for a dependency. The cap keeps the time between the
// dependency appearing and the role noticing it short (at most depWaitMax).
var (
	depWaitMin = 250 * time.Millisecond
	depWaitMax = 5 * time.Second
)

// waitStatus is what /readyz says while a role waits for a dependency.
type waitStatus struct {
	mu      sync.Mutex
	dep     string
	attempt int
	err     string
	since   time.Time
}

func (s *waitStatus) set(dep string, attempt int, err error, since time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dep, s.attempt, s.since = dep, attempt, since
	s.err = ""
	if err != nil {
		s.err = oneLine(err.Error())
	}
}

// waitFor calls try until it succeeds, ctx ends, or it fails with a configuration error
// (returned as a usageError: exit status 2). Between attempts it sleeps with capped
// exponential backoff. It logs a WARN the first time each kind of failure appears (so an
// outage is one line, not one a second), and one INFO when the dependency answers.
func (a *app) waitFor(ctx context.Context, dep string, try func(context.Context) error) error {
	start := time.Now()
	delay := depWaitMin
	lastClass := ""
	for attempt := 1; ; attempt++ {
		err := try(ctx)
		if err == nil {
			if attempt > 1 {
				a.log.Info("phụ thuộc đã sẵn sàng / dependency is up", "dep", dep, "attempts", attempt, "waited", time.Since(start).Round(time.Millisecond).String())
			}
			a.waiting.set("", 0, nil, time.Time{})
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cfgErr := configError(err); cfgErr != nil {
			return usageError{fmt.Sprintf("%s: lỗi cấu hình, không thử lại / configuration error, not retrying: %v", dep, cfgErr)}
		}
		a.waiting.set(dep, attempt, err, start)
		if class := errClass(err); class != lastClass {
			a.log.Warn("đang chờ phụ thuộc / waiting for dependency", "dep", dep, "class", class, "attempt", attempt, "retry_in", delay.String(), "err", oneLine(err.Error()))
			lastClass = class
		} else {
			a.log.Debug("vẫn chờ phụ thuộc / still waiting for dependency", "dep", dep, "attempt", attempt, "retry_in", delay.String(), "err", oneLine(err.Error()))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, depWaitMax)
	}
}

// configError returns err when retrying cannot help: the configuration is wrong (bad URL
// or address, credentials refused, a certificate that does not verify, a broker that
// refuses the client's rights), else nil.
func configError(err error) error {
	if isUsage(err) {
		return err
	}
	var se *esstore.StatusError
	if errors.As(err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusForbidden || se.Status == http.StatusBadRequest) {
		return err
	}
	var (
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		tlsHeader tls.RecordHeaderError
		addrErr   *net.AddrError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &invalid) || errors.As(err, &hostname) || errors.As(err, &tlsHeader) || errors.As(err, &addrErr) {
		return err
	}
	for _, ke := range []kafka.Error{kafka.SASLAuthenticationFailed, kafka.TopicAuthorizationFailed, kafka.ClusterAuthorizationFailed, kafka.InvalidTopic, kafka.InvalidPartitionNumber} {
		if errors.Is(err, ke) {
			return err
		}
	}
	return nil
}

// errClass names the kind of a retryable failure, so the log gets one line per kind.
func errClass(err error) string {
	var (
		se  *esstore.StatusError
		ke  kafka.Error
		dns *net.DNSError
		ne  net.Error
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &se):
		return fmt.Sprintf("http %d", se.Status)
	case errors.As(err, &ke):
		return ke.Title()
	case errors.As(err, &dns):
		return "dns"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "other"
}

// frontListener is the role's HTTP listener as open returns it: a server runs on it from
// the start, so /healthz answers and /readyz says what the role waits for; serveHTTP
// then swaps the role's handler in (see serveHTTP).
type frontListener struct {
	net.Listener
	handler atomic.Pointer[http.Handler]
	srv     *http.Server
	done    chan error
}

// startFront serves the waiting handler on ln until the role's handler replaces it.
func (a *app) startFront(ln net.Listener) *frontListener {
	f := &frontListener{Listener: ln, done: make(chan error, 1)}
	var h http.Handler = a.waitingHandler()
	f.handler.Store(&h)
	f.srv = newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*f.handler.Load()).ServeHTTP(w, r)
	}), a.cfg.HTTP)
	go func() { f.done <- f.srv.Serve(ln) }()
	return f
}

// waitingHandler answers while dependencies are awaited: /healthz 200 (the process is
// alive and must not be restarted), /readyz 503 naming the dependency, /metrics.
func (a *app) waitingHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg}))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		s := &a.waiting
		s.mu.Lock()
		out := map[string]any{"ready": false, "waiting_for": s.dep, "attempt": s.attempt, "error": s.err}
		if !s.since.IsZero() {
			out["waiting_seconds"] = time.Since(s.since).Seconds()
		}
		if s.dep == "" {
			out["starting"] = true
			delete(out, "waiting_for")
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(out)
	})
	return mux
}

// serve swaps h in and runs until ctx ends, then shuts the server down within 2 s.
func (f *frontListener) serve(ctx context.Context, h http.Handler) error {
	f.handler.Store(&h)
	select {
	case err := <-f.done:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(sctx)
	return nil
}

// stop closes the server at once (a role that failed before serving).
func (f *frontListener) stop() { _ = f.srv.Close() }
