-- The acoustic detections fusion left unassociated: false detections,
-- echoes, sounds heard by too few sensors. Fusion keeps the set as it
-- decides (SetUnassociated), so that an analyst can list what no event
-- explains. It is derived data, like incidents, and not logged.
CREATE TABLE unassociated (
    seq INTEGER PRIMARY KEY -- observations.seq
);
