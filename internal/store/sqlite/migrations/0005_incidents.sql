-- Incidents, which fusion derives from observations. They are derived data:
-- fusion can rebuild them from the observations, so they are not in the
-- tamper-evident log.
--
-- seq orders writes: every write of an incident gives it max(seq) + 1, read
-- in the write transaction (see incidents.go). Rows are never deleted, so
-- the maximum never goes down and no seq is given twice.
--
-- The label is kept as the observations table keeps it, so that the same
-- SQL filters both by what a reader may see (see visibleSQL).
--
-- The ids of the observations an incident rests on are a JSON array in the
-- row rather than rows of a child table: they are only ever read with their
-- incident, all of them and in order, and never searched, so one column
-- read with the row is simpler and cheaper than a table that needs an
-- ordinal, a second query per page and a delete and re-insert of every id
-- on every write. Should a lookup from observation to incident be needed,
-- a migration can build such a table from json_each(observations).
CREATE TABLE incidents (
    id             TEXT    PRIMARY KEY,
    version        INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    class          TEXT    NOT NULL,
    start_at       INTEGER NOT NULL, -- Unix nanoseconds
    end_at         INTEGER NOT NULL, -- Unix nanoseconds
    west           REAL    NOT NULL, -- bbox; west > east crosses the antimeridian
    south          REAL    NOT NULL,
    east           REAL    NOT NULL,
    north          REAL    NOT NULL,
    party          TEXT    NOT NULL, -- '' when not attributable
    confidence     TEXT    NOT NULL,
    classification TEXT    NOT NULL,
    rel_to         TEXT    NOT NULL, -- comma-separated ISO 3166-1 alpha-3 codes
    observations   TEXT    NOT NULL, -- JSON array of observation ids
    merged_into    TEXT    NOT NULL DEFAULT '', -- '' unless merged into another
    feature        BLOB    NOT NULL  -- the canonical GeoJSON Feature, as given
);
-- The changes a stream follows, in write order.
CREATE UNIQUE INDEX incidents_seq ON incidents (seq);
-- Listing, newest start first, of the incidents not merged into another.
-- Merged incidents are left out of the index, and the columns queries
-- filter on ride along, so that a query filters in the index alone and
-- reads only the rows it returns.
CREATE INDEX incidents_start ON incidents
    (start_at DESC, id DESC, end_at, west, south, east, north, class, party, confidence, classification, rel_to)
    WHERE merged_into = '';
-- The longest incident not merged, read in O(log n): no incident that
-- starts longer than that before a window can reach into it, so a query for
-- a window reads the start index from the window's end back only that far.
CREATE INDEX incidents_span ON incidents (end_at - start_at) WHERE merged_into = '';
