package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
)

// How a response body is delimited.
const (
	modeNone    = iota // no body: HEAD, 1xx, 204, 304, Content-Length: 0
	modeLength         // Content-Length bytes
	modeChunked        // the chunked coding
	modeEOF            // until the backend closes (no length, RFC 9112 §6.3 rule 8)
)

// body is a response body read from the connection. Read and Close may be
// called from different goroutines; a Close during a blocked Read ends it.
type body struct {
	mu   sync.Mutex // serializes Read and Close; protects all below but cn, closing
	mode int
	n    int64 // bytes left of the body (modeLength) or of the chunk (modeChunked)
	keep bool  // the connection may be reused after the body
	// inChunk: a chunk's data was started, so its CRLF comes before the
	// next size line.
	inChunk bool
	err     error // sticky: io.EOF at the end, http.ErrBodyReadAfterClose after Close
	stop    func() bool
	ctx     context.Context

	relMu   sync.Mutex  // protects cn and closing (also written under mu)
	cn      *clientConn // nil once the connection is released
	closing bool        // Close came during a Read: the connection is not reused
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	switch b.mode {
	case modeLength:
		n, err = b.readLength(p)
	case modeChunked:
		n, err = b.readChunked(p)
	default:
		n, err = b.cn.br.Read(p)
	}
	switch {
	case err == io.EOF:
		b.err = io.EOF
		b.finish(b.mode != modeEOF)
	case err != nil:
		if b.ctx != nil && b.ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			err = b.ctx.Err()
		} else if b.isClosing() {
			err = http.ErrBodyReadAfterClose
		}
		b.err = err
		b.finish(false)
	}
	return n, err
}

func (b *body) isClosing() bool {
	b.relMu.Lock()
	defer b.relMu.Unlock()
	return b.closing
}

func (b *body) readLength(p []byte) (int, error) {
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.cn.br.Read(p)
	b.n -= int64(n)
	if b.n == 0 {
		// The end: said with the last bytes, so the connection is
		// released before the caller asks again.
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *body) readChunked(p []byte) (int, error) {
	br := b.cn.br
	if b.n == 0 {
		if b.inChunk {
			if err := b.readCRLF(); err != nil {
				return 0, err
			}
			b.inChunk = false
		}
		size, err := b.readChunkSize()
		if err != nil {
			return 0, err
		}
		if size == 0 {
			return 0, b.skipTrailer()
		}
		b.n, b.inChunk = size, true
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := br.Read(p)
	b.n -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && b.n == 0 && br.Buffered() >= len(lastChunk) {
		// The usual end, already here: say it with the last bytes.
		if peek, _ := br.Peek(len(lastChunk)); bytes.Equal(peek, lastChunk) {
			br.Discard(len(lastChunk))
			return n, io.EOF
		}
	}
	return n, err
}

// lastChunk ends a chunk's data and the body, without trailers.
var lastChunk = []byte("\r\n0\r\n\r\n")

var errChunk = errors.New("h1: malformed chunked response body")

func (b *body) readCRLF() error {
	// Exactly CRLF, as net/http requires: a lenient reader here would
	// frame the body differently from one in front of or behind it.
	for _, want := range []byte("\r\n") {
		c, err := b.cn.br.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		if c != want {
			return errChunk
		}
	}
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readChunkSize reads "hex [; ext] CRLF" (RFC 9112 §7.1); extensions are
// ignored.
func (b *body) readChunkSize() (int64, error) {
	line, err := b.cn.br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return 0, errChunk
		}
		return 0, unexpected(err)
	}
	line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return 0, errChunk
	}
	var n int64
	for _, c := range line {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, errChunk
		}
		n = n<<4 | int64(c)
	}
	return n, nil
}

// skipTrailer reads the trailer section up to its empty line: trailers
// are not passed on. It returns io.EOF at the end of the body.
func (b *body) skipTrailer() error {
	budget := 64 << 10
	for {
		line, err := b.cn.readLine(&budget)
		if err != nil {
			return unexpected(err)
		}
		if len(line) == 0 {
			return io.EOF
		}
	}
}

// Close ends the body. A body not read to its end closes the connection,
// unless its rest is already buffered.
func (b *body) Close() error {
	if !b.mu.TryLock() {
		// A Read is under way, maybe blocked on the network: closing the
		// connection ends it, and the connection is not reused.
		b.relMu.Lock()
		b.closing = true
		cn := b.cn
		b.relMu.Unlock()
		if cn != nil {
			cn.nc.Close()
		}
		b.mu.Lock()
	}
	defer b.mu.Unlock()
	if b.err != nil {
		if b.err == io.EOF {
			b.err = http.ErrBodyReadAfterClose
		}
		return nil
	}
	b.err = http.ErrBodyReadAfterClose
	ok := b.mode == modeLength && b.n <= int64(b.cn.br.Buffered())
	if ok {
		b.cn.br.Discard(int(b.n))
	}
	b.finish(ok)
	return nil
}

// finish releases the connection: back to the pool when the body ended
// cleanly, both sides keep it, and the round trip's context did not end;
// else closed.
func (b *body) finish(ok bool) {
	b.relMu.Lock()
	cn := b.cn
	b.cn = nil
	closing := b.closing
	b.relMu.Unlock()
	if cn == nil {
		return
	}
	if b.stop != nil && !b.stop() {
		ok = false // the cancel ran: the connection has a past deadline
	}
	if ok && b.keep && !closing {
		cn.c.put(cn)
		return
	}
	cn.nc.Close()
}
