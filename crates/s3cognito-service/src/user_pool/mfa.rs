//! Software-token (TOTP) MFA, as Cognito offers it: the pool's MFA settings (SetUserPoolMfaConfig), a
//! user's token — associated (AssociateSoftwareToken), verified with a first code (VerifySoftwareToken),
//! enabled and preferred (SetUserMFAPreference) — and the challenges a sign-in meets after the password:
//! `SOFTWARE_TOKEN_MFA` for a user with a token, `MFA_SETUP` for a user of a pool that requires one and has
//! none yet. SMS and email codes are not offered: this server sends no text messages, and mailed codes are
//! not a second factor it provides.
//!
//! Secrets are sealed with the master key, bound to their pool and user. Each code is accepted once (the
//! last accepted time step is kept, and moved forward by a statement one caller wins); wrong codes count
//! toward the lockout as wrong passwords do.

use std::collections::BTreeMap;

use base64::Engine as _;
use s3cognito_crypto::totp::TotpSecret;
use s3cognito_crypto::{digest, random};
use s3cognito_meta::{AuthSessionRecord, UserMfaRecord};
use s3cognito_types::{UserPoolId, Username};
use serde::{Deserialize, Serialize};

use super::auth::{ChallengeAnswer, ChallengeName, required};
use super::config::MfaConfiguration;
use super::{AuthOutcome, ClientContext, User, UserPools};
use crate::activity::{self, Via};
use crate::error::{InvalidMember, Result, ServiceError};

/// The factor name Cognito uses for a software token, in challenge parameters and MFA settings.
pub const SOFTWARE_TOKEN_MFA: &str = "SOFTWARE_TOKEN_MFA";

/// An MFA refusal that has a code of its own on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MfaRefusal {
    /// A wrong code at sign-in.
    #[error("Invalid code received for user")]
    CodeMismatch,
    /// A code of a time step already accepted.
    #[error("Your software token has already been used once.")]
    CodeReused,
    /// A wrong code while verifying a new token.
    #[error("Code mismatch and fail enable Software Token MFA")]
    SetupCodeMismatch,
    /// The pool does not offer software tokens.
    #[error("Software Token MFA has not been enabled by the userPool.")]
    NotEnabledForPool,
    /// The user has no token to verify or to answer with.
    #[error("Software Token MFA does not exist for the user.")]
    NotSetUpForUser,
}

/// What SetUserPoolMfaConfig asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct MfaConfigRequest {
    pub configuration: Option<MfaConfiguration>,
    /// `SoftwareTokenMfaConfiguration.Enabled`, when given.
    pub software_token: Option<bool>,
    /// Whether the request configures SMS or email codes, which this server does not send.
    pub sms: bool,
    pub email: bool,
}

/// A pool's MFA settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaSettings {
    pub configuration: MfaConfiguration,
    pub software_token: bool,
}

/// How a caller of AssociateSoftwareToken or VerifySoftwareToken proves who it is.
#[derive(Debug, Clone)]
pub enum TokenProof {
    /// A signed-in user's access token.
    AccessToken(String),
    /// The session of a sign-in that is setting up its token (the MFA_SETUP challenge's).
    Session(String),
}

/// A token just associated: the secret for the authenticator and, during a sign-in, the next session.
#[derive(Debug, Clone)]
pub struct Associated {
    pub secret_code: String,
    pub session: Option<String>,
}

/// One factor of SetUserMFAPreference; absent members leave the setting as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorPreference {
    pub enabled: Option<bool>,
    pub preferred: Option<bool>,
}

/// What SetUserMFAPreference asks for, factor by factor.
#[derive(Debug, Clone, Copy, Default)]
pub struct MfaPreference {
    pub software_token: Option<FactorPreference>,
    pub sms: Option<FactorPreference>,
    pub email: Option<FactorPreference>,
}

/// A user's MFA as GetUser and AdminGetUser show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserMfa {
    /// The factors enabled (`UserMFASettingList`).
    pub enabled: Vec<&'static str>,
    /// The preferred factor (`PreferredMfaSetting`).
    pub preferred: Option<&'static str>,
}

/// Where a sign-in's MFA_SETUP stands, kept in its session row.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
enum SetupStage {
    /// The challenge was given; no token is associated yet.
    Associate,
    /// A secret is associated (sealed); its first code is awaited.
    Verify { secret: String },
    /// The token is verified; answering MFA_SETUP finishes the sign-in.
    Verified,
}

fn invalid_session() -> ServiceError {
    ServiceError::NotAuthorized("Invalid session for the user, session is expired.".to_owned())
}

fn sms_refused() -> ServiceError {
    ServiceError::Invalid("SMS MFA is not available: this server sends no text messages. Use a software token (TOTP).".to_owned())
}

fn email_refused() -> ServiceError {
    ServiceError::Invalid("Email MFA is not available on this server. Use a software token (TOTP).".to_owned())
}

/// A code as Cognito takes it: six digits.
fn check_code(code: &str) -> Result<()> {
    if code.len() != 6 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(InvalidMember::error("userCode", None, "Member must satisfy regular expression pattern: [0-9]+ and have length 6"));
    }
    Ok(())
}

fn secret_binding(pool_id: &str, username: &str) -> Vec<u8> {
    format!("totp-secret\n{pool_id}\n{username}").into_bytes()
}

impl UserPools {
    /// SetUserPoolMfaConfig: software tokens on or off, and whether sign-in asks for them.
    pub async fn set_user_pool_mfa_config(&self, pool_id: &UserPoolId, request: MfaConfigRequest) -> Result<MfaSettings> {
        let (_, mut config) = self.pool(pool_id).await?;
        if request.sms {
            return Err(sms_refused());
        }
        if request.email {
            return Err(email_refused());
        }
        let configuration = request.configuration.unwrap_or(config.mfa_configuration);
        let software_token = request.software_token.unwrap_or(config.software_token_mfa);
        match (configuration, software_token) {
            (MfaConfiguration::On | MfaConfiguration::Optional, false) => {
                return Err(ServiceError::Invalid(
                    "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.".to_owned(),
                ));
            }
            (MfaConfiguration::Off, true) if request.software_token == Some(true) => {
                return Err(ServiceError::Invalid(
                    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.".to_owned(),
                ));
            }
            _ => {}
        }
        config.mfa_configuration = configuration;
        // Turning MFA off leaves no factor configured, as Cognito reports it afterwards.
        config.software_token_mfa = software_token && configuration != MfaConfiguration::Off;
        let document = super::stored::write_pool(&config)?;
        if !self.store.update_user_pool_config(pool_id.as_str(), &document, self.now()).await? {
            return Err(ServiceError::NotFound(format!("User pool {pool_id} does not exist.")));
        }
        Ok(MfaSettings { configuration: config.mfa_configuration, software_token: config.software_token_mfa })
    }

    pub async fn user_pool_mfa_config(&self, pool_id: &UserPoolId) -> Result<MfaSettings> {
        let (_, config) = self.pool(pool_id).await?;
        Ok(MfaSettings { configuration: config.mfa_configuration, software_token: config.software_token_mfa })
    }

    /// AssociateSoftwareToken: a new secret for the caller's authenticator. A signed-in user's secret waits
    /// beside any token they have until a code verifies it; a sign-in's travels in the next session.
    pub async fn associate_software_token(&self, proof: TokenProof) -> Result<Associated> {
        let secret = TotpSecret::generate();
        match proof {
            TokenProof::AccessToken(token) => {
                let user = self.authenticate_access_token(&token).await?.user;
                let (_, config) = self.pool(&UserPoolId::parse(user.pool_id.clone())?).await?;
                if !config.software_token_mfa {
                    return Err(MfaRefusal::NotEnabledForPool.into());
                }
                let mut record = self.mfa_record(&user).await?;
                record.totp_pending = Some(self.seal_secret(&user.pool_id, &user.username, &secret));
                record.updated_at = self.now();
                self.store.put_user_mfa(&record).await?;
                Ok(Associated { secret_code: secret.base32(), session: None })
            }
            TokenProof::Session(session) => {
                let record = self.store.take_auth_session(&digest::sha256_hex(session.as_bytes())).await?.ok_or_else(invalid_session)?;
                let stage: SetupStage = serde_json::from_str(&record.data).map_err(|_| invalid_session())?;
                if record.expires_at < self.now()
                    || record.challenge != ChallengeName::MfaSetup.as_str()
                    || matches!(stage, SetupStage::Verified)
                {
                    return Err(invalid_session());
                }
                let (_, config) = self.pool(&UserPoolId::parse(record.pool_id.clone())?).await?;
                if !config.software_token_mfa {
                    return Err(MfaRefusal::NotEnabledForPool.into());
                }
                let sealed = self.seal_secret(&record.pool_id, &record.username, &secret);
                let next = self.continue_setup(&record, SetupStage::Verify { secret: sealed }).await?;
                Ok(Associated { secret_code: secret.base32(), session: Some(next) })
            }
        }
    }

    /// VerifySoftwareToken: the first code of an associated secret makes it the user's token. A signed-in
    /// user's token is then verified but not enabled (SetUserMFAPreference enables it); a sign-in's is
    /// enabled and preferred at once, and the answer's session finishes the sign-in. A wrong code leaves
    /// the session as it was, to be tried again.
    pub async fn verify_software_token(&self, proof: TokenProof, code: &str, device_name: Option<&str>) -> Result<Option<String>> {
        check_code(code)?;
        let device_name = device_name.filter(|name| !name.is_empty()).map(str::to_owned);
        match proof {
            TokenProof::AccessToken(token) => {
                let user = self.authenticate_access_token(&token).await?.user;
                let mut record = self.mfa_record(&user).await?;
                let pending = record.totp_pending.clone().ok_or(MfaRefusal::NotSetUpForUser)?;
                let secret = self.open_secret(&user.pool_id, &user.username, &pending)?;
                let step = self.setup_code_step(&user, &secret, code).await?;
                record.totp_secret = Some(pending);
                record.totp_pending = None;
                record.device_name = device_name.or(record.device_name);
                record.updated_at = self.now();
                self.store.put_user_mfa(&record).await?;
                self.accept_step(&user, step).await?;
                Ok(None)
            }
            TokenProof::Session(session) => {
                let hash = digest::sha256_hex(session.as_bytes());
                let record = self.store.auth_session(&hash).await?.ok_or_else(invalid_session)?;
                let Ok(SetupStage::Verify { secret: sealed }) = serde_json::from_str(&record.data) else {
                    return Err(invalid_session());
                };
                if record.expires_at < self.now() || record.challenge != ChallengeName::MfaSetup.as_str() {
                    return Err(invalid_session());
                }
                let user = self.user(&UserPoolId::parse(record.pool_id.clone())?, &record.username).await?;
                let secret = self.open_secret(&user.pool_id, &user.username, &sealed)?;
                let step = self.setup_code_step(&user, &secret, code).await?;
                // One answer per session: a second caller with the same code finds it gone.
                let taken = self.store.take_auth_session(&hash).await?.ok_or_else(invalid_session)?;
                let mut mfa = self.mfa_record(&user).await?;
                mfa.totp_secret = Some(sealed);
                mfa.totp_pending = None;
                mfa.totp_enabled = true;
                mfa.totp_preferred = true;
                mfa.device_name = device_name.or(mfa.device_name);
                mfa.updated_at = self.now();
                self.store.put_user_mfa(&mfa).await?;
                self.accept_step(&user, step).await?;
                Ok(Some(self.continue_setup(&taken, SetupStage::Verified).await?))
            }
        }
    }

    /// SetUserMFAPreference for the user behind an access token.
    pub async fn set_user_mfa_preference(&self, access_token: &str, preference: MfaPreference) -> Result<()> {
        let user = self.authenticate_access_token(access_token).await?.user;
        self.apply_preference(&user, preference).await
    }

    /// AdminSetUserMFAPreference.
    pub async fn admin_set_user_mfa_preference(&self, pool_id: &UserPoolId, username: &Username, preference: MfaPreference) -> Result<()> {
        let user = self.user(pool_id, username.as_str()).await?;
        self.apply_preference(&user, preference).await
    }

    async fn apply_preference(&self, user: &User, preference: MfaPreference) -> Result<()> {
        let asks_for = |factor: Option<FactorPreference>| factor.is_some_and(|factor| factor.enabled == Some(true) || factor.preferred == Some(true));
        if asks_for(preference.sms) {
            return Err(sms_refused());
        }
        if asks_for(preference.email) {
            return Err(email_refused());
        }
        let Some(token) = preference.software_token else { return Ok(()) };
        let mut record = self.mfa_record(user).await?;
        let enabled = token.enabled.unwrap_or(record.totp_enabled);
        if enabled && record.totp_secret.is_none() {
            return Err(ServiceError::Invalid("User has not verified software token mfa".to_owned()));
        }
        let preferred = match token.preferred {
            Some(true) if !enabled => {
                return Err(ServiceError::Invalid("A software token that is not enabled can't be the preferred MFA.".to_owned()));
            }
            Some(preferred) => preferred,
            None => record.totp_preferred && enabled,
        };
        record.totp_enabled = enabled;
        record.totp_preferred = preferred;
        record.updated_at = self.now();
        Ok(self.store.put_user_mfa(&record).await?)
    }

    /// The user's MFA as GetUser shows it.
    pub async fn user_mfa(&self, user: &User) -> Result<UserMfa> {
        let Some(record) = self.store.user_mfa(&user.pool_id, &user.username).await? else {
            return Ok(UserMfa::default());
        };
        let enabled = record.totp_enabled && record.totp_secret.is_some();
        Ok(UserMfa {
            enabled: if enabled { vec![SOFTWARE_TOKEN_MFA] } else { Vec::new() },
            preferred: (enabled && record.totp_preferred).then_some(SOFTWARE_TOKEN_MFA),
        })
    }

    /// The challenge a sign-in meets once its password is proved, if the pool asks for a second factor:
    /// SOFTWARE_TOKEN_MFA for a user with an enabled token, MFA_SETUP for one without in a pool that
    /// requires it; `None` when the sign-in may go on to tokens.
    pub(super) async fn mfa_challenge(&self, context: &ClientContext, user: &User) -> Result<Option<AuthOutcome>> {
        if context.pool_config.mfa_configuration == MfaConfiguration::Off {
            return Ok(None);
        }
        let record = self.store.user_mfa(&user.pool_id, &user.username).await?;
        let token = record.filter(|record| record.totp_enabled && record.totp_secret.is_some());
        let (challenge, data, parameters) = match (&token, context.pool_config.mfa_configuration) {
            (Some(token), _) => (
                ChallengeName::SoftwareTokenMfa,
                "{}".to_owned(),
                BTreeMap::from([
                    ("USER_ID_FOR_SRP".to_owned(), user.username.clone()),
                    ("FRIENDLY_DEVICE_NAME".to_owned(), token.device_name.clone().unwrap_or_else(|| "TOTP device".to_owned())),
                ]),
            ),
            (None, MfaConfiguration::On) => (
                ChallengeName::MfaSetup,
                serde_json::to_string(&SetupStage::Associate)?,
                BTreeMap::from([("MFAS_CAN_SETUP".to_owned(), serde_json::to_string(&[SOFTWARE_TOKEN_MFA])?)]),
            ),
            (None, MfaConfiguration::Optional | MfaConfiguration::Off) => return Ok(None),
        };
        let session = self.new_session(context, &user.username, challenge, data).await?;
        Ok(Some(AuthOutcome::Challenge { name: challenge, session: Some(session), parameters }))
    }

    /// The answer to SOFTWARE_TOKEN_MFA: the code of the user's token, once. A wrong code counts toward
    /// the lockout and leaves the session to be tried again.
    pub(super) async fn answer_software_token(&self, context: &ClientContext, answer: &ChallengeAnswer) -> Result<AuthOutcome> {
        let responses = &answer.responses;
        let username = Username::parse(required(responses, "USERNAME")?)?;
        activity::note_pool_username(context.pool_id.as_str(), username.as_str(), Via::Password);
        context.check_secret_hash(username.as_str(), responses.get("SECRET_HASH").map(String::as_str))?;
        let code = required(responses, "SOFTWARE_TOKEN_MFA_CODE")?;
        let hash = digest::sha256_hex(answer.session.as_deref().ok_or_else(invalid_session)?.as_bytes());
        let record = self.store.auth_session(&hash).await?.ok_or_else(invalid_session)?;
        let user = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await?;
        let Some(user) = user.filter(|user| user.username == record.username) else { return Err(invalid_session()) };
        if record.expires_at < self.now()
            || record.client_id != context.client.client_id
            || record.challenge != ChallengeName::SoftwareTokenMfa.as_str()
        {
            return Err(invalid_session());
        }
        self.check_not_locked(&user)?;
        let mfa = self.store.user_mfa(&user.pool_id, &user.username).await?;
        let sealed = mfa.and_then(|mfa| mfa.totp_secret.filter(|_| mfa.totp_enabled)).ok_or(MfaRefusal::NotSetUpForUser)?;
        let secret = self.open_secret(&user.pool_id, &user.username, &sealed)?;
        let Some(step) = secret.check(code, self.unix_now()) else {
            return Err(match self.count_failure(&user).await? {
                true => self.lockout_error(),
                false => MfaRefusal::CodeMismatch.into(),
            });
        };
        self.accept_step(&user, step).await?;
        self.store.take_auth_session(&hash).await?.ok_or_else(invalid_session)?;
        self.record_sign_in_success(&user).await?;
        if !user.enabled {
            return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
        }
        self.signed_in(context, &user).await
    }

    /// The answer to MFA_SETUP, once VerifySoftwareToken has verified the sign-in's token: the sign-in's
    /// tokens.
    pub(super) async fn answer_mfa_setup(&self, context: &ClientContext, answer: &ChallengeAnswer) -> Result<AuthOutcome> {
        let responses = &answer.responses;
        let username = Username::parse(required(responses, "USERNAME")?)?;
        activity::note_pool_username(context.pool_id.as_str(), username.as_str(), Via::Password);
        context.check_secret_hash(username.as_str(), responses.get("SECRET_HASH").map(String::as_str))?;
        let hash = digest::sha256_hex(answer.session.as_deref().ok_or_else(invalid_session)?.as_bytes());
        let record = self.store.take_auth_session(&hash).await?.ok_or_else(invalid_session)?;
        let user = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await?;
        let Some(user) = user.filter(|user| user.username == record.username) else { return Err(invalid_session()) };
        let verified = matches!(serde_json::from_str(&record.data), Ok(SetupStage::Verified));
        if !verified
            || record.expires_at < self.now()
            || record.client_id != context.client.client_id
            || record.challenge != ChallengeName::MfaSetup.as_str()
        {
            return Err(invalid_session());
        }
        if !user.enabled {
            return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
        }
        self.signed_in(context, &user).await
    }

    // ---- helpers ----

    async fn mfa_record(&self, user: &User) -> Result<UserMfaRecord> {
        Ok(self.store.user_mfa(&user.pool_id, &user.username).await?.unwrap_or_else(|| UserMfaRecord {
            pool_id: user.pool_id.clone(),
            username: user.username.clone(),
            ..UserMfaRecord::default()
        }))
    }

    fn seal_secret(&self, pool_id: &str, username: &str, secret: &TotpSecret) -> String {
        let sealed = self.settings.sealing_key.seal(secret.as_bytes(), &secret_binding(pool_id, username));
        base64::engine::general_purpose::STANDARD.encode(sealed)
    }

    fn open_secret(&self, pool_id: &str, username: &str, sealed: &str) -> Result<TotpSecret> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| ServiceError::Internal("a stored software token is not base64".to_owned()))?;
        let secret = self
            .settings
            .sealing_key
            .open(&bytes, &secret_binding(pool_id, username))
            .map_err(|_| ServiceError::Internal("a stored software token does not open".to_owned()))?;
        Ok(TotpSecret::from_bytes(secret))
    }

    fn unix_now(&self) -> u64 {
        u64::try_from(self.now()).unwrap_or(0)
    }

    /// The step of a code verifying a new token; a wrong code counts toward the lockout.
    async fn setup_code_step(&self, user: &User, secret: &TotpSecret, code: &str) -> Result<u64> {
        self.check_not_locked(user)?;
        match secret.check(code, self.unix_now()) {
            Some(step) => Ok(step),
            None => Err(match self.count_failure(user).await? {
                true => self.lockout_error(),
                false => MfaRefusal::SetupCodeMismatch.into(),
            }),
        }
    }

    /// Takes the step a code was accepted for, unless it (or a later one) already was.
    async fn accept_step(&self, user: &User, step: u64) -> Result<()> {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        if self.store.accept_totp_step(&user.pool_id, &user.username, step).await? {
            Ok(())
        } else {
            Err(MfaRefusal::CodeReused.into())
        }
    }

    /// A new sign-in session for `username` at `challenge`, holding `data`; its token (only its hash is kept).
    pub(super) async fn new_session(&self, context: &ClientContext, username: &str, challenge: ChallengeName, data: String) -> Result<String> {
        let session = random::random_token();
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: digest::sha256_hex(session.as_bytes()),
                pool_id: context.pool_id.to_string(),
                client_id: context.client.client_id.clone(),
                username: username.to_owned(),
                challenge: challenge.as_str().to_owned(),
                data,
                expires_at: self.now() + context.client_config.auth_session_validity_minutes * 60,
            })
            .await?;
        Ok(session)
    }

    /// The next session of a sign-in setting up its token, at `stage`, as long as the one it follows.
    async fn continue_setup(&self, previous: &AuthSessionRecord, stage: SetupStage) -> Result<String> {
        let session = random::random_token();
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: digest::sha256_hex(session.as_bytes()),
                data: serde_json::to_string(&stage)?,
                ..previous.clone()
            })
            .await?;
        Ok(session)
    }
}
