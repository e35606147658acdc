-- The candidates of one incident, in the queue's order: an incident's page
-- lists those that rest on it (GET /api/v1/candidates?incident=…), and
-- the fusion loop finds them to withdraw those the rules no longer find.
-- Without this index both would scan the table. The columns queries filter
-- on ride along, as in candidates_queue, so that a query filters in the
-- index alone and reads only the rows it returns.
CREATE INDEX candidates_incident ON candidates
    (incident, severity_rank DESC, time ASC, id ASC, withdrawn, state, type, party, classification, rel_to);
