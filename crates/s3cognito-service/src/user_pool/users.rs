//! Users: sign-up and confirmation, attributes, passwords and their reset, and the admin calls on users.

use s3cognito_crypto::{digest, random};
use s3cognito_meta::CodeRecord;
use s3cognito_types::{ClientId, UserPoolId, Username};

use super::{Attributes, ClientContext, User, UserPools, UserStatus, decode_page_token, encode_page_token, mask_email};
use crate::error::{InvalidMember, Result, ServiceError};
use crate::mail::Mail;

/// What a one-time code is for; each user holds at most one code per purpose.
#[derive(Debug, Clone, Copy)]
pub(super) enum CodePurpose {
    SignUp,
    ResetPassword,
    VerifyEmail,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignUp => "sign_up",
            CodePurpose::ResetPassword => "reset_password",
            CodePurpose::VerifyEmail => "verify_email",
        }
    }
}

/// Wrong guesses allowed on one code before it is thrown away.
const CODE_ATTEMPTS: i64 = 5;

/// Attributes Cognito defines for every pool; anything else must be `custom:`.
const STANDARD_ATTRIBUTES: &[&str] = &[
    "address", "birthdate", "email", "email_verified", "family_name", "gender", "given_name", "locale",
    "middle_name", "name", "nickname", "phone_number", "phone_number_verified", "picture",
    "preferred_username", "profile", "updated_at", "website", "zoneinfo",
];

/// Where a code went, masked as Cognito shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDelivery {
    pub destination: String,
    pub medium: &'static str,
    pub attribute: &'static str,
}

#[derive(Debug, Clone)]
pub struct SignUpOutcome {
    pub user_confirmed: bool,
    pub delivery: Option<CodeDelivery>,
    pub user_sub: String,
}

/// A user as the API shows it.
#[derive(Debug, Clone)]
pub struct UserView {
    pub username: String,
    pub attributes: Attributes,
    pub status: UserStatus,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Its MFA factors, as GetUser and AdminGetUser show them (not filled in listings).
    pub mfa: super::mfa::UserMfa,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            username: user.username.clone(),
            attributes: user.attributes.clone(),
            status: user.status,
            enabled: user.enabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
            mfa: super::mfa::UserMfa::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ListUsersPage {
    pub users: Vec<UserView>,
    pub next: Option<String>,
}

/// Checks names and values against the schema; `admin` may also set the `*_verified` flags,
/// whose values are stored as Cognito shows them: `true` or `false`.
fn check_attributes(attributes: &mut [(String, String)], admin: bool) -> Result<()> {
    for (name, value) in attributes.iter_mut() {
        if name.ends_with("_verified") {
            *value = match value.to_ascii_lowercase().as_str() {
                "true" => "true".to_owned(),
                "false" => "false".to_owned(),
                _ => {
                    return Err(ServiceError::Invalid(format!(
                        "{name} must be true or false"
                    )));
                }
            };
        }
        let known = STANDARD_ATTRIBUTES.contains(&name.as_str())
            || (name.starts_with("custom:") && name.len() > "custom:".len());
        if !known {
            return Err(ServiceError::Invalid(format!(
                "Attributes did not conform to the schema: {name}: Attribute does not exist in the schema.\n"
            )));
        }
        if !admin && (name == "email_verified" || name == "phone_number_verified") {
            return Err(ServiceError::NotAuthorized(format!(
                "A client attempted to write unauthorized attribute {name}"
            )));
        }
        if value.chars().count() > 2048 {
            return Err(ServiceError::Invalid(format!("Attribute value for {name} must not be longer than 2048")));
        }
        if name == "email" && !looks_like_email(value) {
            return Err(ServiceError::Invalid("Invalid email address format.".to_owned()));
        }
    }
    Ok(())
}

fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '>')
        }
        None => false,
    }
}

/// A user not yet stored, without a password: the caller sets one with `password_material`.
fn new_user(pool_id: &UserPoolId, username: String, sub: &str, status: UserStatus, attributes: Attributes, now: i64) -> User {
    User {
        pool_id: pool_id.to_string(),
        username,
        sub: sub.to_owned(),
        status,
        enabled: true,
        attributes,
        password_hash: None,
        srp_salt: None,
        srp_verifier: None,
        password_set_at: now,
        failed_sign_ins: 0,
        locked_until: 0,
        created_at: now,
        updated_at: now,
    }
}

fn code_hash(pool_id: &str, username: &str, code: &str) -> String {
    digest::sha256_hex(format!("{pool_id}\n{username}\n{code}").as_bytes())
}

/// What setting a password stores: the Argon2id hash for the password flows, and the SRP salt and
/// verifier (sealed with the server's key, so a copy of the database alone allows no offline guessing).
pub(super) struct PasswordMaterial {
    hash: String,
    srp_salt: String,
    srp_verifier: String,
}

impl PasswordMaterial {
    pub(super) fn apply(self, user: &mut User, now: i64) {
        user.password_hash = Some(self.hash);
        user.srp_salt = Some(self.srp_salt);
        user.srp_verifier = Some(self.srp_verifier);
        user.password_set_at = now;
    }
}

/// The associated data binding a sealed verifier to its user, so it cannot be moved to another.
pub(super) fn verifier_binding(pool_id: &str, username: &str) -> Vec<u8> {
    format!("srp-verifier\n{pool_id}\n{username}").into_bytes()
}

impl UserPools {
    /// Argon2 and the SRP exponentiation are deliberately slow: they run on the bounded workers.
    pub(super) async fn password_material(&self, pool_id: &str, username: &str, password: &str) -> Result<PasswordMaterial> {
        let pool_suffix = pool_id.split_once('_').map(|(_, suffix)| suffix).unwrap_or_default().to_owned();
        let (username, password, pool_id) = (username.to_owned(), password.to_owned(), pool_id.to_owned());
        let sealing_key = self.settings.sealing_key.clone();
        self.work
            .run(move |work| {
                let hash = work.hash(&password)?;
                let verifier = s3cognito_crypto::srp::new_verifier(&pool_suffix, &username, &password);
                let sealed = sealing_key.seal(&verifier.verifier, &verifier_binding(&pool_id, &username));
                use base64::Engine as _;
                Ok(PasswordMaterial {
                    hash,
                    srp_salt: verifier.salt_hex,
                    srp_verifier: base64::engine::general_purpose::STANDARD.encode(sealed),
                })
            })
            .await?
    }

    /// Whether `password` matches the stored `hash`; with no hash (no such user) it costs the same and fails.
    pub(super) async fn verify_password(&self, password: &str, hash: Option<&str>) -> Result<bool> {
        let password = password.to_owned();
        let hash = hash.map(str::to_owned);
        self.work
            .run(move |work| match hash {
                Some(hash) => work.verify(&password, &hash),
                None => {
                    work.dummy_verify(&password);
                    false
                }
            })
            .await
    }
}

impl UserPools {
    // ---- public calls ----

    pub async fn sign_up(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        username: Username,
        password: &str,
        mut attributes: Vec<(String, String)>,
    ) -> Result<SignUpOutcome> {
        let context = self.client_and_pool(client_id).await?;
        crate::activity::note_pool_username(context.pool_id.as_str(), username.as_str(), crate::activity::Via::Password);
        context.check_secret_hash(username.as_str(), secret_hash)?;
        if context.pool_config.allow_admin_create_user_only {
            return Err(ServiceError::NotAuthorized("SignUp is not permitted for this user pool".to_owned()));
        }
        check_attributes(&mut attributes, false)?;
        context.pool_config.password_policy.check(password)?;
        let now = self.now();
        let sub = uuid::Uuid::new_v4().to_string();
        let mut stored: Attributes = attributes.into_iter().collect();
        stored.insert("sub".to_owned(), sub.clone());
        let internal_username = self.name_new_user(&context.pool_id, &context.pool_config, &username, &mut stored, &sub).await?;
        if stored.contains_key("email") {
            stored.insert("email_verified".to_owned(), "false".to_owned());
        }
        let mut user = new_user(&context.pool_id, internal_username, &sub, UserStatus::Unconfirmed, stored.clone(), now);
        self.password_material(&user.pool_id, &user.username, password).await?.apply(&mut user, now);
        self.insert_user(&user).await?;
        let delivery = match stored.get("email") {
            Some(email) if context.pool_config.auto_verified_attributes.iter().any(|a| a == "email") => {
                match self.send_code(&context.pool_id, &user, email, CodePurpose::SignUp).await {
                    Ok(delivery) => Some(delivery),
                    Err(error) => {
                        // Without its code the account could never be confirmed: take it back, so
                        // the user can simply sign up again.
                        self.store.delete_user(&user.pool_id, &user.username).await?;
                        return Err(error);
                    }
                }
            }
            _ => None,
        };
        Ok(SignUpOutcome { user_confirmed: false, delivery, user_sub: sub })
    }

    pub async fn confirm_sign_up(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        username: &Username,
        code: &str,
    ) -> Result<()> {
        let context = self.client_and_pool(client_id).await?;
        crate::activity::note_pool_username(context.pool_id.as_str(), username.as_str(), crate::activity::Via::Password);
        context.check_secret_hash(username.as_str(), secret_hash)?;
        let Some(mut user) = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await? else {
            return Err(self.wrong_guess_for_nobody(&context, username).await);
        };
        if user.status != UserStatus::Unconfirmed {
            return Err(ServiceError::NotAuthorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status
            )));
        }
        if let (true, Some(email)) = (context.pool_config.email_is_alias(), user.email_index()) {
            for other in self.store.users_by_email(context.pool_id.as_str(), &email).await? {
                let other = User::decode(other)?;
                if other.username != user.username && other.email_verified() {
                    return Err(ServiceError::AliasExists);
                }
            }
        }
        self.use_code(&context.pool_id, &user.username, CodePurpose::SignUp, code).await?;
        user.status = UserStatus::Confirmed;
        let mut attributes: Attributes = user.attributes.clone();
        if attributes.contains_key("email") {
            attributes.insert("email_verified".to_owned(), "true".to_owned());
        }
        user.attributes = attributes;
        user.updated_at = self.now();
        self.save_user(&user).await?;
        Ok(())
    }

    pub async fn resend_confirmation_code(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        username: &Username,
    ) -> Result<CodeDelivery> {
        let context = self.client_and_pool(client_id).await?;
        crate::activity::note_pool_username(context.pool_id.as_str(), username.as_str(), crate::activity::Via::Password);
        context.check_secret_hash(username.as_str(), secret_hash)?;
        let Some(user) = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await? else {
            self.limiter.code_sent(context.pool_id.as_str(), username.as_str()).await?;
            return self.fake_delivery(&context, username).await;
        };
        self.limiter.code_sent(context.pool_id.as_str(), &user.username).await?;
        let started = std::time::Instant::now();
        if user.status != UserStatus::Unconfirmed {
            return Err(ServiceError::Invalid("User is already confirmed.".to_owned()));
        }
        let attributes: &Attributes = &user.attributes;
        let email = attributes.get("email").ok_or_else(|| {
            ServiceError::Invalid("Auto verification not turned on.".to_owned())
        })?;
        let delivery = self.send_code(&context.pool_id, &user, email, CodePurpose::SignUp).await;
        self.delivery_cost.record(started.elapsed());
        delivery
    }

    pub async fn forgot_password(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        username: &Username,
    ) -> Result<CodeDelivery> {
        let context = self.client_and_pool(client_id).await?;
        crate::activity::note_pool_username(context.pool_id.as_str(), username.as_str(), crate::activity::Via::Password);
        context.check_secret_hash(username.as_str(), secret_hash)?;
        let Some(user) = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await? else {
            self.limiter.code_sent(context.pool_id.as_str(), username.as_str()).await?;
            return self.fake_delivery(&context, username).await;
        };
        self.limiter.code_sent(context.pool_id.as_str(), &user.username).await?;
        let started = std::time::Instant::now();
        let delivery = self.send_reset_code(&context, &user).await;
        self.delivery_cost.record(started.elapsed());
        delivery
    }

    async fn send_reset_code(&self, context: &ClientContext, user: &User) -> Result<CodeDelivery> {
        if !user.enabled {
            return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
        }
        if user.status == UserStatus::ForceChangePassword {
            return Err(ServiceError::NotAuthorized("User password cannot be reset in the current state.".to_owned()));
        }
        let attributes: &Attributes = &user.attributes;
        let email = attributes.get("email").ok_or_else(|| {
            ServiceError::Invalid(
                "Cannot reset password for the user as there is no registered/verified email or phone_number"
                    .to_owned(),
            )
        })?;
        self.send_code(&context.pool_id, user, email, CodePurpose::ResetPassword).await
    }

    pub async fn confirm_forgot_password(
        &self,
        client_id: &ClientId,
        secret_hash: Option<&str>,
        username: &Username,
        code: &str,
        new_password: &str,
    ) -> Result<()> {
        let context = self.client_and_pool(client_id).await?;
        crate::activity::note_pool_username(context.pool_id.as_str(), username.as_str(), crate::activity::Via::Password);
        context.check_secret_hash(username.as_str(), secret_hash)?;
        context.pool_config.password_policy.check(new_password)?;
        let Some(mut user) = self.find_user(&context.pool_id, &context.pool_config, username.as_str()).await? else {
            return Err(self.wrong_guess_for_nobody(&context, username).await);
        };
        self.use_code(&context.pool_id, &user.username, CodePurpose::ResetPassword, code).await?;
        let now = self.now();
        self.password_material(&user.pool_id, &user.username, new_password).await?.apply(&mut user, now);
        user.updated_at = now;
        if user.status == UserStatus::ResetRequired || user.status == UserStatus::Unconfirmed {
            // The code reached the user's address, which proves it as confirmation would.
            user.status = UserStatus::Confirmed;
            let mut attributes: Attributes = user.attributes.clone();
            attributes.insert("email_verified".to_owned(), "true".to_owned());
            user.attributes = attributes;
        }
        self.save_user(&user).await?;
        self.store.reset_failed_sign_ins(&user.pool_id, &user.username).await?;
        Ok(())
    }

    pub async fn get_user(&self, access_token: &str) -> Result<UserView> {
        let authenticated = self.authenticate_access_token(access_token).await?;
        let mfa = self.user_mfa(&authenticated.user).await?;
        Ok(UserView { mfa, ..UserView::from(&authenticated.user) })
    }

    pub async fn update_user_attributes(
        &self,
        access_token: &str,
        mut attributes: Vec<(String, String)>,
    ) -> Result<Vec<CodeDelivery>> {
        let authenticated = self.authenticate_access_token(access_token).await?;
        check_attributes(&mut attributes, false)?;
        self.write_attributes(authenticated.user, attributes, false).await
    }

    pub async fn verify_user_attribute(&self, access_token: &str, attribute: &str, code: &str) -> Result<()> {
        let authenticated = self.authenticate_access_token(access_token).await?;
        if attribute != "email" {
            return Err(ServiceError::Invalid(format!("Cannot verify attribute {attribute}")));
        }
        let pool_id = UserPoolId::parse(authenticated.user.pool_id.clone())?;
        self.use_code(&pool_id, &authenticated.user.username, CodePurpose::VerifyEmail, code).await?;
        let mut user = authenticated.user;
        let mut attributes: Attributes = user.attributes.clone();
        attributes.insert("email_verified".to_owned(), "true".to_owned());
        user.attributes = attributes;
        user.updated_at = self.now();
        self.save_user(&user).await?;
        Ok(())
    }

    pub async fn change_password(&self, access_token: &str, previous: &str, proposed: &str) -> Result<()> {
        let authenticated = self.authenticate_access_token(access_token).await?;
        let pool_id = UserPoolId::parse(authenticated.user.pool_id.clone())?;
        let (_, pool_config) = self.pool(&pool_id).await?;
        pool_config.password_policy.check(proposed)?;
        let mut user = authenticated.user;
        self.check_password_with_lockout(&user, previous).await?;
        let now = self.now();
        self.password_material(&user.pool_id, &user.username, proposed).await?.apply(&mut user, now);
        user.updated_at = now;
        self.save_user(&user).await?;
        Ok(())
    }

    // ---- admin calls ----

    pub async fn admin_create_user(
        &self,
        pool_id: &UserPoolId,
        username: Username,
        mut attributes: Vec<(String, String)>,
        temporary_password: Option<&str>,
        message_action: Option<&str>,
    ) -> Result<UserView> {
        let (_, pool_config) = self.pool(pool_id).await?;
        check_attributes(&mut attributes, true)?;
        let generated;
        let temporary_password = match temporary_password {
            Some(password) => {
                pool_config.password_policy.check(password)?;
                password
            }
            None => {
                generated = pool_config.password_policy.generate_temporary();
                &generated
            }
        };
        let now = self.now();
        if message_action == Some("RESEND") {
            let mut user = self.user(pool_id, username.as_str()).await?;
            if user.status != UserStatus::ForceChangePassword {
                return Err(ServiceError::Invalid(
                    "Resend not possible. User status is not FORCE_CHANGE_PASSWORD".to_owned(),
                ));
            }
            self.password_material(&user.pool_id, &user.username, temporary_password).await?.apply(&mut user, now);
            user.updated_at = now;
            self.save_user(&user).await?;
            self.send_invitation(&pool_config, &user, temporary_password).await?;
            return Ok(UserView::from(&user));
        }
        if let Some(action) = message_action.filter(|action| *action != "SUPPRESS") {
            return Err(InvalidMember::error(
                "messageAction",
                Some(action.to_owned()),
                "Member must satisfy enum value set: [RESEND, SUPPRESS]",
            ));
        }
        let sub = uuid::Uuid::new_v4().to_string();
        let mut stored: Attributes = attributes.into_iter().collect();
        stored.insert("sub".to_owned(), sub.clone());
        let internal_username = self.name_new_user(pool_id, &pool_config, &username, &mut stored, &sub).await?;
        let mut user = new_user(pool_id, internal_username, &sub, UserStatus::ForceChangePassword, stored.clone(), now);
        self.password_material(&user.pool_id, &user.username, temporary_password).await?.apply(&mut user, now);
        self.insert_user(&user).await?;
        if message_action.is_none() {
            self.send_invitation(&pool_config, &user, temporary_password).await?;
        }
        Ok(UserView::from(&user))
    }

    pub async fn admin_get_user(&self, pool_id: &UserPoolId, username: &Username) -> Result<UserView> {
        self.pool(pool_id).await?;
        let user = self.user(pool_id, username.as_str()).await?;
        let mfa = self.user_mfa(&user).await?;
        Ok(UserView { mfa, ..UserView::from(&user) })
    }

    /// Users matching `filter` (Cognito's `name = "value"` or `name ^= "value"`), a page at a time.
    pub async fn list_users(
        &self,
        pool_id: &UserPoolId,
        filter: Option<&str>,
        limit: Option<i64>,
        pagination_token: Option<&str>,
    ) -> Result<ListUsersPage> {
        self.pool(pool_id).await?;
        let limit = limit.unwrap_or(60);
        if !(1..=60).contains(&limit) {
            return Err(InvalidMember::error("limit", None, "Member must have value less than or equal to 60"));
        }
        let filter = filter.filter(|text| !text.trim().is_empty()).map(UserFilter::parse).transpose()?;
        let mut after = pagination_token.map(decode_page_token).transpose()?;
        let mut users = Vec::new();
        // Filtering happens here, so read in batches until the page is full or the pool is exhausted.
        loop {
            let batch = self.store.list_users(pool_id.as_str(), after.as_deref(), 200).await?;
            let exhausted = batch.len() < 200;
            for user in &batch {
                after = Some(user.username.clone());
                let view = UserView::from(&User::decode(user.clone())?);
                if filter.as_ref().is_none_or(|filter| filter.matches(&view)) {
                    users.push(view);
                    if users.len() as i64 == limit {
                        // Like Cognito, a full page carries a token even if the next page turns out empty.
                        return Ok(ListUsersPage { users, next: Some(encode_page_token(&user.username)) });
                    }
                }
            }
            if exhausted {
                return Ok(ListUsersPage { users, next: None });
            }
        }
    }

    pub async fn admin_delete_user(&self, pool_id: &UserPoolId, username: &Username) -> Result<()> {
        self.pool(pool_id).await?;
        let user = self.user(pool_id, username.as_str()).await?;
        if !self.store.delete_user(pool_id.as_str(), username.as_str()).await? {
            return Err(ServiceError::UserNotFound);
        }
        // Temporary AWS credentials issued from the user's tokens end with the user.
        self.store.revoke_session_credentials_of(&format!("{}|{}", user.pool_id, user.sub)).await?;
        Ok(())
    }

    pub async fn admin_confirm_sign_up(&self, pool_id: &UserPoolId, username: &Username) -> Result<()> {
        self.pool(pool_id).await?;
        let mut user = self.user(pool_id, username.as_str()).await?;
        if user.status != UserStatus::Unconfirmed {
            return Err(ServiceError::NotAuthorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status
            )));
        }
        user.status = UserStatus::Confirmed;
        user.updated_at = self.now();
        self.save_user(&user).await?;
        self.store.delete_code(&user.pool_id, &user.username, CodePurpose::SignUp.as_str()).await?;
        Ok(())
    }

    pub async fn admin_set_user_password(
        &self,
        pool_id: &UserPoolId,
        username: &Username,
        password: &str,
        permanent: bool,
    ) -> Result<()> {
        let (_, pool_config) = self.pool(pool_id).await?;
        pool_config.password_policy.check(password)?;
        let mut user = self.user(pool_id, username.as_str()).await?;
        let now = self.now();
        self.password_material(&user.pool_id, &user.username, password).await?.apply(&mut user, now);
        user.updated_at = now;
        user.status = if permanent { UserStatus::Confirmed } else { UserStatus::ForceChangePassword };
        self.save_user(&user).await?;
        self.store.reset_failed_sign_ins(&user.pool_id, &user.username).await?;
        Ok(())
    }

    pub async fn admin_reset_user_password(&self, pool_id: &UserPoolId, username: &Username) -> Result<()> {
        self.pool(pool_id).await?;
        let mut user = self.user(pool_id, username.as_str()).await?;
        let attributes: &Attributes = &user.attributes;
        let email = attributes.get("email").cloned().ok_or_else(|| {
            ServiceError::Invalid(
                "Cannot reset password for the user as there is no registered/verified email or phone_number"
                    .to_owned(),
            )
        })?;
        user.status = UserStatus::ResetRequired;
        user.updated_at = self.now();
        self.save_user(&user).await?;
        self.send_code(pool_id, &user, &email, CodePurpose::ResetPassword).await?;
        Ok(())
    }

    pub async fn admin_set_enabled(&self, pool_id: &UserPoolId, username: &Username, enabled: bool) -> Result<()> {
        self.pool(pool_id).await?;
        let mut user = self.user(pool_id, username.as_str()).await?;
        user.enabled = enabled;
        user.updated_at = self.now();
        self.save_user(&user).await?;
        if !enabled {
            // A disabled user's sessions end now, as in Cognito, and so do the temporary AWS
            // credentials issued from their tokens (Cognito would let those run out).
            self.store.revoke_user_refresh_tokens(&user.pool_id, &user.username).await?;
            self.store.revoke_session_credentials_of(&format!("{}|{}", user.pool_id, user.sub)).await?;
        }
        Ok(())
    }

    pub async fn admin_update_user_attributes(
        &self,
        pool_id: &UserPoolId,
        username: &Username,
        mut attributes: Vec<(String, String)>,
    ) -> Result<()> {
        self.pool(pool_id).await?;
        check_attributes(&mut attributes, true)?;
        let user = self.user(pool_id, username.as_str()).await?;
        self.write_attributes(user, attributes, true).await?;
        Ok(())
    }

    pub async fn admin_delete_user_attributes(
        &self,
        pool_id: &UserPoolId,
        username: &Username,
        names: Vec<String>,
    ) -> Result<()> {
        self.pool(pool_id).await?;
        let mut user = self.user(pool_id, username.as_str()).await?;
        let mut attributes: Attributes = user.attributes.clone();
        for name in names {
            if name == "sub" {
                return Err(ServiceError::Invalid("Cannot modify the non-mutable attribute sub".to_owned()));
            }
            attributes.remove(&name);
        }
        user.attributes = attributes;
        user.updated_at = self.now();
        self.save_user(&user).await?;
        Ok(())
    }

    // ---- shared steps ----

    /// The internal username of a new user. Where the email is the username, the name given must be
    /// an email no other user has; it becomes the `email` attribute and the username is the sub.
    async fn name_new_user(
        &self,
        pool_id: &UserPoolId,
        config: &super::config::PoolConfig,
        given: &Username,
        attributes: &mut Attributes,
        sub: &str,
    ) -> Result<String> {
        if !config.email_is_username() {
            return Ok(given.to_string());
        }
        if !looks_like_email(given.as_str()) {
            return Err(ServiceError::Invalid("Username should be an email.".to_owned()));
        }
        if !self.store.users_by_email(pool_id.as_str(), &given.as_str().to_lowercase()).await?.is_empty() {
            return Err(ServiceError::UsernameExists);
        }
        attributes.insert("email".to_owned(), given.to_string());
        Ok(sub.to_owned())
    }

    /// Applies attribute changes; a changed email is unverified again and, for users, gets a code.
    async fn write_attributes(
        &self,
        mut user: User,
        changes: Vec<(String, String)>,
        admin: bool,
    ) -> Result<Vec<CodeDelivery>> {
        let mut attributes: Attributes = user.attributes.clone();
        let old_email = attributes.get("email").cloned();
        for (name, value) in changes {
            if name == "sub" {
                return Err(ServiceError::Invalid("Cannot modify the non-mutable attribute sub".to_owned()));
            }
            attributes.insert(name, value);
        }
        let new_email = attributes.get("email").cloned();
        let email_changed = new_email.is_some() && new_email != old_email;
        let admin_verified = admin && attributes.get("email_verified").is_some_and(|v| v == "true");
        if email_changed && !admin_verified {
            attributes.insert("email_verified".to_owned(), "false".to_owned());
        }
        user.attributes = attributes;
        user.updated_at = self.now();
        self.save_user(&user).await?;
        let mut deliveries = Vec::new();
        if let (true, false, Some(email)) = (email_changed, admin, new_email) {
            let pool_id = UserPoolId::parse(user.pool_id.clone())?;
            deliveries.push(self.send_code(&pool_id, &user, &email, CodePurpose::VerifyEmail).await?);
        }
        Ok(deliveries)
    }

    /// Mints a 6-digit code for `purpose`, stores its hash, and mails it.
    async fn send_code(
        &self,
        pool_id: &UserPoolId,
        user: &User,
        email: &str,
        purpose: CodePurpose,
    ) -> Result<CodeDelivery> {
        self.limiter.mail(email).await?;
        let code = random::random_digits(6);
        let lifetime = match purpose {
            CodePurpose::ResetPassword => self.settings.reset_code_seconds,
            CodePurpose::SignUp | CodePurpose::VerifyEmail => self.settings.confirmation_code_seconds,
        };
        self.store
            .put_code(&CodeRecord {
                pool_id: pool_id.to_string(),
                username: user.username.clone(),
                purpose: purpose.as_str().to_owned(),
                code_hash: code_hash(pool_id.as_str(), &user.username, &code),
                failed_attempts: 0,
                expires_at: self.now() + lifetime,
            })
            .await?;
        let (subject, body, kind) = match purpose {
            CodePurpose::SignUp => (
                "Your verification code".to_owned(),
                format!("Your confirmation code is {code}\n"),
                "sign-up confirmation code",
            ),
            CodePurpose::ResetPassword => (
                "Your password reset code".to_owned(),
                format!("Your password reset code is {code}\n"),
                "password reset code",
            ),
            CodePurpose::VerifyEmail => (
                "Your verification code".to_owned(),
                format!("Your verification code is {code}\n"),
                "email verification code",
            ),
        };
        if let Err(error) = self.mailer.send(Mail { to: email.to_owned(), subject, body, kind }).await {
            tracing::error!(%error, kind, "a code could not be delivered");
            return Err(ServiceError::DeliveryFailed);
        }
        Ok(CodeDelivery { destination: mask_email(email), medium: "EMAIL", attribute: "email" })
    }

    async fn send_invitation(
        &self,
        pool_config: &super::config::PoolConfig,
        user: &User,
        temporary_password: &str,
    ) -> Result<()> {
        let attributes: &Attributes = &user.attributes;
        let Some(email) = attributes.get("email") else {
            return Ok(());
        };
        let subject = pool_config.invite_subject.clone().unwrap_or_else(|| "Your temporary password".to_owned());
        let template = pool_config
            .invite_message
            .clone()
            .unwrap_or_else(|| "Your username is {username} and temporary password is {####}.".to_owned());
        let body = template.replace("{username}", &user.username).replace("{####}", temporary_password) + "\n";
        self.mailer.send(Mail { to: email.clone(), subject, body, kind: "invitation" }).await
    }

    /// Checks a code and uses it up. Wrong guesses are counted twice: per code (a few end it) and per
    /// user across all their codes within the hour, so that asking for a fresh code brings no fresh guesses.
    async fn use_code(&self, pool_id: &UserPoolId, username: &str, purpose: CodePurpose, code: &str) -> Result<()> {
        let attempt_limit = || ServiceError::QuotaExceeded(crate::limits::ATTEMPT_LIMIT.to_owned());
        if !self.limiter.guesses_left(pool_id.as_str(), username).await? {
            return Err(attempt_limit());
        }
        let stored = self.store.code(pool_id.as_str(), username, purpose.as_str()).await?;
        let Some(stored) = stored else {
            return Err(ServiceError::CodeMismatch);
        };
        let given = code_hash(pool_id.as_str(), username, code.trim());
        if !s3cognito_crypto::compare::constant_time_eq(given.as_bytes(), stored.code_hash.as_bytes()) {
            let failures = self.store.record_code_failure(pool_id.as_str(), username, purpose.as_str()).await?;
            let guesses = self.limiter.wrong_guess(pool_id.as_str(), username).await?;
            if failures >= CODE_ATTEMPTS || guesses >= self.limiter.limits().user_code_guesses_per_hour {
                self.store.delete_code(pool_id.as_str(), username, purpose.as_str()).await?;
                return Err(attempt_limit());
            }
            return Err(ServiceError::CodeMismatch);
        }
        if stored.expires_at < self.now() {
            self.store.delete_code(pool_id.as_str(), username, purpose.as_str()).await?;
            return Err(ServiceError::ExpiredCode);
        }
        if !self.store.consume_code(pool_id.as_str(), username, purpose.as_str(), &stored.code_hash).await? {
            // Someone else used it a moment ago.
            return Err(ServiceError::CodeMismatch);
        }
        Ok(())
    }

    /// A code guessed for a name that matches no user: counted against that name's budget as a user's
    /// guesses are, and answered as a user who asks for a fresh code whenever one gives out would be
    /// (a mismatch, the attempt limit at every fifth guess, and only the limit once the hour's are spent).
    async fn wrong_guess_for_nobody(&self, context: &ClientContext, username: &Username) -> ServiceError {
        if context.reveals_missing_users() {
            return ServiceError::UserNotFound;
        }
        match self.limiter.wrong_guess(context.pool_id.as_str(), username.as_str()).await {
            Ok(guesses) if guesses % CODE_ATTEMPTS == 0 || guesses >= self.limiter.limits().user_code_guesses_per_hour => {
                ServiceError::QuotaExceeded(crate::limits::ATTEMPT_LIMIT.to_owned())
            }
            Ok(_) => ServiceError::CodeMismatch,
            Err(error) => error,
        }
    }

    /// An answer that looks like a delivery, so unknown usernames cannot be told from known ones: it
    /// comes after as long as a real delivery has lately taken.
    async fn fake_delivery(&self, context: &ClientContext, username: &Username) -> Result<CodeDelivery> {
        if context.reveals_missing_users() {
            return Err(ServiceError::UserNotFound);
        }
        self.delivery_cost.mirror().await;
        let letter = username.as_str().chars().next().unwrap_or('u');
        Ok(CodeDelivery { destination: format!("{letter}***@e***"), medium: "EMAIL", attribute: "email" })
    }
}

/// A ListUsers filter: one attribute, exact (`=`) or prefix (`^=`) match.
#[derive(Debug)]
struct UserFilter {
    attribute: String,
    prefix: bool,
    value: String,
}

const FILTERABLE: &[&str] = &[
    "username", "email", "phone_number", "name", "given_name", "family_name", "preferred_username",
    "cognito:user_status", "status", "sub",
];

impl UserFilter {
    fn parse(text: &str) -> Result<UserFilter> {
        let invalid = || ServiceError::Invalid("Invalid search filter".to_owned());
        let (attribute, rest, prefix) = if let Some((attribute, rest)) = text.split_once("^=") {
            (attribute, rest, true)
        } else if let Some((attribute, rest)) = text.split_once('=') {
            (attribute, rest, false)
        } else {
            return Err(invalid());
        };
        let attribute = attribute.trim().trim_matches('"').to_owned();
        let rest = rest.trim();
        let value = rest.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).ok_or_else(invalid)?;
        if !FILTERABLE.contains(&attribute.as_str()) {
            return Err(invalid());
        }
        Ok(UserFilter { attribute, prefix, value: value.replace("\\\"", "\"") })
    }

    fn matches(&self, user: &UserView) -> bool {
        let actual = match self.attribute.as_str() {
            "username" => Some(user.username.as_str()),
            "cognito:user_status" => Some(user.status.as_str()),
            "status" => Some(if user.enabled { "Enabled" } else { "Disabled" }),
            name => user.attributes.get(name).map(String::as_str),
        };
        actual.is_some_and(|actual| if self.prefix { actual.starts_with(&self.value) } else { actual == self.value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(username: &str, email: &str) -> UserView {
        UserView {
            username: username.to_owned(),
            attributes: [("email".to_owned(), email.to_owned())].into(),
            status: UserStatus::Confirmed,
            enabled: true,
            created_at: 0,
            updated_at: 0,
            mfa: Default::default(),
        }
    }

    #[test]
    fn filters_parse_and_match_like_cognito() {
        let demo = user("demo", "demo@example.com");
        for (filter, expected) in [
            ("email = \"demo@example.com\"", true),
            ("email=\"demo@example.com\"", true),
            ("email ^= \"demo\"", true),
            ("email ^= \"other\"", false),
            ("username = \"demo\"", true),
            ("cognito:user_status = \"CONFIRMED\"", true),
            ("status = \"Enabled\"", true),
        ] {
            assert_eq!(UserFilter::parse(filter).unwrap().matches(&demo), expected, "{filter}");
        }
        for bad in ["email", "email = demo", "custom:x = \"1\"", "= \"x\""] {
            assert!(UserFilter::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_shapes() {
        assert!(looks_like_email("demo@example.com"));
        for bad in ["demo", "demo@", "@example.com", "demo@example", "de mo@example.com"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
