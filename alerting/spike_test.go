package alerting

import (
	"math"
	"math/rand/v2"
	"testing"
)

func poisson(r *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// TestSpikeSyntheticPrecisionRecall runs the detector over synthetic hourly series: a
// Poisson background, flat or following a daily cycle, with 25 injected spikes of +150% to
// +300% at known hours. Each hour is compared with the 12 before it (k=3, min_count=10),
// like a rule with window 1h and baseline_windows 12. The bounds are what the detector
// achieves; the daily-cycle case shows the known weakness of a short trailing baseline
// (the rising half of the day looks unusual) and is reported with a weaker bound.
func TestSpikeSyntheticPrecisionRecall(t *testing.T) {
	for _, c := range []struct {
		name                    string
		amplitude               float64
		step                    int // hours between baseline windows (baseline_step)
		minPrecision, minRecall float64
	}{
		{"flat 20/h", 0, 1, 0.65, 0.9},
		{"daily cycle 20±4/h", 4, 1, 0.4, 0.95},
		{"daily cycle 20±8/h", 8, 1, 0.15, 0.75},
		{"daily cycle 20±8/h, baseline_step 24h", 8, 24, 0.65, 0.9},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, rc := spikeRun(t, c.amplitude, c.step)
			if p < c.minPrecision || rc < c.minRecall {
				t.Errorf("precision %.3f (want ≥ %.2f), recall %.3f (want ≥ %.2f)", p, c.minPrecision, rc, c.minRecall)
			}
		})
	}
}

func spikeRun(t *testing.T, amplitude float64, step int) (precision, recall float64) {
	r := rand.New(rand.NewPCG(7, 11))
	const n, base, k, minCount = 3000, 12, 3.0, 10
	series := make([]int, n)
	spikes := map[int]bool{}
	first := base * step
	for len(spikes) < 25 {
		i := first + 20 + r.IntN(n-first-40)
		if !spikes[i-1] && !spikes[i+1] && !spikes[i] {
			spikes[i] = true
		}
	}
	for i := range series {
		mean := 20 + amplitude*math.Sin(2*math.Pi*float64(i)/24)
		if spikes[i] {
			mean *= 2.5 + 1.5*r.Float64()
		}
		series[i] = poisson(r, mean)
	}
	tp, fp := 0, 0
	baseline := make([]int, base)
	for i := first; i < n; i++ {
		for j := range base {
			baseline[j] = series[i-(j+1)*step]
		}
		if DetectSpike(series[i], baseline, k, minCount).Fire {
			if spikes[i] {
				tp++
			} else {
				fp++
			}
		}
	}
	precision = float64(tp) / float64(tp+fp)
	recall = float64(tp) / float64(len(spikes))
	t.Logf("spike detection on %d synthetic hours, %d injected spikes: precision %.3f, recall %.3f (tp %d, fp %d)", n, len(spikes), precision, recall, tp, fp)
	return precision, recall
}

// TestSpikeQuietTopic: a topic going from ~0 to 6 posts is a large relative jump but under
// min_count, so it does not fire; the same jump from a busy baseline does.
func TestSpikeQuietTopic(t *testing.T) {
	quiet := []int{0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}
	if r := DetectSpike(6, quiet, 3, 10); r.Fire {
		t.Errorf("quiet topic fired: %+v", r)
	}
	if r := DetectSpike(12, quiet, 3, 10); !r.Fire {
		t.Errorf("12 posts after a quiet baseline did not fire: %+v", r)
	}
	busy := []int{20, 22, 19, 21, 20, 18, 23, 20, 21, 19, 20, 22}
	if r := DetectSpike(24, busy, 3, 10); r.Fire {
		t.Errorf("24 within noise of a busy baseline fired: %+v", r)
	}
	if r := DetectSpike(40, busy, 3, 10); !r.Fire || r.Mean != 20.416666666666668 {
		t.Errorf("40 against a busy baseline: %+v", r)
	}
	if r := DetectSpike(100, nil, 3, 10); r.Fire {
		t.Errorf("empty baseline fired")
	}
}
