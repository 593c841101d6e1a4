package archtest

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/langnghe/langnghe"

// pkg is what `go list -json` says about one package.
type pkg struct {
	ImportPath   string
	Standard     bool
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// list runs `go list -deps -json` on the patterns and returns every package of the
// dependency graph (the patterns' own packages and everything they link) by import path,
// plus the import paths the patterns matched themselves.
func list(t *testing.T, patterns ...string) (graph map[string]*pkg, roots []string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to read the import graph: %v", err)
	}
	read := func(args ...string) []*pkg {
		out, err := exec.Command(goBin, append([]string{"list", "-e", "-json=ImportPath,Standard,Imports,TestImports,XTestImports"}, args...)...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
			}
			t.Fatalf("go list %v: %v", args, err)
		}
		var ps []*pkg
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for {
			p := new(pkg)
			if err := dec.Decode(p); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("go list %v: decoding: %v", args, err)
			}
			ps = append(ps, p)
		}
		return ps
	}
	graph = map[string]*pkg{}
	for _, p := range read(append([]string{"-deps", "-test"}, patterns...)...) {
		graph[p.ImportPath] = p
	}
	for _, p := range read(patterns...) {
		roots = append(roots, p.ImportPath)
	}
	return graph, roots
}

// chain is the import path from root to the first package (in breadth-first order) that
// matches bad, e.g. "store/query -> classifier", or nil when root links none. Imports
// are followed as the package links them; withTests adds root's own test imports.
func chain(graph map[string]*pkg, root string, withTests bool, bad func(string) bool) []string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	next := func(p *pkg, first bool) []string {
		if first && withTests {
			return append(append(append([]string{}, p.Imports...), p.TestImports...), p.XTestImports...)
		}
		return p.Imports
	}
	for first := true; len(queue) > 0; first = false {
		cur := queue[0]
		queue = queue[1:]
		p := graph[cur]
		if p == nil {
			continue
		}
		for _, imp := range next(p, first && cur == root) {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = cur
			if bad(imp) {
				var path []string
				for at := imp; at != ""; at = prev[at] {
					path = append([]string{short(at)}, path...)
				}
				return path
			}
			queue = append(queue, imp)
		}
	}
	return nil
}

func short(p string) string {
	if p == module {
		return "."
	}
	return strings.TrimPrefix(p, module+"/")
}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// TestStoreAndCrawlerDoNotImportClassifier: the stores and the crawler need the Vietnamese
// normalizer (vntext), never the classifier, which brings models, training and the Kafka
// stage with it. Test code counts too: a suite that imports classifier ties the backends to it.
func TestStoreAndCrawlerDoNotImportClassifier(t *testing.T) {
	graph, roots := list(t, module+"/store/...", module+"/crawler/...")
	if len(roots) == 0 {
		t.Fatal("go list matched no package under store/ or crawler/")
	}
	isClassifier := func(p string) bool { return under(p, module+"/classifier") }
	sort.Strings(roots)
	for _, root := range roots {
		if c := chain(graph, root, true, isClassifier); c != nil {
			t.Errorf("%s imports %s: %s", short(root), c[len(c)-1], strings.Join(c, " -> "))
		}
	}
}

// TestQueryParserLinksNoEngine: the query language is parsed by the web API, both stores
// and the alert evaluator; it must not drag a Kafka client, a search engine or Prometheus
// into each of them.
func TestQueryParserLinksNoEngine(t *testing.T) {
	banned := []string{
		"github.com/segmentio/kafka-go",
		"github.com/twmb/franz-go",
		"github.com/blevesearch",
		"github.com/elastic/go-elasticsearch",
		"github.com/prometheus",
	}
	const root = module + "/store/query"
	graph, _ := list(t, root)
	if graph[root] == nil {
		t.Fatalf("go list did not find %s", root)
	}
	// One chain per banned module, the shortest breadth-first, so the fix can be aimed.
	total := 0
	for p := range graph {
		for _, b := range banned {
			if under(p, b) {
				total++
			}
		}
	}
	for _, b := range banned {
		if c := chain(graph, root, false, func(q string) bool { return under(q, b) }); c != nil {
			t.Errorf("store/query links %s: %s", c[len(c)-1], strings.Join(c, " -> "))
		}
	}
	if total > 0 {
		t.Logf("%d packages of %s in all", total, strings.Join(banned, ", "))
	}
}
