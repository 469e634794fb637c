// Command origin is a backend for bench/lb.sh's pass-through rows when
// nginx is not wanted (BACKEND=go): a fixed small page that is never
// storable (Cache-Control: no-store, private), so every request crosses the
// proxy, a /readyz that always passes, and GET /_count, how many pages it
// has answered, so the script can check that every request reached it.
// nginx's `return 200` costs about half the CPU per request, which is why
// it is the default backend: the cheaper the backends, the more the
// proxy in front is what runs out of CPU.
//
//	origin -listen 127.0.0.1:9001,127.0.0.1:9002,127.0.0.1:9003 -bytes 512
package main

import (
	"bytes"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "addresses to serve on, comma separated (one listener each)")
	size := flag.Int("bytes", 512, "body size of every page")
	flag.Parse()

	body := bytes.Repeat([]byte("a"), *size)
	length := strconv.Itoa(len(body))
	ready := []byte("ok\n")
	var served atomic.Uint64 // pages answered, read by the script at /_count
	page := func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		// Headers set by direct map assignment: no canonicalisation per request.
		h := w.Header()
		h["Content-Type"] = []string{"text/plain; charset=utf-8"}
		h["Cache-Control"] = []string{"no-store, private"}
		h["Content-Length"] = []string{length}
		w.Write(body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) { w.Write(ready) })
	mux.HandleFunc("GET /_count", func(w http.ResponseWriter, r *http.Request) {
		w.Write(strconv.AppendUint(nil, served.Load(), 10))
	})
	mux.HandleFunc("/", page)

	addrs := strings.Split(*listen, ",")
	errs := make(chan error, len(addrs))
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			slog.Error("origin: listen", "addr", a, "err", err)
			os.Exit(1)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
		go func() { errs <- srv.Serve(ln) }()
	}
	slog.Info("origin: serving", "addrs", *listen, "bytes", *size)
	slog.Error("origin: serve", "err", <-errs)
	os.Exit(1)
}
