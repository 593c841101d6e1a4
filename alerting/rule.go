package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/internal/duration"
	"github.com/langnghe/langnghe/store/query"
)

// ErrBadRule marks a rule file that cannot be used. Every *RuleError wraps it.
var ErrBadRule = errors.New("bad alert rule")

// Kind is what makes a rule fire.
type Kind string

// Rule kinds.
const (
	// KindMatch fires for every new classified post matching the query, evaluated on the
	// posts.classified stream; posts are grouped per key and group window into one email.
	KindMatch Kind = "match"
	// KindThreshold fires when the count of matching posts published in the last window
	// reaches Count; evaluated on the store every Every.
	KindThreshold Kind = "threshold"
	// KindSpike fires when the count in the last window exceeds mean + K·stddev of the
	// Baseline previous windows and is at least MinCount; evaluated on the store.
	KindSpike Kind = "spike"
	// KindDigest sends a summary of the matching posts of the last Lookback, grouped by
	// narrative, every day at At (Asia/Ho_Chi_Minh).
	KindDigest Kind = "digest"
)

// Severities, lowest first.
var Severities = []string{"info", "warning", "high", "critical"}

// GroupBy values: the per-key field of match rules.
var GroupBys = []string{"", "narrative", "platform", "source", "sentiment", "toxicity"}

// Duration is a time.Duration written in YAML as "90s", "5m", "4h" or "14d": the module's
// one duration type and parser (internal/duration), shared with the config file and queries.
type Duration = duration.Duration

// Rule is one alert rule. Zero fields take the defaults of applyDefaults.
type Rule struct {
	ID         string    `yaml:"id" json:"id"`
	Name       string    `yaml:"name" json:"name"`
	Kind       Kind      `yaml:"kind" json:"kind"`
	Severity   string    `yaml:"severity" json:"severity"`
	Query      QuerySpec `yaml:"query" json:"query"`
	Recipients []string  `yaml:"recipients" json:"recipients"`
	// Throttling, in the manner of Alertmanager: the first post of a key waits GroupWait
	// for company and goes out in one email with every post that arrived meanwhile; later
	// posts of that key are collected and sent at most once per GroupWindow. A condition
	// (threshold, spike) still true is re-sent only after RepeatInterval.
	GroupBy        string   `yaml:"group_by" json:"group_by,omitempty"`
	GroupWait      Duration `yaml:"group_wait" json:"group_wait"`
	GroupWindow    Duration `yaml:"group_window" json:"group_window"`
	RepeatInterval Duration `yaml:"repeat_interval" json:"repeat_interval"`
	// Threshold and spike.
	Window   Duration `yaml:"window" json:"window,omitempty"`
	Every    Duration `yaml:"every" json:"every,omitempty"`
	Count    int      `yaml:"count" json:"count,omitempty"`
	Baseline int      `yaml:"baseline_windows" json:"baseline_windows,omitempty"`
	// BaselineStep is how far apart the baseline windows are (default Window: the
	// windows just before). 24h compares the same hours of the previous days, which
	// removes the daily cycle from the baseline.
	BaselineStep Duration `yaml:"baseline_step" json:"baseline_step,omitempty"`
	K            float64  `yaml:"k" json:"k,omitempty"`
	MinCount     int      `yaml:"min_count" json:"min_count,omitempty"`
	// Digest.
	At       string   `yaml:"at" json:"at,omitempty"`
	Lookback Duration `yaml:"lookback" json:"lookback,omitempty"`
	// TopPosts is how many posts an email shows.
	TopPosts int `yaml:"top_posts" json:"top_posts,omitempty"`

	File string `yaml:"-" json:"file"`
	Line int    `yaml:"-" json:"line"`

	matcher *Matcher
	atHour  int
	atMin   int
}

// Silence mutes a rule, or the posts matching a query, until a time.
type Silence struct {
	Rule    string     `yaml:"rule" json:"rule,omitempty"`
	Query   *QuerySpec `yaml:"query" json:"query,omitempty"`
	Until   time.Time  `yaml:"until" json:"until"`
	Comment string     `yaml:"comment" json:"comment,omitempty"`
	File    string     `yaml:"-" json:"file"`
	Line    int        `yaml:"-" json:"line"`
	// ID, CreatedBy and CreatedAt are set on silences created at run time (SilenceFile);
	// rule-file silences are named by File and Line instead.
	ID        string    `yaml:"-" json:"id,omitempty"`
	CreatedBy string    `yaml:"-" json:"created_by,omitempty"`
	CreatedAt time.Time `yaml:"-" json:"created_at,omitzero"`
	matcher   *Matcher
}

// ruleFile is the YAML layout of one file.
type ruleFile struct {
	Groups   map[string][]string `yaml:"groups"`
	Rules    []Rule              `yaml:"rules"`
	Silences []Silence           `yaml:"silences"`
}

// RuleSet is the valid rules of a set of files.
type RuleSet struct {
	Rules    []*Rule
	Groups   map[string][]string
	Silences []*Silence
}

// RuleError is one problem in a rule file, at a line.
type RuleError struct {
	File string
	Line int
	Path string // e.g. rules[2].window
	Msg  string
}

func (e *RuleError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrBadRule) hold.
func (e *RuleError) Unwrap() error { return ErrBadRule }

// LoadDir loads every *.yaml and *.yml file of dir, in name order. A file with any error is
// rejected as a whole and its errors are returned; the rules of the other files are kept.
func LoadDir(dir string) (*RuleSet, []error) {
	var paths []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return &RuleSet{Groups: map[string][]string{}}, []error{err}
		}
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return &RuleSet{Groups: map[string][]string{}}, []error{fmt.Errorf("alert rules dir: %w", err)}
		}
	}
	sort.Strings(paths)
	return LoadFiles(paths...)
}

// LoadFiles loads the given files; see LoadDir.
func LoadFiles(paths ...string) (*RuleSet, []error) {
	return load(paths, os.ReadFile)
}

// LoadFS loads every *.yaml file at the root of fsys (e.g. the shipped samples of
// models/alerts); errors name the files as prefix/name.
func LoadFS(fsys fs.FS, prefix string) (*RuleSet, []error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return &RuleSet{Groups: map[string][]string{}}, []error{err}
	}
	sort.Strings(names)
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = prefix + "/" + n
	}
	return load(paths, func(p string) ([]byte, error) { return fs.ReadFile(fsys, strings.TrimPrefix(p, prefix+"/")) })
}

func load(paths []string, read func(string) ([]byte, error)) (*RuleSet, []error) {
	set := &RuleSet{Groups: map[string][]string{}}
	var errs []error
	var files []*ruleFile
	var names []string
	for _, p := range paths {
		data, err := read(p)
		if err != nil {
			errs = append(errs, &RuleError{File: p, Msg: err.Error()})
			continue
		}
		f, ferrs := parseFile(p, data)
		if len(ferrs) > 0 {
			errs = append(errs, ferrs...)
			continue
		}
		files, names = append(files, f), append(names, p)
		for g, members := range f.Groups {
			set.Groups[g] = append(set.Groups[g], members...)
		}
	}
	// Second pass: recipients may name groups from any file; ids must be unique.
	seen := map[string]string{}
	for i, f := range files {
		var ferrs []error
		for j := range f.Rules {
			r := &f.Rules[j]
			for _, rc := range r.Recipients {
				if name, ok := strings.CutPrefix(rc, "group:"); ok {
					if _, ok := set.Groups[name]; !ok {
						ferrs = append(ferrs, &RuleError{File: names[i], Line: r.Line, Path: fmt.Sprintf("rules[%d].recipients", j), Msg: fmt.Sprintf("nhóm không tồn tại / unknown group %q", name)})
					}
				}
			}
			if prev, dup := seen[r.ID]; dup {
				ferrs = append(ferrs, &RuleError{File: names[i], Line: r.Line, Path: fmt.Sprintf("rules[%d].id", j), Msg: fmt.Sprintf("id %q trùng với / duplicates %s", r.ID, prev)})
			}
		}
		if len(ferrs) > 0 {
			errs = append(errs, ferrs...)
			continue
		}
		for j := range f.Rules {
			r := &f.Rules[j]
			seen[r.ID] = fmt.Sprintf("%s:%d", r.File, r.Line)
			set.Rules = append(set.Rules, r)
		}
		for j := range f.Silences {
			set.Silences = append(set.Silences, &f.Silences[j])
		}
	}
	return set, errs
}

var lineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// parseFile decodes strictly (unknown keys are errors) and validates every rule.
func parseFile(name string, data []byte) (*ruleFile, []error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, []error{yamlErr(name, err.Error())}
	}
	var f ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var out []error
			for _, m := range te.Errors {
				out = append(out, yamlErr(name, m))
			}
			return nil, out
		}
		return nil, []error{yamlErr(name, err.Error())}
	}
	lines := map[string]int{}
	if len(root.Content) > 0 {
		recordLines(root.Content[0], "", lines)
	}
	var errs []error
	add := func(path, msg string) {
		line := lines[path]
		for p := path; line == 0 && p != ""; {
			i := strings.LastIndexAny(p, ".[")
			if i < 0 {
				break
			}
			p = p[:i]
			line = lines[p]
		}
		errs = append(errs, &RuleError{File: name, Line: line, Path: path, Msg: msg})
	}
	for g, members := range f.Groups {
		for _, m := range members {
			if _, err := mail.ParseAddress(m); err != nil {
				add("groups."+g, fmt.Sprintf("địa chỉ email không hợp lệ / invalid email %q", m))
			}
		}
	}
	for i := range f.Rules {
		r := &f.Rules[i]
		r.File, r.Line = name, lines[fmt.Sprintf("rules[%d]", i)]
		for _, e := range r.validate() {
			add(fmt.Sprintf("rules[%d].%s", i, e[0]), e[1])
		}
	}
	for i := range f.Silences {
		s := &f.Silences[i]
		s.File, s.Line = name, lines[fmt.Sprintf("silences[%d]", i)]
		if s.Rule == "" && s.Query == nil {
			add(fmt.Sprintf("silences[%d]", i), "cần rule hoặc query / needs rule or query")
		}
		if s.Until.IsZero() {
			add(fmt.Sprintf("silences[%d].until", i), "cần thời điểm hết hạn (RFC 3339) / until is required (RFC 3339)")
		}
		if s.Query != nil {
			if s.Query.IsZero() {
				if s.Rule == "" {
					add(fmt.Sprintf("silences[%d].query", i), "truy vấn rỗng sẽ tắt mọi cảnh báo; dùng rule / an empty query would silence everything; use rule")
				}
			} else if m, msgs := compileQuery(*s.Query); len(msgs) > 0 {
				for _, msg := range msgs {
					add(fmt.Sprintf("silences[%d].query", i), msg)
				}
			} else if m.expr == nil && s.Rule == "" {
				add(fmt.Sprintf("silences[%d].query", i), "truy vấn không có điều kiện nào sẽ tắt mọi cảnh báo / a query without any term would silence everything")
			} else {
				s.matcher = m
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &f, nil
}

func yamlErr(file, msg string) error {
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// Nested "line N: " from our own UnmarshalYAML.
		if m2 := lineRE.FindStringSubmatch(msg); m2 != nil {
			msg = m2[2]
		}
	}
	return &RuleError{File: file, Line: line, Msg: msg}
}

// recordLines maps dotted paths (rules[2].window) to the line of their key or item.
func recordLines(n *yaml.Node, prefix string, lines map[string]int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			path := k.Value
			if prefix != "" {
				path = prefix + "." + k.Value
			}
			lines[path] = k.Line
			recordLines(v, path, lines)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			path := fmt.Sprintf("%s[%d]", prefix, i)
			lines[path] = c.Line
			recordLines(c, path, lines)
		}
	}
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// validate applies defaults and returns [field, message] pairs.
func (r *Rule) validate() [][2]string {
	var errs [][2]string
	add := func(field, msg string) { errs = append(errs, [2]string{field, msg}) }
	if !idRE.MatchString(r.ID) {
		add("id", fmt.Sprintf("cần chữ thường, số, - hoặc _ (tối đa 64) / must be lowercase letters, digits, - or _ (max 64), got %q", r.ID))
	}
	if r.Name == "" {
		r.Name = r.ID
	}
	if r.Severity == "" {
		r.Severity = "warning"
	}
	if !contains(Severities, r.Severity) {
		add("severity", fmt.Sprintf("phải là một trong / must be one of %v, got %q", Severities, r.Severity))
	}
	if !contains(GroupBys, r.GroupBy) {
		add("group_by", fmt.Sprintf("phải là một trong / must be one of %v, got %q", GroupBys[1:], r.GroupBy))
	}
	if len(r.Recipients) == 0 {
		add("recipients", "cần ít nhất một người nhận / at least one recipient is required")
	}
	for _, rc := range r.Recipients {
		if strings.HasPrefix(rc, "group:") {
			continue
		}
		if _, err := mail.ParseAddress(rc); err != nil {
			add("recipients", fmt.Sprintf("địa chỉ email không hợp lệ / invalid email %q (use an address or group:NAME)", rc))
		}
	}
	if m, msgs := compileQuery(r.Query); len(msgs) > 0 {
		for _, msg := range msgs {
			add("query", msg)
		}
	} else {
		r.matcher = m
	}
	if r.RepeatInterval == 0 {
		r.RepeatInterval = Duration(4 * time.Hour)
	}
	if r.TopPosts == 0 {
		r.TopPosts = 10
	}
	if r.TopPosts < 1 || r.TopPosts > 50 {
		add("top_posts", "phải từ 1 đến 50 / must be 1..50")
	}
	switch r.Kind {
	case KindMatch:
		if r.GroupWindow == 0 {
			r.GroupWindow = Duration(5 * time.Minute)
		}
		if r.GroupWait == 0 {
			r.GroupWait = Duration(30 * time.Second)
		}
		if r.GroupWait > r.GroupWindow {
			add("group_wait", "không được dài hơn group_window / must not exceed group_window")
		}
		if r.Query.IsZero() || (r.matcher != nil && r.matcher.expr == nil) {
			add("query", "luật match cần một truy vấn / a match rule needs a query (it would match every post)")
		}
	case KindThreshold, KindSpike:
		if r.Window < Duration(time.Minute) {
			add("window", "cần ≥ 1m / window is required, at least 1m")
		}
		if r.Every == 0 {
			r.Every = Duration(time.Minute)
			if r.Window > 0 && r.Window < r.Every {
				r.Every = r.Window
			}
		}
		if r.Every < Duration(time.Second) {
			add("every", "cần ≥ 1s / must be at least 1s")
		}
		if r.GroupBy != "" && r.matcher != nil && len(listed(r.matcher.expr, r.GroupBy)) == 0 {
			add("group_by", fmt.Sprintf("với threshold/spike, query phải liệt kê các giá trị của %s / with threshold and spike, the query must list the %s values to count separately", r.GroupBy, r.GroupBy))
		}
		if r.Kind == KindThreshold && r.Count < 1 {
			add("count", "cần ≥ 1 / count is required, at least 1")
		}
		if r.Kind == KindSpike {
			if r.Baseline == 0 {
				r.Baseline = 12
			}
			if r.K == 0 {
				r.K = 3
			}
			if r.MinCount == 0 {
				r.MinCount = 10
			}
			if r.Baseline < 2 || r.Baseline > 1000 {
				add("baseline_windows", "phải từ 2 đến 1000 / must be 2..1000")
			}
			if r.K < 0 || math.IsNaN(r.K) {
				add("k", "phải ≥ 0 / must not be negative")
			}
			if r.MinCount < 1 {
				add("min_count", "phải ≥ 1 / must be at least 1")
			}
			if r.Window > 0 && r.Every > 0 && r.Window%r.Every != 0 {
				add("every", "window phải là bội của every / window must be a multiple of every")
			}
			if r.BaselineStep == 0 {
				r.BaselineStep = r.Window
			}
			if r.BaselineStep < r.Window {
				add("baseline_step", "phải ≥ window / must be at least window")
			} else if r.Every > 0 && r.BaselineStep%r.Every != 0 {
				add("baseline_step", "phải là bội của every / must be a multiple of every")
			}
			if r.Window > 0 && r.Every > 0 {
				if n := (int64(r.Baseline)*int64(r.BaselineStep) + int64(r.Window)) / int64(r.Every); n > 10000 {
					add("every", fmt.Sprintf("(baseline_windows·baseline_step + window)/every = %d khoảng đếm, tối đa 10000; tăng every / %d count buckets, at most 10000; raise every", n, n))
				}
			}
		}
	case KindDigest:
		if r.At == "" {
			r.At = "07:00"
		}
		t, err := time.Parse("15:04", r.At)
		if err != nil {
			add("at", fmt.Sprintf("giờ HH:MM (Asia/Ho_Chi_Minh) / time of day HH:MM, got %q", r.At))
		}
		r.atHour, r.atMin = t.Hour(), t.Minute()
		if r.Lookback == 0 {
			r.Lookback = Duration(24 * time.Hour)
		}
	default:
		add("kind", fmt.Sprintf("phải là match, threshold, spike hoặc digest / must be match, threshold, spike or digest, got %q", r.Kind))
	}
	return errs
}

// compileQuery parses q and checks its label values; the messages name the byte offset of
// the problem in the query text.
func compileQuery(q QuerySpec) (*Matcher, []string) {
	m, err := CompileQuery(q.Text)
	if err != nil {
		msg := fmt.Sprintf("%v, trong / in %q", err, q.Text)
		var se *query.SyntaxError
		if errors.As(err, &se) && se.Pos >= 0 && se.Pos <= len(q.Text) {
			near := q.Text[se.Pos:]
			if len(near) > 24 {
				near = strings.ToValidUTF8(near[:24], "") + "…"
			}
			msg += fmt.Sprintf(", tại / at %q", near)
		}
		return nil, []string{msg}
	}
	var msgs []string
	allowed := map[string][]string{query.FieldSentiment: {"negative", "neutral", "positive"}, query.FieldToxicity: {"clean", "offensive", "hate"}}
	fieldValues(m.expr, func(e *query.Expr) {
		if ok, known := allowed[e.Field]; known && !contains(ok, e.Value) {
			msgs = append(msgs, fmt.Sprintf("vị trí %d / offset %d: %s: phải là một trong / must be one of %s, got %q, in %q", e.Pos, e.Pos, e.Field, strings.Join(ok, ", "), e.Value, q.Text))
		}
	})
	return m, msgs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// keys are the per-key values a threshold or spike rule is evaluated for: the values its
// query lists for the group_by field (narrative:a OR narrative:b), or one rule-wide key "".
func (r *Rule) keys() []string {
	if r.GroupBy != "" {
		return listed(r.matcher.expr, r.GroupBy)
	}
	return []string{""}
}

// queryFor narrows the rule's query to one key: (query) field:key.
func (r *Rule) queryFor(key string) QuerySpec {
	if r.GroupBy == "" || key == "" {
		return r.Query
	}
	return r.Query.narrowed(r.GroupBy, key)
}

// listedNarratives are the narratives the rule's query names (not under a negation): a
// post of several narratives is grouped under the first of these it has.
func (r *Rule) listedNarratives() []string {
	if r.matcher == nil {
		return nil
	}
	return listed(r.matcher.expr, query.FieldNarrative)
}

// Addresses expands group:NAME recipients into addresses, deduplicated, in order.
func (s *RuleSet) Addresses(r *Rule) []string {
	var out []string
	seen := map[string]bool{}
	addr := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, rc := range r.Recipients {
		if name, ok := strings.CutPrefix(rc, "group:"); ok {
			for _, a := range s.Groups[name] {
				addr(a)
			}
			continue
		}
		addr(rc)
	}
	return out
}
