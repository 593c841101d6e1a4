package main

import (
	"os"
	"strings"
	"testing"
)

// The testdata files are real `go test -json -count=1` output (Go 1.26):
//   - mixed.json: one package with TestOK, TestFail (logs "some context", then fails),
//     TestSkipA and TestSkipB (both t.Skip("testinfra: kafka not running: start it")) and
//     TestSub with a skipped subtest x ("no shared") and a passing y;
//   - buildfail.json: a package that does not compile, then a passing package.

func report(t *testing.T, file string) (*summary, string) {
	t.Helper()
	f, err := os.Open("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	s := summarize(f, &out)
	return s, out.String()
}

func TestSummaryCountsAndReasons(t *testing.T) {
	s, out := report(t, "mixed.json")
	if s.passed != 3 || s.failures != 1 || s.skipped != 3 || !s.failed() {
		t.Errorf("counts: %d passed, %d failed, %d skipped; want 3 (TestOK, TestSub, TestSub/y), 1, 3", s.passed, s.failures, s.skipped)
	}
	for _, want := range []string{
		"3 passed, 1 failed, 3 skipped",
		// The failed test's whole output, so the failure can be read without -v.
		"=== RUN   TestFail\n    a_test.go:6: some context\n    a_test.go:6: want 1, got 2\n--- FAIL: TestFail",
		"FAIL\texample.com/tsdemo",
		// Reasons grouped, most frequent first, without the file:line prefix.
		"    2  testinfra: kafka not running: start it\n       (example.com/tsdemo.TestSkipA, example.com/tsdemo.TestSkipB)\n    1  no shared\n       (example.com/tsdemo.TestSub/x)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Passing and skipped tests print nothing of their own.
	for _, unwanted := range []string{"--- PASS: TestOK", "--- SKIP", "a_test.go:7"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("report shows %q:\n%s", unwanted, out)
		}
	}
}

func TestSummaryBuildFailure(t *testing.T) {
	s, out := report(t, "buildfail.json")
	if !s.buildFailed || !s.failed() || s.failures != 0 || s.passed != 1 {
		t.Errorf("buildFailed %v, %d failed, %d passed; want a build failure, no failed test, 1 passed", s.buildFailed, s.failures, s.passed)
	}
	for _, want := range []string{
		"broken/b.go:2:12: undefined: undefined",
		"FAIL\texample.com/tsdemo/broken [build failed]",
		"ok  \texample.com/tsdemo/ok\t0.003s",
		"1 passed, 0 failed, 0 skipped, build failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestSkipReason(t *testing.T) {
	for _, tc := range []struct {
		out  []string
		want string
	}{
		{[]string{"=== RUN   TestX\n", "    x_test.go:12: testinfra: kafka not running\n", "--- SKIP: TestX (0.00s)\n"}, "testinfra: kafka not running"},
		{[]string{"=== RUN   TestX\n", "--- SKIP: TestX (0.00s)\n"}, "(no reason given)"},
		{[]string{"    x_test.go:3: first\n", "    x_test.go:4: second\n"}, "first second"},
	} {
		if got := skipReason(tc.out); got != tc.want {
			t.Errorf("skipReason(%q) = %q, want %q", tc.out, got, tc.want)
		}
	}
}
