-- A user's software token (TOTP) MFA: the verified secret and the one associated but not yet verified,
-- each sealed with the master key; whether it is enabled and preferred; the name the user gave the device;
-- and the last time step a code was accepted for, so that no code is accepted twice. Pools' MFA settings
-- live in their config document.
CREATE TABLE user_mfa (
    pool_id TEXT NOT NULL,
    username TEXT NOT NULL,
    totp_secret TEXT,
    totp_pending TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    totp_preferred BIGINT NOT NULL DEFAULT 0,
    device_name TEXT,
    last_step BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (pool_id, username),
    FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
);
