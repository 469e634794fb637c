package mediatest_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"agora/internal/media"
	"agora/internal/media/mediatest"
)

// The server is real: objects land in its directory, and a request signed
// with the wrong secret is refused.
func TestServerStoresObjectsAndChecksSignatures(t *testing.T) {
	t.Parallel()
	srv := mediatest.Start(t)
	ctx := context.Background()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}

	s, err := media.Open(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key, err := s.Put(ctx, buf.Bytes())
	if err != nil {
		t.Fatalf("Put with the right credentials: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(srv.Dir, key)); err != nil || !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("object not in the server's directory (err %v)", err)
	}

	wrong := *srv
	wrong.SecretKey = "not-the-secret"
	bad, err := media.Open(ctx, wrong.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	buf.WriteByte(0) // other bytes, another key
	if key, err := bad.Put(ctx, buf.Bytes()); err == nil {
		t.Fatalf("Put signed with a wrong secret stored %s", key)
	}
}
