package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/ledger"
	"github.com/guarantor-project/guarantor/internal/observe"
	"github.com/guarantor-project/guarantor/internal/server"
	"github.com/guarantor-project/guarantor/internal/store"
	"github.com/guarantor-project/guarantor/internal/store/sqlite"
	"github.com/guarantor-project/guarantor/internal/store/storetest"
	"github.com/guarantor-project/guarantor/internal/terms"
)

// auditKey is a checkpoint signing key for the tests.
type auditKey struct {
	signer note.Signer
	vkey   string
}

func newAuditKey(t *testing.T, name string) auditKey {
	t.Helper()
	skey, vkey, err := ledger.NewKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return auditKey{signer, vkey}
}

// observations returns observations obs-NN for NN in [from, to).
func observations(from, to int) []observe.Observation {
	var out []observe.Observation
	for i := from; i < to; i++ {
		out = append(out, storetest.Obs(fmt.Sprintf("obs-%02d", i), 30+float64(i)/100, 48, time.Duration(i)*time.Minute))
	}
	return out
}

// signCheckpoint signs the store's log as it is and keeps the checkpoint.
func signCheckpoint(t *testing.T, st *sqlite.DB, key auditKey) []byte {
	t.Helper()
	ctx := context.Background()
	head, err := st.LogHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ledger.SignCheckpoint(ledger.Checkpoint{Origin: key.signer.Name(), Size: head.Size, Root: head.Root}, key.signer)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddCheckpoint(ctx, store.StoredCheckpoint{Size: head.Size, Root: head.Root, IssuedAt: time.Now(), Note: msg}); err != nil {
		t.Fatal(err)
	}
	return msg
}

// auditDB builds a database through the store: terms version 1 at leaf 0,
// obs-01 to obs-34 at leaves 1 to 34, terms version 2 at leaf 35, obs-35 to
// obs-43 at leaves 36 to 44, and checkpoints at sizes 21, 36 and 45. The
// store keeps the nodes over leaves 0–15 and 16–31. It returns the file and
// the last checkpoint.
func auditDB(t *testing.T, key auditKey) (path string, last []byte) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "audit.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddLogKey(ctx, key.vkey); err != nil {
		t.Fatal(err)
	}
	v1 := terms.Terms{ID: "t", Version: "1", EffectiveFrom: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Parties: []terms.Party{{Code: "A", Name: "A", Side: terms.Left}}}
	v2 := v1
	v2.Version = "2"
	steps := []func() error{
		func() error { _, err := st.AddTerms(ctx, v1); return err },
		func() error { _, err := st.AddObservations(ctx, "", observations(1, 21)); return err },
		func() error { signCheckpoint(t, st, key); return nil },
		func() error { _, err := st.AddObservations(ctx, "", observations(21, 35)); return err },
		func() error { _, err := st.AddTerms(ctx, v2); return err },
		func() error { signCheckpoint(t, st, key); return nil },
		func() error { _, err := st.AddObservations(ctx, "", observations(35, 44)); return err },
		func() error { last = signCheckpoint(t, st, key); return nil },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path, last
}

// copyDB copies a closed database file to a new temporary directory.
func copyDB(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return cp
}

// tamper runs statements on the database file directly, as someone with
// access to the file would, bypassing the store.
func tamper(t *testing.T, path string, fn func(db *sql.DB) error) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := fn(db); err != nil {
		t.Fatal(err)
	}
}

// execAll runs statements in order.
func execAll(db *sql.DB, stmts ...string) error {
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// flipByte changes one byte of a blob column of one row.
func flipByte(table, column, where string, at int) func(*sql.DB) error {
	return func(db *sql.DB) error {
		var b []byte
		if err := db.QueryRow(fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, column, table, where)).Scan(&b); err != nil {
			return err
		}
		if at < 0 {
			at += len(b)
		}
		b[at] ^= 0x01
		_, err := db.Exec(fmt.Sprintf(`UPDATE %s SET %s = ? WHERE %s`, table, column, where), b)
		return err
	}
}

// swapObservations swaps the ids and bodies of two observation rows,
// keeping their seq and leaf.
func swapObservations(db *sql.DB, a, b string) error {
	var bodyA, bodyB []byte
	if err := db.QueryRow(`SELECT body FROM observations WHERE id = ?`, a).Scan(&bodyA); err != nil {
		return err
	}
	if err := db.QueryRow(`SELECT body FROM observations WHERE id = ?`, b).Scan(&bodyB); err != nil {
		return err
	}
	for _, s := range []struct {
		id, to string
		body   []byte
	}{{a, "swapping", bodyB}, {b, a, bodyA}, {"swapping", b, nil}} {
		q, args := `UPDATE observations SET id = ?, body = ? WHERE id = ?`, []any{s.to, s.body, s.id}
		if s.body == nil {
			q, args = `UPDATE observations SET id = ? WHERE id = ?`, []any{s.to, s.id}
		}
		if _, err := db.Exec(q, args...); err != nil {
			return err
		}
	}
	return nil
}

// swapLeafRows swaps the contents of two log_leaves rows.
func swapLeafRows(db *sql.DB, i, j int) error {
	type leaf struct {
		kind, record string
		hash         []byte
	}
	var l [2]leaf
	for x, idx := range []int{i, j} {
		if err := db.QueryRow(`SELECT kind, record, hash FROM log_leaves WHERE idx = ?`, idx).Scan(&l[x].kind, &l[x].record, &l[x].hash); err != nil {
			return err
		}
	}
	for x, idx := range []int{j, i} {
		if _, err := db.Exec(`UPDATE log_leaves SET kind = ?, record = ?, hash = ? WHERE idx = ?`, l[x].kind, l[x].record, l[x].hash, idx); err != nil {
			return err
		}
	}
	return nil
}

func TestAuditDatabase(t *testing.T) {
	key := newAuditKey(t, "audit.example/log")
	clean, last := auditDB(t, key)
	kept := filepath.Join(t.TempDir(), "kept.checkpoint")
	if err := os.WriteFile(kept, last, 0o600); err != nil {
		t.Fatal(err)
	}
	other := newAuditKey(t, "audit.example/log")
	tests := []struct {
		name   string
		tamper func(*sql.DB) error
		args   []string
		// want are lines, or the starts of lines, the output must have.
		want []string
	}{
		{
			name:   "one byte of an observation changed",
			tamper: flipByte("observations", "body", "id = 'obs-17'", -5),
			want: []string{
				"changed: observation obs-17 at leaf 17: its bytes no longer hash to its leaf; the kept node over leaves 16–31 still matches the stored leaf, so the record was changed",
				"checkpoint mismatch: checkpoint 2 (size 36): the records give the root",
				"checkpoint mismatch: checkpoint 3 (size 45)",
			},
		},
		{
			name:   "one byte of a terms version changed",
			tamper: flipByte("terms_versions", "body", "seq = 2", 10),
			want:   []string{"changed: terms 2 at leaf 35: its bytes no longer hash to its leaf; checkpoint 2 (size 36) still matches the stored leaf"},
		},
		{
			name:   "observation deleted",
			tamper: func(db *sql.DB) error { return execAll(db, `DELETE FROM observations WHERE id = 'obs-12'`) },
			want:   []string{"removed: observation obs-12 at leaf 12: leaf 12 commits to it, but no such record is stored"},
		},
		{
			name: "two observations swapped",
			tamper: func(db *sql.DB) error {
				return swapObservations(db, "obs-05", "obs-06")
			},
			want: []string{
				"reordered: observation obs-06 at leaf 5: it claims leaf 5 (which names observation obs-05), but its bytes are those of leaf 6, which names it",
				"reordered: observation obs-05 at leaf 6:",
			},
		},
		{
			name: "two observations and their leaves swapped",
			tamper: func(db *sql.DB) error {
				if err := swapObservations(db, "obs-05", "obs-06"); err != nil {
					return err
				}
				return swapLeafRows(db, 5, 6)
			},
			want: []string{
				"reordered: observation obs-06 at leaf 5: leaves 5 and 6 are in each other's place: leaf 5 holds observation obs-06 and leaf 6 holds observation obs-05, but the kept node (level 4, index 0) recomputes only with them swapped back",
				"checkpoint mismatch: checkpoint 1 (size 21)",
			},
		},
		{
			name: "the leaves of two observations swapped",
			tamper: func(db *sql.DB) error {
				if err := execAll(db, `UPDATE observations SET leaf = CASE id WHEN 'obs-38' THEN 40 ELSE 39 END WHERE id IN ('obs-38', 'obs-39')`); err != nil {
					return err
				}
				return swapLeafRows(db, 39, 40)
			},
			want: []string{
				"reordered: observation obs-39 at leaf 39: it is logged at leaf 39, before observation obs-38 at leaf 40, which was stored before it",
				"checkpoint mismatch: checkpoint 3 (size 45): the records give the root",
			},
		},
		{
			name: "log truncated",
			tamper: func(db *sql.DB) error {
				return execAll(db, `DELETE FROM observations WHERE leaf >= 40`, `DELETE FROM log_leaves WHERE idx >= 40`)
			},
			want: []string{"truncated: checkpoint 3 (size 45) commits to 45 leaves, but the log has 40: leaves 40–44 were removed"},
		},
		{
			name: "observation inserted without a leaf",
			tamper: func(db *sql.DB) error {
				return execAll(db, `INSERT INTO observations (id, kind, source_id, observed_at, minute, lon, lat, cell, classification, rel_to, received_at, body)
					SELECT 'forged', kind, source_id, observed_at, minute, lon, lat, cell, classification, rel_to, received_at, replace(body, 'obs-07', 'forged')
					FROM observations WHERE id = 'obs-07'`)
			},
			want: []string{"inserted: observation forged: it is in no leaf of the log: no leaf commits to its bytes"},
		},
		{
			name:   "leaf hash changed",
			tamper: flipByte("log_leaves", "hash", "idx = 9", 0),
			want:   []string{"leaf altered: observation obs-09 at leaf 9: the stored hash of leaf 9 was changed: the record still matches the kept node over leaves 0–15"},
		},
		{
			name:   "leaf row deleted",
			tamper: func(db *sql.DB) error { return execAll(db, `DELETE FROM log_leaves WHERE idx = 20`) },
			want:   []string{"leaf missing: observation obs-20 at leaf 20: the leaf has no stored row; this record claims it"},
		},
		{
			name:   "kept node deleted",
			tamper: func(db *sql.DB) error { return execAll(db, `DELETE FROM log_nodes WHERE level = 4 AND idx = 1`) },
			want:   []string{"node mismatch: the kept node (level 4, index 1) over leaves 16–31 is missing"},
		},
		{
			name:   "kept node changed",
			tamper: flipByte("log_nodes", "hash", "level = 4 AND idx = 0", 7),
			want:   []string{"node mismatch: the kept node (level 4, index 0) over leaves 0–15 differs from the one recomputed from them; the leaves under it still match checkpoint 1 (size 21), so the node itself was altered"},
		},
		{
			name:   "checkpoint root changed",
			tamper: flipByte("log_checkpoints", "root", "seq = 2", 3),
			want:   []string{"checkpoint mismatch: checkpoint 2 (size 36): the stored size and root"},
		},
		{
			name:   "checkpoint note changed",
			tamper: flipByte("log_checkpoints", "note", "seq = 2", 30),
			want:   []string{"bad signature: checkpoint 2 (size 36) does not verify"},
		},
		{
			name:   "key pinned to another",
			tamper: func(*sql.DB) error { return nil },
			args:   []string{"--key", other.vkey},
			want:   []string{"bad signature: checkpoint 1 (size 21) does not verify", "bad signature: checkpoint 3 (size 45) does not verify"},
		},
		{
			name:   "kept checkpoint checked too",
			tamper: flipByte("observations", "body", "id = 'obs-43'", -5),
			args:   []string{"--checkpoint", kept},
			want: []string{
				"changed: observation obs-43 at leaf 44: its bytes no longer hash to its leaf; checkpoint 3 (size 45) still matches the stored leaf",
				"checkpoint mismatch: the kept checkpoint (size 45): the records give the root",
			},
		},
	}

	t.Run("untouched", func(t *testing.T) {
		for _, args := range [][]string{nil, {"--key", key.vkey}, {"--checkpoint", kept}} {
			code, out, errOut := runCLI(t, nil, append([]string{"audit", "--db", clean}, args...)...)
			if code != 0 || errOut != "" {
				t.Fatalf("audit %v of an untouched database: exit %d\n%s%s", args, code, out, errOut)
			}
			for _, w := range []string{
				"audit of " + clean + ": 45 leaves (45 stored), 45 records (43 observation, 2 terms), 2 kept nodes,",
				"verified: checkpoint 1 (size 21), checkpoint 2 (size 36), checkpoint 3 (size 45)",
				"OK: every record matches its leaf and the kept nodes, and the records give the signed root of every checkpoint",
			} {
				if !strings.Contains(out, w) {
					t.Errorf("audit %v: no %q in\n%s", args, w, out)
				}
			}
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := copyDB(t, clean)
			tamper(t, path, tt.tamper)
			code, out, errOut := runCLI(t, nil, append([]string{"audit", "--db", path}, tt.args...)...)
			if code != 1 || !strings.Contains(errOut, "guarantor audit: ") || !strings.Contains(errOut, "the database does not match its tamper-evident log") {
				t.Fatalf("exit %d, stderr %q; want 1 and the count of findings\n%s", code, errOut, out)
			}
			lines := strings.Split(out, "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, w)
				}
				if !found {
					t.Errorf("no line starting %q in\n%s", w, out)
				}
			}
			if !strings.Contains(out, "FAILED: ") {
				t.Errorf("no verdict in\n%s", out)
			}
		})
	}
}

func TestAuditDatabaseRefuses(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	if code, _, errOut := runCLI(t, nil, "audit", "--db", missing); code != 1 || !strings.Contains(errOut, "no database at") {
		t.Errorf("missing database: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("audit created a database")
	}
	bare := filepath.Join(dir, "bare.db")
	tamper(t, bare, func(db *sql.DB) error { return execAll(db, `CREATE TABLE other (x)`) })
	if code, _, errOut := runCLI(t, nil, "audit", "--db", bare); code != 1 || !strings.Contains(errOut, "pending migrations (0001_observations, 0002_log") || !strings.Contains(errOut, "guarantor migrate") {
		t.Errorf("database without the log: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{
		{"audit"},
		{"audit", "--db", bare, "--remote", "http://x"},
		{"audit", "--remote", "http://x"},
		{"audit", "--db", bare, "--save", "x"},
		{"audit", "--db", bare, "--key", "nonsense"},
		{"audit", "--remote", "ftp://x", "--checkpoint", bare},
	} {
		if code, _, errOut := runCLI(t, nil, args...); code != 2 || !strings.Contains(errOut, "Run 'guarantor audit --help'") {
			t.Errorf("%v: exit %d, %q; want a usage error", args, code, errOut)
		}
	}
}

// logServer serves a fresh store's log over HTTP, signing checkpoints
// with key, and returns it with a token that may read the log.
func logServer(t *testing.T, key auditKey) (*server.Server, *sqlite.DB, string, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "server.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Config{Store: st, LogSigner: key.signer, LogVerifierKey: key.vkey, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); st.Close() })
	u := access.User{Name: "nation", Nation: "FRA", Clearance: label.Secret, Roles: []access.Role{access.Viewer}, CreatedAt: time.Now().UTC()}
	if err := st.AddUser(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	tok, err := access.NewToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddToken(ctx, store.Token{Hash: access.TokenHash(tok), User: u.Name, CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	return srv, st, hs.URL, tok
}

// grow adds observations to a served log and issues a checkpoint.
func grow(t *testing.T, srv *server.Server, st *sqlite.DB, obs []observe.Observation) []byte {
	t.Helper()
	ctx := context.Background()
	if _, err := st.AddObservations(ctx, "", obs); err != nil {
		t.Fatal(err)
	}
	cp, err := srv.IssueCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Note
}

func TestAuditRemote(t *testing.T) {
	key := newAuditKey(t, "audit.example/log")
	srv, st, url, tok := logServer(t, key)
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.checkpoint")
	if err := os.WriteFile(kept, grow(t, srv, st, observations(0, 30)), 0o600); err != nil {
		t.Fatal(err)
	}
	latest := grow(t, srv, st, observations(30, 75))

	saved := filepath.Join(dir, "new.checkpoint")
	code, out, errOut := runCLI(t, nil, "audit", "--remote", url+"/", "--checkpoint", kept, "--token", tok, "--save", saved)
	if code != 0 || !strings.Contains(out, "OK: the log at size 75 is an extension of the checkpoint you kept at size 30: its first 30 leaves are those you kept, and 45 were added") {
		t.Fatalf("audit --remote: exit %d\n%s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(saved); err != nil || string(b) != string(latest) {
		t.Errorf("--save wrote %q (%v), want the server's checkpoint", b, err)
	}
	// The token from the environment, the key pinned; the saved checkpoint
	// is the next one kept.
	env := map[string]string{"GUARANTOR_TOKEN": tok}
	if code, out, errOut := runCLI(t, env, "audit", "--remote", url, "--checkpoint", saved, "--key", key.vkey); code != 0 || !strings.Contains(out, "at size 75 is an extension of the checkpoint you kept at size 75") {
		t.Errorf("audit --remote with GUARANTOR_TOKEN and --key: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "audit", "--remote", url, "--checkpoint", kept); code != 1 || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "--token") {
		t.Errorf("audit --remote without a token: exit %d, %q", code, errOut)
	}

	// A log rewritten under the same key: different records, more of them.
	srv2, st2, url2, tok2 := logServer(t, key)
	grow(t, srv2, st2, observations(100, 180))
	code, out, errOut = runCLI(t, nil, "audit", "--remote", url2, "--checkpoint", kept, "--token", tok2)
	if code != 1 || !strings.Contains(errOut, "fails the audit against the checkpoint you kept at size 30: not an extension of the kept checkpoint: the consistency proof from size 30 to 80 fails (it does not lead to both signed roots)") || !strings.Contains(errOut, "the log was rewritten") {
		t.Errorf("audit of a rewritten log: exit %d\n%s%s", code, out, errOut)
	}
	// A log rolled back to fewer records.
	srv3, st3, url3, tok3 := logServer(t, key)
	grow(t, srv3, st3, observations(0, 20))
	if code, _, errOut := runCLI(t, nil, "audit", "--remote", url3, "--checkpoint", kept, "--token", tok3); code != 1 || !strings.Contains(errOut, "the log now has 20 leaves, fewer than the 30 of the kept checkpoint") {
		t.Errorf("audit of a truncated log: exit %d, %q", code, errOut)
	}
	// The same records under another key: the key changed.
	srv4, st4, url4, tok4 := logServer(t, newAuditKey(t, "audit.example/log"))
	grow(t, srv4, st4, observations(0, 75))
	if code, _, errOut := runCLI(t, nil, "audit", "--remote", url4, "--checkpoint", kept, "--token", tok4); code != 1 || !strings.Contains(errOut, "does not verify the checkpoint you kept") {
		t.Errorf("audit of a log under a new key: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "audit", "--remote", url4, "--checkpoint", kept, "--token", tok4, "--key", key.vkey); code != 1 || !strings.Contains(errOut, "the server's checkpoint does not verify with the key") {
		t.Errorf("audit of a log under a new key, the old key pinned: exit %d, %q", code, errOut)
	}
}
