package h1

import (
	"errors"
	"strings"
	"testing"
)

// head is what parseHead should make of a request head that it accepts.
type head struct {
	method, target, path, query string
	minor                       int
	host                        string
	length                      int64
	chunked, close, cont        bool
}

// get11 is the outcome of the plainest accepted head, for cases to vary.
var get11 = head{method: "GET", target: "/", path: "/", minor: 1, host: "a.example"}

func with(h head, change func(*head)) head {
	change(&h)
	return h
}

// manyFields returns n header field lines named X-N.
func manyFields(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("X-")
		b.WriteString(strings.Repeat("a", i%7+1))
		b.WriteString(": v\r\n")
	}
	return b.String()
}

const hostA = "Host: a.example\r\n"

// parseCases are request heads and what parseHead makes of them: the
// fields it reads, or the status the client is refused with. Every head
// ends with its blank line; the test appends bytes of a next request to
// check the returned length.
var parseCases = []struct {
	name   string
	in     string
	want   head
	status int // 0: accepted as want
}{
	// Accepted.
	{name: "plain GET", in: "GET / HTTP/1.1\r\n" + hostA + "\r\n", want: get11},
	{name: "path and query", in: "GET /p/x?q=1&r HTTP/1.1\r\n" + hostA + "\r\n",
		want: with(get11, func(h *head) { h.target, h.path, h.query = "/p/x?q=1&r", "/p/x", "q=1&r" })},
	{name: "empty query", in: "GET /p? HTTP/1.1\r\n" + hostA + "\r\n",
		want: with(get11, func(h *head) { h.target, h.path = "/p?", "/p" })},
	{name: "second question mark stays in query", in: "GET /p?a?b HTTP/1.1\r\n" + hostA + "\r\n",
		want: with(get11, func(h *head) { h.target, h.path, h.query = "/p?a?b", "/p", "a?b" })},
	{name: "field names fold case", in: "GET / HTTP/1.1\r\nhOsT: a.example\r\nCONNECTION: CLOSE\r\n\r\n",
		want: with(get11, func(h *head) { h.close = true })},
	{name: "LF-only line ends", in: "GET / HTTP/1.1\nHost: a.example\nX-A: b\n\n", want: get11},
	{name: "mixed line ends", in: "GET / HTTP/1.1\r\nHost: a.example\nX-A: b\r\n\n", want: get11},
	{name: "leading empty lines", in: "\r\n\r\nGET / HTTP/1.1\r\n" + hostA + "\r\n", want: get11},
	{name: "leading LF lines", in: "\n\nGET / HTTP/1.1\r\n" + hostA + "\r\n", want: get11},
	{name: "HTTP/1.0 without Host", in: "GET / HTTP/1.0\r\n\r\n",
		want: head{method: "GET", target: "/", path: "/", minor: 0, close: true}},
	{name: "HTTP/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		want: head{method: "GET", target: "/", path: "/", minor: 0}},
	{name: "HTTP/1.0 keep-alive and close", in: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		want: head{method: "GET", target: "/", path: "/", minor: 0, close: true}},
	{name: "HTTP/1.1 Connection: close", in: "GET / HTTP/1.1\r\n" + hostA + "Connection: close\r\n\r\n",
		want: with(get11, func(h *head) { h.close = true })},
	{name: "close among other tokens", in: "GET / HTTP/1.1\r\n" + hostA + "Connection: upgrade ,\tclose , te\r\n\r\n",
		want: with(get11, func(h *head) { h.close = true })},
	{name: "close in a second Connection field", in: "GET / HTTP/1.1\r\n" + hostA + "Connection: te\r\nConnection: close\r\n\r\n",
		want: with(get11, func(h *head) { h.close = true })},
	{name: "HTTP/1.1 keep-alive is the default", in: "GET / HTTP/1.1\r\n" + hostA + "Connection: keep-alive\r\n\r\n", want: get11},
	{name: "closed is not close", in: "GET / HTTP/1.1\r\n" + hostA + "Connection: closed\r\n\r\n", want: get11},
	{name: "Content-Length", in: "POST /f HTTP/1.1\r\n" + hostA + "Content-Length: 5\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.target, h.path, h.length = "POST", "/f", "/f", 5 })},
	{name: "Content-Length with OWS", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: \t5 \r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length = "POST", 5 })},
	{name: "Content-Length 0", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 0\r\n\r\n",
		want: with(get11, func(h *head) { h.method = "POST" })},
	{name: "Content-Length leading zeros", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 007\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length = "POST", 7 })},
	{name: "Content-Length 18 digits", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 999999999999999999\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length = "POST", 999999999999999999 })},
	{name: "two equal Content-Length", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 5\r\ncontent-length: 5\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length = "POST", 5 })},
	{name: "HTTP/1.0 Content-Length", in: "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n",
		want: head{method: "POST", target: "/", path: "/", length: 3, close: true}},
	{name: "chunked", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: chunked\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length, h.chunked = "POST", -1, true })},
	{name: "chunked folds case", in: "POST / HTTP/1.1\r\n" + hostA + "transfer-encoding: ChUnKeD\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length, h.chunked = "POST", -1, true })},
	{name: "chunked with OWS", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: \tchunked \r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length, h.chunked = "POST", -1, true })},
	{name: "Expect: 100-continue", in: "PUT / HTTP/1.1\r\n" + hostA + "Expect: 100-Continue\r\nContent-Length: 2\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length, h.cont = "PUT", 2, true })},
	// RFC 9110 §10.1.1: a server MUST ignore 100-continue in HTTP/1.0.
	{name: "Expect: 100-continue in HTTP/1.0", in: "PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
		want: head{method: "PUT", target: "/", path: "/", length: 2, close: true}},
	{name: "absolute-form", in: "GET http://b.example/x?y HTTP/1.1\r\n" + hostA + "\r\n",
		want: with(get11, func(h *head) { h.target, h.path, h.query = "http://b.example/x?y", "http://b.example/x", "y" })},
	{name: "asterisk-form", in: "OPTIONS * HTTP/1.1\r\n" + hostA + "\r\n",
		want: with(get11, func(h *head) { h.method, h.target, h.path = "OPTIONS", "*", "*" })},
	{name: "unusual token method", in: "M-SEARCH / HTTP/1.1\r\n" + hostA + "\r\n",
		want: with(get11, func(h *head) { h.method = "M-SEARCH" })},
	{name: "Host with port", in: "GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
		want: with(get11, func(h *head) { h.host = "a.example:8080" })},
	{name: "IPv6 Host", in: "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
		want: with(get11, func(h *head) { h.host = "[::1]:80" })},
	{name: "empty Host", in: "GET / HTTP/1.1\r\nHost:\r\n\r\n",
		want: with(get11, func(h *head) { h.host = "" })},
	{name: "obs-text and tab in a value", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: caf\xc3\xa9\tau lait\r\n\r\n", want: get11},
	{name: "empty value", in: "GET / HTTP/1.1\r\n" + hostA + "X-Empty:\r\n\r\n", want: get11},
	{name: "colon in value", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b:c\r\n\r\n", want: get11},
	{name: "100 fields", in: "GET / HTTP/1.1\r\n" + hostA + manyFields(99) + "\r\n", want: get11},

	// Ambiguous framing: request smuggling (RFC 9112 §6.1, §6.3, §11.2).
	{name: "TE and CL", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", status: 400},
	{name: "CL and TE", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "CL 0 and TE", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "two different Content-Length", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", status: 400},
	{name: "Content-Length list", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 1,1\r\n\r\n", status: 400},
	{name: "Content-Length list with space", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 1, 1\r\n\r\n", status: 400},
	{name: "Content-Length plus sign", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: +5\r\n\r\n", status: 400},
	{name: "Content-Length negative", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: -1\r\n\r\n", status: 400},
	{name: "Content-Length hex", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 0x5\r\n\r\n", status: 400},
	{name: "Content-Length inner space", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 1 0\r\n\r\n", status: 400},
	{name: "Content-Length empty", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length:\r\n\r\n", status: 400},
	{name: "Content-Length 19 digits", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 9223372036854775807\r\n\r\n", status: 400},
	{name: "Content-Length overflow", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 99999999999999999999999\r\n\r\n", status: 400},
	{name: "Content-Length underscore name", in: "POST / HTTP/1.1\r\n" + hostA + "Content-Length: 5\r\nContent_Length: 6\r\n\r\n",
		want: with(get11, func(h *head) { h.method, h.length = "POST", 5 })},
	{name: "TE list chunked last", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: gzip, chunked\r\n\r\n", status: 501},
	{name: "TE list chunked first", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding:  chunked, gzip\r\n\r\n", status: 400},
	{name: "TE chunked, identity", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: chunked, identity\r\n\r\n", status: 400},
	{name: "TE chunked then a second field", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", status: 400},
	{name: "TE gzip, chunked", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: gzip, chunked\r\n\r\n", status: 501},
	{name: "TE xchunked", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: xchunked\r\n\r\n", status: 501},
	{name: "TE chunked-x", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: chunked-x\r\n\r\n", status: 501},
	{name: "TE identity", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: identity\r\n\r\n", status: 501},
	{name: "TE empty", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding:\r\n\r\n", status: 501},
	{name: "TE chunked twice", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "TE quoted", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: \"chunked\"\r\n\r\n", status: 501},
	{name: "TE in HTTP/1.0", in: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400},
	{name: "TE with vertical tab", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding: \vchunked\r\n\r\n", status: 400},

	// Line syntax (RFC 9112 §2.2, §5).
	{name: "obs-fold with space", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\r\n c\r\n\r\n", status: 400},
	{name: "obs-fold with tab", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\r\n\tc\r\n\r\n", status: 400},
	{name: "obs-fold of Transfer-Encoding", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding:\r\n chunked\r\n\r\n", status: 400},
	{name: "whitespace before first field", in: "GET / HTTP/1.1\r\n " + hostA + "\r\n", status: 400},
	{name: "space before colon", in: "GET / HTTP/1.1\r\nHost : a.example\r\n\r\n", status: 400},
	{name: "tab before colon", in: "POST / HTTP/1.1\r\n" + hostA + "Transfer-Encoding\t: chunked\r\n\r\n", status: 400},
	{name: "space in field name", in: "GET / HTTP/1.1\r\n" + hostA + "X A: b\r\n\r\n", status: 400},
	{name: "empty field name", in: "GET / HTTP/1.1\r\n" + hostA + ": b\r\n\r\n", status: 400},
	{name: "no colon", in: "GET / HTTP/1.1\r\n" + hostA + "X-A b\r\n\r\n", status: 400},
	{name: "non-token field name", in: "GET / HTTP/1.1\r\n" + hostA + "X{A}: b\r\n\r\n", status: 400},
	{name: "non-ASCII field name", in: "GET / HTTP/1.1\r\n" + hostA + "X-\xc3\xa9: b\r\n\r\n", status: 400},
	{name: "bare CR in value", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\rc\r\n\r\n", status: 400},
	{name: "bare CR line end", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\rX-B: c\r\n\r\n", status: 400},
	{name: "CR CR LF", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\r\r\n\r\n", status: 400},
	{name: "bare CR in request line", in: "GET /\r HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "bare CR before request line", in: "\rGET / HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "bare CR as blank line", in: "GET / HTTP/1.1\r\n" + hostA + "\r\r\n", status: 400},
	{name: "NUL in value", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\x00c\r\n\r\n", status: 400},
	{name: "control character in value", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\x01c\r\n\r\n", status: 400},
	{name: "escape in value", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: \x1b[31m\r\n\r\n", status: 400},
	{name: "DEL in value", in: "GET / HTTP/1.1\r\n" + hostA + "X-A: b\x7fc\r\n\r\n", status: 400},
	{name: "NUL in Host", in: "GET / HTTP/1.1\r\nHost: a\x00.example\r\n\r\n", status: 400},

	// Request line (RFC 9112 §3).
	{name: "NUL in target", in: "GET /a\x00b HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "tab in target", in: "GET /a\tb HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "DEL in target", in: "GET /a\x7f HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "control character in target", in: "GET /a\x1bb HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "non-ASCII target", in: "GET /caf\xc3\xa9 HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "two spaces after method", in: "GET  / HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "two spaces before version", in: "GET /  HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "space in target", in: "GET /a b HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "trailing space", in: "GET / HTTP/1.1 \r\n" + hostA + "\r\n", status: 400},
	{name: "leading space", in: " GET / HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "tab separators", in: "GET\t/\tHTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "no version", in: "GET /\r\n" + hostA + "\r\n", status: 400},
	{name: "HTTP/0.9 request", in: "GET /\r\n\r\n", status: 400},
	{name: "empty target", in: "GET  HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "non-token method", in: "G(T / HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "non-ASCII method", in: "G\xc3\x89T / HTTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\n" + hostA + "\r\n", status: 505},
	{name: "HTTP/1.2", in: "GET / HTTP/1.2\r\n" + hostA + "\r\n", status: 505},
	{name: "HTTP/0.9", in: "GET / HTTP/0.9\r\n" + hostA + "\r\n", status: 505},
	{name: "HTTP/3.0", in: "GET / HTTP/3.0\r\n" + hostA + "\r\n", status: 505},
	{name: "lower-case version", in: "GET / http/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "version without minor", in: "GET / HTTP/2\r\n" + hostA + "\r\n", status: 400},
	{name: "version with leading zero", in: "GET / HTTP/01.1\r\n" + hostA + "\r\n", status: 400},
	{name: "version with suffix", in: "GET / HTTP/1.1x\r\n" + hostA + "\r\n", status: 400},
	{name: "garbage version", in: "GET / FTP/1.1\r\n" + hostA + "\r\n", status: 400},
	{name: "HTTP/2 preface", in: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", status: 505},
	{name: "TLS record", in: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", status: 400},

	// Host (RFC 9112 §3.2).
	{name: "missing Host in HTTP/1.1", in: "GET / HTTP/1.1\r\n\r\n", status: 400},
	{name: "two Host fields", in: "GET / HTTP/1.1\r\n" + hostA + "Host: b.example\r\n\r\n", status: 400},
	{name: "two equal Host fields", in: "GET / HTTP/1.1\r\n" + hostA + hostA + "\r\n", status: 400},
	{name: "two Host fields in HTTP/1.0", in: "GET / HTTP/1.0\r\n" + hostA + hostA + "\r\n", status: 400},
	{name: "Host with path", in: "GET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n", status: 400},
	{name: "Host with userinfo", in: "GET / HTTP/1.1\r\nHost: u@a.example\r\n\r\n", status: 400},
	{name: "Host with space", in: "GET / HTTP/1.1\r\nHost: a example\r\n\r\n", status: 400},
	{name: "Host with non-ASCII", in: "GET / HTTP/1.1\r\nHost: caf\xc3\xa9.example\r\n\r\n", status: 400},

	// Limits and expectations.
	{name: "101 fields", in: "GET / HTTP/1.1\r\n" + hostA + manyFields(100) + "\r\n", status: 431},
	{name: "Expect other", in: "GET / HTTP/1.1\r\n" + hostA + "Expect: 200-ok\r\n\r\n", status: 417},
	{name: "Expect list", in: "PUT / HTTP/1.1\r\n" + hostA + "Expect: 100-continue, x\r\nContent-Length: 1\r\n\r\n", status: 417},
	{name: "Expect empty", in: "GET / HTTP/1.1\r\n" + hostA + "Expect:\r\n\r\n", status: 417},
}

func TestParseHead(t *testing.T) {
	t.Parallel()
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Bytes of a next, pipelined request follow the head.
			in := []byte(tc.in + "GET /next HTTP/1.1\r\n")
			var r Request
			n, err := parseHead(in, &r, DefaultMaxFields)
			if tc.status != 0 {
				var pe *parseError
				if !errors.As(err, &pe) {
					t.Fatalf("parseHead(%q) = %d, %v; want status %d", tc.in, n, err, tc.status)
				}
				if pe.status != tc.status {
					t.Fatalf("parseHead(%q): status %d (%s); want %d", tc.in, pe.status, pe.msg, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseHead(%q): %v", tc.in, err)
			}
			if n != len(tc.in) {
				t.Errorf("length %d, want %d", n, len(tc.in))
			}
			got := head{
				method: string(r.Method), target: string(r.Target),
				path: string(r.Path), query: string(r.Query),
				minor: r.Minor, host: string(r.Host),
				length: r.ContentLength, chunked: r.Chunked,
				close: r.Close, cont: r.Continue,
			}
			if got != tc.want {
				t.Errorf("parseHead(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestParseHeadIncomplete: every proper prefix of an accepted head asks
// for more bytes, never fails and never succeeds early.
func TestParseHeadIncomplete(t *testing.T) {
	t.Parallel()
	var r Request
	for _, tc := range parseCases {
		if tc.status != 0 {
			continue
		}
		for i := range len(tc.in) {
			if n, err := parseHead([]byte(tc.in[:i]), &r, DefaultMaxFields); err != errIncomplete {
				t.Errorf("%s: parseHead(%q) = %d, %v; want errIncomplete", tc.name, tc.in[:i], n, err)
			}
		}
	}
}

// TestParseHeadReuse: a Request reused across heads keeps nothing of the
// previous one.
func TestParseHeadReuse(t *testing.T) {
	t.Parallel()
	var r Request
	first := "POST /a?b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\nX-1: 1\r\nX-2: 2\r\n\r\n"
	if _, err := parseHead([]byte(first), &r, DefaultMaxFields); err != nil {
		t.Fatal(err)
	}
	r.Scratch = append(r.Scratch, "key"...)
	if _, err := parseHead([]byte("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), &r, DefaultMaxFields); err != nil {
		t.Fatal(err)
	}
	if r.Chunked || r.Continue || r.Close || r.ContentLength != 0 || r.Host != nil || r.Query != nil || len(r.Fields) != 1 {
		t.Errorf("reused request kept state: %+v", r)
	}
	if len(r.Scratch) != 0 || cap(r.Scratch) == 0 {
		t.Errorf("Scratch = %q (cap %d); want emptied, capacity kept", r.Scratch, cap(r.Scratch))
	}
}

func TestRequestGetCount(t *testing.T) {
	t.Parallel()
	var r Request
	in := "GET / HTTP/1.1\r\nHost: a\r\nAccept: x\r\naccept: y\r\nX-Empty:\r\n\r\n"
	if _, err := parseHead([]byte(in), &r, DefaultMaxFields); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		get   string
		count int
	}{
		{"ACCEPT", "x", 2},
		{"host", "a", 1},
		{"x-empty", "", 1},
		{"Accept-Encoding", "", 0},
	} {
		if got := string(r.Get(tc.name)); got != tc.get {
			t.Errorf("Get(%q) = %q, want %q", tc.name, got, tc.get)
		}
		if got := r.Count(tc.name); got != tc.count {
			t.Errorf("Count(%q) = %d, want %d", tc.name, got, tc.count)
		}
	}
	if r.Get("Accept-Encoding") != nil {
		t.Error("Get of a missing field is not nil")
	}
}

// browserGET is the head a current browser sends for a page.
const browserGET = "GET /products/42/reviews?page=2&sort=recent HTTP/1.1\r\n" +
	"Host: shop.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
	"sec-ch-ua-mobile: ?0\r\n" +
	"sec-ch-ua-platform: \"Linux\"\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-User: ?1\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Referer: https://shop.example.com/products/42\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-GB,en;q=0.9,fr;q=0.8\r\n" +
	"Cookie: session=3b1f0c9e; theme=dark\r\n" +
	"\r\n"

// TestParseHeadDoesNotAllocate: with a reused Request, parsing a typical
// head allocates nothing (the point of this package: see the doc).
func TestParseHeadDoesNotAllocate(t *testing.T) {
	buf := []byte(browserGET)
	var r Request
	allocs := testing.AllocsPerRun(100, func() {
		if n, err := parseHead(buf, &r, DefaultMaxFields); err != nil || n != len(buf) {
			t.Fatalf("parseHead = %d, %v", n, err)
		}
	})
	if allocs != 0 {
		t.Errorf("parseHead allocates %v times per head; want 0", allocs)
	}
}

func BenchmarkParseHead(b *testing.B) {
	buf := []byte(browserGET)
	var r Request
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseHead(buf, &r, DefaultMaxFields); err != nil {
			b.Fatal(err)
		}
	}
}
