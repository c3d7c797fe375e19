-- Blobs being written and not yet named by a row: recorded before the first byte is written and
-- forgotten in the transaction that makes a row name the blob. A row left here long after its time is
-- a blob whose writer crashed between the bytes and the commit, and is reclaimed.
CREATE TABLE pending_blobs (
    blob_id TEXT PRIMARY KEY,
    since BIGINT NOT NULL
);
CREATE INDEX pending_blobs_by_age ON pending_blobs (since);
