package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/langnghe/langnghe/alerting/eshistory"
	esstore "github.com/langnghe/langnghe/store/elasticsearch"
)

// Kibana cannot run against the test Elasticsearch (testinfra/README.md), so the saved
// objects are checked by structure, against the mappings this code installs: every line
// parses, every string-encoded JSON attribute parses, every reference resolves, every field
// an object names exists (and is aggregatable where it is aggregated), every query is KQL
// over existing fields with values of the right type.

type savedObject struct {
	Type       string           `json:"type"`
	ID         string           `json:"id"`
	Attributes map[string]any   `json:"attributes"`
	References []savedObjectRef `json:"references"`
	file       string
	line       int
}

type savedObjectRef struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

// fieldInfo is one mapped field, flattened to its dotted path.
type fieldInfo struct {
	typ          string
	searchable   bool
	aggregatable bool
}

func flatten(props map[string]any, prefix string, out map[string]fieldInfo) {
	for name, raw := range props {
		def, _ := raw.(map[string]any)
		path := prefix + name
		if sub, ok := def["properties"].(map[string]any); ok {
			flatten(sub, path+".", out)
			continue
		}
		typ, _ := def["type"].(string)
		fi := fieldInfo{typ: typ, searchable: def["index"] != false}
		switch typ {
		case "keyword", "date", "date_nanos", "boolean", "long", "integer", "float", "double", "short", "byte":
			fi.aggregatable = def["doc_values"] != false
		}
		out[path] = fi
		if sub, ok := def["fields"].(map[string]any); ok {
			flatten(sub, path+".", out)
		}
	}
}

// viewFields maps each data view title to the fields of the index behind it.
func viewFields(t *testing.T) map[string]map[string]fieldInfo {
	t.Helper()
	posts := map[string]fieldInfo{}
	flatten(esstore.Mappings()["properties"].(map[string]any), "", posts)
	var hist struct {
		Mappings struct {
			Properties map[string]any `json:"properties"`
		} `json:"mappings"`
	}
	if err := json.Unmarshal([]byte(eshistory.MappingJSON()), &hist); err != nil {
		t.Fatal(err)
	}
	alerts := map[string]fieldInfo{}
	flatten(hist.Mappings.Properties, "", alerts)
	return map[string]map[string]fieldInfo{
		esstore.DefaultIndexPrefix:                      posts,
		eshistory.IndexName(esstore.DefaultIndexPrefix): alerts,
	}
}

func loadSavedObjects(t *testing.T) map[string][]*savedObject {
	t.Helper()
	files, _ := filepath.Glob("kibana/*.ndjson")
	if len(files) == 0 {
		t.Fatal("no kibana/*.ndjson")
	}
	out := map[string][]*savedObject{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.DisallowUnknownFields()
			o := &savedObject{file: filepath.Base(f), line: n}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
				t.Fatalf("%s:%d: not JSON: %v", f, n, err)
			}
			if err := json.Unmarshal(sc.Bytes(), o); err != nil {
				t.Fatalf("%s:%d: %v", f, n, err)
			}
			if o.Type == "" || o.ID == "" || o.Attributes == nil {
				t.Fatalf("%s:%d: type, id and attributes are required", f, n)
			}
			out[o.file] = append(out[o.file], o)
		}
	}
	return out
}

func (o *savedObject) where() string {
	return fmt.Sprintf("%s:%d (%s %s)", o.file, o.line, o.Type, o.ID)
}

// jsonAttr parses a string-encoded JSON attribute (Kibana stores several that way).
func jsonAttr(t *testing.T, o *savedObject, v any, path ...string) any {
	t.Helper()
	cur := any(o.Attributes)
	for _, p := range path {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	s, ok := cur.(string)
	if !ok {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Errorf("%s: attribute %s is not valid JSON: %v", o.where(), strings.Join(path, "."), err)
	}
	return v
}

func TestKibanaSavedObjects(t *testing.T) {
	views := viewFields(t)
	files := loadSavedObjects(t)
	seen := map[string]string{}
	for file, objs := range files {
		byKey := map[string]*savedObject{}
		viewTitle := map[string]string{} // data view id → title
		for _, o := range objs {
			key := o.Type + "/" + o.ID
			if prev, dup := seen[key]; dup {
				t.Errorf("%s: duplicate of %s", o.where(), prev)
			}
			seen[key] = o.where()
			byKey[key] = o
			if o.Type == "index-pattern" {
				viewTitle[o.ID], _ = o.Attributes["title"].(string)
			}
		}
		// Each file imports alone: references resolve within it.
		for _, o := range objs {
			names := map[string]bool{}
			for _, r := range o.References {
				names[r.Name] = true
				if _, ok := byKey[r.Type+"/"+r.ID]; !ok {
					t.Errorf("%s: reference %s → %s/%s not in %s", o.where(), r.Name, r.Type, r.ID, file)
				}
			}
			fields := func() map[string]fieldInfo {
				for _, r := range o.References {
					if r.Type == "index-pattern" {
						return views[viewTitle[r.ID]]
					}
				}
				return nil
			}
			switch o.Type {
			case "index-pattern":
				checkDataView(t, o, views)
			case "search":
				checkSearch(t, o, fields(), names)
			case "visualization":
				checkVisualization(t, o, fields(), names)
			case "dashboard":
				checkDashboard(t, o, names)
			default:
				t.Errorf("%s: unexpected type", o.where())
			}
		}
	}
	// Alert emails link to Discover on the data view whose id is the index prefix
	// (alerting.Links.KibanaIndex): that data view must be here.
	if _, ok := seen["index-pattern/"+esstore.DefaultIndexPrefix]; !ok {
		t.Errorf("no data view with id %q, which alert emails open", esstore.DefaultIndexPrefix)
	}
	for _, want := range []string{"dashboard/langnghe-overview", "dashboard/langnghe-alerts-overview", "search/langnghe-flagged", "search/langnghe-by-narrative", "search/langnghe-negative-24h", "search/langnghe-toxicity-hate"} {
		if _, ok := seen[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
}

func checkDataView(t *testing.T, o *savedObject, views map[string]map[string]fieldInfo) {
	title, _ := o.Attributes["title"].(string)
	fields, ok := views[title]
	if !ok {
		t.Errorf("%s: title %q is not an index this code writes", o.where(), title)
		return
	}
	tf, _ := o.Attributes["timeFieldName"].(string)
	if fi, ok := fields[tf]; !ok || !strings.HasPrefix(fi.typ, "date") {
		t.Errorf("%s: time field %q is not a date field", o.where(), tf)
	}
	var formats map[string]struct {
		ID string `json:"id"`
	}
	jsonAttr(t, o, &formats, "fieldFormatMap")
	for f, format := range formats {
		if _, ok := fields[f]; !ok {
			t.Errorf("%s: fieldFormatMap names unknown field %q", o.where(), f)
		}
		if format.ID == "" {
			t.Errorf("%s: fieldFormatMap[%s] has no format id", o.where(), f)
		}
	}
	var attrs map[string]struct {
		CustomLabel string `json:"customLabel"`
	}
	jsonAttr(t, o, &attrs, "fieldAttrs")
	for f, a := range attrs {
		if _, ok := fields[f]; !ok {
			t.Errorf("%s: fieldAttrs names unknown field %q", o.where(), f)
		}
		if a.CustomLabel == "" {
			t.Errorf("%s: fieldAttrs[%s] has no label", o.where(), f)
		}
	}
	for _, k := range []string{"sourceFilters", "runtimeFieldMap"} {
		var v any
		jsonAttr(t, o, &v, k)
	}
	if _, hasURL := fields["url"]; hasURL && formats["url"].ID != "url" {
		t.Errorf("%s: the url field must be formatted as a link", o.where())
	}
}

type searchSource struct {
	Query struct {
		Query    string `json:"query"`
		Language string `json:"language"`
	} `json:"query"`
	Filter       []any  `json:"filter"`
	IndexRefName string `json:"indexRefName"`
}

func checkSearchSource(t *testing.T, o *savedObject, fields map[string]fieldInfo, refs map[string]bool) {
	var src searchSource
	jsonAttr(t, o, &src, "kibanaSavedObjectMeta", "searchSourceJSON")
	if o.Type != "dashboard" {
		if src.IndexRefName == "" || !refs[src.IndexRefName] {
			t.Errorf("%s: searchSource indexRefName %q has no reference", o.where(), src.IndexRefName)
		}
		if fields == nil {
			t.Errorf("%s: its data view is not one of ours", o.where())
			return
		}
	}
	if src.Query.Language != "kuery" {
		t.Errorf("%s: query language %q, want kuery", o.where(), src.Query.Language)
	}
	if err := checkKQL(src.Query.Query, fields); err != nil {
		t.Errorf("%s: query %q: %v", o.where(), src.Query.Query, err)
	}
}

func checkSearch(t *testing.T, o *savedObject, fields map[string]fieldInfo, refs map[string]bool) {
	checkSearchSource(t, o, fields, refs)
	cols, _ := o.Attributes["columns"].([]any)
	if len(cols) == 0 {
		t.Errorf("%s: no columns", o.where())
	}
	for _, c := range cols {
		if _, ok := fields[fmt.Sprint(c)]; !ok {
			t.Errorf("%s: column %q is not a mapped field", o.where(), c)
		}
	}
	sorts, _ := o.Attributes["sort"].([]any)
	for _, s := range sorts {
		pair, _ := s.([]any)
		if len(pair) != 2 {
			t.Errorf("%s: sort %v is not [field, direction]", o.where(), s)
			continue
		}
		if fi, ok := fields[fmt.Sprint(pair[0])]; !ok || !fi.aggregatable {
			t.Errorf("%s: sort field %v is not a sortable field", o.where(), pair[0])
		}
	}
}

func checkVisualization(t *testing.T, o *savedObject, fields map[string]fieldInfo, refs map[string]bool) {
	checkSearchSource(t, o, fields, refs)
	var ui any
	jsonAttr(t, o, &ui, "uiStateJSON")
	var vs struct {
		Title string `json:"title"`
		Type  string `json:"type"`
		Aggs  []struct {
			Type   string         `json:"type"`
			Schema string         `json:"schema"`
			Params map[string]any `json:"params"`
		} `json:"aggs"`
	}
	if jsonAttr(t, o, &vs, "visState") == nil {
		t.Errorf("%s: no visState", o.where())
		return
	}
	if vs.Type == "" || len(vs.Aggs) == 0 {
		t.Errorf("%s: visState has no type or aggregations", o.where())
	}
	for _, a := range vs.Aggs {
		if f, ok := a.Params["field"].(string); ok {
			fi, known := fields[f]
			switch {
			case !known:
				t.Errorf("%s: %s aggregation on unknown field %q", o.where(), a.Type, f)
			case !fi.aggregatable:
				t.Errorf("%s: %s aggregation on %q, which is not aggregatable (%s)", o.where(), a.Type, f, fi.typ)
			case a.Type == "date_histogram" && !strings.HasPrefix(fi.typ, "date"):
				t.Errorf("%s: date_histogram on %q (%s)", o.where(), f, fi.typ)
			}
		}
		if a.Type == "filters" {
			filters, _ := a.Params["filters"].([]any)
			for _, raw := range filters {
				in, _ := raw.(map[string]any)["input"].(map[string]any)
				q, _ := in["query"].(string)
				if err := checkKQL(q, fields); err != nil {
					t.Errorf("%s: filters query %q: %v", o.where(), q, err)
				}
			}
		}
	}
}

func checkDashboard(t *testing.T, o *savedObject, refs map[string]bool) {
	checkSearchSource(t, o, nil, refs)
	var opts any
	jsonAttr(t, o, &opts, "optionsJSON")
	var panels []struct {
		PanelRefName string `json:"panelRefName"`
		GridData     struct {
			X, Y, W, H int
		} `json:"gridData"`
	}
	jsonAttr(t, o, &panels, "panelsJSON")
	if len(panels) == 0 {
		t.Errorf("%s: no panels", o.where())
	}
	for _, p := range panels {
		if !refs[p.PanelRefName] {
			t.Errorf("%s: panel %q has no reference", o.where(), p.PanelRefName)
		}
		if p.GridData.W <= 0 || p.GridData.H <= 0 || p.GridData.X+p.GridData.W > 48 {
			t.Errorf("%s: panel %s does not fit the 48-column grid: %+v", o.where(), p.PanelRefName, p.GridData)
		}
	}
}

// checkKQL parses a Kibana Query Language query (the subset: field:value, field:"phrase",
// field:*, field:(a or b), range comparisons, and/or/not, parentheses) and checks every
// field exists, is searchable, and gets values of its type. fields nil: no field allowed.
func checkKQL(q string, fields map[string]fieldInfo) error {
	toks, err := kqlTokens(q)
	if err != nil {
		return err
	}
	p := &kqlParser{toks: toks, fields: fields}
	if len(toks) == 0 {
		return nil
	}
	if err := p.or(); err != nil {
		return err
	}
	if p.pos != len(p.toks) {
		return fmt.Errorf("unexpected %q", p.toks[p.pos].s)
	}
	return nil
}

type kqlTok struct {
	kind byte // 'w' word, 's' quoted, or the punctuation itself: ( ) : < >  (<= and >= as 'l','g')
	s    string
}

func kqlTokens(q string) ([]kqlTok, error) {
	var out []kqlTok
	r := []rune(q)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '(' || c == ')' || c == ':':
			out = append(out, kqlTok{byte(c), string(c)})
			i++
		case c == '<' || c == '>':
			k := byte(c)
			if i+1 < len(r) && r[i+1] == '=' {
				k = map[rune]byte{'<': 'l', '>': 'g'}[c]
				i++
			}
			out = append(out, kqlTok{k, string(c)})
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(r) && r[j] != '"'; j++ {
				if r[j] == '\\' && j+1 < len(r) {
					j++
				}
				b.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated quote")
			}
			out = append(out, kqlTok{'s', b.String()})
			i = j + 1
		default:
			j := i
			for j < len(r) && !unicode.IsSpace(r[j]) && !strings.ContainsRune(`():<>"`, r[j]) {
				j++
			}
			out = append(out, kqlTok{'w', string(r[i:j])})
			i = j
		}
	}
	return out, nil
}

type kqlParser struct {
	toks   []kqlTok
	pos    int
	fields map[string]fieldInfo
}

func (p *kqlParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == 'w' && strings.EqualFold(p.toks[p.pos].s, w)
}

func (p *kqlParser) or() error {
	if err := p.and(); err != nil {
		return err
	}
	for p.peekWord("or") {
		p.pos++
		if err := p.and(); err != nil {
			return err
		}
	}
	return nil
}

func (p *kqlParser) and() error {
	if err := p.not(); err != nil {
		return err
	}
	for p.peekWord("and") {
		p.pos++
		if err := p.not(); err != nil {
			return err
		}
	}
	return nil
}

func (p *kqlParser) not() error {
	if p.peekWord("not") {
		p.pos++
		return p.not()
	}
	return p.primary()
}

func (p *kqlParser) primary() error {
	if p.pos >= len(p.toks) {
		return fmt.Errorf("query ends early")
	}
	t := p.toks[p.pos]
	if t.kind == '(' {
		p.pos++
		if err := p.or(); err != nil {
			return err
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != ')' {
			return fmt.Errorf("missing )")
		}
		p.pos++
		return nil
	}
	if t.kind != 'w' || p.pos+1 >= len(p.toks) {
		return fmt.Errorf("want field:value, got %q", t.s)
	}
	op := p.toks[p.pos+1]
	if !strings.ContainsRune(":<>lg", rune(op.kind)) {
		return fmt.Errorf("%q is free text; name a field", t.s)
	}
	field := t.s
	fi, ok := p.fields[field]
	if !ok {
		return fmt.Errorf("unknown field %q", field)
	}
	if !fi.searchable {
		return fmt.Errorf("field %q is not indexed", field)
	}
	p.pos += 2
	if op.kind == ':' && p.pos < len(p.toks) && p.toks[p.pos].kind == '(' { // field:(a or b)
		p.pos++
		for {
			if err := p.value(field, fi, false); err != nil {
				return err
			}
			if p.peekWord("or") || p.peekWord("and") {
				p.pos++
				continue
			}
			break
		}
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != ')' {
			return fmt.Errorf("missing ) after %s values", field)
		}
		p.pos++
		return nil
	}
	return p.value(field, fi, op.kind != ':')
}

func (p *kqlParser) value(field string, fi fieldInfo, isRange bool) error {
	if p.pos >= len(p.toks) || (p.toks[p.pos].kind != 'w' && p.toks[p.pos].kind != 's') {
		return fmt.Errorf("%s: missing value", field)
	}
	v := p.toks[p.pos]
	p.pos++
	if v.kind == 'w' && v.s == "*" {
		return nil // exists
	}
	switch {
	case fi.typ == "boolean":
		if v.s != "true" && v.s != "false" {
			return fmt.Errorf("%s is boolean, got %q", field, v.s)
		}
	case strings.HasPrefix(fi.typ, "date"):
		if !isRange && v.kind != 's' {
			return fmt.Errorf("%s: dates must be quoted", field)
		}
		if !strings.HasPrefix(v.s, "now") && (len(v.s) < 10 || v.s[4] != '-') {
			return fmt.Errorf("%s: %q is neither date math (now-24h) nor a date", field, v.s)
		}
	case fi.typ == "long" || fi.typ == "integer" || fi.typ == "float":
		var f float64
		if _, err := fmt.Sscan(v.s, &f); err != nil {
			return fmt.Errorf("%s is numeric, got %q", field, v.s)
		}
	case isRange && fi.typ == "keyword":
		// allowed by KQL, lexicographic
	case isRange:
		return fmt.Errorf("range on %s field %s", fi.typ, field)
	}
	return nil
}

// TestKQLChecker: the checker itself rejects what Kibana would reject or what would match
// nothing, so a passing TestKibanaSavedObjects means something.
func TestKQLChecker(t *testing.T) {
	fields := viewFields(t)[esstore.DefaultIndexPrefix]
	good := []string{"", "flagged:true", `sentiment:negative and published_at >= "now-24h"`, "narrative_ids:*", "not toxicity:(hate or offensive)", `(source:vnexpress or platform:rss) and text_folded:"lu lut"`}
	bad := []string{"flagged:yes", "sentimen:negative", "url:x", "lu lut", `published_at >= yesterday`, "sentiment:negative and", "(flagged:true", `text:"open`}
	for _, q := range good {
		if err := checkKQL(q, fields); err != nil {
			t.Errorf("checkKQL(%q) = %v, want ok", q, err)
		}
	}
	for _, q := range bad {
		if err := checkKQL(q, fields); err == nil {
			t.Errorf("checkKQL(%q) = ok, want an error", q)
		}
	}
}
