-- A bucket's default encryption (PutBucketEncryption), what objects written without SSE headers get; NULL
-- for the default, server-managed keys.
ALTER TABLE buckets ADD COLUMN encryption TEXT;
