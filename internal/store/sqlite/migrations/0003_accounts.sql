-- Accounts: users, their API tokens and their browser sessions. Secrets
-- are never stored: passwords as argon2id hashes, tokens and session ids as
-- SHA-256 hashes (see package access).
CREATE TABLE users (
    name       TEXT    PRIMARY KEY,
    nation     TEXT    NOT NULL,
    clearance  TEXT    NOT NULL,
    roles      TEXT    NOT NULL, -- comma-separated
    password   TEXT    NOT NULL, -- argon2id PHC string; '' for machine clients
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL  -- Unix nanoseconds
) WITHOUT ROWID;

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    user_name  TEXT    NOT NULL REFERENCES users (name),
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER           -- NULL while the token is valid
);
CREATE INDEX tokens_user ON tokens (user_name);

CREATE TABLE sessions (
    hash       BLOB    PRIMARY KEY,
    user_name  TEXT    NOT NULL REFERENCES users (name),
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_name);
