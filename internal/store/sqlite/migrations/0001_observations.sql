-- Observations, each stored once by its client-supplied id. seq is the
-- arrival order. body is the canonical GeoJSON Feature.
CREATE TABLE observations (
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    source_id      TEXT    NOT NULL,
    observed_at    INTEGER NOT NULL, -- Unix nanoseconds
    lon            REAL    NOT NULL,
    lat            REAL    NOT NULL,
    minute         INTEGER NOT NULL, -- observed_at in whole minutes, see index.go
    cell           INTEGER NOT NULL, -- grid cell, see index.go
    classification TEXT    NOT NULL,
    rel_to         TEXT    NOT NULL, -- comma-separated ISO 3166-1 alpha-3 codes
    received_at    INTEGER NOT NULL, -- Unix nanoseconds
    body           BLOB    NOT NULL
);
CREATE UNIQUE INDEX observations_id ON observations (id);
-- Every other index leads with time, so that a batch of inserts lands in the
-- last few pages of each index instead of at random places (see index.go).
-- The columns after the keys ride along so that queries filter in the
-- index alone and read only the rows they return: the source for a source's
-- observations, the position for the edges of a box.
CREATE INDEX observations_time ON observations (observed_at, source_id);
CREATE INDEX observations_minute_cell ON observations (minute, cell, observed_at, lon, lat);

CREATE TABLE sensors (
    id   TEXT PRIMARY KEY,
    body BLOB NOT NULL
) WITHOUT ROWID;

-- Every version of the agreement terms ever loaded.
CREATE TABLE terms_versions (
    seq            INTEGER PRIMARY KEY,
    terms_id       TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    effective_from INTEGER NOT NULL,
    loaded_at      INTEGER NOT NULL,
    body           BLOB    NOT NULL
);
