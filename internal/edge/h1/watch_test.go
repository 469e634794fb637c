package h1

import (
	"io"
	"net/http"
	"testing"
)

// TestClientGoneCancels (issue 9, item 10): when the client closes its
// connection while the handler works, the request's context is cancelled,
// as net/http does, so a proxy handler can cancel its backend request
// rather than finish it for nobody. With a body, only once the body has
// been read: until then the connection carries it.
func TestClientGoneCancels(t *testing.T) {
	t.Parallel()
	for _, req := range []string{
		"GET /wait HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /wait HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
		"POST /wait HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	} {
		entered, cancelled := make(chan struct{}), make(chan struct{})
		mux := testHandler()
		mux.HandleFunc("/wait", func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			close(entered)
			<-r.Context().Done()
			close(cancelled)
		})
		ts := serve(t, &Server{Handler: mux})
		c := dial(t, ts.addr)
		c.send(req)
		<-entered
		c.nc.Close()
		<-cancelled // the test times out if the handler is never told
	}
}

// TestPipelinedWhileHandling: a request sent while the handler serves the
// one before is answered after it: the watch for a departing client keeps
// what it read.
func TestPipelinedWhileHandling(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	mux := testHandler()
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		if r.Context().Err() != nil {
			t.Error("the request was cancelled though its client stayed")
		}
		io.WriteString(w, "done")
	})
	ts := serve(t, &Server{Handler: mux})
	c := dial(t, ts.addr)
	c.send("GET /block HTTP/1.1\r\nHost: a\r\n\r\n")
	<-entered
	c.send("GET /small HTTP/1.1\r\nHost: a\r\n\r\n")
	c.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi")
	close(release)
	c.expect("GET", 200, "done")
	c.expect("GET", 200, "small")
	c.expect("POST", 200, "POST /echo hi")
	c.open()
}
