package duration_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/internal/duration"
)

// TestParse is the reference for what a duration may look like anywhere in Lắng Nghe:
// config (retention: 90d), alert rules (window: 15m), queries (published:>7d) and the
// web API (interval=1h).
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration // ignored when bad
		bad  bool
	}{
		// Go durations, any unit time.ParseDuration knows.
		{in: "90s", want: 90 * time.Second},
		{in: "5m", want: 5 * time.Minute},
		{in: "4h", want: 4 * time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "0", want: 0},
		// Days: 24 hours each, whole or fractional.
		{in: "90d", want: 90 * 24 * time.Hour},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "0d", want: 0},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "+7d", want: 7 * 24 * time.Hour},
		{in: "100000d", want: 100000 * 24 * time.Hour},
		// Spaces around the value (YAML scalars, form fields) are ignored.
		{in: " 14d ", want: 14 * 24 * time.Hour},
		{in: "\t12h\n", want: 12 * time.Hour},
		// Not durations.
		{in: "", bad: true},
		{in: "d", bad: true},
		{in: "90", bad: true},    // a bare number has no unit
		{in: "2w", bad: true},    // no week unit: write 14d
		{in: "1mo", bad: true},   // no month unit: months differ in length
		{in: "1d12h", bad: true}, // days do not combine with other units: write 36h
		{in: "-5m", bad: true},   // lengths of time are never negative
		{in: "-1d", bad: true},
		{in: "NaNd", bad: true},
		{in: "Infd", bad: true},
		{in: "1e9d", bad: true},    // overflows time.Duration (about 292 years)
		{in: "ba ngày", bad: true}, // "three days", in words
	} {
		got, err := duration.Parse(tc.in)
		switch {
		case tc.bad && err == nil:
			t.Errorf("Parse(%q) = %v, want an error", tc.in, got)
		case tc.bad:
			if !errors.Is(err, duration.ErrInvalid) {
				t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", tc.in, err)
			}
			if q := strings.TrimSpace(tc.in); !strings.Contains(err.Error(), `"`+q+`"`) {
				t.Errorf("Parse(%q) error %q does not name the input", tc.in, err)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", tc.in, err)
		case got != tc.want:
			t.Errorf("Parse(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		Retention duration.Duration `yaml:"retention"`
		Window    duration.Duration `yaml:"window"`
	}
	if err := yaml.Unmarshal([]byte("retention: 90d\nwindow: 1h30m\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.Retention.D() != 90*24*time.Hour || v.Window.D() != 90*time.Minute {
		t.Errorf("decoded retention %v, window %v; want 2160h, 1h30m", v.Retention.D(), v.Window.D())
	}

	err := yaml.Unmarshal([]byte("retention: 90d\nwindow: 2w\n"), &v)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), `"2w"`) {
		t.Errorf("bad value on line 2: error %v, want one naming line 2 and \"2w\"", err)
	}

	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Retention duration.Duration `yaml:"retention"`
		Window    duration.Duration `yaml:"window"`
	}
	if err := yaml.Unmarshal(out, &back); err != nil || back != v {
		t.Errorf("round trip through %q gave %+v, %v; want %+v", out, back, err, v)
	}
}

// TestFormat: durations shown to people drop Go's zero minutes and seconds, write whole
// days from two days up as days, and always parse back to themselves.
func TestFormat(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{168 * time.Hour, "7d"},
		{36 * time.Hour, "36h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour, "1h"},
		{5 * time.Minute, "5m"},
		{3*time.Hour + 25*time.Second, "3h0m25s"},
		{30 * time.Second, "30s"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
	} {
		got := duration.Format(c.d)
		if got != c.want {
			t.Errorf("Format(%v) = %q, want %q", c.d, got, c.want)
		}
		if back, err := duration.Parse(got); err != nil || back != c.d {
			t.Errorf("Parse(Format(%v)) = %v, %v", c.d, back, err)
		}
	}
}
