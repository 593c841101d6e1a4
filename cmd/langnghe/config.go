package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/langnghe/langnghe/internal/duration"
)

// Config is the whole configuration. Every key can be set in the YAML file, overridden by
// an environment variable LANGNGHE_<PATH> (dots become underscores, e.g. es.url →
// LANGNGHE_ES_URL) and then by a flag --<path> (e.g. --es.url). Lists in env and flags are
// comma-separated; durations accept Go syntax plus "d" for days ("90d").
type Config struct {
	DataDir   string `yaml:"data_dir" help:"thư mục dữ liệu (bleve, outbox, trạng thái) / data directory"`
	LogLevel  string `yaml:"log_level" help:"debug, info, warn, error"`
	LogFormat string `yaml:"log_format" help:"text hoặc json (một dòng JSON mỗi sự kiện) / text or json (one JSON object per line)"`
	// AuthorKeyFile holds the HMAC key that pseudonymizes author ids. The key itself may
	// come from env LANGNGHE_AUTHOR_KEY; it never appears in logs.
	AuthorKeyFile string       `yaml:"author_key_file" help:"tệp khóa HMAC ẩn danh tác giả / file with the author pseudonymization key"`
	AuthorKey     Secret       `yaml:"author_key" help:"khóa HMAC (ưu tiên dùng tệp) / HMAC key (prefer the file)"`
	Retention     Duration     `yaml:"retention" help:"thời gian lưu dữ liệu / retention period"`
	Kafka         KafkaConfig  `yaml:"kafka"`
	ES            ESConfig     `yaml:"es"`
	HTTP          HTTPConfig   `yaml:"http"`
	Crawl         CrawlConfig  `yaml:"crawl"` // the crawl role's sources, see crawlconfig.go
	Model         ModelConfig  `yaml:"model"`
	SMTP          SMTPConfig   `yaml:"smtp"`   // alert email, see alert.go
	Alerts        AlertsConfig `yaml:"alerts"` // alert rules and links, see alert.go
}

// KafkaConfig selects the brokers; with none, `run` starts an embedded broker.
type KafkaConfig struct {
	Brokers     []string `yaml:"brokers" help:"danh sách broker Kafka; trống = broker nhúng / Kafka brokers; empty = embedded"`
	TopicPrefix string   `yaml:"topic_prefix" help:"tiền tố tên topic / prefix for topic names"`
	GroupPrefix string   `yaml:"group_prefix" help:"tiền tố consumer group / consumer group prefix"`
	Partitions  int      `yaml:"partitions" help:"số partition khi tạo topic / partitions of created topics"`
	Replication int      `yaml:"replication" help:"hệ số sao chép khi tạo topic / replication factor of created topics"`
	BatchSize   int      `yaml:"batch_size" help:"số tin tối đa mỗi lô / max messages per batch"`
}

// ESConfig selects Elasticsearch; with no URL the embedded bleve index is used.
type ESConfig struct {
	URL          []string `yaml:"url" help:"địa chỉ Elasticsearch; trống = bleve nhúng / Elasticsearch URLs; empty = embedded bleve"`
	Username     string   `yaml:"username" help:"tên đăng nhập / basic-auth user"`
	Password     Secret   `yaml:"password" help:"mật khẩu (nên dùng biến môi trường) / password (prefer env)"`
	PasswordFile string   `yaml:"password_file" help:"tệp mật khẩu / password file"`
	APIKey       Secret   `yaml:"api_key" help:"API key"`
	APIKeyFile   string   `yaml:"api_key_file" help:"tệp API key / API key file"`
	CAFile       string   `yaml:"ca_file" help:"chứng chỉ CA (PEM) / CA certificate file"`
	Fingerprint  string   `yaml:"fingerprint" help:"SHA-256 fingerprint của chứng chỉ / certificate fingerprint"`
	IndexPrefix  string   `yaml:"index_prefix" help:"tiền tố chỉ mục / index prefix"`
	// Shards and Replicas go into the posts index template, so they apply to monthly
	// indices created from then on. 0 replicas keeps a single node green; a cluster of
	// two or more data nodes should use 1 (each shard on two machines).
	Shards   int `yaml:"shards" help:"số shard chính mỗi chỉ mục tháng / primary shards per monthly index"`
	Replicas int `yaml:"replicas" help:"số bản sao mỗi shard: 0 cho một nút, 1 cho cụm ≥2 nút / replicas per shard: 0 for one node, 1 for a cluster of 2+ data nodes"`
}

// HTTPConfig is where the API, UI and /metrics listen.
type HTTPConfig struct {
	Listen            string   `yaml:"listen" help:"địa chỉ lắng nghe HTTP / HTTP listen address"`
	ReadHeaderTimeout Duration `yaml:"read_header_timeout" help:"thời hạn đọc tiêu đề yêu cầu / time to read request headers"`
	ReadTimeout       Duration `yaml:"read_timeout" help:"thời hạn đọc cả yêu cầu / time to read a whole request"`
	WriteTimeout      Duration `yaml:"write_timeout" help:"thời hạn ghi câu trả lời (> search_timeout) / time to write a response (> search_timeout)"`
	IdleTimeout       Duration `yaml:"idle_timeout" help:"đóng kết nối keep-alive rảnh sau / close idle keep-alive connections after"`
	MaxHeaderBytes    int      `yaml:"max_header_bytes" help:"kích thước tối đa tiêu đề yêu cầu (byte) / max request header bytes"`
	SearchTimeout     Duration `yaml:"search_timeout" help:"thời hạn một lần tìm kiếm phía máy chủ / server-side deadline of one search"`
	MaxSearches       int      `yaml:"max_searches" help:"số tìm kiếm/thống kê đồng thời tối đa, quá thì 503; 0 = 2×CPU, ít nhất 4 / concurrent searches and stats, more get 503; 0 = 2×CPUs, at least 4"`
	// Users are "name:role:bcrypt-hash" lines from `langnghe user add`; with users (or a
	// proxy header) every page and API needs a login. See cmd/langnghe/webauth.go.
	Users       []string `yaml:"users" help:"người dùng tên:vai-trò:bcrypt (langnghe user add) / users name:role:bcrypt-hash"`
	ProxyHeader string   `yaml:"proxy_header" help:"tiêu đề mang tên người dùng từ reverse proxy tin cậy / header naming the user, set by a trusted reverse proxy"`
	ProxyFrom   []string `yaml:"proxy_from" help:"IP/CIDR của proxy tin cậy / addresses of the trusted proxy"`
	ProxyRole   string   `yaml:"proxy_role" help:"vai trò mặc định qua proxy (viewer) / default role of proxy users"`
	// ExportMax caps the rows of one /api/export (0: web.DefaultExportMax, 100,000).
	ExportMax int `yaml:"export_max" help:"số dòng tối đa của một lần xuất (0 = 100000) / most rows one export returns (0 = 100000)"`
}

// ModelConfig points at a model directory; empty uses the shipped default.
type ModelConfig struct {
	Dir string `yaml:"dir" help:"thư mục mô hình; trống = mặc định / model directory; empty = shipped default"`
}

// Secret is a string that never prints.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from leaking the value too.
func (s Secret) GoString() string { return s.String() }

// Duration is a time.Duration that also accepts days ("90d"), parsed by the module's one
// duration parser (internal/duration), which the alert rules and queries use too.
type Duration = duration.Duration

func defaultConfig() Config {
	return Config{
		DataDir:   "./data",
		LogLevel:  "info",
		Retention: Duration(90 * 24 * time.Hour),
		Kafka: KafkaConfig{
			GroupPrefix: "langnghe",
			Partitions:  3,
			Replication: 1,
			BatchSize:   500,
		},
		ES: ESConfig{IndexPrefix: "langnghe-posts", Shards: 1, Replicas: 0},
		HTTP: HTTPConfig{
			Listen:            "127.0.0.1:8080",
			ReadHeaderTimeout: Duration(5 * time.Second),
			ReadTimeout:       Duration(30 * time.Second),
			WriteTimeout:      Duration(60 * time.Second),
			IdleTimeout:       Duration(60 * time.Second),
			MaxHeaderBytes:    64 << 10,
			SearchTimeout:     Duration(10 * time.Second),
		},
	}
}

// ConfigError is one problem, with the YAML line when it came from the file.
type ConfigError struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors is every problem found, in file order.
type ConfigErrors []ConfigError

func (es ConfigErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// loadConfig reads the file (if any), then env, then flag overrides, and validates.
func loadConfig(file string, env []string, overrides map[string]string) (Config, error) {
	cfg, lines, err := layerConfig(file, env, overrides)
	if err != nil {
		return cfg, err
	}
	if verrs := validateConfig(&cfg); len(verrs) > 0 {
		for i := range verrs {
			if line, ok := lines[verrs[i].Path]; ok {
				verrs[i].File, verrs[i].Line = file, line
			}
		}
		return cfg, verrs
	}
	return cfg, nil
}

// layerConfig applies defaults < file < env < flags without validating, and returns the
// file line of every key it read from the file.
func layerConfig(file string, env []string, overrides map[string]string) (Config, map[string]int, error) {
	cfg := defaultConfig()
	lines := map[string]int{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return cfg, lines, fmt.Errorf("đọc cấu hình / reading config: %w", err)
		}
		if errs := decodeYAML(file, data, &cfg, lines); len(errs) > 0 {
			return cfg, lines, errs
		}
	}
	var errs ConfigErrors
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "LANGNGHE_") || strings.HasPrefix(name, "LANGNGHE_TEST_") {
			continue
		}
		path, known := envPaths()[name]
		if !known {
			continue // unknown LANGNGHE_ vars (e.g. LANGNGHE_CACHE) belong to scripts
		}
		if err := setPath(&cfg, path, val); err != nil {
			errs = append(errs, ConfigError{Path: name, Msg: err.Error()})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(overrides)) {
		if err := setPath(&cfg, k, overrides[k]); err != nil {
			errs = append(errs, ConfigError{Path: "--" + k, Msg: err.Error()})
		}
	}
	if len(errs) > 0 {
		return cfg, lines, errs
	}
	return cfg, lines, nil
}

// decodeYAML decodes strictly (unknown keys are errors) and records the line of every key
// so later validation errors can point at it.
func decodeYAML(file string, data []byte, cfg *Config, lines map[string]int) ConfigErrors {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return ConfigErrors{yamlError(file, err)}
	}
	if len(root.Content) == 0 {
		return nil // empty file: defaults
	}
	recordLines(root.Content[0], "", lines)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var out ConfigErrors
			for _, m := range te.Errors {
				out = append(out, yamlError(file, errors.New(m)))
			}
			return out
		}
		return ConfigErrors{yamlError(file, err)}
	}
	return nil
}

// yamlError turns "yaml: line 3: ..." or "line 3: ..." into file:3: ...
func yamlError(file string, err error) ConfigError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, strings.TrimSpace(tail)
			}
		}
	}
	return ConfigError{File: file, Line: line, Msg: msg}
}

func recordLines(n *yaml.Node, prefix string, lines map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		lines[path] = k.Line
		recordLines(v, path, lines)
	}
}

// field is one configurable key.
type field struct {
	path string
	help string
	typ  reflect.Type
}

// configFields lists every leaf key with its dotted path, in declaration order.
func configFields() []field {
	var out []field
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			if f.Type.Kind() == reflect.Struct && !isConfigValue(f.Type) {
				walk(f.Type, path)
				continue
			}
			out = append(out, field{path: path, help: f.Tag.Get("help"), typ: f.Type})
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}

func envName(path string) string {
	return "LANGNGHE_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(path))
}

func envPaths() map[string]string {
	m := map[string]string{}
	for _, f := range configFields() {
		m[envName(f.path)] = f.path
	}
	return m
}

// configValue is a key type with its own string form (env and flags call Set); the
// field walk treats it as one key even when it is a struct.
type configValue interface {
	Set(string) error
	String() string
}

func isConfigValue(t reflect.Type) bool {
	return reflect.PointerTo(t).Implements(reflect.TypeFor[configValue]())
}

// lookupPath returns the field at a dotted key path.
func lookupPath(cfg *Config, path string) (reflect.Value, error) {
	v := reflect.ValueOf(cfg).Elem()
	for _, part := range strings.Split(path, ".") {
		found := false
		if v.Kind() == reflect.Struct && !isConfigValue(v.Type()) {
			for i := 0; i < v.NumField(); i++ {
				if strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0] == part {
					v, found = v.Field(i), true
					break
				}
			}
		}
		if !found {
			return reflect.Value{}, fmt.Errorf("khóa không tồn tại / unknown key %q", path)
		}
	}
	return v, nil
}

// setPath sets the key at a dotted path from its string form.
func setPath(cfg *Config, path, val string) error {
	v, err := lookupPath(cfg, path)
	if err != nil {
		return err
	}
	if cv, ok := v.Addr().Interface().(configValue); ok {
		return cv.Set(val)
	}
	switch {
	case v.Type() == reflect.TypeOf(Duration(0)):
		d, err := duration.Parse(val)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		v.SetString(val)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("cần số nguyên / want an integer, got %q", val)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(val))
		if err != nil {
			return fmt.Errorf("cần true hoặc false / want true or false, got %q", val)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return fmt.Errorf("cần số / want a number, got %q", val)
		}
		v.SetFloat(f)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		var items []string
		for _, s := range strings.Split(val, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

func validateConfig(c *Config) ConfigErrors {
	var errs ConfigErrors
	add := func(path, msg string) { errs = append(errs, ConfigError{Path: path, Msg: msg}) }
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add("log_level", fmt.Sprintf("phải là debug, info, warn hoặc error / must be debug, info, warn or error, got %q", c.LogLevel))
	}
	if c.Retention < Duration(time.Hour) {
		add("retention", "tối thiểu 1h / must be at least 1h")
	}
	for _, b := range c.Kafka.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			add("kafka.brokers", fmt.Sprintf("%q không phải host:port / is not host:port", b))
		}
	}
	if c.Kafka.Partitions < 1 {
		add("kafka.partitions", "phải ≥ 1 / must be at least 1")
	}
	if c.Kafka.Replication < 1 {
		add("kafka.replication", "phải ≥ 1 / must be at least 1")
	}
	if c.Kafka.BatchSize < 1 || c.Kafka.BatchSize > 10000 {
		add("kafka.batch_size", "phải từ 1 đến 10000 / must be 1..10000")
	}
	for _, u := range c.ES.URL {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			add("es.url", fmt.Sprintf("%q không phải URL http(s) / is not an http(s) URL", u))
		}
		if err == nil && pu.User != nil {
			add("es.url", "không đặt mật khẩu trong URL; dùng es.username và LANGNGHE_ES_PASSWORD / do not put credentials in the URL")
		}
	}
	if c.ES.IndexPrefix == "" || strings.ToLower(c.ES.IndexPrefix) != c.ES.IndexPrefix {
		add("es.index_prefix", "phải khác rỗng và viết thường / must be non-empty lowercase")
	}
	if c.ES.Shards < 1 || c.ES.Shards > 1024 {
		add("es.shards", "phải từ 1 đến 1024 / must be 1..1024")
	}
	if c.ES.Replicas < 0 || c.ES.Replicas > 16 {
		add("es.replicas", "phải từ 0 đến 16 / must be 0..16")
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		add("http.listen", fmt.Sprintf("%q không phải host:port / is not host:port", c.HTTP.Listen))
	}
	errs = append(errs, validateHTTPConfig(c.HTTP)...)
	errs = append(errs, validateAlertConfig(c)...)
	errs = append(errs, validateAuthConfig(c)...)
	errs = append(errs, validateCrawlConfig(c)...)
	errs = append(errs, validateLogFormat(c)...) // ops.go
	for _, f := range []struct{ path, file string }{{"author_key_file", c.AuthorKeyFile}, {"es.password_file", c.ES.PasswordFile}, {"es.api_key_file", c.ES.APIKeyFile}, {"es.ca_file", c.ES.CAFile}} {
		if f.file == "" {
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			add(f.path, fmt.Sprintf("không đọc được tệp / cannot read file %q", f.file))
		}
	}
	return errs
}

func validateHTTPConfig(h HTTPConfig) ConfigErrors {
	var errs ConfigErrors
	add := func(path, msg string) { errs = append(errs, ConfigError{Path: "http." + path, Msg: msg}) }
	for _, d := range []struct {
		path string
		v    Duration
	}{{"read_header_timeout", h.ReadHeaderTimeout}, {"read_timeout", h.ReadTimeout}, {"write_timeout", h.WriteTimeout}, {"idle_timeout", h.IdleTimeout}, {"search_timeout", h.SearchTimeout}} {
		if d.v < Duration(100*time.Millisecond) {
			add(d.path, "tối thiểu 100ms / must be at least 100ms")
		}
	}
	if h.WriteTimeout <= h.SearchTimeout {
		add("write_timeout", "phải lớn hơn http.search_timeout / must exceed http.search_timeout, or answers to slow searches are cut off")
	}
	if h.MaxHeaderBytes < 4096 || h.MaxHeaderBytes > 1<<20 {
		add("max_header_bytes", "phải từ 4096 đến 1048576 / must be 4096..1048576")
	}
	if h.MaxSearches < 0 {
		add("max_searches", "phải ≥ 0 / must be at least 0")
	}
	return errs
}

// readSecret returns the inline value or the trimmed contents of the file.
func readSecret(inline Secret, file string) (string, error) {
	if file == "" {
		return string(inline), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading secret file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
