package h1

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"reflect"
	"testing"
)

// nopConn is a connection that only closes: the fuzz target reads from a
// bufio.Reader over bytes.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

// clientRead reads a response off data as Client does: heads until a
// final one, the framing, the body.
func clientRead(data []byte, method string) (*http.Response, []byte, error) {
	c := &Client{}
	c.init()
	cn := &clientConn{c: c, nc: nopConn{}, br: bufio.NewReader(bytes.NewReader(data))}
	req, _ := http.NewRequest(method, "http://a/", nil)
	var resp *http.Response
	for {
		var err error
		resp, _, err = cn.readHead(req)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode == 101 {
			return nil, nil, io.ErrUnexpectedEOF
		}
		if resp.StatusCode >= 200 {
			break
		}
	}
	b, err := cn.frame(resp, method)
	if err != nil {
		return nil, nil, err
	}
	b.cn, b.keep = cn, false
	if b.mode == modeNone {
		return resp, nil, nil
	}
	body, err := io.ReadAll(b)
	return resp, body, err
}

// stdRead is the same with net/http's parser.
func stdRead(data []byte, method string) (*http.Response, []byte, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	req, _ := http.NewRequest(method, "http://a/", nil)
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101 {
			continue
		}
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}
}

// FuzzClientResponse checks that the Client's response parser never
// panics and never frames a response differently from net/http when both
// accept it: the same status, header, length, close and body. Where they
// differ, the Client refuses what net/http accepts (obsolete folding,
// Transfer-Encoding with Content-Length or in HTTP/1.0, versions other
// than 1.0 and 1.1, a status line with extra spaces, LF alone after chunk
// data is refused by both).
func FuzzClientResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nEtag: \"x\"\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nto the end",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nSet-Cookie: a\r\nset-cookie: b\r\n\r\nbody",
		"HTTP/1.1 200\nContent-Length: 2\n\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTrailer: X\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX: y\r\n\r\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		got, gotBody, gotErr := clientRead(data, method)
		want, wantBody, wantErr := stdRead(data, method)
		if gotErr != nil || wantErr != nil {
			return // refusals differ on purpose; see the comment
		}
		if got.StatusCode != want.StatusCode || got.Status != want.Status || got.ProtoMinor != want.ProtoMinor {
			t.Fatalf("status %q %d.%d, net/http %q %d.%d", got.Status, 1, got.ProtoMinor, want.Status, 1, want.ProtoMinor)
		}
		if got.ContentLength != want.ContentLength || got.Close != want.Close || !reflect.DeepEqual(got.TransferEncoding, want.TransferEncoding) {
			t.Fatalf("framing length %d close %v te %q, net/http %d %v %q", got.ContentLength, got.Close, got.TransferEncoding, want.ContentLength, want.Close, want.TransferEncoding)
		}
		if !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("header %q, net/http %q", got.Header, want.Header)
		}
		if !bytes.Equal(gotBody, wantBody) {
			t.Fatalf("body %q, net/http %q", gotBody, wantBody)
		}
	})
}
