package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const rebuild = "run `cd web && npm ci && npm run build` and commit internal/web/dist"

// webDir is the front end's sources, from this package's directory.
var webDir = filepath.Join("..", "..", "web")

// sourceFiles lists the sources the build is stamped with, as
// web/scripts/stamp.mjs does: package.json, package-lock.json, index.html,
// every tsconfig*.json and vite.config.* file at the top, and every regular
// file under src/, public/ and scripts/, as paths relative to web/ with '/'
// separators, sorted bytewise.
func sourceFiles(root string) ([]string, error) {
	var files []string
	for _, f := range []string{"package.json", "package-lock.json", "index.html"} {
		if st, err := os.Stat(filepath.Join(root, f)); err == nil && st.Mode().IsRegular() {
			files = append(files, f)
		}
	}
	top, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	topPattern := regexp.MustCompile(`^(vite\.config\..+|tsconfig.*\.json)$`)
	for _, e := range top {
		if e.Type().IsRegular() && topPattern.MatchString(e.Name()) {
			files = append(files, e.Name())
		}
	}
	for _, dir := range []string{"src", "public", "scripts"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if os.IsNotExist(err) && p == filepath.Join(root, dir) {
				return filepath.SkipDir
			}
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(files) // bytewise, as Buffer.compare
	return files, nil
}

// sourceHash is SHA-256 over, for each source file in order: its path, a
// NUL byte, its length in decimal, a NUL byte, its bytes.
func sourceHash(root string) (string, int, error) {
	files, err := sourceFiles(root)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return "", 0, err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), len(files), nil
}

func TestBuildIsFresh(t *testing.T) {
	if _, err := os.Stat(filepath.Join(webDir, "package.json")); err != nil {
		t.Fatalf("no front-end sources at %s (%v): the built interface cannot be checked against them", webDir, err)
	}
	want, n, err := sourceHash(webDir)
	if err != nil {
		t.Fatal(err)
	}
	stamp, err := fs.ReadFile(Files(), "SOURCE-SHA256")
	if err != nil {
		t.Fatalf("internal/web/dist has no SOURCE-SHA256 (%v): the interface was not built with web/'s build script; %s", err, rebuild)
	}
	if got := strings.TrimSpace(string(stamp)); got != want {
		t.Fatalf("internal/web/dist is stale: it was built from sources hashing to %s, and the %d source files of web/ now hash to %s; %s", got, n, want, rebuild)
	}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func serve(t *testing.T, method, target string, header map[string]string) answer {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, r)
	return answer{w.Code, w.Header(), w.Body.Bytes()}
}

// assetRefs are the built files that index.html and the scripts name.
var assetRefs = regexp.MustCompile(`(?:"/|\./|/assets/)((?:assets/)?[\w.-]+-[\w-]{6,}\.(?:json|mjs|js|css))\b`)

func TestHandlerServesTheInterface(t *testing.T) {
	index, err := fs.ReadFile(Files(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/", "/index.html", "/queue", "/guarantees", "/map", "/queue/some-candidate"} {
		a := serve(t, "GET", target, nil)
		if a.status != 200 || !bytes.Equal(a.body, index) {
			t.Errorf("GET %s: %d, %d bytes; want 200 and index.html", target, a.status, len(a.body))
			continue
		}
		if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		if cc := a.header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache: a new build must be seen at once", target, cc)
		}
		if csp := a.header.Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy %q", target, csp)
		}
	}

	// The scripts that index.html loads are there, as JavaScript, and cached for long.
	var scripts []string
	for _, m := range regexp.MustCompile(`<script[^>]+src="/(assets/[^"]+\.js)"`).FindAllSubmatch(index, -1) {
		scripts = append(scripts, string(m[1]))
	}
	if len(scripts) == 0 {
		t.Fatalf("index.html loads no script from /assets/:\n%s", index)
	}
	for _, s := range scripts {
		want, err := fs.ReadFile(Files(), s)
		if err != nil {
			t.Fatalf("index.html loads /%s, which is not built: %v", s, err)
		}
		a := serve(t, "GET", "/"+s, nil)
		if a.status != 200 || !bytes.Equal(a.body, want) {
			t.Errorf("GET /%s: %d, %d bytes; want 200 and the file (%d bytes)", s, a.status, len(a.body), len(want))
		}
		if ct := a.header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
			t.Errorf("GET /%s: Content-Type %q", s, ct)
		}
		if cc := a.header.Get("Cache-Control"); cc != immutable {
			t.Errorf("GET /%s: Cache-Control %q, want %q", s, cc, immutable)
		}
		if a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET /%s: no X-Content-Type-Options: nosniff", s)
		}

		// Gzipped for a browser that accepts it, the same bytes once unzipped.
		gz := serve(t, "GET", "/"+s, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
		if gz.header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET /%s accepting gzip: Content-Encoding %q", s, gz.header.Get("Content-Encoding"))
		} else {
			zr, err := gzip.NewReader(bytes.NewReader(gz.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("GET /%s gzipped: unzips to %d bytes (%v), want the file", s, len(got), err)
			}
		}
		if no := serve(t, "GET", "/"+s, map[string]string{"Accept-Encoding": "gzip;q=0, identity"}); no.header.Get("Content-Encoding") != "" {
			t.Errorf("GET /%s refusing gzip: Content-Encoding %q", s, no.header.Get("Content-Encoding"))
		}

		// Revalidation: the ETag answers 304.
		etag := a.header.Get("ETag")
		if etag == "" {
			t.Errorf("GET /%s: no ETag", s)
		} else if nm := serve(t, "GET", "/"+s, map[string]string{"If-None-Match": etag}); nm.status != http.StatusNotModified {
			t.Errorf("GET /%s If-None-Match its ETag: %d, want 304", s, nm.status)
		}

		if h := serve(t, "HEAD", "/"+s, nil); h.status != 200 || len(h.body) != 0 || h.header.Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("HEAD /%s: %d, %d bytes, Content-Length %q", s, h.status, len(h.body), h.header.Get("Content-Length"))
		}
	}

	// Every built file that the page and the scripts name is there: no
	// chunk, style sheet or data file of another build is missing.
	files, err := fs.Glob(Files(), "assets/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{"index.html"}, files...) {
		if !strings.HasSuffix(f, ".html") && !strings.HasSuffix(f, ".js") && !strings.HasSuffix(f, ".mjs") {
			continue
		}
		b, _ := fs.ReadFile(Files(), f)
		for _, m := range assetRefs.FindAllSubmatch(b, -1) {
			ref := string(m[1])
			if !strings.HasPrefix(ref, "assets/") {
				ref = "assets/" + ref
			}
			if _, err := fs.Stat(Files(), ref); err != nil {
				t.Errorf("%s names %s, which is not in the build", f, ref)
			}
		}
	}

	// What is not the interface's.
	if a := serve(t, "GET", "/api/v1/no-such-thing", nil); a.status != 404 || a.header.Get("Content-Type") != "application/json" || !json.Valid(a.body) {
		t.Errorf("GET /api/v1/no-such-thing: %d %q %s; want a JSON 404", a.status, a.header.Get("Content-Type"), a.body)
	}
	if a := serve(t, "GET", "/assets/gone-0123456789.js", nil); a.status != 404 || bytes.Contains(a.body, []byte("<html")) {
		t.Errorf("GET a missing asset: %d %s; want 404, not the page", a.status, a.body)
	}
	if a := serve(t, "POST", "/queue", nil); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /queue: %d, Allow %q; want 405", a.status, a.header.Get("Allow"))
	}
	if a := serve(t, "GET", "/../../etc/passwd", nil); a.status != 200 || !bytes.Equal(a.body, index) {
		t.Errorf("GET /../../etc/passwd: %d; want the page (the path is cleaned to the root)", a.status)
	}
}

// allowedURLs are the only URLs that may appear in the built files, each
// with why the browser never fetches it. Anything else fails the test: a
// tile server, a font, a CDN, a telemetry endpoint.
var allowedURLs = []struct {
	pattern *regexp.Regexp
	why     string
}{
	{regexp.MustCompile(`^http://www\.w3\.org/(2000/svg|1999/xhtml|1999/xlink|1998/Math/MathML|XML/1998/namespace)$`), "an XML namespace name, an identifier and no address"},
	{regexp.MustCompile(`^https://maplibre\.org/$`), "MapLibre's default attribution and logo links: the interface shows neither (its own attribution, no logo), and a link is fetched only when followed"},
	{regexp.MustCompile(`^https://maplibre\.invalid/$`), "the base MapLibre parses attribution links against; .invalid never resolves (RFC 2606)"},
	{regexp.MustCompile(`^https://wiki\.openstreetmap\.org/wiki/This_map_requires_WebGL$`), "words of MapLibre's error message when WebGL is missing"},
	{regexp.MustCompile(`^https://github\.com/mapbox/mapbox-gl-js/issues/2907$`), "words of a MapLibre warning about too many glyphs"},
	{regexp.MustCompile(`^https://github\.com/maplibre/maplibre-gl-js/blob/v[0-9.]+/LICENSE\.txt$`), "MapLibre's licence comment"},
}

var (
	anyURL = regexp.MustCompile(`(?i)\b(?:https?|wss?|ftp)://[^\s"'` + "`" + `<>()\\]+`)
	// In a page or a style sheet, an address with no scheme ("//host/x") is
	// fetched too.
	schemelessRef = regexp.MustCompile(`(?i)(?:\b(?:src|href|srcset|action|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)//`)
)

func TestNoOutsideHost(t *testing.T) {
	err := fs.WalkDir(Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch path.Ext(p) {
		case ".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".map":
		default:
			return nil
		}
		b, err := fs.ReadFile(Files(), p)
		if err != nil {
			return err
		}
		for _, loc := range anyURL.FindAllIndex(b, -1) {
			u := string(b[loc[0]:loc[1]])
			ok := false
			for _, a := range allowedURLs {
				if a.pattern.MatchString(u) {
					ok = true
					break
				}
			}
			if !ok {
				t.Errorf("%s names %s (…%s…): the interface must fetch nothing from another host; if the browser never fetches it, add it to allowedURLs with why", p, u, context(b, loc))
			}
		}
		if ext := path.Ext(p); ext == ".html" || ext == ".css" || ext == ".svg" {
			for _, loc := range schemelessRef.FindAllIndex(b, -1) {
				t.Errorf("%s refers to another host without a scheme (…%s…)", p, context(b, loc))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func context(b []byte, loc []int) string {
	from, to := max(0, loc[0]-60), min(len(b), loc[1]+40)
	return strings.ReplaceAll(string(b[from:to]), "\n", " ")
}

// TestJavaScriptSize holds the built JavaScript under 1 MB gzipped, as the
// interface is to load quickly over a constrained link.
func TestJavaScriptSize(t *testing.T) {
	const limit = 1_000_000
	total := 0
	files, _ := fs.Glob(Files(), "assets/*")
	for _, f := range files {
		if ext := path.Ext(f); ext != ".js" && ext != ".mjs" {
			continue
		}
		b, _ := fs.ReadFile(Files(), f)
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
		zw.Write(b)
		zw.Close()
		t.Logf("%s: %d bytes, %d gzipped", f, len(b), z.Len())
		total += z.Len()
	}
	if total == 0 {
		t.Fatal("no JavaScript in the build")
	}
	t.Logf("all JavaScript: %d bytes gzipped", total)
	if total > limit {
		t.Errorf("the built JavaScript is %d bytes gzipped, over the %d allowed", total, limit)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"":                      false,
		"gzip":                  true,
		"GZIP":                  true,
		"deflate, gzip;q=1.0":   true,
		"br, gzip;q=0.5":        true,
		"gzip;q=0":              false,
		"gzip; q=0.000":         false,
		"*":                     true,
		"identity":              false,
		"br":                    false,
		"gzip;q=0, *;q=1":       false, // the first that names gzip decides
		"x-gzip, deflate":       false,
		"  gzip  ;  q=0.3 , br": true,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
