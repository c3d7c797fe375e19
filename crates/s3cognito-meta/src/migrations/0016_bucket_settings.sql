-- The region CreateBucket's LocationConstraint named; NULL when none was given (us-east-1, which S3 reports
-- as an empty LocationConstraint).
ALTER TABLE buckets ADD COLUMN location TEXT;

-- A bucket's settings beyond CORS and default encryption, one document per kind (`tagging`, `policy`,
-- `ownership`, `public-access-block`), each as its API states it; no row means S3's default for that kind.
CREATE TABLE bucket_settings (
    bucket TEXT NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (bucket, kind)
);

-- An object's tags (and an upload's, given when it started), a JSON array of [key, value] pairs in the order
-- given; NULL for none.
ALTER TABLE objects ADD COLUMN tags TEXT;
ALTER TABLE multipart_uploads ADD COLUMN tags TEXT;

-- Multipart uploads completed lately, so a client retrying a completion whose answer it lost gets the same
-- success while the object is still the one that completion made.
CREATE TABLE completed_uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL,
    object_key TEXT NOT NULL,
    etag TEXT NOT NULL,
    completed_at BIGINT NOT NULL
);
CREATE INDEX completed_uploads_by_time ON completed_uploads (completed_at);

-- Work that one replica does for all (applying lifecycle rules): whoever holds a lease until a time runs it.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
