package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
)

// TestCompressedAnswers checks that a read of the API is compressed when the
// client accepts it, to the same bytes, and not when it does not.
func TestCompressedAnswers(t *testing.T) {
	a := newAPI(t)
	var obs []observe.Observation
	for i := range 40 {
		obs = append(obs, storetest.Obs(fmt.Sprintf("o-%02d", i), 37.5+float64(i)/100, 48, time.Duration(i)*time.Minute))
	}
	if r, status := ingest(t, a, "application/x-ndjson", ndjson(t, obs...)); status != 200 || r.Accepted != len(obs) {
		t.Fatalf("ingest: %d %+v", status, r)
	}
	// raw sends a request that says which encodings it accepts, and returns
	// the answer as sent, not decoded.
	raw := func(method, path, accept string) (*http.Response, []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, a.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Accept-Encoding", accept)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if path == "/api/v1/incidents/stream" {
			return res, nil // the headers say it; the stream does not end
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}

	_, plain := raw("GET", "/api/v1/observations", "identity")
	res, packed := raw("GET", "/api/v1/observations", "gzip")
	if got := res.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("observations with Accept-Encoding gzip: Content-Encoding %q", got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(packed))
	if err != nil {
		t.Fatal(err)
	}
	unpacked, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unpacked, plain) || len(packed) >= len(plain) {
		t.Errorf("gzipped observations: %d bytes, %d unpacked, want %d as sent plain", len(packed), len(unpacked), len(plain))
	}

	tests := []struct {
		method, path, accept string
		want                 string // Content-Encoding
	}{
		{"GET", "/api/v1/observations", "identity", ""},
		{"GET", "/api/v1/observations", "zstd", "zstd"},
		{"GET", "/api/v1/incidents/stream", "gzip", ""},
	}
	for _, tt := range tests {
		res, _ := raw(tt.method, tt.path, tt.accept)
		if got := res.Header.Get("Content-Encoding"); got != tt.want {
			t.Errorf("%s %s accepting %s: Content-Encoding %q, want %q (status %d)", tt.method, tt.path, tt.accept, got, tt.want, res.StatusCode)
		}
	}
}

// TestCompressible checks which requests' answers may be compressed: neither
// the session (it holds the CSRF token), nor a stream, nor an answer to a
// write.
func TestCompressible(t *testing.T) {
	tests := []struct {
		method, path string
		want         bool
	}{
		{"GET", "/api/v1/incidents", true},
		{"GET", "/api/v1/incidents/grid", true},
		{"GET", "/api/v1/registry/analytics", true},
		{"GET", "/api/v1/session", false},
		{"GET", "/api/v1/incidents/stream", false},
		{"GET", "/api/v1/guarantees/stream", false},
		{"POST", "/api/v1/observations", false},
		{"POST", "/api/v1/session", false},
		{"DELETE", "/api/v1/session", false},
		{"GET", "/assets/index.js", false},
		{"GET", "/healthz", false},
	}
	for _, tt := range tests {
		r, err := http.NewRequest(tt.method, "http://example.org"+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := compressible(r); got != tt.want {
			t.Errorf("compressible(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
}
