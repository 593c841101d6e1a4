package testinfra

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards a fixed loopback port to a real component and can be switched off and
// on, so a test or the scenario runner makes Elasticsearch or Kafka unreachable for the
// processes pointed at it without stopping the shared component. While off, the port
// refuses connections and every forwarded connection is cut, as a node going away would.
type Proxy struct {
	addr   string // 127.0.0.1:port, fixed for the proxy's life
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// NewProxy reserves a loopback port for target; the proxy starts off.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("reserving a proxy port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return &Proxy{addr: addr, target: target, conns: map[net.Conn]struct{}{}}, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.addr }

// On starts forwarding; it is a no-op when already on. The port may linger a moment
// after Off, so binding it again is retried for up to 5 s.
func (p *Proxy) On() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("proxy on %s: %w", p.addr, err)
	}
	p.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return nil
}

// Off stops listening and cuts every open connection.
func (p *Proxy) Off() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// track registers forwarded connections, or reports false when the proxy went off.
func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		c.Close()
		up.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}
