-- The analysts' workflow over candidate violations.
--
-- Who submitted each observation: an analyst may not confirm a candidate
-- that rests on an observation they submitted. '' for observations stored
-- before this was recorded, and for those loaded by a tool rather than a
-- user.
ALTER TABLE observations ADD COLUMN submitter TEXT NOT NULL DEFAULT '';

-- A candidate's state in the workflow (see internal/verify), kept beside
-- the candidate so that the queue filters on it. It is set by the
-- candidate's last action; the rules never change it. withdrawn is 1 when
-- the rules no longer find the candidate (its incident was merged into
-- another, or its evidence changed): it leaves the queue but keeps its
-- history.
ALTER TABLE candidates ADD COLUMN state TEXT NOT NULL DEFAULT 'open';
ALTER TABLE candidates ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
-- split_from names the candidate an analyst split this one from: a part
-- rests on some of its observations, and the rules never withdraw it.
ALTER TABLE candidates ADD COLUMN split_from TEXT NOT NULL DEFAULT '';
-- The queue's index gains both, so that a query still filters in the
-- index alone; a second index serves the queue of one state (the findings
-- are the verified ones).
DROP INDEX candidates_queue;
CREATE INDEX candidates_queue ON candidates
    (severity_rank DESC, time ASC, id ASC, withdrawn, state, type, party, classification, rel_to);
CREATE INDEX candidates_state ON candidates
    (state, severity_rank DESC, time ASC, id ASC, withdrawn, type, party, classification, rel_to);

-- Every action an analyst took on a candidate: confirm, reject, request
-- information, merge, split, reopen. Actions are primary records, kept in
-- the tamper-evident log under the kind "action"; body is the canonical
-- JSON the leaf commits to. n is the action's place in the candidate's
-- history, from 1: the unique index makes two analysts acting on the same
-- history at once a conflict instead of a lost action.
CREATE TABLE actions (
    seq       INTEGER PRIMARY KEY,
    id        TEXT    NOT NULL,
    candidate TEXT    NOT NULL,
    n         INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    analyst   TEXT    NOT NULL,
    nation    TEXT    NOT NULL,
    at        INTEGER NOT NULL, -- Unix nanoseconds
    body      BLOB    NOT NULL,
    leaf      INTEGER
);
CREATE UNIQUE INDEX actions_id ON actions (id);
CREATE UNIQUE INDEX actions_candidate ON actions (candidate, n);
