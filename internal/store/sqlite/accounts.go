package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/guarantor-project/guarantor/internal/access"
	"github.com/guarantor-project/guarantor/internal/label"
	"github.com/guarantor-project/guarantor/internal/store"
)

// AddUser implements store.Accounts.
func (db *DB) AddUser(ctx context.Context, u access.User, passwordHash string) error {
	roles := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		roles[i] = string(r)
	}
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		res, err := tx.Exec(`INSERT INTO users (name, nation, clearance, roles, password, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (name) DO NOTHING`,
			u.Name, u.Nation, string(u.Clearance), strings.Join(roles, ","), passwordHash, u.Disabled, u.CreatedAt.UnixNano())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, store.ErrExists)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add user %q: %w", u.Name, err)
	}
	return nil
}

// cmpErr returns err if it is set, and otherwise fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

const userColumns = `name, nation, clearance, roles, disabled, created_at`

// scanUser reads the userColumns of a row, followed by extra destinations.
func scanUser(scan func(...any) error, extra ...any) (access.User, error) {
	var u access.User
	var clearance, roles string
	var created int64
	dest := append([]any{&u.Name, &u.Nation, &clearance, &roles, &u.Disabled, &created}, extra...)
	if err := scan(dest...); err != nil {
		return access.User{}, err
	}
	u.Clearance = label.Classification(clearance)
	for r := range strings.SplitSeq(roles, ",") {
		if r != "" {
			u.Roles = append(u.Roles, access.Role(r))
		}
	}
	u.CreatedAt = time.Unix(0, created).UTC()
	return u, nil
}

// User implements store.Accounts.
func (db *DB) User(ctx context.Context, name string) (access.User, string, error) {
	var hash string
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+`, password FROM users WHERE name = ?`, name).Scan, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return access.User{}, "", fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return access.User{}, "", fmt.Errorf("read user %q: %w", name, err)
	}
	return u, hash, nil
}

// ListUsers implements store.Accounts.
func (db *DB) ListUsers(ctx context.Context) ([]access.User, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []access.User
	for rows.Next() {
		u, err := scanUser(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// updateUser runs an update of one user's row, and ends the user's sessions.
func (db *DB) updateUser(ctx context.Context, name, what, set string, arg any) error {
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		res, err := tx.Exec(`UPDATE users SET `+set+` = ? WHERE name = ?`, arg, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, store.ErrNotFound)
		}
		_, err = tx.Exec(`DELETE FROM sessions WHERE user_name = ?`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s of user %q: %w", what, name, err)
	}
	return nil
}

// SetUserDisabled implements store.Accounts.
func (db *DB) SetUserDisabled(ctx context.Context, name string, disabled bool) error {
	return db.updateUser(ctx, name, "disable", "disabled", disabled)
}

// SetPassword implements store.Accounts.
func (db *DB) SetPassword(ctx context.Context, name, passwordHash string) error {
	return db.updateUser(ctx, name, "set password", "password", passwordHash)
}

// AddToken implements store.Accounts.
func (db *DB) AddToken(ctx context.Context, t store.Token) (int64, error) {
	var id int64
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		res, err := tx.Exec(`INSERT INTO tokens (hash, user_name, label, created_at) VALUES (?, ?, ?, ?)`, t.Hash, t.User, t.Label, t.CreatedAt.UnixNano())
		if err != nil {
			if strings.Contains(err.Error(), "FOREIGN KEY") {
				return fmt.Errorf("user %q: %w", t.User, store.ErrNotFound)
			}
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("add token for %q: %w", t.User, err)
	}
	return id, nil
}

const tokenColumns = `t.id, t.hash, t.user_name, t.label, t.created_at, coalesce(t.revoked_at, 0)`

// tokenRow is where a row's tokenColumns are scanned.
type tokenRow struct {
	t                store.Token
	created, revoked int64
}

func (r *tokenRow) dest() []any {
	return []any{&r.t.ID, &r.t.Hash, &r.t.User, &r.t.Label, &r.created, &r.revoked}
}

func (r *tokenRow) token() store.Token {
	t := r.t
	t.CreatedAt = time.Unix(0, r.created).UTC()
	if r.revoked != 0 {
		t.RevokedAt = time.Unix(0, r.revoked).UTC()
	}
	return t
}

// TokenUser implements store.Accounts.
func (db *DB) TokenUser(ctx context.Context, hash []byte) (store.Token, access.User, error) {
	var tr tokenRow
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT u.name, u.nation, u.clearance, u.roles, u.disabled, u.created_at, `+tokenColumns+`
		FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.hash = ? AND t.revoked_at IS NULL`, hash).Scan, tr.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, access.User{}, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Token{}, access.User{}, fmt.Errorf("read token: %w", err)
	}
	return tr.token(), u, nil
}

// ListTokens implements store.Accounts.
func (db *DB) ListTokens(ctx context.Context, user string) ([]store.Token, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens t WHERE ? = '' OR t.user_name = ? ORDER BY t.id`, user, user)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		var tr tokenRow
		if err := rows.Scan(tr.dest()...); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, tr.token())
	}
	return out, rows.Err()
}

// RevokeToken implements store.Accounts. Revoking a revoked token keeps
// the time it was first revoked.
func (db *DB) RevokeToken(ctx context.Context, id int64) error {
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		res, err := tx.Exec(`UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, db.now().UnixNano(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	return nil
}

// AddSession implements store.Accounts. Expired sessions are deleted on the
// way.
func (db *DB) AddSession(ctx context.Context, s store.Session) error {
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		if _, err := tx.Exec(`DELETE FROM sessions WHERE expires_at <= ?`, s.CreatedAt.UnixNano()); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO sessions (hash, user_name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			s.Hash, s.User, s.CSRF, s.CreatedAt.UnixNano(), s.ExpiresAt.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("add session for %q: %w", s.User, err)
	}
	return nil
}

// Session implements store.Accounts.
func (db *DB) Session(ctx context.Context, hash []byte, now time.Time) (store.Session, access.User, error) {
	var s store.Session
	var created, expires int64
	u, err := scanUser(db.r.QueryRowContext(ctx, `SELECT u.name, u.nation, u.clearance, u.roles, u.disabled, u.created_at, s.hash, s.user_name, s.csrf, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.hash = ? AND s.expires_at > ?`, hash, now.UnixNano()).Scan,
		&s.Hash, &s.User, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, access.User{}, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, access.User{}, fmt.Errorf("read session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	return s, u, nil
}

// DeleteSession implements store.Accounts.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error {
	err := db.write(ctx, 1, func(tx *sql.Tx, _ *logAppender) error {
		_, err := tx.Exec(`DELETE FROM sessions WHERE hash = ?`, hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
