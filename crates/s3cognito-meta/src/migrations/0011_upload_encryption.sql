-- A multipart upload started with SSE-KMS keeps its KMS key and encryption context for its parts; NULL
-- for an upload encrypted with server-managed keys.
ALTER TABLE multipart_uploads ADD COLUMN encryption TEXT;
