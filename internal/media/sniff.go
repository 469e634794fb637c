package media

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"
)

// format is an image format Upload accepts. Each is read with its own
// decoder, never through image.Decode's registry, so a format some other
// package registers (BMP, TIFF…) can never slip in.
type format struct {
	name   string // for messages: "JPEG"
	ext    string // the extension its re-encoded original is stored with; "" decides per image (WebP)
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var (
	formatJPEG = &format{"JPEG", "jpg", jpeg.DecodeConfig, jpeg.Decode}
	formatPNG  = &format{"PNG", "png", png.DecodeConfig, png.Decode}
	// gif.Decode reads the first frame only: the shop shows stills, and
	// decoding every frame of a huge animation is one way to bomb a server.
	formatGIF = &format{"GIF", "gif", gif.DecodeConfig, gif.Decode}
	// There is no WebP encoder in the standard library or x/image: a WebP
	// upload is stored as JPEG, or PNG when it has transparency.
	formatWebP = &format{"WebP", "", webp.DecodeConfig, webp.Decode}
)

// sniff identifies data's format by its signature (the first bytes), never
// by a file name or a client's Content-Type. It returns nil for anything
// else.
func sniff(data []byte) *format {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return formatJPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return formatGIF
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return formatWebP
	}
	return nil
}
