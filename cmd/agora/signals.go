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

	mu    sync.Mutex // protects hooks and log
	hooks []*func()
	log   *slog.Logger // Main's, once it has one; until then stderr
}

type stopperKey struct{}

// watchSignals starts watching SIGTERM and SIGINT for the life of the
// process and returns the context the first one cancels.
func watchSignals(stderr io.Writer, exit func(int)) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	st := &stopper{stderr: stderr, exit: exit}
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

func (st *stopper) hardStop(sig os.Signal) {
	st.mu.Lock()
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
	code := 1
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	st.exit(code)
}
