-- What the learned ranking needs: who clicked or voted, as a keyed hash of the client's address
-- (never the address), so that a page is promoted by many clients rather than by one client
-- clicking many times; and the key of that hash, made once per database.
ALTER TABLE events ADD COLUMN client TEXT;
CREATE INDEX events_kind_ts ON events (kind, ts);
CREATE TABLE settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);
