-- Restrictions of access: a monitors' patrol denied passage, or held up,
-- by a party's personnel (see internal/restriction). They are primary
-- records, a monitor's report like an observation, each stored once by its
-- client-supplied id and kept in the tamper-evident log under the kind
-- "restriction": body is the canonical Feature its leaf commits to, and
-- leaf its index in the log. seq is the arrival order, so that leaves grow
-- with it, as the audit expects of every logged table.
--
-- The label is kept as the observations table keeps it, so that the same
-- SQL filters both by what a reader may see (see visibleSQL).
CREATE TABLE restrictions (
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL,
    time           INTEGER NOT NULL, -- Unix nanoseconds
    party          TEXT    NOT NULL, -- '' when not known
    denied         INTEGER NOT NULL, -- 1 denied, 0 delayed
    delay_ns       INTEGER NOT NULL, -- how long the patrol was held
    lon            REAL    NOT NULL,
    lat            REAL    NOT NULL,
    classification TEXT    NOT NULL,
    rel_to         TEXT    NOT NULL, -- comma-separated ISO 3166-1 alpha-3 codes
    submitter      TEXT    NOT NULL, -- the user who sent it
    received_at    INTEGER NOT NULL, -- Unix nanoseconds
    body           BLOB    NOT NULL,
    leaf           INTEGER NOT NULL
);
CREATE UNIQUE INDEX restrictions_id ON restrictions (id);
-- Lists are newest first, by time and then id. The columns queries and
-- counts filter on ride along, so that they filter in the index alone and
-- read only the rows they return (a count reads no row at all).
CREATE INDEX restrictions_time ON restrictions
    (time DESC, id DESC, party, denied, delay_ns, lon, lat, classification, rel_to);
-- One party's restrictions, newest first.
CREATE INDEX restrictions_party ON restrictions
    (party, time DESC, id DESC, lon, lat, classification, rel_to);
