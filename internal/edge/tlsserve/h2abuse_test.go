package tlsserve

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"agora/internal/edge/tlsserve/tlstest"
)

// hostile is a raw HTTP/2 client built on the Framer, for sending what a
// well-behaved client never would.
type hostile struct {
	conn *tls.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
}

func dialHostile(t *testing.T, ca *tlstest.CA, addr string) *hostile {
	t.Helper()
	c, err := tls.Dial("tcp", addr, ca.ClientConfig("h2"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN %q, want h2", p)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a bound for a broken test, not a synchronization
	h := &hostile{conn: c, fr: http2.NewFramer(c, c)}
	h.enc = hpack.NewEncoder(&h.hbuf)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := h.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return h
}

// block encodes a request header block for path.
func (h *hostile) block(path string) []byte {
	h.hbuf.Reset()
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "shop.test"}, {":path", path}} {
		h.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	return bytes.Clone(h.hbuf.Bytes())
}

// readUntilGoAway reads frames until a GOAWAY (returned) or the
// connection ends (nil), collecting the server's settings and stream
// resets on the way.
func (h *hostile) readUntilGoAway() (*http2.GoAwayFrame, map[http2.SettingID]uint32, []http2.ErrCode) {
	settings := map[http2.SettingID]uint32{}
	var resets []http2.ErrCode
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			return nil, settings, resets
		}
		switch f := f.(type) {
		case *http2.GoAwayFrame:
			return f, settings, resets
		case *http2.SettingsFrame:
			f.ForeachSetting(func(s http2.Setting) error { settings[s.ID] = s.Val; return nil })
		case *http2.RSTStreamFrame:
			resets = append(resets, f.ErrCode)
		}
	}
}

// abuseServer serves "/" at once and "/block" not before the test ends,
// counting the /block handlers that ran.
func abuseServer(t *testing.T, ca *tlstest.CA) (addr string, blocked *atomic.Int64) {
	t.Helper()
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	blocked = new(atomic.Int64)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/block" {
			blocked.Add(1)
			<-release // a handler that ignores its client leaving
		}
		io.WriteString(w, "ok")
	})
	addr, _ = testServer(t, ca, h, nil, "")
	// Registered after testServer's: runs before the server's Shutdown.
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	return addr, blocked
}

// legitimate checks that a well-behaved client still gets its page.
func legitimate(t *testing.T, ca *tlstest.CA, addr string) {
	t.Helper()
	for _, h2 := range []bool{true, false} {
		resp, err := client(ca, h2).Get("https://" + addr + "/")
		if err != nil {
			t.Fatalf("legitimate client (h2 %v): %v", h2, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ok" {
			t.Fatalf("legitimate client (h2 %v): %q", h2, b)
		}
	}
}

// TestHTTP2RapidReset (CVE-2023-44487): a client opening streams and
// resetting each at once cannot make the server run unbounded handlers:
// resets do not free a stream's slot until its handler returns, and past a
// queue of a few times the stream limit the connection is closed.
func TestHTTP2RapidReset(t *testing.T) {
	ca := tlstest.NewCA(t)
	addr, blocked := abuseServer(t, ca)
	h := dialHostile(t, ca, addr)
	hdr := h.block("/block")
	var werr error
	for id := uint32(1); id < 2*10000 && werr == nil; id += 2 {
		werr = h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hdr, EndStream: true, EndHeaders: true})
		if werr == nil {
			werr = h.fr.WriteRSTStream(id, http2.ErrCodeCancel)
		}
	}
	ga, _, _ := h.readUntilGoAway()
	t.Logf("write error %v, GOAWAY %v, handlers run %d", werr, ga, blocked.Load())
	if werr == nil && ga == nil {
		t.Error("10000 opened-and-reset streams: the connection was neither refused nor closed")
	}
	if n := blocked.Load(); n > H2MaxConcurrentStreams {
		t.Errorf("%d handlers ran for one connection; the stream limit is %d", n, H2MaxConcurrentStreams)
	}
	legitimate(t, ca, addr)
}

// TestHTTP2ContinuationFlood (CVE-2023-45288): a header block that never
// ends, sent as endless CONTINUATION frames, is cut off once it passes the
// header list limit: the server closes the connection rather than read
// (and decode) forever.
func TestHTTP2ContinuationFlood(t *testing.T) {
	ca := tlstest.NewCA(t)
	addr, _ := abuseServer(t, ca)
	h := dialHostile(t, ca, addr)
	// Literal fields with new names: each frame adds to the decoded list.
	h.hbuf.Reset()
	h.enc.WriteField(hpack.HeaderField{Name: ":method", Value: "GET"})
	if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: h.block("/"), EndHeaders: false}); err != nil {
		t.Fatal(err)
	}
	var frag bytes.Buffer
	enc := hpack.NewEncoder(&frag)
	enc.SetMaxDynamicTableSizeLimit(0)
	for i := range 8 {
		enc.WriteField(hpack.HeaderField{Name: "x-flood-" + string(rune('a'+i)), Value: string(bytes.Repeat([]byte("v"), 1000)), Sensitive: true})
	}
	sent := 0
	var werr error
	for ; sent < 64<<20 && werr == nil; sent += frag.Len() {
		werr = h.fr.WriteContinuation(1, false, frag.Bytes())
	}
	t.Logf("closed after %d KiB: %v", sent>>10, werr)
	if werr == nil {
		t.Fatalf("%d MiB of CONTINUATION frames accepted", sent>>20)
	}
	if sent > 16<<20 { // kernel socket buffers hold a few MiB of it
		t.Errorf("the server read %d KiB of one header block before closing; the limit is %d KiB", sent>>10, H2MaxHeaderBytes>>10)
	}
	var ne interface{ Timeout() bool }
	if errors.As(werr, &ne) && ne.Timeout() {
		t.Fatalf("the server stopped reading but kept the connection: %v", werr)
	}
	legitimate(t, ca, addr)
}

// TestHTTP2StreamLimit: the server announces its stream limit, and a
// client opening more streams than that gets the extra ones refused
// while the others keep going.
func TestHTTP2StreamLimit(t *testing.T) {
	ca := tlstest.NewCA(t)
	addr, blocked := abuseServer(t, ca)
	h := dialHostile(t, ca, addr)
	hdr := h.block("/block")
	const extra = 10
	for id := uint32(1); id <= 2*(H2MaxConcurrentStreams+extra); id += 2 {
		if err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hdr, EndStream: true, EndHeaders: true}); err != nil {
			t.Fatal(err)
		}
	}
	// Let the server's answers arrive: a ping's ack comes after them.
	h.fr.WritePing(false, [8]byte{1})
	settings := map[http2.SettingID]uint32{}
	var resets []http2.ErrCode
	for done := false; !done; {
		f, err := h.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			f.ForeachSetting(func(s http2.Setting) error { settings[s.ID] = s.Val; return nil })
		case *http2.RSTStreamFrame:
			resets = append(resets, f.ErrCode)
		case *http2.GoAwayFrame:
			done = true
		case *http2.PingFrame:
			done = f.IsAck()
		}
	}
	t.Logf("settings %v, resets %v, handlers %d", settings, resets, blocked.Load())
	if got := settings[http2.SettingMaxConcurrentStreams]; got != H2MaxConcurrentStreams {
		t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d, want %d", got, H2MaxConcurrentStreams)
	}
	if n := blocked.Load(); n > H2MaxConcurrentStreams {
		t.Errorf("%d handlers ran; the limit is %d", n, H2MaxConcurrentStreams)
	}
	if len(resets) == 0 {
		t.Errorf("%d streams past the limit were not refused", extra)
	}
	legitimate(t, ca, addr)
}
