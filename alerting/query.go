package alerting

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/langnghe/langnghe/post"
	"github.com/langnghe/langnghe/store"
	"github.com/langnghe/langnghe/store/query"
	"gopkg.in/yaml.v3"
)

// QuerySpec is the query of a rule or a silence: one string in the store's query language
// (store/query), the language of the web search box, e.g.
//
//	query: 'narrative:scam (chuyển khoản OR "mã OTP") -"quảng cáo"'
//
// Match rules evaluate it on the stream with query.MatchAt; threshold, spike and digest
// rules pass it to the store as store.Query.Text; emails link to the same search in the web
// UI (q=) and in Kibana (translated to KQL by KQL). One meaning everywhere.
//
// The older structured form, a mapping with text, narratives, sentiment, toxicity,
// flagged, platform and source (each list: any of its values; fields ANDed), is still
// read and rewritten at load into the same language (see legacyQuery.text).
type QuerySpec struct {
	Text string `json:"text"`
}

// IsZero reports whether the query matches everything.
func (q QuerySpec) IsZero() bool { return strings.TrimSpace(q.Text) == "" }

// Store returns the store.Query of q (no time range, default paging).
func (q QuerySpec) Store() store.Query { return store.Query{Text: q.Text} }

// narrowed is q ANDed with field:value, in the query language.
func (q QuerySpec) narrowed(field, value string) QuerySpec {
	f := field + ":" + quoteValue(value)
	if q.IsZero() {
		return QuerySpec{Text: f}
	}
	return QuerySpec{Text: "(" + q.Text + ") " + f}
}

// UnmarshalYAML reads a query string, or the structured mapping of older rule files.
func (q *QuerySpec) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			q.Text = ""
			return nil
		}
		q.Text = n.Value
		return nil
	case yaml.MappingNode:
		known := map[string]bool{"text": true, "narratives": true, "sentiment": true, "toxicity": true, "flagged": true, "platform": true, "source": true}
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; !known[k.Value] {
				return fmt.Errorf("line %d: trường %s không có trong query / field %s not found in query (viết truy vấn thành chuỗi / write the query as a string: query: 'narrative:scam lừa đảo')", k.Line, k.Value, k.Value)
			}
		}
		var l legacyQuery
		if err := n.Decode(&l); err != nil {
			return err
		}
		text, err := l.text()
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		q.Text = text
		return nil
	}
	return fmt.Errorf("line %d: query phải là một chuỗi / query must be a string in the search language, e.g. 'narrative:scam lừa đảo'", n.Line)
}

// legacyQuery is the structured query form of the first rule files.
type legacyQuery struct {
	Text       string   `yaml:"text"`
	Narratives []string `yaml:"narratives"`
	Sentiment  []string `yaml:"sentiment"`
	Toxicity   []string `yaml:"toxicity"`
	Flagged    *bool    `yaml:"flagged"`
	Platform   []string `yaml:"platform"`
	Source     []string `yaml:"source"`
}

// text rewrites l in the query language: the text in parentheses, each list as an OR of
// field filters, all ANDed; the meaning the structured fields had in store.Query.
func (l legacyQuery) text() (string, error) {
	var parts []string
	if t := strings.TrimSpace(l.Text); t != "" {
		parts = append(parts, "("+t+")")
	}
	for _, f := range []struct {
		name string
		vals []string
	}{{query.FieldNarrative, l.Narratives}, {query.FieldSentiment, l.Sentiment}, {query.FieldToxicity, l.Toxicity}, {query.FieldPlatform, l.Platform}, {query.FieldSource, l.Source}} {
		var or []string
		for _, v := range f.vals {
			if strings.Contains(v, `"`) || strings.TrimSpace(v) == "" {
				return "", fmt.Errorf("giá trị không hợp lệ / invalid %s value %q", f.name, v)
			}
			or = append(or, f.name+":"+quoteValue(v))
		}
		switch len(or) {
		case 0:
		case 1:
			parts = append(parts, or[0])
		default:
			parts = append(parts, "("+strings.Join(or, " OR ")+")")
		}
	}
	if l.Flagged != nil {
		parts = append(parts, query.FieldFlagged+":"+strconv.FormatBool(*l.Flagged))
	}
	return strings.Join(parts, " "), nil
}

var plainValueRE = regexp.MustCompile(`^[\p{L}\p{N}_.@/-]+$`)

// quoteValue writes a field value, quoted unless it is one plain token.
func quoteValue(v string) string {
	if plainValueRE.MatchString(v) {
		return v
	}
	return `"` + v + `"`
}

// Matcher is a compiled query: the stream predicate of match rules and silences, with
// exactly the meaning the stores give the same text (query.MatchAt). Safe for concurrent
// use.
type Matcher struct {
	text string
	expr *query.Expr
	err  error
}

// CompileQuery parses text; a syntax error is a *query.SyntaxError with its byte offset.
func CompileQuery(text string) (*Matcher, error) {
	e, err := query.Parse(text)
	if err != nil {
		return nil, err
	}
	return &Matcher{text: text, expr: e}, nil
}

// NewMatcher compiles q. A query that does not parse (rule files are validated at load, so
// only hand-written callers see this) matches no post; MatchText falls back to its words.
func NewMatcher(q QuerySpec) *Matcher {
	m, err := CompileQuery(q.Text)
	if err != nil {
		return &Matcher{text: q.Text, err: err}
	}
	return m
}

// Match reports whether d (query.NewDoc of a post, computed once per post and shared
// across rules) matches, relative from:/to: counted back from now.
func (m *Matcher) Match(d *query.Doc, now time.Time) bool {
	if m.err != nil {
		return false
	}
	return query.MatchAt(m.expr, d, now)
}

// MatchText reports whether text, taken as the text of a post without labels, matches the
// query (field filters then do not match). The alert history search uses it; a query that
// does not parse matches when every one of its folded words occurs.
func (m *Matcher) MatchText(text string) bool {
	if m.err != nil {
		have := map[string]bool{}
		for _, w := range query.FoldedWords(text) {
			have[w] = true
		}
		for _, w := range query.FoldedWords(m.text) {
			if !have[w] {
				return false
			}
		}
		return true
	}
	return query.MatchAt(m.expr, query.NewDoc(&post.Post{Text: text}), time.Now())
}

// listed returns the values of the field filters on field that e requires or offers as
// alternatives (those not under a negation), in order, without duplicates: the keys a
// per-key threshold or spike rule counts separately.
func listed(e *query.Expr, field string) []string {
	var out []string
	var walk func(e *query.Expr)
	walk = func(e *query.Expr) {
		if e == nil {
			return
		}
		switch e.Op {
		case query.OpAnd, query.OpOr:
			for _, a := range e.Args {
				walk(a)
			}
		case query.OpField:
			if e.Field == field && !contains(out, e.Value) {
				out = append(out, e.Value)
			}
		}
	}
	walk(e)
	return out
}

// fieldValues returns every field filter of e (negated or not), for validation.
func fieldValues(e *query.Expr, visit func(*query.Expr)) {
	if e == nil {
		return
	}
	if e.Op == query.OpField {
		visit(e)
	}
	for _, a := range e.Args {
		fieldValues(a, visit)
	}
}
