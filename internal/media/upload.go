package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"agora/internal/cachehdr"
	"agora/internal/fault"
)

// Upload is a stored image: its original and its variants.
type Upload struct {
	Key         string // the original's key: SHA-256 of its stored bytes + extension
	URL         string // where the app serves the original: /media/{key}
	ContentType string // of the original
	Width       int    // of the original as stored (upright), pixels
	Height      int
	Bytes       int64             // size of the stored original
	Variants    map[string]string // "thumbnail", "card", "large" → key
}

// Limits bound what Upload accepts. The zero value applies the defaults.
type Limits struct {
	MaxBytes  int64 // size of the upload; 0 means 20 MiB
	MaxPixels int64 // width × height; 0 means 40 megapixels (a 40 MP photo decodes to 160 MB)
}

func (l Limits) maxBytes() int64 {
	if l.MaxBytes > 0 {
		return l.MaxBytes
	}
	return 20 << 20
}

func (l Limits) maxPixels() int64 {
	if l.MaxPixels > 0 {
		return l.MaxPixels
	}
	return MaxPixels
}

// maxScans bounds the start-of-scan markers of an accepted JPEG.
const maxScans = 100

// Upload checks, cleans and stores an uploaded image with its variants
// (thumbnail, card, large).
//
// Only the bytes count: the format is sniffed from the content (JPEG, PNG,
// GIF, WebP) and the key is computed, so nothing the client says (file name,
// Content-Type, path) reaches storage. The size and the pixel count, read
// from the image header, are checked before anything is decoded, so a small
// file declaring a huge canvas (a decompression bomb) is refused at the cost
// of reading a header. The image is then decoded, turned upright as its EXIF
// orientation says, and re-encoded: the stored original carries no metadata
// (GPS position, camera serial, comments). Its key is the SHA-256 of those
// stored bytes, so the same upload twice is the same key and stores nothing
// new.
//
// Refusals are fault.Invalid (not an image, damaged) or fault.TooLarge
// (bytes or pixels), with a message for the person uploading; nothing is
// stored then.
func (s *Store) Upload(ctx context.Context, data []byte, lim Limits) (Upload, error) {
	img, f, err := s.decode(ctx, data, lim)
	if err != nil {
		return Upload{}, err
	}
	ext := storedExt(f, img)
	orig, err := encode(img, ext, qualityOriginal)
	if err != nil {
		return Upload{}, err
	}
	sum := sha256.Sum256(orig)
	key := hex.EncodeToString(sum[:]) + "." + ext
	b := img.Bounds()
	u := Upload{
		Key: key, URL: s.URL(key), ContentType: contentTypes[ext],
		Width: b.Dx(), Height: b.Dy(), Bytes: int64(len(orig)),
		Variants: make(map[string]string, len(variants)),
	}
	vext := variantExt(ext)
	for _, v := range variants {
		u.Variants[v.name] = VariantKey(key, v.name, vext)
	}

	missing, err := s.missing(ctx, u)
	if err != nil || len(missing) == 0 {
		return u, err // stored before: nothing to do
	}
	objects, err := s.variantObjects(img, u, orig, vext)
	if err != nil {
		return Upload{}, err
	}
	objects[key] = orig
	// Variants first, the original last: once the original exists, so do
	// its variants, whatever happened to an earlier attempt.
	for _, v := range variants {
		if err := s.writeIf(ctx, missing, u.Variants[v.name], objects[u.Variants[v.name]]); err != nil {
			return Upload{}, err
		}
	}
	if err := s.writeIf(ctx, missing, key, orig); err != nil {
		return Upload{}, err
	}
	return u, nil
}

// decode checks data against lim and the accepted formats and decodes it,
// upright. Decoding holds one of the store's decode slots.
func (s *Store) decode(ctx context.Context, data []byte, lim Limits) (image.Image, *format, error) {
	if n := int64(len(data)); n > lim.maxBytes() {
		return nil, nil, fault.New(fault.TooLarge, "The file is %s: images of at most %s are accepted.", sizeText(n), sizeText(lim.maxBytes()))
	}
	f := sniff(data)
	if f == nil {
		return nil, nil, fault.New(fault.Invalid, "The file is not a JPEG, PNG, GIF or WebP image.")
	}
	cfg, err := f.config(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, nil, fault.New(fault.Invalid, "The file starts like a %s image but its header is damaged.", f.name)
	}
	// A progressive JPEG is decoded once per scan: thousands of tiny scans
	// make a CPU bomb of a small file. Cameras and encoders write at most
	// about a dozen.
	if f == formatJPEG && bytes.Count(data, []byte{0xff, 0xda}) > maxScans {
		return nil, nil, fault.New(fault.Invalid, "The JPEG image has too many scans (more than %d) and is refused.", maxScans)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.maxPixels() {
		return nil, nil, fault.New(fault.TooLarge, "The image is %d × %d pixels: images of at most %s are accepted.",
			cfg.Width, cfg.Height, pixelText(lim.maxPixels()))
	}
	select {
	case s.decodes <- struct{}{}:
		defer func() { <-s.decodes }()
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("media: waiting to decode: %w", ctx.Err())
	}
	img, err := f.decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fault.New(fault.Invalid, "The %s image is damaged or incomplete and cannot be read.", f.name)
	}
	if f == formatJPEG {
		img = orient(img, jpegOrientation(data))
	}
	return img, f, nil
}

// missing returns the keys of u (original and variants) the bucket lacks.
func (s *Store) missing(ctx context.Context, u Upload) (map[string]bool, error) {
	missing := map[string]bool{}
	keys := []string{u.Key}
	for _, k := range u.Variants {
		keys = append(keys, k)
	}
	for _, k := range keys {
		ok, err := s.bucket.Exists(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("media: check %s: %w", k, err)
		}
		if !ok {
			missing[k] = true
		}
	}
	return missing, nil
}

// variantObjects encodes the variants of img: variant key → bytes. A
// variant the size of the original, in its format, is the original's bytes.
func (s *Store) variantObjects(img image.Image, u Upload, orig []byte, vext string) (map[string][]byte, error) {
	objects := map[string][]byte{}
	for i, m := range makeVariants(img, scaler) {
		k := u.Variants[variants[i].name]
		if m == img && vext == u.Key[strings.LastIndexByte(u.Key, '.')+1:] {
			objects[k] = orig
			continue
		}
		data, err := encode(m, vext, qualityVariant)
		if err != nil {
			return nil, err
		}
		objects[k] = data
	}
	return objects, nil
}

// writeIf stores data under key when missing says the bucket lacks it.
func (s *Store) writeIf(ctx context.Context, missing map[string]bool, key string, data []byte) error {
	if !missing[key] {
		return nil
	}
	return s.write(ctx, key, data)
}

// write stores data under key once: an object that appeared meanwhile (a
// concurrent upload of the same image) holds the same bytes, so losing that
// race is success.
func (s *Store) write(ctx context.Context, key string, data []byte) error {
	err := s.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{
		ContentType:  contentType(key),
		CacheControl: cachehdr.Immutable, // for a CDN or browser reading the bucket directly
		IfNotExist:   true,
	})
	if err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition {
		// The bucket is unreachable or refuses us: the user may retry; the
		// cause is logged by whoever answers, never shown.
		return &fault.Error{Code: fault.Unavailable, Message: "The image could not be stored right now. Please try again in a moment.",
			Cause: fmt.Errorf("media: write %s: %w", key, err)}
	}
	return nil
}

// sizeText writes n bytes for people: "50 MB", "20 MB", "812 KB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// pixelText writes a pixel count for people: "40 megapixels".
func pixelText(n int64) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%.0f megapixels", float64(n)/1e6)
	}
	return fmt.Sprintf("%d pixels", n)
}
