// Package dnstest is a DNS server on loopback for tests of DNS discovery:
// records set and removed while it runs, failures on demand. Tests only:
// it brings github.com/miekg/dns, which nothing in the binary imports.
package dnstest

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// SRV is one SRV record's data.
type SRV struct {
	Target           string
	Port             uint16
	Priority, Weight uint16
}

// Server answers A, AAAA and SRV queries from records a test sets, over
// UDP and TCP on one loopback port. Records have a TTL of 0, so nothing is
// cached between lookups.
type Server struct {
	// Addr is the server's host:port, for --dns-server.
	Addr string

	udp, tcp *dns.Server
	queries  atomic.Int64

	mu      sync.Mutex // protects addrs, srvs, failing
	addrs   map[string][]netip.Addr
	srvs    map[string][]SRV
	failing bool
}

// Start serves on a free loopback port until the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{addrs: map[string][]netip.Addr{}, srvs: map[string][]SRV{}}
	// UDP first on a free port, then TCP on the same one; another process
	// may hold that TCP port, so try a few.
	for attempt := 0; ; attempt++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			if attempt < 10 {
				continue
			}
			tb.Fatal(err)
		}
		s.Addr = pc.LocalAddr().String()
		h := dns.HandlerFunc(s.answer)
		s.udp, s.tcp = &dns.Server{PacketConn: pc, Handler: h}, &dns.Server{Listener: ln, Handler: h}
		break
	}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
	}
	tb.Cleanup(s.Close)
	return s
}

// SetAddrs makes addrs the A and AAAA records of name (IPv4 and IPv6
// addresses as text); none removes the name.
func (s *Server) SetAddrs(name string, addrs ...string) {
	ips := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		ips[i] = netip.MustParseAddr(a)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(ips) == 0 {
		delete(s.addrs, key(name))
		return
	}
	s.addrs[key(name)] = ips
}

// SetSRV makes recs the SRV records of name; none removes them.
func (s *Server) SetSRV(name string, recs ...SRV) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(recs) == 0 {
		delete(s.srvs, key(name))
		return
	}
	s.srvs[key(name)] = recs
}

// Fail makes every answer SERVFAIL while on.
func (s *Server) Fail(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = on
}

// Queries is how many queries the server has answered.
func (s *Server) Queries() int64 { return s.queries.Load() }

// Close stops the server: queries then get no answer (connection refused).
func (s *Server) Close() {
	_ = s.udp.Shutdown()
	_ = s.tcp.Shutdown()
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

func (s *Server) answer(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	s.mu.Lock()
	if s.failing {
		m.Rcode = dns.RcodeServerFailure
	} else {
		for _, q := range req.Question {
			m.Answer = append(m.Answer, s.records(q)...)
			if _, a := s.addrs[key(q.Name)]; !a && s.srvs[key(q.Name)] == nil {
				m.Rcode = dns.RcodeNameError
			}
		}
	}
	s.mu.Unlock()
	_ = w.WriteMsg(m)
}

// records answers q; the caller holds s.mu.
func (s *Server) records(q dns.Question) []dns.RR {
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: 0}
	}
	var out []dns.RR
	switch q.Qtype {
	case dns.TypeA, dns.TypeAAAA:
		for _, ip := range s.addrs[key(q.Name)] {
			switch {
			case ip.Is4() && q.Qtype == dns.TypeA:
				out = append(out, &dns.A{Hdr: hdr(dns.TypeA), A: ip.AsSlice()})
			case ip.Is6() && q.Qtype == dns.TypeAAAA:
				out = append(out, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip.AsSlice()})
			}
		}
	case dns.TypeSRV:
		for _, r := range s.srvs[key(q.Name)] {
			out = append(out, &dns.SRV{Hdr: hdr(dns.TypeSRV), Priority: r.Priority, Weight: r.Weight, Port: r.Port, Target: dns.Fqdn(r.Target)})
		}
	}
	return out
}
