package h1

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// pendingMax is how much body a handler may write before the head must go
// out: a response that ends within it gets a Content-Length, a longer one
// without a declared length is sent chunked (or, to HTTP/1.0, until close).
const pendingMax = 8 << 10

// responseWriter is the http.ResponseWriter of the handler path.
type responseWriter struct {
	c      *conn
	req    *http.Request
	body   *bodyReader
	header http.Header

	status      int
	wroteHeader bool
	committed   bool   // head written to c.bw
	pending     []byte // body held back until committed
	chunked     bool
	noBody      bool  // HEAD, 1xx, 204, 304: body bytes are not sent
	declared    int64 // the handler's Content-Length, -1 if none
	written     int64
	closeAfter  bool
	failed      bool // a write to the client failed
}

var _ http.Flusher = (*responseWriter)(nil)

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("h1: invalid status code " + strconv.Itoa(code))
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	w.wroteHeader = true
	w.status = code
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified || code < 200
	if cl := w.header.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			w.header.Del("Content-Length")
		} else {
			w.declared = n
		}
	}
}

// writeInformational sends a 1xx (103 Early Hints, say) at once; the final
// status comes later.
func (w *responseWriter) writeInformational(code int) {
	b := append([]byte("HTTP/1.1 "), appendStatusLine(nil, code)...)
	b = appendFields(b, w.header)
	b = append(b, "\r\n"...)
	if _, err := w.c.bw.Write(b); err != nil {
		w.failed = true
	}
	_ = w.c.bw.Flush()
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return 0, errWriteFailed
	}
	if w.noBody {
		w.written += int64(len(p))
		if w.status == http.StatusNoContent || w.status == http.StatusNotModified {
			return 0, http.ErrBodyNotAllowed
		}
		return len(p), nil // HEAD: counted for Content-Length, not sent
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		w.closeAfter = true
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.committed {
		if len(w.pending)+len(p) <= pendingMax {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.commit(false)
	}
	w.send(p)
	if w.failed {
		return 0, errWriteFailed
	}
	return len(p), nil
}

var errWriteFailed = &writeError{}

type writeError struct{}

func (*writeError) Error() string { return "h1: writing the response failed" }

// send writes body bytes in the response's framing.
func (w *responseWriter) send(p []byte) {
	if len(p) == 0 || w.failed {
		return
	}
	bw := w.c.bw
	if w.chunked {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	_, err := bw.Write(p)
	if w.chunked && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	if err != nil { // bufio keeps the first error, so earlier ones show here
		w.failed = true
	}
}

// Flush sends the head and what body there is now, for a handler that
// streams.
func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(false)
	}
	if err := w.c.bw.Flush(); err != nil {
		w.failed = true
	}
}

// commit writes the head. final means the handler has returned, so a body
// still pending is the whole body and gets a Content-Length.
func (w *responseWriter) commit(final bool) {
	w.committed = true
	h := w.header
	switch {
	case w.status < 200 || w.status == http.StatusNoContent:
		h.Del("Content-Length")
		h.Del("Transfer-Encoding")
	case w.status == http.StatusNotModified:
		h.Del("Transfer-Encoding")
	case w.declared >= 0:
	case final && (!w.noBody || w.written > 0):
		h.Set("Content-Length", strconv.FormatInt(w.written, 10))
	case final:
	case w.req.ProtoMinor >= 1:
		w.chunked = true
	default:
		w.closeAfter = true // HTTP/1.0: the body ends with the connection
	}
	if _, ok := h["Content-Type"]; !ok && !w.noBody && len(w.pending) > 0 {
		h.Set("Content-Type", http.DetectContentType(w.pending))
	}
	if _, ok := h["Date"]; !ok {
		h.Set("Date", httpDate())
	}
	for _, v := range h.Values("Connection") {
		if strings.Contains(strings.ToLower(v), "close") {
			w.closeAfter = true
		}
	}
	h.Del("Connection")
	h.Del("Transfer-Encoding")
	b := make([]byte, 0, 512)
	b = append(b, "HTTP/1.1 "...)
	b = appendStatusLine(b, w.status)
	b = appendFields(b, h)
	if w.chunked {
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	if w.body.undrainable() {
		w.closeAfter = true // say so: drain will close
	}
	switch {
	case w.closeAfter || w.req.Close || w.c.srv.closing.Load() || w.c.srv.lingering.Load():
		w.closeAfter = true
		b = append(b, "Connection: close\r\n"...)
	case w.req.ProtoMinor == 0:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	b = append(b, "\r\n"...)
	if _, err := w.c.bw.Write(b); err != nil {
		w.failed = true
	}
	pending := w.pending
	w.pending = nil
	if !w.noBody {
		w.send(pending)
	}
}

// finish completes the response after the handler returned and reports
// whether it reached the client whole.
func (w *responseWriter) finish() bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(true)
	}
	if w.chunked && !w.noBody {
		// A HEAD response flushed early says chunked but has no body, not
		// even the last chunk: it would be read as the next response.
		w.c.bw.WriteString("0\r\n\r\n")
	}
	if w.declared >= 0 && !w.noBody && w.written < w.declared {
		// The handler promised more than it wrote: the client can only
		// tell by the connection closing.
		w.closeAfter = true
	}
	if err := w.c.bw.Flush(); err != nil {
		return false
	}
	return !w.failed
}

// appendFields writes h's fields in sorted order, dropping names that are
// not tokens and turning CR and LF in values into spaces, so no handler
// can split the response.
func appendFields(b []byte, h http.Header) []byte {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if !isToken([]byte(k)) || strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			for i := range len(v) {
				c := v[i]
				if c == '\r' || c == '\n' || c == 0 {
					c = ' '
				}
				b = append(b, c)
			}
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// appendStatusLine appends "200 OK\r\n" (the part after "HTTP/1.1 ").
func appendStatusLine(b []byte, code int) []byte {
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	if t := http.StatusText(code); t != "" {
		b = append(b, t...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	return append(b, "\r\n"...)
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// httpDate is the current time in the Date format, formatted at most once
// a second (every response needs one; formatting costs more than reading).
func httpDate() string {
	now := time.Now().Unix()
	if d := dateCache.Load(); d != nil && d.unix == now {
		return d.text
	}
	d := &cachedDate{unix: now, text: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.text
}

type cachedDate struct {
	unix int64
	text string
}

var dateCache atomic.Pointer[cachedDate]

// AppendHead appends an HTTP/1.1 status line and h's fields, in the form
// the server writes them, for a FastHandler that stores heads serialized.
func AppendHead(b []byte, status int, h http.Header) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = appendStatusLine(b, status)
	return appendFields(b, h)
}
