package seed

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// ImageSize is the width and height of seeded product pictures, in pixels.
const ImageSize = 600

// painter draws product pictures: a soft gradient in a palette derived from
// the product's colour, a floor shadow, a silhouette for the department and
// its initial in a badge. One painter belongs to one goroutine.
type painter struct {
	img  *image.RGBA
	z    *vector.Rasterizer
	face font.Face
	// transform of the silhouette's 600×600 design coordinates
	scale, dx, dy float32
	// the path being built, and its bounding box in pixels
	path                   []pathOp
	minX, minY, maxX, maxY float32
}

func newPainter(face font.Face) *painter {
	z := vector.NewRasterizer(ImageSize, ImageSize)
	z.DrawOp = draw.Over
	return &painter{img: image.NewRGBA(image.Rect(0, 0, ImageSize, ImageSize)), z: z, face: face}
}

// paint draws one picture; everything it varies comes from r.
func (p *painter) paint(r *rand.Rand, shape string, c colour, initial string) *image.RGBA {
	bgTop, bgBottom := backgroundFor(r, c.rgb)
	p.gradient(bgTop, bgBottom)
	p.scale = 0.85 + 0.25*r.Float32()
	p.dx, p.dy = 40*r.Float32()-20, 30*r.Float32()-15

	p.ellipse(300, 478, 170, 22, color.RGBA{0, 0, 0, 40}) // shadow on the floor
	drawShape(p, shape, c.rgb)
	p.scale, p.dx, p.dy = 1, 0, 0
	p.ellipse(70, 70, 40, 40, shade(c.rgb, 0.55))
	p.text(initial, 70, 70, color.White)
	return p.img
}

// backgroundFor is a pale tint of the product's colour, or of a cool grey for
// pale products, so the silhouette always stands out.
func backgroundFor(r *rand.Rand, c color.RGBA) (color.RGBA, color.RGBA) {
	base := c
	if luminance(c) > 180 {
		base = color.RGBA{90, 110, 140, 255}
	}
	t := 0.78 + 0.1*r.Float64()
	return tint(base, t), tint(base, t-0.12)
}

func (p *painter) gradient(top, bottom color.RGBA) {
	pix, stride := p.img.Pix, p.img.Stride
	for y := range ImageSize {
		f := float64(y) / ImageSize
		row := pix[y*stride : y*stride+ImageSize*4]
		cr, cg, cb := mix(top.R, bottom.R, f), mix(top.G, bottom.G, f), mix(top.B, bottom.B, f)
		for x := 0; x < len(row); x += 4 {
			row[x], row[x+1], row[x+2], row[x+3] = cr, cg, cb, 255
		}
	}
}

// pt maps design coordinates to pixels.
func (p *painter) pt(x, y float32) (float32, float32) {
	return 300 + p.dx + (x-300)*p.scale, 300 + p.dy + (y-300)*p.scale
}

// pathOp is one recorded path command: 'M', 'L', 'Q' or 'C' with its points
// in pixels. Paths are recorded, then rasterized over their bounding box
// only: blending the whole canvas for every part was most of the seed's time.
type pathOp struct {
	cmd byte
	pts [6]float32
}

func (p *painter) record(cmd byte, xy ...float32) {
	op := pathOp{cmd: cmd}
	for i := 0; i+1 < len(xy); i += 2 {
		x, y := p.pt(xy[i], xy[i+1])
		op.pts[i], op.pts[i+1] = x, y
		if len(p.path) == 0 && i == 0 {
			p.minX, p.minY, p.maxX, p.maxY = x, y, x, y
		}
		p.minX, p.maxX = min(p.minX, x), max(p.maxX, x)
		p.minY, p.maxY = min(p.minY, y), max(p.maxY, y)
	}
	p.path = append(p.path, op)
}

func (p *painter) moveTo(x, y float32)                   { p.record('M', x, y) }
func (p *painter) lineTo(x, y float32)                   { p.record('L', x, y) }
func (p *painter) quadTo(bx, by, cx, cy float32)         { p.record('Q', bx, by, cx, cy) }
func (p *painter) cubeTo(bx, by, cx, cy, dx, dy float32) { p.record('C', bx, by, cx, cy, dx, dy) }
func (p *painter) closePath()                            { p.record('Z') }

// fill paints the recorded path (non-zero winding) and starts a new one.
func (p *painter) fill(c color.Color) {
	box := image.Rect(int(p.minX), int(p.minY), int(p.maxX)+2, int(p.maxY)+2).Intersect(p.img.Bounds())
	path := p.path
	p.path = p.path[:0]
	if box.Empty() {
		return
	}
	p.z.Reset(box.Dx(), box.Dy())
	ox, oy := float32(box.Min.X), float32(box.Min.Y)
	for _, op := range path {
		q := op.pts
		switch op.cmd {
		case 'M':
			p.z.MoveTo(q[0]-ox, q[1]-oy)
		case 'L':
			p.z.LineTo(q[0]-ox, q[1]-oy)
		case 'Q':
			p.z.QuadTo(q[0]-ox, q[1]-oy, q[2]-ox, q[3]-oy)
		case 'C':
			p.z.CubeTo(q[0]-ox, q[1]-oy, q[2]-ox, q[3]-oy, q[4]-ox, q[5]-oy)
		case 'Z':
			p.z.ClosePath()
		}
	}
	p.z.ClosePath()
	p.z.Draw(p.img, box, image.NewUniform(c), image.Point{})
}

func (p *painter) poly(c color.Color, xy ...float32) {
	p.moveTo(xy[0], xy[1])
	for i := 2; i+1 < len(xy); i += 2 {
		p.lineTo(xy[i], xy[i+1])
	}
	p.fill(c)
}

func (p *painter) rect(x0, y0, x1, y1 float32, c color.Color) {
	p.poly(c, x0, y0, x1, y0, x1, y1, x0, y1)
}

// ellipsePath adds an ellipse; reverse winds it the other way (a hole).
func (p *painter) ellipsePath(cx, cy, rx, ry float32, reverse bool) {
	const k = 0.5523 // cubic Bézier approximation of a quarter circle
	sy := float32(1)
	if reverse {
		sy = -1
	}
	ry *= sy
	p.moveTo(cx+rx, cy)
	p.cubeTo(cx+rx, cy+k*ry, cx+k*rx, cy+ry, cx, cy+ry)
	p.cubeTo(cx-k*rx, cy+ry, cx-rx, cy+k*ry, cx-rx, cy)
	p.cubeTo(cx-rx, cy-k*ry, cx-k*rx, cy-ry, cx, cy-ry)
	p.cubeTo(cx+k*rx, cy-ry, cx+rx, cy-k*ry, cx+rx, cy)
	p.closePath()
}

func (p *painter) ellipse(cx, cy, rx, ry float32, c color.Color) {
	p.ellipsePath(cx, cy, rx, ry, false)
	p.fill(c)
}

// text centres s on (cx, cy).
func (p *painter) text(s string, cx, cy int, c color.Color) {
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: p.face}
	w := d.MeasureString(s)
	m := p.face.Metrics()
	d.Dot = fixed.Point26_6{
		X: fixed.I(cx) - w/2,
		Y: fixed.I(cy) + (m.Ascent-m.Descent)/2,
	}
	d.DrawString(s)
}

func mix(a, b uint8, f float64) uint8 { return uint8(float64(a)*(1-f) + float64(b)*f) }

// tint mixes c towards white by t (0: c, 1: white).
func tint(c color.RGBA, t float64) color.RGBA {
	return color.RGBA{mix(c.R, 255, t), mix(c.G, 255, t), mix(c.B, 255, t), 255}
}

// shade mixes c towards black by 1-f (f=1: c).
func shade(c color.RGBA, f float64) color.RGBA {
	return color.RGBA{mix(0, c.R, f), mix(0, c.G, f), mix(0, c.B, f), 255}
}

func luminance(c color.RGBA) float64 {
	return 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
}
