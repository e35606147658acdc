package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
)

// runWithStdin runs a command line with stdin.
func runWithStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, noEnv, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserAndTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "acc.db")
	if code, _, errOut := runCLI(t, nil, "user", "list", "--db", db); code != 1 || !strings.Contains(errOut, "no database") {
		t.Errorf("user list on a missing database: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "migrate", "--db", db); code != 0 {
		t.Fatal(errOut)
	}
	// Refusals name what is wrong.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "ana", "--nation", "FRA", "--clearance", "SECRET", "--roles", "admin,wizard"}, `unknown role "wizard"`},
		{[]string{"--name", "Ana!", "--nation", "FRA", "--clearance", "SECRET", "--roles", "admin"}, "name"},
		{[]string{"--name", "ana", "--nation", "France", "--clearance", "SECRET", "--roles", "admin"}, "nation"},
		{[]string{"--name", "ana", "--nation", "FRA", "--clearance", "COSMIC", "--roles", "admin"}, "clearance"},
	} {
		code, _, errOut := runWithStdin(t, "a long enough password\n", append([]string{"user", "add", "--db", db, "--password-stdin"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("user add %v: %d %q, want exit 2 naming %q", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, errOut := runWithStdin(t, "short\n", "user", "add", "--db", db, "--name", "ana", "--nation", "FRA", "--clearance", "SECRET", "--roles", "admin", "--password-stdin"); code == 0 || !strings.Contains(errOut, "12") {
		t.Errorf("a short password: %d %q", code, errOut)
	}
	if code, _, errOut := runWithStdin(t, "", "user", "add", "--db", db, "--name", "ana", "--nation", "FRA", "--clearance", "SECRET", "--roles", "admin"); code != 2 || !strings.Contains(errOut, "--password-stdin") {
		t.Errorf("no password and no terminal: %d %q", code, errOut)
	}
	// The first administrator, and a machine client.
	if code, _, errOut := runWithStdin(t, "correct horse battery staple\n", "user", "add", "--db", db, "--name", "ana", "--nation", "FRA", "--clearance", "secret", "--roles", "admin,analyst", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	if code, _, errOut := runCLI(t, nil, "user", "add", "--db", db, "--name", "array-3", "--nation", "GBR", "--clearance", "RESTRICTED", "--roles", "ingest", "--no-password"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	if code, _, errOut := runCLI(t, nil, "user", "add", "--db", db, "--name", "ana", "--nation", "GBR", "--clearance", "RESTRICTED", "--roles", "viewer", "--no-password"); code != 1 || !strings.Contains(errOut, "exists already") {
		t.Errorf("a second ana: %d %q", code, errOut)
	}
	code, out, _ := runCLI(t, nil, "user", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "ana") || !strings.Contains(out, "admin,analyst") || !strings.Contains(out, "array-3") {
		t.Errorf("user list: %d\n%s", code, out)
	}

	// token create prints the token alone, and only its hash is kept.
	code, out, errOut := runCLI(t, nil, "token", "create", "--db", db, "--user", "array-3", "--label", "array 3")
	tok := strings.TrimSuffix(out, "\n")
	if code != 0 || !strings.HasPrefix(tok, access.TokenPrefix) || strings.ContainsAny(tok, " \n") || strings.Contains(errOut, tok) {
		t.Fatalf("token create: %d stdout %q stderr %q; want the token alone on stdout", code, out, errOut)
	}
	st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, u, err := st.TokenUser(context.Background(), access.TokenHash(tok)); err != nil || u.Name != "array-3" {
		t.Errorf("the printed token does not resolve to array-3: %v %v", u, err)
	}
	_, hash, _ := st.User(context.Background(), "ana")
	if ok, err := access.VerifyPassword(hash, "correct horse battery staple"); !ok || err != nil {
		t.Errorf("ana's password does not verify: %v", err)
	}
	st.Close()
	raw, _ := os.ReadFile(db)
	if bytes.Contains(raw, []byte(tok)) {
		t.Error("the token itself is in the database file")
	}
	if code, _, errOut := runCLI(t, nil, "token", "create", "--db", db, "--user", "nobody"); code != 1 || !strings.Contains(errOut, "nobody") {
		t.Errorf("token for an unknown user: %d %q", code, errOut)
	}
	code, out, _ = runCLI(t, nil, "token", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "array 3") || strings.Contains(out, tok) {
		t.Errorf("token list: %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, nil, "token", "revoke", "--db", db, "--id", "1"); code != 0 {
		t.Errorf("token revoke: %s", errOut)
	}
	if code, _, errOut := runCLI(t, nil, "token", "revoke", "--db", db, "--id", "99"); code != 1 || !strings.Contains(errOut, "99") {
		t.Errorf("revoke an unknown token: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "user", "disable", "--db", db, "--name", "ana"); code != 0 {
		t.Errorf("user disable: %s", errOut)
	}
	if _, out, _ := runCLI(t, nil, "user", "list", "--db", db); !strings.Contains(out, "disabled") {
		t.Errorf("user list after disable:\n%s", out)
	}
	if code, _, errOut := runCLI(t, nil, "user"); code != 2 || !strings.Contains(errOut, "add") || !strings.Contains(errOut, "disable") {
		t.Errorf("`guarantor user`: %d %q; want the list of its commands", code, errOut)
	}
	if code, out, _ := runCLI(t, nil, "help", "token", "create"); code != 0 || !strings.Contains(out, "Bearer") {
		t.Errorf("help token create: %d %q", code, out)
	}
}

// TestLogKeyFile checks that serve creates its signing key with 0600
// permissions and refuses one that others may read.
func TestLogKeyFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "k.db")
	s := startServe(t, "--db", db)
	if code := s.stop(); code != 0 {
		t.Fatalf("serve: %d\n%s", code, s.logs.String())
	}
	key := filepath.Join(dir, "k.log-key")
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log key %s: %v %v; want mode 0600", key, fi, err)
	}
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, nil, "serve", "--db", db, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "chmod 600") {
		t.Errorf("serve with a readable key: %d %q", code, errOut)
	}
}

// TestServeTLS serves HTTPS with a certificate made for the test and
// checks that a client that trusts it gets an answer.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeTestCert(t, certFile, keyFile)
	s := startServe(t, "--db", filepath.Join(dir, "t.db"), "--tls-cert", certFile, "--tls-key", keyFile)
	defer s.stop()
	if !strings.Contains(s.logs.String(), `"url":"https://`) {
		t.Errorf("the ready line does not give an https URL:\n%s", s.logs.String())
	}
	addr := strings.TrimPrefix(s.base, "http://")
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Errorf("GET over TLS: %d, TLS %v", res.StatusCode, res.TLS != nil)
	}
	if code, _, errOut := runCLI(t, nil, "serve", "--db", filepath.Join(dir, "u.db"), "--tls-cert", certFile); code != 2 || !strings.Contains(errOut, "--tls-key") {
		t.Errorf("--tls-cert alone: %d %q", code, errOut)
	}
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files and returns a pool that trusts it.
func writeTestCert(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "guarantor test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
