package vntext

import (
	"go/build"
	"strings"
	"testing"
)

// TestImportsStayAtTheBottom: vntext is the bottom of the module (doc.go). Every package
// that handles Vietnamese text imports it, so it may import only the standard library
// and golang.org/x/text; anything else would drag its dependencies into the query parser
// and the crawler.
func TestImportsStayAtTheBottom(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if strings.Contains(first, ".") && !strings.HasPrefix(imp, "golang.org/x/text/") {
			t.Errorf("vntext imports %s; only the standard library and golang.org/x/text are allowed", imp)
		}
	}
}
