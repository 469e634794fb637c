package edge

import (
	"bytes"
	"compress/gzip"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"

	"agora/internal/edge/cache"
)

// The edge asks the origin for the identity coding and compresses stored
// responses itself, once per object, so one stored object serves every
// client whatever it accepts. Compression happens on an object's first hit
// that asks for a coding, not when it is stored: a page fetched once (the
// long tail of a catalog, a crawler's visit) is never compressed, and the
// miss path pays no compression at all; on this machine gzip and br of a
// 20 KB page cost ~0.7 ms, as much as the app's render. The request that
// makes them waits for them; others meanwhile get identity.
//
// Both gzip and br (brotli) are made; br at quality 5, which on HTML gives
// most of brotli's gain over gzip at a few times gzip's cost, paid once.

// minCompress is the smallest body worth compressing: below it the gzip
// framing eats most of the gain.
const minCompress = 1 << 10

// compressibleTypes are the media types the edge compresses.
var compressibleTypes = map[string]bool{
	"text/html": true, "text/css": true, "text/plain": true,
	"application/javascript": true, "application/json": true,
	"application/xml": true, "image/svg+xml": true,
}

// encoders make the content codings the edge serves, by name.
var encoders = map[string]func([]byte) []byte{"gzip": gzipBody, "br": brotliBody}

// compressible reports whether a stored response with header h and body is
// worth compressing: a listed type, not already content-coded, large enough,
// and not marked no-transform (RFC 9110 §7.7, RFC 9111 §5.2.2.6).
func compressible(h http.Header, body []byte) bool {
	return compressibleSize(h, int64(len(body)))
}

// compressibleSize is compressible for a body of n bytes not at hand (the
// answer to a HEAD).
func compressibleSize(h http.Header, n int64) bool {
	if n < minCompress {
		return false
	}
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return false
	}
	if cache.ParseCacheControl(h.Values("Cache-Control")).NoTransform {
		return false
	}
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && compressibleTypes[mt]
}

// withEncoded returns ent with its encoded bodies, making them when r asks
// for a coding and nobody has yet: the new version replaces ent in the
// store, unless a purge or a newer response got there first (it still
// answers r). Others asking meanwhile get ent, in identity.
func (e *Edge) withEncoded(r *http.Request, ent *cache.Entry) *cache.Entry {
	if !ent.Compressible || ent.Encoded != nil || cache.NormalizeAcceptEncoding(r.Header.Get("Accept-Encoding")) == "identity" {
		return ent
	}
	if !ent.ClaimEncoding() {
		return ent
	}
	nw := ent.WithEncoded(e.encodeBody(ent.Body))
	prepareHeads(nw, e.Downstream)
	if _, err := e.Store.Replace(ent, nw); err != nil {
		return ent // too large with its codings: stays identity
	}
	return nw
}

// encodeBody returns body in every coding the edge makes, keeping only
// those smaller than the original.
func (e *Edge) encodeBody(body []byte) map[string][]byte {
	out := map[string][]byte{}
	e.compressions.Add(1) // objects compressed, each into every coding
	for name, enc := range encoders {
		if b := enc(body); len(b) < len(body) {
			out[name] = b
		}
	}
	return out
}

// Compressor state is large (gzip ~800 KB, brotli ~1.2 MB) next to a
// page: made per miss it was most of the edge's allocation on the miss
// path, so writers are pooled and reset.
var (
	gzipWriters   = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, 6); return w }} // level 6 is valid
	brotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, 5) }}
)

func gzipBody(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	_, _ = zw.Write(body) // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return bytes.Clone(buf.Bytes()) // exact size: the store counts length
}

func brotliBody(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) / 5)
	bw := brotliWriters.Get().(*brotli.Writer)
	defer brotliWriters.Put(bw)
	bw.Reset(&buf)
	_, _ = bw.Write(body) // writes to a bytes.Buffer do not fail
	_ = bw.Close()
	return bytes.Clone(buf.Bytes()) // exact size: the store counts length
}

// selectBody picks the stored body for r by its Accept-Encoding and sets
// the fields that go with it on h: Content-Encoding, and Vary, since the
// answer now depends on Accept-Encoding (RFC 9110 §12.5.5). A coded
// variant is a different representation, so its strong ETag is weakened
// (RFC 9110 §8.8.1), as a stored validator must still match on revalidation.
func selectBody(h http.Header, r *http.Request, ent *cache.Entry) []byte {
	if !ent.Compressible {
		return ent.Body
	}
	addVary(h, "Accept-Encoding") // even in identity: others get a coding
	if len(ent.Encoded) == 0 {
		h.Del("Content-Encoding")
		return ent.Body
	}
	h.Del("Content-Encoding") // the stored body is identity
	ae := r.Header.Get("Accept-Encoding")
	coding := cache.NormalizeAcceptEncoding(ae)
	if _, ok := ent.Encoded[coding]; !ok && coding == "br" {
		// No br variant: the client's next choice. A later br;q=0 overrides
		// its br, as the last occurrence counts in NormalizeAcceptEncoding.
		coding = cache.NormalizeAcceptEncoding(ae + ", br;q=0")
	}
	b, ok := ent.Encoded[coding]
	if !ok {
		return ent.Body
	}
	h.Set("Content-Encoding", coding)
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("ETag", "W/"+et)
	}
	return b
}

// addVary adds name to h's Vary unless it is already there.
func addVary(h http.Header, name string) {
	names, _ := cache.ParseVary(h)
	for _, n := range names {
		if n == name {
			return
		}
	}
	h.Add("Vary", name)
}
