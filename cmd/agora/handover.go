package main

// Edge upgrade without a refused connection: on SIGUSR2 the running edge
// starts the binary on disk with its own arguments and hands it its
// listening sockets (os/exec ExtraFiles); the new process takes
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
	"os/exec"
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
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var spec []string
	for i, ln := range lns {
		tl, ok := ln.(*net.TCPListener)
		if !ok {
			return 0, fmt.Errorf("the %s listener is not a TCP socket", names[i])
		}
		f, err := tl.File() // a duplicate: ours is still open and accepting
		if err != nil {
			return 0, err
		}
		files = append(files, f)
		spec = append(spec, fmt.Sprintf("%s:%d", names[i], 3+i))
	}
	if h3 != nil {
		f, err := h3.File()
		if err != nil {
			return 0, err
		}
		files = append(files, f)
		spec = append(spec, fmt.Sprintf("h3:%d", 2+len(files)))
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	files = append(files, pw)
	spec = append(spec, fmt.Sprintf("ready:%d", 2+len(files)))
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), inheritEnv+"="+strings.Join(spec, ","))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = files
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid = cmd.Process.Pid
	pw.Close() // the child's copy is the one left: EOF when it exits
	files = files[:len(files)-1]
	env.log.Info("edge upgrade: started the new edge process; waiting for it to serve", "pid", pid, "path", exe)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
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
	_ = cmd.Process.Kill()
	if xerr := <-exited; xerr != nil {
		err = fmt.Errorf("%w (%v)", err, xerr)
	}
	return pid, err
}
