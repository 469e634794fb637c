package main

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// nonblocking reports whether the socket behind c is in non-blocking mode.
func nonblocking(t *testing.T, c syscall.Conn) bool {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		flags, ferr = fcntl(fd, syscall.F_GETFL)
	}); err != nil || ferr != nil {
		t.Fatalf("F_GETFL: %v %v", err, ferr)
	}
	return flags&syscall.O_NONBLOCK != 0
}

func fcntl(fd uintptr, cmd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, uintptr(cmd), 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// TestHandOverKeepsOurSocketsNonBlocking: the sockets an upgrade hands on
// share their file status with ours, so handing them on must not put them
// in blocking mode (os/exec's ExtraFiles does, through File.Fd). In
// blocking mode the goroutine reading the --http3 UDP socket sits in
// recvmmsg where closing the socket cannot wake it, and the old edge never
// exits after the upgrade; an Accept waits the same way for the next
// connection.
func TestHandOverKeepsOurSocketsNonBlocking(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	if !nonblocking(t, ln.(*net.TCPListener)) || !nonblocking(t, udp) {
		t.Fatal("a new socket is already in blocking mode")
	}
	// The new "edge": says ready on the pipe its environment names.
	exe := filepath.Join(t.TempDir(), "new-edge")
	script := "#!/bin/sh\nfd=${" + inheritEnv + "##*ready:}\neval \"echo ready >&$fd\"\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := &cmdEnv{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := handOver(env, exe, []net.Listener{ln}, []string{"public"}, udp); err != nil {
		t.Fatalf("handOver: %v", err)
	}
	if !nonblocking(t, ln.(*net.TCPListener)) {
		t.Error("after the handover our TCP listener is in blocking mode")
	}
	if !nonblocking(t, udp) {
		t.Error("after the handover our UDP socket is in blocking mode")
	}
}
