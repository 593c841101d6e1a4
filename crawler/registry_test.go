package crawler

import (
	"context"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type testConfig struct {
	Common `yaml:",inline"`
	URL    string `yaml:"url" required:"true" help:"địa chỉ / address"`
}

type testSource struct{ name string }

func (s testSource) Name() string                                        { return s.name }
func (s testSource) Fetch(context.Context, Cursor, Emit) (Cursor, error) { return Cursor{}, nil }

// A kind registered twice panics at init with a message naming the kind and both
// packages; so do an empty kind and a nil constructor. Uses a private registry, so the
// process-wide one is untouched.
func TestRegisterDuplicatePanics(t *testing.T) {
	r := &registry{kinds: map[string]Kind{}}
	build := func(*yaml.Node, Env) (Scheduled, error) { return Scheduled{}, nil }
	r.add("rss", Spec{}, "example.org/a/rss", true, build)
	panicMsg := func(f func()) (msg string) {
		defer func() { msg, _ = recover().(string) }()
		f()
		return ""
	}
	msg := panicMsg(func() { r.add("rss", Spec{}, "example.org/b/feeds", true, build) })
	for _, want := range []string{`"rss" registered twice`, "example.org/a/rss", "example.org/b/feeds"} {
		if !strings.Contains(msg, want) {
			t.Errorf("panic %q lacks %q", msg, want)
		}
	}
	if msg := panicMsg(func() { r.add("", Spec{}, "p", true, build) }); msg == "" {
		t.Error("an empty kind did not panic")
	}
	if msg := panicMsg(func() { r.add("x", Spec{}, "p", false, build) }); msg == "" {
		t.Error("a nil constructor did not panic")
	}
	if got := r.names(); len(got) != 1 || got[0] != "rss" {
		t.Errorf("registry holds %v after the failed registrations", got)
	}
}

// Register through the generic entry point: the kind decodes strictly into its Config,
// records the registering package, and the Scheduled gets the configured kind and the
// default interval.
func TestRegisterBuild(t *testing.T) {
	saved := sourceKinds
	sourceKinds = &registry{kinds: map[string]Kind{}}
	t.Cleanup(func() { sourceKinds = saved })
	Register("test", SpecOf[testConfig]("thử / test"), func(c testConfig, _ Env) (Source, error) { return testSource{c.Name}, nil })
	k, ok := Lookup("test")
	if !ok || k.Package != "github.com/langnghe/langnghe/crawler" {
		t.Fatalf("Lookup(test) = %+v, %v", k, ok)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("name: a\nkind: test\nurl: https://a.example/\n"), &n); err != nil {
		t.Fatal(err)
	}
	s, err := k.Build(n.Content[0], Env{})
	if err != nil || s.Source.Name() != "a" || s.Kind != "test" || s.Interval != DefaultInterval {
		t.Fatalf("Build = %+v, %v", s, err)
	}
	if err := yaml.Unmarshal([]byte("name: a\nkind: test\n"), &n); err != nil {
		t.Fatal(err)
	}
	if errs := k.Check(n.Content[0], "s"); len(errs) != 1 || errs[0].Path != "s.url" || errs[0].Line != 1 {
		t.Errorf("missing required url: %v", errs)
	}
}
