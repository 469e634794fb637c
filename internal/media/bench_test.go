package media

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"golang.org/x/image/draw"
)

// BenchmarkVariants measures making the three variants of a 3000×2000 photo
// (decoded, as Upload holds it) with each candidate resampler, and reports
// how close each thumbnail comes to the best one can make (CatmullRom from
// the original), as PSNR in dB: above 40 no difference shows, below 25 the
// aliasing does. See scaler.
//
//	go test -run XXX -bench Variants ./internal/media
func BenchmarkVariants(b *testing.B) {
	img, err := jpeg.Decode(bytes.NewReader(jpegOf(b, photo(3000, 2000))))
	if err != nil {
		b.Fatal(err)
	}
	best := direct(img, draw.CatmullRom)
	for _, bc := range []struct {
		name    string
		variant func(image.Image) []image.Image
	}{
		{"CatmullRom cascade", func(m image.Image) []image.Image { return makeVariants(m, draw.CatmullRom) }},
		{"ApproxBiLinear cascade", func(m image.Image) []image.Image { return makeVariants(m, draw.ApproxBiLinear) }},
		{"CatmullRom each from the original", func(m image.Image) []image.Image { return direct(m, draw.CatmullRom) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var out []image.Image
			for b.Loop() {
				out = bc.variant(img)
			}
			b.ReportMetric(psnr(best[2], out[2]), "dB-thumbnail")
		})
	}
}

// direct scales every variant from the original: the baseline the cascade
// in makeVariants is measured against.
func direct(img image.Image, s draw.Scaler) []image.Image {
	var out []image.Image
	for _, v := range variants {
		w, h := fit(img.Bounds().Dx(), img.Bounds().Dy(), v.box)
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		s.Scale(dst, dst.Rect, img, img.Bounds(), draw.Src, nil)
		out = append(out, dst)
	}
	return out
}

// psnr is the peak signal-to-noise ratio of b against a, in dB.
func psnr(a, b image.Image) float64 {
	pa, pb := toRGBA(a).Pix, toRGBA(b).Pix
	var se float64
	for i := range pa {
		d := float64(pa[i]) - float64(pb[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(len(pa))/se)
}

// BenchmarkUpload3000x2000JPEG is the whole cost of one upload of a
// 3000×2000 JPEG into a directory: decode, re-encode the original, make and
// encode the three variants, write four objects. Each iteration uploads a
// different picture, so none is skipped as already stored.
func BenchmarkUpload3000x2000JPEG(b *testing.B) {
	s, err := Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	src := photo(3000, 2000)
	var uploads [][]byte
	for i := range 8 {
		src.Pix[0] = byte(i) // another picture, another key
		uploads = append(uploads, jpegOf(b, src))
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == len(uploads) { // stored already: start over in a fresh bucket
			b.StopTimer()
			s.Close()
			if s, err = Open(context.Background(), b.TempDir()); err != nil {
				b.Fatal(err)
			}
			i = 0
			b.StartTimer()
		}
		if _, err := s.Upload(context.Background(), uploads[i], Limits{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
