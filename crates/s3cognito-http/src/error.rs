//! `ApiError`: every failure in the AWS JSON shape, with one table from service errors to wire codes.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use s3cognito_service::user_pool::mfa::MfaRefusal;
use s3cognito_service::{AuthenticationError, InvalidMember, ServiceError};
use serde_json::json;

/// An error on its way to a JSON-protocol client: `{"__type": code, "message": …}` plus
/// `x-amzn-ErrorType`, which is what botocore and the JS SDK read.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "InvalidParameterException", message)
    }

    /// A required member left out, in AWS's words.
    pub fn member_missing(member: &str) -> Self {
        ApiError::invalid_parameter(one_validation_error(member, Shown::Missing, "Member must not be null"))
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", "Not found")
    }

    /// For plain GET routes: a missing pool is a 404, anything else keeps its meaning.
    pub fn not_found_or(error: ServiceError) -> Self {
        match error {
            ServiceError::NotFound(_) => ApiError::not_found(),
            other => other.into(),
        }
    }
}

/// What a validation message shows of a member's value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shown<'a> {
    /// The member was left out: `Value null at …`.
    Missing,
    /// The value is not repeated back (a password, a name that broke a length limit): `Value at …`.
    Hidden,
    Value(&'a str),
}

/// AWS's wording of a member that breaks its constraint, the same in every protocol that reports it:
/// `1 validation error detected: Value '<value>' at '<member>' failed to satisfy constraint: <constraint>`.
pub(crate) fn one_validation_error(member: &str, shown: Shown<'_>, constraint: &str) -> String {
    let value = match shown {
        Shown::Missing => "Value null".to_owned(),
        Shown::Hidden => "Value".to_owned(),
        Shown::Value(value) => format!("Value '{value}'"),
    };
    format!("1 validation error detected: {value} at '{member}' failed to satisfy constraint: {constraint}")
}

/// The message of an invalid member from a use case.
pub(crate) fn invalid_member_message(invalid: &InvalidMember) -> String {
    let shown = invalid.value.as_deref().map_or(Shown::Hidden, Shown::Value);
    one_validation_error(invalid.member, shown, &invalid.constraint)
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        use ServiceError as E;
        let bad = StatusCode::BAD_REQUEST;
        let (status, code) = match &error {
            E::NotAuthorized(_) => (bad, "NotAuthorizedException"),
            E::Invalid(_) => (bad, "InvalidParameterException"),
            E::InvalidMember(invalid) => {
                return ApiError::new(bad, "InvalidParameterException", invalid_member_message(invalid));
            }
            E::InvalidPassword(_) => (bad, "InvalidPasswordException"),
            E::NotFound(_) => (bad, "ResourceNotFoundException"),
            E::UserNotFound => (bad, "UserNotFoundException"),
            E::UsernameExists => (bad, "UsernameExistsException"),
            E::GroupExists(_) => (bad, "GroupExistsException"),
            E::AliasExists => (bad, "AliasExistsException"),
            E::DeliveryFailed => (bad, "CodeDeliveryFailureException"),
            E::UserNotConfirmed => (bad, "UserNotConfirmedException"),
            E::PasswordResetRequired => (bad, "PasswordResetRequiredException"),
            E::CodeMismatch => (bad, "CodeMismatchException"),
            E::ExpiredCode => (bad, "ExpiredCodeException"),
            E::QuotaExceeded(_) => (bad, "LimitExceededException"),
            E::Overloaded(_) => (StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException"),
            E::WrongTokenType(_) => (bad, "UnsupportedTokenTypeException"),
            E::AlreadyExists(_) => (bad, "ResourceConflictException"),
            E::MalformedPolicy(_) => (bad, "InvalidParameterException"),
            E::DeleteConflict(_) => (bad, "ResourceConflictException"),
            E::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDeniedException"),
            E::InvalidIdentityToken(_) | E::ExpiredToken(_) => (bad, "NotAuthorizedException"),
            E::NoUsableRole(_) => (bad, "InvalidIdentityPoolConfigurationException"),
            // KMS's own refusals are coded by `kms::kms_error`; no other JSON service raises them.
            E::Kms(_) => (bad, "InvalidParameterException"),
            E::Mfa(refusal) => match refusal {
                MfaRefusal::CodeMismatch => (bad, "CodeMismatchException"),
                MfaRefusal::CodeReused => (bad, "ExpiredCodeException"),
                MfaRefusal::SetupCodeMismatch => (bad, "EnableSoftwareTokenMFAException"),
                MfaRefusal::NotEnabledForPool | MfaRefusal::NotSetUpForUser => (bad, "SoftwareTokenMFANotFoundException"),
            },
            E::Authentication(authentication) => match authentication {
                AuthenticationError::MissingAuthenticationToken => {
                    (StatusCode::FORBIDDEN, "MissingAuthenticationTokenException")
                }
                AuthenticationError::IncompleteSignature(_) => (bad, "IncompleteSignatureException"),
                AuthenticationError::UnrecognizedClient => (StatusCode::FORBIDDEN, "UnrecognizedClientException"),
                AuthenticationError::SignatureDoesNotMatch | AuthenticationError::RequestExpired => {
                    (StatusCode::FORBIDDEN, "InvalidSignatureException")
                }
                AuthenticationError::WrongRegion { .. } => (bad, "InvalidSignatureException"),
                AuthenticationError::ExpiredToken => (StatusCode::FORBIDDEN, "ExpiredTokenException"),
            },
            E::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", "Internal server error.");
            }
        };
        ApiError::new(status, code, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"__type": self.code, "message": self.message});
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        headers.insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        response
    }
}
