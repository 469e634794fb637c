// Package mediatest starts a real S3-compatible server for tests: Versity
// Gateway (versitygw) with its posix backend on a temporary directory, on a
// free loopback port. It checks request signatures like AWS does, so tests
// against it exercise the same code paths as production S3. There is
// deliberately no fake S3.
//
// The binary is $AGORA_VERSITYGW, else versitygw on PATH; ./scripts/test
// installs it (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0).
// Without it a test fails with instructions; AGORA_TEST_SKIP_S3=1 turns that
// into a skip on a developer machine, never in CI (the rule of
// internal/testdep, shared with the PostgreSQL tests).
package mediatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"agora/internal/testdep"
)

// Region is the region every test server and URL uses.
const Region = "us-east-1"

// Server is a running Versity Gateway with one empty bucket.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// Bucket is the name of the bucket created for the test.
	Bucket string
	// AccessKey and SecretKey are the root credentials the server accepts
	// (random per server).
	AccessKey, SecretKey string
	// Dir is the directory holding the bucket's objects (the posix backend
	// maps an object key to a file below it), for tests that look behind the
	// API.
	Dir string
}

// URL is the bucket's address for media.Open with the credentials in the
// user info, so nothing process-wide (environment variables) is needed:
// s3://ACCESS:SECRET@bucket?endpoint=…&region=us-east-1&use_path_style=true.
func (s *Server) URL() string {
	u := s.bareURL()
	u.User = url.UserPassword(s.AccessKey, s.SecretKey)
	return u.String()
}

// BareURL is URL without credentials: the form an operator uses with
// credentials in the AWS environment variables (see Env).
func (s *Server) BareURL() string { return s.bareURL().String() }

// Env holds the AWS environment variables that carry the credentials, for
// child processes given BareURL.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey, "AWS_REGION=" + Region}
}

func (s *Server) bareURL() *url.URL {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {Region}, "use_path_style": {"true"}}
	return &url.URL{Scheme: "s3", Host: s.Bucket, RawQuery: q.Encode()}
}

// Binary returns the versitygw executable, or an error that says how to get one.
func Binary() (string, error) {
	if p := os.Getenv("AGORA_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AGORA_VERSITYGW=%s: %v", p, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("versitygw")
	if err != nil {
		return "", errors.New("versitygw is not installed: run ./scripts/test (it installs it), or `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` and put it on PATH or in AGORA_VERSITYGW")
	}
	return p, nil
}

// Start starts a server with a fresh bucket for t; it is stopped and its
// directory removed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		testdep.Missing(t, "AGORA_TEST_SKIP_S3", fmt.Errorf("mediatest: %v", err), "S3 tests need Versity Gateway")
	}
	root := t.TempDir()
	s := &Server{Bucket: "media", AccessKey: "agora" + random(6), SecretKey: random(20)}
	s.Dir = filepath.Join(root, s.Bucket)
	// A free port can be taken by another process between our probe and
	// the gateway's bind: then the gateway exits, and we try another.
	for attempt := 1; ; attempt++ {
		err = s.start(t, bin, root)
		if err == nil || attempt == 3 {
			break
		}
	}
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		t.Fatalf("mediatest: create bucket: %v", err)
	}
	return s
}

// start runs the gateway on a free port and waits until it accepts
// connections.
func (s *Server) start(t testing.TB, bin, root string) error {
	addr, err := freePort()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--region", Region,
		"--port", addr, "--quiet", "posix", root)
	// The root credentials travel in argv: they are random, local and
	// throwaway. Output goes to a buffer shown when startup fails.
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	setParentDeath(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	if err := waitListening(addr, exited); err != nil {
		stop()
		return fmt.Errorf("versitygw on %s: %v\n%s", addr, err, out.String())
	}
	t.Cleanup(stop)
	s.Endpoint = "http://" + addr
	return nil
}

// waitListening dials addr until it answers, the process exits, or 30 s
// pass. The gateway prints its banner before it binds, so there is no
// output line to wait for: connecting is the readiness signal.
func waitListening(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after 30s: %v", err)
		}
		select {
		case <-exited:
			return errors.New("exited during startup")
		case <-tick.C:
		}
	}
}

// client is an S3 client for the test's own calls (creating the bucket).
func (s *Server) client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       Region,
		UsePathStyle: true,
		Credentials:  aws.NewCredentialsCache(aws.CredentialsProviderFunc(s.credentials)),
	})
}

func (s *Server) credentials(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey}, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects a child's output; exec copies stdout and stderr from
// two goroutines.
type syncBuffer struct {
	mu  sync.Mutex // protects buf
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
