package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/langnghe/langnghe/classifier"

	"github.com/langnghe/langnghe/web"
)

// webAuth builds the login guard from http.users and http.proxy_* (validated already by
// validateAuthConfig). With neither it is open: every request is the local admin.
func (a *app) webAuth() *web.Auth {
	if a.auth != nil {
		return a.auth
	}
	opts := []web.AuthOption{web.WithAuthLogger(a.log)}
	for _, line := range a.cfg.HTTP.Users {
		if u, err := web.ParseUser(line); err == nil {
			opts = append(opts, web.WithUsers(u))
		}
	}
	if a.cfg.HTTP.ProxyHeader != "" {
		from, _ := parsePrefixes(a.cfg.HTTP.ProxyFrom)
		role, err := web.ParseRole(a.cfg.HTTP.ProxyRole)
		if err != nil {
			role = web.RoleViewer
		}
		opts = append(opts, web.WithProxyHeader(a.cfg.HTTP.ProxyHeader, from, role))
	}
	a.auth = web.NewAuth(opts...)
	return a.auth
}

// guard puts h behind the login (and CSRF) checks.
func (a *app) guard(h http.Handler) http.Handler { return a.webAuth().Wrap(h) }

// checkExposure refuses a listener reachable from the network when nobody has to log in:
// the UI and API would show every post, and the alert recipients, to anyone.
func (a *app) checkExposure(ln net.Listener) error {
	if a.webAuth().Enabled() {
		return nil
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	return fmt.Errorf("http.listen %s không phải loopback mà chưa có người dùng: chạy `langnghe user add TÊN --role analyst` rồi dán dòng in ra vào http.users (hoặc đặt http.proxy_header) / is not loopback and no users are configured: run `langnghe user add NAME --role analyst` and paste the printed line under http.users (or set http.proxy_header)", a.cfg.HTTP.Listen)
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q: cần IP hoặc CIDR / want an IP or CIDR", s)
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q: cần IP hoặc CIDR / want an IP or CIDR", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// validateAuthConfig checks http.users and http.proxy_*.
func validateAuthConfig(c *Config) ConfigErrors {
	var errs ConfigErrors
	add := func(path, msg string) { errs = append(errs, ConfigError{Path: path, Msg: msg}) }
	seen := map[string]bool{}
	for i, line := range c.HTTP.Users {
		u, err := web.ParseUser(line)
		if err != nil {
			add("http.users", fmt.Sprintf("mục / entry %d: %v", i+1, err))
			continue
		}
		if seen[u.Name] {
			add("http.users", fmt.Sprintf("người dùng trùng / duplicate user %q", u.Name))
		}
		seen[u.Name] = true
	}
	if c.HTTP.ProxyRole != "" {
		if _, err := web.ParseRole(c.HTTP.ProxyRole); err != nil {
			add("http.proxy_role", err.Error())
		}
	}
	if _, err := parsePrefixes(c.HTTP.ProxyFrom); err != nil {
		add("http.proxy_from", err.Error())
	}
	if c.HTTP.ProxyHeader != "" && len(c.HTTP.ProxyFrom) == 0 {
		add("http.proxy_from", "cần địa chỉ của proxy tin cậy khi đặt http.proxy_header (nếu không ai cũng tự xưng được) / required with http.proxy_header: the trusted proxy's addresses (otherwise anyone could claim any user)")
	}
	return errs
}

// cmdUser is `langnghe user add NAME --role R`: reads the password from the terminal
// (twice, not echoed) or from the first line of standard input, and prints the line to
// paste under http.users.
func cmdUser(_ context.Context, env *cliEnv, args []string) error {
	if len(args) < 2 || args[0] != "add" {
		return usageError{"cách dùng / usage: langnghe user add TÊN/NAME --role viewer|analyst|admin (mật khẩu từ bàn phím hoặc stdin / password from the terminal or stdin)"}
	}
	name := args[1]
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	role := fs.String("role", "viewer", "viewer (xem / read), analyst (phân loại, xuất / triage, export), admin (cảnh báo / alert rules, silences)")
	if err := parseFlags(fs, args[2:]); err != nil {
		return err
	}
	r, err := web.ParseRole(*role)
	if err != nil {
		return usageError{err.Error()}
	}
	pw, err := readPassword(env)
	if err != nil {
		return usageError{err.Error()}
	}
	line, err := web.UserLine(name, r, pw, 0)
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintln(env.stderr, "# Dán vào tệp cấu hình, dưới http.users / paste into the config file, under http.users:")
	fmt.Fprintf(env.stdout, "    - %q\n", line)
	return nil
}

// stdin is the password source; tests replace it.
var stdin io.Reader = os.Stdin

func readPassword(env *cliEnv) ([]byte, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.stderr, "Mật khẩu / password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return nil, fmt.Errorf("reading password: %w", err)
		}
		fmt.Fprint(env.stderr, "Nhập lại / again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return nil, fmt.Errorf("reading password: %w", err)
		}
		if string(p1) != string(p2) {
			return nil, errors.New("hai mật khẩu khác nhau / the passwords differ")
		}
		return p1, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading password from stdin: %w", err)
	}
	return []byte(strings.TrimRight(line, "\r\n")), nil
}

// narrativeLabels names the configured model's narratives for the UI; a model that
// cannot be loaded leaves the pages showing ids (the classify role reports the error).
func (a *app) narrativeLabels() []web.NarrativeLabel {
	m, err := a.loadModel()
	if err != nil {
		a.log.Warn("UI: narrative names unavailable", "err", err)
		return nil
	}
	var out []web.NarrativeLabel
	for _, n := range classifier.Narratives(m) {
		out = append(out, web.NarrativeLabel{ID: n.ID, NameVI: n.NameVI, NameEN: n.NameEN, Severity: n.Severity})
	}
	return out
}
