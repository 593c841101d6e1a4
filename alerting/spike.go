package alerting

import "math"

// SpikeResult explains a spike decision: the numbers an email shows.
type SpikeResult struct {
	Current   int     `json:"current"`
	Mean      float64 `json:"mean"`
	StdDev    float64 `json:"stddev"`
	Threshold float64 `json:"threshold"` // mean + k·stddev
	Fire      bool    `json:"fire"`
}

// DetectSpike compares the count of the current window with the counts of the previous
// windows (baseline, any order): it fires when current > mean + k·stddev and current ≥
// minCount, so a quiet topic going from 0 to 2 posts does not fire. With an empty baseline
// it never fires.
//
// stddev is the sample standard deviation of the baseline, but never less than √mean:
// post counts are roughly Poisson, whose variance is at least the mean, and a dozen
// baseline windows often underestimate it by chance (see the synthetic-series test for
// the precision this floor buys).
func DetectSpike(current int, baseline []int, k float64, minCount int) SpikeResult {
	r := SpikeResult{Current: current}
	if len(baseline) == 0 {
		return r
	}
	var sum float64
	for _, c := range baseline {
		sum += float64(c)
	}
	r.Mean = sum / float64(len(baseline))
	var ss float64
	for _, c := range baseline {
		d := float64(c) - r.Mean
		ss += d * d
	}
	if len(baseline) > 1 {
		r.StdDev = math.Sqrt(ss / float64(len(baseline)-1))
	}
	r.StdDev = math.Max(r.StdDev, math.Sqrt(r.Mean))
	r.Threshold = r.Mean + k*r.StdDev
	r.Fire = current >= minCount && float64(current) > r.Threshold
	return r
}
