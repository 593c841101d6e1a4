package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// groupTitles names the subsystems the config keys are grouped by in --help (the first
// segment of the key path; top-level keys are "general"). A group without a title here
// is shown under its key name, so a new subsystem still appears.
var groupTitles = map[string]string{
	"":       "Chung / general",
	"kafka":  "Kafka (kafka.*)",
	"es":     "Elasticsearch (es.*)",
	"http":   "HTTP: API, giao diện, sức khỏe, /metrics / API, UI, health, /metrics (http.*)",
	"crawl":  "Thu thập / crawl (crawl.*)",
	"model":  "Mô hình phân loại / classifier model (model.*)",
	"smtp":   "Email cảnh báo / alert email (smtp.*)",
	"alerts": "Cảnh báo / alerts (alerts.*)",
	"log":    "Nhật ký / logging (log.*)",
	"search": "Tìm kiếm / search (search.*)",
}

// commandSummary is the one-line summary of a command, from the command table.
func commandSummary(name string) string {
	for _, c := range commands() {
		if c.name == name {
			return c.summary
		}
	}
	return ""
}

// printHelp writes a role's help: its own flags, then every config key grouped by
// subsystem with its help (Vietnamese / English), default and env name. Flags are shown
// with "--", as in the README; Go's flag package accepts one dash too.
func (rf *roleFlags) printHelp(w io.Writer) {
	fmt.Fprintf(w, "langnghe %s: %s\n\n", rf.name, commandSummary(rf.name))
	fmt.Fprintf(w, "Cách dùng / usage: langnghe %s [--cờ giá-trị / --flag value]...\n", rf.name)
	for _, n := range rf.notes {
		fmt.Fprintln(w, n)
	}

	fmt.Fprintln(w, "\nCờ của lệnh / command flags:")
	rf.fs.VisitAll(func(f *flag.Flag) {
		if rf.keys[f.Name] {
			return
		}
		var notes []string
		if key, ok := rf.aliases[f.Name]; ok {
			notes = append(notes, "env "+envName(key))
		} else if f.Name == "config" {
			notes = nil // its usage names LANGNGHE_CONFIG already
		} else {
			notes = append(notes, defaultNote(f.DefValue))
		}
		printEntry(w, f.Name, f.Usage, notes)
	})

	fmt.Fprintln(w, "\nKhóa cấu hình / configuration keys:")
	fmt.Fprintln(w, "  tệp --config (YAML, khóa lồng nhau: es: {url: ...}) < biến môi trường < cờ")
	fmt.Fprintln(w, "  the --config file (YAML, nested: es: {url: ...}) < environment < flags")
	fmt.Fprintln(w, "  danh sách trong env và cờ cách nhau bằng dấu phẩy; thời lượng nhận \"90d\"")
	fmt.Fprintln(w, "  lists are comma-separated in env and flags; durations accept \"90d\"")
	defaults := defaultConfig()
	for _, g := range groupFields(configFields()) {
		title, ok := groupTitles[g.name]
		if !ok {
			title = g.name + ".*"
		}
		fmt.Fprintf(w, "\n%s\n", title)
		for _, f := range g.fields {
			def := ""
			if v, err := lookupPath(&defaults, f.path); err == nil {
				def = formatValue(v)
			}
			notes := []string{"bí mật, không in / secret, never printed", "env " + envName(f.path)}
			if f.typ != reflect.TypeFor[Secret]() { // a secret's default is empty; never print one
				notes = []string{defaultNote(def), "env " + envName(f.path)}
			}
			printEntry(w, f.path, f.help, notes)
		}
	}
}

// printEntry writes "  --name" and, indented below, the help and the notes.
func printEntry(w io.Writer, name, help string, notes []string) {
	fmt.Fprintf(w, "  --%s\n", name)
	if help != "" {
		fmt.Fprintf(w, "      %s\n", help)
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "      %s\n", strings.Join(notes, " · "))
	}
}

func defaultNote(def string) string {
	if def == "" {
		def = "(trống / empty)"
	}
	return "mặc định / default: " + def
}

// fieldGroup is the keys of one subsystem, in declaration order.
type fieldGroup struct {
	name   string
	fields []field
}

// groupFields groups keys by their first path segment: top-level keys first, then the
// subsystems in declaration order.
func groupFields(fields []field) []fieldGroup {
	out := []fieldGroup{{name: ""}}
	index := map[string]int{"": 0}
	for _, f := range fields {
		g := ""
		if head, _, ok := strings.Cut(f.path, "."); ok {
			g = head
		}
		i, ok := index[g]
		if !ok {
			i = len(out)
			index[g] = i
			out = append(out, fieldGroup{name: g})
		}
		out[i].fields = append(out[i].fields, f)
	}
	if len(out[0].fields) == 0 {
		out = out[1:]
	}
	return out
}

// formatValue is a key's value in the form env and flags take.
func formatValue(v reflect.Value) string {
	if cv, ok := v.Addr().Interface().(configValue); ok {
		return cv.String()
	}
	switch {
	case v.Type() == reflect.TypeFor[Secret]():
		return ""
	case v.Type() == reflect.TypeFor[Duration]():
		return formatDuration(time.Duration(v.Int()))
	case v.Kind() == reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(v.Interface())
	}
}

// formatDuration writes whole days as "90d", the form the config accepts.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

// printFlagSetHelp is the help of a command without config keys (eval, model).
func printFlagSetHelp(w io.Writer, fs *flag.FlagSet) {
	name, _, _ := strings.Cut(fs.Name(), " ")
	fmt.Fprintf(w, "langnghe %s: %s\n\n", fs.Name(), commandSummary(name))
	fmt.Fprintf(w, "Cách dùng / usage: langnghe %s [--cờ giá-trị / --flag value]...\n\nCờ / flags:\n", fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		printEntry(w, f.Name, f.Usage, []string{defaultNote(f.DefValue)})
	})
}
