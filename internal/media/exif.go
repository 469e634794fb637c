package media

import (
	"bytes"
	"encoding/binary"
)

// jpegOrientation returns the EXIF orientation of a JPEG (1–8: how the
// stored pixels must be turned to look right, TIFF 6.0 tag 0x0112), or 1 when
// there is none or it cannot be read. Cameras store portraits sideways and
// set this tag rather than rotating the pixels; since Upload strips the
// metadata, it must apply the turn itself or the picture would lie on its
// side.
//
// It reads untrusted bytes: every offset is checked against the slice, and
// it walks only the segments before the image data (the fuzz test holds it
// to that).
func jpegOrientation(data []byte) int {
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return 1
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte before a marker (ITU T.81 B.1.1.2)
			i++
			continue
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd8: // markers without a length
			i += 2
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image: metadata comes before
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:])) // counts its own two bytes
		if n < 2 || n > len(data)-i-2 {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads the orientation tag from the first IFD of a TIFF
// structure (the body of an Exif APP1 segment).
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 1
	}
	// Offsets are uint32: compare in uint64 so no value wraps on any platform.
	ifd := uint64(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > uint64(len(t)) {
		return 1
	}
	count := uint64(order.Uint16(t[ifd:]))
	for k := range count {
		e := ifd + 2 + 12*k
		if e+12 > uint64(len(t)) {
			return 1
		}
		if order.Uint16(t[e:]) != 0x0112 {
			continue
		}
		typ, n := order.Uint16(t[e+2:]), order.Uint32(t[e+4:])
		v := 0
		switch {
		case typ == 3 && n == 1: // SHORT, as the standard says
			v = int(order.Uint16(t[e+8:]))
		case typ == 4 && n == 1: // LONG, as a few writers do
			if u := order.Uint32(t[e+8:]); u <= 8 {
				v = int(u)
			}
		}
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}
