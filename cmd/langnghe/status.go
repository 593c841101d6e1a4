package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// cmdStatus prints the pipeline at a glance from the roles' /metrics endpoints: per stage
// throughput over a short window, consumer lag, errors, and per-source crawl health. It
// reads only what Prometheus would scrape, so it works against any mix of roles.
func cmdStatus(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	def := cmp.Or(lookupEnv(env.environ, "LANGNGHE_STATUS_TARGETS"), "http://127.0.0.1:8080")
	targets := fs.String("targets", def, "địa chỉ các vai, cách nhau bởi dấu phẩy / role base URLs, comma-separated (env LANGNGHE_STATUS_TARGETS)")
	window := fs.Duration("window", 3*time.Second, "khoảng đo tốc độ / window for rates")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var urls []string
	for _, u := range strings.Split(*targets, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return usageError{"--targets trống / is empty"}
	}
	before := scrapeAll(ctx, urls)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*window):
	}
	after := scrapeAll(ctx, urls)
	writeStatus(env.stdout, urls, before, after, *window, time.Now())
	for _, s := range after {
		if s.err == nil {
			return nil
		}
	}
	return fmt.Errorf("không vai nào trả lời / no role answered")
}

// scrape is one target's metrics at one time.
type scrape struct {
	err error
	mf  map[string]*dto.MetricFamily
}

func scrapeAll(ctx context.Context, urls []string) []scrape {
	out := make([]scrape, len(urls))
	for i, u := range urls {
		out[i].mf, out[i].err = scrapeMetrics(ctx, u+"/metrics")
	}
	return out
}

func scrapeMetrics(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(io.LimitReader(resp.Body, 32<<20))
}

// sum adds every sample of a counter or gauge family whose labels match want, grouped by
// the value of label by ("" = one group).
func sum(s []scrape, name, by string, want map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, sc := range s {
		mf := sc.mf[name]
		if mf == nil {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue metrics
				}
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			out[labels[by]] += v
		}
	}
	return out
}

// maxBy is like sum but keeps the largest sample per group (replicas export the same lag).
func maxBy(s []scrape, name string, by ...string) map[string]float64 {
	out := map[string]float64{}
	for _, sc := range s {
		mf := sc.mf[name]
		if mf == nil {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			var key []string
			for _, b := range by {
				key = append(key, labels[b])
			}
			k := strings.Join(key, " ")
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			if old, ok := out[k]; !ok || v > old {
				out[k] = v
			}
		}
	}
	return out
}

func sortedOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func writeStatus(w io.Writer, urls []string, before, after []scrape, window time.Duration, now time.Time) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "VAI / TARGET\tTRẠNG THÁI / STATE\tPHIÊN BẢN / BUILD\n")
	for i, u := range urls {
		state, build := "ok", "-"
		if after[i].err != nil {
			state = "LỖI / DOWN: " + oneLine(after[i].err.Error())
		} else if mf := after[i].mf["langnghe_build_info"]; mf != nil && len(mf.GetMetric()) > 0 {
			l := map[string]string{}
			for _, p := range mf.GetMetric()[0].GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			build = l["version"] + " (" + l["commit"] + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u, state, build)
	}
	fmt.Fprintln(tw)

	secs := window.Seconds()
	proc0, proc1 := sum(before, "langnghe_bus_processed_total", "stage", nil), sum(after, "langnghe_bus_processed_total", "stage", nil)
	dlq := sum(after, "langnghe_bus_dead_lettered_total", "stage", nil)
	retried := sum(after, "langnghe_bus_retried_total", "stage", nil)
	inflight := sum(after, "langnghe_bus_in_flight", "stage", nil)
	fmt.Fprintf(tw, "GIAI ĐOẠN / STAGE\tTIN/GIÂY / MSG/S\tĐÃ XỬ LÝ / DONE\tDLQ\tTHỬ LẠI / RETRIED\tĐANG XỬ LÝ / IN FLIGHT\n")
	stages := sortedOf(proc1)
	if len(stages) == 0 {
		fmt.Fprintf(tw, "(chưa có / none yet)\t\t\t\t\t\n")
	}
	for _, st := range stages {
		fmt.Fprintf(tw, "%s\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\n", st, (proc1[st]-proc0[st])/secs, proc1[st], dlq[st], retried[st], inflight[st])
	}
	fmt.Fprintln(tw)

	lag := maxBy(after, "langnghe_bus_consumer_lag", "group", "topic", "partition")
	perGroup := map[string]float64{}
	for k, v := range lag {
		f := strings.Fields(k)
		if len(f) >= 2 {
			perGroup[f[0]+" "+f[1]] += v
		}
	}
	fmt.Fprintf(tw, "ĐỘ TRỄ / LAG (group topic)\tTIN / MESSAGES\n")
	if len(perGroup) == 0 {
		fmt.Fprintf(tw, "(không đo / not measured)\t\n")
	}
	for _, k := range sortedOf(perGroup) {
		fmt.Fprintf(tw, "%s\t%.0f\n", k, perGroup[k])
	}
	fmt.Fprintln(tw)

	last := maxBy(after, "langnghe_crawler_last_success_timestamp_seconds", "source")
	errs := sum(after, "langnghe_crawler_errors_total", "source", nil)
	posts := sum(after, "langnghe_crawler_posts_emitted_total", "source", nil)
	if len(last)+len(errs)+len(posts) > 0 {
		fmt.Fprintf(tw, "NGUỒN / SOURCE\tTHÀNH CÔNG CUỐI / LAST OK\tLỖI / ERRORS\tBÀI / POSTS\n")
		seen := map[string]bool{}
		for _, m := range []map[string]float64{last, errs, posts} {
			for k := range m {
				seen[k] = true
			}
		}
		for _, src := range sortedOf(seen) {
			ago := "chưa / never"
			if ts := last[src]; ts > 0 {
				ago = now.Sub(time.Unix(int64(ts), 0)).Round(time.Second).String() + " trước / ago"
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\n", src, ago, errs[src], posts[src])
		}
	}
	tw.Flush()
}
