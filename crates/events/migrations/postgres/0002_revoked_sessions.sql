-- Console sessions logged out before their expiry (the signed cookie itself stays valid until
-- then): every replica checks here, so a logout on one ends the session on all of them.
CREATE TABLE revoked_sessions (
    id TEXT PRIMARY KEY,
    until BIGINT NOT NULL
);
