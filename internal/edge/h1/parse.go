package h1

import (
	"bytes"
	"errors"
)

// Request is one parsed HTTP/1.x request head. Its byte slices point into
// the connection's read buffer: they are valid only until the handler
// returns, and must be copied to be kept.
type Request struct {
	Method []byte
	Target []byte // as sent: origin-form "/p/x?q=1", absolute-form, or "*"
	Path   []byte // Target up to '?', for origin-form
	Query  []byte // after '?', without it
	Minor  int    // HTTP/1.Minor: 0 or 1
	Host   []byte // the Host field (empty for HTTP/1.0 without one)
	Fields []Field

	// ContentLength is the body length declared by Content-Length, -1
	// with Transfer-Encoding: chunked, 0 without a body.
	ContentLength int64
	Chunked       bool
	// Close: the client wants the connection closed after this response.
	Close bool
	// Continue: the client waits for "100 Continue" before its body.
	Continue bool

	// TLS: the request came over TLS (the connection's, not a claim of the
	// client's); the cache keeps https pages apart from http ones.
	TLS bool

	// Scratch is a buffer the handler may reuse between requests on the
	// same connection (for building a cache key without allocating).
	Scratch []byte
}

// Field is one header field line.
type Field struct{ Name, Value []byte }

// Get returns the value of the first field named name (ASCII
// case-insensitive), or nil.
func (r *Request) Get(name string) []byte {
	for i := range r.Fields {
		if EqualFold(r.Fields[i].Name, name) {
			return r.Fields[i].Value
		}
	}
	return nil
}

// Count returns how many fields are named name.
func (r *Request) Count(name string) int {
	n := 0
	for i := range r.Fields {
		if EqualFold(r.Fields[i].Name, name) {
			n++
		}
	}
	return n
}

func (r *Request) reset() {
	scratch := r.Scratch[:0]
	fields := r.Fields[:0]
	*r = Request{Fields: fields, Scratch: scratch}
}

// A parse error carries the status the client gets, so each rejection says
// precisely what was wrong (RFC 9112 §2.2, §3, §5, §6).
type parseError struct {
	status int
	msg    string
}

func (e *parseError) Error() string { return e.msg }

func badRequest(msg string) error { return &parseError{status: 400, msg: msg} }

var (
	// errIncomplete: the head has not fully arrived yet.
	errIncomplete = errors.New("h1: incomplete request head")
	errTooLarge   = &parseError{status: 431, msg: "request header fields too large"}
)

// parseHead parses the request head at the start of buf into r and returns
// its length, errIncomplete when more bytes are needed, or a *parseError.
// It accepts LF as well as CRLF line ends (RFC 9112 §2.2 allows it) but
// never a bare CR, and ignores empty lines before the request line.
// maxFields bounds the number of header fields.
func parseHead(buf []byte, r *Request, maxFields int) (int, error) {
	r.reset()
	pos := 0
	// RFC 9112 §2.2: ignore at least one empty line before the request.
	for pos < len(buf) && (buf[pos] == '\r' || buf[pos] == '\n') {
		if buf[pos] == '\r' && (pos+1 >= len(buf) || buf[pos+1] != '\n') {
			if pos+1 >= len(buf) {
				return 0, errIncomplete
			}
			return 0, badRequest("bare CR in request")
		}
		pos++
	}
	line, next, err := nextLine(buf, pos)
	if err != nil {
		return 0, err
	}
	if err := parseRequestLine(line, r); err != nil {
		return 0, err
	}
	pos = next
	for {
		line, next, err = nextLine(buf, pos)
		if err != nil {
			return 0, err
		}
		pos = next
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// RFC 9112 §5.2: obsolete line folding; reject.
			return 0, badRequest("obsolete line folding in header fields")
		}
		if len(r.Fields) >= maxFields {
			return 0, errTooLarge
		}
		f, err := parseField(line)
		if err != nil {
			return 0, err
		}
		r.Fields = append(r.Fields, f)
	}
	if err := r.interpret(); err != nil {
		return 0, err
	}
	return pos, nil
}

// nextLine returns the line starting at pos without its line end, and the
// position after it.
func nextLine(buf []byte, pos int) (line []byte, next int, err error) {
	i := bytes.IndexByte(buf[pos:], '\n')
	if i < 0 {
		return nil, 0, errIncomplete
	}
	line = buf[pos : pos+i]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if bytes.IndexByte(line, '\r') >= 0 {
		return nil, 0, badRequest("bare CR in request head")
	}
	return line, pos + i + 1, nil
}

// parseRequestLine reads "method SP request-target SP HTTP-version".
func parseRequestLine(line []byte, r *Request) error {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return badRequest("malformed request line")
	}
	r.Method = line[:sp]
	if !isToken(r.Method) {
		return badRequest("malformed method")
	}
	rest := line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return badRequest("malformed request line")
	}
	r.Target = rest[:sp]
	version := rest[sp+1:]
	for _, c := range r.Target {
		// Visible ASCII only: no spaces, controls or raw UTF-8.
		if c <= ' ' || c >= 0x7f {
			return badRequest("invalid character in request target")
		}
	}
	switch string(version) { // no allocation: compared in place
	case "HTTP/1.1":
		r.Minor = 1
	case "HTTP/1.0":
		r.Minor = 0
	default:
		if bytes.HasPrefix(version, []byte("HTTP/")) && len(version) == 8 && version[6] == '.' {
			return &parseError{status: 505, msg: "HTTP version not supported"}
		}
		return badRequest("malformed HTTP version")
	}
	r.Path = r.Target
	if q := bytes.IndexByte(r.Target, '?'); q >= 0 {
		r.Path, r.Query = r.Target[:q], r.Target[q+1:]
	}
	return nil
}

// parseField reads "name: value": no whitespace before the colon (RFC 9112
// §5.1 requires rejecting it), value trimmed of surrounding spaces and
// tabs, no control characters but tab (RFC 9110 §5.5).
func parseField(line []byte) (Field, error) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return Field{}, badRequest("malformed header field")
	}
	name := line[:colon]
	if !isToken(name) {
		return Field{}, badRequest("malformed header field name")
	}
	value := line[colon+1:]
	for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
		value = value[1:]
	}
	for len(value) > 0 && (value[len(value)-1] == ' ' || value[len(value)-1] == '\t') {
		value = value[:len(value)-1]
	}
	for _, c := range value {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return Field{}, badRequest("invalid character in header field value")
		}
	}
	return Field{Name: name, Value: value}, nil
}

// interpret reads the fields that frame the message and the connection:
// Host, Content-Length, Transfer-Encoding, Connection, Expect. Ambiguous
// framing is refused, never guessed (RFC 9112 §6.3: a request with both
// Transfer-Encoding and Content-Length is a smuggling attempt).
func (r *Request) interpret() error {
	var hosts, lengths, encodings int
	var length []byte
	keepAlive := false
	for i := range r.Fields {
		f := &r.Fields[i]
		switch {
		case EqualFold(f.Name, "Host"):
			hosts++
			r.Host = f.Value
		case EqualFold(f.Name, "Content-Length"):
			if lengths > 0 && !bytes.Equal(length, f.Value) {
				return badRequest("conflicting Content-Length fields")
			}
			lengths++
			length = f.Value
		case EqualFold(f.Name, "Transfer-Encoding"):
			// RFC 9112 §6.3: chunked anywhere but last ("chunked,
			// identity", or a second field after "chunked") leaves the
			// length unknowable: 400, the smuggling probe it usually is.
			// Any other coding is merely unsupported: 501 (§6.1).
			if encodings > 0 || chunkedNotFinal(f.Value) {
				return badRequest("chunked is not the final transfer coding")
			}
			encodings++
			if !EqualFold(f.Value, "chunked") {
				return &parseError{status: 501, msg: "only the chunked transfer coding is supported"}
			}
		case EqualFold(f.Name, "Connection"):
			for v := f.Value; len(v) > 0; {
				var t []byte
				t, v = nextToken(v)
				switch {
				case EqualFold(t, "close"):
					r.Close = true
				case EqualFold(t, "keep-alive"):
					keepAlive = true
				}
			}
		case EqualFold(f.Name, "Expect"):
			if !EqualFold(f.Value, "100-continue") {
				return &parseError{status: 417, msg: "unsupported expectation"}
			}
			// RFC 9110 §10.1.1: a server MUST ignore 100-continue in an
			// HTTP/1.0 request (and §15.2: never send it a 1xx).
			r.Continue = r.Minor == 1
		}
	}
	switch {
	case hosts > 1:
		return badRequest("more than one Host field")
	case hosts == 0 && r.Minor == 1:
		return badRequest("missing Host field")
	case !validHost(r.Host):
		return badRequest("malformed Host field")
	}
	if r.Minor == 0 && !keepAlive {
		r.Close = true // HTTP/1.0 closes unless asked otherwise
	}
	switch {
	case encodings > 0 && lengths > 0:
		return badRequest("both Transfer-Encoding and Content-Length")
	case encodings > 1:
		return &parseError{status: 501, msg: "only one chunked transfer coding is supported"}
	case encodings == 1 && r.Minor == 0:
		return badRequest("Transfer-Encoding in an HTTP/1.0 request")
	case encodings == 1:
		r.Chunked, r.ContentLength = true, -1
	case lengths > 0:
		n, ok := parseLength(length)
		if !ok {
			return badRequest("malformed Content-Length")
		}
		r.ContentLength = n
	}
	return nil
}

// chunkedNotFinal reports whether the coding list v names chunked before
// its last coding.
func chunkedNotFinal(v []byte) bool {
	for len(v) > 0 {
		var t []byte
		t, v = nextToken(v)
		if EqualFold(t, "chunked") && len(bytes.Trim(v, " \t,")) > 0 {
			return true
		}
	}
	return false
}

// parseLength reads a Content-Length: decimal digits only, no sign, no
// list, at most 18 digits so it cannot overflow.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// validHost accepts the characters of a uri-host and port (RFC 3986
// reg-name, IP literals, percent escapes), nothing that could change a URL
// built from it.
func validHost(h []byte) bool {
	for _, c := range h {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case bytes.IndexByte([]byte("-._~!$&'()*+,;=:[]%"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// nextToken splits the first element off a comma-separated list, trimmed
// of OWS: spaces and tabs only (RFC 9110 §5.6.1). bytes.TrimSpace would
// also trim Unicode spaces, so "keep-alive\u00a0" would count as
// keep-alive, unlike in net/http (found by FuzzParseHead).
func nextToken(v []byte) (t, rest []byte) {
	if i := bytes.IndexByte(v, ','); i >= 0 {
		return bytes.Trim(v[:i], " \t"), v[i+1:]
	}
	return bytes.Trim(v, " \t"), nil
}

// isToken reports whether b is a non-empty RFC 9110 §5.6.2 token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChar[c] {
			return false
		}
	}
	return true
}

var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// EqualFold compares b, a field name or token from a request, with the
// ASCII string s, ignoring case, without allocating.
func EqualFold(b []byte, s string) bool { return equalFold(b, s) }

// equalFold is EqualFold for bytes or a string (the client's header
// values). ASCII only, unlike strings.EqualFold, which would let the Kelvin
// sign stand for a "k" in a token such as "keep-alive".
func equalFold[T ~string | ~[]byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
