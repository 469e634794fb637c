package media

import (
	"bytes"
	"compress/lzw"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// photo is a w×h opaque picture with smooth and sharp detail, like a
// product shot: JPEG has work to do and resampling has edges to keep.
func photo(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255}
			if (x/16+y/16)%7 == 0 {
				c = color.RGBA{20, 20, 20, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func jpegOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cutout is a w×h picture with a transparent background, as product
// cut-outs are.
func cutout(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if (x-w/2)*(x-w/2)+(y-h/2)*(y-h/2) < w*h/8 {
				m.SetNRGBA(x, y, color.NRGBA{30, 90, 200, 255})
			}
		}
	}
	return m
}

// withSegments inserts JPEG marker segments (marker, payload) right after
// the SOI of a JPEG, where cameras put theirs.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

// segment is a JPEG marker segment with its length.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// exifAPP1 is an Exif APP1 segment whose first IFD holds the orientation o
// (a SHORT, or a LONG when long is set) and an ImageDescription tag with
// text, written in the byte order order ("II" or "MM").
func exifAPP1(o int, order string, long bool, text string) []byte {
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	if order == "MM" {
		bo = binary.BigEndian
	}
	t := []byte(order)
	t = bo.AppendUint16(t, 42)
	t = bo.AppendUint32(t, 8)      // IFD0 right after the header
	t = bo.AppendUint16(t, 2)      // two entries
	t = bo.AppendUint16(t, 0x010e) // ImageDescription, ASCII, stored after the IFD
	t = bo.AppendUint16(t, 2)
	t = bo.AppendUint32(t, uint32(len(text)+1))
	t = bo.AppendUint32(t, 8+2+2*12+4)
	t = bo.AppendUint16(t, 0x0112) // Orientation
	if long {
		t = bo.AppendUint16(t, 4)
		t = bo.AppendUint32(t, 1)
		t = bo.AppendUint32(t, uint32(o))
	} else {
		t = bo.AppendUint16(t, 3)
		t = bo.AppendUint32(t, 1)
		t = bo.AppendUint16(t, uint16(o))
		t = bo.AppendUint16(t, 0)
	}
	t = bo.AppendUint32(t, 0) // no next IFD
	t = append(t, text...)
	t = append(t, 0)
	return segment(0xe1, append([]byte("Exif\x00\x00"), t...))
}

// pngChunk is one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// bombPNG is a well-formed start of a w×h grey PNG whose first rows only are
// present: a few KB that declare a canvas of w×h pixels.
func bombPNG(w, h, rows int) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit greyscale
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+w)
	for range rows {
		zw.Write(row)
	}
	zw.Flush()
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// withPNGText adds a tEXt chunk after a PNG's IHDR.
func withPNGText(p []byte, key, text string) []byte {
	const ihdrEnd = 8 + 8 + 13 + 4
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, pngChunk("tEXt", []byte(key+"\x00"+text))...)
	return append(out, p[ihdrEnd:]...)
}

// hugeCanvasGIF is a tiny GIF declaring a 65535×65535 logical screen.
func hugeCanvasGIF() []byte { return hugeGIF() }

// lzwBombGIF is a 100×100 GIF whose frame data decompresses to n pixels,
// far more than the frame holds.
func lzwBombGIF(n int) []byte {
	var buf bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, 100, 100), []color.Color{color.Black, color.White})
	gif.Encode(&buf, img, nil)
	good := buf.Bytes()
	// The image data starts after the image descriptor (0x2c + 9 bytes);
	// this encoder writes no local colour table.
	start := bytes.IndexByte(good, 0x2c) + 10
	var data bytes.Buffer
	lw := lzw.NewWriter(&data, lzw.LSB, 2)
	lw.Write(make([]byte, n))
	lw.Close()
	out := append([]byte{}, good[:start]...)
	out = append(out, 2) // LZW minimum code size
	for b := data.Bytes(); len(b) > 0; {
		k := min(len(b), 255)
		out = append(out, byte(k))
		out = append(out, b[:k]...)
		b = b[k:]
	}
	return append(out, 0, 0x3b)
}
