package seed

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/opentype"

	"agora/internal/catalog"
	"agora/internal/media"
)

// MaxImages bounds the pool of distinct pictures a seed draws: products
// share them, so a large catalog costs no more drawing than a medium one.
const MaxImages = 1200

// imageStream separates the random streams of pictures from the product
// stream of the same seed.
const imageStream = 0x1a9e5

// imagePool holds the keys of the drawn pictures, grouped by department.
type imagePool struct {
	keys   []string
	byDept [][]int // picture indexes of each department
}

// pick gives a product 1–3 distinct pictures of its department.
func (p *imagePool) pick(r *rand.Rand, dept int, alt string) []catalog.Image {
	idx := p.byDept[dept]
	if len(idx) == 0 {
		idx = p.byDept[0] // fewer pictures than departments: share
	}
	n := min(1+r.IntN(3), len(idx))
	first := r.IntN(len(idx))
	imgs := make([]catalog.Image, n)
	for j := range imgs {
		imgs[j] = catalog.Image{Key: p.keys[idx[(first+j)%len(idx)]], Alt: alt, Width: ImageSize, Height: ImageSize}
	}
	return imgs
}

// drawImages draws n pictures (picture i belongs to department i mod
// len(depts)) on GOMAXPROCS workers and stores them. Picture i's content
// depends only on the seed and i, never on scheduling.
func drawImages(ctx context.Context, store *media.Store, depts []*department, n int, seed uint64, done func()) (*imagePool, error) {
	pool := &imagePool{keys: make([]string, n), byDept: make([][]int, len(depts))}
	for i := range n {
		pool.byDept[i%len(depts)] = append(pool.byDept[i%len(depts)], i)
	}
	font, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("seed: font: %w", err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			if err := drawWorker(ctx, store, font, depts, seed, pool, &next, done); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return pool, nil
}

// drawWorker draws pictures until none is left, reusing its canvas and
// encoding buffer.
func drawWorker(ctx context.Context, store *media.Store, f *opentype.Font, depts []*department, seed uint64, pool *imagePool, next *atomic.Int64, done func()) error {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 44, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return fmt.Errorf("seed: font face: %w", err)
	}
	defer face.Close()
	p := newPainter(face)
	var buf bytes.Buffer
	for {
		i := int(next.Add(1) - 1)
		if i >= len(pool.keys) || ctx.Err() != nil {
			return nil
		}
		r := rand.New(rand.NewPCG(seed, imageStream+uint64(i)))
		d := depts[i%len(depts)]
		img := p.paint(r, d.shape, pick(r, colours), d.name[:1])
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
			return fmt.Errorf("seed: encode picture %d: %w", i, err)
		}
		key, err := store.Put(ctx, buf.Bytes())
		if err != nil {
			return fmt.Errorf("seed: store picture %d: %w", i, err)
		}
		pool.keys[i] = key // each index is written by exactly one worker
		done()
	}
}
