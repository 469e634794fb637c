package kubernetes

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// buildAgora builds the agora binary for a test of this package, with the
// race detector: go test -race has compiled every dependency that way
// already, where a plain build compiled them all again (6½ minutes of a
// cold CI run on 2 cores).
func buildAgora(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the agora binary")
	}
	bin := filepath.Join(t.TempDir(), "agora")
	out, err := exec.Command("go", "build", "-race", "-o", bin, "agora/cmd/agora").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// helpFlag matches a flag line of `agora CMD --help`: "  --name  [AGORA_NAME]".
var helpFlag = regexp.MustCompile(`(?m)^  --([a-z0-9-]+)  \[(AGORA_[A-Z0-9_]+)\]`)

// TestManifestsUseRealFlags checks every flag in the manifests' args and
// every AGORA_* variable in their env against `agora CMD --help`, and
// starts app and edge with the manifests' arguments (listeners moved to
// loopback, data to a temporary SQLite store) to see each probe's route
// answer 200 on the port the probe names, and the HPA's metric exported.
func TestManifestsUseRealFlags(t *testing.T) {
	bin := buildAgora(t)
	known := map[string]map[string]bool{} // command → flag names and env names
	for _, cmd := range []string{"app", "edge", "migrate"} {
		out, _ := exec.Command(bin, cmd, "--help").CombinedOutput() // exits 0 or 2 by version; the text is what counts
		known[cmd] = map[string]bool{}
		for _, m := range helpFlag.FindAllStringSubmatch(string(out), -1) {
			known[cmd]["--"+m[1]] = true
			known[cmd][m[2]] = true
		}
		if len(known[cmd]) == 0 {
			t.Fatalf("agora %s --help lists no flags:\n%s", cmd, out)
		}
	}
	for _, name := range overlays(t) {
		o := buildOverlay(t, name)
		ns := namespaceOf(t, o)
		var specs []*corev1.PodSpec
		for _, d := range o.deploys {
			specs = append(specs, &d.Spec.Template.Spec)
		}
		for _, j := range o.jobs {
			specs = append(specs, &j.Spec.Template.Spec)
		}
		for _, spec := range specs {
			for _, ac := range agoraContainers(t, spec, ns) {
				flags, ok := known[ac.role]
				if !ok {
					t.Errorf("%s: container %s runs agora %s, which this test does not know", name, ac.c.Name, ac.role)
					continue
				}
				for f := range ac.flags {
					if !flags["--"+f] {
						t.Errorf("%s: agora %s has no flag --%s", name, ac.role, f)
					}
				}
				for _, e := range ac.c.Env {
					if strings.HasPrefix(e.Name, "AGORA_") && !flags[e.Name] {
						t.Errorf("%s: agora %s reads no variable %s", name, ac.role, e.Name)
					}
				}
			}
		}
	}

	t.Run("probes answer", func(t *testing.T) { probesAnswer(t, bin) })
}

// probesAnswer runs the production overlay's app and edge on loopback.
func probesAnswer(t *testing.T, bin string) {
	o := buildOverlay(t, "production")
	_, app := appContainer(t, o, "app")
	_, edge := appContainer(t, o, "edge")

	dir := t.TempDir()
	secretFile := filepath.Join(dir, "cluster-secret")
	if err := os.WriteFile(secretFile, []byte("test-cluster-secret-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := "sqlite:" + filepath.Join(dir, "agora.db")
	env := []string{"AGORA_DB=" + db, "AGORA_MEDIA=file://" + filepath.Join(dir, "media")}
	if out, err := runEnv(exec.Command(bin, "migrate"), env).CombinedOutput(); err != nil {
		t.Fatalf("agora migrate: %v\n%s", err, out)
	}

	// Each listener flag moves to a free loopback port; the probes reach
	// it through the containerPort the manifest maps to the same flag.
	appPorts := map[int32]string{} // containerPort → loopback address
	appArgs := localArgs(t, app, secretFile, appPorts, nil)
	startAgora(t, bin, appArgs, append(env, literalEnv(app.c)...))

	edgePorts := map[int32]string{}
	backend := "http://" + appPorts[app.listenPort(t, "listen")]
	edgeArgs := localArgs(t, edge, secretFile, edgePorts, map[string]string{"backends": backend})
	startAgora(t, bin, edgeArgs, literalEnv(edge.c))

	for _, c := range []struct {
		ac    agoraContainer
		ports map[int32]string
	}{{app, appPorts}, {edge, edgePorts}} {
		for kind, p := range map[string]*corev1.Probe{"startup": c.ac.c.StartupProbe, "liveness": c.ac.c.LivenessProbe, "readiness": c.ac.c.ReadinessProbe} {
			addr := c.ports[containerPort(c.ac.c, p.HTTPGet.Port)]
			if code, _ := get(t, "http://"+addr+p.HTTPGet.Path); code != http.StatusOK {
				t.Errorf("agora %s: %s probe GET %s on %s: %d", c.ac.role, kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), code)
			}
		}
	}
	// The series the HPA scales on, where Prometheus scrapes it.
	metrics := appPorts[containerPort(app.c, intstr.FromString("metrics"))]
	if code, body := get(t, "http://"+metrics+"/metrics"); code != http.StatusOK || !strings.Contains(body, "\nagora_http_in_flight ") {
		t.Errorf("app metrics: %d, agora_http_in_flight exported: %v", code, strings.Contains(body, "agora_http_in_flight"))
	}
	if code, _ := get(t, "http://"+edgePorts[containerPort(edge.c, intstr.FromString("admin"))]+"/metrics"); code != http.StatusOK {
		t.Errorf("edge metrics: %d", code)
	}
}

// localArgs rewrites a container's args for a process on this machine:
// listeners to free loopback ports (recorded in ports by container port),
// the secret file to path, and the flags in replace to their values.
func localArgs(t *testing.T, ac agoraContainer, secretFile string, ports map[int32]string, replace map[string]string) []string {
	t.Helper()
	args := []string{ac.role}
	for _, name := range sortedKeys(ac.flags) {
		v := ac.flags[name]
		switch {
		case replace[name] != "":
			v = replace[name]
		case name == "cluster-secret-file":
			v = secretFile
		case slices.Contains(sortedKeys(listeners[ac.role]), name):
			addr := freeAddr(t)
			ports[ac.listenPort(t, name)] = addr
			v = addr
		}
		args = append(args, "--"+name+"="+v)
	}
	return args
}

// literalEnv is the container's env that has a literal value.
func literalEnv(c *corev1.Container) []string {
	var env []string
	for _, e := range c.Env {
		if e.ValueFrom == nil && strings.HasPrefix(e.Name, "AGORA_") {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	return env
}

// runEnv gives cmd this process's environment without AGORA_* variables,
// plus env.
func runEnv(cmd *exec.Cmd, env []string) *exec.Cmd {
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AGORA_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startAgora starts agora and waits until every address it was told to
// listen on accepts connections. The process is killed at cleanup: its
// drain is the e2e tests' business, not this one's.
func startAgora(t *testing.T, bin string, args, env []string) {
	t.Helper()
	var out syncBuffer
	cmd := runEnv(exec.Command(bin, args...), env)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed once the process is gone; waitErr is then set.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("agora %v:\n%s", args, out.String())
		}
	})
	var addrs []string
	for _, a := range args {
		if name, v, _ := strings.Cut(a, "="); strings.HasSuffix(name, "listen") {
			addrs = append(addrs, v)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, addr := range addrs {
		for {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				t.Fatalf("agora %v exited: %v", args, waitErr)
			case <-ctx.Done():
				t.Fatalf("agora %v: %s never listened", args, addr)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// syncBuffer is a bytes.Buffer the process's output goroutine writes while
// the test may read it.
type syncBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
