package crawler

import (
	"bytes"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Sources register themselves: each source package calls Register from its init, and
// package crawler/all imports every source package for that side effect (the way Benthos
// and Telegraf plugins do). Adding a source kind therefore touches one folder plus one
// import line in crawler/all; the sources file reader (crawler/sources), `langnghe config
// check` and the help text find it through Lookup and Kinds. The registry is the only
// global state of the package, written only during init.

// Field describes one key of a source kind's YAML configuration. SpecOf derives it from
// the Config struct's tags: yaml (the key), help ("tiếng Việt / English"), default (as
// written in YAML), required ("true") and enum (comma-separated allowed values).
type Field struct {
	Name string
	// Type is "string", "int", "bool", "duration", "list" (of strings), "object" (Fields
	// holds its keys) or "map".
	Type     string
	Required bool
	Default  string
	Enum     []string
	Help     string
	Fields   []Field
	typ      reflect.Type
}

// Spec is the configuration contract of one source kind: a one-line summary
// ("tiếng Việt / English") and its fields, the common ones (name, kind, interval, ...)
// first.
type Spec struct {
	Summary string
	Fields  []Field
}

// Configurable is implemented by every source Config through its embedded Common.
type Configurable interface{ CommonConfig() Common }

// CommonConfig returns the common part of a source's configuration.
func (c Common) CommonConfig() Common { return c }

// SpecOf builds the Spec of the Config type C from its struct tags (see Field).
func SpecOf[C any](summary string) Spec {
	return Spec{Summary: summary, Fields: fieldsOf(reflect.TypeFor[C]())}
}

var durationType = reflect.TypeFor[time.Duration]()

func fieldsOf(t reflect.Type) []Field {
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			out = append(out, fieldsOf(sf.Type)...)
			continue
		}
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name) // yaml.v3's default key
		}
		f := Field{Name: name, Help: sf.Tag.Get("help"), Default: sf.Tag.Get("default"), Required: sf.Tag.Get("required") == "true", typ: sf.Type}
		if e := sf.Tag.Get("enum"); e != "" {
			f.Enum = strings.Split(e, ",")
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == durationType:
			f.Type = "duration"
		case ft.Kind() == reflect.Struct:
			f.Type, f.Fields = "object", fieldsOf(ft)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			f.Type = "list"
		case ft.Kind() == reflect.Map:
			f.Type = "map"
		case ft.Kind() == reflect.Bool:
			f.Type = "bool"
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Int64:
			f.Type = "int"
		case ft.Kind() == reflect.String:
			f.Type = "string"
		default:
			f.Type = ft.String() // not a type the checker knows: the spec test reports it
		}
		out = append(out, f)
	}
	return out
}

// TypeHelp describes a Field.Type for people, Vietnamese first.
func TypeHelp(typ string) string {
	switch typ {
	case "string":
		return "chuỗi / text"
	case "int":
		return "số nguyên / integer"
	case "bool":
		return "true/false"
	case "duration":
		return "thời lượng / duration (90s, 10m, 1h30m)"
	case "list":
		return "danh sách chuỗi / list of text ([a, b])"
	case "object", "map":
		return "bảng khóa: giá trị / mapping (key: value)"
	}
	return ""
}

// Kind is one registered source kind.
type Kind struct {
	Name string
	Spec Spec
	// Package is the import path of the package that registered the kind.
	Package string
	build   func(n *yaml.Node, env Env) (Scheduled, error)
}

// FieldError is a config value that does not fit the kind's Spec. Line is the YAML line,
// Path the field path ("sources[2].rules.post"). It wraps ErrConfig.
type FieldError struct {
	Line int
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }
func (e *FieldError) Unwrap() error { return ErrConfig }

// Check compares the YAML mapping n (one entry of the sources list, found at path) with
// the kind's Spec: unknown keys, values of the wrong type, values outside an enum and
// missing required keys, every one reported with its line and field path. Checks that
// need several fields together (a tag for the tag timeline) stay in the constructor.
func (k Kind) Check(n *yaml.Node, path string) []*FieldError {
	return checkFields(k.Spec.Fields, n, path)
}

// Build decodes n strictly into the kind's Config and calls its constructor. Call Check
// first for errors that name the field.
func (k Kind) Build(n *yaml.Node, env Env) (Scheduled, error) { return k.build(n, env) }

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func checkFields(fields []Field, n *yaml.Node, path string) []*FieldError {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		line := 0
		if n != nil {
			line = n.Line
		}
		return []*FieldError{{Line: line, Path: path, Msg: "cần một bảng khóa: giá trị / want a mapping (key: value)"}}
	}
	var errs []*FieldError
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], resolve(n.Content[i+1])
		if key.Value == "<<" { // a YAML merge key: the strict decode checks what it brings
			continue
		}
		p := path + "." + key.Value
		j := slices.IndexFunc(fields, func(f Field) bool { return f.Name == key.Value })
		if j < 0 {
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.Name
			}
			errs = append(errs, &FieldError{Line: key.Line, Path: p, Msg: fmt.Sprintf("trường không có / unknown field (có / known: %s)", strings.Join(names, ", "))})
			continue
		}
		seen[key.Value] = true
		if e := checkValue(fields[j], val, p); e != nil {
			errs = append(errs, e...)
		}
	}
	for _, f := range fields {
		if f.Required && !seen[f.Name] {
			errs = append(errs, &FieldError{Line: n.Line, Path: path + "." + f.Name, Msg: "thiếu trường bắt buộc / required field missing"})
		}
	}
	return errs
}

func checkValue(f Field, v *yaml.Node, path string) []*FieldError {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if f.Type == "object" {
		return checkFields(f.Fields, v, path)
	}
	if err := v.Decode(reflect.New(f.typ).Interface()); err != nil {
		got := v.Value
		if v.Kind != yaml.ScalarNode {
			got = map[yaml.Kind]string{yaml.MappingNode: "một bảng / a mapping", yaml.SequenceNode: "một danh sách / a list"}[v.Kind]
		} else {
			got = fmt.Sprintf("%q", got)
		}
		return []*FieldError{{Line: v.Line, Path: path, Msg: fmt.Sprintf("cần / want %s, có / got %s", TypeHelp(f.Type), got)}}
	}
	if len(f.Enum) > 0 && v.Kind == yaml.ScalarNode && !slices.Contains(f.Enum, v.Value) {
		return []*FieldError{{Line: v.Line, Path: path, Msg: fmt.Sprintf("giá trị %q không hợp lệ / invalid value %q (có / known: %s)", v.Value, v.Value, strings.Join(f.Enum, ", "))}}
	}
	return nil
}

// strictDecode decodes n into v, rejecting unknown keys.
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return nil
}

// DefaultInterval is the pass interval of a source that sets none.
const DefaultInterval = 15 * time.Minute

type registry struct {
	mu    sync.RWMutex
	kinds map[string]Kind
}

var sourceKinds = &registry{kinds: map[string]Kind{}}

// Register makes a source kind known. Source packages call it from init:
//
//	func init() {
//		crawler.Register(Kind, crawler.SpecOf[Config]("… / …"), func(c Config, env crawler.Env) (crawler.Source, error) {
//			return New(c, env)
//		})
//	}
//
// A source of this kind in a sources file is decoded strictly into C and passed to
// newSource. Registering a kind twice, an empty kind or a nil constructor panics, so the
// mistake shows at start-up, naming both packages.
func Register[C Configurable](kind string, spec Spec, newSource func(C, Env) (Source, error)) {
	sourceKinds.add(kind, spec, callerPackage(), newSource != nil, func(n *yaml.Node, env Env) (Scheduled, error) {
		var c C
		if err := strictDecode(n, &c); err != nil {
			return Scheduled{}, err
		}
		s, err := newSource(c, env)
		if err != nil {
			return Scheduled{}, err
		}
		cc := c.CommonConfig()
		iv := cc.Interval
		if iv <= 0 {
			iv = DefaultInterval
		}
		return Scheduled{Source: s, Kind: cc.Kind, Interval: iv}, nil
	})
}

func (r *registry) add(kind string, spec Spec, pkg string, hasConstructor bool, build func(*yaml.Node, Env) (Scheduled, error)) {
	if kind == "" || !hasConstructor {
		panic(fmt.Sprintf("crawler.Register from %s: empty kind %q or nil constructor", pkg, kind))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, dup := r.kinds[kind]; dup {
		panic(fmt.Sprintf("crawler.Register: source kind %q registered twice, by %s and by %s", kind, prev.Package, pkg))
	}
	r.kinds[kind] = Kind{Name: kind, Spec: spec, Package: pkg, build: build}
}

func (r *registry) lookup(kind string) (Kind, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.kinds[kind]
	return k, ok
}

func (r *registry) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.kinds))
	for k := range r.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the registered kind.
func Lookup(kind string) (Kind, bool) { return sourceKinds.lookup(kind) }

// Kinds lists the registered kinds, sorted. Empty unless crawler/all (or the source
// packages) is imported.
func Kinds() []string { return sourceKinds.names() }

// callerPackage is the import path of the package whose code called Register.
func callerPackage() string {
	pc, _, _, ok := runtime.Caller(2)
	if !ok {
		return "?"
	}
	name := runtime.FuncForPC(pc).Name() // e.g. github.com/x/crawler/rss.init.0
	slash := strings.LastIndex(name, "/")
	if dot := strings.Index(name[slash+1:], "."); dot >= 0 {
		return name[:slash+1+dot]
	}
	return name
}
