package notifiertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"
)

// Mailpit reads what a Mailpit server received, over its HTTP API.
type Mailpit struct{ URL string }

type mpList struct {
	Messages []struct {
		ID      string    `json:"ID"`
		Created time.Time `json:"Created"`
		Subject string    `json:"Subject"`
	} `json:"messages"`
}

// IDs returns the Mailpit ids of the messages to rcpt, oldest first.
func (m Mailpit) IDs(t testing.TB, rcpt string) []string {
	t.Helper()
	u := m.URL + "/api/v1/search?limit=1000&query=" + url.QueryEscape(fmt.Sprintf("to:%q", rcpt))
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("mailpit search: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("mailpit search: %s: %s", resp.Status, b)
	}
	var l mpList
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatalf("mailpit search: %v", err)
	}
	sort.SliceStable(l.Messages, func(i, j int) bool { return l.Messages[i].Created.Before(l.Messages[j].Created) })
	ids := make([]string, len(l.Messages))
	for i, msg := range l.Messages {
		ids[i] = msg.ID
	}
	return ids
}

// Raw returns the raw messages to rcpt, oldest first.
func (m Mailpit) Raw(t testing.TB, rcpt string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, id := range m.IDs(t, rcpt) {
		resp, err := http.Get(m.URL + "/api/v1/message/" + id + "/raw")
		if err != nil {
			t.Fatalf("mailpit raw: %v", err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("mailpit raw %s: %v %s", id, err, resp.Status)
		}
		out = append(out, b)
	}
	return out
}

// Proxy forwards TCP connections from a loopback port to target; Down refuses new
// connections (the port is closed) until Up. It simulates an SMTP server outage.
type Proxy struct {
	target string
	mu     sync.Mutex
	ln     net.Listener
	addr   string
}

// NewProxy listens on a free loopback port.
func NewProxy(t testing.TB, target string) *Proxy {
	p := &Proxy{target: target}
	p.listen(t, "127.0.0.1:0")
	t.Cleanup(func() { p.Down(t) })
	return p
}

// Addr is host:port of the proxy.
func (p *Proxy) Addr() string { return p.addr }

func (p *Proxy) listen(t testing.TB, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("proxy listen %s: %v", addr, err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *Proxy) pipe(c net.Conn) {
	defer c.Close()
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// Down closes the listening port.
func (p *Proxy) Down(t testing.TB) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
}

// Up listens again on the same port.
func (p *Proxy) Up(t testing.TB) {
	p.mu.Lock()
	running := p.ln != nil
	p.mu.Unlock()
	if !running {
		p.listen(t, p.addr)
	}
}
