// Package testinfra tells integration tests where the real components started by
// testinfra/up.sh are listening, and skips a test when its component is not running.
//
//	testinfra/up.sh && . .testinfra/env && go test ./...
//
// Each accessor reads its LANGNGHE_TEST_* variable. When the variable is unset it falls back
// to <module root>/.testinfra/env (written by up.sh), but only if the address found there
// answers, so a stale file skips instead of failing. When neither gives an address the test is
// skipped with a message saying how to start the component. A variable that is set but does
// not answer fails the test: CI set it, so the component is meant to be there.
package testinfra

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// Environment variables written to .testinfra/env by testinfra/up.sh.
const (
	EnvKafka      = "LANGNGHE_TEST_KAFKA"      // comma-separated host:port list
	EnvES         = "LANGNGHE_TEST_ES"         // http://host:port
	EnvSMTP       = "LANGNGHE_TEST_SMTP"       // host:port
	EnvMailpit    = "LANGNGHE_TEST_MAILPIT"    // http://host:port (Mailpit web UI and /api/v1)
	EnvPrometheus = "LANGNGHE_TEST_PROMETHEUS" // http://host:port
)

// KafkaBrokers returns the bootstrap addresses of the test Kafka broker (a real Apache Kafka
// in KRaft mode; auto topic creation is off, so create topics, e.g. with KafkaTopic).
func KafkaBrokers(t testing.TB) []string {
	t.Helper()
	v := lookup(t, EnvKafka, "kafka")
	var out []string
	for _, b := range strings.Split(v, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// ElasticsearchURL returns the base URL of the test Elasticsearch node (plain HTTP, no auth).
func ElasticsearchURL(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvES, "elasticsearch")
}

// SMTPAddr returns host:port of Mailpit's SMTP server (no TLS; any AUTH is accepted).
func SMTPAddr(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvSMTP, "mailpit")
}

// MailpitURL returns the base URL of Mailpit's HTTP API (GET /api/v1/messages, ...).
func MailpitURL(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvMailpit, "mailpit")
}

// PrometheusURL returns the base URL of the test Prometheus server.
func PrometheusURL(t testing.TB) string {
	t.Helper()
	return lookup(t, EnvPrometheus, "prometheus")
}

var topicSeq atomic.Int64

// KafkaTopic creates a fresh topic named prefix plus a unique suffix with the given number of
// partitions (replication factor 1) on the test broker, deletes it when the test ends, and
// returns its name. It skips like KafkaBrokers when Kafka is not running.
func KafkaTopic(t testing.TB, prefix string, partitions int) string {
	t.Helper()
	brokers := KafkaBrokers(t)
	if partitions <= 0 {
		partitions = 1
	}
	name := fmt.Sprintf("%s-%d-%d-%d", strings.TrimSuffix(prefix, "-"), os.Getpid(), time.Now().UnixNano()%1e9, topicSeq.Add(1))
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: name, NumPartitions: partitions, ReplicationFactor: 1,
	}}})
	if err == nil {
		err = res.Errors[name]
	}
	if err != nil {
		t.Fatalf("testinfra: create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = c.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{name}})
	})
	return name
}

func lookup(t testing.TB, key, component string) string {
	t.Helper()
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		if err := reachable(v); err != nil {
			t.Fatalf("testinfra: %s=%s is set but %s does not answer: %v (is testinfra/up.sh %s still running? check testinfra/%s.sh status)",
				key, v, component, err, component, component)
		}
		return v
	}
	if v := fromEnvFile()[key]; v != "" && reachable(v) == nil {
		return v
	}
	t.Skipf("testinfra: %s not running (%s unset): start it with `make infra-up` or testinfra/up.sh %s, then `. .testinfra/env`",
		component, key, component)
	return ""
}

// reachable dials the first host:port in v (a URL or a comma-separated address list).
func reachable(v string) error {
	addr := strings.TrimSpace(strings.Split(v, ",")[0])
	if u, err := url.Parse(addr); err == nil && u.Host != "" && u.Scheme != "" {
		addr = u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			addr = net.JoinHostPort(u.Hostname(), port)
		}
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

var (
	envFileOnce sync.Once
	envFileVals map[string]string
)

// fromEnvFile parses the export lines of <module root>/.testinfra/env, if there is one.
func fromEnvFile() map[string]string {
	envFileOnce.Do(func() {
		envFileVals = map[string]string{}
		path := os.Getenv("LANGNGHE_TESTINFRA_ENV")
		if path == "" {
			dir := stateDir()
			if dir == "" {
				return
			}
			path = filepath.Join(dir, "env")
		}
		f, err := os.Open(path)
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "))
			k, v, ok := strings.Cut(line, "=")
			if !ok || strings.HasPrefix(k, "#") {
				continue
			}
			if uq, err := strconv.Unquote(v); err == nil {
				v = uq
			}
			envFileVals[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	})
	return envFileVals
}

// stateDir is where the scripts keep pid files, logs and env: LANGNGHE_TESTINFRA_DIR or
// <module root>/.testinfra ("" when neither is known).
func stateDir() string {
	if dir := os.Getenv("LANGNGHE_TESTINFRA_DIR"); dir != "" {
		return dir
	}
	if root := moduleRoot(); root != "" {
		return filepath.Join(root, ".testinfra")
	}
	return ""
}

// ElasticsearchCPU is the CPU time (user + system) the Elasticsearch node started by
// testinfra/elasticsearch.sh has used so far, read from /proc: its pid file names the
// launcher, whose child is the server. Benchmarks use it to tell what a writer costs
// Elasticsearch (_nodes/stats refreshes process stats only once a second). ok is false
// when the node is not one of ours or /proc cannot tell.
func ElasticsearchCPU() (cpu time.Duration, ok bool) {
	dir := stateDir()
	if dir == "" {
		return 0, false
	}
	pid, err := os.ReadFile(filepath.Join(dir, "elasticsearch", "pid"))
	if err != nil {
		return 0, false
	}
	launcher := strings.TrimSpace(string(pid))
	total, ok := procCPU(launcher)
	if !ok {
		return 0, false
	}
	children, _ := filepath.Glob("/proc/" + launcher + "/task/*/children")
	for _, f := range children {
		kids, _ := os.ReadFile(f)
		for _, kid := range strings.Fields(string(kids)) {
			if c, ok := procCPU(kid); ok {
				total += c
			}
		}
	}
	return total, true
}

// procCPU is utime+stime of a process from /proc/<pid>/stat.
func procCPU(pid string) (time.Duration, bool) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	// After the command, which may hold spaces inside parentheses, utime and stime are
	// the 12th and 13th fields, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Chromium returns the path of Debian's chromium for browser tests, or skips t when it is
// missing (testinfra/up.sh installs it; so does `apt-get install -y chromium`).
func Chromium(t testing.TB) string {
	t.Helper()
	const path = "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("skipping browser test: %s missing (testinfra/up.sh or apt-get install -y chromium installs it)", path)
	}
	return path
}
