package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/gif" // decoders DecodeConfig checks uploads with
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"

	"agora/internal/fault"
)

// MaxPixels bounds the dimensions of an accepted image (40 megapixels), so
// a small file that declares a huge canvas cannot exhaust memory when the
// variants are made from it.
const MaxPixels = 40_000_000

// formatExt maps image.DecodeConfig's format names to stored extensions.
// Formats registered by other packages (bmp, tiff…) are not in it: refused.
var formatExt = map[string]string{"png": "png", "jpeg": "jpg", "gif": "gif", "webp": "webp"}

// Put stores trusted image bytes as they are (the seed's generated pictures:
// no metadata to strip, no variants) and returns its key: the SHA-256 of
// data plus the
// extension of its format. The format is read from the bytes, never from a
// name, and the image header must parse: anything but PNG, JPEG, GIF or WebP
// is refused with fault.Invalid. Storing the same bytes twice is one write.
// Uploads from people go through Upload instead.
// Writes are atomic: fileblob writes a temporary file and renames it, S3 makes
// an object visible only when its upload completes.
func (s *Store) Put(ctx context.Context, data []byte) (string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	ext, ok := formatExt[format]
	if err != nil || !ok {
		return "", fault.New(fault.Invalid, "The file is not a PNG, JPEG, GIF or WebP image.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return "", fault.New(fault.Invalid, "The image is %d×%d pixels: at most %d megapixels are accepted.", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:]) + "." + ext

	exists, err := s.bucket.Exists(ctx, key)
	if err != nil {
		return "", fmt.Errorf("media: check %s: %w", key, err)
	}
	if exists {
		return key, nil
	}
	if err := s.write(ctx, key, data); err != nil {
		return "", err
	}
	return key, nil
}
