-- The user pool half of s3cognito: pools, app clients, users, groups, codes, sessions, tokens, keys.
-- Times are epoch seconds; ids are text; JSON documents are text owned by the service layer.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    secret_access_key TEXT NOT NULL,
    principal TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE user_pools (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE user_pool_clients (
    client_id TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret TEXT,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX user_pool_clients_by_pool ON user_pool_clients (pool_id, client_id);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX signing_keys_by_pool ON signing_keys (pool_id, created_at);

CREATE TABLE users (
    pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    sub TEXT NOT NULL,
    status TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    attributes TEXT NOT NULL,
    password_hash TEXT,
    password_set_at BIGINT NOT NULL,
    failed_sign_ins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, username)
);
CREATE UNIQUE INDEX users_by_sub ON users (pool_id, sub);

CREATE TABLE user_codes (
    pool_id TEXT NOT NULL,
    username TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, username, purpose),
    FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
);

CREATE TABLE auth_sessions (
    session_hash TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    username TEXT NOT NULL,
    challenge TEXT NOT NULL,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_sessions_by_expiry ON auth_sessions (expires_at);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    pool_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    username TEXT NOT NULL,
    origin_jti TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0,
    FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
);
CREATE UNIQUE INDEX refresh_tokens_by_origin ON refresh_tokens (origin_jti);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (pool_id, username);

CREATE TABLE user_groups (
    pool_id TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    role_arn TEXT,
    precedence BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id TEXT NOT NULL,
    group_name TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (pool_id, group_name, username),
    FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE,
    FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
);
CREATE INDEX group_members_by_user ON group_members (pool_id, username);
