-- One row per upload a user made (or was handed a presigned URL for), by whichever route the bytes came:
-- S3 with identity credentials, a presigned PUT, a multipart upload, a POST form, the upload edge.
-- `owner` is the identity id whose `private/<owner>/` namespace holds the object; `username` the user pool
-- user behind it. A presigned PUT's job is `Pending` until its bytes land, and reads as expired after
-- `expires_at`. `uploaded_on` is ISO 8601 text, as clients send it.
CREATE TABLE upload_jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    username TEXT NOT NULL,
    bucket TEXT NOT NULL,
    obj_key TEXT NOT NULL,
    file_key TEXT NOT NULL,
    file_name TEXT,
    status TEXT NOT NULL,
    route TEXT NOT NULL,
    size BIGINT,
    etag TEXT,
    content_type TEXT,
    expires_at BIGINT,
    uploaded_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX upload_jobs_by_owner ON upload_jobs (owner, created_at, id);
CREATE INDEX upload_jobs_by_time ON upload_jobs (created_at, id);
CREATE INDEX upload_jobs_by_key ON upload_jobs (bucket, obj_key, created_at);
