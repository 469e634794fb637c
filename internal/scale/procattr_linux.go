package scale

import "syscall"

// sysProcAttr puts the child in its own process group, so a Ctrl-C at the
// terminal reaches only the supervisor, which stops the edge first and then
// the app; and asks the kernel to SIGTERM the child if the supervisor dies
// without doing so (PR_SET_PDEATHSIG, prctl(2)), so no orphan keeps the
// database open.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
