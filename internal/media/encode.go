package media

import (
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
)

// JPEG qualities: the original is re-encoded once (to drop its metadata)
// and should lose as little as it can; variants are viewed small, where 85
// is indistinguishable and a third smaller.
const (
	qualityOriginal = 90
	qualityVariant  = 85
)

// encode writes img in the stored format ext. Nothing but pixels is written:
// no EXIF, XMP, ICC profile, comments or text chunks (Go's encoders write
// none), which is how Upload strips metadata such as a camera's GPS position.
func encode(img image.Image, ext string, quality int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch ext {
	case "jpg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	case "png":
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	case "gif":
		// The original GIF's first frame, still paletted: its colours are
		// kept exactly.
		err = gif.Encode(&buf, img, nil)
	default:
		err = fmt.Errorf("no encoder for %q", ext)
	}
	if err != nil {
		return nil, fmt.Errorf("media: encode %s: %w", ext, err)
	}
	return buf.Bytes(), nil
}

// storedExt is the format an upload's original is stored in: its own, except
// WebP (no encoder here), which becomes JPEG, or PNG to keep transparency.
func storedExt(f *format, img image.Image) string {
	if f.ext != "" {
		return f.ext
	}
	if opaque(img) {
		return "jpg"
	}
	return "png"
}

// variantExt is the format of the variants of an original stored as ext:
// the same, except GIF, whose resampled pixels would need a new palette
// (banding): PNG keeps them as they are.
func variantExt(ext string) string {
	if ext == "gif" {
		return "png"
	}
	return ext
}

func opaque(img image.Image) bool {
	o, ok := img.(interface{ Opaque() bool })
	return ok && o.Opaque()
}
