package testkit

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// FaultProxy is a TCP proxy for fault tests. The app reaches a server
// (MariaDB, Redis) through it instead of directly, so a test can play the
// server going away without touching the real one, which other tests share.
//
//   - Cut closes every open connection and refuses new ones: the port is
//     closed, so a dial fails at once with "connection refused", as when the
//     server is stopped.
//   - Stall stops forwarding: connections stay open and new ones are
//     accepted, but no byte goes through, as in a network partition or a
//     server that hangs.
//   - Restore ends either: the proxy listens again on the same address and
//     forwards (bytes held during a stall are delivered then).
type FaultProxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]struct{}
	// flow is closed while bytes may flow; a stall replaces it with an
	// open channel that Restore or Cut closes.
	flow chan struct{}
	done bool
	wg   sync.WaitGroup
}

// StartFaultProxy listens on 127.0.0.1:0 and forwards every connection to
// target (host:port). It stops when the test ends.
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testkit: fault proxy: %v", err)
	}
	flow := make(chan struct{})
	close(flow)
	p := &FaultProxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}, flow: flow}
	p.mu.Lock()
	p.serveLocked(ln)
	p.mu.Unlock()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port (the same across Cut and Restore).
func (p *FaultProxy) Addr() string { return p.addr }

// Cut closes every connection through the proxy and refuses new ones until
// Restore. It returns once they are all closed.
func (p *FaultProxy) Cut() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.flowLocked()
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	for c := range conns {
		_ = c.Close()
	}
}

// Stall stops forwarding bytes, on open and new connections, until Restore
// (or Cut).
func (p *FaultProxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.flow:
		p.flow = make(chan struct{})
	default: // already stalled
	}
}

// Restore accepts connections again on the same address and forwards bytes.
func (p *FaultProxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return errors.New("fault proxy: closed")
	}
	p.flowLocked()
	if p.ln != nil {
		return nil
	}
	// The port was ours a moment ago; Go listeners set SO_REUSEADDR, so
	// connections lingering in TIME_WAIT do not stop binding it again.
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("fault proxy: listen again on %s: %w", p.addr, err)
	}
	p.serveLocked(ln)
	return nil
}

// Close cuts the proxy for good and waits for its goroutines.
func (p *FaultProxy) Close() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	p.Cut()
	p.wg.Wait()
}

// flowLocked ends a stall.
func (p *FaultProxy) flowLocked() {
	select {
	case <-p.flow:
	default:
		close(p.flow)
	}
}

// waitFlow blocks while the proxy is stalled.
func (p *FaultProxy) waitFlow() {
	p.mu.Lock()
	flow := p.flow
	p.mu.Unlock()
	<-flow
}

func (p *FaultProxy) serveLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Cut
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(ln, c)
			}()
		}
	}()
}

// track registers conns unless the listener they came through was cut
// meanwhile (then it closes them and reports false).
func (p *FaultProxy) track(ln net.Listener, conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != ln {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *FaultProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
		_ = c.Close()
	}
}

func (p *FaultProxy) pipe(ln net.Listener, client net.Conn) {
	if !p.track(ln, client) {
		return
	}
	p.waitFlow() // a stalled server does not even greet
	server, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		p.untrack(client)
		return
	}
	if !p.track(ln, server) {
		p.untrack(client)
		return
	}
	done := make(chan struct{}, 2)
	go p.copyHalf(server, client, done)
	go p.copyHalf(client, server, done)
	<-done // either side ended (or Cut closed both): end the other
	p.untrack(client, server)
	<-done
}

// copyHalf copies src to dst, holding what it read while the proxy is
// stalled.
func (p *FaultProxy) copyHalf(dst, src net.Conn, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.waitFlow()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
