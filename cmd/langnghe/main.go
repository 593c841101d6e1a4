// Command langnghe is the one binary of Lắng Nghe. Each role is a subcommand; `run` starts
// all of them in one process. See ../shared/DESIGN.md, "One binary, several roles".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/crawler/sources"
)

// version is set at build time with -ldflags "-X main.version=..." (see ops.go).
var version = "dev"

// command is one subcommand.
type command struct {
	name    string
	summary string // Vietnamese / English
	run     func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv carries the process environment into commands, so tests can run them in-process.
type cliEnv struct {
	stdin          io.Reader // nil: os.Stdin
	stdout, stderr io.Writer
	environ        []string
}

// input is the reader behind a file flag's "-".
func (e *cliEnv) input() io.Reader {
	if e.stdin != nil {
		return e.stdin
	}
	return os.Stdin
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
		{name: "user", summary: "user add TÊN --role R: in dòng cấu hình đăng nhập (mật khẩu bcrypt) / print a login config line", run: cmdUser},
		{name: "config", summary: "config check FILE: kiểm tra cấu hình hoặc tệp nguồn; config sources [KIND]: các loại nguồn / validate a config or sources file; list source kinds and fields", run: cmdConfig},
		{name: "setup", summary: "một lần khi triển khai: topic, index template, đối tượng Kibana / one-shot: topics, index template, Kibana objects", run: cmdSetup},
		{name: "status", summary: "tóm tắt đường ống từ /metrics của các vai / the pipeline at a glance from the roles' /metrics", run: cmdStatus},
		{name: "healthcheck", summary: "kiểm tra /readyz (HEALTHCHECK của container) / probe /readyz (container HEALTHCHECK)", run: cmdHealthcheck},
		{name: "version", summary: "in phiên bản / print the version", run: cmdVersion},
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
	if len(args) == 0 { // a usage error: the usage goes to stderr with status 2
		printUsage(env.stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case ctx.Err() != nil && errors.Is(err, context.Canceled):
			return 0 // Ctrl-C while waiting for a dependency: a normal stop
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
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nMọi khóa cấu hình có thể đặt trong tệp --config, biến môi trường LANGNGHE_<KHÓA> hoặc cờ --<khóa>.")
	fmt.Fprintln(w, "Every config key can be set in the --config file, env LANGNGHE_<KEY>, or flag --<key>.")
	fmt.Fprintln(w, "`langnghe <lệnh> --help` liệt kê các khóa, giá trị mặc định và biến môi trường.")
	fmt.Fprintln(w, "`langnghe <command> --help` lists every key with its default and env name.")
}

// roleFlags is a FlagSet with --config and one flag per config key. Its help goes to
// stdout (help.go); parse errors are returned, for runCLI to print on stderr.
type roleFlags struct {
	fs        *flag.FlagSet
	name      string
	config    *string
	overrides map[string]string
	keys      map[string]bool   // flag names that are config keys
	aliases   map[string]string // short flag → config key (--sources → crawl.sources)
	notes     []string          // lines the help prints after the usage line
	stdout    io.Writer
}

// note adds a line to the role's help, printed after the usage line.
func (rf *roleFlags) note(line string) { rf.notes = append(rf.notes, line) }

func newRoleFlags(name string, env *cliEnv) *roleFlags {
	rf := &roleFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), name: name, overrides: map[string]string{},
		keys: map[string]bool{}, aliases: map[string]string{}, stdout: env.stdout}
	rf.fs.SetOutput(io.Discard) // the flag package would print errors and usage itself
	rf.fs.Usage = func() {}
	rf.config = rf.fs.String("config", "", "tệp cấu hình YAML / YAML config file (env LANGNGHE_CONFIG)")
	for _, f := range configFields() {
		path := f.path
		rf.keys[path] = true
		rf.fs.Func(path, f.help, func(v string) error {
			rf.overrides[path] = v
			return nil
		})
	}
	return rf
}

// alias adds a short flag for a config key (--sources for --crawl.sources).
func (rf *roleFlags) alias(name, key string) {
	rf.aliases[name] = key
	rf.fs.Func(name, "= --"+key, func(v string) error {
		rf.overrides[key] = v
		return nil
	})
}

// parse parses args and loads the configuration from file, env and flags. --help prints
// the help on stdout and returns flag.ErrHelp (exit 0).
func (rf *roleFlags) parse(args []string, env *cliEnv) (Config, error) {
	if err := rf.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			rf.printHelp(rf.stdout)
			return Config{}, err
		}
		return Config{}, usageError{dashes(err) + "; xem / see `langnghe " + rf.name + " --help`"}
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
// are a usage error. The FlagSet's output is where --help goes (callers set stdout).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlagArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"đối số thừa / unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	return nil
}

// parseFlagArgs parses fs, printing --help on fs's output and nothing on errors (runCLI
// prints them on stderr); leftover arguments are the caller's.
func parseFlagArgs(fs *flag.FlagSet, args []string) error {
	helpOut := fs.Output()
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	defer fs.SetOutput(helpOut)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printFlagSetHelp(helpOut, fs)
			return err
		}
		return usageError{dashes(err) + "; xem / see `langnghe " + fs.Name() + " --help`"}
	}
	return nil
}

// dashes writes the flag package's "-name" as "--name", the form the help and README use.
func dashes(err error) string {
	return strings.Replace(err.Error(), ": -", ": --", 1)
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
	if len(args) >= 1 && len(args) <= 2 && args[0] == "sources" {
		kind := ""
		if len(args) == 2 {
			kind = args[1]
		}
		if err := sources.Help(env.stdout, kind); err != nil {
			return usageError{err.Error()}
		}
		return nil
	}
	if len(args) != 2 || args[0] != "check" {
		return usageError{"cách dùng / usage: langnghe config check FILE | langnghe config sources [KIND]"}
	}
	if isSourcesFile(args[1]) {
		return checkSources(env, args[1])
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

// isSourcesFile reports whether path is a crawler sources file (a top-level "sources"
// list) rather than the main configuration.
func isSourcesFile(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var top map[string]yaml.Node
	if yaml.Unmarshal(b, &top) != nil {
		return false
	}
	_, ok := top["sources"]
	return ok
}

// checkSources validates a sources file against the registered source kinds' specs and
// constructors, printing every error as file:line: field.path: message.
func checkSources(env *cliEnv, path string) error {
	f, err := sources.Load(path)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := f.Check(); err != nil {
		n := 1
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			n = len(j.Unwrap())
		}
		fmt.Fprintln(env.stderr, err.Error())
		return usageError{fmt.Sprintf("%d lỗi cấu hình nguồn / source config errors in %s", n, path)}
	}
	fmt.Fprintf(env.stdout, "%s: hợp lệ / valid (%d nguồn / sources)\n", path, len(f.Sources))
	return nil
}
