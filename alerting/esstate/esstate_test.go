package esstate_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/esstate"
	"github.com/langnghe/langnghe/alerting/statetest"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/testinfra"
)

var seq atomic.Int64

// TestElasticsearchStateStoreConformance runs the StateStore suite against the real
// Elasticsearch: one fresh index per subtest, each handle its own client (a replica).
func TestElasticsearchStateStoreConformance(t *testing.T) {
	url := testinfra.ElasticsearchURL(t)
	statetest.Run(t, func(t *testing.T) statetest.Opener {
		index := fmt.Sprintf("test-alerts-state-%d-%d", time.Now().UnixNano(), seq.Add(1))
		t.Cleanup(func() {
			s, err := newStore(url, index)
			if err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = s.Delete(ctx)
			}
		})
		return func() alerting.StateStore {
			s, err := newStore(url, index)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}, true)
}

func TestIndexName(t *testing.T) {
	for in, want := range map[string]string{"langnghe-posts": "langnghe-alerts-state", "ln": "ln_alerts_state", "a-posts": "a-alerts-state"} {
		if got := esstate.IndexName(in); got != want || strings.Contains(got, "posts") {
			t.Errorf("IndexName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUnavailable: with Elasticsearch unreachable Load and Save fail with ErrUnavailable,
// never with a conflict or an empty state (which would make the engine start afresh).
func TestUnavailable(t *testing.T) {
	s, err := newStore("http://127.0.0.1:1", "x-alerts-state")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if data, err := s.Load(ctx); err == nil || data != nil || !errors.Is(err, esstate.ErrUnavailable) {
		t.Fatalf("Load = %q, %v; want ErrUnavailable", data, err)
	}
	if err := s.Save(ctx, []byte(`{}`)); !errors.Is(err, esstate.ErrUnavailable) {
		t.Fatalf("Save = %v; want ErrUnavailable", err)
	}
	if _, err := alerting.NewEngine(&alerting.RuleSet{}, "", nil, alerting.WithStateStore(s)); !errors.Is(err, esstate.ErrUnavailable) {
		t.Fatalf("NewEngine with the state unreachable = %v; want an ErrUnavailable error (not a fresh state)", err)
	}
}

// TestSeedFromStateFile: moving from the embedded mode, the state file seeds an empty
// index (a queued alert is not forgotten); once the index holds state the file is ignored.
func TestSeedFromStateFile(t *testing.T) {
	url := testinfra.ElasticsearchURL(t)
	index := fmt.Sprintf("test-alerts-state-seed-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	open := func() *esstate.Store {
		s, err := newStore(url, index)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Cleanup(func() { _ = open().Delete(context.Background()) })
	file := alerting.FileStateStore{Path: filepath.Join(t.TempDir(), "alerts", "state.json")}
	if err := file.Save(ctx, []byte(`{"seq":7,"queue":[{"id":"lua-dao/a.vn/1","seq":7,"rule_id":"lua-dao","status":"queued","count":3}]}`)); err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		e, err := alerting.NewEngine(&alerting.RuleSet{}, file.Path, nil, alerting.WithStateStore(open()))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range e.History() {
			out = append(out, n.ID)
		}
		return out
	}
	if got := ids(); len(got) != 1 || got[0] != "lua-dao/a.vn/1" {
		t.Fatalf("after seeding from the file: %v", got)
	}
	if data, err := open().Load(ctx); err != nil || !strings.Contains(string(data), "lua-dao/a.vn/1") {
		t.Fatalf("index after seeding: %.200s, %v", data, err)
	}
	if err := file.Save(ctx, []byte(`{"seq":8,"queue":[{"id":"other","seq":8,"status":"queued"}]}`)); err != nil {
		t.Fatal(err)
	}
	if got := ids(); len(got) != 1 || got[0] != "lua-dao/a.vn/1" {
		t.Fatalf("the file overrode the state in Elasticsearch: %v", got)
	}
}

// newStore builds a state store on a plain client for url, as the alert role does on the
// posts store's client.
func newStore(url, index string) (*esstate.Store, error) {
	c, err := esstore.NewClient(esstore.Config{URLs: []string{url}})
	if err != nil {
		return nil, err
	}
	return esstate.New(c, index), nil
}
