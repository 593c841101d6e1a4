package benchutil

import (
	"reflect"
	"testing"
	"time"
)

func TestAlternateOrder(t *testing.T) {
	var order []string
	cost := map[string]time.Duration{"base": 10 * time.Millisecond, "cand": 20 * time.Millisecond}
	contestant := func(name string) Contestant {
		return Contestant{Name: name, Run: func() time.Duration {
			order = append(order, name)
			return cost[name]
		}}
	}
	warmedUp := -1
	times := Alternate(t, 2, []Contestant{contestant("base"), contestant("cand")},
		AfterWarmUp(func() { warmedUp = len(order) }))

	// Warm-up, then per round: in order, then reversed, so each side goes first as often.
	want := []string{"base", "cand", "base", "cand", "cand", "base", "base", "cand", "cand", "base"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("run order %v, want %v", order, want)
	}
	if warmedUp != 2 {
		t.Errorf("AfterWarmUp ran after %d runs, want 2 (the untimed warm-up)", warmedUp)
	}
	if got := times["cand"]; len(got) != 2 || got[0] != 40*time.Millisecond {
		t.Errorf("cand times %v, want two rounds of 40ms (two runs each, warm-up not counted)", got)
	}
	if got := times.Runs("base"); got != 4 {
		t.Errorf("Runs = %d, want 4", got)
	}
	if got := times.Total("base"); got != 40*time.Millisecond {
		t.Errorf("Total = %v, want 40ms (four timed runs of 10ms)", got)
	}
	if got := times.Ratios("base", "cand"); !reflect.DeepEqual(got, []float64{0.5, 0.5}) {
		t.Errorf("Ratios = %v, want [0.5 0.5] (cand takes twice as long)", got)
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		in          []float64
		lo, med, hi float64
	}{
		{nil, 0, 0, 0},
		{[]float64{0.9}, 0.9, 0.9, 0.9},
		{[]float64{1.14, 0.39, 0.62}, 0.39, 0.62, 1.14},
		{[]float64{0.8, 0.6, 1.0, 0.9}, 0.6, 0.85, 1.0},
	} {
		lo, med, hi := Spread(tc.in)
		if lo != tc.lo || hi != tc.hi || (med-tc.med) > 1e-9 || (tc.med-med) > 1e-9 {
			t.Errorf("Spread(%v) = %v, %v, %v; want %v, %v, %v", tc.in, lo, med, hi, tc.lo, tc.med, tc.hi)
		}
	}
}

func TestRounds(t *testing.T) {
	t.Setenv(EnvRounds, "")
	if got := Rounds(3); got != 3 {
		t.Errorf("unset: %d, want the default 3", got)
	}
	t.Setenv(EnvRounds, "5")
	if got := Rounds(3); got != 5 {
		t.Errorf("LANGNGHE_BENCH_ROUNDS=5: %d", got)
	}
	t.Setenv(EnvRounds, "zero")
	if got := Rounds(3); got != 3 {
		t.Errorf("bad value: %d, want the default", got)
	}
}

// BenchmarkReportRatio shows what a comparison prints, with a suspect round.
func BenchmarkReportRatio(b *testing.B) {
	times := Times{"bulk": {100, 100, 120}, "pipeline": {110, 125, 100}}
	for b.Loop() {
	}
	ratios := ReportRatio(b, times, "bulk", "pipeline", "ratio-to-bulk")
	if len(ratios) != 3 || ratios[2] <= SuspectRatio {
		b.Fatalf("ratios %v", ratios)
	}
}
