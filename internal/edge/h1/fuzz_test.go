package h1

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"slices"
	"testing"
)

// FuzzParseHead checks that parseHead never panics, that what it accepts
// is well formed, and, most valuably, that it never frames a request
// differently from net/http: when both accept the same bytes, they agree
// on where the head ends, on Content-Length versus chunked, and on the
// fields. A disagreement there is request smuggling between this server
// and anything behind or in front of it that parses like net/http.
//
// Deliberate differences, all in the direction of refusing what net/http
// accepts (so they never reach the comparison):
//   - Transfer-Encoding with Content-Length: net/http lets chunked win;
//     we refuse (RFC 9112 §6.3 allows either; refusing cannot desync).
//   - Transfer-Encoding in HTTP/1.0: net/http ignores it and reads the
//     body by Content-Length or as empty (Go issue 12785); we refuse.
//   - Obsolete line folding: net/http joins the lines; we refuse (§5.2).
//   - Control characters and bare CR in values, non-ASCII or control
//     bytes in the target, a missing or repeated Host in HTTP/1.1 (checked
//     by net/http's server, not by ReadRequest), HTTP versions other than
//     1.0 and 1.1, Content-Length over 18 digits, and more than
//     DefaultMaxFields fields.
//   - Leading empty lines: we skip them (RFC 9112 §2.2); ReadRequest does
//     not, so it is given the bytes after them.
func FuzzParseHead(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.in))
	}
	for _, s := range []string{
		browserGET,
		browserGET + "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length:  5\t\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\nContent-Length: 5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-length: 5\r\ncontent-LENGTH: 5\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
		"POST / HTTP/1.1\nHost: a\nContent-Length: 1\n\nx",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\n\r\nx",
		"POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n\nContent-Length: 1\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\xc2\xa0\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive\xc2\xa0\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: \xc2\x85keep-alive\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: ,, close,\r\n\r\n",
		"GET http://a/b HTTP/1.1\r\nHost: c\r\n\r\n",
		"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var r Request
		n, err := parseHead(in, &r, DefaultMaxFields)
		if err != nil {
			checkParseError(t, in, err)
			return
		}
		checkAccepted(t, in, n, &r)
		compareWithNetHTTP(t, in, n, &r)
	})
}

func checkParseError(t *testing.T, in []byte, err error) {
	if err == errIncomplete {
		return
	}
	var pe *parseError
	if !errors.As(err, &pe) {
		t.Fatalf("parseHead(%q): error %v is neither errIncomplete nor a parseError", in, err)
	}
	switch pe.status {
	case 400, 417, 431, 501, 505:
	default:
		t.Fatalf("parseHead(%q): status %d", in, pe.status)
	}
}

// checkAccepted checks what parseHead promises about a head it accepts.
func checkAccepted(t *testing.T, in []byte, n int, r *Request) {
	if n <= 0 || n > len(in) {
		t.Fatalf("parseHead(%q) = %d, outside the input", in, n)
	}
	if h := in[:n]; !bytes.HasSuffix(h, []byte("\n\n")) && !bytes.HasSuffix(h, []byte("\n\r\n")) {
		t.Fatalf("parseHead(%q) = %d: the head does not end with a blank line", in, n)
	}
	// The head delimits itself: what follows it changes nothing, and
	// without its last byte it is incomplete.
	var again Request
	if m, err := parseHead(in[:n], &again, DefaultMaxFields); m != n || err != nil {
		t.Fatalf("parseHead(%q) = %d, %v; parseHead of the whole input said %d", in[:n], m, err, n)
	}
	if _, err := parseHead(in[:n-1], &again, DefaultMaxFields); err != errIncomplete {
		t.Fatalf("parseHead(%q) = %v, want errIncomplete", in[:n-1], err)
	}

	if !isToken(r.Method) {
		t.Fatalf("method %q is not a token", r.Method)
	}
	if len(r.Target) == 0 || bytes.ContainsFunc(r.Target, func(c rune) bool { return c <= ' ' || c >= 0x7f }) {
		t.Fatalf("target %q is empty or not visible ASCII", r.Target)
	}
	if r.Minor != 0 && r.Minor != 1 {
		t.Fatalf("minor version %d", r.Minor)
	}
	if len(r.Fields) > DefaultMaxFields {
		t.Fatalf("%d fields, more than the limit", len(r.Fields))
	}
	for _, f := range r.Fields {
		if !isToken(f.Name) {
			t.Fatalf("field name %q is not a token", f.Name)
		}
		if bytes.ContainsAny(f.Value, "\r\n\x00") {
			t.Fatalf("field %q has CR, LF or NUL in its value %q", f.Name, f.Value)
		}
		if v := f.Value; len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
			t.Fatalf("field %q has untrimmed value %q", f.Name, v)
		}
	}
	switch {
	case r.Chunked && r.ContentLength != -1:
		t.Fatalf("chunked with Content-Length %d", r.ContentLength)
	case r.Chunked && r.Count("Content-Length") > 0:
		t.Fatal("chunked with a Content-Length field")
	case r.Chunked && r.Minor == 0:
		t.Fatal("chunked in HTTP/1.0")
	case !r.Chunked && r.ContentLength < 0:
		t.Fatalf("Content-Length %d", r.ContentLength)
	case r.Minor == 1 && r.Count("Host") != 1:
		t.Fatalf("HTTP/1.1 with %d Host fields", r.Count("Host"))
	case r.Continue && r.Minor == 0:
		t.Fatal("100-continue in HTTP/1.0")
	case !validHost(r.Host):
		t.Fatalf("invalid host %q", r.Host)
	}
}

// compareWithNetHTTP parses the same bytes with http.ReadRequest and, if
// it accepts them too, fails on any difference in framing or fields.
func compareWithNetHTTP(t *testing.T, in []byte, n int, r *Request) {
	skip := 0 // leading empty lines, which ReadRequest does not skip
	for skip < n && (in[skip] == '\n' || in[skip] == '\r') {
		skip++
	}
	msg := in[skip:]
	src := bytes.NewReader(msg)
	br := bufio.NewReader(src)
	hr, err := http.ReadRequest(br)
	if err != nil {
		return // net/http refuses what we accept: fine either way
	}
	consumed := len(msg) - src.Len() - br.Buffered()
	if consumed != n-skip {
		t.Fatalf("%q: head is %d bytes for us, %d for net/http", in, n-skip, consumed)
	}
	theirChunked := slices.Equal(hr.TransferEncoding, []string{"chunked"})
	switch {
	case r.Chunked != theirChunked:
		t.Fatalf("%q: chunked %v here, net/http TransferEncoding %q", in, r.Chunked, hr.TransferEncoding)
	case r.ContentLength != hr.ContentLength:
		t.Fatalf("%q: Content-Length %d here, %d for net/http", in, r.ContentLength, hr.ContentLength)
	case string(r.Method) != hr.Method || string(r.Target) != hr.RequestURI || hr.ProtoMajor != 1 || r.Minor != hr.ProtoMinor:
		t.Fatalf("%q: request line %q %q 1.%d here, %q %q %d.%d for net/http",
			in, r.Method, r.Target, r.Minor, hr.Method, hr.RequestURI, hr.ProtoMajor, hr.ProtoMinor)
	case r.Close != hr.Close:
		t.Fatalf("%q: Close %v here, %v for net/http", in, r.Close, hr.Close)
	}
	if r.Target[0] == '/' && string(r.Host) != hr.Host {
		t.Fatalf("%q: Host %q here, %q for net/http", in, r.Host, hr.Host)
	}
	// The other fields, as net/http keeps them: it takes Host out, and
	// Transfer-Encoding, and merges equal Content-Length fields.
	ours := http.Header{}
	for _, f := range r.Fields {
		k := textproto.CanonicalMIMEHeaderKey(string(f.Name))
		switch k {
		case "Host", "Transfer-Encoding", "Content-Length":
		default:
			ours[k] = append(ours[k], string(f.Value))
		}
	}
	theirs := hr.Header.Clone()
	delete(theirs, "Content-Length")
	if len(ours) != len(theirs) {
		t.Fatalf("%q: fields %q here, %q for net/http", in, ours, theirs)
	}
	for k, v := range ours {
		if !slices.Equal(v, theirs[k]) {
			t.Fatalf("%q: field %s is %q here, %q for net/http", in, k, v, theirs[k])
		}
	}
}
