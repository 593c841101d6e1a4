package crawler

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/bus"
	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/testinfra"
)

// hostSource counts which replica ran it.
type hostSource struct {
	name, host string
	mu         *sync.Mutex
	ranBy      map[string]map[string]bool // source -> replicas
	replica    string
}

func (s *hostSource) Name() string { return s.name }
func (s *hostSource) Host() string { return s.host }
func (s *hostSource) Fetch(context.Context, Cursor, Emit) (Cursor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ranBy[s.name] == nil {
		s.ranBy[s.name] = map[string]bool{}
	}
	s.ranBy[s.name][s.replica] = true
	return Cursor{}, nil
}

// Two replicas in one group split the hosts: every source runs, each in exactly one
// replica, and sources of the same host run in the same replica.
func TestRunShardedSplitsHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("consumer-group rebalance takes seconds")
	}
	emb, err := bus.StartEmbedded(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	testSharded(t, emb.Brokers(), "test-crawl", "test.crawler.tasks")
}

// The same against the real Kafka broker; skipped when testinfra's Kafka is not running.
func TestRunShardedRealKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("consumer-group rebalance takes seconds")
	}
	brokers := testinfra.KafkaBrokers(t)
	suffix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	topic := "langnghe-test-crawler-tasks-" + suffix
	t.Cleanup(func() {
		_ = bus.DeleteTopics(context.Background(), brokers, topic)
	})
	testSharded(t, brokers, "langnghe-test-crawl-"+suffix, topic)
}

func testSharded(t *testing.T, brokers []string, group, topic string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	ranBy := map[string]map[string]bool{}
	hosts := []string{"vnexpress.net", "voz.vn", "mastodon.social", "public.api.bsky.app", "tuoitre.vn", "dantri.com.vn"}
	mk := func(replica string) *Runner {
		var ss []Scheduled
		for i, h := range hosts {
			for j := 0; j < 2; j++ { // two sources per host
				ss = append(ss, Scheduled{Source: &hostSource{name: fmt.Sprintf("s%d-%d", i, j), host: h, mu: &mu, ranBy: ranBy, replica: replica}, Interval: 200 * time.Millisecond})
			}
		}
		return NewRunner(ss, NewMemCursors(), SinkFunc(func(context.Context, []*post.Post) error { return nil }))
	}
	opts := ShardOptions{Partitions: 6, HeartbeatInterval: 300 * time.Millisecond, SessionTimeout: 6 * time.Second}
	stops := map[string]context.CancelFunc{}
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		r := mk(name)
		runCtx, stop := context.WithCancel(ctx)
		stops[name] = stop
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.RunSharded(runCtx, brokers, group, topic, opts); err != nil {
				t.Error(err)
			}
		}()
	}
	defer func() {
		for _, stop := range stops {
			stop()
		}
		wg.Wait()
	}()
	// observe forgets earlier runs, waits for a settled group to run a few rounds, and
	// returns which replicas ran each source.
	observe := func(settle time.Duration) map[string]map[string]bool {
		time.Sleep(settle)
		mu.Lock()
		for k := range ranBy {
			delete(ranBy, k)
		}
		mu.Unlock()
		time.Sleep(2 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		out := map[string]map[string]bool{}
		for k, v := range ranBy {
			out[k] = v
		}
		return out
	}

	// observeUntil repeats 2 s observations until check finds no problem, or reports the
	// last problems after the deadline: a rebalance takes longer on a loaded machine, and a
	// fixed wait would make the test flaky without making it stricter.
	observeUntil := func(deadline time.Duration, check func(map[string]map[string]bool) []string) {
		end := time.Now().Add(deadline)
		for {
			problems := check(observe(0))
			if len(problems) == 0 {
				return
			}
			if time.Now().After(end) {
				for _, p := range problems {
					t.Error(p)
				}
				return
			}
		}
	}

	// Both replicas in the group: every source in exactly one, hosts never split.
	observeUntil(60*time.Second, func(got map[string]map[string]bool) []string {
		var problems []string
		perReplica := map[string]int{}
		for i, h := range hosts {
			var owner string
			for j := 0; j < 2; j++ {
				name := fmt.Sprintf("s%d-%d", i, j)
				reps := got[name]
				if len(reps) != 1 {
					problems = append(problems, fmt.Sprintf("source %s (host %s) ran in replicas %v, want exactly one", name, h, reps))
					continue
				}
				for rep := range reps {
					if owner != "" && owner != rep {
						problems = append(problems, fmt.Sprintf("host %s split across replicas %s and %s", h, owner, rep))
					}
					owner = rep
				}
			}
			perReplica[owner]++
		}
		if len(perReplica) != 2 {
			problems = append(problems, fmt.Sprintf("hosts per replica %v: want both replicas to crawl", perReplica))
		}
		return problems
	})

	// Replica b stops: a takes every host over.
	stops["b"]()
	observeUntil(60*time.Second, func(got map[string]map[string]bool) []string {
		var problems []string
		for i := range hosts {
			for j := 0; j < 2; j++ {
				name := fmt.Sprintf("s%d-%d", i, j)
				if reps := got[name]; len(reps) != 1 || !reps["a"] {
					problems = append(problems, fmt.Sprintf("after b left, source %s ran in %v, want only a", name, reps))
				}
			}
		}
		return problems
	})
}

// ShardPartition is what lets replicas agree on who crawls a host without talking to each
// other, so it must be the same function in every replica and every version: FNV-1a of the
// host modulo n (checked against an FNV-1a written out here from its definition), always
// in [0, n), spread over all partitions, and keyed case-insensitively through HostOf.
func TestShardPartition(t *testing.T) {
	fnv1a := func(s string) uint32 {
		h := uint32(2166136261)
		for i := 0; i < len(s); i++ {
			h ^= uint32(s[i])
			h *= 16777619
		}
		return h
	}
	const n = 12
	counts := make([]int, n)
	for i := 0; i < 1200; i++ {
		host := fmt.Sprintf("host-%d.example.vn", i)
		got := ShardPartition(host, n)
		if want := int(fnv1a(host) % n); got != want {
			t.Fatalf("ShardPartition(%q, %d) = %d, want FNV-1a mod n = %d", host, n, got, want)
		}
		if got < 0 || got >= n {
			t.Fatalf("ShardPartition(%q, %d) = %d, out of range", host, n, got)
		}
		counts[got]++
	}
	for p, c := range counts {
		if c < 100/2 || c > 100*2 { // 1200 hosts over 12 partitions: about 100 each
			t.Errorf("partition %d got %d of 1200 hosts: %v", p, c, counts)
		}
	}
	for _, k := range []int{-1, 0, 1} {
		if got := ShardPartition("voz.vn", k); got != 0 {
			t.Errorf("ShardPartition(voz.vn, %d) = %d, want 0", k, got)
		}
	}
	a := &hostSource{name: "a", host: "VOZ.vn"}
	b := &hostSource{name: "b", host: "voz.VN"}
	if HostOf(a) != HostOf(b) || ShardPartition(HostOf(a), n) != ShardPartition(HostOf(b), n) {
		t.Errorf("one host in two spellings maps to %q and %q", HostOf(a), HostOf(b))
	}
	if HostOf(&noHost{name: "x"}) != "source:x" {
		t.Errorf("a source without a host is keyed %q, want source:x", HostOf(&noHost{name: "x"}))
	}
}

type noHost struct{ name string }

func (s *noHost) Name() string                                        { return s.name }
func (s *noHost) Fetch(context.Context, Cursor, Emit) (Cursor, error) { return Cursor{}, nil }
