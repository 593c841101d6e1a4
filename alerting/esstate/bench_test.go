package esstate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/testinfra"
)

// BenchmarkSave: one state save (the per-batch cost of Observe) with the recent-ids ring
// full (8192 ids, about 300 KB), Elasticsearch against the file of the embedded mode as
// the baseline in the same run.
func BenchmarkSave(b *testing.B) {
	ids := make([]string, 8192)
	for i := range ids {
		ids[i] = fmt.Sprintf("facebook:trang-tin-%d:%d", i%97, 1_000_000+i)
	}
	snap, _ := json.Marshal(map[string]any{"seq": 1, "recent": ids})
	b.Logf("snapshot %d bytes", len(snap))
	ctx := context.Background()
	run := func(b *testing.B, s alerting.StateStore) {
		if _, err := s.Load(ctx); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(snap)))
		for b.Loop() {
			if err := s.Save(ctx, snap); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("file", func(b *testing.B) { run(b, alerting.FileStateStore{Path: filepath.Join(b.TempDir(), "state.json")}) })
	b.Run("elasticsearch", func(b *testing.B) {
		url := testinfra.ElasticsearchURL(b)
		s, err := newStore(url, fmt.Sprintf("bench-alerts-state-%d", time.Now().UnixNano()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Delete(context.Background()) })
		run(b, s)
	})
}
