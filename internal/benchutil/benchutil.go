// Package benchutil runs benchmarks that compare a candidate with a baseline measured in
// the same run (the pipeline against a plain _bulk load, the indexer against a bare loader).
// On a shared machine a single baseline run, first and cold, swung the ratio from 1.14 to
// 0.39 between runs, so Alternate warms every contestant up untimed, then runs them in
// rounds, each round once in order and once in reverse so no contestant always goes first,
// and Report gives the spread of the per-round ratios instead of one number.
package benchutil

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// SuspectRatio is the highest believable candidate/baseline throughput ratio. The
// baselines are ceilings (the same documents with less work), so a ratio above it says a
// baseline run was disturbed, not that the candidate beat it.
const SuspectRatio = 1.05

// EnvRounds overrides the number of rounds (LANGNGHE_BENCH_ROUNDS=5).
const EnvRounds = "LANGNGHE_BENCH_ROUNDS"

// Contestant is one side of a comparison. Run does one complete measurement (its own
// setup and clean-up included) and returns the duration of its timed part.
type Contestant struct {
	Name string
	Run  func() time.Duration
}

// Times holds, per contestant name, the timed duration of each round (the sum of its
// in-order and its reverse-order run).
type Times map[string][]time.Duration

// Total is the sum over all rounds of name's durations.
func (t Times) Total(name string) time.Duration {
	var sum time.Duration
	for _, d := range t[name] {
		sum += d
	}
	return sum
}

// Runs is how many times each contestant ran timed (two per round).
func (t Times) Runs(name string) int { return 2 * len(t[name]) }

// Ratios is, per round, baseline time over name's time: name's throughput relative to the
// baseline's on the same work (0.9 = 90 % of the baseline's speed).
func (t Times) Ratios(baseline, name string) []float64 {
	base, got := t[baseline], t[name]
	out := make([]float64, 0, len(got))
	for i := range min(len(base), len(got)) {
		out = append(out, base[i].Seconds()/got[i].Seconds())
	}
	return out
}

type options struct {
	afterWarmUp func()
}

// Option configures Alternate.
type Option func(*options)

// AfterWarmUp calls f once the untimed warm-up runs are done, e.g. to reset counters the
// contestants add to, so the warm-up does not count.
func AfterWarmUp(f func()) Option { return func(o *options) { o.afterWarmUp = f } }

// Rounds returns LANGNGHE_BENCH_ROUNDS when it is a positive integer, else def.
func Rounds(def int) int {
	if n, err := strconv.Atoi(os.Getenv(EnvRounds)); err == nil && n > 0 {
		return n
	}
	return def
}

// Alternate runs every contestant once untimed (a cold JVM, page cache or connection pool
// would otherwise slow whoever runs first), then rounds rounds of: each contestant in the
// given order, then each in reverse order. It returns each contestant's per-round times.
func Alternate(tb testing.TB, rounds int, cs []Contestant, opts ...Option) Times {
	tb.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for _, c := range cs {
		c.Run()
	}
	if o.afterWarmUp != nil {
		o.afterWarmUp()
	}
	times := Times{}
	for range rounds {
		round := map[string]time.Duration{}
		for _, c := range cs {
			round[c.Name] += c.Run()
		}
		for i := len(cs) - 1; i >= 0; i-- {
			round[cs[i].Name] += cs[i].Run()
		}
		for _, c := range cs {
			times[c.Name] = append(times[c.Name], round[c.Name])
		}
	}
	return times
}

// Spread is the minimum, median and maximum of xs (zeros when xs is empty).
func Spread(xs []float64) (lo, median, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Sorted(slices.Values(xs))
	median = s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[0], median, s[len(s)-1]
}

// ReportRatio reports name's ratio to baseline as metric (the median over rounds), with
// metric+"-min" and metric+"-max" for the spread, logs every round's ratio, and logs each
// ratio above SuspectRatio as suspect. It returns the per-round ratios.
func ReportRatio(b *testing.B, t Times, baseline, name, metric string) []float64 {
	b.Helper()
	ratios := t.Ratios(baseline, name)
	lo, med, hi := Spread(ratios)
	b.ReportMetric(med, metric)
	b.ReportMetric(lo, metric+"-min")
	b.ReportMetric(hi, metric+"-max")
	b.Logf("%s per round (%s time / %s time): %s", metric, baseline, name, formatRatios(ratios))
	for i, r := range ratios {
		if r > SuspectRatio {
			b.Logf("SUSPECT: round %d %s = %.3f > %.2f: %s cannot really beat %s; a %s run was probably disturbed (a busy machine, an Elasticsearch merge); rerun on a quiet machine",
				i+1, metric, r, SuspectRatio, name, baseline, baseline)
		}
	}
	return ratios
}

func formatRatios(rs []float64) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.3f", r)
	}
	return s
}
