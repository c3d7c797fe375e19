-- Users found by email, for pools that sign in by email (UsernameAttributes or AliasAttributes).
-- Stored lowercased, as Cognito matches email addresses without regard to case.
ALTER TABLE users ADD COLUMN email TEXT;
CREATE INDEX users_by_email ON users (pool_id, email);
