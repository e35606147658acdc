package ledgertest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/guarantor-project/guarantor/internal/ledger"
	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "guarantor.example.org/log"

// testKey is a checkpoint key made by ledger.NewKey.
type testKey struct {
	skey, vkey string
	signer     note.Signer
}

func newTestKey(t testing.TB, name string) testKey {
	t.Helper()
	skey, vkey, err := ledger.NewKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{skey, vkey, signer}
}

// seed returns the Ed25519 seed encoded in the note signer key
// "PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>".
func (k testKey) seed(t testing.TB) []byte {
	t.Helper()
	f := strings.SplitN(k.skey, "+", 5)
	if len(f) != 5 {
		t.Fatalf("signer key has %d fields", len(f))
	}
	b, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != 1 {
		t.Fatalf("signer key: %x, %v", b, err)
	}
	return b[1:]
}

// signText signs text as a note, written here from the signed-note format
// rather than with golang.org/x/mod/sumdb/note, so that tests can make notes
// that package refuses to make.
func signText(t testing.TB, k testKey, name, text string) []byte {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(k.seed(t))
	_, hash, _, err := ParseVerifierKey(k.vkey)
	if err != nil {
		t.Fatal(err)
	}
	sig := binary.BigEndian.AppendUint32(nil, hash)
	sig = append(sig, ed25519.Sign(priv, []byte(text))...)
	return fmt.Appendf(nil, "%s\n— %s %s\n", text, name, base64.StdEncoding.EncodeToString(sig))
}

func sign(t testing.TB, k testKey, cp ledger.Checkpoint) []byte {
	t.Helper()
	msg, err := ledger.SignCheckpoint(cp, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestParseVerifierKey(t *testing.T) {
	k := newTestKey(t, testOrigin)
	name, hash, pub, err := ParseVerifierKey(k.vkey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(k.vkey)
	if err != nil {
		t.Fatal(err)
	}
	if name != testOrigin || name != v.Name() || hash != v.KeyHash() {
		t.Fatalf("ParseVerifierKey = %q, %08x; note says %q, %08x", name, hash, v.Name(), v.KeyHash())
	}
	want := ed25519.NewKeyFromSeed(k.seed(t)).Public().(ed25519.PublicKey)
	if !pub.Equal(want) {
		t.Fatalf("public key %x, want %x", pub, want)
	}
	// The key of x/mod/sumdb/note for the same public key is the same.
	if vk, err := note.NewEd25519VerifierKey(testOrigin, pub); err != nil || vk != k.vkey {
		t.Fatalf("note.NewEd25519VerifierKey = %q (%v), want %q", vk, err, k.vkey)
	}

	f := strings.SplitN(k.vkey, "+", 3)
	key, _ := base64.StdEncoding.DecodeString(f[2])
	enc := base64.StdEncoding.EncodeToString
	// withKey returns a verifier key for name and raw key bytes with a
	// correct key hash.
	withKey := func(name string, raw []byte) string {
		h := computeKeyHash(name, raw[1:])
		if len(raw) > 0 && raw[0] != 1 {
			h = 0
		}
		return fmt.Sprintf("%s+%08x+%s", name, h, enc(raw))
	}
	otherHash := fmt.Sprintf("%08x", hash^1)
	tests := []struct {
		name, vkey, want string
	}{
		{"empty", "", "separated by '+'"},
		{"two fields", f[0] + "+" + f[1], "separated by '+'"},
		{"trailing field", k.vkey + "+AAAA", "base64"},
		{"empty name", "+" + f[1] + "+" + f[2], "key name"},
		{"space in name", withKey("a b", key), "key name"},
		{"tab in name", withKey("a\tb", key), "key name"},
		{"invalid UTF-8 name", withKey("a\xffb", key), "key name"},
		{"short hash", f[0] + "+" + f[1][1:] + "+" + f[2], "8 hex digits"},
		{"long hash", f[0] + "+0" + f[1] + "+" + f[2], "8 hex digits"},
		{"non-hex hash", f[0] + "+zzzzzzzz+" + f[2], "8 hex digits"},
		{"signed hash", f[0] + "+-0000001+" + f[2], "8 hex digits"},
		{"wrong hash", f[0] + "+" + otherHash + "+" + f[2], "does not match"},
		{"hash of another name", "other.example/log+" + f[1] + "+" + f[2], "does not match"},
		{"key not base64", f[0] + "+" + f[1] + "+" + f[2][:len(f[2])-2] + "!", "base64"},
		{"key URL base64", f[0] + "+" + f[1] + "+" + strings.NewReplacer("+", "-", "/", "_").Replace(f[2]) + "-_", "base64"},
		{"empty key", f[0] + "+" + f[1] + "+", "type 0x01"},
		{"other algorithm", f[0] + "+" + f[1] + "+" + enc(append([]byte{2}, key[1:]...)), "type 0x01"},
		{"short key", withKey(testOrigin, key[:32]), "31 bytes"},
		{"long key", withKey(testOrigin, append(key[:33:33], 0)), "33 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := ParseVerifierKey(tc.vkey)
			if err == nil {
				t.Fatalf("accepted %q", tc.vkey)
			}
			if !errors.Is(err, ErrMalformedKey) {
				t.Errorf("error %v does not wrap ErrMalformedKey", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestParseVerifierKeyPlus checks keys whose base64 public key contains '+'
// and '/', found by trying seeds in order.
func TestParseVerifierKeyPlus(t *testing.T) {
	found := 0
	for i := range 1000 {
		seed := make([]byte, ed25519.SeedSize)
		binary.BigEndian.PutUint32(seed, uint32(i))
		pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		vkey, err := note.NewEd25519VerifierKey(testOrigin, pub)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(vkey[len(testOrigin)+10:], "+") {
			continue
		}
		found++
		name, hash, got, err := ParseVerifierKey(vkey)
		if err != nil {
			t.Fatalf("%q: %v", vkey, err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		if name != testOrigin || hash != v.KeyHash() || !got.Equal(pub) {
			t.Fatalf("%q: got %q, %08x, %x", vkey, name, hash, got)
		}
		if found == 20 {
			return
		}
	}
	t.Fatalf("only %d keys with '+' in the public key", found)
}

func TestOpenLedgerCheckpoints(t *testing.T) {
	k := newTestKey(t, testOrigin)
	l := buildLog(t, 40)
	for n, root := range l.roots {
		cp := ledger.Checkpoint{Origin: testOrigin, Size: uint64(n), Root: root}
		if n%3 == 1 {
			cp.Extensions = []string{"extension — line", fmt.Sprint(n)}
		}
		origin, size, got, err := OpenCheckpoint(sign(t, k, cp), k.vkey)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if origin != testOrigin || size != uint64(n) || !bytes.Equal(got, root) {
			t.Fatalf("size %d: got %q, %d, %x", n, origin, size, got)
		}
		if !bytes.Equal(got, RootOf(l.leaves[:n])) {
			t.Fatalf("size %d: checkpoint root is not the root of the leaves", n)
		}
	}
	// Large sizes round-trip.
	for _, n := range []uint64{1 << 32, 1<<63 + 5, 1<<64 - 1} {
		_, size, _, err := OpenCheckpoint(sign(t, k, ledger.Checkpoint{Origin: testOrigin, Size: n, Root: l.roots[1]}), k.vkey)
		if err != nil || size != n {
			t.Fatalf("size %d: got %d, %v", n, size, err)
		}
	}
}

func TestOpenCheckpointRejects(t *testing.T) {
	k := newTestKey(t, testOrigin)
	root := RootOf(rfcLeafHashes())
	cp := ledger.Checkpoint{Origin: testOrigin, Size: 8, Root: root, Extensions: []string{"ext line"}}
	msg := sign(t, k, cp)
	body := cp.Marshal()
	if !bytes.HasPrefix(msg, append(body, '\n')) {
		t.Fatalf("note does not start with the body and a blank line:\n%s", msg)
	}
	if _, _, _, err := OpenCheckpoint(msg, k.vkey); err != nil {
		t.Fatal(err)
	}
	open := func(m []byte, vkey string) error {
		_, _, _, err := OpenCheckpoint(m, vkey)
		return err
	}

	t.Run("changed body byte", func(t *testing.T) {
		for i := range body {
			// Any change of a body byte is refused.
			bad := append([]byte(nil), msg...)
			bad[i] ^= 0x01
			if err := open(bad, k.vkey); err == nil {
				t.Fatalf("byte %d changed from %q: opened", i, msg[i])
			}
			// A change that keeps the note well formed fails the signature.
			if c := msg[i]; c >= '0' && c <= 'z' && c != '\n' {
				bad[i] = c ^ 0x01
				if bad[i] >= '0' && bad[i] <= 'z' {
					if err := open(bad, k.vkey); !errors.Is(err, ErrBadSignature) {
						t.Fatalf("byte %d changed from %q to %q: error %v, want bad signature", i, c, bad[i], err)
					}
				}
			}
		}
	})
	t.Run("changed signature byte", func(t *testing.T) {
		// Each byte of the decoded signature line's value (the key hash,
		// then the signature) is changed in turn, and the value encoded
		// again: changing a base64 character could change only the unused
		// bits of the last one, which decode to the same bytes.
		start := bytes.LastIndexByte(msg[:len(msg)-1], ' ') + 1
		raw, err := base64.StdEncoding.DecodeString(string(msg[start : len(msg)-1]))
		if err != nil {
			t.Fatal(err)
		}
		for i := range raw {
			changed := append([]byte(nil), raw...)
			changed[i] ^= 0x01
			bad := append(append(append([]byte(nil), msg[:start]...), base64.StdEncoding.EncodeToString(changed)...), '\n')
			err := open(bad, k.vkey)
			if i < 4 { // the key hash
				if err == nil {
					t.Fatalf("key hash byte %d changed: opened", i)
				}
				continue
			}
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("signature byte %d changed: error %v, want bad signature", i-4, err)
			}
		}
	})
	t.Run("signature of wrong length", func(t *testing.T) {
		_, hash, _, _ := ParseVerifierKey(k.vkey)
		for _, n := range []int{1, 63, 65} {
			raw := binary.BigEndian.AppendUint32(nil, hash)
			raw = append(raw, make([]byte, n)...)
			m := fmt.Appendf(nil, "%s\n— %s %s\n", body, testOrigin, base64.StdEncoding.EncodeToString(raw))
			err := open(m, k.vkey)
			if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), fmt.Sprintf("%d signature bytes", n)) {
				t.Fatalf("%d-byte signature: error %v", n, err)
			}
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		same := newTestKey(t, testOrigin) // same name, other key hash
		if err := open(msg, same.vkey); !errors.Is(err, ErrNoSignature) {
			t.Fatalf("another key with the same name: error %v, want no signature", err)
		}
		other := newTestKey(t, "other.example.org/log")
		if err := open(msg, other.vkey); !errors.Is(err, ErrNoSignature) {
			t.Fatalf("another log's key: error %v, want no signature", err)
		}
		// A signature line with the right name and key hash but made by
		// another key (as an attacker who collided the hash would) fails.
		forged := signText(t, same, testOrigin, string(body))
		_, hash, _, _ := ParseVerifierKey(k.vkey)
		_, ohash, _, _ := ParseVerifierKey(same.vkey)
		forged = rewriteKeyHash(t, forged, ohash, hash)
		if err := open(forged, k.vkey); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("signature by another key under this key's id: error %v, want bad signature", err)
		}
		if err := open(msg, "not a key"); !errors.Is(err, ErrMalformedKey) {
			t.Fatalf("malformed verifier key: error %v", err)
		}
	})
	t.Run("missing signature", func(t *testing.T) {
		for _, m := range [][]byte{
			nil,
			body,
			append(body, '\n'),
			append(append([]byte(nil), body...), "\n\n"...),
		} {
			if err := open(m, k.vkey); !errors.Is(err, ErrMalformedNote) {
				t.Fatalf("%q: error %v, want malformed note", m, err)
			}
		}
		other := newTestKey(t, "witness.example.org")
		onlyOther, err := note.Sign(&note.Note{Text: string(body)}, other.signer)
		if err != nil {
			t.Fatal(err)
		}
		if err := open(onlyOther, k.vkey); !errors.Is(err, ErrNoSignature) {
			t.Fatalf("note signed only by another key: error %v, want no signature", err)
		}
	})
	t.Run("several signatures", func(t *testing.T) {
		w1, w2 := newTestKey(t, "witness1.example.org"), newTestKey(t, "witness2.example.org")
		m, err := note.Sign(&note.Note{Text: string(body)}, w1.signer, k.signer, w2.signer)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []testKey{k, w1, w2} {
			if err := open(m, key.vkey); err != nil {
				t.Fatalf("key %s: %v", key.vkey, err)
			}
		}
		// A bad signature by another key is ignored, a bad one by the
		// verifier's key is not, even next to a good one.
		lines := strings.SplitAfter(string(m), "\n")
		n := len(lines) - 1 // lines[n] is "" after the final newline
		badW1 := strings.Replace(string(m), lines[n-3], corruptSig(lines[n-3]), 1)
		if err := open([]byte(badW1), k.vkey); err != nil {
			t.Fatalf("bad signature of another key: %v", err)
		}
		dup := string(m) + corruptSig(lines[n-2])
		if err := open([]byte(dup), k.vkey); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("good and bad signature by the verifier's key: error %v, want bad signature", err)
		}
	})
	t.Run("malformed note", func(t *testing.T) {
		sigLine := string(msg[len(body)+1:])
		tests := []struct{ name, note string }{
			{"no final newline", strings.TrimSuffix(string(msg), "\n")},
			{"ASCII dashes", string(body) + "\n--" + strings.TrimPrefix(sigLine, "—")},
			{"en dash", string(body) + "\n–" + strings.TrimPrefix(sigLine, "—")},
			{"no space after dash", string(body) + "\n—" + strings.TrimPrefix(sigLine, "— ")},
			{"no signature after name", string(body) + "\n— " + testOrigin + "\n"},
			{"empty signature", string(body) + "\n— " + testOrigin + " \n"},
			{"signature not base64", string(body) + "\n— " + testOrigin + " !!!!\n"},
			{"signature too short", string(body) + "\n— " + testOrigin + " AAAAAA==\n"},
			{"text after signatures", string(msg) + "trailer\n"},
			{"carriage return", strings.Replace(string(msg), "\n", "\r\n", 1)},
			{"NUL", string(body) + "\x00\n" + sigLine},
			{"invalid UTF-8", "\xff" + string(msg)},
			{"too many signatures", string(msg) + strings.Repeat(sigLine, maxSignatures)},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if err := open([]byte(tc.note), k.vkey); !errors.Is(err, ErrMalformedNote) {
					t.Fatalf("error %v, want malformed note", err)
				}
			})
		}
		// The text ends at the last blank line, so a blank line among the
		// signatures makes the first signature line part of the text.
		if err := open([]byte(string(msg)+"\n"+sigLine), k.vkey); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("blank line among signatures: error %v, want bad signature", err)
		}
		// Up to maxSignatures lines are fine.
		many := string(msg) + strings.Repeat(sigLine, maxSignatures-1)
		if err := open([]byte(many), k.vkey); err != nil {
			t.Fatalf("%d signatures: %v", maxSignatures, err)
		}
	})
}

// rewriteKeyHash replaces the key hash old in the last signature line of msg
// by new.
func rewriteKeyHash(t testing.TB, msg []byte, old, new uint32) []byte {
	t.Helper()
	i := bytes.LastIndexByte(msg[:len(msg)-1], ' ') + 1
	raw, err := base64.StdEncoding.DecodeString(string(msg[i : len(msg)-1]))
	if err != nil || binary.BigEndian.Uint32(raw) != old {
		t.Fatalf("signature %q: %v", msg[i:], err)
	}
	binary.BigEndian.PutUint32(raw, new)
	return fmt.Appendf(nil, "%s%s\n", msg[:i], base64.StdEncoding.EncodeToString(raw))
}

// corruptSig changes one bit of the Ed25519 signature in a signature line
// (which ends in a newline), leaving its key hash alone.
func corruptSig(line string) string {
	i := strings.LastIndexByte(line, ' ') + 1
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(line[i:], "\n"))
	if err != nil {
		panic(err)
	}
	raw[len(raw)-1] ^= 1
	return line[:i] + base64.StdEncoding.EncodeToString(raw) + "\n"
}

func TestOpenMalformedCheckpoint(t *testing.T) {
	k := newTestKey(t, testOrigin)
	root := base64.StdEncoding.EncodeToString(RootOf(rfcLeafHashes()))
	good := []struct {
		name, text, origin string
		size               uint64
	}{
		{"minimal", "o\n0\n" + root + "\n", "o", 0},
		{"spaces in origin", "my log\n1\n" + root + "\n", "my log", 1},
		{"extensions", "o\n7\n" + root + "\nfoo\n— bar\n", "o", 7},
		{"max size", "o\n18446744073709551615\n" + root + "\n", "o", 1<<64 - 1},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			for _, m := range [][]byte{signText(t, k, testOrigin, tc.text), signNote(t, k, tc.text)} {
				origin, size, r, err := OpenCheckpoint(m, k.vkey)
				if err != nil {
					t.Fatal(err)
				}
				if origin != tc.origin || size != tc.size || base64.StdEncoding.EncodeToString(r) != root {
					t.Fatalf("got %q, %d, %x", origin, size, r)
				}
			}
		})
	}
	tests := []struct{ name, text, want string }{
		{"not a checkpoint", "hello\n", "lines"},
		{"two lines", "o\n1\n", "lines"},
		{"empty origin", "\n1\n" + root + "\n", "origin"},
		{"empty size", "o\n\n" + root + "\n", "size"},
		{"negative size", "o\n-1\n" + root + "\n", "size"},
		{"plus size", "o\n+1\n" + root + "\n", "size"},
		{"leading zero", "o\n01\n" + root + "\n", "leading zero"},
		{"zero zero", "o\n00\n" + root + "\n", "leading zero"},
		{"hex size", "o\n0x1\n" + root + "\n", "size"},
		{"space in size", "o\n1 \n" + root + "\n", "size"},
		{"non-ASCII digit", "o\n١\n" + root + "\n", "size"},
		{"size overflow", "o\n18446744073709551616\n" + root + "\n", "64 bits"},
		{"root not base64", "o\n1\n!!!!\n", "base64"},
		{"root URL base64", "o\n1\n" + strings.Repeat("_", 43) + "=\n", "base64"},
		{"root unpadded", "o\n1\n" + strings.TrimSuffix(root, "=") + "\n", "base64"},
		{"root non-canonical", "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", "base64"},
		{"root trailing space", "o\n1\n" + root + " \n", "base64"},
		{"root too short", "o\n1\nAAAA\n", "3 bytes"},
		{"root too long", "o\n1\n" + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n", "33 bytes"},
		{"empty root", "o\n1\n\n", "bytes"},
		{"empty extension", "o\n1\n" + root + "\n\nfoo\n", "extension line 1"},
		{"empty last extension", "o\n1\n" + root + "\nfoo\n\n", "extension line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Sign the text both with x/mod/sumdb/note (where it can) and by
			// hand, so that the failure is in the body, not the signature.
			msgs := [][]byte{signText(t, k, testOrigin, tc.text)}
			if !strings.HasSuffix(tc.text, "\n\n") {
				msgs = append(msgs, signNote(t, k, tc.text))
			}
			for _, m := range msgs {
				_, _, _, err := OpenCheckpoint(m, k.vkey)
				if !errors.Is(err, ErrMalformedCheckpoint) {
					t.Fatalf("%q: error %v, want malformed checkpoint", m, err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %q does not mention %q", err, tc.want)
				}
			}
		})
	}
}

// signNote signs text with golang.org/x/mod/sumdb/note.
func signNote(t testing.TB, k testKey, text string) []byte {
	t.Helper()
	m, err := note.Sign(&note.Note{Text: text}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// FuzzOpenCheckpoint signs arbitrary note texts and checks that this
// verifier and package ledger agree: whatever the ledger opens opens here
// with the same values, and whatever opens here is a well-formed checkpoint.
func FuzzOpenCheckpoint(f *testing.F) {
	k := newTestKey(f, testOrigin)
	root := base64.StdEncoding.EncodeToString(RootOf(rfcLeafHashes()))
	for _, s := range []string{
		"o\n0\n" + root + "\n",
		"o\n8\n" + root + "\next\n",
		"o\n08\n" + root + "\n",
		"o\n8\n" + root + "\n\next\n",
		"o\x7f\n8\n" + root + "\n",
		"hello\n",
	} {
		f.Add(s)
	}
	verifier, err := note.NewVerifier(k.vkey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := note.Sign(&note.Note{Text: text}, k.signer)
		if err != nil {
			return
		}
		origin, size, root, err := OpenCheckpoint(m, k.vkey)
		cp, lerr := ledger.OpenCheckpoint(m, verifier)
		if lerr == nil {
			if err != nil {
				t.Fatalf("ledger opens %q, here: %v", m, err)
			}
			if origin != cp.Origin || size != cp.Size || !bytes.Equal(root, cp.Root) {
				t.Fatalf("%q: here %q, %d, %x; ledger %+v", m, origin, size, root, cp)
			}
		}
		if err == nil && (origin == "" || len(root) != 32 || !strings.HasPrefix(text, origin+"\n"+fmt.Sprint(size)+"\n")) {
			t.Fatalf("%q: opened as %q, %d, %x", m, origin, size, root)
		}
	})
}
