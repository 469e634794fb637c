package scale

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// child is one running app instance.
type child struct {
	cmd     *exec.Cmd
	pid     int
	started time.Time
	serving chan struct{} // closed once it logged its address
	addr    string        // host:port it serves on; read only after serving is closed
	exited  chan struct{} // closed once it exited and its output is read
	err     error         // how it exited; read only after exited is closed
}

func (c *child) exitErr() error {
	<-c.exited
	return c.err
}

// spawn starts an instance with its stdout and stderr on one pipe, read by
// forward until the process (and anything it left holding the pipe) is gone.
func (s *Pool) spawn() (*child, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = s.Env
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("scale: starting the app: %w", err)
	}
	c := &child{cmd: cmd, pid: cmd.Process.Pid, started: time.Now(), serving: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		s.forward(c, pr)
		pr.Close()
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// forward re-logs the child's JSON records through s.Log with "app: " before
// the message, so they never pass for the parent's own (a supervisor log
// reader looking for "msg=serving" must find the edge, not the app). Lines
// that are not JSON, such as a panic's stack, are logged whole.
func (s *Pool) forward(c *child, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		s.forwardLine(c, sc.Bytes())
	}
	_, _ = io.Copy(io.Discard, r) // after an overlong line: never block the child on a full pipe
}

func (s *Pool) forwardLine(c *child, line []byte) {
	var rec map[string]any
	if err := json.Unmarshal(line, &rec); err != nil || rec["msg"] == nil {
		s.Log.Warn("app output", "pid", c.pid, "line", string(line))
		return
	}
	msg, _ := rec["msg"].(string)
	level := parseLevel(rec["level"])
	attrs := []any{"pid", c.pid}
	keys := slices.Sorted(maps.Keys(rec))
	for _, k := range keys {
		if k != "time" && k != "level" && k != "msg" {
			attrs = append(attrs, k, rec[k])
		}
	}
	// One prefix: a child that names itself already is not named twice.
	s.Log.Log(context.Background(), level, "app: "+strings.TrimPrefix(msg, "app: "), attrs...)
	if msg == "serving" {
		if addr := hostOf(rec["url"]); addr != "" {
			select {
			case <-c.serving:
			default:
				c.addr = addr
				close(c.serving)
			}
		}
	}
}

func parseLevel(v any) slog.Level {
	var l slog.Level
	if s, ok := v.(string); ok && l.UnmarshalText([]byte(s)) == nil {
		return l
	}
	return slog.LevelInfo
}

// hostOf returns the host:port of a logged http URL, or "".
func hostOf(v any) string {
	s, _ := v.(string)
	u, err := url.Parse(s)
	if err != nil || !strings.HasPrefix(u.Scheme, "http") {
		return ""
	}
	return u.Host
}
