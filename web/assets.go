// Package web holds the storefront's embedded templates and static assets,
// and serves the assets under content-hashed URLs
// (/static/{name}.{hash}.{ext}, DESIGN.md "CDN") so every edge and browser
// may keep them forever. It knows nothing of the catalog or of HTTP routing
// beyond serving its own files.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"agora/internal/cachehdr"
)

// The admin's pages live in templates/admin (internal/admin parses them).
//
//go:embed templates/*.html templates/admin/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates returns the embedded page templates (the files of web/templates,
// at the root of the returned FS).
func Templates() fs.FS {
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		panic(err) // the directory is embedded: cannot happen
	}
	return sub
}

// Static returns the embedded static files (web/static, at the root).
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

// hashLen is how many hex characters of the SHA-256 go into a URL: 40 bits,
// plenty to tell versions of one file apart.
const hashLen = 10

// Assets serves a fixed set of static files under content-hashed URLs. It is
// built once at startup and only read afterwards, so it is safe for
// concurrent use.
type Assets struct {
	byName map[string]*asset // "app.css" → asset
	byURL  map[string]*asset // "app.3f2a9c1b7e.css" → asset
	// NotFound answers requests for unknown or outdated asset URLs. It
	// should not let caches keep the answer: during a rolling deploy a new
	// page may name an asset that an old instance does not have yet, and a
	// cached 404 would outlive the deploy. If nil, a plain 404 marked
	// cachehdr.Private is used.
	NotFound http.Handler
}

type asset struct {
	url         string // "/static/app.3f2a9c1b7e.css"
	contentType string
	etag        string // strong ETag of the identity body
	body        []byte
	gz          []byte // gzip of body, nil when compression does not pay
}

// LoadAssets returns the embedded static files as Assets.
func LoadAssets() (*Assets, error) { return NewAssets(Static()) }

// NewAssets reads, hashes and compresses every file of fsys once.
func NewAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		as := &asset{
			url:         "/static/" + hashed,
			contentType: contentType(ext),
			etag:        `"` + hash + `"`,
			body:        body,
			gz:          compress(body),
		}
		a.byName[name] = as
		a.byURL[hashed] = as
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: load assets: %w", err)
	}
	return a, nil
}

// Path returns the hashed URL of a static file, such as
// "/static/app.3f2a9c1b7e.css" for "app.css". An unknown name yields
// "/static/{name}", which answers 404, so a typo shows in the browser's
// console instead of breaking the page.
func (a *Assets) Path(name string) string {
	if as, ok := a.byName[name]; ok {
		return as.url
	}
	return "/static/" + name
}

// ServeHTTP serves GET and HEAD /static/{name}.{hash}.{ext}. Only the
// current hash of a file is served; any other answers 404, so an edge never
// stores old content under a new URL or the reverse.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	as, ok := a.byURL[strings.TrimPrefix(r.URL.Path, "/static/")]
	if !ok || !strings.HasPrefix(r.URL.Path, "/static/") {
		a.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", as.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	cachehdr.Set(h, cachehdr.Immutable)
	body, etag := as.body, as.etag
	if as.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			// The encoded bytes are a different representation, so they get
			// their own validator (RFC 9110 §8.8.3.3).
			body, etag = as.gz, strings.TrimSuffix(as.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match with 304, Range requests, HEAD,
	// and sets Content-Length.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (a *Assets) notFound(w http.ResponseWriter, r *http.Request) {
	if a.NotFound != nil {
		a.NotFound.ServeHTTP(w, r)
		return
	}
	cachehdr.SetPrivate(w.Header())
	http.NotFound(w, r)
}

// contentType is explicit for the types we ship, so the answer does not
// depend on the host's mime.types file.
func contentType(ext string) string {
	switch ext {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// compress returns the gzip of body, or nil when it would not save at least
// a tenth (images already compressed, tiny files).
func compress(body []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() >= len(body)*9/10 {
		return nil
	}
	return buf.Bytes()
}

// acceptsGzip reports whether Accept-Encoding accepts gzip with a non-zero
// quality, naming it or through "*"; an explicit gzip entry wins over "*"
// (RFC 9110 §12.5.3).
func acceptsGzip(values []string) bool {
	star := false
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(item), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			switch coding {
			case "gzip", "x-gzip":
				return quality(params) > 0
			case "*":
				star = quality(params) > 0
			}
		}
	}
	return star
}

// quality parses the q parameter of an Accept-Encoding item; absent or
// malformed means 1.
func quality(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				return q
			}
		}
	}
	return 1
}
