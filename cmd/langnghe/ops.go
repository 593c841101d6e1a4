package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/langnghe/langnghe/bus"
)

// version and commit are stamped at build time (see Dockerfile and Makefile):
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse --short HEAD)"
//
// A plain `go build` inside a git checkout still gets the commit from the Go toolchain's
// VCS stamp (buildCommit).
var commit = ""

// buildCommit is the stamped commit, else the one the toolchain recorded, else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
		if rev != "" {
			return rev
		}
	}
	return "unknown"
}

func cmdVersion(_ context.Context, env *cliEnv, _ []string) error {
	fmt.Fprintf(env.stdout, "langnghe %s (commit %s, %s)\n", version, buildCommit(), runtime.Version())
	return nil
}

// registerBuildInfo adds langnghe_build_info{version,commit,goversion} 1, so dashboards can
// show which build each role runs and alerts can spot mixed versions after a rollout.
func registerBuildInfo(reg prometheus.Registerer) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "langnghe_build_info",
		Help: "Always 1; the labels name the build of this process.",
	}, []string{"version", "commit", "goversion"})
	g.WithLabelValues(version, buildCommit(), runtime.Version()).Set(1)
	_ = reg.Register(g) // a second app in one process (tests) keeps the first
}

// cmdHealthcheck is the container HEALTHCHECK: the final image has no shell and no curl,
// so the binary probes its own /readyz. Exit 0 on a 2xx answer, 1 otherwise.
func cmdHealthcheck(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "thời gian chờ tối đa / request timeout")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "cách dùng / usage: langnghe healthcheck [--timeout 3s] [URL]   (mặc định / default http://127.0.0.1:8080/readyz)")
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageError{err.Error()}
	}
	url := "http://127.0.0.1:8080/readyz"
	switch fs.NArg() {
	case 0:
		if l := lookupEnv(env.environ, "LANGNGHE_HTTP_LISTEN"); l != "" {
			url = "http://" + loopbackOf(l) + "/readyz"
		}
	case 1:
		url = fs.Arg(0)
	default:
		return usageError{"chỉ một URL / one URL at most"}
	}
	return probe(ctx, url, *timeout, env.stdout)
}

// loopbackOf turns a listen address like ":8080" or "0.0.0.0:8080" into one to dial.
func loopbackOf(listen string) string {
	host, port, ok := cutLast(listen, ":")
	if !ok {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "[::]" || host == "::" {
		host = "127.0.0.1"
	}
	return host + ":" + port
}

func cutLast(s, sep string) (before, after string, ok bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

func probe(ctx context.Context, url string, timeout time.Duration, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usageError{fmt.Sprintf("URL không hợp lệ / invalid URL %q: %v", url, err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("không kết nối được / cannot reach %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: chưa sẵn sàng / not ready: %s: %s", url, resp.Status, oneLine(string(body)))
	}
	fmt.Fprintf(out, "%s: %s\n", url, resp.Status)
	return nil
}

// watchLag adds a consumer group to this process's lag monitor (created on first use), so
// every consumer role exports langnghe_bus_consumer_lag for its own group.
func (a *app) watchLag(group, topic string) {
	if a.lag == nil {
		a.lag = bus.NewLagMonitor(a.brokers, a.reg, bus.WithLagLogger(a.log))
	}
	a.lag.Watch(group, topic)
}

// lagTask is the lag monitor's loop for a task group; a no-op when nothing is watched.
func (a *app) lagTask(ctx context.Context) error {
	if a.lag == nil {
		return nil
	}
	return a.lag.Run(ctx)
}

// logHandler is the slog handler for log_format: "json" (one object per line, for log
// shippers in containers) or "text" (the default, for terminals).
func logHandler(format string, w io.Writer, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

func validateLogFormat(c *Config) ConfigErrors {
	switch c.LogFormat {
	case "", "text", "json":
		return nil
	}
	return ConfigErrors{{Path: "log_format", Msg: fmt.Sprintf("phải là text hoặc json / must be text or json, got %q", c.LogFormat)}}
}
