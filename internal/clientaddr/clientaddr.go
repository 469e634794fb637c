// Package clientaddr tells who a request came from — the client's address
// and whether it spoke HTTPS — when proxies stand in between.
//
// Forwarding headers (X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host)
// are claims anyone can write. They are believed only from the peers the
// operator lists in --trusted-proxies, the one setting the edge and the app
// share (issue 9): the app trusts the edge in front of it, the edge trusts a
// CDN or TLS terminator in front of it. From any other peer they are removed
// before a handler sees the request, so no handler can be fooled by them.
package clientaddr

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted is the set of proxies whose forwarding headers are believed. The
// zero value trusts no one. It is immutable and safe for concurrent use.
type Trusted struct {
	prefixes []netip.Prefix
}

// Keywords Parse accepts besides addresses and CIDR prefixes.
var keywords = map[string][]netip.Prefix{
	"loopback": {netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
	// RFC 1918 and RFC 4193: a cluster network (Kubernetes pods).
	"private": {
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7"),
	},
	"none": nil,
}

// Parse reads a comma-separated list of IP addresses, CIDR prefixes and the
// keywords "loopback", "private" and "none", such as
// "loopback,10.0.0.0/8". The empty string trusts no one.
func Parse(spec string) (*Trusted, error) {
	t := &Trusted{}
	for _, f := range strings.Split(spec, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if ps, ok := keywords[strings.ToLower(f)]; ok {
			t.prefixes = append(t.prefixes, ps...)
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			t.prefixes = append(t.prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %q is not an IP address, a CIDR prefix (10.0.0.0/8) or one of loopback, private, none", f)
		}
		a = a.Unmap()
		t.prefixes = append(t.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return t, nil
}

// MustParse is Parse for specs written in code; it panics on an error.
func MustParse(spec string) *Trusted {
	t, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return t
}

// Contains reports whether a is a trusted proxy. A nil Trusted trusts no one.
func (t *Trusted) Contains(a netip.Addr) bool {
	if t == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// String lists the trusted prefixes, for logs and status pages.
func (t *Trusted) String() string {
	if t == nil || len(t.prefixes) == 0 {
		return "none"
	}
	s := make([]string, len(t.prefixes))
	for i, p := range t.prefixes {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// Info is what is known of a request's origin once forwarding headers have
// been judged.
type Info struct {
	// Addr is the client's address: the peer, or, behind trusted proxies,
	// the rightmost X-Forwarded-For entry that is not itself a trusted
	// proxy.
	Addr netip.Addr
	// HTTPS reports whether the client spoke TLS: to us, or to the trusted
	// proxy that said so in X-Forwarded-Proto.
	HTTPS bool
}

// ForwardingHeaders are the claims a proxy makes about its client,
// X-Forwarded-For first: Judge removes them from requests of untrusted
// peers, and the edge replaces them with what it saw. Do not modify.
var ForwardingHeaders = []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip", "Forwarded"}

// Judge works out r's Info. From an untrusted peer it removes the forwarding
// headers from r, so that nothing downstream reads a client's claim.
func (t *Trusted) Judge(r *http.Request) Info {
	peer := PeerAddr(r.RemoteAddr)
	info := Info{Addr: peer, HTTPS: r.TLS != nil}
	if !t.Contains(peer) {
		for _, h := range ForwardingHeaders {
			r.Header.Del(h)
		}
		return info
	}
	info.Addr = t.clientOf(r.Header.Values("X-Forwarded-For"), peer)
	if r.TLS == nil {
		// The proxy nearest us wrote the last value.
		if p := ForwardedProto(r.Header); p != "" {
			info.HTTPS = strings.EqualFold(p, "https")
		}
	}
	return info
}

// clientOf walks X-Forwarded-For from the right: each entry was appended by
// the hop before it, so the first one that is not a trusted proxy is the
// client as far as anyone we trust can tell.
func (t *Trusted) clientOf(xff []string, peer netip.Addr) netip.Addr {
	client := peer
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client // garbage: stop at the last address we believe
			}
			client = a.Unmap()
			if !t.Contains(client) {
				return client
			}
		}
	}
	return client
}

// ForwardedProto is the scheme in h's X-Forwarded-Proto as the proxy
// nearest us wrote it (its last value), or "" when there is none. It is a
// claim: believe it only from a trusted peer.
func ForwardedProto(h http.Header) string {
	vs := h.Values("X-Forwarded-Proto")
	if len(vs) == 0 {
		return ""
	}
	v := vs[len(vs)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

type ctxKey struct{}

// Middleware judges each request once, keeps its Info in the context for Of
// and HTTPS, and strips an untrusted peer's forwarding headers.
func (t *Trusted) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := t.Judge(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
	})
}

// FromRequest returns the Info that Middleware stored. Without Middleware,
// no proxy is trusted: the peer is the client and only r.TLS says HTTPS.
func FromRequest(r *http.Request) Info {
	if info, ok := r.Context().Value(ctxKey{}).(Info); ok {
		return info
	}
	peer := PeerAddr(r.RemoteAddr)
	return Info{Addr: peer, HTTPS: r.TLS != nil}
}

// Of returns the client address of r as a string without port.
func Of(r *http.Request) string { return FromRequest(r).Addr.String() }

// HTTPS reports whether the client of r spoke HTTPS.
func HTTPS(r *http.Request) bool { return FromRequest(r).HTTPS }

// PeerAddr parses a RemoteAddr ("host:port" or a bare host); an address that
// does not parse is the unspecified address, never trusted.
func PeerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}
