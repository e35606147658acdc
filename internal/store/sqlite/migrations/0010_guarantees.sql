-- The guarantees: the registry the secretariat keeps, the activations the
-- trigger clauses propose, the obligations the authority's determinations
-- create, and the notifications about them (docs/guarantees.md).
--
-- The registry is kept as each record's JSON with the columns queries
-- filter on. registry_version counts its changes, so that the server knows
-- when to compile the clauses again.
CREATE TABLE guarantors (
    code TEXT PRIMARY KEY,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE instruments (
    id   TEXT PRIMARY KEY,
    body BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE commitments (
    id         TEXT PRIMARY KEY,
    instrument TEXT NOT NULL,
    guarantor  TEXT NOT NULL,
    category   TEXT NOT NULL,
    body       BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX commitments_guarantor ON commitments (guarantor, id);
CREATE INDEX commitments_category ON commitments (category, id);
CREATE TABLE registry_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

-- Activations: proposed by the software, determined by the authority. The
-- body is the activation as internal/trigger holds it; seq orders writes for
-- streams.
CREATE TABLE activations (
    id          TEXT    PRIMARY KEY,
    seq         INTEGER NOT NULL,
    clause      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    proposed_at INTEGER NOT NULL, -- Unix nanoseconds
    body        BLOB    NOT NULL
);
CREATE UNIQUE INDEX activations_seq ON activations (seq);
CREATE INDEX activations_clause ON activations (clause, state);

-- Obligations, one per guarantor of a confirmed activation. n is the
-- length of its history: an action is stored only on the history its author
-- saw.
CREATE TABLE obligations (
    id         TEXT    PRIMARY KEY,
    seq        INTEGER NOT NULL,
    activation TEXT    NOT NULL,
    guarantor  TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    deadline   INTEGER NOT NULL, -- Unix nanoseconds
    n          INTEGER NOT NULL,
    body       BLOB    NOT NULL
);
CREATE UNIQUE INDEX obligations_seq ON obligations (seq);
CREATE INDEX obligations_guarantor ON obligations (guarantor, deadline);
CREATE INDEX obligations_state ON obligations (state, deadline);

-- Every determination and every step of an obligation (acknowledged, an
-- action recorded, closed, escalated) is a primary record in the
-- tamper-evident log, under the kind "guarantee_step"; body is the
-- canonical JSON its leaf commits to.
CREATE TABLE guarantee_steps (
    seq    INTEGER PRIMARY KEY,
    id     TEXT    NOT NULL UNIQUE,
    record TEXT    NOT NULL, -- the activation or obligation it is a step of
    body   BLOB    NOT NULL,
    leaf   INTEGER
);
CREATE INDEX guarantee_steps_record ON guarantee_steps (record, seq);

-- Notifications: every event, in order (the stream of server-sent events),
-- the webhooks admins registered, the deliveries still owed (the outbox),
-- and every attempt made (the delivery log).
CREATE TABLE events (
    seq  INTEGER PRIMARY KEY,
    id   TEXT    NOT NULL UNIQUE,
    type TEXT    NOT NULL,
    at   INTEGER NOT NULL,
    data BLOB    NOT NULL
);
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    events     TEXT    NOT NULL, -- comma-separated event types; '' for all
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE TABLE deliveries (
    id       TEXT    PRIMARY KEY,
    webhook  INTEGER NOT NULL,
    event    TEXT    NOT NULL,
    attempts INTEGER NOT NULL,
    next_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX deliveries_next ON deliveries (next_at);
CREATE TABLE delivery_attempts (
    seq         INTEGER PRIMARY KEY,
    delivery    TEXT    NOT NULL,
    webhook     INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    duration_ns INTEGER NOT NULL,
    done        INTEGER NOT NULL,
    gave_up     INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_webhook ON delivery_attempts (webhook, seq);
