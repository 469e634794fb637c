//go:build linux || darwin || freebsd || netbsd || openbsd

package h1

import (
	"syscall"
)

// peerClosed reports whether the backend has closed (or reset) cn while it
// was idle, by a non-blocking peek at the socket: one system call, no
// goroutine reading in the background as net/http keeps. A connection
// with bytes waiting is also unusable (nothing was asked), so it counts as
// closed.
func (cn *clientConn) peerClosed() bool {
	sc, ok := cn.nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK:
			// Open and quiet: the usual case.
		case rerr != nil, n == 0, n > 0:
			closed = true
		}
		return true // never wait for readiness
	})
	return err != nil || closed
}
