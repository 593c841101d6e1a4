package web

// Authentication, sessions and CSRF protection for the UI and the API.
//
// When the HTTP listener is reachable from a network, every page and API answer needs a
// login: users come from the configuration as "name:role:bcrypt-hash" lines (printed by
// `langnghe user add`), or a trusted reverse proxy names the user in a header. A loopback
// listener with no users stays open (the demo); the command line refuses to start a
// non-loopback listener without either (see cmd/langnghe).
//
// State-changing requests pass two checks: the browser's own cross-origin signals
// (Sec-Fetch-Site / Origin, net/http.CrossOriginProtection) and a per-session token
// (X-CSRF-Token header or csrf form field) that only a page of this origin can read from
// GET /api/me. The login form itself has only the first, as there is no session yet.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a user may do. Higher roles include the lower ones.
type Role int

// Roles, lowest first.
const (
	RoleViewer  Role = iota + 1 // search and read
	RoleAnalyst                 // also triage and export
	RoleAdmin                   // also silences, rules and alert recipients
)

var roleNames = map[Role]string{RoleViewer: "viewer", RoleAnalyst: "analyst", RoleAdmin: "admin"}

func (r Role) String() string {
	if s, ok := roleNames[r]; ok {
		return s
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// MarshalText writes the role's name in JSON.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// ParseRole reads viewer, analyst or admin.
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if n == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("vai trò / role %q: cần / want viewer, analyst hoặc / or admin", s)
}

// User is one configured account.
type User struct {
	Name string
	Role Role
	hash []byte // bcrypt; empty: the account only logs in through the proxy header
}

var userNamePattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// ParseUser reads a configuration line "name:role:bcrypt-hash". The hash may be "-" for
// an account that only logs in through the trusted proxy header (it sets the role).
func ParseUser(line string) (User, error) {
	name, rest, ok1 := strings.Cut(strings.TrimSpace(line), ":")
	role, hash, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return User{}, errors.New("cần dạng / want name:role:bcrypt-hash (langnghe user add prints it)")
	}
	if !userNamePattern.MatchString(name) {
		return User{}, fmt.Errorf("tên / name %q: chỉ chữ, số và ._@- / letters, digits and ._@- only", name)
	}
	r, err := ParseRole(role)
	if err != nil {
		return User{}, err
	}
	u := User{Name: name, Role: r}
	if hash != "-" {
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return User{}, fmt.Errorf("user %s: not a bcrypt hash: %w", name, err)
		}
		u.hash = []byte(hash)
	}
	return u, nil
}

// MinPasswordLen is the shortest password UserLine accepts.
const MinPasswordLen = 10

// UserLine hashes password with bcrypt (cost 0: bcrypt.DefaultCost+2) and returns the
// configuration line for ParseUser.
func UserLine(name string, role Role, password []byte, cost int) (string, error) {
	if !userNamePattern.MatchString(name) {
		return "", fmt.Errorf("tên / name %q: chỉ chữ, số và ._@- / letters, digits and ._@- only", name)
	}
	if _, ok := roleNames[role]; !ok {
		return "", fmt.Errorf("vai trò không hợp lệ / invalid role %d", role)
	}
	if len([]rune(string(password))) < MinPasswordLen {
		return "", fmt.Errorf("mật khẩu cần ít nhất %d ký tự / the password needs at least %d characters", MinPasswordLen, MinPasswordLen)
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost + 2
	}
	h, err := bcrypt.GenerateFromPassword(password, cost)
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return name + ":" + role.String() + ":" + string(h), nil
}

// Principal is who makes a request.
type Principal struct {
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Method string `json:"method"` // "password", "proxy" or "local" (open loopback listener)
}

type principalKey struct{}

type csrfKey struct{}

// csrfFrom is the request's CSRF token (set by Auth.Wrap), for the forms of pages the
// server renders; "" without Auth, where no token is checked either.
func csrfFrom(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// PrincipalFrom returns the request's principal, set by Auth.Wrap.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// roleOf is the role of r's principal. A request that did not pass Auth.Wrap (a Server
// used without it) counts as a viewer, so nothing privileged leaks by omission.
func roleOf(r *http.Request) Role {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p.Role
	}
	return RoleViewer
}

// Auth guards a handler. The zero configuration (no users, no proxy) is open: every
// request is the local admin, as on the loopback demo.
type Auth struct {
	users       map[string]User
	proxyHeader string
	proxyFrom   []netip.Prefix
	proxyRole   Role
	ttl         time.Duration
	now         func() time.Time
	log         *slog.Logger
	key         []byte // HMAC key of CSRF tokens, random per process
	dummy       []byte // bcrypt hash compared when the user is unknown (same timing)

	mu       sync.Mutex
	sessions map[string]session
	fails    *failLimiter
}

type session struct {
	user    string
	role    Role
	expires time.Time
}

// AuthOption configures Auth.
type AuthOption func(*Auth)

// WithUsers sets the accounts that can log in with a password.
func WithUsers(users ...User) AuthOption {
	return func(a *Auth) {
		for _, u := range users {
			a.users[u.Name] = u
		}
	}
}

// WithProxyHeader trusts header (e.g. X-Forwarded-User) to name the user, but only on
// requests whose peer address is in from. Users not listed in WithUsers get role def.
func WithProxyHeader(header string, from []netip.Prefix, def Role) AuthOption {
	return func(a *Auth) { a.proxyHeader, a.proxyFrom, a.proxyRole = http.CanonicalHeaderKey(header), from, def }
}

// WithSessionTTL sets how long a login lasts (default 12h).
func WithSessionTTL(d time.Duration) AuthOption { return func(a *Auth) { a.ttl = d } }

// WithLoginLimit allows n failed logins per client address and per user name within
// window (default 5 per 15 minutes); more answer 429 until the window has passed.
func WithLoginLimit(n int, window time.Duration) AuthOption {
	return func(a *Auth) { a.fails = newFailLimiter(n, window) }
}

// WithAuthClock sets the clock (tests).
func WithAuthClock(now func() time.Time) AuthOption { return func(a *Auth) { a.now = now } }

// WithAuthLogger sets the logger for logins, logouts and refusals.
func WithAuthLogger(l *slog.Logger) AuthOption { return func(a *Auth) { a.log = l } }

// NewAuth builds the guard.
func NewAuth(opts ...AuthOption) *Auth {
	a := &Auth{users: map[string]User{}, ttl: 12 * time.Hour, now: time.Now, log: slog.New(slog.DiscardHandler),
		sessions: map[string]session{}, fails: newFailLimiter(5, 15*time.Minute), key: make([]byte, 32)}
	_, _ = rand.Read(a.key)
	for _, o := range opts {
		o(a)
	}
	a.dummy, _ = bcrypt.GenerateFromPassword(a.key[:16], bcrypt.MinCost)
	for _, u := range a.users {
		if len(u.hash) > 0 {
			if c, err := bcrypt.Cost(u.hash); err == nil {
				a.dummy, _ = bcrypt.GenerateFromPassword(a.key[:16], c)
				break
			}
		}
	}
	return a
}

// Enabled reports whether logins are required (users or a proxy header configured).
func (a *Auth) Enabled() bool { return len(a.users) > 0 || a.proxyHeader != "" }

const sessionCookie = "langnghe_session"

// public paths need no login: health for orchestrators, /metrics for Prometheus (counts
// only, no post text), the login form and its style sheet.
var publicPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/login": true, "/style.css": true}

// Wrap returns h behind login and CSRF checks, with /login, /logout and /api/me served here.
func (a *Auth) Wrap(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /api/me", a.me)
	mux.Handle("/", h)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "yêu cầu khác nguồn bị từ chối / cross-origin request refused"})
	}))
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.authenticate(r)
		if !ok && !publicPaths[r.URL.Path] {
			a.unauthenticated(w, r)
			return
		}
		if ok {
			ctx := context.WithValue(r.Context(), principalKey{}, p)
			r = r.WithContext(context.WithValue(ctx, csrfKey{}, a.csrfToken(r, p)))
		}
		if unsafeMethod(r.Method) && r.URL.Path != "/login" && !a.validToken(r, p, ok) {
			a.log.Warn("CSRF token missing or wrong", "method", r.Method, "path", r.URL.Path, "user", p.Name)
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "thiếu hoặc sai mã CSRF / missing or wrong CSRF token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
	return secureHeaders(cop.Handler(inner))
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// authenticate finds the request's principal: everyone is the local admin when auth is
// off; else the trusted proxy header, else the session cookie.
func (a *Auth) authenticate(r *http.Request) (Principal, bool) {
	if !a.Enabled() {
		return Principal{Name: "local", Role: RoleAdmin, Method: "local"}, true
	}
	if a.proxyHeader != "" && a.fromProxy(r) {
		if name := strings.TrimSpace(r.Header.Get(a.proxyHeader)); name != "" && userNamePattern.MatchString(name) {
			role := a.proxyRole
			if u, ok := a.users[name]; ok {
				role = u.Role
			}
			return Principal{Name: name, Role: role, Method: "proxy"}, true
		}
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return Principal{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[c.Value]
	if !ok {
		return Principal{}, false
	}
	if !a.now().Before(s.expires) {
		delete(a.sessions, c.Value)
		return Principal{}, false
	}
	return Principal{Name: s.user, Role: s.role, Method: "password"}, true
}

func (a *Auth) fromProxy(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, p := range a.proxyFrom {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// unauthenticated answers 401 to API calls and non-GET requests, and sends a browser
// asking for a page to the login form, coming back afterwards.
func (a *Auth) unauthenticated(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "cần đăng nhập / login required", "login": "/login"})
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// csrfToken binds a token to the principal's session (or proxy user / local mode), so a
// token read by one user is worthless for another session.
func (a *Auth) csrfToken(r *http.Request, p Principal) string {
	binding := p.Method + ":" + p.Name
	if p.Method == "password" {
		if c, err := r.Cookie(sessionCookie); err == nil {
			binding = "session:" + c.Value
		}
	}
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (a *Auth) validToken(r *http.Request, p Principal, authed bool) bool {
	if !authed {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	want := a.csrfToken(r, p)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// me answers GET /api/me: who is logged in, with the CSRF token the pages send back.
func (a *Auth) me(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, struct {
		Principal
		CSRF     string `json:"csrf"`
		AuthMode bool   `json:"auth"`
	}{p, a.csrfToken(r, p), a.Enabled()})
}

func (a *Auth) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		a.renderLogin(w, http.StatusBadRequest, "", "Biểu mẫu không hợp lệ / invalid form")
		return
	}
	name, pw, next := r.PostForm.Get("user"), r.PostForm.Get("password"), safeNext(r.PostForm.Get("next"))
	ip := clientIP(r)
	now := a.now()
	if !a.fails.allowed(now, "ip:"+ip) || !a.fails.allowed(now, "user:"+name) {
		a.log.Warn("login rate-limited", "user", name, "ip", ip)
		w.Header().Set("Retry-After", fmt.Sprint(int(a.fails.window.Seconds())))
		a.renderLogin(w, http.StatusTooManyRequests, next, "Quá nhiều lần thử sai, hãy đợi rồi thử lại / too many failed attempts, wait and try again")
		return
	}
	u, known := a.users[name]
	hash := u.hash
	if !known || len(hash) == 0 {
		hash = a.dummy // same work as a real check, so timing does not reveal user names
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pw)) != nil || !known || len(u.hash) == 0 {
		a.fails.fail(now, "ip:"+ip)
		a.fails.fail(now, "user:"+name)
		a.log.Warn("login failed", "user", name, "ip", ip)
		a.renderLogin(w, http.StatusUnauthorized, next, "Sai tên hoặc mật khẩu / wrong user name or password")
		return
	}
	a.fails.reset("user:" + name)
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	sid := base64.RawURLEncoding.EncodeToString(id)
	a.mu.Lock()
	a.sweepLocked(now)
	a.sessions[sid] = session{user: u.Name, role: u.Role, expires: now.Add(a.ttl)}
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: a.secure(r), MaxAge: int(a.ttl.Seconds())})
	a.log.Info("login", "user", u.Name, "role", u.Role.String(), "ip", ip)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// secure: cookies are Secure when the request came over TLS, directly or through the
// trusted proxy.
func (a *Auth) secure(r *http.Request) bool {
	return r.TLS != nil || (a.proxyHeader != "" && a.fromProxy(r) && r.Header.Get("X-Forwarded-Proto") == "https")
}

func (a *Auth) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	p, _ := PrincipalFrom(r.Context())
	a.log.Info("logout", "user", p.Name)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: a.secure(r), MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sweepLocked drops expired sessions once the table has grown.
func (a *Auth) sweepLocked(now time.Time) {
	if len(a.sessions) < 1024 {
		return
	}
	for id, s := range a.sessions {
		if !now.Before(s.expires) {
			delete(a.sessions, id)
		}
	}
}

// safeNext keeps the post-login redirect on this site: a local absolute path only.
func safeNext(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.ContainsAny(s, "\r\n") {
		return "/"
	}
	return s
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *Auth) loginPage(w http.ResponseWriter, r *http.Request) {
	msg := ""
	if r.URL.Query().Get("error") != "" {
		msg = "Sai tên hoặc mật khẩu / wrong user name or password"
	}
	a.renderLogin(w, http.StatusOK, safeNext(r.URL.Query().Get("next")), msg)
}

func (a *Auth) renderLogin(w http.ResponseWriter, code int, next, msg string) {
	if next == "" {
		next = "/"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = loginTmpl.Execute(w, struct{ Next, Error string }{next, msg})
}

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lắng Nghe: đăng nhập / log in</title><link rel="stylesheet" href="/style.css"></head>
<body><header><h1>Lắng Nghe <small>đăng nhập / log in</small></h1></header>
<main><form id="login" class="login" method="post" action="/login">
{{if .Error}}<p class="error" id="login-error" role="alert">{{.Error}}</p>{{end}}
<label>Tên đăng nhập / user name <input name="user" autocomplete="username" required autofocus></label>
<label>Mật khẩu / password <input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{{.Next}}">
<button type="submit">Đăng nhập / Log in</button>
</form></main></body></html>`))

// failLimiter counts failed logins per key within a fixed window.
type failLimiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	m      map[string]failRecord
}

type failRecord struct {
	n     int
	first time.Time
}

func newFailLimiter(max int, window time.Duration) *failLimiter {
	return &failLimiter{max: max, window: window, m: map[string]failRecord{}}
}

func (l *failLimiter) allowed(now time.Time, key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec, ok := l.m[key]
	if !ok || now.Sub(rec.first) >= l.window {
		return true
	}
	return rec.n < l.max
}

func (l *failLimiter) fail(now time.Time, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100_000 { // bound memory under a spray of user names
		for k, r := range l.m {
			if now.Sub(r.first) >= l.window {
				delete(l.m, k)
			}
		}
	}
	rec, ok := l.m[key]
	if !ok || now.Sub(rec.first) >= l.window {
		rec = failRecord{first: now}
	}
	rec.n++
	l.m[key] = rec
}

func (l *failLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}
