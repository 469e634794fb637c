package edge

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"agora/internal/edge/cache"
	"agora/internal/edge/h1"
)

// The fast path answers the common cache hit (a plain GET or HEAD of a
// fresh stored page) straight from bytes prepared when the page was
// stored: the head per content coding is serialized once (prepareHeads),
// and a hit only appends Age and Cache-Status and hands the stored body to
// the server, which writes both with one writev. Anything less common
// (conditionals, request cache directives, Authorization, Vary on other
// fields, stale entries, unusual paths) is declined and takes the ordinary
// path in ServeHTTP, which gives the same answer more slowly; the fast path
// is an optimization, never a different behaviour (fast_test.go compares
// the two byte for byte).

// ServeFast is the h1.FastHandler of the public listener.
func (e *Edge) ServeFast(req *h1.Request, rep *h1.Reply) bool {
	e.init()
	var headOnly bool
	switch string(req.Method) { // compared in place, no allocation
	case http.MethodGet:
	case http.MethodHead:
		headOnly = true
	default:
		return false
	}
	if len(req.Host) == 0 || !plainPath(req.Path) || bytes.HasPrefix(req.Path, []byte("/_internal")) {
		return false
	}
	var ae []byte
	for i := range req.Fields {
		switch fieldClass(req.Fields[i].Name) {
		case classBypass:
			return false
		case classAcceptEncoding:
			if ae != nil {
				return false // several fields: let the ordinary path join them
			}
			ae = req.Fields[i].Value
		case classConnection:
			if !connectionOptionsOnly(req.Fields[i].Value) {
				return false // it names fields: withoutConnectionFields
			}
		}
	}
	req.Scratch = cache.AppendKey(req.Scratch[:0], http.MethodGet, str(req.Host), req.TLS, str(req.Path), str(req.Query))
	ent, ok := e.Store.Get(str(req.Scratch))
	if !ok || isMarker(ent) || ent.Heads == nil {
		return false
	}
	now := e.Now()
	if ent.State(now) != cache.Fresh {
		return false
	}
	coding, body := "identity", ent.Body
	if ent.Compressible {
		if c := cache.NormalizeAcceptEncoding(str(ae)); c != "identity" {
			b, ok := ent.Encoded[c]
			switch {
			case ent.Encoded == nil:
				return false // its first coded hit makes the codings: withEncoded
			case ok:
				coding, body = c, b
			case c == "br":
				return false // the client's second choice: see selectBody
			}
		}
	}
	head, ok := ent.Heads[coding]
	if !ok {
		return false
	}
	e.hits.Add(1)
	age := ent.Freshness.Age(ent.StoredAt, now)
	b := append(rep.Head, head...)
	b = append(b, "Age: "...)
	b = strconv.AppendInt(b, int64(age/time.Second), 10)
	b = append(b, "\r\nCache-Status: agora; hit; ttl="...)
	b = strconv.AppendInt(b, int64((ent.Freshness.Lifetime-age)/time.Second), 10)
	rep.Head = append(b, "\r\n"...)
	if !headOnly {
		rep.Body = body
	}
	return true
}

// str views b as a string without copying, for lookups that do not keep
// it.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// plainPath reports whether an origin-form path is made only of characters
// that url.URL keeps as they are (unreserved, sub-delims, ':', '@', '/',
// and valid percent escapes), so the raw bytes are the EscapedPath the
// ordinary path builds its key from.
func plainPath(p []byte) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case plainChar[c]:
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

// plainChar: unreserved and sub-delims, ':', '@' and '/' (RFC 3986 pchar
// without percent escapes); a table, as plainPath runs on every hit.
var plainChar = func() (t [256]bool) {
	for c := range 256 {
		b := byte(c)
		t[c] = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
			strings.IndexByte("-._~!$&'()*+,;=:@/", b) >= 0
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

type class int

const (
	classOther class = iota
	classAcceptEncoding
	// classBypass: the field changes how a cache may answer (RFC 9111
	// §5.2.1 directives, Authorization, conditionals), so the ordinary
	// path decides.
	classBypass
	// classConnection: the ordinary path decides when it names fields.
	classConnection
)

func fieldClass(name []byte) class {
	switch {
	case len(name) > 3 && (name[0] == 'I' || name[0] == 'i') && (name[1] == 'F' || name[1] == 'f') && name[2] == '-':
		return classBypass // If-None-Match, If-Modified-Since, If-Range…
	case h1.EqualFold(name, "Accept-Encoding"):
		return classAcceptEncoding
	case h1.EqualFold(name, "Connection"):
		return classConnection
	case h1.EqualFold(name, "Cache-Control"), h1.EqualFold(name, "Pragma"), h1.EqualFold(name, "Authorization"),
		// A trusted proxy's https changes the key (Edge.withClientScheme).
		h1.EqualFold(name, "X-Forwarded-Proto"),
		// A PoP's request: the shield's answer carries tags and its seq.
		h1.EqualFold(name, shieldAuthField):
		return classBypass
	}
	return classOther
}

// connectionOptionsOnly reports whether a Connection value holds only the
// options close and keep-alive, naming no field the ordinary path would
// remove before reading the request (withoutConnectionFields).
func connectionOptionsOnly(v []byte) bool {
	for len(v) > 0 {
		var t []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			t, v = v[:i], v[i+1:]
		} else {
			t, v = v, nil
		}
		t = bytes.TrimSpace(t)
		if len(t) > 0 && !h1.EqualFold(t, "close") && !h1.EqualFold(t, "keep-alive") {
			return false
		}
	}
	return true
}

// prepareHeads serializes ent's head for each coding it can be served in,
// exactly as serveEntry and writeEntryBody would write them, less Age and
// Cache-Status. It runs once per stored entry, before Put.
func prepareHeads(ent *cache.Entry, d Downstream) {
	if isMarker(ent) {
		return
	}
	codings := []string{"identity"}
	for c := range ent.Encoded {
		codings = append(codings, c)
	}
	ent.Heads = make(map[string][]byte, len(codings))
	for _, coding := range codings {
		h := make(http.Header, len(ent.Header)+3)
		for k, v := range ent.Header {
			h[k] = slices.Clone(v)
		}
		h.Del("Surrogate-Control")
		h.Del("Age")
		h.Del("Cache-Status")
		d.addFields(h, ent)
		if _, ok := h["Content-Type"]; !ok && len(ent.Body) > 0 {
			h.Set("Content-Type", http.DetectContentType(ent.Body)) // as net/http would
		}
		r := &http.Request{Header: http.Header{"Accept-Encoding": {coding}}}
		body := selectBody(h, r, ent)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		ent.Heads[coding] = h1.AppendHead(nil, ent.Status, h)
	}
}
