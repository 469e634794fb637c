package media

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agora/internal/fault"
)

// These tests run against a directory bucket and a real S3-compatible server
// (Versity Gateway, through eachBackend); there is deliberately no fake S3.

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "media")
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func testImage() image.Image {
	img := image.NewPaletted(image.Rect(0, 0, 8, 6), []color.Color{color.White, color.RGBA{200, 30, 30, 255}})
	for x := range 8 {
		img.SetColorIndex(x, x%6, 1)
	}
	return img
}

func encoded(t *testing.T, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, testImage())
	case "jpg":
		err = jpeg.Encode(&buf, testImage(), &jpeg.Options{Quality: 80})
	case "gif":
		err = gif.Encode(&buf, testImage(), nil)
	case "webp":
		// A 1×1 lossless WebP: the standard library has no WebP encoder.
		b, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
		buf.Write(b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPutStoresImagesUnderTheirContentKey(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s *Store, dir string) {
		testPutStores(t, s, dir)
	})
}

func testPutStores(t *testing.T, s *Store, dir string) {
	ctx := context.Background()
	for _, format := range []string{"png", "jpg", "gif", "webp"} {
		t.Run(format, func(t *testing.T) {
			data := encoded(t, format)
			key, err := s.Put(ctx, data)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if !ValidKey(key) || !strings.HasSuffix(key, "."+format) {
				t.Fatalf("key %q: want a valid key ending in .%s", key, format)
			}
			got, err := os.ReadFile(filepath.Join(dir, key))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("stored bytes differ from the upload (err %v)", err)
			}
			again, err := s.Put(ctx, bytes.Clone(data))
			if err != nil || again != key {
				t.Fatalf("second Put = %q, %v; want the same key %q", again, err, key)
			}
		})
	}
}

func TestPutDoesNotRewriteAnExistingKey(t *testing.T) {
	t.Parallel()
	eachBackend(t, testPutDoesNotRewrite)
}

func testPutDoesNotRewrite(t *testing.T, s *Store, dir string) {
	ctx := context.Background()
	data := encoded(t, "png")
	key, err := s.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, key), old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, data); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, key))
	if err != nil || !fi.ModTime().Equal(old) {
		t.Fatalf("the object was rewritten (mtime %v, err %v)", fi.ModTime(), err)
	}
	// Writes go through a temporary file renamed into place: none is left.
	if got := objects(t, s); len(got) != 1 || got[0] != key {
		t.Errorf("bucket holds %q; want only %q", got, key)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if name := e.Name(); name != key && name != key+".attrs" && !e.IsDir() {
			t.Errorf("unexpected file %q in the bucket", name)
		}
	}
}

func TestPutRefusesWhatIsNotAnImage(t *testing.T) {
	t.Parallel()
	eachBackend(t, testPutRefuses)
}

func testPutRefuses(t *testing.T, s *Store, _ string) {
	png := encoded(t, "png")
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text", []byte("hello, this is a text file\n")},
		{"text behind a JPEG signature", []byte("\xff\xd8\xff\xe0 not really a photo.jpg\n")},
		{"truncated PNG", png[:20]},
		{"html", []byte("<!doctype html><script>alert(1)</script>")},
		{"RIFF that is not WebP", []byte("RIFF\x10\x00\x00\x00WAVEfmt data....")},
		{"huge canvas", hugeGIF()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := s.Put(context.Background(), tt.data)
			if fault.CodeOf(err) != fault.Invalid {
				t.Fatalf("Put = %q, %v; want an invalid error", key, err)
			}
		})
	}
	if got := objects(t, s); len(got) != 0 {
		t.Errorf("refused uploads left %q in the bucket", got)
	}
}

// hugeGIF is a tiny file declaring a 65535×65535 canvas.
func hugeGIF() []byte {
	var buf bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, 1, 1), []color.Color{color.Black})
	_ = gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{img}, Delay: []int{0},
		Config: image.Config{Width: 65535, Height: 65535, ColorModel: img.Palette}})
	return buf.Bytes()
}

func TestValidKey(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		key  string
		want bool
	}{
		{hex + ".png", true},
		{hex + ".jpg", true},
		{hex + ".gif", true},
		{hex + ".webp", true},
		{hex + "-thumbnail.webp", true},
		{hex + "-card2.jpg", true},
		{hex + ".jpeg", false},
		{hex + ".PNG", false},
		{strings.ToUpper(hex) + ".png", false},
		{hex[:63] + ".png", false},
		{hex + "0.png", false},
		{hex + "-.png", false},
		{hex + "-Thumb.png", false},
		{hex + "-a_b.png", false},
		{hex + "-" + strings.Repeat("a", 17) + ".png", false},
		{hex + ".png.attrs", false},
		{hex + ".png/x", false},
		{hex + ".png\x00", false},
		{"../" + hex + ".png", false},
		{hex[:60] + "../.png", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidKey(tt.key); got != tt.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestVariantKey(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("ab", 32)
	tests := []struct {
		key, variant, ext, want string
	}{
		{hex + ".png", "thumbnail", "webp", hex + "-thumbnail.webp"},
		{hex + ".jpg", "card", "", hex + "-card.jpg"},
		{hex + "-card.jpg", "large", "", ""}, // a variant of a variant
		{hex + ".jpg", "Large", "", ""},
		{hex + ".jpg", "large", "bmp", ""},
		{"x.jpg", "large", "", ""},
	}
	for _, tt := range tests {
		if got := VariantKey(tt.key, tt.variant, tt.ext); got != tt.want {
			t.Errorf("VariantKey(%q, %q, %q) = %q, want %q", tt.key, tt.variant, tt.ext, got, tt.want)
		}
		if tt.want != "" && !ValidKey(tt.want) {
			t.Errorf("variant key %q is not a valid key", tt.want)
		}
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	file := filepath.Join(base, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirURL, err := DirURL(filepath.Join(base, "with space", "media"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, wantErr string
		wantDir            string
	}{
		{"plain path, created", filepath.Join(base, "new", "media"), "", filepath.Join(base, "new", "media")},
		{"file URL, created", dirURL, "", filepath.Join(base, "with space", "media")},
		{"directory under a file", filepath.Join(file, "media"), "cannot create media directory", ""},
		{"relative file URL", "file://media", "names host", ""},
		{"unknown scheme", "gs://bucket", "unsupported media location", ""},
		{"empty", "", "no media location", ""},
		{"s3 access key without secret", "s3://AKIAKEY@bucket?region=us-east-1", "ACCESS_KEY:SECRET@", ""},
		{"s3 bad parameter, secret hidden", "s3://AKIAKEY:s3cr3t%2Fvalue@bucket?region=us-east-1&colour=blue", "unknown query parameter", ""},
		{"s3 bad use_path_style", "s3://AKIAKEY:s3cr3t%2Fvalue@bucket?use_path_style=maybe", "use_path_style", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("Open(%q) error = %v; want one line containing %q", tt.url, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.url, err)
			}
			defer s.Close()
			if fi, err := os.Stat(tt.wantDir); err != nil || !fi.IsDir() {
				t.Fatalf("directory %s not created: %v", tt.wantDir, err)
			}
			if _, err := s.Put(context.Background(), encoded(t, "gif")); err != nil {
				t.Fatalf("Put into %s: %v", tt.wantDir, err)
			}
		})
	}
}

func TestDirURL(t *testing.T) {
	t.Parallel()
	wd, _ := os.Getwd()
	got, err := DirURL("./agora-data/media")
	if want := "file://" + filepath.ToSlash(filepath.Join(wd, "agora-data", "media")); err != nil || got != want {
		t.Fatalf("DirURL = %q, %v; want %q", got, err, want)
	}
}
