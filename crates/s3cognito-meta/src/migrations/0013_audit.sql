-- The audit log: one row per security-relevant event (a sign-in, a failed one, a lockout, an administrative
-- change, credentials issued, an object written, read or deleted, any request refused). `principal` is who
-- acted as the request proved it (an ARN, `<poolId>/<username>` for a user of a pool, `anonymous`);
-- `identity` the identity-pool identity acted for, when there is one; `via` how the caller proved it
-- (`signature`, `presigned-url`, `token`, `password`, `none`). `id` is a time-ordered UUID, so rows of one
-- second keep their order.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    event TEXT NOT NULL,
    service TEXT NOT NULL,
    outcome TEXT NOT NULL,
    error_code TEXT,
    principal TEXT NOT NULL,
    identity TEXT,
    source TEXT,
    resource TEXT,
    via TEXT NOT NULL,
    request_id TEXT NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (at, id);
CREATE INDEX audit_events_by_principal ON audit_events (principal, at);
CREATE INDEX audit_events_by_event ON audit_events (event, at);
