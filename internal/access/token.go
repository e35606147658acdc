package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
)

// Prefixes of the secrets guarantor issues. They tell a reader (and a
// secret scanner) what a leaked string is.
const (
	TokenPrefix   = "gtr_" // API bearer tokens
	SessionPrefix = "gts_" // browser session identifiers
)

// secretBytes is the entropy of every token, session id and CSRF token:
// 256 bits, 43 characters of unpadded base64url.
const secretBytes = 32

// NewToken returns a new API bearer token: "gtr_" and 43 characters of
// unpadded base64url encoding 32 bytes read from rand (crypto/rand.Reader
// in production). Store only its TokenHash.
func NewToken(rand io.Reader) (string, error) {
	return newSecret(rand, TokenPrefix, "token")
}

// NewSessionID returns a new browser session identifier: "gts_" and 43
// characters of base64url, like NewToken. Store only its TokenHash.
func NewSessionID(rand io.Reader) (string, error) {
	return newSecret(rand, SessionPrefix, "session id")
}

// NewCSRFToken returns a new token against cross-site request forgery: 43
// characters of base64url encoding 32 bytes from rand, without a prefix.
// Compare it with EqualTokens.
func NewCSRFToken(rand io.Reader) (string, error) {
	return newSecret(rand, "", "CSRF token")
}

func newSecret(rand io.Reader, prefix, what string) (string, error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("new %s: read random bytes: %w", what, err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// TokenHash returns the SHA-256 of token, the form in which tokens and
// session ids are stored and looked up, so that a copy of the database
// holds no usable credential. A fast hash is right here, unlike for
// passwords: a token has 256 bits of entropy, so there is no dictionary to
// search and no amount of hashing speed makes guessing feasible, while every
// request pays for the hash.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// EqualTokens reports whether a and b are equal, in time that depends only
// on their lengths, for comparing a presented secret with a known one.
func EqualTokens(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
