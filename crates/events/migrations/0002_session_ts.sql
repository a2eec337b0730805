-- The reports look up the searches of one tab session in a time window (alias suggestions):
-- index the session with the time, so that such a lookup reads only that window.
CREATE INDEX searches_session_ts ON searches (session, ts);
DROP INDEX searches_session;
