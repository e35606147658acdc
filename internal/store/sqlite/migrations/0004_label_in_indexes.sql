-- The releasability label rides along in the indexes, so that a query for a
-- user checks labels in the index and reads only the rows it returns, as
-- it already does for the edges of a box (see docs/benchmarks.md).
DROP INDEX observations_time;
DROP INDEX observations_minute_cell;
CREATE INDEX observations_time ON observations (observed_at, source_id, classification, rel_to);
CREATE INDEX observations_minute_cell ON observations (minute, cell, observed_at, lon, lat, classification, rel_to);
