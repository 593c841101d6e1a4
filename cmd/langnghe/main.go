// Command langnghe is the one binary of Lắng Nghe. Each role is a subcommand; `run` starts
// all of them in one process. See DESIGN.md, "One binary, several roles".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand.
type command struct {
	name    string
	summary string // Vietnamese / English
	run     func(ctx context.Context, env *cliEnv, args []string) error
	pending string // non-empty: not built yet, names the issue that builds it
}

// cliEnv carries the process environment into commands, so tests can run them in-process.
type cliEnv struct {
	stdout, stderr io.Writer
	environ        []string
}

// usageError means the command line or config is wrong: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func commands() []command {
	return []command{
		{name: "run", summary: "chạy mọi vai trong một tiến trình (--demo: dữ liệu mẫu) / every role in one process", run: cmdRun},
		{name: "crawl", summary: "thu thập bài đăng công khai (--once --out F.jsonl: một lượt) / crawl public sources", run: cmdCrawl},
		{name: "classify", summary: "phân loại posts.raw → posts.classified, hoặc --in/--out ngoại tuyến / classify posts", run: cmdClassify},
		{name: "index", summary: "ghi posts.classified vào kho tìm kiếm / write classified posts to the store", run: cmdIndex},
		{name: "alert", summary: "đánh giá luật cảnh báo và gửi email / evaluate alert rules and send email", run: cmdAlert},
		{name: "alerts", summary: "alerts check FILE...: kiểm tra tệp luật cảnh báo / validate alert rule files", run: cmdAlerts},
		{name: "serve", summary: "API JSON, giao diện và /metrics / JSON API, UI and /metrics", run: cmdServe},
		{name: "retention", summary: "xóa bài quá hạn lưu (--dry-run: chỉ liệt kê) / delete posts past retention (--dry-run: list only)", run: cmdRetention},
		{name: "replay", summary: "đẩy bài từ tệp JSON Lines vào posts.raw / publish posts from JSON Lines", run: cmdReplay},
		{name: "eval", summary: "đo chất lượng mô hình trên dữ liệu có nhãn / measure a model", run: cmdEval},
		{name: "model", summary: "huấn luyện và xem mô hình từ khóa / train and show keyword models", run: cmdModel},
		{name: "config", summary: "config check FILE: kiểm tra cấu hình / validate a config file", run: cmdConfig},
		{name: "version", summary: "in phiên bản / print the version", run: func(_ context.Context, e *cliEnv, _ []string) error {
			fmt.Fprintln(e.stdout, "langnghe", version)
			return nil
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go forceExitAfterSignal(ctx, stop, os.Stderr)
	os.Exit(runCLI(ctx, os.Args[1:], &cliEnv{stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()}))
}

// forceExitAfter bounds how long any command may take to stop after SIGINT/SIGTERM: the
// roles' own shutdown (shutdownGrace) plus a margin. It is the backstop for a command
// blocked somewhere that does not watch its context.
const forceExitAfter = shutdownGrace + 2*time.Second

// forceExitAfterSignal waits for the first signal, restores the default handling (so a
// second Ctrl-C kills at once) and exits with status 1 if the command has not returned by
// forceExitAfter.
func forceExitAfterSignal(ctx context.Context, stop context.CancelFunc, stderr io.Writer) {
	<-ctx.Done()
	stop()
	time.Sleep(forceExitAfter)
	fmt.Fprintf(stderr, "langnghe: không dừng trong %s sau tín hiệu, buộc thoát / did not stop within %s of the signal, exiting\n", forceExitAfter, forceExitAfter)
	os.Exit(1)
}

// runCLI dispatches to a command and maps errors to exit statuses: 0 ok, 1 runtime
// failure, 2 bad usage or configuration.
func runCLI(ctx context.Context, args []string, env *cliEnv) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if c.pending != "" {
			fmt.Fprintf(env.stderr, "langnghe %s: chưa có trong bản này, xem %s / not built yet, see %s\n", c.name, c.pending, c.pending)
			return 2
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case isUsage(err):
			fmt.Fprintf(env.stderr, "langnghe %s: %s\n", c.name, oneLine(err.Error()))
			return 2
		default:
			fmt.Fprintf(env.stderr, "langnghe %s: lỗi / error: %s\n", c.name, oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "langnghe: lệnh không rõ / unknown command %q; xem / see `langnghe --help`\n", args[0])
	return 2
}

func isUsage(err error) bool {
	var u usageError
	var ce ConfigErrors
	return errors.As(err, &u) || errors.As(err, &ce)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Lắng Nghe: theo dõi ý kiến công khai bằng tiếng Việt / Vietnamese public-opinion monitoring")
	fmt.Fprintln(w, "\nCách dùng / usage: langnghe <lệnh / command> [cờ / flags]")
	fmt.Fprintln(w, "\nLệnh / commands:")
	for _, c := range commands() {
		s := c.summary
		if c.pending != "" {
			s += " [chưa có / not yet: " + c.pending + "]"
		}
		fmt.Fprintf(w, "  %-9s %s\n", c.name, s)
	}
	fmt.Fprintln(w, "\nMọi khóa cấu hình có thể đặt trong tệp --config, biến môi trường LANGNGHE_<KHÓA> hoặc cờ --<khóa>.")
	fmt.Fprintln(w, "Every config key can be set in the --config file, env LANGNGHE_<KEY>, or flag --<key>.")
	fmt.Fprintln(w, "`langnghe run --help` liệt kê các khóa / lists the keys.")
}

// roleFlags is a FlagSet with --config and one flag per config key.
type roleFlags struct {
	fs        *flag.FlagSet
	config    *string
	overrides map[string]string
}

func newRoleFlags(name string, env *cliEnv) *roleFlags {
	rf := &roleFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), overrides: map[string]string{}}
	rf.fs.SetOutput(env.stderr)
	rf.config = rf.fs.String("config", "", "tệp cấu hình YAML / YAML config file")
	for _, f := range configFields() {
		path := f.path
		rf.fs.Func(path, f.help+" (env "+envName(path)+")", func(v string) error {
			rf.overrides[path] = v
			return nil
		})
	}
	return rf
}

// parse parses args and loads the configuration from file, env and flags.
func (rf *roleFlags) parse(args []string, env *cliEnv) (Config, error) {
	if err := rf.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, err
		}
		return Config{}, usageError{err.Error()}
	}
	if rf.fs.NArg() > 0 {
		return Config{}, usageError{fmt.Sprintf("đối số thừa / unexpected arguments: %s", strings.Join(rf.fs.Args(), " "))}
	}
	path := *rf.config
	if path == "" {
		path = lookupEnv(env.environ, "LANGNGHE_CONFIG")
	}
	return loadConfig(path, env.environ, rf.overrides)
}

// parseFlags parses the flags of a command that takes no config keys; leftover arguments
// are a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{"đối số thừa / unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	return nil
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func cmdConfig(_ context.Context, env *cliEnv, args []string) error {
	if len(args) != 2 || args[0] != "check" {
		return usageError{"cách dùng / usage: langnghe config check FILE"}
	}
	_, err := loadConfig(args[1], nil, nil)
	var ce ConfigErrors
	if errors.As(err, &ce) {
		for _, e := range ce {
			fmt.Fprintln(env.stderr, e.Error())
		}
		return usageError{fmt.Sprintf("%d lỗi cấu hình / config errors in %s", len(ce), args[1])}
	}
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(env.stdout, "%s: hợp lệ / valid\n", args[1])
	return nil
}

// sortedKeys is used by help output and tests.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
