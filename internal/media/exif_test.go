package media

import (
	"testing"
)

func TestJPEGOrientation(t *testing.T) {
	t.Parallel()
	plain := jpegOf(t, photo(16, 8))
	app1 := func(o int) []byte { return exifAPP1(o, "II", false, "x") }
	xmp := segment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	app0 := segment(0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"no metadata", plain, 1},
		{"little-endian", withSegments(plain, app1(6)), 6},
		{"big-endian", withSegments(plain, exifAPP1(8, "MM", false, "x")), 8},
		{"LONG instead of SHORT", withSegments(plain, exifAPP1(3, "MM", true, "x")), 3},
		{"after JFIF and XMP segments", withSegments(plain, app0, xmp, app1(5)), 5},
		{"fill bytes before the marker", withSegments(plain, []byte{0xff, 0xff}, app1(7)), 7},
		{"only the first Exif segment counts", withSegments(plain, app1(2), app1(6)), 2},
		{"value 0", withSegments(plain, app1(0)), 1},
		{"value 9", withSegments(plain, app1(9)), 1},
		{"value 0x0106 as LONG", withSegments(plain, exifAPP1(0x0106, "II", true, "x")), 1},
		{"unknown byte order", withSegments(plain, segment(0xe1, []byte("Exif\x00\x00XX*\x00\x08\x00\x00\x00"))), 1},
		{"IFD offset past the end", withSegments(plain, segment(0xe1, []byte("Exif\x00\x00II*\x00\xff\xff\xff\xff"))), 1},
		{"IFD offset inside the header", withSegments(plain, segment(0xe1, []byte("Exif\x00\x00II*\x00\x02\x00\x00\x00"))), 1},
		{"entry count past the end", withSegments(plain, segment(0xe1, []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff"))), 1},
		{"segment length past the end", []byte("\xff\xd8\xff\xe1\xff\xf0Exif\x00\x00II*\x00"), 1},
		{"segment length below 2", []byte("\xff\xd8\xff\xe1\x00\x01Exif\x00\x00"), 1},
		{"Exif after the image data is ignored", append(append([]byte{}, plain[:len(plain)-2]...), app1(6)...), 1},
		{"not a JPEG", []byte("GIF89a"), 1},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		if got := jpegOrientation(tt.data); got != tt.want {
			t.Errorf("%s: orientation %d, want %d", tt.name, got, tt.want)
		}
	}
}

// FuzzJPEGOrientation holds the parser of untrusted EXIF to its promises:
// no panic, no out-of-range answer, whatever the bytes.
func FuzzJPEGOrientation(f *testing.F) {
	plain := jpegOf(f, photo(8, 8))
	for o := range 10 {
		f.Add(withSegments(plain, exifAPP1(o, "II", false, "desc")))
		f.Add(withSegments(plain, exifAPP1(o, "MM", o%2 == 0, "")))
	}
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08"))
	f.Add([]byte("\xff\xd8"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d out of 1–8", o)
		}
		if o := tiffOrientation(data); o < 1 || o > 8 {
			t.Fatalf("TIFF orientation %d out of 1–8", o)
		}
	})
}
