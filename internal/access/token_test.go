package access

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"testing"
)

func TestNewSecrets(t *testing.T) {
	seed := bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 11)[:32]
	tests := []struct {
		name   string
		new    func(r io.Reader) (string, error)
		prefix string
	}{
		{"token", NewToken, "gtr_"},
		{"session", NewSessionID, "gts_"},
		{"csrf", NewCSRFToken, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.new(bytes.NewReader(seed))
			if err != nil {
				t.Fatal(err)
			}
			body, ok := strings.CutPrefix(got, tc.prefix)
			if !ok || len(body) != 43 {
				t.Fatalf("%q: want %q and 43 characters", got, tc.prefix)
			}
			b, err := base64.RawURLEncoding.DecodeString(body)
			if err != nil || !bytes.Equal(b, seed) {
				t.Errorf("%q does not encode the random bytes: %x, %v", got, b, err)
			}
			if strings.ContainsAny(body, "+/=") {
				t.Errorf("%q is not base64url", got)
			}

			if _, err := tc.new(bytes.NewReader(seed[:31])); err == nil {
				t.Errorf("no error from a short random source")
			}

			a, _ := tc.new(rand.Reader)
			b2, _ := tc.new(rand.Reader)
			if a == b2 {
				t.Errorf("two secrets from crypto/rand are equal: %q", a)
			}
		})
	}
}

func TestTokenHash(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := hex.EncodeToString(TokenHash("abc")); got != want {
		t.Errorf("TokenHash(abc) = %s, want %s", got, want)
	}
	if bytes.Equal(TokenHash("gtr_a"), TokenHash("gtr_b")) {
		t.Errorf("different tokens hash alike")
	}
}

func TestEqualTokens(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"", "", true},
		{"gtr_abc", "gtr_abc", true},
		{"gtr_abc", "gtr_abd", false},
		{"gtr_abc", "gtr_ab", false},
		{"gtr_abc", "", false},
		{"gtr_abc", "GTR_abc", false},
	}
	for _, tc := range tests {
		if got := EqualTokens(tc.a, tc.b); got != tc.want {
			t.Errorf("EqualTokens(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
