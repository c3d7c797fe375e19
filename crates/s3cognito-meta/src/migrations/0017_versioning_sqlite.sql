-- Versioning. A bucket's state: NULL (never versioned), 'Enabled' or 'Suspended'; once set it is never NULL again.
ALTER TABLE buckets ADD COLUMN versioning TEXT;

-- The version of each current object; NULL is the "null" version (written while the bucket was unversioned
-- or suspended).
ALTER TABLE objects ADD COLUMN version_id TEXT;

-- Every version that is not current, and every delete marker (current or not). `objects` keeps the current
-- version of each key, so reads and writes of unversioned buckets never touch this table. A key's versions
-- are ordered by `seq`, newest last: a version enters when it stops being current (or, a delete marker, when
-- it is made), so entry order is creation order. `noncurrent_since` is when it stopped being current, for
-- lifecycle rules.
CREATE TABLE object_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL REFERENCES buckets (name),
    object_key TEXT NOT NULL,
    version_id TEXT,
    delete_marker BIGINT NOT NULL,
    size BIGINT NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT,
    headers TEXT NOT NULL,
    user_metadata TEXT NOT NULL,
    checksum TEXT,
    segments TEXT NOT NULL,
    owner TEXT NOT NULL,
    modified_at BIGINT NOT NULL,
    tags TEXT,
    noncurrent_since BIGINT NOT NULL
);
CREATE INDEX object_versions_by_key ON object_versions (bucket, object_key, seq);
CREATE INDEX object_versions_by_age ON object_versions (noncurrent_since);
