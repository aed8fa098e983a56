// Package testkit starts the real things the review tests run against: a
// Kafka-protocol broker (kfake, in process), a TCP proxy that can cut the
// connection to it, and a throwaway PostgreSQL server.
package testkit

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker starts a one-broker kfake cluster on a loopback port.
func Broker(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// BrokerBehindProxy starts a one-broker kfake cluster that advertises the
// address of a Proxy in front of it, so that every client connection
// (bootstrap and broker connections alike) goes through the proxy.
func BrokerBehindProxy(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, *Proxy) {
	t.Helper()
	real, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProxy(real.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	ln := advertised{Listener: real, addr: p.ln.Addr()}
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, p
}

// AdvertiseListener wraps ln so that a kfake broker built on it advertises
// addr (a proxy's) instead of its own address.
func AdvertiseListener(ln net.Listener, addr net.Addr) net.Listener { return advertised{ln, addr} }

type advertised struct {
	net.Listener
	addr net.Addr
}

func (a advertised) Addr() net.Addr { return a.addr }

// Proxy forwards TCP connections to a target and can cut them: when down,
// open connections are closed and new ones are closed as soon as they are
// accepted (the client sees the broker as unreachable); in drop-replies
// mode, requests reach the target but its answers are discarded (the
// client cannot know whether a write happened).
type Proxy struct {
	ln     net.Listener
	target string // guarded by mu

	mu      sync.Mutex
	down    bool
	drop    bool
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
	closing bool
}

// NewProxy listens on a loopback port and forwards to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget changes where new connections go.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// SetDown cuts (true) or restores (false) the path to the target.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	if down {
		p.closeAllLocked()
	}
	p.mu.Unlock()
}

// SetDropReplies discards (true) or forwards (false) the target's answers.
func (p *Proxy) SetDropReplies(drop bool) {
	p.mu.Lock()
	p.drop = drop
	if !drop {
		// Connections that lost answers are out of sync: cut them.
		p.closeAllLocked()
	}
	p.mu.Unlock()
}

func (p *Proxy) closeAllLocked() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closing = true
	p.closeAllLocked()
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down || p.closing {
			p.mu.Unlock()
			c.Close()
			continue
		}
		target := p.target
		p.mu.Unlock()
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.down || p.closing {
			p.mu.Unlock()
			c.Close()
			s.Close()
			continue
		}
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(s, c)
			s.Close()
			c.Close()
		}()
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					p.mu.Lock()
					drop := p.drop
					p.mu.Unlock()
					if !drop {
						if _, werr := c.Write(buf[:n]); werr != nil {
							break
						}
					}
				}
				if err != nil {
					break
				}
			}
			s.Close()
			c.Close()
		}()
	}
}

// ReadTopic reads every message of every partition of topic, up to the
// high watermarks at the time of the call.
func ReadTopic(ctx context.Context, addr, topic string) ([]kafka.Message, error) {
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, err
	}
	if len(md.Topics) != 1 || md.Topics[0].Error != nil {
		return nil, fmt.Errorf("topic %s: %v", topic, md.Topics)
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range md.Topics[0].Partitions {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p.ID))
	}
	offs, err := c.ListOffsets(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []kafka.Message
	for _, po := range offs.Topics[topic] {
		if po.Error != nil {
			return nil, po.Error
		}
		if po.LastOffset == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: po.Partition, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond})
		for {
			m, err := r.ReadMessage(ctx) // no group: nothing is committed
			if err != nil {
				r.Close()
				return nil, err
			}
			out = append(out, m)
			if m.Offset >= po.LastOffset-1 {
				break
			}
		}
		r.Close()
	}
	return out, nil
}
