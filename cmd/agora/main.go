// Command agora runs every role of the Agora store from one binary:
// `agora up` for the whole stack on one machine, `agora app` for one
// application-tier server, and the operator commands around them.
package main

import "os"

func main() {
	// SIGTERM (Kubernetes, systemd, the supervisor) and SIGINT (Ctrl-C) both
	// start a graceful drain; a second one stops at once, killing what the
	// command started (see stopper).
	ctx := watchSignals(os.Stderr, os.Exit)
	exit(ctx, Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv), os.Exit)
}
