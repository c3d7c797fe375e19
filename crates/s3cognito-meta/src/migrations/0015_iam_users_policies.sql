-- IAM users, their access keys and inline policies; customer managed policies with their versions, and
-- what they are attached to (roles and users). Names are matched case-insensitively through `name_key`,
-- as IAM matches them. An IAM user's access key keeps its secret sealed with the master key in
-- `sealed_secret` (the account's own key, from the first release, keeps it in `secret_access_key`);
-- `status` is Active or Inactive.
CREATE TABLE iam_users (
    name_key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    user_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE iam_user_policies (
    user_name_key TEXT NOT NULL REFERENCES iam_users (name_key) ON DELETE CASCADE,
    policy_name TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (user_name_key, policy_name)
);

ALTER TABLE access_keys ADD COLUMN user_name_key TEXT;
ALTER TABLE access_keys ADD COLUMN sealed_secret TEXT;
ALTER TABLE access_keys ADD COLUMN status TEXT NOT NULL DEFAULT 'Active';
CREATE INDEX access_keys_by_user ON access_keys (user_name_key, created_at);

CREATE TABLE iam_policies (
    arn TEXT PRIMARY KEY,
    name_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    policy_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    description TEXT,
    default_version TEXT NOT NULL,
    next_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE iam_policy_versions (
    policy_arn TEXT NOT NULL REFERENCES iam_policies (arn) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (policy_arn, version_id)
);

-- `entity` is `role` or `user`; `entity_key` the role's or user's name_key.
CREATE TABLE iam_attachments (
    policy_arn TEXT NOT NULL REFERENCES iam_policies (arn),
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    PRIMARY KEY (policy_arn, entity, entity_key)
);
CREATE INDEX iam_attachments_by_entity ON iam_attachments (entity, entity_key);
