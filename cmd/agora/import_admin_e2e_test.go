package main_test

// The merchant's bulk update from the admin (issue 16), with the real
// binary: export, change every price in the file, upload it, read the
// diff, confirm, follow the progress, and export again.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestAdminImportRoundTrip(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := storetest.URL(t, d)
			mediaDir := t.TempDir()
			if code, _, errOut := run(t, "migrate", "--db", db); code != 0 {
				t.Fatalf("migrate: %s", errOut)
			}
			if code, _, errOut := run(t, "seed", "--db", db, "--media", mediaDir, "--products", "100", "--categories", "6", "--quiet"); code != 0 {
				t.Fatalf("seed: %s", errOut)
			}
			if code, _, errOut := runStdin(t, "owner password 1\n", "user", "create", "--db", db, "--email", "o@example.com", "--name", "O", "--role", "owner", "--password-stdin"); code != 0 {
				t.Fatalf("user create: %s", errOut)
			}
			s := start(t, "app", "--db", db, "--media", mediaDir, "--listen", "127.0.0.1:0", "--drain-delay", "0s")
			defer s.stop(t)
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := c.PostForm(s.url+"/admin/login", url.Values{"email": {"o@example.com"}, "password": {"owner password 1"}})
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login: %v %v", resp, err)
			}
			resp.Body.Close()

			exported := getText(t, c, s.url+"/admin/products/export.csv")
			edited, changed := raisePrices(t, exported)

			// Upload: checked in the background, nothing written yet.
			job := uploadCSV(t, c, s.url, "prices.csv", edited, http.StatusSeeOther)
			p := waitImport(t, c, s.url, job, "checked")
			html := getText(t, c, s.url+"/admin/imports/"+job)
			if !strings.Contains(html, fmt.Sprintf("Apply these %d changes", changed)) || !strings.Contains(html, `<td>price</td>`) {
				t.Fatalf("the diff page does not offer the %d price changes:\n%s", changed, html)
			}
			if again := getText(t, c, s.url+"/admin/products/export.csv"); again != exported {
				t.Fatal("the check changed the catalog")
			}

			// Confirm: applied in steps; the progress reaches the whole file.
			resp, err = c.PostForm(s.url+"/admin/imports/"+job+"/confirm", nil)
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("confirm: %v %v", resp, err)
			}
			resp.Body.Close()
			p = waitImport(t, c, s.url, job, "done")
			if p.Percent != 100 || p.RowsDone != p.Rows || p.Rows == 0 {
				t.Fatalf("progress when done: %+v", p)
			}
			if after := getText(t, c, s.url+"/admin/products/export.csv"); after != edited {
				t.Fatalf("the export after the import differs from the edited file")
			}

			// A file far over the limit, declared or streamed: refused
			// without reading it whole, and no import is started.
			refuseHugeUpload(t, c, s.url)
			if list := getText(t, c, s.url+"/admin/imports"); strings.Count(list, "data-import=") != 1 {
				t.Fatalf("the refused uploads left imports behind:\n%s", list)
			}

			// Rolled back: the export is the original again.
			resp, err = c.PostForm(s.url+"/admin/imports/"+job+"/undo", nil)
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("undo: %v %v", resp, err)
			}
			resp.Body.Close()
			waitImport(t, c, s.url, job, "undone")
			if back := getText(t, c, s.url+"/admin/products/export.csv"); back != exported {
				t.Fatal("the export after the rollback differs from the original")
			}
		})
	}
}

func getText(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return string(b)
}

// raisePrices adds 1.00 to every price of an exported file, written back
// as the export writes it (a BOM, then CRLF-free CSV).
func raisePrices(t *testing.T, exported string) (string, int) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(exported, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "price" {
			col = i
		}
	}
	for _, r := range recs[1:] {
		f, _ := strconv.ParseFloat(r[col], 64)
		r[col] = strconv.FormatFloat(f+1, 'f', 2, 64)
	}
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	return b.String(), len(recs) - 1
}

// uploadCSV posts a file to /admin/imports and returns the job's id from
// the redirect.
func uploadCSV(t *testing.T, c *http.Client, base, name, body string, want int) string {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", name)
	io.WriteString(fw, body)
	mw.WriteField("update_only", "1")
	mw.Close()
	resp, err := c.Post(base+"/admin/imports", mw.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("upload: %d, want %d\n%s", resp.StatusCode, want, msg)
	}
	return strings.TrimPrefix(resp.Header.Get("Location"), "/admin/imports/")
}

type importProgress struct {
	State    string `json:"state"`
	Percent  int    `json:"percent"`
	Rows     int    `json:"rows"`
	RowsDone int    `json:"rows_done"`
	Error    string `json:"error"`
}

// waitImport polls the job's progress until it reaches state (or ends in
// another final one), as the page's script does.
func waitImport(t *testing.T, c *http.Client, base, job, state string) importProgress {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	var p importProgress
	for time.Now().Before(deadline) {
		if err := json.Unmarshal([]byte(getText(t, c, base+"/admin/imports/"+job+"/progress")), &p); err != nil {
			t.Fatal(err)
		}
		switch p.State {
		case state:
			return p
		case "refused", "failed", "cancelled", "done", "undone":
			t.Fatalf("import %s ended %s (%s), want %s", job, p.State, p.Error, state)
		}
		time.Sleep(50 * time.Millisecond) // polling the server's state, as the page does
	}
	t.Fatalf("import %s still %s after 2 minutes, want %s", job, p.State, state)
	return p
}

// refuseHugeUpload sends a 1 GiB file twice: with its length declared
// (refused before a byte is read) and streamed (the server stops reading
// past its limit).
func refuseHugeUpload(t *testing.T, c *http.Client, base string) {
	t.Helper()
	const size = 1 << 30
	req, _ := http.NewRequest("POST", base+"/admin/imports", io.LimitReader(zeros{}, size))
	req.ContentLength = size
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, err := c.Do(req)
	if err == nil {
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "too large") {
			t.Errorf("declared 1 GiB upload: %d %s", resp.StatusCode, msg)
		}
	}

	var sent atomic.Int64
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, _ := mw.CreateFormFile("file", "huge.csv")
		io.WriteString(fw, csvHeader)
		_, err := io.Copy(fw, io.LimitReader(countingZeros{&sent}, size))
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, _ = http.NewRequest("POST", base+"/admin/imports", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err = c.Do(req)
	pr.CloseWithError(io.ErrClosedPipe)
	if err == nil {
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "larger than 64 MiB") {
			t.Errorf("streamed 1 GiB upload: %d %s", resp.StatusCode, msg)
		}
	}
	if n := sent.Load(); n >= size/2 {
		t.Errorf("the server read %d MiB of a 1 GiB upload before refusing it", n>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countingZeros struct{ n *atomic.Int64 }

func (z countingZeros) Read(p []byte) (int, error) {
	clear(p)
	z.n.Add(int64(len(p)))
	return len(p), nil
}
