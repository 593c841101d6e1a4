package archtest

import (
	"reflect"
	"testing"
)

// TestChain checks the graph walk the layering tests rely on, so that they keep meaning
// something once the layering is clean and they pass.
func TestChain(t *testing.T) {
	m := func(p string) string { return module + "/" + p }
	graph := map[string]*pkg{
		m("store/query"): {ImportPath: m("store/query"), Imports: []string{"strings", m("post")}, XTestImports: []string{m("classifier")}},
		m("post"):        {ImportPath: m("post"), Imports: []string{m("bus")}},
		m("bus"):         {ImportPath: m("bus"), Imports: []string{"github.com/segmentio/kafka-go"}},
		m("classifier"):  {ImportPath: m("classifier")},
		"strings":        {ImportPath: "strings", Standard: true},
	}
	isKafka := func(p string) bool { return under(p, "github.com/segmentio/kafka-go") }
	if got, want := chain(graph, m("store/query"), false, isKafka), []string{"store/query", "post", "bus", "github.com/segmentio/kafka-go"}; !reflect.DeepEqual(got, want) {
		t.Errorf("transitive chain = %v, want %v", got, want)
	}
	isClassifier := func(p string) bool { return under(p, m("classifier")) }
	if got := chain(graph, m("store/query"), false, isClassifier); got != nil {
		t.Errorf("without tests: %v, want nil (only the external test imports classifier)", got)
	}
	if got, want := chain(graph, m("store/query"), true, isClassifier), []string{"store/query", "classifier"}; !reflect.DeepEqual(got, want) {
		t.Errorf("with tests: %v, want %v", got, want)
	}
	// Test imports of dependencies are not followed: they are not linked into root.
	graph[m("post")].TestImports = []string{m("classifier")}
	if got := chain(graph, m("bus"), true, isClassifier); got != nil {
		t.Errorf("bus: %v, want nil", got)
	}
	if got := chain(graph, m("store/query"), false, isClassifier); got != nil {
		t.Errorf("post's test import followed from store/query: %v", got)
	}
	if !under(m("classifier/learn"), m("classifier")) || under(m("classifiers"), m("classifier")) {
		t.Error("under must match the package and its subpackages only")
	}
}
