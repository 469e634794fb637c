package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
)

// stopper turns the operator's signals into the two ways a process stops.
// The first SIGTERM (Kubernetes, systemd, the supervisor) or SIGINT
// (Ctrl-C) ends the context Main runs with: a graceful drain. The second
// stops at once: the kill hooks run (`agora up` kills its app instances
// with them, rather than leaving them draining), and the process exits with
// 128 + the signal's number, as a shell reports a process killed by it.
type stopper struct {
	stderr io.Writer
	exit   func(code int)

	mu    sync.Mutex // protects hooks, log and hard
	hooks []*func()
	log   *slog.Logger // Main's, once it has one; until then stderr
	hard  bool         // a second signal is being handled: it decides the exit
	code  int          // the exit code of the second signal, once hard
	// hooksDone is closed once the kill hooks of a second signal ran.
	hooksDone chan struct{}
}

type stopperKey struct{}

// watchSignals starts watching SIGTERM and SIGINT for the life of the
// process and returns the context the first one cancels.
func watchSignals(stderr io.Writer, exit func(int)) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	st := &stopper{stderr: stderr, exit: exit, hooksDone: make(chan struct{})}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-sigs
		cancel()
		st.hardStop(<-sigs)
	}()
	return context.WithValue(ctx, stopperKey{}, st)
}

// onHardStop registers f to run on a second signal, before the exit, and
// returns what removes it again. Outside a process run by main (tests
// calling Main), it does nothing.
func onHardStop(ctx context.Context, f func()) (remove func()) {
	st, _ := ctx.Value(stopperKey{}).(*stopper)
	if st == nil {
		return func() {}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	p := &f
	st.hooks = append(st.hooks, p)
	return func() {
		st.mu.Lock()
		defer st.mu.Unlock()
		st.hooks = slices.DeleteFunc(st.hooks, func(h *func()) bool { return h == p })
	}
}

// useLogger makes the second signal's message go through log.
func useLogger(ctx context.Context, log *slog.Logger) {
	if st, _ := ctx.Value(stopperKey{}).(*stopper); st != nil {
		st.mu.Lock()
		st.log = log
		st.mu.Unlock()
	}
}

// exit ends the process with Main's code, unless a second signal is being
// handled: its hooks make Main return (agora up's app is gone), and the
// exit code is then the signal's, once the hooks are done.
func exit(ctx context.Context, code int, osExit func(int)) {
	if st, _ := ctx.Value(stopperKey{}).(*stopper); st != nil {
		st.mu.Lock()
		hard, code2 := st.hard, st.code
		st.mu.Unlock()
		if hard {
			<-st.hooksDone
			code = code2
		}
	}
	osExit(code)
}

func (st *stopper) hardStop(sig os.Signal) {
	code := 1
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	st.mu.Lock()
	st.hard, st.code = true, code
	hooks, log := slices.Clone(st.hooks), st.log
	st.mu.Unlock()
	const msg = "second signal: stopping at once, without finishing requests"
	if log != nil {
		log.Warn(msg, "signal", sig.String())
	} else {
		fmt.Fprintf(st.stderr, "agora: %s (%s)\n", msg, sig)
	}
	var wg sync.WaitGroup
	for _, h := range hooks {
		wg.Go(*h)
	}
	wg.Wait()
	close(st.hooksDone)
	st.exit(code)
}
