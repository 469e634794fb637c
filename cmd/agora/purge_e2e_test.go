package main_test

// `agora purge` end to end (DESIGN.md "Purge log", "Edge admin listener"):
// the real command against a real `agora edge` in front of a real
// `agora app`, seen the way an operator and a shopper see it.

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

var printedSeq = regexp.MustCompile(`^(?:soft-)?purged .* through the purge log: seq (\d+) \(every edge following the log applies it\)\n$`)

// purgeRun runs agora purge against tier's edge with the given arguments,
// fails t if the secret shows in the output, and returns what run does.
func (tier *edgeTier) purgeRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	code, stdout, stderr = run(t, append([]string{"purge", "--admin", tier.admin}, args...)...)
	if strings.Contains(stdout+stderr, tier.secret) {
		t.Errorf("agora purge %q printed the cluster secret:\n%s%s", args, stdout, stderr)
	}
	return code, stdout, stderr
}

// warm fetches url through the edge until it is stored, and fails t unless
// the second GET is a hit.
func warm(t *testing.T, c *http.Client, url string) {
	t.Helper()
	fetch(t, c, newGet(t, url))
	if resp, _ := fetch(t, c, newGet(t, url)); !isHit(resp) {
		t.Fatalf("second GET %s: Cache-Status %q, want a hit", url, resp.Header.Get("Cache-Status"))
	}
}

// fwdMiss is the Cache-Status of a request the edge had nothing stored
// for (RFC 9211 §2.2: fwd=uri-miss, or the vaguer miss).
var fwdMiss = regexp.MustCompile(`^agora; fwd=(?:uri-)?miss\b`)

// wantMiss fails t unless a GET of url goes to the origin because the
// edge holds nothing for it.
func wantMiss(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, _ := fetch(t, c, newGet(t, url))
	if cs := resp.Header.Get("Cache-Status"); resp.StatusCode != 200 || !fwdMiss.MatchString(cs) {
		t.Errorf("GET %s after the purge: %d, Cache-Status %q; want 200 and fwd=uri-miss", url, resp.StatusCode, cs)
	}
}

// TestPurgeE2E: purges by tag, soft, by URL and of everything reach the
// cache of the edge at --admin through the purge log; mistakes are refused
// with a message that says what to do.
func TestPurgeE2E(t *testing.T) {
	t.Parallel()
	tier := startEdgeTier(t, 1)
	c := &http.Client{}
	_, home := fetch(t, c, newGet(t, tier.edge.url+"/"))
	m := productLink.FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("home links to no product:\n%.2000s", home)
	}
	path, page := m[1], tier.edge.url+m[1]
	// The tag comes from the app directly: the edge strips Surrogate-Key.
	resp, _ := get(t, tier.apps[0].url+path)
	tag := regexp.MustCompile(`\bproduct-\d+\b`).FindString(resp.Header.Get("Surrogate-Key"))
	if tag == "" {
		t.Fatalf("GET %s from the app: Surrogate-Key %q, want a product-{id} tag", path, resp.Header.Get("Surrogate-Key"))
	}

	var lastSeq string
	purged := func(t *testing.T, args ...string) {
		t.Helper()
		code, out, errOut := tier.purgeRun(t, args...)
		m := printedSeq.FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("agora purge %q: exit %d, stdout %q, stderr %q; want 0 and the seq", args, code, out, errOut)
		}
		if m[1] == lastSeq {
			t.Errorf("agora purge %q: seq %s again, want a new purge log entry", args, m[1])
		}
		lastSeq = m[1]
	}

	t.Run("by tag", func(t *testing.T) {
		warm(t, c, page)
		purged(t, "--cluster-secret", tier.secret, tag)
		wantMiss(t, c, page)
	})
	t.Run("soft serves stale once, then fresh", func(t *testing.T) {
		warm(t, c, page)
		purged(t, "--cluster-secret", tier.secret, "--soft", tag)
		resp, _ := fetch(t, c, newGet(t, page))
		if cs := resp.Header.Get("Cache-Status"); !isHit(resp) || !strings.Contains(cs, "detail=stale-while-revalidate") {
			t.Fatalf("GET %s after a soft purge: Cache-Status %q, want a stale-while-revalidate hit", page, cs)
		}
		deadline := time.Now().Add(60 * time.Second) // a failsafe for a broken test, inside the pages' 300 s s-maxage: each turn is a real check
		for {
			resp, _ := fetch(t, c, newGet(t, page))
			cs := resp.Header.Get("Cache-Status")
			if isHit(resp) && !strings.Contains(cs, "stale") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s 10 s after a soft purge: Cache-Status %q, want a fresh hit once the background refresh stored the page", page, cs)
			}
			time.Sleep(10 * time.Millisecond) // the poll's pace, not a synchronization
		}
	})
	t.Run("by URL, secret from AGORA_CLUSTER_SECRET", func(t *testing.T) {
		warm(t, c, page)
		cmd := exec.Command(binary, "purge", "--admin", tier.admin, page)
		cmd.Env = append(cleanEnv(), "AGORA_CLUSTER_SECRET="+tier.secret)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil || !printedSeq.MatchString(out.String()) {
			t.Fatalf("agora purge %s: %v, stdout %q, stderr %q; want exit 0 and the seq", page, err, out.String(), errOut.String())
		}
		wantMiss(t, c, page)
	})
	t.Run("AGORA_ALL left in the environment purges nothing", func(t *testing.T) {
		warm(t, c, page)
		cmd := exec.Command(binary, "purge", "--admin", tier.admin, "--cluster-secret", tier.secret)
		cmd.Env = append(cleanEnv(), "AGORA_ALL=true", "AGORA_SOFT=true")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "nothing to purge") {
			t.Fatalf("agora purge with AGORA_ALL=true: %v, %q; want exit 2, nothing to purge", err, out)
		}
		if resp, _ := fetch(t, c, newGet(t, page)); !isHit(resp) {
			t.Errorf("the page was purged: Cache-Status %q", resp.Header.Get("Cache-Status"))
		}
	})
	t.Run("everything", func(t *testing.T) {
		warm(t, c, page)
		warm(t, c, tier.edge.url+"/")
		purged(t, "--cluster-secret", tier.secret, "--all")
		wantMiss(t, c, page)
		wantMiss(t, c, tier.edge.url+"/")
	})

	t.Run("mistakes", func(t *testing.T) {
		const wrong = "not-the-cluster-secret"
		cases := []struct {
			name string
			args []string
			code int
			want string
		}{
			{"nothing to purge", []string{"--cluster-secret", tier.secret}, 2, "nothing to purge: give tags"},
			{"--all with a tag", []string{"--cluster-secret", tier.secret, "--all", tag}, 2, "give it no tags or URLs"},
			{"no secret", []string{tag}, 2, "--cluster-secret (or AGORA_CLUSTER_SECRET) is required"},
			{"wrong secret", []string{"--cluster-secret", wrong, tag}, 1, "give --cluster-secret (or AGORA_CLUSTER_SECRET) the secret the edge was started with"},
			{"flag after a tag", []string{"--cluster-secret", tier.secret, tag, "--soft"}, 2, "flags go before the tags and URLs"},
			{"reserved tag", []string{"--cluster-secret", tier.secret, "agora:all"}, 2, `the prefix "agora:" is reserved: purge URLs as arguments, everything with --all`},
			{"empty tag", []string{"--cluster-secret", tier.secret, ""}, 2, "a tag cannot be empty"},
			{"bad --admin", []string{"--cluster-secret", tier.secret, "--admin", "127.0.0.1:8081", tag}, 2, "want the edge's admin listener as a URL"},
			{"public listener as --admin", []string{"--cluster-secret", tier.secret, "--admin", tier.edge.url, tag}, 1, "is --admin the edge's admin listener"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				code, out, errOut := tier.purgeRun(t, tc.args...)
				errOut = withoutArgvWarning(errOut) // the secret is in argv here
				if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
					t.Errorf("agora purge %q: exit %d, stdout %q, stderr %q; want exit %d, one line saying %q", tc.args, code, out, errOut, tc.code, tc.want)
				}
				if strings.Contains(errOut, wrong) {
					t.Errorf("agora purge printed the secret it was given: %q", errOut)
				}
			})
		}
	})
}

// TestPurgeE2EForeignOrigin: in front of an origin with no purge log, the
// edge applies the purge alone, and the command says so and fails.
func TestPurgeE2EForeignOrigin(t *testing.T) {
	t.Parallel()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, s-maxage=3600")
		w.Header().Set("Surrogate-Key", "page")
		w.Write([]byte("<!doctype html><title>foreign</title>"))
	}))
	defer origin.Close()
	const secret = "foreign-secret"
	e, admin := startEdge(t, "--backends", origin.URL, "--cluster-secret", secret)
	c := &http.Client{}
	warm(t, c, e.url+"/page")

	code, out, errOut := run(t, "purge", "--admin", admin, "--cluster-secret", secret, "page")
	if code != 1 || out != "" || !strings.Contains(errOut, "applied on this edge only (1 stored response purged)") ||
		!strings.Contains(errOut, "run the purge again once the app tier answers") {
		t.Errorf("agora purge in front of a foreign origin: exit %d, stdout %q, stderr %q; want exit 1 saying it applied on this edge only", code, out, errOut)
	}
	if strings.Contains(out+errOut, secret) {
		t.Errorf("agora purge printed the cluster secret: %q", errOut)
	}
	wantMiss(t, c, e.url+"/page")
}

// TestPurgeE2EPurgesDisabled: an edge started without a cluster secret
// refuses purges, and the command passes on what to do about it.
func TestPurgeE2EPurgesDisabled(t *testing.T) {
	t.Parallel()
	origin := httptest.NewServer(http.NotFoundHandler())
	defer origin.Close()
	_, admin := startEdge(t, "--backends", origin.URL)
	code, out, errOut := run(t, "purge", "--admin", admin, "--cluster-secret", "some-secret", "home")
	if code != 1 || out != "" || !strings.Contains(errOut, "cannot purge: purges are disabled: start the edge with --cluster-secret") {
		t.Errorf("agora purge against an edge without a secret: exit %d, stdout %q, stderr %q; want exit 1 saying purges are disabled", code, out, errOut)
	}
	if strings.Contains(errOut, "some-secret") {
		t.Errorf("agora purge printed the cluster secret: %q", errOut)
	}
}
