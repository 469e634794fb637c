package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/fault"
)

type size struct{ w, h int }

func TestUploadStoresACleanOriginalAndItsVariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     func(t *testing.T) []byte
		wantExt  string // of the original
		wantVExt string // of the variants
		want     size
		// thumbnail, card, large
		wantVariants [3]size
	}{
		{"landscape JPEG", func(t *testing.T) []byte { return jpegOf(t, photo(1500, 1000)) },
			"jpg", "jpg", size{1500, 1000}, [3]size{{160, 107}, {480, 320}, {1200, 800}}},
		{"portrait JPEG", func(t *testing.T) []byte { return jpegOf(t, photo(600, 1500)) },
			"jpg", "jpg", size{600, 1500}, [3]size{{64, 160}, {192, 480}, {480, 1200}}},
		{"PNG cut-out smaller than large: never upscaled", func(t *testing.T) []byte { return pngOf(t, cutout(300, 200)) },
			"png", "png", size{300, 200}, [3]size{{160, 107}, {300, 200}, {300, 200}}},
		{"GIF: variants in PNG", func(t *testing.T) []byte { return encoded(t, "gif") },
			"gif", "png", size{8, 6}, [3]size{{8, 6}, {8, 6}, {8, 6}}},
		{"opaque WebP: stored as JPEG", func(t *testing.T) []byte { return xImageTestdata(t, "blue-purple-pink.lossy.webp") },
			"jpg", "jpg", size{150, 100}, [3]size{{150, 100}, {150, 100}, {150, 100}}},
		{"transparent WebP: stored as PNG", func(t *testing.T) []byte { return encoded(t, "webp") },
			"png", "png", size{1, 1}, [3]size{{1, 1}, {1, 1}, {1, 1}}},
	}
	eachBackend(t, func(t *testing.T, s *Store, _ string) {
		srv := serve(t, s)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.Upload(context.Background(), tt.data(t), Limits{})
				if err != nil {
					t.Fatalf("Upload: %v", err)
				}
				if !ValidKey(u.Key) || !strings.HasSuffix(u.Key, "."+tt.wantExt) || u.URL != "/media/"+u.Key {
					t.Fatalf("key %q, URL %q; want a valid .%s key served at /media/{key}", u.Key, u.URL, tt.wantExt)
				}
				if u.Width != tt.want.w || u.Height != tt.want.h || u.ContentType != contentTypes[tt.wantExt] {
					t.Errorf("Upload says %d×%d %s; want %d×%d %s", u.Width, u.Height, u.ContentType, tt.want.w, tt.want.h, contentTypes[tt.wantExt])
				}
				orig := fetch(t, srv.URL+u.URL, u.ContentType)
				if sum := sha256.Sum256(orig); hex.EncodeToString(sum[:]) != u.Key[:64] || int64(len(orig)) != u.Bytes {
					t.Errorf("the served original (%d bytes) is not what its key and size (%d) say", len(orig), u.Bytes)
				}
				if got := decodedSize(t, orig); got != tt.want {
					t.Errorf("stored original is %v, want %v", got, tt.want)
				}
				for i, name := range []string{"thumbnail", "card", "large"} {
					k := u.Variants[name]
					if k != VariantKey(u.Key, name, tt.wantVExt) {
						t.Errorf("variant %s key %q; want %q", name, k, VariantKey(u.Key, name, tt.wantVExt))
						continue
					}
					if got := decodedSize(t, fetch(t, srv.URL+s.URL(k), contentTypes[tt.wantVExt])); got != tt.wantVariants[i] {
						t.Errorf("variant %s is %v, want %v", name, got, tt.wantVariants[i])
					}
				}
				if len(u.Variants) != 3 {
					t.Errorf("variants %v; want thumbnail, card and large", u.Variants)
				}
			})
		}
	})
}

// xImageTestdata reads a sample image that golang.org/x/image (a
// dependency, so in the module cache) ships in its testdata: there is no
// WebP encoder to make one here, and the project keeps no copies of other
// projects' files.
func xImageTestdata(t *testing.T, name string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
	if err != nil {
		t.Fatalf("locate golang.org/x/image in the module cache: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fetch GETs url and checks it is served as an immutable image of type ct.
func fetch(t *testing.T, url, ct string) []byte {
	t.Helper()
	resp, body := do(t, "GET", url)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ct || resp.Header.Get("Cache-Control") != cachehdr.Immutable {
		t.Fatalf("GET %s = %d %q %q; want 200 %q immutable", url, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), ct)
	}
	return body
}

func decodedSize(t *testing.T, data []byte) size {
	t.Helper()
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("stored bytes do not decode: %v", err)
	}
	return size{cfg.Width, cfg.Height}
}

func TestUploadIsIdempotent(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s *Store, _ string) {
		ctx := context.Background()
		data := pngOf(t, cutout(400, 300))
		// Several admins uploading the same picture at once: one image.
		var wg sync.WaitGroup
		results := make([]Upload, 4)
		errs := make([]error, 4)
		for i := range results {
			wg.Go(func() { results[i], errs[i] = s.Upload(ctx, bytes.Clone(data), Limits{}) })
		}
		wg.Wait()
		for i := range results {
			if errs[i] != nil || results[i].Key != results[0].Key {
				t.Fatalf("concurrent upload %d = %q, %v; want %q", i, results[i].Key, errs[i], results[0].Key)
			}
		}
		u := results[0]
		want := []string{u.Key, u.Variants["card"], u.Variants["large"], u.Variants["thumbnail"]}
		slices.Sort(want)
		if got := objects(t, s); !slices.Equal(got, want) {
			t.Fatalf("bucket holds %q; want the original and three variants %q", got, want)
		}

		// A variant lost (an interrupted earlier attempt) is made again by
		// the next upload of the same picture.
		if err := s.bucket.Delete(ctx, u.Variants["card"]); err != nil {
			t.Fatal(err)
		}
		again, err := s.Upload(ctx, data, Limits{})
		if err != nil || again.Key != u.Key {
			t.Fatalf("second Upload = %q, %v; want %q", again.Key, err, u.Key)
		}
		if got := objects(t, s); !slices.Equal(got, want) {
			t.Fatalf("after a re-upload the bucket holds %q; want %q", got, want)
		}
	})
}

// The bad-input table of issue 4: each is a clear fault and nothing is stored.
func TestUploadRefusesBadInput(t *testing.T) {
	t.Parallel()
	jpg := jpegOf(t, photo(300, 200))
	png := pngOf(t, cutout(300, 200))
	gifData := encoded(t, "gif")
	webpData := encoded(t, "webp")
	tests := []struct {
		name     string
		data     []byte
		lim      Limits
		want     fault.Code
		wantText string // in the message
	}{
		{"text file renamed .jpg", []byte("Dear customer,\nthis is not a photo.\n"), Limits{}, fault.Invalid, "not a JPEG, PNG, GIF or WebP"},
		{"empty", nil, Limits{}, fault.Invalid, "not a JPEG"},
		{"HTML", []byte("<!doctype html><svg onload=alert(1)>"), Limits{}, fault.Invalid, "not a JPEG"},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), Limits{}, fault.Invalid, "not a JPEG"},
		{"BMP", append([]byte("BM"), make([]byte, 60)...), Limits{}, fault.Invalid, "not a JPEG"},
		{"50 MB upload", append(bytes.Clone(jpg), make([]byte, 50<<20)...), Limits{}, fault.TooLarge, "at most 20 MB"},
		{"over a lower byte limit", jpg, Limits{MaxBytes: 1000}, fault.TooLarge, "at most 1000 bytes"},
		{"20,000 × 20,000 PNG of a few KB", bombPNG(20_000, 20_000, 100), Limits{}, fault.TooLarge, "20000 × 20000 pixels"},
		{"complete PNG over a lower pixel limit", bombPNG(1200, 1000, 1000), Limits{MaxPixels: 1_000_000}, fault.TooLarge, "at most 1 megapixels"},
		{"GIF bomb: 65535 × 65535 canvas", hugeCanvasGIF(), Limits{}, fault.TooLarge, "65535 × 65535"},
		{"GIF bomb: LZW data 100 × larger than its frame", lzwBombGIF(1_000_000), Limits{}, fault.Invalid, "damaged"},
		{"JPEG with 5000 scans (CPU bomb)", append(bytes.Clone(jpg), bytes.Repeat([]byte{0xff, 0xda, 0, 2}, 5000)...), Limits{}, fault.Invalid, "too many scans"},
		{"JPEG signature then text", []byte("\xff\xd8\xff\xe0 not really a photo.jpg\n"), Limits{}, fault.Invalid, "header is damaged"},
		{"truncated JPEG", jpg[:len(jpg)/2], Limits{}, fault.Invalid, "damaged or incomplete"},
		{"truncated PNG", png[:len(png)/2], Limits{}, fault.Invalid, "damaged or incomplete"},
		{"truncated PNG header", png[:20], Limits{}, fault.Invalid, "header is damaged"},
		{"truncated GIF", gifData[:len(gifData)-6], Limits{}, fault.Invalid, "damaged or incomplete"},
		{"truncated WebP", webpData[:len(webpData)-4], Limits{}, fault.Invalid, "WebP"},
		{"RIFF that is not WebP", []byte("RIFF\x10\x00\x00\x00WAVEfmt data...."), Limits{}, fault.Invalid, "not a JPEG"},
	}
	eachBackend(t, func(t *testing.T, s *Store, _ string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.Upload(context.Background(), tt.data, tt.lim)
				if fault.CodeOf(err) != tt.want || !strings.Contains(fault.MessageOf(err), tt.wantText) {
					t.Fatalf("Upload = %q, %v; want %s mentioning %q", u.Key, err, tt.want, tt.wantText)
				}
			})
		}
		if got := objects(t, s); len(got) != 0 {
			t.Errorf("refused uploads left %q in the bucket", got)
		}
	})
}

// A decompression bomb costs a header read: the 20,000 × 20,000 PNG would
// take 400 MB decoded (1.6 GB as RGBA); refusing it must allocate almost
// nothing. Not parallel, so the memory statistics are this test's own.
func TestUploadRefusesABombWithoutDecodingIt(t *testing.T) {
	s, _ := openTemp(t)
	bomb := bombPNG(20_000, 20_000, 100)
	if len(bomb) > 8<<10 {
		t.Fatalf("the bomb is %d bytes; want a few KB", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := s.Upload(context.Background(), bomb, Limits{})
	runtime.ReadMemStats(&after)
	if fault.CodeOf(err) != fault.TooLarge {
		t.Fatalf("Upload = %v; want too_large", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes; want under 1 MB (it was decoded)", n)
	}
}

// The key never comes from the client: a hostile file name changes nothing.
func TestUploadIgnoresTheClientsFileName(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s *Store, dir string) {
		results := make(chan error, 1)
		var got Upload
		mux := http.NewServeMux()
		mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
			data, err := ReadForm(w, r, "file", Limits{})
			if err == nil {
				var u Upload
				if u, err = s.Upload(r.Context(), data, Limits{}); err == nil {
					got = u
				}
			}
			results <- err
		})
		srv := serveMux(t, mux)
		picture := jpegOf(t, photo(200, 100))
		for _, tt := range []struct {
			name string
			data []byte
			want fault.Code
		}{
			{"image named ../../etc/passwd", picture, ""},
			{"text named ../../etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\n"), fault.Invalid},
		} {
			t.Run(tt.name, func(t *testing.T) {
				postFile(t, srv+"/upload", "file", "../../etc/passwd", "image/jpeg", tt.data)
				err := <-results
				if tt.want == "" && err != nil || tt.want != "" && fault.CodeOf(err) != tt.want {
					t.Fatalf("upload: %v; want %q", err, tt.want)
				}
			})
		}
		if strings.Contains(got.Key, "passwd") || !ValidKey(got.Key) {
			t.Errorf("key %q", got.Key)
		}
		want := []string{got.Key, got.Variants["card"], got.Variants["large"], got.Variants["thumbnail"]}
		slices.Sort(want)
		if keys := objects(t, s); !slices.Equal(keys, want) {
			t.Errorf("bucket holds %q; want only the image and its variants", keys)
		}
		for _, p := range []string{filepath.Join(dir, "..", "..", "etc", "passwd"), filepath.Join(dir, "passwd")} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s was written", p)
			}
		}
	})
}

func serveMux(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// postFile posts data as the multipart file field with the given name and
// type, and returns the status.
func postFile(t *testing.T, url, field, filename, ctype string, data []byte) int {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="` + field + `"; filename="` + filename + `"`}
	h["Content-Type"] = []string{ctype}
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(data)
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Cameras store portraits sideways with an orientation tag: the stored
// image is upright and carries no metadata.
func TestUploadHonoursEXIFOrientation(t *testing.T) {
	t.Parallel()
	// A 40×20 white picture with a red top-left quarter, as the camera saw it.
	src := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := range 20 {
		for x := range 40 {
			c := color.RGBA{255, 255, 255, 255}
			if x < 20 && y < 10 {
				c = color.RGBA{255, 0, 0, 255}
			}
			src.SetRGBA(x, y, c)
		}
	}
	plain := jpegOf(t, src)
	const secret = "GPS 48.8584 N 2.2945 E, serial 1234567"
	tests := []struct {
		orientation int
		want        size
		red         string // the quarter that is red once upright
	}{
		{1, size{40, 20}, "top-left"},
		{2, size{40, 20}, "top-right"},
		{3, size{40, 20}, "bottom-right"},
		{4, size{40, 20}, "bottom-left"},
		{5, size{20, 40}, "top-left"},
		{6, size{20, 40}, "top-right"},
		{7, size{20, 40}, "bottom-right"},
		{8, size{20, 40}, "bottom-left"},
	}
	s, _ := openTemp(t)
	for _, tt := range tests {
		for _, order := range []string{"II", "MM"} {
			t.Run(fmt.Sprint(tt.orientation, order), func(t *testing.T) {
				data := withSegments(plain, exifAPP1(tt.orientation, order, false, secret), segment(0xfe, []byte(secret)))
				u, err := s.Upload(context.Background(), data, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				stored, err := s.bucket.ReadAll(context.Background(), u.Key)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(stored, []byte(secret)) || bytes.Contains(stored, []byte("Exif")) {
					t.Errorf("the stored original still carries the metadata")
				}
				img, err := jpeg.Decode(bytes.NewReader(stored))
				if err != nil {
					t.Fatal(err)
				}
				b := img.Bounds()
				if (size{b.Dx(), b.Dy()}) != tt.want || u.Width != tt.want.w || u.Height != tt.want.h {
					t.Fatalf("stored %v (Upload says %d×%d); want %v", b.Size(), u.Width, u.Height, tt.want)
				}
				if got := redQuarter(img); got != tt.red {
					t.Errorf("red quarter is %s; want %s", got, tt.red)
				}
			})
		}
	}
}

// redQuarter names the quarter of img whose centre is red.
func redQuarter(img image.Image) string {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	found := "none"
	for _, q := range []struct {
		name string
		x, y int
	}{{"top-left", w / 4, h / 4}, {"top-right", 3 * w / 4, h / 4}, {"bottom-left", w / 4, 3 * h / 4}, {"bottom-right", 3 * w / 4, 3 * h / 4}} {
		r, g, _, _ := img.At(q.x, q.y).RGBA()
		if r > 0xc000 && g < 0x4000 {
			if found != "none" {
				return "several"
			}
			found = q.name
		}
	}
	return found
}

func TestUploadStripsPNGText(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	const secret = "Author: Jane Doe, 12 Rue de Rivoli"
	u, err := s.Upload(context.Background(), withPNGText(pngOf(t, cutout(50, 40)), "Comment", secret), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.bucket.ReadAll(context.Background(), u.Key)
	if err != nil || bytes.Contains(stored, []byte(secret)) {
		t.Fatalf("the stored PNG still carries its text chunk (err %v)", err)
	}
}
