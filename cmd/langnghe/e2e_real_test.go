package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/langnghe/langnghe/bus"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary compiles langnghe once per test run, so roles run as real processes that
// can be killed with SIGKILL.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "langnghe-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "langnghe")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// role is a langnghe process started by a test.
type role struct {
	cmd *exec.Cmd
	log string
}

func startRole(t *testing.T, env []string, logDir string, args ...string) *role {
	t.Helper()
	logFile := filepath.Join(logDir, fmt.Sprintf("%s-%d.log", args[0], time.Now().UnixNano()))
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r := &role{cmd: cmd, log: logFile}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop sends SIGINT and waits; a clean stop must take less than 5 s.
func (r *role) stop(t *testing.T) {
	if r.cmd.ProcessState != nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s exited with %v; log:\n%s", r.cmd.Args[1], err, tail(r.log, 20))
		}
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-done
		t.Errorf("%s did not stop within 5 s of SIGINT; log:\n%s", r.cmd.Args[1], tail(r.log, 20))
	}
}

func (r *role) kill() {
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_ = r.cmd.Wait()
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestPipelineRealKafkaElasticsearch runs classify and index as separate processes against
// the real Kafka and Elasticsearch started by testinfra: 2,000 posts and a malformed message
// are replayed with `langnghe replay`, the index process is killed with SIGKILL mid-stream
// (its uncommitted batch is delivered again) and restarted. Every post must be searchable
// exactly once and the malformed message must be in the DLQ with its reason.
func TestPipelineRealKafkaElasticsearch(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	brokers := testinfra.KafkaBrokers(t)
	esURL := testinfra.ElasticsearchURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	prefix := fmt.Sprintf("e2e%d", time.Now().UnixNano())
	dir := t.TempDir()
	env := append(os.Environ(),
		"LANGNGHE_KAFKA_BROKERS="+strings.Join(brokers, ","),
		"LANGNGHE_ES_URL="+esURL,
		"LANGNGHE_ES_INDEX_PREFIX="+prefix,
		"LANGNGHE_KAFKA_TOPIC_PREFIX="+prefix+".",
		"LANGNGHE_KAFKA_GROUP_PREFIX="+prefix,
		"LANGNGHE_KAFKA_BATCH_SIZE=20",
		"LANGNGHE_HTTP_LISTEN=127.0.0.1:0",
		"LANGNGHE_DATA_DIR="+dir,
	)
	st, err := esstore.New(ctx, esstore.Config{URLs: []string{esURL}, IndexPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t.Cleanup(func() { deleteIndices(t, esURL, prefix) })

	startRole(t, env, dir, "classify")
	index := startRole(t, env, dir, "index")

	posts := e2ePosts(2000)
	file := writeJSONL(t, posts)
	replay := exec.CommandContext(ctx, buildBinary(t), "replay", "--in", file)
	replay.Env = env
	if out, err := replay.CombinedOutput(); err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	p := bus.NewProducer(brokers)
	if err := p.Publish(ctx, prefix+"."+bus.TopicRaw, bus.Message{Key: []byte("bad-1"), Value: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}
	p.Close()

	killedAt := -1
	waitIndexed(t, st, len(posts), 3*time.Minute, func(n int) {
		if killedAt < 0 && n >= 200 {
			killedAt = n
			index.kill()
			t.Logf("index process killed with SIGKILL after %d posts were searchable", n)
			index = startRole(t, env, dir, "index")
		}
	})
	if killedAt < 0 || killedAt >= len(posts) {
		t.Errorf("the index process was not killed mid-stream (at %d of %d)", killedAt, len(posts))
	}
	assertExactlyOnce(t, st, posts)
	expectDLQ(t, brokers, prefix+"."+bus.TopicDLQ, "bad-1", "classify", "malformed")
}

// deleteIndices removes the test's monthly indices and template (wildcard deletes are
// refused by default in Elasticsearch 8, so each index is named).
func deleteIndices(t testing.TB, esURL, prefix string) {
	resp, err := http.Get(esURL + "/_cat/indices/" + prefix + "-*?h=index")
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name := strings.TrimSpace(sc.Text())
		if name == "" {
			continue
		}
		req, _ := http.NewRequest(http.MethodDelete, esURL+"/"+name, nil)
		if r, err := http.DefaultClient.Do(req); err == nil {
			r.Body.Close()
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, esURL+"/_index_template/"+prefix, nil)
	if r, err := http.DefaultClient.Do(req); err == nil {
		r.Body.Close()
	}
}
