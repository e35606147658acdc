// Package web serves guarantor's browser interface: the files that the
// front end in web/ builds (`cd web && npm ci && npm run build`) into dist/,
// embedded in the binary so that serving it needs no Node.js.
//
// The built files are committed. dist/SOURCE-SHA256 is the hash of the
// sources they were built from (web/scripts/stamp.mjs); TestBuildIsFresh
// fails when the sources have changed since.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Files is the built interface: index.html, the hashed files under assets/,
// and SOURCE-SHA256.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded: it is there
	}
	return sub
}

// ContentSecurityPolicy is sent with every page of the interface. Every
// source is this server ('self'): the browser refuses any request to another
// host, which keeps the interface usable on a closed network and makes a
// dependency that reaches out fail loudly instead of leaking. data: images
// are the map controls' inline SVG icons.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"font-src 'self'; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// immutable is the cache policy of the hashed files under assets/: their
// names change when their content does.
const immutable = "public, max-age=31536000, immutable"

var contentTypes = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".pbf":   "application/x-protobuf",
	".map":   "application/json",
	".txt":   "text/plain; charset=utf-8",
}

// compressible are the types worth sending gzipped.
var compressible = map[string]bool{".html": true, ".js": true, ".mjs": true, ".css": true, ".json": true, ".svg": true, ".map": true, ".txt": true, ".pbf": true}

// file is one built file, ready to serve.
type file struct {
	name        string
	contentType string
	body        []byte
	gz          []byte // nil when gzip would not make it smaller
	etag        string
}

type handler struct {
	files map[string]*file // by path without the leading slash
	index *file
}

var load = sync.OnceValues(func() (*handler, error) {
	h := &handler{files: map[string]*file{}}
	err := fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(Files(), p)
		if err != nil {
			return err
		}
		ext := path.Ext(p)
		ct, ok := contentTypes[ext]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		f := &file{name: p, contentType: ct, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if compressible[ext] && len(body) >= 1024 {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			if b.Len() < len(body) {
				f.gz = b.Bytes()
			}
		}
		h.files[p] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.index = h.files["index.html"]
	return h, nil
})

// Handler serves the interface: the built files with their content types,
// gzipped when the browser accepts it, the hashed files under /assets/ with
// long cache lifetimes, and index.html (never cached) for every other path
// that does not name a file, so that the interface's own paths (/queue,
// /map) can be reloaded and bookmarked. Paths under /api/ are not its: they
// answer 404 in the API's JSON form. Only GET and HEAD are served.
func Handler() http.Handler {
	h, err := load()
	if err != nil || h.index == nil {
		msg := "the interface was not built into this binary"
		if err != nil {
			msg += ": " + err.Error()
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, msg, http.StatusNotFound)
		})
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if p == "api" || strings.HasPrefix(p, "api/") {
		writeJSONError(w, http.StatusNotFound, "no such API endpoint: "+r.URL.Path+" (see /api/v1/openapi.json)")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the interface's files are read with GET", http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.files[p]
	switch {
	case ok && p != "index.html":
	case p == "" || p == "index.html" || path.Ext(p) == "":
		// A path of the interface itself: the page decides what to show.
		f = h.index
	default:
		// A file that is not there (an asset of an older build): a clear
		// 404 rather than a page where a script was expected.
		http.Error(w, "no such file: "+r.URL.Path, http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	if strings.HasPrefix(f.name, "assets/") {
		hd.Set("Cache-Control", immutable)
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	if f == h.index {
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
	}
	body, etag := f.body, f.etag
	if f.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			hd.Set("Content-Encoding", "gzip")
		}
	}
	hd.Set("ETag", etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reads an Accept-Encoding header: gzip, or *, with a quality
// above zero.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		for param := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(param, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q <= 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
