-- The bucket half (PostgreSQL: keys sort bytewise, as S3 lists them): buckets, objects, multipart uploads and their parts, and blobs awaiting deletion.
-- Object bytes live in the blob store under generated ids; a row here is what makes them visible.

CREATE TABLE buckets (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    cors TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE objects (
    bucket TEXT NOT NULL REFERENCES buckets (name),
    object_key TEXT COLLATE "C" NOT NULL,
    size BIGINT NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT,
    headers TEXT NOT NULL,
    user_metadata TEXT NOT NULL,
    checksum TEXT,
    segments TEXT NOT NULL,
    owner TEXT NOT NULL,
    modified_at BIGINT NOT NULL,
    PRIMARY KEY (bucket, object_key)
);

CREATE TABLE multipart_uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL REFERENCES buckets (name),
    object_key TEXT COLLATE "C" NOT NULL,
    content_type TEXT,
    headers TEXT NOT NULL,
    user_metadata TEXT NOT NULL,
    checksum_algorithm TEXT,
    owner TEXT NOT NULL,
    initiated_at BIGINT NOT NULL
);
CREATE INDEX multipart_uploads_by_key ON multipart_uploads (bucket, object_key, upload_id);

CREATE TABLE upload_parts (
    upload_id TEXT NOT NULL REFERENCES multipart_uploads (upload_id) ON DELETE CASCADE,
    part_number BIGINT NOT NULL,
    blob_id TEXT NOT NULL,
    size BIGINT NOT NULL,
    etag TEXT NOT NULL,
    checksum TEXT,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);

CREATE TABLE garbage_blobs (
    blob_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    since BIGINT NOT NULL
);
