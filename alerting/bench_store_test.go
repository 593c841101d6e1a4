package alerting_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/langnghe/langnghe/alerting"
	"github.com/langnghe/langnghe/alerting/outbox"
	"github.com/langnghe/langnghe/internal/clocktest"
	"github.com/langnghe/langnghe/store"
	blevestore "github.com/langnghe/langnghe/store/bleve"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
	"github.com/langnghe/langnghe/store/storetest"
	"github.com/langnghe/langnghe/testinfra"
)

// BenchmarkStoreRules measures one evaluation round of store rules (every rule due) on
// the embedded bleve store holding LANGNGHE_BENCH_ALERT_POSTS generated posts (default
// 20000, spread over two months): 1 threshold rule (baseline) against 200 rules, half
// threshold (window 1h) and half spike (window 1h, 12 baseline windows, every 10m, one
// bucketed search each). Nothing fires (counts are far below the thresholds) so the cost
// is the evaluation alone.
func BenchmarkStoreRules(b *testing.B) {
	st, err := blevestore.Open(filepath.Join(b.TempDir(), "bleve"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchStoreRules(b, st)
}

// BenchmarkStoreRulesElasticsearch is the same on the real Elasticsearch.
func BenchmarkStoreRulesElasticsearch(b *testing.B) {
	url := testinfra.ElasticsearchURL(b)
	ctx := context.Background()
	prefix := fmt.Sprintf("lntest-alertbench-%d", time.Now().UnixNano())
	st, err := esstore.New(ctx, esstore.Config{URLs: []string{url}, IndexPrefix: prefix}, esstore.WithReplicas(0))
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = st.Drop(ctx)
		st.Close()
	}()
	benchStoreRules(b, st)
}

func benchStoreRules(b *testing.B, st store.Store) {
	n := 20000
	if v := os.Getenv("LANGNGHE_BENCH_ALERT_POSTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	// Chunks of 10000 with their own seeds (distinct ids), so a million posts never sit
	// in memory at once.
	for done, seed := 0, uint64(1); done < n; seed++ {
		posts := storetest.Generate(min(10000, n-done), seed)
		for i := 0; i < len(posts); i += 1000 {
			if err := st.Index(ctx, posts[i:min(i+1000, len(posts))]); err != nil {
				b.Fatal(err)
			}
		}
		done += len(posts)
	}
	if err := st.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	narr := []string{"flood", "scam", "public_service", "harassment", "public_safety"}
	words := []string{"lũ lụt", "lừa đảo", "mất điện", "ngân hàng", "xe buýt"}
	for _, rules := range []int{1, 200} {
		b.Run(fmt.Sprintf("rules=%d/posts=%d", rules, n), func(b *testing.B) {
			var y strings.Builder
			y.WriteString("rules:\n")
			for i := range rules {
				q := fmt.Sprintf("'narrative:%s'", narr[i%len(narr)])
				if i%3 == 1 {
					q = fmt.Sprintf("%q", words[i%len(words)])
				}
				if i%2 == 0 {
					fmt.Fprintf(&y, "  - id: t%d\n    kind: threshold\n    query: %s\n    window: 1h\n    count: 1000000\n    every: 10m\n    recipients: [b@bench.test]\n", i, q)
				} else {
					fmt.Fprintf(&y, "  - id: s%d\n    kind: spike\n    query: %s\n    window: 1h\n    every: 10m\n    min_count: 1000000\n    recipients: [b@bench.test]\n", i, q)
				}
			}
			path := filepath.Join(b.TempDir(), "r.yaml")
			os.WriteFile(path, []byte(y.String()), 0o644)
			rs, errs := alerting.LoadFiles(path)
			if len(errs) > 0 {
				b.Fatal(errs)
			}
			clk := clocktest.New(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
			e, err := alerting.NewEngine(rs, filepath.Join(b.TempDir(), "state.json"), outbox.New(b.TempDir(), ""), alerting.WithStore(st), alerting.WithClock(clk.Now))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				clk.Add(10 * time.Minute)
				if err := e.Tick(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(rules), "ms/rule")
		})
	}
}
