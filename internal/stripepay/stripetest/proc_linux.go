package stripetest

import (
	"os/exec"
	"syscall"
)

// setParentDeath kills stripe-mock when the test binary dies without
// running its cleanups (a panic, a timeout), so no server outlives a run.
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
