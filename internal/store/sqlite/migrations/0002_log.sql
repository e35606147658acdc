-- The tamper-evident log (see package ledger and docs/security.md).
--
-- log_leaves holds one row per logged record, in log order: the kind of
-- the record, its id, and its leaf hash, ledger.RecordHash(kind, canonical
-- bytes). log_nodes holds the hashes of the perfect-subtree nodes of every
-- fourth level above the leaves (see nodeStride in log.go), from which
-- proofs and roots are read with little hashing.
-- log_checkpoints keeps every signed checkpoint the server has issued, and
-- log_keys the verifier keys that signed them.
CREATE TABLE log_leaves (
    idx    INTEGER PRIMARY KEY,
    kind   TEXT    NOT NULL,
    record TEXT    NOT NULL,
    hash   BLOB    NOT NULL
);
CREATE TABLE log_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB    NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE log_checkpoints (
    seq       INTEGER PRIMARY KEY,
    size      INTEGER NOT NULL,
    root      BLOB    NOT NULL,
    issued_at INTEGER NOT NULL, -- Unix nanoseconds
    note      BLOB    NOT NULL  -- the signed note, as served
);
CREATE TABLE log_keys (
    vkey     TEXT PRIMARY KEY, -- note verifier key: name+hash+key
    added_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The leaf of each observation. Observations stored before the log existed
-- are logged, in arrival order, by the migration itself (see migrate.go).
ALTER TABLE observations ADD COLUMN leaf INTEGER;
ALTER TABLE terms_versions ADD COLUMN leaf INTEGER;
