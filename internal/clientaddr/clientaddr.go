// Package clientaddr tells which client address a request came from, for
// rate limits and logs. Behind Agora's edge (or any proxy on the same
// machine or network the operator trusts) the peer is the proxy, so the
// address it appended to X-Forwarded-For is used instead; from anywhere
// else the header is ignored, since a client can write anything there.
package clientaddr

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Of returns the client address of r as a string without port.
func Of(r *http.Request) string {
	peer := peerAddr(r.RemoteAddr)
	if !trustedProxy(peer) {
		return peer.String()
	}
	// The last entry was appended by the proxy that connected to us; the
	// entries before it are the client's own claims.
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return peer.String()
	}
	parts := strings.Split(xff[len(xff)-1], ",")
	if a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
		return a.Unmap().String()
	}
	return peer.String()
}

func peerAddr(remote string) netip.Addr {
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

// trustedProxy: loopback and private networks, where Agora's own edge runs
// (same machine, or the cluster network on Kubernetes).
func trustedProxy(a netip.Addr) bool {
	return a.IsLoopback() || a.IsPrivate()
}
