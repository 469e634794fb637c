package h1

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"
)

// watch notices a client that closes its connection while the handler
// path serves its request, and cancels the request's context, as net/http
// does, so that a proxy cancels its backend request instead of finishing
// it for nobody (issue 9, item 10). It reads one byte once the request
// body, if any, has been read: an error is the client gone; a byte is the
// start of a pipelined request, kept for readHead.
type watch struct {
	mu      sync.Mutex // protects started and stopped, so a start from the body's reader cannot follow the stop
	started bool
	stopped bool

	cancel context.CancelFunc
	done   chan struct{} // closed when the read returned
	b      [1]byte
	n      int // bytes read into b; read after done
}

// aLongTimeAgo is a deadline that interrupts a blocked read at once.
var aLongTimeAgo = time.Unix(1, 0)

// arm prepares the watch for one request.
func (c *conn) armWatch(cancel context.CancelFunc) {
	w := &c.watch
	w.mu.Lock()
	w.started, w.stopped, w.cancel, w.n = false, false, cancel, 0
	w.mu.Unlock()
}

// startWatch begins watching, once the request body is done; it is called
// by the handler's goroutine or by whichever reads the body.
func (c *conn) startWatch() {
	w := &c.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started || w.stopped || c.r < c.w {
		return // the next request is here already: the client is there
	}
	w.started = true
	w.done = make(chan struct{})
	c.nc.SetReadDeadline(time.Time{}) // the head's deadline is not the handler's
	go func() {
		defer close(w.done)
		n, err := c.nc.Read(w.b[:])
		w.n = n
		if n == 0 && err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			w.cancel()
		}
	}()
}

// stopWatch ends the watch after the handler returned, and puts a byte it
// read in front of what readHead reads next.
func (c *conn) stopWatch() {
	w := &c.watch
	w.mu.Lock()
	w.stopped = true
	started := w.started
	w.mu.Unlock()
	if !started {
		return
	}
	c.nc.SetReadDeadline(aLongTimeAgo)
	<-w.done
	c.rdl = aLongTimeAgo // readBy sets the next deadline
	if w.n > 0 {
		// startWatch saw nothing buffered, and the body was done: the
		// byte is the first of whatever comes next.
		c.r, c.w = 0, 1
		c.rbuf[0] = w.b[0]
	}
}
