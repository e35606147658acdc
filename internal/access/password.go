package access

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters of new password hashes. They are OWASP's Password
// Storage Cheat Sheet's second recommended configuration, m=19456 KiB
// (19 MiB), t=2, p=1, which it rates as strong as its first (m=46 MiB, t=1)
// while needing less than half the memory per login, so a burst of
// concurrent logins on a small server does not exhaust its memory. A hash
// takes some tens of milliseconds on one core. The salt and the hash have
// RFC 9106's recommended sizes, 16 and 32 bytes.
//
// The parameters are stored in each hash (PHC string format), so they can
// be raised later: VerifyPassword reads them from the hash, and NeedsRehash
// tells when a stored hash should be replaced at the next login.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Bounds on the parameters VerifyPassword accepts from a stored hash, so
// that a corrupted or planted hash cannot make one login take a gibibyte
// of memory or minutes of CPU.
const (
	maxArgonMemory = 1 << 20 // KiB: 1 GiB
	maxArgonTime   = 64
	minArgonSalt   = 8 // RFC 9106's minimum
	maxArgonSalt   = 64
	minArgonKey    = 16
	maxArgonKey    = 64
)

// Password lengths, in characters (Unicode code points).
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

// CheckPassword returns an error if pw is not acceptable as a new password:
// shorter than MinPasswordLen or longer than MaxPasswordLen characters, or
// not UTF-8. The error never contains the password.
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return errors.New("password is not valid UTF-8 text")
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return fmt.Errorf("password is %d characters long; it must have at least %d (a passphrase of a few words is easiest)", n, MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("password is %d characters long; it may have at most %d", n, MaxPasswordLen)
	}
	return nil
}

// HashPassword hashes password with argon2id and a 16-byte salt read from
// rand (crypto/rand.Reader in production), and returns it in the PHC string
// format: "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", with salt and
// hash in unpadded standard base64. It does not judge the password; call
// CheckPassword first for a new one.
func HashPassword(password string, rand io.Reader) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	p := argonParams{memory: argonMemory, time: argonTime, threads: argonThreads, salt: salt}
	p.hash = argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, argonKeyLen)
	return p.String(), nil
}

// VerifyPassword reports whether password matches encoded, a hash from
// HashPassword (possibly made with other parameters, which it reads from
// encoded). The comparison takes constant time. A malformed encoded hash, or
// one with parameters out of bounds, is an error.
func VerifyPassword(encoded, password string) (bool, error) {
	p, err := parseArgon(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.hash)))
	return subtle.ConstantTimeCompare(got, p.hash) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// HashPassword uses now (or cannot be parsed), so that the caller, having
// just verified the password, should store a new hash of it.
func NeedsRehash(encoded string) bool {
	p, err := parseArgon(encoded)
	if err != nil {
		return true
	}
	return p.memory != argonMemory || p.time != argonTime || p.threads != argonThreads ||
		len(p.salt) != argonSaltLen || len(p.hash) != argonKeyLen
}

// argonParams is a parsed argon2id PHC string.
type argonParams struct {
	memory     uint32 // KiB
	time       uint32
	threads    uint8
	salt, hash []byte
}

func (p argonParams) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(p.salt), b64.EncodeToString(p.hash))
}

// parseArgon parses and bounds-checks "$argon2id$v=19$m=M,t=T,p=P$salt$hash".
func parseArgon(encoded string) (argonParams, error) {
	fail := func(format string, args ...any) (argonParams, error) {
		return argonParams{}, fmt.Errorf("malformed password hash: "+format, args...)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("want $argon2id$v=19$m=...,t=...,p=...$salt$hash")
	}
	if parts[1] != "argon2id" {
		return fail("algorithm %q, want argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("version %q, want v=%d", parts[2], argon2.Version)
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return fail("parameters %q, want m=...,t=...,p=...", parts[3])
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		s, ok := strings.CutPrefix(params[i], name+"=")
		if !ok {
			return fail("parameters %q, want m=...,t=...,p=...", parts[3])
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return fail("parameter %s: %w", name, err)
		}
		vals[i] = v
	}
	p := argonParams{memory: uint32(vals[0]), time: uint32(vals[1])}
	switch {
	case vals[2] < 1 || vals[2] > 255:
		return fail("parallelism p=%d, want 1 to 255", vals[2])
	case vals[1] < 1 || vals[1] > maxArgonTime:
		return fail("time t=%d, want 1 to %d", vals[1], maxArgonTime)
	case vals[0] < 8*vals[2] || vals[0] > maxArgonMemory:
		return fail("memory m=%d KiB, want %d to %d", vals[0], 8*vals[2], maxArgonMemory)
	}
	p.threads = uint8(vals[2])
	b64 := base64.RawStdEncoding.Strict()
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil {
		return fail("salt: %w", err)
	}
	if n := len(p.salt); n < minArgonSalt || n > maxArgonSalt {
		return fail("salt of %d bytes, want %d to %d", n, minArgonSalt, maxArgonSalt)
	}
	if p.hash, err = b64.DecodeString(parts[5]); err != nil {
		return fail("hash: %w", err)
	}
	if n := len(p.hash); n < minArgonKey || n > maxArgonKey {
		return fail("hash of %d bytes, want %d to %d", n, minArgonKey, maxArgonKey)
	}
	return p, nil
}
