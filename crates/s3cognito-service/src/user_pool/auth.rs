//! Sign-in: InitiateAuth and its admin twin, challenge answers, refresh, sign-out and revocation.

use std::collections::BTreeMap;

use s3cognito_crypto::{digest, random, srp};
use s3cognito_meta::AuthSessionRecord;
use s3cognito_types::{ClientId, UserPoolId, Username};

use super::tokens::refresh_token_hash;
use super::users::verifier_binding;
use super::config::SignInFlow;
use super::{Attributes, ClientContext, Tokens, User, UserPools, UserStatus};
use crate::activity::{self, Notable, Via};
use crate::error::{Result, ServiceError};

/// An InitiateAuth or AdminInitiateAuth call.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client_id: ClientId,
    pub flow: String,
    pub parameters: BTreeMap<String, String>,
    /// Set for AdminInitiateAuth: the pool named in the call, which must own the client.
    pub admin_pool: Option<UserPoolId>,
}

/// The sign-in flows InitiateAuth and AdminInitiateAuth take, by Cognito's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFlow {
    UserPassword,
    AdminUserPassword,
    /// The older name of `ADMIN_USER_PASSWORD_AUTH`.
    AdminNoSrp,
    RefreshTokenAuth,
    /// The older name of `REFRESH_TOKEN_AUTH`.
    RefreshToken,
    UserSrp,
}

impl AuthFlow {
    const ALL: [AuthFlow; 6] = [
        AuthFlow::UserPassword,
        AuthFlow::AdminUserPassword,
        AuthFlow::AdminNoSrp,
        AuthFlow::RefreshTokenAuth,
        AuthFlow::RefreshToken,
        AuthFlow::UserSrp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AuthFlow::UserPassword => "USER_PASSWORD_AUTH",
            AuthFlow::AdminUserPassword => "ADMIN_USER_PASSWORD_AUTH",
            AuthFlow::AdminNoSrp => "ADMIN_NO_SRP_AUTH",
            AuthFlow::RefreshTokenAuth => "REFRESH_TOKEN_AUTH",
            AuthFlow::RefreshToken => "REFRESH_TOKEN",
            AuthFlow::UserSrp => "USER_SRP_AUTH",
        }
    }

    /// The flow a request names; `None` for one this server does not offer (custom auth, user auth).
    pub fn parse(name: &str) -> Option<AuthFlow> {
        AuthFlow::ALL.into_iter().find(|flow| flow.name() == name)
    }
}

/// A RespondToAuthChallenge or AdminRespondToAuthChallenge call.
#[derive(Debug, Clone)]
pub struct ChallengeAnswer {
    pub client_id: ClientId,
    pub challenge_name: String,
    pub session: Option<String>,
    pub responses: BTreeMap<String, String>,
    pub admin_pool: Option<UserPoolId>,
}

/// Tokens, or another step to take first.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    Tokens(Tokens),
    /// `session` is absent for PASSWORD_VERIFIER, whose state travels in `SECRET_BLOCK`, as in Cognito.
    Challenge { name: ChallengeName, session: Option<String>, parameters: BTreeMap<String, String> },
}

const INCORRECT: &str = "Incorrect username or password.";
const ATTEMPTS_EXCEEDED: &str = "Password attempts exceeded";
/// The challenges a sign-in can answer with, by Cognito's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeName {
    /// An admin-created user signs in with the temporary password and must choose a new one.
    NewPasswordRequired,
    /// The SRP step: the client proves it knows the password.
    PasswordVerifier,
    /// A user with a software token gives its current code.
    SoftwareTokenMfa,
    /// A user of a pool that requires MFA sets up a software token before signing in.
    MfaSetup,
}

impl ChallengeName {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeName::NewPasswordRequired => "NEW_PASSWORD_REQUIRED",
            ChallengeName::PasswordVerifier => "PASSWORD_VERIFIER",
            ChallengeName::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            ChallengeName::MfaSetup => "MFA_SETUP",
        }
    }

    /// The challenge an answer names; `None` for one this server never asks (SMS codes, custom challenges).
    pub fn parse(name: &str) -> Option<ChallengeName> {
        [ChallengeName::NewPasswordRequired, ChallengeName::PasswordVerifier, ChallengeName::SoftwareTokenMfa, ChallengeName::MfaSetup]
            .into_iter()
            .find(|challenge| challenge.as_str() == name)
    }
}

impl PartialEq<&str> for ChallengeName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

pub(super) fn required<'a>(parameters: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str> {
    parameters
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| ServiceError::Invalid(format!("Missing required parameter {name}")))
}

impl UserPools {
    async fn context_for(&self, client_id: &ClientId, admin_pool: Option<&UserPoolId>) -> Result<ClientContext> {
        let context = self.client_and_pool(client_id).await?;
        if let Some(pool_id) = admin_pool {
            self.pool(pool_id).await?;
            if &context.pool_id != pool_id {
                return Err(ServiceError::NotFound(format!("User pool client {client_id} does not exist.")));
            }
        }
        Ok(context)
    }

    pub async fn initiate_auth(&self, request: AuthRequest) -> Result<AuthOutcome> {
        let context = self.context_for(&request.client_id, request.admin_pool.as_ref()).await?;
        let admin = request.admin_pool.is_some();
        let parameters = &request.parameters;
        // The client is looked up first, so a flow this server does not offer is reported after an
        // unknown client, as Cognito orders them.
        match (AuthFlow::parse(&request.flow), admin) {
            (Some(AuthFlow::UserPassword), false) | (Some(AuthFlow::AdminUserPassword | AuthFlow::AdminNoSrp), true) => {
                let flow = if admin { SignInFlow::AdminUserPassword } else { SignInFlow::UserPassword };
                if !context.client_config.allows(flow) {
                    return Err(ServiceError::Invalid(flow.refusal().to_owned()));
                }
                let username = Username::parse(required(parameters, "USERNAME")?)?;
                activity::note_pool_username(context.pool_id.as_str(), username.as_str(), Via::Password);
                let password = required(parameters, "PASSWORD")?;
                context.check_secret_hash(username.as_str(), parameters.get("SECRET_HASH").map(String::as_str))?;
                let user = self.sign_in_with_password(&context, &username, password).await?;
                self.after_password(&context, user).await
            }
            (Some(AuthFlow::RefreshTokenAuth | AuthFlow::RefreshToken), _) => {
                let token = required(parameters, "REFRESH_TOKEN")?;
                let record = self.live_refresh_token(token, &request.client_id).await?;
                activity::note_pool_username(context.pool_id.as_str(), &record.username, Via::Token);
                let user = self.user(&context.pool_id, &record.username).await.map_err(|_| {
                    ServiceError::NotAuthorized("Invalid Refresh Token".to_owned())
                })?;
                if context.client.secret.is_some() {
                    let given = parameters.get("SECRET_HASH").map(String::as_str);
                    // Clients compute it over the username or, in pools with email sign-in, the sub.
                    if context.check_secret_hash(&user.username, given).is_err() {
                        context.check_secret_hash(&user.sub, given)?;
                    }
                }
                if !user.enabled {
                    return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
                }
                let tokens = self.mint_tokens(&context.client.client_id, &context.client_config, &user, Some(&record)).await?;
                Ok(AuthOutcome::Tokens(tokens))
            }
            (Some(AuthFlow::UserSrp), _) => {
                if !context.client_config.allows(SignInFlow::UserSrp) {
                    return Err(ServiceError::Invalid(SignInFlow::UserSrp.refusal().to_owned()));
                }
                let username = Username::parse(required(parameters, "USERNAME")?)?;
                activity::note_pool_username(context.pool_id.as_str(), username.as_str(), Via::Password);
                let srp_a = required(parameters, "SRP_A")?;
                context.check_secret_hash(username.as_str(), parameters.get("SECRET_HASH").map(String::as_str))?;
                self.start_srp(&context, &username, srp_a).await
            }
            // A password flow called through the other entry point (USER_PASSWORD_AUTH on the admin call,
            // the admin flows on the public one) is as unsupported there as an unknown name.
            (None | Some(AuthFlow::UserPassword | AuthFlow::AdminUserPassword | AuthFlow::AdminNoSrp), _) => {
                Err(ServiceError::Invalid(format!("Initiate Auth method not supported: {}", request.flow)))
            }
        }
    }

    pub async fn respond_to_auth_challenge(&self, answer: ChallengeAnswer) -> Result<AuthOutcome> {
        let context = self.context_for(&answer.client_id, answer.admin_pool.as_ref()).await?;
        match ChallengeName::parse(&answer.challenge_name) {
            Some(ChallengeName::PasswordVerifier) => return self.finish_srp(&context, &answer).await,
            Some(ChallengeName::SoftwareTokenMfa) => return self.answer_software_token(&context, &answer).await,
            Some(ChallengeName::MfaSetup) => return self.answer_mfa_setup(&context, &answer).await,
            Some(ChallengeName::NewPasswordRequired) => {}
            None => {
                return Err(ServiceError::Invalid(format!("Challenge {} is not supported", answer.challenge_name)));
            }
        }
        let username = Username::parse(required(&answer.responses, "USERNAME")?)?;
        activity::note_pool_username(context.pool_id.as_str(), username.as_str(), Via::Password);
        let new_password = required(&answer.responses, "NEW_PASSWORD")?;
        context.check_secret_hash(username.as_str(), answer.responses.get("SECRET_HASH").map(String::as_str))?;
        context.pool_config.password_policy.check(new_password)?;
        let expired = || ServiceError::NotAuthorized("Invalid session for the user, session is expired.".to_owned());
        let session = answer.session.as_deref().ok_or_else(expired)?;
        let record = self.store.take_auth_session(&digest::sha256_hex(session.as_bytes())).await?.ok_or_else(expired)?;
        if record.expires_at < self.now()
            || record.client_id != context.client.client_id
            || record.challenge != ChallengeName::NewPasswordRequired.as_str()
            || record.username != username.as_str()
        {
            return Err(expired());
        }
        let mut user = self.user(&context.pool_id, &record.username).await?;
        if user.status != UserStatus::ForceChangePassword {
            return Err(expired());
        }
        let mut attributes: Attributes = user.attributes.clone();
        for (name, value) in &answer.responses {
            if let Some(attribute) = name.strip_prefix("userAttributes.") {
                if attribute == "sub" || attribute.ends_with("_verified") {
                    return Err(ServiceError::NotAuthorized(format!(
                        "Cannot modify an already provided {attribute} attribute"
                    )));
                }
                attributes.insert(attribute.to_owned(), value.clone());
            }
        }
        let now = self.now();
        self.password_material(&user.pool_id, &user.username, new_password).await?.apply(&mut user, now);
        user.status = UserStatus::Confirmed;
        user.attributes = attributes;
        user.updated_at = now;
        self.save_user(&user).await?;
        if let Some(challenge) = self.mfa_challenge(&context, &user).await? {
            return Ok(challenge);
        }
        self.signed_in(&context, &user).await
    }

    pub async fn get_tokens_from_refresh_token(
        &self,
        client_id: &ClientId,
        client_secret: Option<&str>,
        refresh_token: &str,
    ) -> Result<Tokens> {
        let context = self.client_and_pool(client_id).await?;
        check_client_secret(&context, client_secret)?;
        let record = self.live_refresh_token(refresh_token, client_id).await?;
        activity::note_pool_username(context.pool_id.as_str(), &record.username, Via::Token);
        let user = self
            .user(&context.pool_id, &record.username)
            .await
            .map_err(|_| ServiceError::NotAuthorized("Invalid Refresh Token".to_owned()))?;
        if !user.enabled {
            return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
        }
        self.mint_tokens(&context.client.client_id, &context.client_config, &user, Some(&record)).await
    }

    /// Ends every session of the user behind the access token.
    pub async fn global_sign_out(&self, access_token: &str) -> Result<()> {
        let authenticated = self.authenticate_access_token(access_token).await?;
        self.store.revoke_user_refresh_tokens(&authenticated.user.pool_id, &authenticated.user.username).await?;
        Ok(())
    }

    pub async fn admin_user_global_sign_out(&self, pool_id: &UserPoolId, username: &Username) -> Result<()> {
        self.pool(pool_id).await?;
        let user = self.user(pool_id, username.as_str()).await?;
        self.store.revoke_user_refresh_tokens(&user.pool_id, &user.username).await?;
        Ok(())
    }

    /// Revokes a refresh token and, through its `origin_jti`, every token minted from it.
    pub async fn revoke_token(&self, client_id: &ClientId, client_secret: Option<&str>, token: &str) -> Result<()> {
        let context = self.client_and_pool(client_id).await?;
        check_client_secret(&context, client_secret)?;
        if s3cognito_crypto::jwt::decode_unverified(token).is_ok() {
            return Err(ServiceError::WrongTokenType(
                "The token provided is not a refresh token; only refresh tokens can be revoked.".to_owned(),
            ));
        }
        let hash = refresh_token_hash(token);
        match self.store.refresh_token(&hash).await? {
            Some(record) if record.client_id == client_id.as_str() => {
                self.store.revoke_refresh_token(&hash).await?;
                Ok(())
            }
            Some(_) => Err(ServiceError::NotAuthorized("Client is not authorized to revoke this token".to_owned())),
            // As RFC 7009 asks: revoking an unknown token succeeds and reveals nothing.
            None => Ok(()),
        }
    }

    /// Checks a password with Cognito's lockout: after a few failures in a row the user is refused
    /// for a while, doubling with every further failure.
    pub(super) async fn check_password_with_lockout(&self, user: &User, password: &str) -> Result<()> {
        self.check_not_locked(user)?;
        if self.verify_password(password, user.password_hash.as_deref()).await? {
            self.record_sign_in_success(user).await
        } else {
            Err(self.record_sign_in_failure(user).await)
        }
    }

    /// During a lockout attempts are refused without checking anything.
    pub(super) fn check_not_locked(&self, user: &User) -> Result<()> {
        if user.locked_until > self.now() {
            return Err(ServiceError::NotAuthorized(ATTEMPTS_EXCEEDED.to_owned()));
        }
        Ok(())
    }

    pub(super) async fn record_sign_in_success(&self, user: &User) -> Result<()> {
        if user.failed_sign_ins != 0 || user.locked_until != 0 {
            self.store.reset_failed_sign_ins(&user.pool_id, &user.username).await?;
        }
        Ok(())
    }

    /// Counts a failure, locks the user once there are enough, and returns the error to answer with.
    async fn record_sign_in_failure(&self, user: &User) -> ServiceError {
        match self.count_failure(user).await {
            Ok(true) => self.lockout_error(),
            Ok(false) => ServiceError::NotAuthorized(INCORRECT.to_owned()),
            Err(error) => error,
        }
    }

    /// Counts a failed proof (a password, a one-time code) toward the user's lockout, and locks the user
    /// once there are enough; true when the user is now locked.
    pub(super) async fn count_failure(&self, user: &User) -> Result<bool> {
        metrics::counter!("s3cognito_sign_ins_total", "outcome" => "failure").increment(1);
        let failures = self.store.record_failed_sign_in(&user.pool_id, &user.username).await?;
        let settings = &self.settings;
        if failures < settings.lockout_threshold {
            return Ok(false);
        }
        let doublings = (failures - settings.lockout_threshold).min(20) as u32;
        let lock = (settings.lockout_base_seconds << doublings).min(settings.lockout_max_seconds);
        self.store.lock_user_until(&user.pool_id, &user.username, self.now() + lock).await?;
        tracing::warn!(pool = %user.pool_id, failures, lock_seconds = lock, "user locked after failed sign-ins");
        metrics::counter!("s3cognito_lockouts_total").increment(1);
        activity::note_notable(Notable::UserLockedOut);
        Ok(true)
    }

    /// The tokens a sign-in ends with, every step of it passed: counted as a sign-in.
    pub(super) async fn signed_in(&self, context: &ClientContext, user: &User) -> Result<AuthOutcome> {
        let tokens = self.mint_tokens(&context.client.client_id, &context.client_config, user, None).await?;
        metrics::counter!("s3cognito_sign_ins_total", "outcome" => "success").increment(1);
        Ok(AuthOutcome::Tokens(tokens))
    }

    /// What a locked user is told.
    pub(super) fn lockout_error(&self) -> ServiceError {
        ServiceError::NotAuthorized(ATTEMPTS_EXCEEDED.to_owned())
    }

    /// The password step shared by every password flow; an unknown user costs the same time and
    /// gets the same answer as a wrong password.
    async fn sign_in_with_password(
        &self,
        context: &ClientContext,
        username: &Username,
        password: &str,
    ) -> Result<User> {
        let Some(user) = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await? else {
            if context.reveals_missing_users() {
                self.verify_password(password, None).await?;
                return Err(ServiceError::UserNotFound);
            }
            // As a locked user's attempts are refused without checking anything, so are a locked name's.
            if self.nobody_is_locked(context, username.as_str()).await? {
                return Err(ServiceError::NotAuthorized(ATTEMPTS_EXCEEDED.to_owned()));
            }
            self.verify_password(password, None).await?;
            return Err(self.sign_in_failure_for_nobody(context, username.as_str()).await);
        };
        self.check_password_with_lockout(&user, password).await?;
        if !user.enabled {
            return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
        }
        Ok(user)
    }

    /// Whether a name that matches no user has failed as often as locks a user out. Failures of such
    /// names are counted as a user's are, so that after a few of them the answer is the lockout's, as
    /// it would be for a user: otherwise the lockout itself would tell which names exist.
    async fn nobody_is_locked(&self, context: &ClientContext, name: &str) -> Result<bool> {
        let failures = self.limiter.stand_in_failures(&stand_in_key(context, name), self.stand_in_window()).await?;
        Ok(failures >= self.settings.lockout_threshold)
    }

    /// Counts a failed sign-in of a name that matches no user; the answer is what a user would get.
    async fn sign_in_failure_for_nobody(&self, context: &ClientContext, name: &str) -> ServiceError {
        metrics::counter!("s3cognito_sign_ins_total", "outcome" => "failure").increment(1);
        match self.limiter.stand_in_failure(&stand_in_key(context, name), self.stand_in_window()).await {
            Ok(failures) if failures >= self.settings.lockout_threshold => {
                // Counted as a user's lockout would be: to an operator, a name under attack is one either way.
                metrics::counter!("s3cognito_lockouts_total").increment(1);
                activity::note_notable(Notable::UserLockedOut);
                ServiceError::NotAuthorized(ATTEMPTS_EXCEEDED.to_owned())
            }
            Ok(_) => ServiceError::NotAuthorized(INCORRECT.to_owned()),
            Err(error) => error,
        }
    }

    /// A name's failures are forgotten after the longest lockout, as a user's lockout would have ended.
    fn stand_in_window(&self) -> i64 {
        self.settings.lockout_max_seconds.max(self.settings.lockout_base_seconds)
    }

    /// What follows a correct password: tokens, or the challenge the user's state calls for.
    async fn after_password(&self, context: &ClientContext, user: User) -> Result<AuthOutcome> {
        match user.status {
            UserStatus::Unconfirmed => Err(ServiceError::UserNotConfirmed),
            UserStatus::ResetRequired => Err(ServiceError::PasswordResetRequired),
            UserStatus::ForceChangePassword => {
                let validity_days = i64::from(context.pool_config.password_policy.temporary_password_validity_days);
                if user.password_set_at + validity_days * 86_400 < self.now() {
                    return Err(ServiceError::NotAuthorized(
                        "Temporary password has expired and must be reset by an administrator.".to_owned(),
                    ));
                }
                let session = self.new_session(context, &user.username, ChallengeName::NewPasswordRequired, "{}".to_owned()).await?;
                let mut attributes: Attributes = user.attributes.clone();
                attributes.remove("sub");
                let parameters = BTreeMap::from([
                    ("USER_ID_FOR_SRP".to_owned(), user.username.clone()),
                    ("requiredAttributes".to_owned(), "[]".to_owned()),
                    ("userAttributes".to_owned(), serde_json::to_string(&attributes)?),
                ]);
                Ok(AuthOutcome::Challenge { name: ChallengeName::NewPasswordRequired, session: Some(session), parameters })
            }
            _ => {
                if let Some(challenge) = self.mfa_challenge(context, &user).await? {
                    return Ok(challenge);
                }
                self.signed_in(context, &user).await
            }
        }
    }
}

/// What a PASSWORD_VERIFIER answer needs from the USER_SRP_AUTH step, sealed in the session row.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct SrpState {
    srp_a: String,
    /// The server's secret exponent, hex.
    b: String,
    srp_b: String,
    salt: String,
    /// False when the user does not exist (or has no verifier): the challenge is a stand-in.
    known: bool,
}

const SRP_SESSION_BINDING: &[u8] = b"srp-session";

impl UserPools {
    fn open_verifier(&self, user: &User, sealed: &str) -> Result<Vec<u8>> {
        use base64::Engine as _;
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| ServiceError::Internal("stored SRP verifier is not base64".to_owned()))?;
        self.settings
            .sealing_key
            .open(&sealed, &verifier_binding(&user.pool_id, &user.username))
            .map_err(|_| ServiceError::Internal("stored SRP verifier does not open with this server's key".to_owned()))
    }

    /// USER_SRP_AUTH: answers with the PASSWORD_VERIFIER challenge. An unknown user gets a stand-in
    /// challenge (a stable salt, a random verifier) that looks the same and can never be answered.
    async fn start_srp(&self, context: &ClientContext, username: &Username, srp_a: &str) -> Result<AuthOutcome> {
        use base64::Engine as _;
        srp::parse_client_public(srp_a).map_err(|_| ServiceError::Invalid("Invalid SRP_A".to_owned()))?;
        let user = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await?;
        let material = user.as_ref().and_then(|user| Some((user, user.srp_salt.clone()?, user.srp_verifier.clone()?)));
        let (salt, verifier, known) = match material {
            Some((user, salt, sealed)) => (salt, self.open_verifier(user, &sealed)?, true),
            None => {
                let key = self.settings.sealing_key.to_bytes();
                let seed = format!("srp-stand-in-salt\n{}\n{}", context.pool_id, username);
                let salt = srp::salt_hex(&digest::hmac_sha256(&key, seed.as_bytes())[..16]);
                (salt, random::random_bytes(srp::VERIFIER_LEN), false)
            }
        };
        let ephemeral = self.work.run(move |_| srp::server_ephemeral(&verifier)).await?;
        let secret_block = base64::engine::general_purpose::STANDARD.encode(random::random_bytes(64));
        let internal_username = user.as_ref().map_or(username.to_string(), |user| user.username.clone());
        let state = SrpState {
            srp_a: srp_a.to_owned(),
            b: hex::encode(&ephemeral.b),
            srp_b: ephemeral.srp_b_hex.clone(),
            salt: salt.clone(),
            known,
        };
        let sealed = self.settings.sealing_key.seal(&serde_json::to_vec(&state)?, SRP_SESSION_BINDING);
        self.store
            .insert_auth_session(&AuthSessionRecord {
                session_hash: digest::sha256_hex(secret_block.as_bytes()),
                pool_id: context.pool_id.to_string(),
                client_id: context.client.client_id.clone(),
                username: internal_username.clone(),
                challenge: ChallengeName::PasswordVerifier.as_str().to_owned(),
                data: base64::engine::general_purpose::STANDARD.encode(sealed),
                expires_at: self.now() + context.client_config.auth_session_validity_minutes * 60,
            })
            .await?;
        let parameters = BTreeMap::from([
            ("SALT".to_owned(), salt),
            ("SRP_B".to_owned(), ephemeral.srp_b_hex),
            ("SECRET_BLOCK".to_owned(), secret_block),
            ("USERNAME".to_owned(), internal_username.clone()),
            ("USER_ID_FOR_SRP".to_owned(), internal_username),
        ]);
        Ok(AuthOutcome::Challenge { name: ChallengeName::PasswordVerifier, session: None, parameters })
    }

    /// PASSWORD_VERIFIER: checks the client's proof of the password, with the same lockout
    /// accounting as the password flows, then goes on as a correct password would.
    async fn finish_srp(&self, context: &ClientContext, answer: &ChallengeAnswer) -> Result<AuthOutcome> {
        use base64::Engine as _;
        let responses = &answer.responses;
        let username = Username::parse(required(responses, "USERNAME")?)?;
        activity::note_pool_username(context.pool_id.as_str(), username.as_str(), Via::Password);
        let secret_block = required(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        let signature = required(responses, "PASSWORD_CLAIM_SIGNATURE")?;
        let timestamp = required(responses, "TIMESTAMP")?;
        context.check_secret_hash(username.as_str(), responses.get("SECRET_HASH").map(String::as_str))?;
        let incorrect = || ServiceError::NotAuthorized(INCORRECT.to_owned());
        let record = self
            .store
            .take_auth_session(&digest::sha256_hex(secret_block.as_bytes()))
            .await?
            .ok_or_else(incorrect)?;
        if record.expires_at < self.now()
            || record.client_id != context.client.client_id
            || record.challenge != ChallengeName::PasswordVerifier.as_str()
            || record.username != username.as_str()
        {
            return Err(incorrect());
        }
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&record.data)
            .map_err(|_| ServiceError::Internal("stored SRP state is not base64".to_owned()))?;
        let state: SrpState = serde_json::from_slice(
            &self
                .settings
                .sealing_key
                .open(&sealed, SRP_SESSION_BINDING)
                .map_err(|_| ServiceError::Internal("stored SRP state does not open".to_owned()))?,
        )?;
        let user = match self.store.user(context.pool_id.as_str(), &record.username).await? {
            Some(user) if state.known => User::decode(user)?,
            Some(_) => return Err(incorrect()),
            None => {
                if self.nobody_is_locked(context, &record.username).await? {
                    return Err(ServiceError::NotAuthorized(ATTEMPTS_EXCEEDED.to_owned()));
                }
                return Err(self.sign_in_failure_for_nobody(context, &record.username).await);
            }
        };
        self.check_not_locked(&user)?;
        let sealed_verifier = user.srp_verifier.clone().ok_or_else(incorrect)?;
        let verifier = self.open_verifier(&user, &sealed_verifier)?;
        let check = srp::ServerClaimCheck {
            pool_suffix: context.pool_id.suffix().to_owned(),
            username: user.username.clone(),
            salt_hex: state.salt,
            verifier,
            srp_a_hex: state.srp_a,
            b: hex::decode(&state.b).map_err(|_| ServiceError::Internal("stored SRP state is malformed".to_owned()))?,
            srp_b_hex: state.srp_b,
            secret_block_b64: secret_block.to_owned(),
            timestamp: timestamp.to_owned(),
            claimed_signature_b64: signature.to_owned(),
        };
        let verified = self.work.run(move |_| srp::verify_claim(&check)).await?.unwrap_or(false);
        if !verified {
            return Err(self.record_sign_in_failure(&user).await);
        }
        self.record_sign_in_success(&user).await?;
        if !user.enabled {
            return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
        }
        self.after_password(context, user).await
    }
}

fn stand_in_key(context: &ClientContext, name: &str) -> String {
    format!("sign-in-failures:{}:{}", context.pool_id, name.to_lowercase())
}

fn check_client_secret(context: &ClientContext, given: Option<&str>) -> Result<()> {
    let Some(secret) = &context.client.secret else {
        return Ok(());
    };
    let client_id = &context.client.client_id;
    match given {
        Some(given) if s3cognito_crypto::compare::constant_time_eq(secret.as_bytes(), given.as_bytes()) => Ok(()),
        Some(_) => Err(ServiceError::NotAuthorized(format!("Unable to verify secret for client {client_id}"))),
        None => Err(ServiceError::NotAuthorized(format!(
            "Client {client_id} is configured with secret but ClientSecret was not received"
        ))),
    }
}
