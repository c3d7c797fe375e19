-- Counters of rate limits, one row a key (what is limited and for whom: an operation and a source address,
-- a user's code sends or wrong guesses, mail to an address), counting within a fixed window that starts at
-- `window_start`. Every replica counts in the same row.
CREATE TABLE rate_limits (
    limit_key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX rate_limits_by_window ON rate_limits (window_start);
