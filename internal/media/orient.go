package media

import (
	"image"
	"image/draw"
)

// orient returns img turned as EXIF orientation o says (1–8), so it displays
// upright without the tag. 1 returns img itself.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	src := toRGBA(img)
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dw, dh := sw, sh
	if o >= 5 { // 5–8 swap the axes
		dw, dh = sh, sw
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range sh {
		row := src.Pix[y*src.Stride : y*src.Stride+4*sw]
		for x := range sw {
			var dx, dy int
			switch o {
			case 2: // mirrored
				dx, dy = sw-1-x, y
			case 3: // upside down
				dx, dy = sw-1-x, sh-1-y
			case 4: // mirrored upside down
				dx, dy = x, sh-1-y
			case 5: // transposed
				dx, dy = y, x
			case 6: // turned a quarter counter-clockwise: turn clockwise
				dx, dy = sh-1-y, x
			case 7: // transversed
				dx, dy = sh-1-y, sw-1-x
			case 8: // turned a quarter clockwise: turn counter-clockwise
				dx, dy = y, sw-1-x
			}
			copy(dst.Pix[dy*dst.Stride+4*dx:], row[4*x:4*x+4])
		}
	}
	return dst
}

// toRGBA returns img as an *image.RGBA at the origin, converting if needed.
func toRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	b := img.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(m, m.Rect, img, b.Min, draw.Src)
	return m
}
