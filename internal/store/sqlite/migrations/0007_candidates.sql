-- Candidate violations, which the rules find in incidents. Like incidents
-- they are derived data: the rules can find them again, so they are not in
-- the tamper-evident log.
--
-- seq orders writes: every write of a candidate gives it max(seq) + 1, read
-- in the write transaction (see candidates.go). Rows are never deleted, so
-- the maximum never goes down and no seq is given twice. A candidate put
-- again with a byte-identical feature is not written and keeps its seq.
--
-- severity_rank orders the analysts' queue, gravest first: minor 0,
-- serious 1, major 2. The label is kept as the observations table keeps it,
-- so that the same SQL filters both by what a reader may see (see
-- visibleSQL).
CREATE TABLE candidates (
    id             TEXT    PRIMARY KEY,
    seq            INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    party          TEXT    NOT NULL, -- '' when not attributable
    severity       TEXT    NOT NULL, -- 'minor', 'serious' or 'major'
    severity_rank  INTEGER NOT NULL, -- 0, 1 or 2, as severity
    incident       TEXT    NOT NULL, -- the incident it rests on
    time           INTEGER NOT NULL, -- Unix nanoseconds
    classification TEXT    NOT NULL,
    rel_to         TEXT    NOT NULL, -- comma-separated ISO 3166-1 alpha-3 codes
    feature        BLOB    NOT NULL  -- the canonical JSON, as given
);
-- The changes a stream follows, in write order.
CREATE UNIQUE INDEX candidates_seq ON candidates (seq);
-- The analysts' queue: gravest first, then oldest first. The columns
-- queries filter on ride along, so that a query filters in the index alone
-- and reads only the rows it returns.
CREATE INDEX candidates_queue ON candidates
    (severity_rank DESC, time ASC, id ASC, type, party, classification, rel_to);
