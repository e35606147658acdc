package ledger

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "guarantor.example.org/log"

func testRoot() []byte { return mth([][]byte{[]byte("a"), []byte("b"), []byte("c")}) }

func TestFormatCheckpoint(t *testing.T) {
	root := make([]byte, HashSize)
	got := string(FormatCheckpoint(testOrigin, 42, root))
	want := testOrigin + "\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	if got != want {
		t.Fatalf("FormatCheckpoint = %q, want %q", got, want)
	}
	cp, err := ParseCheckpoint([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if cp.Origin != testOrigin || cp.Size != 42 || !bytes.Equal(cp.Root, root) || cp.Extensions != nil {
		t.Fatalf("ParseCheckpoint = %+v", cp)
	}
}

func TestParseCheckpoint(t *testing.T) {
	const root = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	tests := []struct {
		name string
		body string
		ok   bool
		want string // substring of the error
		exts int
		size uint64
	}{
		{name: "minimal", body: "o\n0\n" + root + "\n", ok: true},
		{name: "large size", body: "o\n18446744073709551615\n" + root + "\n", ok: true, size: 18446744073709551615},
		{name: "extensions", body: "o\n7\n" + root + "\nfoo bar\n— baz\n", ok: true, exts: 2, size: 7},
		{name: "unicode origin", body: "Київ/log\n1\n" + root + "\n", ok: true, size: 1},
		{name: "empty", body: "", want: "newline"},
		{name: "no final newline", body: "o\n1\n" + root, want: "newline"},
		{name: "two lines", body: "o\n1\n", want: "lines"},
		{name: "empty origin", body: "\n1\n" + root + "\n", want: "origin"},
		{name: "empty size", body: "o\n\n" + root + "\n", want: "size"},
		{name: "negative size", body: "o\n-1\n" + root + "\n", want: "size"},
		{name: "plus size", body: "o\n+1\n" + root + "\n", want: "size"},
		{name: "leading zero", body: "o\n01\n" + root + "\n", want: "leading zero"},
		{name: "hex size", body: "o\n0x1\n" + root + "\n", want: "size"},
		{name: "size overflow", body: "o\n18446744073709551616\n" + root + "\n", want: "out of range"},
		{name: "spaces in size", body: "o\n 1\n" + root + "\n", want: "size"},
		{name: "root not base64", body: "o\n1\n!!!!\n", want: "base64"},
		{name: "root url base64", body: "o\n1\n" + strings.Repeat("_", 43) + "=\n", want: "base64"},
		{name: "root unpadded", body: "o\n1\n" + strings.TrimSuffix(root, "=") + "\n", want: "base64"},
		{name: "root non-canonical", body: "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n", want: "base64"},
		{name: "root too short", body: "o\n1\nAAAA\n", want: "bytes"},
		{name: "root trailing space", body: "o\n1\n" + root + " \n", want: "base64"},
		{name: "empty extension", body: "o\n1\n" + root + "\n\n", want: "extension"},
		{name: "blank then signature", body: "o\n1\n" + root + "\n\n— o AAAA\n", want: "extension"},
		{name: "carriage return", body: "o\r\n1\n" + root + "\n", want: "control"},
		{name: "tab in origin", body: "o\tx\n1\n" + root + "\n", want: "control"},
		{name: "invalid utf8", body: "o\xff\n1\n" + root + "\n", want: "UTF-8"},
		{name: "too large", body: "o\n1\n" + root + "\n" + strings.Repeat("x", maxCheckpointSize) + "\n", want: "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cp, err := ParseCheckpoint([]byte(tc.body))
			if !tc.ok {
				if err == nil {
					t.Fatalf("accepted %q", tc.body)
				}
				if !errors.Is(err, ErrMalformedCheckpoint) {
					t.Errorf("error %v does not wrap ErrMalformedCheckpoint", err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q does not mention %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cp.Size != tc.size || len(cp.Extensions) != tc.exts {
				t.Fatalf("got %+v", cp)
			}
			if got := string(cp.Marshal()); got != tc.body {
				t.Fatalf("Marshal = %q, want %q", got, tc.body)
			}
		})
	}
}

func newSignerVerifier(t *testing.T, name string) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := NewKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func TestSignOpenCheckpoint(t *testing.T) {
	signer, verifier := newSignerVerifier(t, testOrigin)
	cp := Checkpoint{Origin: testOrigin, Size: 3, Root: testRoot(), Extensions: []string{"ext line"}}
	msg, err := SignCheckpoint(cp, signer)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(msg, append(cp.Marshal(), '\n')) {
		t.Fatalf("signed note does not start with body and blank line:\n%s", msg)
	}
	got, err := OpenCheckpoint(msg, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if got.Origin != cp.Origin || got.Size != cp.Size || !bytes.Equal(got.Root, cp.Root) ||
		len(got.Extensions) != 1 || got.Extensions[0] != "ext line" {
		t.Fatalf("OpenCheckpoint = %+v, want %+v", got, cp)
	}

	t.Run("wrong key same name", func(t *testing.T) {
		_, other := newSignerVerifier(t, testOrigin)
		if _, err := OpenCheckpoint(msg, other); err == nil {
			t.Fatal("opened with another key")
		}
	})
	t.Run("wrong name", func(t *testing.T) {
		_, other := newSignerVerifier(t, "other.example.org/log")
		if _, err := OpenCheckpoint(msg, other); err == nil {
			t.Fatal("opened with another log's key")
		}
	})
	t.Run("tampered body", func(t *testing.T) {
		for _, edit := range []struct{ old, new string }{
			{"\n3\n", "\n4\n"},
			{testOrigin, "guarantor.example.org/lOg"},
			{"ext line", "ext lime"},
		} {
			bad := bytes.Replace(msg, []byte(edit.old), []byte(edit.new), 1)
			if bytes.Equal(bad, msg) {
				t.Fatalf("edit %q did not apply", edit.old)
			}
			var ise *note.InvalidSignatureError
			if _, err := OpenCheckpoint(bad, verifier); !errors.As(err, &ise) {
				t.Fatalf("edit %q: error %v, want invalid signature", edit.old, err)
			}
		}
	})
	t.Run("tampered root", func(t *testing.T) {
		cp2 := cp
		cp2.Root = tamper([][]byte{cp.Root}, 0)[0]
		bad := bytes.Replace(msg, cp.Marshal(), cp2.Marshal(), 1)
		if _, err := OpenCheckpoint(bad, verifier); err == nil {
			t.Fatal("opened with a changed root")
		}
	})
	t.Run("tampered signature", func(t *testing.T) {
		i := bytes.LastIndexByte(msg[:len(msg)-1], ' ') + 6
		bad := append([]byte(nil), msg...)
		if bad[i] == 'A' {
			bad[i] = 'B'
		} else {
			bad[i] = 'A'
		}
		if _, err := OpenCheckpoint(bad, verifier); err == nil {
			t.Fatal("opened with a changed signature")
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		if _, err := OpenCheckpoint(cp.Marshal(), verifier); err == nil {
			t.Fatal("opened a body without signatures")
		}
	})
	t.Run("signed non-checkpoint", func(t *testing.T) {
		bad, err := note.Sign(&note.Note{Text: "hello\n"}, signer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := OpenCheckpoint(bad, verifier); !errors.Is(err, ErrMalformedCheckpoint) {
			t.Fatalf("error %v, want malformed checkpoint", err)
		}
	})
}

func TestSignCheckpointValidates(t *testing.T) {
	signer, _ := newSignerVerifier(t, testOrigin)
	tests := []struct {
		name string
		cp   Checkpoint
	}{
		{"empty origin", Checkpoint{Size: 1, Root: testRoot()}},
		{"newline in origin", Checkpoint{Origin: "a\nb", Size: 1, Root: testRoot()}},
		{"short root", Checkpoint{Origin: testOrigin, Size: 1, Root: []byte{1}}},
		{"nil root", Checkpoint{Origin: testOrigin, Size: 1}},
		{"empty extension", Checkpoint{Origin: testOrigin, Size: 1, Root: testRoot(), Extensions: []string{""}}},
		{"newline in extension", Checkpoint{Origin: testOrigin, Size: 1, Root: testRoot(), Extensions: []string{"a\n"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SignCheckpoint(tc.cp, signer); !errors.Is(err, ErrMalformedCheckpoint) {
				t.Fatalf("SignCheckpoint error = %v, want malformed checkpoint", err)
			}
		})
	}
}

func TestNewKey(t *testing.T) {
	// Deterministic randomness gives the same key: no hidden global source.
	seed := bytes.Repeat([]byte{7}, 64)
	s1, v1, err := NewKey(bytes.NewReader(seed), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s2, v2, err := NewKey(bytes.NewReader(seed), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if s1 != s2 || v1 != v2 {
		t.Fatal("same randomness gave different keys")
	}
	if !strings.HasPrefix(v1, testOrigin+"+") {
		t.Fatalf("verifier key %q does not start with the name", v1)
	}
	if _, _, err := NewKey(bytes.NewReader(nil), testOrigin); err == nil {
		t.Fatal("NewKey succeeded without randomness")
	}
	if _, _, err := NewKey(rand.Reader, "bad name"); err == nil {
		t.Fatal("NewKey accepted a name with a space")
	}
}
