package main_test

// Chromium imports a CSV in the admin (issue 16): the merchant uploads a
// price change, reads the diff, confirms, and the page follows the
// import to its end by itself (import.js polls the job's progress and
// reloads when its state changes), without the merchant reloading.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestBrowserImportsACSV(t *testing.T) {
	t.Parallel()
	db := storetest.URL(t, store.SQLite)
	mediaDir := t.TempDir()
	if code, out, errOut := run(t, "seed", "--db", db, "--media", mediaDir, "--products", "60", "--categories", "6", "--quiet"); code != 0 {
		t.Fatalf("seed: %s %s", out, errOut)
	}
	if code, _, errOut := runStdin(t, "owner password 1\n", "user", "create", "--db", db, "--email", "o@example.com", "--name", "O", "--role", "owner", "--password-stdin"); code != 0 {
		t.Fatalf("user create: %s", errOut)
	}
	code, exported, errOut := run(t, "export", "--db", db)
	if code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	edited, changed := raisePrices(t, exported)
	file := filepath.Join(t.TempDir(), "prices.csv")
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, "app", "--db", db, "--media", mediaDir, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--drain-delay", "0s")

	_, step, read := startChromium(t, s)
	text := func(what, sel string) string { t.Helper(); return read(what, chromedp.Text(sel)) }

	step("sign in",
		chromedp.Navigate(s.url+"/admin/login"),
		chromedp.SendKeys(`input[name=email]`, "o@example.com"),
		chromedp.SendKeys(`input[name=password]`, "owner password 1"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`nav.side`))
	step("from the products page to the import form",
		chromedp.Navigate(s.url+"/admin/products"),
		chromedp.Click(`a[href="/admin/imports"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`input[type=file][name=file]`))
	step("upload the file; the page waits for the check, then shows the diff",
		chromedp.SetUploadFiles(`input[name=file]`, []string{file}),
		chromedp.Click(`input[name=update_only]`),
		chromedp.Click(`[data-import-upload] button[type=submit]`),
		chromedp.WaitVisible(`[data-import-confirm]`))
	if got := text("the diff", `[data-import-confirm]`); !strings.Contains(got, "Apply these "+strconv.Itoa(changed)+" changes") {
		t.Fatalf("confirm button says %q, want the %d changes", got, changed)
	}
	if got := text("a change", `[data-import-changes] tbody tr:first-child`); !strings.Contains(got, "price") {
		t.Fatalf("first row of the diff: %q", got)
	}
	step("confirm; the page follows the import to its end",
		chromedp.Click(`[data-import-confirm]`),
		chromedp.WaitVisible(`[data-import-undo]`))
	if got := text("state", `[data-import-state]`); got != "done" {
		t.Fatalf("state shown: %q", got)
	}
	if got := text("count", `[data-import-count]`); !strings.HasPrefix(got, strconv.Itoa(changed)+" of "+strconv.Itoa(changed)+" rows written") {
		t.Fatalf("progress shown when done: %q", got)
	}
	if _, after, _ := run(t, "export", "--db", db); after != edited {
		t.Fatal("the export after the browser's import differs from the edited file")
	}
}
