package ledgertest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors wrapped by the errors of ParseVerifierKey and OpenCheckpoint, so
// that tests can tell why a checkpoint was refused.
var (
	// ErrMalformedKey reports a verifier key that does not follow the format
	// or whose key hash does not match its name and public key.
	ErrMalformedKey = errors.New("malformed verifier key")
	// ErrMalformedNote reports a signed note that does not follow the
	// signed-note format (https://c2sp.org/signed-note).
	ErrMalformedNote = errors.New("malformed signed note")
	// ErrNoSignature reports a well-formed note that carries no signature
	// line with the verifier key's name and key hash.
	ErrNoSignature = errors.New("no signature by the verifier key")
	// ErrBadSignature reports a signature line with the verifier key's name
	// and key hash whose Ed25519 signature does not verify over the note text.
	ErrBadSignature = errors.New("invalid signature")
	// ErrMalformedCheckpoint reports a correctly signed note text that is not
	// a checkpoint body (https://c2sp.org/tlog-checkpoint).
	ErrMalformedCheckpoint = errors.New("malformed checkpoint")
)

const (
	// algEd25519 is the signed-note signature type identifier of Ed25519.
	algEd25519 = 0x01
	// sigPrefix starts every signature line: U+2014 EM DASH and a space.
	sigPrefix = "\u2014 "
	// maxSignatures bounds the signature lines read from one note; the
	// signed-note specification requires accepting at least 16.
	maxSignatures = 100
)

// validKeyName reports whether name is a valid signed-note key name:
// non-empty UTF-8 without Unicode spaces or '+'.
func validKeyName(name string) bool {
	return name != "" && utf8.ValidString(name) &&
		strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// computeKeyHash returns the signed-note key ID of an Ed25519 key: the first
// four bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || public key).
func computeKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algEd25519})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// ParseVerifierKey parses an Ed25519 note verifier key of the form
// "<name>+<key hash as 8 hex digits>+<base64(0x01 || 32-byte public key)>",
// as written by golang.org/x/mod/sumdb/note, and checks that the key hash is
// the first four bytes, big-endian, of SHA-256(name || "\n" || 0x01 ||
// public key). Errors wrap ErrMalformedKey.
func ParseVerifierKey(vkey string) (name string, keyHash uint32, pub ed25519.PublicKey, err error) {
	fail := func(format string, args ...any) (string, uint32, ed25519.PublicKey, error) {
		return "", 0, nil, fmt.Errorf("%w %q: %s", ErrMalformedKey, vkey, fmt.Sprintf(format, args...))
	}
	// The name and hash contain no '+'; the base64 key may.
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return fail("want name, key hash and public key separated by '+'")
	}
	name, hash16, key64 := parts[0], parts[1], parts[2]
	if !validKeyName(name) {
		return fail("invalid key name %q", name)
	}
	if len(hash16) != 8 {
		return fail("key hash %q is not 8 hex digits", hash16)
	}
	hash, perr := strconv.ParseUint(hash16, 16, 32)
	if perr != nil {
		return fail("key hash %q is not 8 hex digits", hash16)
	}
	key, derr := base64.StdEncoding.Strict().DecodeString(key64)
	if derr != nil {
		return fail("public key is not standard base64: %v", derr)
	}
	if len(key) == 0 || key[0] != algEd25519 {
		return fail("public key is not of signature type 0x01 (Ed25519)")
	}
	if len(key) != 1+ed25519.PublicKeySize {
		return fail("Ed25519 public key has %d bytes, want %d", len(key)-1, ed25519.PublicKeySize)
	}
	pub = ed25519.PublicKey(key[1:])
	if want := computeKeyHash(name, pub); uint32(hash) != want {
		return fail("key hash %08x does not match name and public key (want %08x)", hash, want)
	}
	return name, uint32(hash), pub, nil
}

// splitNote splits a signed note into its text (which ends in a newline) and
// its signature lines (each without its newline), checking the framing of
// https://c2sp.org/signed-note: valid UTF-8 without control characters other
// than newline, a text ending in a newline, the last blank line separating it
// from one or more signature lines, and a final newline.
func splitNote(msg []byte) (text []byte, sigLines []string, err error) {
	if !utf8.Valid(msg) {
		return nil, nil, fmt.Errorf("%w: not valid UTF-8", ErrMalformedNote)
	}
	for i, b := range msg {
		if b < 0x20 && b != '\n' {
			return nil, nil, fmt.Errorf("%w: control character 0x%02x at byte %d", ErrMalformedNote, b, i)
		}
	}
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return nil, nil, fmt.Errorf("%w: no blank line before the signatures", ErrMalformedNote)
	}
	text, sigs := msg[:split+1], msg[split+2:]
	if len(sigs) == 0 {
		return nil, nil, fmt.Errorf("%w: no signature lines", ErrMalformedNote)
	}
	if sigs[len(sigs)-1] != '\n' {
		return nil, nil, fmt.Errorf("%w: does not end in a newline", ErrMalformedNote)
	}
	sigLines = strings.Split(string(sigs[:len(sigs)-1]), "\n")
	if len(sigLines) > maxSignatures {
		return nil, nil, fmt.Errorf("%w: %d signature lines, more than %d", ErrMalformedNote, len(sigLines), maxSignatures)
	}
	return text, sigLines, nil
}

// parseSigLine parses a signature line "— <name> <base64(key hash || sig)>".
func parseSigLine(line string) (name string, hash uint32, sig []byte, err error) {
	rest, ok := strings.CutPrefix(line, sigPrefix)
	if !ok {
		return "", 0, nil, fmt.Errorf("%w: signature line %q does not start with an em dash and a space", ErrMalformedNote, line)
	}
	name, b64, ok := strings.Cut(rest, " ")
	if !ok || !validKeyName(name) {
		return "", 0, nil, fmt.Errorf("%w: signature line %q has no valid key name followed by a space", ErrMalformedNote, line)
	}
	raw, derr := base64.StdEncoding.DecodeString(b64)
	if derr != nil || len(raw) < 5 {
		return "", 0, nil, fmt.Errorf("%w: signature line %q: signature is not base64 of a 4-byte key hash and a signature", ErrMalformedNote, line)
	}
	return name, binary.BigEndian.Uint32(raw[:4]), raw[4:], nil
}

// OpenCheckpoint verifies a signed checkpoint note with the Ed25519 verifier
// key vkey (see ParseVerifierKey) and parses its body.
//
// Following https://c2sp.org/signed-note, it splits the note at its last
// blank line into the text and the signature lines, ignores signatures from
// other keys (another name or key hash), verifies every signature line that
// carries the verifier's name and key hash over the text bytes, and fails
// unless there is at least one and all of them verify. It then parses the
// text as a checkpoint body following https://c2sp.org/tlog-checkpoint: the
// origin line (non-empty), the tree size in decimal without leading zeros
// (except "0"), the root hash as standard base64 of 32 bytes, and optional
// non-empty extension lines, which are checked but not returned.
//
// It does not require the origin to equal the key name (the specification
// only recommends it); callers should compare the origin with the log they
// expect. Errors wrap ErrMalformedKey, ErrMalformedNote, ErrNoSignature,
// ErrBadSignature or ErrMalformedCheckpoint.
func OpenCheckpoint(signedNote []byte, vkey string) (origin string, size uint64, root []byte, err error) {
	name, hash, pub, err := ParseVerifierKey(vkey)
	if err != nil {
		return "", 0, nil, err
	}
	text, sigLines, err := splitNote(signedNote)
	if err != nil {
		return "", 0, nil, err
	}
	verified := 0
	for _, line := range sigLines {
		sname, shash, sig, err := parseSigLine(line)
		if err != nil {
			return "", 0, nil, err
		}
		if sname != name || shash != hash {
			continue // a signature by some other key
		}
		if len(sig) != ed25519.SignatureSize {
			return "", 0, nil, fmt.Errorf("%w by %s+%08x: %d signature bytes, want %d", ErrBadSignature, name, hash, len(sig), ed25519.SignatureSize)
		}
		if !ed25519.Verify(pub, text, sig) {
			return "", 0, nil, fmt.Errorf("%w by %s+%08x: Ed25519 signature does not verify over the note text", ErrBadSignature, name, hash)
		}
		verified++
	}
	if verified == 0 {
		return "", 0, nil, fmt.Errorf("%w: none of %d signature lines is by %s+%08x", ErrNoSignature, len(sigLines), name, hash)
	}
	return parseCheckpointBody(text)
}

// parseCheckpointBody parses a tlog-checkpoint note text.
func parseCheckpointBody(text []byte) (origin string, size uint64, root []byte, err error) {
	fail := func(format string, args ...any) (string, uint64, []byte, error) {
		return "", 0, nil, fmt.Errorf("%w: %s", ErrMalformedCheckpoint, fmt.Sprintf(format, args...))
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return fail("body does not end in a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return fail("body has %d lines, want at least origin, size and root hash", len(lines))
	}
	origin = lines[0]
	if origin == "" {
		return fail("origin line is empty")
	}
	size, err = parseTreeSize(lines[1])
	if err != nil {
		return fail("tree size line %q: %v", lines[1], err)
	}
	root, err = base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil {
		return fail("root hash line %q is not standard base64: %v", lines[2], err)
	}
	if len(root) != hashSize {
		return fail("root hash has %d bytes, want %d", len(root), hashSize)
	}
	for i, ext := range lines[3:] {
		if ext == "" {
			return fail("extension line %d is empty", i+1)
		}
	}
	return origin, size, root, nil
}

// parseTreeSize parses a tree size: ASCII decimal digits without sign and
// without leading zeros, except for "0" itself, fitting in 64 bits.
func parseTreeSize(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not ASCII decimal digits")
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New("does not fit in 64 bits")
	}
	return n, nil
}
