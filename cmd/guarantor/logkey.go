package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/ledger"
)

// loadLogKey reads the checkpoint signing key at path, or generates one
// named origin (or a generated name when origin is empty) and writes it
// there with 0600 permissions when the file does not exist. It refuses a
// key file that others may read.
func loadLogKey(path, origin string) (note.Signer, string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newLogKey(path, origin)
	}
	if err != nil {
		return nil, "", fmt.Errorf("read log key: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("read log key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, "", fmt.Errorf("log key %s has permissions %04o: others may read it; run chmod 600 %s", path, perm, path)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		return nil, "", fmt.Errorf("log key %s: want two lines, the signer key and the verifier key", path)
	}
	signer, err := note.NewSigner(lines[0])
	if err != nil {
		return nil, "", fmt.Errorf("log key %s: %w", path, err)
	}
	if _, err := note.NewVerifier(lines[1]); err != nil {
		return nil, "", fmt.Errorf("log key %s: verifier key: %w", path, err)
	}
	if origin != "" && origin != signer.Name() {
		return nil, "", fmt.Errorf("log key %s is named %q, not --log-origin %q: the origin of a log cannot change", path, signer.Name(), origin)
	}
	return signer, lines[1], nil
}

func newLogKey(path, origin string) (note.Signer, string, error) {
	if origin == "" {
		host, err := os.Hostname()
		if err != nil || host == "" || strings.ContainsAny(host, "+ ") {
			host = "localhost"
		}
		suffix := make([]byte, 4)
		rand.Read(suffix)
		origin = host + "/guarantor/" + hex.EncodeToString(suffix)
	}
	skey, vkey, err := ledger.NewKey(rand.Reader, origin)
	if err != nil {
		return nil, "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("write log key: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s\n%s\n", skey, vkey); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("write log key %s: %w", path, err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return nil, "", fmt.Errorf("write log key %s: %w", path, err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", err
	}
	return signer, vkey, nil
}

// loadScheme reads a classification scheme from path, or returns the
// default scheme when path is empty.
func loadScheme(path string) (label.Scheme, error) {
	if path == "" {
		return label.DefaultScheme(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return label.Scheme{}, fmt.Errorf("read label scheme: %w", err)
	}
	s, err := label.ParseScheme(data)
	if err != nil {
		return label.Scheme{}, fmt.Errorf("label scheme %s: %w", path, err)
	}
	return s, nil
}
