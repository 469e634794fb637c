package storetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clockTick is Linux's USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every architecture Go's linux ports run on.
const clockTick = 10 * time.Millisecond

// CPU is the processor time the server has used so far: its postmaster's,
// its finished processes' and its live backends', from /proc (Linux), for
// benchmarks that compare how hard a primary works with and without a
// replica.
func (c *Cluster) CPU(t testing.TB) time.Duration {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		t.Fatalf("storetest: postmaster.pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("storetest: postmaster.pid: %v", err)
	}
	self, err := procTimes(pid)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	total := self.own + self.children
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		p, err := strconv.Atoi(filepath.Base(d))
		if err != nil || p == pid {
			continue
		}
		if pt, err := procTimes(p); err == nil && pt.ppid == pid {
			total += pt.own
		}
	}
	return total
}

type procTime struct {
	ppid          int
	own, children time.Duration // utime+stime; cutime+cstime
}

func procTimes(pid int) (procTime, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procTime{}, err
	}
	// The command is in parentheses and may hold spaces: fields count
	// from after its closing one (state is field 3).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return procTime{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	n := func(i int) int64 { v, _ := strconv.ParseInt(f[i], 10, 64); return v }
	ppid, _ := strconv.Atoi(f[1])
	// utime, stime, cutime, cstime are fields 14-17, here 11-14.
	return procTime{ppid: ppid, own: time.Duration(n(11)+n(12)) * clockTick, children: time.Duration(n(13)+n(14)) * clockTick}, nil
}
