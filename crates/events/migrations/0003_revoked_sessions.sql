-- Console sessions logged out before their expiry (the cookie itself stays valid until then):
-- every replica checks here, so a logout on one ends the session on all of them.
CREATE TABLE revoked_sessions (
    id TEXT PRIMARY KEY,
    until INTEGER NOT NULL
);
