package main

import (
	"io"
	"net"
	"sync"
	"testing"
)

// tcpProxy forwards a loopback port to a real component and can be switched off and on,
// so a test makes Elasticsearch or Kafka unreachable for one process without stopping
// the shared component. While off, the port refuses connections and every forwarded
// connection is cut.
type tcpProxy struct {
	t      *testing.T
	addr   string // 127.0.0.1:port, fixed for the proxy's life
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// newTCPProxy reserves a port for target; the proxy starts off.
func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, addr: freePort(t), target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(p.off)
	return p
}

// on starts forwarding.
func (p *tcpProxy) on() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy on %s: %v", p.addr, err)
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
}

// off stops listening and cuts every open connection.
func (p *tcpProxy) off() {
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

func (p *tcpProxy) track(cs ...net.Conn) bool {
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

func (p *tcpProxy) forward(c net.Conn) {
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
