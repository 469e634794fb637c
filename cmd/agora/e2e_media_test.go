package main_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/media"
	"agora/internal/media/mediatest"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// Two app instances share one PostgreSQL database and one S3 bucket (a
// real S3 server, Versity Gateway): an image uploaded through one's admin
// API is served by the other at once, original and variants, with immutable cache
// headers. This is the failure centralized storage exists to prevent: with
// media on an instance's own disk, the other would answer 404.
//
// Not parallel: instance B takes its credentials from the AWS environment
// variables (the usual production setup), set with t.Setenv.
func TestMediaUploadedThroughOneAppIsServedByAnother(t *testing.T) {
	s3 := mediatest.Start(t)
	db := storetest.URL(t, store.Postgres)
	if code, out, errOut := run(t, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	for _, kv := range s3.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	common := []string{"--db", db, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--drain-delay", "0s"}
	// A: credentials in the media URL; B: the bare URL, credentials from
	// the environment.
	a := start(t, append([]string{"app", "--media", s3.URL()}, common...)...)
	b := start(t, append([]string{"app", "--media", s3.BareURL()}, common...)...)

	// Upload through A's admin API, as a merchant's script would.
	if code, out, errOut := run(t, "user", "create", "--db", db, "--email", "owner@example.com", "--name", "Olivia", "--role", "owner"); code != 0 {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	code, keyOut, errOut := run(t, "apikey", "create", "--db", db, "--email", "owner@example.com", "--name", "media test")
	if code != 0 {
		t.Fatalf("apikey create: %d %s", code, errOut)
	}
	apiKey := strings.TrimSpace(keyOut)
	missing := media.VariantKey(strings.Repeat("0", 64)+".jpg", "card", "") // not there yet
	if resp, _ := get(t, b.url+"/media/"+missing); resp.StatusCode != 404 {
		t.Fatalf("GET of a missing key on B = %d, want 404", resp.StatusCode)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "../../etc/passwd")
	fw.Write(mediaPicture(t, 1600, 1200))
	mw.Close()
	req, _ := http.NewRequest("POST", a.url+"/api/v1/admin/media", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		Key      string `json:"key"`
		URL      string `json:"url"`
		Variants map[string]struct {
			URL string `json:"url"`
		} `json:"variants"`
	}
	err = json.NewDecoder(resp.Body).Decode(&u)
	resp.Body.Close()
	if resp.StatusCode != 201 && resp.StatusCode != 200 || err != nil {
		t.Fatalf("POST /api/v1/admin/media on A: %d %v\n%s", resp.StatusCode, err, a.log())
	}
	if !media.ValidKey(u.Key) || strings.Contains(u.Key, "passwd") {
		t.Fatalf("uploaded key %q: the client's file name must play no part", u.Key)
	}

	paths := []string{u.URL}
	for _, name := range []string{"thumbnail", "card", "large"} {
		paths = append(paths, u.Variants[name].URL)
	}
	for _, inst := range []*server{b, a} {
		for _, p := range paths {
			resp, body := get(t, inst.url+p)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
				t.Fatalf("GET %s on %s = %d %s", p, inst.url, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cc := resp.Header.Get("Cache-Control"); cc != cachehdr.Immutable || resp.Header.Get("ETag") == "" {
				t.Errorf("GET %s: Cache-Control %q, ETag %q; want %q and an ETag", p, cc, resp.Header.Get("ETag"), cachehdr.Immutable)
			}
			if _, err := jpeg.DecodeConfig(strings.NewReader(body)); err != nil {
				t.Errorf("GET %s: not a JPEG: %v", p, err)
			}
		}
	}
	for _, inst := range []*server{a, b} {
		if strings.Contains(inst.log(), s3.SecretKey) {
			t.Errorf("an app logged the S3 secret:\n%s", inst.log())
		}
		inst.stop(t)
	}
}

// mediaPicture is a w×h JPEG photo.
func mediaPicture(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
