// Command agora runs every role of the Agora store from one binary:
// `agora up` for the whole stack on one machine, `agora app` for one
// application-tier server, and the operator commands around them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGTERM (Kubernetes, systemd, the supervisor) and SIGINT (Ctrl-C) both
	// start a graceful drain; a second signal kills at once (NotifyContext
	// restores the default handler after the first).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	os.Exit(Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
