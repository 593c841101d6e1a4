package main

import (
	"testing"

	"github.com/langnghe/langnghe/testinfra"
)

// tcpProxy is testinfra.Proxy for a test: failures end the test, and the proxy is
// switched off when the test ends.
type tcpProxy struct {
	t *testing.T
	*testinfra.Proxy
	addr string
}

// newTCPProxy reserves a port for target; the proxy starts off.
func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p, err := testinfra.NewProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Off)
	return &tcpProxy{t: t, Proxy: p, addr: p.Addr()}
}

// on starts forwarding.
func (p *tcpProxy) on() {
	if err := p.On(); err != nil {
		p.t.Fatal(err)
	}
}

// off stops listening and cuts every open connection.
func (p *tcpProxy) off() { p.Off() }
