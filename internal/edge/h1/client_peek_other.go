//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package h1

// peerClosed cannot look without a read: the round trip's stale retry
// covers a closed connection.
func (cn *clientConn) peerClosed() bool { return false }
