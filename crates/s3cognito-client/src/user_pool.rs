//! Sign-up, confirmation and sign-in against a Cognito-compatible user pool. Sign-in is SRP
//! (USER_SRP_AUTH then PASSWORD_VERIFIER), as Amplify does it: the password never leaves the client.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType};
use s3cognito_crypto::srp;

use crate::{AwsExports, ClientError, Result};

/// Tokens of a signed-in user.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub access_token: String,
    pub id_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i32,
}

/// The public (unsigned) user pool calls of one app client.
#[derive(Debug, Clone)]
pub struct UserPoolClient {
    client: Client,
    exports: AwsExports,
}

fn service_error<E: ProvideErrorMetadata + std::fmt::Debug>(error: aws_sdk_cognitoidentityprovider::error::SdkError<E>) -> ClientError {
    match error.as_service_error() {
        Some(service) => ClientError::Service {
            code: service.code().unwrap_or("Unknown").to_owned(),
            message: service.message().unwrap_or_default().to_owned(),
        },
        None => ClientError::Transport(format!("{error:?}")),
    }
}

fn signed_in(result: Option<&AuthenticationResultType>) -> Result<SignedIn> {
    let result = result.ok_or_else(|| ClientError::Protocol("no AuthenticationResult".to_owned()))?;
    Ok(SignedIn {
        access_token: result.access_token().unwrap_or_default().to_owned(),
        id_token: result.id_token().unwrap_or_default().to_owned(),
        refresh_token: result.refresh_token().map(str::to_owned),
        expires_in: result.expires_in(),
    })
}

/// Where a code was mailed, as the pool shows it (masked).
fn destination(details: Option<&aws_sdk_cognitoidentityprovider::types::CodeDeliveryDetailsType>) -> String {
    details.and_then(|details| details.destination()).unwrap_or("the user's address").to_owned()
}

impl UserPoolClient {
    /// A client for the pool and app client named in `exports`, at its `s3cognito_endpoint`
    /// (or AWS's own endpoint when the file has none).
    pub fn new(exports: AwsExports) -> UserPoolClient {
        let mut config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(exports.aws_cognito_region.clone()))
            // Public calls are unsigned; the SDK still wants a provider, which it never uses for them.
            .credentials_provider(Credentials::new("public", "public", None, None, "s3cognito-client"));
        if let Some(endpoint) = &exports.s3cognito_endpoint {
            config = config.endpoint_url(endpoint);
        }
        UserPoolClient { client: Client::from_conf(config.build()), exports }
    }

    pub async fn sign_up(&self, username: &str, password: &str, email: &str) -> Result<bool> {
        let answer = self
            .client
            .sign_up()
            .client_id(&self.exports.aws_user_pools_web_client_id)
            .username(username)
            .password(password)
            .user_attributes(AttributeType::builder().name("email").value(email).build().map_err(|e| ClientError::Protocol(e.to_string()))?)
            .send()
            .await
            .map_err(service_error)?;
        Ok(answer.user_confirmed())
    }

    pub async fn confirm_sign_up(&self, username: &str, code: &str) -> Result<()> {
        self.client
            .confirm_sign_up()
            .client_id(&self.exports.aws_user_pools_web_client_id)
            .username(username)
            .confirmation_code(code)
            .send()
            .await
            .map_err(service_error)?;
        Ok(())
    }

    /// Mails a new confirmation code; answers where it went.
    pub async fn resend_confirmation_code(&self, username: &str) -> Result<String> {
        let answer = self
            .client
            .resend_confirmation_code()
            .client_id(&self.exports.aws_user_pools_web_client_id)
            .username(username)
            .send()
            .await
            .map_err(service_error)?;
        Ok(destination(answer.code_delivery_details()))
    }

    /// Mails a code that resets the password; answers where it went.
    pub async fn forgot_password(&self, username: &str) -> Result<String> {
        let answer = self
            .client
            .forgot_password()
            .client_id(&self.exports.aws_user_pools_web_client_id)
            .username(username)
            .send()
            .await
            .map_err(service_error)?;
        Ok(destination(answer.code_delivery_details()))
    }

    /// Sets a new password with the mailed code.
    pub async fn confirm_forgot_password(&self, username: &str, code: &str, password: &str) -> Result<()> {
        self.client
            .confirm_forgot_password()
            .client_id(&self.exports.aws_user_pools_web_client_id)
            .username(username)
            .confirmation_code(code)
            .password(password)
            .send()
            .await
            .map_err(service_error)?;
        Ok(())
    }

    /// The signed-in user's name and attributes (GetUser).
    pub async fn user(&self, signed_in: &SignedIn) -> Result<(String, Vec<(String, String)>)> {
        let answer = self.client.get_user().access_token(&signed_in.access_token).send().await.map_err(service_error)?;
        let attributes = answer
            .user_attributes()
            .iter()
            .map(|attribute| (attribute.name().to_owned(), attribute.value().unwrap_or_default().to_owned()))
            .collect();
        Ok((answer.username().to_owned(), attributes))
    }

    /// Signs the user out everywhere: every refresh token of theirs is revoked (GlobalSignOut).
    pub async fn sign_out_everywhere(&self, signed_in: &SignedIn) -> Result<()> {
        self.client.global_sign_out().access_token(&signed_in.access_token).send().await.map_err(service_error)?;
        Ok(())
    }

    /// New ID and access tokens for a refresh token (`REFRESH_TOKEN_AUTH`); the refresh token stays the
    /// same. A revoked or expired one is refused with `NotAuthorizedException`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<SignedIn> {
        let answer = self
            .client
            .initiate_auth()
            .client_id(&self.exports.aws_user_pools_web_client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(service_error)?;
        let mut refreshed = signed_in(answer.authentication_result())?;
        refreshed.refresh_token.get_or_insert_with(|| refresh_token.to_owned());
        Ok(refreshed)
    }

    /// Signs in with SRP. A user who must change a temporary password gets `Protocol` with
    /// `NEW_PASSWORD_REQUIRED` in its message.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<SignedIn> {
        let client_id = &self.exports.aws_user_pools_web_client_id;
        let ephemeral = srp::client_ephemeral();
        let challenge = self
            .client
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("SRP_A", &ephemeral.srp_a_hex)
            .send()
            .await
            .map_err(service_error)?;
        if challenge.challenge_name() != Some(&ChallengeNameType::PasswordVerifier) {
            return Err(ClientError::Protocol(format!("expected PASSWORD_VERIFIER, got {:?}", challenge.challenge_name())));
        }
        let parameters = challenge.challenge_parameters().cloned().unwrap_or_default();
        let parameter = |name: &str| {
            parameters.get(name).cloned().ok_or_else(|| ClientError::Protocol(format!("challenge without {name}")))
        };
        let internal_username = parameter("USER_ID_FOR_SRP")?;
        let secret_block = parameter("SECRET_BLOCK")?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs() as i64).unwrap_or(0);
        let timestamp = srp::cognito_timestamp(now);
        let signature = srp::client_claim(
            &ephemeral,
            self.exports.pool_suffix(),
            &internal_username,
            password,
            &parameter("SALT")?,
            &parameter("SRP_B")?,
            &secret_block,
            &timestamp,
        )
        .map_err(|error| ClientError::Protocol(format!("SRP: {error}")))?;
        let answer = self
            .client
            .respond_to_auth_challenge()
            .client_id(client_id)
            .challenge_name(ChallengeNameType::PasswordVerifier)
            .challenge_responses("USERNAME", &internal_username)
            .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", &secret_block)
            .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
            .challenge_responses("TIMESTAMP", timestamp)
            .send()
            .await
            .map_err(service_error)?;
        if let Some(next) = answer.challenge_name() {
            return Err(ClientError::Protocol(format!("the pool asks for {}", next.as_str())));
        }
        signed_in(answer.authentication_result())
    }
}
