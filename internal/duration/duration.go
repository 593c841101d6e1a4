// Package duration is the one parser for the lengths of time people write in configuration,
// alert rules, queries and URL parameters: Go durations ("90s", "1h30m") plus whole or
// fractional days ("90d", "1.5d"), since retention periods and look-backs are counted in days.
// It sits at the bottom of the module (it imports nothing of ours) so that the config loader,
// the alert rules, the query language and the web API cannot drift apart again.
package duration

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("khoảng thời gian không hợp lệ / invalid duration")

// day is the length of the "d" unit. Days are always 24 hours: the durations here measure
// elapsed time (retention, windows, look-backs), not calendar days.
const day = 24 * time.Hour

// Parse reads a non-negative duration: anything time.ParseDuration accepts ("90s", "5m",
// "1h30m", "250ms") or a number of days ("14d", "1.5d"). Surrounding spaces are ignored.
// Days cannot be combined with other units ("1d12h" is an error; write "36h"), and there is
// no week or month unit. The error names the input.
func Parse(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		// The range check also rejects NaN and ±Inf, and values that would overflow int64.
		if err != nil || !(days >= 0 && days*float64(day) <= math.MaxInt64) {
			return 0, invalid(s)
		}
		return time.Duration(days * float64(day)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, invalid(s)
	}
	return d, nil
}

func invalid(s string) error {
	return fmt.Errorf("%w %q (e.g. 14d, 4h, 5m)", ErrInvalid, s)
}

// Format writes d for people, in a form Parse reads back: whole days from two days up as
// "Nd" ("7d"), otherwise Go's form without its zero minutes and seconds ("24h", "1h30m",
// "5m" rather than "24h0m0s", "1h30m0s", "5m0s").
func Format(d time.Duration) string {
	if d >= 2*day && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// Duration is a time.Duration written as Parse reads it, in YAML files and in
// configuration overrides.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML parses the scalar with Parse; the error carries the line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := Parse(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the Go form, which Parse reads back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
