package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// testAccounts checks users, tokens and sessions: that they are kept, that
// a revoked token, a disabled user's session and an expired session stop
// working, and that names are unique.
func testAccounts(t *testing.T, h Harness) {
	s := h.Store
	alice := access.User{Name: "alice", Nation: "FRA", Clearance: label.Confidential, Roles: []access.Role{access.Analyst, access.Viewer}, CreatedAt: base}
	bot := access.User{Name: "array-3", Nation: "GBR", Clearance: label.Restricted, Roles: []access.Role{access.Ingest}, CreatedAt: base}
	if err := s.AddUser(ctx(t), alice, "$argon2id$hash"); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if err := s.AddUser(ctx(t), bot, ""); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if err := s.AddUser(ctx(t), alice, "other"); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddUser of a taken name: error %v, want ErrExists", err)
	}
	got, hash, err := s.User(ctx(t), "alice")
	if err != nil || hash != "$argon2id$hash" || got.Nation != "FRA" || got.Clearance != label.Confidential ||
		!slices.Equal(got.Roles, alice.Roles) || !got.CreatedAt.Equal(base) || got.Disabled {
		t.Errorf("User(alice) = %+v %q %v", got, hash, err)
	}
	if _, _, err := s.User(ctx(t), "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User(nobody): error %v, want ErrNotFound", err)
	}
	list, err := s.ListUsers(ctx(t))
	if err != nil || len(list) != 2 || list[0].Name != "alice" || list[1].Name != "array-3" {
		t.Errorf("ListUsers = %+v, %v", list, err)
	}

	// Tokens.
	tokHash := access.TokenHash("gtr_secret")
	id, err := s.AddToken(ctx(t), store.Token{Hash: tokHash, User: "array-3", Label: "acoustic array 3", CreatedAt: base})
	if err != nil {
		t.Fatalf("AddToken: %v", err)
	}
	if _, err := s.AddToken(ctx(t), store.Token{Hash: []byte("x"), User: "nobody", CreatedAt: base}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddToken for an unknown user: error %v, want ErrNotFound", err)
	}
	tok, u, err := s.TokenUser(ctx(t), tokHash)
	if err != nil || tok.ID != id || u.Name != "array-3" || tok.Label != "acoustic array 3" || !tok.RevokedAt.IsZero() {
		t.Errorf("TokenUser = %+v %+v %v", tok, u, err)
	}
	if _, _, err := s.TokenUser(ctx(t), access.TokenHash("gtr_other")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenUser of an unknown token: error %v, want ErrNotFound", err)
	}
	// A disabled user's token still resolves; the caller refuses the user.
	if err := s.SetUserDisabled(ctx(t), "array-3", true); err != nil {
		t.Fatal(err)
	}
	if _, u, err := s.TokenUser(ctx(t), tokHash); err != nil || !u.Disabled {
		t.Errorf("token of a disabled user: %+v %v; want the user, disabled", u, err)
	}
	if err := s.RevokeToken(ctx(t), id); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if _, _, err := s.TokenUser(ctx(t), tokHash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked token: error %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx(t), id+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken of an unknown id: error %v, want ErrNotFound", err)
	}
	toks, err := s.ListTokens(ctx(t), "array-3")
	if err != nil || len(toks) != 1 || toks[0].RevokedAt.IsZero() || !bytes.Equal(toks[0].Hash, tokHash) {
		t.Errorf("ListTokens = %+v, %v; want the one revoked token", toks, err)
	}
	if all, err := s.ListTokens(ctx(t), ""); err != nil || len(all) != 1 {
		t.Errorf("ListTokens(all) = %+v, %v", all, err)
	}

	// Sessions.
	sess := store.Session{Hash: access.TokenHash("gts_s"), User: "alice", CSRF: "csrf", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	if err := s.AddSession(ctx(t), sess); err != nil {
		t.Fatalf("AddSession: %v", err)
	}
	gotS, u, err := s.Session(ctx(t), sess.Hash, base.Add(time.Minute))
	if err != nil || u.Name != "alice" || gotS.CSRF != "csrf" || !gotS.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Errorf("Session = %+v %+v %v", gotS, u, err)
	}
	if _, _, err := s.Session(ctx(t), sess.Hash, base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: error %v, want ErrNotFound", err)
	}
	// A new password ends the user's sessions.
	if err := s.SetPassword(ctx(t), "alice", "$argon2id$new"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx(t), sess.Hash, base.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session after a password change: error %v, want ErrNotFound", err)
	}
	if err := s.AddSession(ctx(t), sess); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx(t), sess.Hash); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(ctx(t), sess.Hash, base.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: error %v, want ErrNotFound", err)
	}
	if err := s.SetUserDisabled(ctx(t), "nobody", true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("disable an unknown user: error %v, want ErrNotFound", err)
	}
	s = h.Reopen()
	if _, hash, err := s.User(ctx(t), "alice"); err != nil || hash != "$argon2id$new" {
		t.Errorf("after reopen: password hash %q, %v", hash, err)
	}
}
