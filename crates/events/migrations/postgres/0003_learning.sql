-- What the learned ranking needs (as ../0003_learning.sql on SQLite): who clicked or voted, as
-- a keyed hash of the client's address, and the key of that hash, made once per database.
ALTER TABLE events ADD COLUMN client TEXT;
CREATE INDEX events_kind_ts ON events (kind, ts);
CREATE TABLE settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
