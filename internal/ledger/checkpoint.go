package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a commitment to the state of the log in the C2SP
// tlog-checkpoint format (https://c2sp.org/tlog-checkpoint): the log's
// origin, the tree size and the root hash, and optional extension lines.
type Checkpoint struct {
	// Origin uniquely names the log, e.g. "guarantor.example.org/log".
	Origin string
	// Size is the number of leaves in the tree.
	Size uint64
	// Root is the RFC 6962 root hash of the tree of Size leaves.
	Root []byte
	// Extensions are optional further body lines, without newlines.
	Extensions []string
}

// maxCheckpointSize bounds the body accepted by ParseCheckpoint.
const maxCheckpointSize = 1 << 16

// ErrMalformedCheckpoint is wrapped by every error that reports a checkpoint
// body that does not follow the format.
var ErrMalformedCheckpoint = errors.New("malformed checkpoint")

// FormatCheckpoint returns the checkpoint body for origin, size and root:
// "<origin>\n<size in decimal>\n<base64 root>\n". It does not validate its
// arguments; SignCheckpoint does.
func FormatCheckpoint(origin string, size uint64, root []byte) []byte {
	return Checkpoint{Origin: origin, Size: size, Root: root}.Marshal()
}

// Marshal returns the checkpoint body: origin, size and root lines followed
// by one line per extension, each ending in a newline.
func (c Checkpoint) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root))
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Validate reports whether the checkpoint can be written and read back
// unchanged: a non-empty origin, a root of HashSize bytes, and lines that are
// non-empty UTF-8 without control characters.
func (c Checkpoint) Validate() error {
	if c.Origin == "" {
		return fmt.Errorf("%w: empty origin", ErrMalformedCheckpoint)
	}
	if err := checkLine(c.Origin); err != nil {
		return fmt.Errorf("%w: origin: %v", ErrMalformedCheckpoint, err)
	}
	if len(c.Root) != HashSize {
		return fmt.Errorf("%w: root hash has %d bytes, want %d", ErrMalformedCheckpoint, len(c.Root), HashSize)
	}
	for i, e := range c.Extensions {
		if e == "" {
			return fmt.Errorf("%w: extension line %d is empty", ErrMalformedCheckpoint, i+1)
		}
		if err := checkLine(e); err != nil {
			return fmt.Errorf("%w: extension line %d: %v", ErrMalformedCheckpoint, i+1, err)
		}
	}
	return nil
}

// checkLine refuses invalid UTF-8 and control characters (including
// newlines), which signed notes do not allow inside a line.
func checkLine(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Errorf("invalid UTF-8 at byte %d", i)
			}
		}
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("control character %U at byte %d", r, i)
		}
	}
	return nil
}

// ParseCheckpoint parses a checkpoint body (the text of the note, without
// signatures). It refuses bodies that do not end in a newline, lack the
// origin, size or root line, write the size other than as canonical decimal,
// carry a root that is not canonical standard base64 of HashSize bytes, or
// have empty or otherwise invalid lines. A body that parses is exactly what
// Marshal produces for the result.
func ParseCheckpoint(body []byte) (Checkpoint, error) {
	if len(body) > maxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("%w: %d bytes, more than %d", ErrMalformedCheckpoint, len(body), maxCheckpointSize)
	}
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return Checkpoint{}, fmt.Errorf("%w: does not end in a newline", ErrMalformedCheckpoint)
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("%w: %d lines, want origin, size and root", ErrMalformedCheckpoint, len(lines))
	}
	var c Checkpoint
	c.Origin = lines[0]
	if c.Origin == "" {
		return Checkpoint{}, fmt.Errorf("%w: empty origin", ErrMalformedCheckpoint)
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: size line %q: %v", ErrMalformedCheckpoint, lines[1], err)
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return Checkpoint{}, fmt.Errorf("%w: root line %q is not canonical standard base64", ErrMalformedCheckpoint, lines[2])
	}
	c.Root = root
	if len(lines) > 3 {
		c.Extensions = lines[3:]
	}
	if err := c.Validate(); err != nil {
		return Checkpoint{}, err
	}
	return c, nil
}

// parseSize parses a tree size in canonical decimal: digits only, no sign,
// no leading zeros.
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("not a decimal number")
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errors.New("out of range")
	}
	return n, nil
}

// SignCheckpoint validates cp and returns it as a signed note: the body, a
// blank line and the signature line of signer. By convention the signer's
// key name is the checkpoint's origin.
func SignCheckpoint(cp Checkpoint, signer note.Signer) ([]byte, error) {
	if err := cp.Validate(); err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: string(cp.Marshal())}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint %q size %d: %w", cp.Origin, cp.Size, err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint note against verifier and
// parses its body. It fails if the note is malformed, carries no valid
// signature by verifier, or its body is not a well-formed checkpoint.
// Callers should also check that the returned Origin is the log they expect.
func OpenCheckpoint(msg []byte, verifier note.Verifier) (Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("open checkpoint signed by %q: %w", verifier.Name(), err)
	}
	cp, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("open checkpoint signed by %q: %w", verifier.Name(), err)
	}
	return cp, nil
}

// NewKey generates an Ed25519 note signing key named name, reading
// randomness from random (pass crypto/rand.Reader), and returns the encoded
// secret key (for note.NewSigner) and verifier key (for note.NewVerifier).
func NewKey(random io.Reader, name string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(random, name)
	if err != nil {
		return "", "", fmt.Errorf("generate checkpoint key %q: %w", name, err)
	}
	// GenerateKey does not check the name; NewSigner does.
	if _, err := note.NewSigner(skey); err != nil {
		return "", "", fmt.Errorf("generate checkpoint key %q: %w", name, err)
	}
	return skey, vkey, nil
}
