package main

import (
	"bufio"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHTTPServerCutsOffIdleAndSlowClients: the server every listener runs closes idle
// keep-alive connections after http.idle_timeout (issue 11: 3,000 idle connections stayed
// open), connections that never finish their headers after http.read_header_timeout, and
// answers 431 to headers past http.max_header_bytes.
func TestHTTPServerCutsOffIdleAndSlowClients(t *testing.T) {
	c := defaultConfig().HTTP
	c.IdleTimeout, c.ReadHeaderTimeout, c.ReadTimeout = Duration(300*time.Millisecond), Duration(300*time.Millisecond), Duration(time.Second)
	c.MaxHeaderBytes = 4096
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveHTTP(ctx, ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }), c)
	}()
	defer func() { cancel(); <-done }()
	addr := ln.Addr().String()

	closedWithin := func(conn net.Conn, d time.Duration) bool {
		conn.SetReadDeadline(time.Now().Add(d))
		_, err := io.Copy(io.Discard, conn) // returns nil at EOF: the server closed it
		return err == nil
	}
	// Idle keep-alive: one request, then silence.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	resp.Body.Close()
	if !closedWithin(conn, 3*time.Second) {
		t.Error("an idle keep-alive connection is still open 3 s after a 300 ms idle timeout")
	}
	// Slow headers.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	if !closedWithin(slow, 3*time.Second) {
		t.Error("a connection with unfinished headers is still open 3 s after a 300 ms header timeout")
	}
	// Oversized headers.
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers over a 4 KiB limit: %d, want 431", resp.StatusCode)
	}
}

// TestEveryListenerUsesNewHTTPServer: no production file builds an http.Server or calls
// ListenAndServe/http.Serve itself, so every listener gets newHTTPServer's timeouts.
func TestEveryListenerUsesNewHTTPServer(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var found []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		// testinfra serves fixtures to the binary under test (the scenario runner's feed),
		// never users; it is not part of the binary.
		if d.IsDir() && path == filepath.Join(root, "testinfra") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		// Test helpers (packages named *test) serve fixtures, not users.
		if strings.HasSuffix(f.Name.Name, "test") {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var name string
			switch x := n.(type) {
			case *ast.FuncDecl:
				if x.Name.Name == "newHTTPServer" {
					return false
				}
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Server" && isIdent(sel.X, "http") {
					name = "http.Server{}"
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "http") && strings.Contains("ListenAndServe ListenAndServeTLS Serve ServeTLS", sel.Sel.Name) {
					name = "http." + sel.Sel.Name
				}
			}
			if name != "" {
				found = append(found, fset.Position(n.Pos()).String()+": "+name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s outside newHTTPServer: the listener would lack the read, write and idle timeouts", f)
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// TestHTTPConfigValidated: the new http keys reject values that would disable them or cut
// off answers to slow searches.
func TestHTTPConfigValidated(t *testing.T) {
	for _, c := range []struct{ key, val string }{
		{"http.idle_timeout", "0s"}, {"http.read_header_timeout", "0s"}, {"http.write_timeout", "5s"},
		{"http.max_header_bytes", "100"}, {"http.max_searches", "-1"}, {"http.search_timeout", "0s"},
	} {
		_, err := loadConfig("", nil, map[string]string{c.key: c.val})
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s=%s: %v; want a config error naming it", c.key, c.val, err)
		}
	}
	if _, err := loadConfig("", nil, nil); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
