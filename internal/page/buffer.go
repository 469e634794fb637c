package page

import (
	"bytes"
	"sync"
)

// bufPool holds render buffers: a page is rendered whole before anything is
// written, so a template error still becomes a clean 500.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled keeps an unusually large page's buffer out of the pool, so one
// huge page does not pin its memory for good.
const maxPooled = 1 << 20

// Buffer returns an empty buffer to render a page into; give it back with
// Release once its bytes are written.
func Buffer() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

// Release returns b to the pool. b must not be used afterwards.
func Release(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		bufPool.Put(b)
	}
}
