-- Kotae's event log. Timestamps are Unix seconds (UTC). No IP address, cookie or user agent
-- is stored; `session` is a random per-browser-tab id the help page's script makes up.

-- One row per search; `id` is the search id handed to the client.
CREATE TABLE searches (
    id          TEXT PRIMARY KEY,
    ts          INTEGER NOT NULL,
    session     TEXT,
    prev        TEXT,            -- the search this one was typed after (reformulation chain)
    query       TEXT NOT NULL,   -- as typed
    normalized  TEXT NOT NULL,   -- kotae_core::analysis::normalize_str
    source      TEXT NOT NULL,   -- help (the help page) | api (the public API) | console (agents)
    audience    TEXT NOT NULL,   -- public | internal | all
    hits        INTEGER NOT NULL,
    top_ids     TEXT NOT NULL,   -- JSON array, at most 5 ids
    latency_ms  INTEGER NOT NULL
);
CREATE INDEX searches_ts ON searches (ts);
CREATE INDEX searches_session ON searches (session);
CREATE INDEX searches_prev ON searches (prev);

-- Clicks, article views, helpful votes and hand-overs to a human channel.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    ts          INTEGER NOT NULL,
    kind        TEXT NOT NULL,   -- click | view | vote | handover
    session     TEXT,
    search_id   TEXT,
    article     TEXT,
    rank        INTEGER,         -- click: 1-based rank in the results
    helpful     INTEGER,         -- vote: 1 yes, 0 no
    comment     TEXT,            -- vote: optional, at most 500 characters
    query       TEXT,
    channel     TEXT,            -- handover: the channel's kind, for a clicked contact link
    action      TEXT,            -- handover: shown | go
    reason      TEXT             -- handover: zero | low | no_vote | contact_page
);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_search ON events (search_id);
CREATE INDEX events_kind_article ON events (kind, article);

-- Questions customers sent when nothing answered.
CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    ts          INTEGER NOT NULL,
    session     TEXT,
    search_id   TEXT,
    article     TEXT,            -- the article voted "no", when sent from there
    query       TEXT,
    question    TEXT NOT NULL,
    contact     TEXT             -- optional address; shown only in the console
);
CREATE INDEX questions_ts ON questions (ts);
