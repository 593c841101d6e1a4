// Command testsummary runs `go test -json` (or reads its output on stdin) and prints what a
// person needs from a long run: one line per package as go test prints it, the full output
// of every failed test, build errors, and at the end how many tests passed, failed and were
// skipped, with the skip reasons grouped, so a run that skipped half the suite for want of
// ../shared or Kafka does not look like a clean "ok". `make test` runs it.
//
//	go run ./testinfra/cmd/testsummary -- go test -json -count=1 ./...
//	go test -json ./... | go run ./testinfra/cmd/testsummary
//
// With a command, it exits with the command's status (1 if the command exited 0 but a test
// failed); reading stdin, it exits 1 when a test or build failed.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		s := summarize(os.Stdin, os.Stdout)
		if s.failed() {
			os.Exit(1)
		}
		return
	}
	os.Exit(run(args))
}

// run starts the command with its stdout piped into summarize and returns the exit status.
func run(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		return 1
	}
	s := summarize(out, os.Stdout)
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		return 1
	case s.failed():
		return 1
	}
	return 0
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	Elapsed     float64
	ImportPath  string // build-output and build-fail events
	FailedBuild string // on a package's fail event when its test binary did not build
}

type key struct{ pkg, test string }

// summary is what the run came to.
type summary struct {
	passed, failures, skipped int
	buildFailed               bool
	// skips maps a reason to the tests skipped for it.
	skips map[string][]string
}

func (s *summary) failed() bool { return s.failures > 0 || s.buildFailed }

// summarize reads test2json events from r and writes the readable report to w.
func summarize(r io.Reader, w io.Writer) *summary {
	s := &summary{skips: map[string][]string{}}
	output := map[key][]string{} // buffered output of running tests and packages
	pkgFailed := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line) // not test2json: pass it through
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
		case "build-fail":
			s.buildFailed = true
		case "output":
			output[k] = append(output[k], e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				if e.Action == "fail" {
					flushUnfinished(w, output, e.Package)
				}
				s.finishPackage(w, e, output[k], pkgFailed[e.Package])
				delete(output, k)
				continue
			}
			switch e.Action {
			case "pass":
				s.passed++
			case "fail":
				s.failures++
				pkgFailed[e.Package] = true
				fmt.Fprint(w, strings.Join(output[k], ""))
			case "skip":
				s.skipped++
				reason := skipReason(output[k])
				s.skips[reason] = append(s.skips[reason], shortPkg(e.Package)+"."+e.Test)
			}
			delete(output, k)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(w, "testsummary: reading go test output:", err)
		s.buildFailed = true
	}
	s.print(w)
	return s
}

// finishPackage prints the package line ("ok  pkg 1.2s" or "FAIL pkg"); when the package
// failed, also whatever it printed outside any test (a panic, TestMain, a timeout).
func (s *summary) finishPackage(w io.Writer, e event, out []string, testFailed bool) {
	if e.Action == "fail" {
		if !testFailed && e.FailedBuild == "" {
			s.failures++ // the package failed with no failed test to count (panic, timeout)
		}
		fmt.Fprint(w, strings.Join(out, ""))
		return // the buffered output ends with go test's own "FAIL\tpkg" line
	}
	// Passing and test-less packages: the last line is go test's own summary line.
	for i := len(out) - 1; i >= 0; i-- {
		if l := out[i]; strings.HasPrefix(l, "ok") || strings.HasPrefix(l, "?") {
			fmt.Fprint(w, l)
			return
		}
	}
	fmt.Fprintf(w, "%s\t%s\t%.3fs\n", e.Action, e.Package, e.Elapsed)
}

// flushUnfinished prints the output of tests of pkg that never finished (the binary
// panicked or timed out while they ran), since that is where the failure shows.
func flushUnfinished(w io.Writer, output map[key][]string, pkg string) {
	var tests []string
	for k := range output {
		if k.pkg == pkg && k.test != "" {
			tests = append(tests, k.test)
		}
	}
	sort.Strings(tests)
	for _, t := range tests {
		fmt.Fprint(w, strings.Join(output[key{pkg, t}], ""))
		delete(output, key{pkg, t})
	}
}

// fileLine is the "name_test.go:12: " prefix t.Log adds.
var fileLine = regexp.MustCompile(`^\s*[\w.-]+\.go:\d+: `)

// skipReason is what the test logged before skipping, without the framing lines and the
// file:line prefix, so tests skipped for the same reason group together.
func skipReason(out []string) string {
	var lines []string
	for _, l := range out {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- ") {
			continue
		}
		lines = append(lines, fileLine.ReplaceAllString(t, ""))
	}
	if len(lines) == 0 {
		return "(no reason given)"
	}
	return strings.Join(lines, " ")
}

// shortPkg drops the module path, which every package shares.
func shortPkg(p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, "github.com/langnghe/langnghe"), "/")
}

func (s *summary) print(w io.Writer) {
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped", s.passed, s.failures, s.skipped)
	if s.buildFailed {
		fmt.Fprint(w, ", build failed")
	}
	fmt.Fprintln(w)
	if len(s.skips) == 0 {
		return
	}
	reasons := make([]string, 0, len(s.skips))
	for r := range s.skips {
		reasons = append(reasons, r)
	}
	// Most skipped first: the reason that hides most of the suite leads.
	sort.Slice(reasons, func(i, j int) bool {
		a, b := s.skips[reasons[i]], s.skips[reasons[j]]
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return reasons[i] < reasons[j]
	})
	fmt.Fprintln(w, "skipped:")
	for _, r := range reasons {
		tests := s.skips[r]
		sort.Strings(tests)
		shown := tests
		if len(shown) > 3 {
			shown = shown[:3]
		}
		more := ""
		if n := len(tests) - len(shown); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		fmt.Fprintf(w, "  %3d  %s\n       (%s%s)\n", len(tests), r, strings.Join(shown, ", "), more)
	}
}
