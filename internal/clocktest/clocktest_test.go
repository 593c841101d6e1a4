package clocktest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/langnghe/langnghe/internal/clocktest"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	clk := clocktest.New(start)
	now := clk.Now // the form code under test receives
	if got := now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	clk.Add(90 * time.Second)
	if got, want := now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Errorf("after Add(90s): %v, want %v", got, want)
	}
	later := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	clk.Set(later)
	if got := now(); !got.Equal(later) {
		t.Errorf("after Set: %v, want %v", got, later)
	}
}

// TestClockConcurrent is for the race detector: tests move the clock while the engine's
// goroutines read it.
func TestClockConcurrent(t *testing.T) {
	clk := clocktest.New(time.Unix(0, 0))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); clk.Add(time.Second) }()
		go func() { defer wg.Done(); _ = clk.Now() }()
	}
	wg.Wait()
	if got := clk.Now(); !got.Equal(time.Unix(4, 0)) {
		t.Errorf("after four concurrent Add(1s): %v, want %v", got, time.Unix(4, 0))
	}
}
