package h1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

var (
	errHeadTooLarge = errors.New("h1: response head too large")
	errBareCR       = errors.New("h1: bare CR in response head")
)

// readLine reads one head line without its end (CRLF or LF), charging it
// to budget. On failure line holds what was read, so the caller can tell
// a connection that gave nothing from one that broke mid-head.
func (cn *clientConn) readLine(budget *int) ([]byte, error) {
	line, err := cn.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		cn.long = append(cn.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(cn.long) > *budget {
				return cn.long, errHeadTooLarge
			}
			line, err = cn.br.ReadSlice('\n')
			cn.long = append(cn.long, line...)
		}
		line = cn.long
	}
	*budget -= len(line)
	if *budget < 0 {
		return line, errHeadTooLarge
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return line, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, errBareCR
	}
	return line, nil
}

// readHead reads one response head. read reports whether any byte of it
// arrived.
func (cn *clientConn) readHead(req *http.Request) (resp *http.Response, read bool, err error) {
	budget := cn.c.MaxHeaderBytes
	line, err := cn.readLine(&budget)
	if err != nil {
		return nil, len(line) > 0, err
	}
	minor, code, status, err := parseStatusLine(line)
	if err != nil {
		return nil, true, err
	}
	cn.vals, cn.recs = cn.vals[:0], cn.recs[:0]
	for {
		line, err = cn.readLine(&budget)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, true, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, true, errors.New("h1: obsolete line folding in response head")
		}
		f, err := parseField(line)
		if err != nil {
			return nil, true, fmt.Errorf("h1: response head: %v", err)
		}
		start := len(cn.vals)
		cn.vals = append(cn.vals, f.Value...)
		cn.recs = append(cn.recs, headRec{key: headerKey(f.Name), start: start, end: len(cn.vals)})
	}
	// One string for all the values, one slice for all the lists (as
	// net/textproto does): two allocations, not one per field.
	s := string(cn.vals)
	vv := make([]string, len(cn.recs))
	h := make(http.Header, len(cn.recs))
	for i, r := range cn.recs {
		vv[i] = s[r.start:r.end]
		if old, ok := h[r.key]; ok {
			h[r.key] = append(old, vv[i])
		} else {
			h[r.key] = vv[i : i+1 : i+1]
		}
	}
	proto := "HTTP/1.1"
	if minor == 0 {
		proto = "HTTP/1.0"
	}
	return &http.Response{
		Status: status, StatusCode: code, Proto: proto, ProtoMajor: 1, ProtoMinor: minor,
		Header: h, Request: req, ContentLength: -1,
	}, true, nil
}

// parseStatusLine reads "HTTP/1.x SP 3DIGIT SP reason" (RFC 9112 §4); the
// reason may be empty, and its space missing with it.
func parseStatusLine(line []byte) (minor, code int, status string, err error) {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ' {
		return 0, 0, "", fmt.Errorf("h1: malformed status line %q", truncate(line))
	}
	minor = int(line[7] - '0')
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, 0, "", fmt.Errorf("h1: malformed status code in %q", truncate(line))
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return 0, 0, "", fmt.Errorf("h1: malformed status code in %q", truncate(line))
	}
	if len(line) > 12 && line[12] != ' ' {
		return 0, 0, "", fmt.Errorf("h1: malformed status line %q", truncate(line))
	}
	for _, c := range line[12:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return 0, 0, "", fmt.Errorf("h1: invalid character in status line %q", truncate(line))
		}
	}
	if code < len(statusLines) && statusLines[code] != "" && string(line[9:]) == statusLines[code] {
		s := statusLines[code]
		return minor, code, s, nil // the usual reason: no allocation
	}
	return minor, code, string(line[9:]), nil
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// statusLines are "200 OK" and the like, by code.
var statusLines = func() (t [600]string) {
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			t[code] = strconv.Itoa(code) + " " + text
		}
	}
	return t
}()

// commonKeys maps the usual field names, as backends spell them, to their
// canonical form, so that they cost no allocation.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept-Ranges", "Age", "Cache-Control", "Connection", "Content-Disposition",
		"Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
		"Content-Range", "Content-Security-Policy", "Content-Type", "Date", "Etag", "Expires",
		"Keep-Alive", "Last-Modified", "Link", "Location", "Pragma", "Referrer-Policy",
		"Retry-After", "Server", "Set-Cookie", "Strict-Transport-Security", "Surrogate-Control",
		"Surrogate-Key", "Trailer", "Transfer-Encoding", "Vary", "Via", "Www-Authenticate",
		"X-Content-Type-Options", "X-Frame-Options", "X-Request-Id", "X-Cache",
	} {
		m[k] = k
	}
	return m
}()

// headerKey is the canonical form of a field name (a token: parseField
// checked it).
func headerKey(name []byte) string {
	if k, ok := commonKeys[string(name)]; ok {
		return k
	}
	return http.CanonicalHeaderKey(string(name))
}

// frame decides how the body of resp, the answer to a request with
// method, is delimited (RFC 9112 §6.3) and whether the connection stays
// open after it, as net/http does; ambiguous framing is refused, never
// guessed.
func (cn *clientConn) frame(resp *http.Response, method string) (*body, error) {
	h := resp.Header
	b := &body{}
	conv := h["Connection"]
	hasClose := hasToken(conv, "close")
	if resp.ProtoMinor == 0 {
		resp.Close = hasClose || !hasToken(conv, "keep-alive")
	} else {
		resp.Close = hasClose
		if hasClose {
			delete(h, "Connection")
		}
	}
	chunked := false
	if te, ok := h["Transfer-Encoding"]; ok {
		switch {
		case resp.ProtoMinor == 0:
			return nil, errors.New("h1: Transfer-Encoding in an HTTP/1.0 response")
		case len(te) != 1 || !equalFold(te[0], "chunked"):
			return nil, fmt.Errorf("h1: unsupported Transfer-Encoding %q", te)
		case len(h["Content-Length"]) > 0:
			return nil, errors.New("h1: both Transfer-Encoding and Content-Length in a response")
		}
		delete(h, "Transfer-Encoding")
		resp.TransferEncoding = []string{"chunked"}
		chunked = true
		// Trailers are not passed on: the field announcing them goes too.
		delete(h, "Trailer")
	}
	length := int64(-1)
	if cl, ok := h["Content-Length"]; ok {
		for _, v := range cl[1:] {
			if v != cl[0] {
				return nil, errors.New("h1: conflicting Content-Length fields in a response")
			}
		}
		h["Content-Length"] = cl[:1]
		n, ok := parseLengthString(cl[0])
		if !ok {
			return nil, fmt.Errorf("h1: malformed Content-Length %q", cl[0])
		}
		length = n
	}
	code := resp.StatusCode
	switch {
	case method == http.MethodHead:
		resp.ContentLength = length
	case code/100 == 1 || code == http.StatusNoContent || code == http.StatusNotModified:
		resp.ContentLength = 0
	case chunked:
		b.mode = modeChunked
	case length > 0:
		resp.ContentLength = length
		b.mode, b.n = modeLength, length
	case length == 0:
		resp.ContentLength = 0
	default:
		// No length: the body ends when the backend closes.
		resp.Close = true
		b.mode = modeEOF
	}
	b.keep = !resp.Close
	return b, nil
}

// parseLengthString is parseLength for a string.
func parseLengthString(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
