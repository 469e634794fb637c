package main

// Edge upgrade without a refused connection: on SIGUSR2 the running edge
// starts the binary on disk with its own arguments and hands it its
// listening sockets (inherited descriptors); the new process takes
// connections from the same sockets once its pool has a backend to send
// them to, says so on a pipe, and the old process then stops accepting and
// drains as on SIGTERM. The kernel's accept queue is shared, so no
// connection is refused in between. This is the nginx binary upgrade
// (USR2), with a pipe for "ready" instead of a pid file. The UDP socket
// of --http3 goes too ("h3"), but QUIC connections do not: the old
// process closes them once the new one serves (serve_edge.go). `agora edge` and
// `agora up` both do it; the new `agora up` starts its own app instances
// before it serves, and the old one stops its own after its drain.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"agora/internal/edge"
	"agora/internal/edge/balance"
)

// inheritEnv tells a new edge process which of its file descriptors are
// the listeners it inherits, the UDP socket of --http3, and the pipe to
// say it serves, as "public:3,admin:4,h3:5,ready:6".
const inheritEnv = "AGORA_INHERIT_FDS"

// handoverWait bounds the old process's wait for the new one to serve (its
// backends must pass their checks first); past it the new process is
// killed and the old one keeps serving.
const handoverWait = time.Minute

// inherited are the sockets a new edge process got from the old one.
type inherited struct {
	// listeners by name: public, admin, http (the redirect listener of
	// --http-listen); those not inherited are missing.
	listeners map[string]net.Listener
	// h3 is the UDP socket of --http3, if inherited.
	h3    net.PacketConn
	ready *os.File // written "ready" once serving; nil when not inherited
}

// takeInherited reads inheritEnv, once: the variable is removed so that
// this process's own children (and its own later upgrade) do not see it.
// agora up calls it before it starts any child.
func takeInherited() (inherited, error) {
	var in inherited
	spec := os.Getenv(inheritEnv)
	if spec == "" {
		return in, nil
	}
	os.Unsetenv(inheritEnv)
	for _, part := range strings.Split(spec, ",") {
		name, num, _ := strings.Cut(part, ":")
		fd, err := strconv.Atoi(num)
		if err != nil || fd < 3 {
			return in, fmt.Errorf("%s=%q: want NAME:FD pairs such as public:3", inheritEnv, spec)
		}
		// Inherited descriptors lack close-on-exec: without it, agora up's
		// app instances would hold the listeners and the pipe (whose EOF
		// the old process waits for) open.
		syscall.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), name)
		if name == "ready" {
			in.ready = f
			continue
		}
		if name == "h3" {
			pc, err := net.FilePacketConn(f) // a copy, as below
			f.Close()
			if err != nil {
				return in, fmt.Errorf("inherited UDP socket h3 (fd %d): %w", fd, err)
			}
			in.h3 = pc
			continue
		}
		ln, err := net.FileListener(f) // a copy of the socket: f is ours to close
		f.Close()
		if err != nil {
			return in, fmt.Errorf("inherited listener %s (fd %d): %w", name, fd, err)
		}
		if in.listeners == nil {
			in.listeners = map[string]net.Listener{}
		}
		in.listeners[name] = ln
	}
	return in, nil
}

// listenOr is the inherited listener if there is one, else a new one on
// addr.
func listenOr(ln net.Listener, addr string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	return net.Listen("tcp", addr)
}

// awaitBackend waits, at most handoverWait, until e's pool has a backend
// to send requests to: a new edge must not take connections from the
// shared socket before it can answer them. A pool without members (DNS
// has not answered yet) does not wait.
func awaitBackend(ctx context.Context, e *edge.Edge) {
	deadline := time.Now().Add(handoverWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st := e.Pool.Status()
		if len(st.Backends) == 0 {
			return
		}
		for _, b := range st.Backends {
			if b.State == balance.Healthy || b.State == balance.SlowStart {
				return
			}
		}
		time.Sleep(20 * time.Millisecond) // a poll's pace: the checks run on their own
	}
}

// handOver starts exe with this process's arguments and lns (named by
// names) inherited, and h3 (--http3's UDP socket) if not nil, and returns
// once it serves on them; on an error the new process is gone and this
// one keeps serving.
func handOver(env *cmdEnv, exe string, lns []net.Listener, names []string, h3 *net.UDPConn) (pid int, err error) {
	// Duplicates of our sockets, taken without File: File's descriptor
	// goes through File.Fd on its way to the child (os/exec ExtraFiles),
	// which puts it in blocking mode, and a duplicate shares that mode with
	// ours. A goroutine of ours would then read or accept in a system call
	// that closing the socket cannot interrupt, and this process would
	// never exit after the handover (handover_test.go).
	var fds []int
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	var spec []string
	for i, ln := range lns {
		tl, ok := ln.(*net.TCPListener)
		if !ok {
			return 0, fmt.Errorf("the %s listener is not a TCP socket", names[i])
		}
		fd, err := dupSocket(tl)
		if err != nil {
			return 0, fmt.Errorf("the %s listener: %w", names[i], err)
		}
		fds = append(fds, fd)
		spec = append(spec, fmt.Sprintf("%s:%d", names[i], 2+len(fds)))
	}
	if h3 != nil {
		fd, err := dupSocket(h3)
		if err != nil {
			return 0, fmt.Errorf("the HTTP/3 socket: %w", err)
		}
		fds = append(fds, fd)
		spec = append(spec, fmt.Sprintf("h3:%d", 2+len(fds)))
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	spec = append(spec, fmt.Sprintf("ready:%d", 3+len(fds)))
	files := []uintptr{os.Stdin.Fd(), os.Stdout.Fd(), os.Stderr.Fd()}
	for _, fd := range fds {
		files = append(files, uintptr(fd))
	}
	files = append(files, pw.Fd()) // a pipe: blocking mode is what the child wants
	pid, err = syscall.ForkExec(exe, append([]string{exe}, os.Args[1:]...), &syscall.ProcAttr{
		Env:   append(os.Environ(), inheritEnv+"="+strings.Join(spec, ",")),
		Files: files,
	})
	pw.Close() // the child's copy is the one left: EOF when it exits
	if err != nil {
		return 0, err
	}
	proc, err := os.FindProcess(pid)
	if err != nil { // never on Unix; the child is there
		return 0, err
	}
	env.log.Info("edge upgrade: started the new edge process; waiting for it to serve", "pid", pid, "path", exe)
	exited := make(chan error, 1)
	go func() {
		st, err := proc.Wait()
		if err == nil && !st.Success() {
			err = errors.New(st.String())
		}
		exited <- err
	}()
	said := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(pr, 64))
		said <- strings.TrimSpace(string(b))
	}()
	t := time.NewTimer(handoverWait)
	defer t.Stop()
	select {
	case s := <-said:
		if s == "ready" {
			return pid, nil
		}
		err = errors.New("it exited before serving")
	case <-t.C:
		err = fmt.Errorf("it did not serve within %s", handoverWait)
	}
	_ = proc.Kill()
	if xerr := <-exited; xerr != nil {
		err = fmt.Errorf("%w (%v)", err, xerr)
	}
	return pid, err
}

// dupSocket returns a duplicate of c's descriptor, close-on-exec (ForkExec
// clears that on the ones it hands on), without touching its mode.
func dupSocket(c syscall.Conn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) {
		syscall.ForkLock.RLock() // no fork between the dup and close-on-exec
		defer syscall.ForkLock.RUnlock()
		if nfd, derr = syscall.Dup(int(fd)); derr == nil {
			syscall.CloseOnExec(nfd)
		}
	}); err != nil {
		return -1, err
	}
	return nfd, derr
}
