-- KMS keys: one row per key, its versions of key material (each sealed with the server's master key; the
-- newest encrypts, every one decrypts), its aliases and its tags. `state` is Enabled, Disabled or
-- PendingDeletion (then `deletion_at` says when it goes). `rotation_period_days` is NULL while automatic
-- rotation is off; `next_rotation_at` is when the next automatic one is due.
CREATE TABLE kms_keys (
    key_id TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    description TEXT NOT NULL,
    key_usage TEXT NOT NULL,
    key_spec TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    policy TEXT NOT NULL,
    current_version BIGINT NOT NULL,
    rotation_period_days BIGINT,
    next_rotation_at BIGINT,
    deletion_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kms_keys_by_deletion ON kms_keys (deletion_at);
CREATE TABLE kms_key_versions (
    key_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    sealed_material TEXT NOT NULL,
    rotation_type TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (key_id, version)
);
CREATE TABLE kms_aliases (
    name TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kms_aliases_by_key ON kms_aliases (key_id, name);
CREATE TABLE kms_key_tags (
    key_id TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (key_id, tag_key)
);
