-- The identity half: identity pools and their identities, IAM roles with their inline policies,
-- OpenID Connect providers trusted for web identities, and temporary credentials handed out by STS.

CREATE TABLE identity_pools (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per identity. `login_key` is "<provider>|<subject>" of the login that created it, unique per
-- pool so a user keeps one identity across sign-ins; NULL for unauthenticated identities.
CREATE TABLE identities (
    identity_id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
    login_key TEXT,
    logins TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX identities_by_login ON identities (pool_id, login_key);
CREATE INDEX identities_by_pool ON identities (pool_id, identity_id);

-- `name_key` is the lowercased name: IAM role names are unique regardless of case.
CREATE TABLE iam_roles (
    name_key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE iam_role_policies (
    role_name_key TEXT NOT NULL REFERENCES iam_roles (name_key) ON DELETE CASCADE,
    policy_name TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (role_name_key, policy_name)
);

CREATE TABLE oidc_providers (
    arn TEXT PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    client_ids TEXT NOT NULL,
    thumbprints TEXT NOT NULL,
    jwks_url TEXT,
    created_at BIGINT NOT NULL
);

-- Temporary credentials. The secret is sealed with the server's key; the session token is kept as a
-- SHA-256 digest only. `context` is the JSON the policy engine evaluates with (identity, audience,
-- amr…). `source` names the user-pool user the credentials came from ("<poolId>|<sub>"), so that
-- disabling or deleting that user ends them: the row stays, `revoked`, so that requests made with them
-- are told their token is no longer valid rather than that the key never existed.
CREATE TABLE session_credentials (
    access_key_id TEXT PRIMARY KEY,
    sealed_secret TEXT NOT NULL,
    session_token_hash TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    session_name TEXT NOT NULL,
    context TEXT NOT NULL,
    source TEXT,
    revoked BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX session_credentials_by_source ON session_credentials (source);
CREATE INDEX session_credentials_by_expiry ON session_credentials (expires_at);
