//! Answers of the upload routes when they refuse: API Gateway's shape, `{"message": …}`, with the status
//! that says what happened. A caller whose token is not accepted learns only that it is unauthorized.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use s3cognito_service::ServiceError;
use s3cognito_service::objects::ObjectError;
use s3cognito_service::uploads::UploadError;

#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal { status, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Refusal {
        Refusal::new(StatusCode::BAD_REQUEST, message)
    }

    fn unauthorized() -> Refusal {
        Refusal::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    fn internal(cause: &dyn std::fmt::Display) -> Refusal {
        tracing::error!(%cause, "an upload route failed");
        Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        // API Gateway's answers carry no code; the status's own name stands for one in the records.
        let code = match self.status.as_u16() {
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            412 => "PreconditionFailed",
            413 => "PayloadTooLarge",
            429 => "TooManyRequests",
            400..=499 => "BadRequest",
            _ => "InternalServerError",
        };
        s3cognito_service::activity::note_error_code(code);
        (self.status, Json(serde_json::json!({ "message": self.message }))).into_response()
    }
}

impl From<UploadError> for Refusal {
    fn from(error: UploadError) -> Self {
        match error {
            UploadError::Unauthorized(reason) => {
                tracing::debug!(reason, "an upload route refused a token");
                Refusal::unauthorized()
            }
            UploadError::Forbidden(message) => Refusal::new(StatusCode::FORBIDDEN, message),
            UploadError::Invalid(message) => Refusal::bad_request(message),
            UploadError::NotFound(message) => Refusal::new(StatusCode::NOT_FOUND, message),
            UploadError::Object(error) => error.into(),
            UploadError::Service(error) => error.into(),
        }
    }
}

impl From<ObjectError> for Refusal {
    fn from(error: ObjectError) -> Self {
        let status = match &error {
            // The key's current version is a delete marker: to a reader, the key is not there.
            ObjectError::DeleteMarker { named: false, .. } => return Refusal::new(StatusCode::NOT_FOUND, ObjectError::NoSuchKey.to_string()),
            ObjectError::DeleteMarker { named: true, .. } => StatusCode::METHOD_NOT_ALLOWED,
            ObjectError::NoSuchKey
            | ObjectError::NoSuchVersion
            | ObjectError::NoSuchUpload
            | ObjectError::NoSuchBucket
            | ObjectError::NoSuchTagSet
            | ObjectError::NoSuchBucketPolicy
            | ObjectError::NoSuchLifecycleConfiguration => StatusCode::NOT_FOUND,
            ObjectError::PublicPolicyBlocked => StatusCode::FORBIDDEN,
            ObjectError::EntityTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ObjectError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ObjectError::NotModified { .. } => StatusCode::NOT_MODIFIED,
            ObjectError::BucketAlreadyOwnedByYou | ObjectError::BucketNotEmpty => StatusCode::CONFLICT,
            ObjectError::InvalidPart
            | ObjectError::InvalidPartOrder
            | ObjectError::EntityTooSmall
            | ObjectError::BadDigest
            | ObjectError::InvalidDigest
            | ObjectError::IncompleteBody
            | ObjectError::InvalidArgument(_)
            | ObjectError::InvalidRequest(_)
            | ObjectError::InvalidTag(_)
            | ObjectError::MalformedPolicy(_)
            | ObjectError::MalformedXml(_)
            | ObjectError::Body(_)
            | ObjectError::Kms(_) => StatusCode::BAD_REQUEST,
            ObjectError::Internal(_) => return Refusal::internal(&error),
        };
        Refusal::new(status, error.to_string())
    }
}

impl From<ServiceError> for Refusal {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::NotAuthorized(_)
            | ServiceError::Authentication(_)
            | ServiceError::WrongTokenType(_)
            | ServiceError::InvalidIdentityToken(_)
            | ServiceError::ExpiredToken(_) => Refusal::unauthorized(),
            ServiceError::AccessDenied(message) => Refusal::new(StatusCode::FORBIDDEN, message),
            ServiceError::NotFound(message) => Refusal::new(StatusCode::NOT_FOUND, message),
            ServiceError::UserNotFound => Refusal::unauthorized(),
            ServiceError::QuotaExceeded(message) | ServiceError::Overloaded(message) => {
                Refusal::new(StatusCode::TOO_MANY_REQUESTS, message)
            }
            ServiceError::Internal(_) => Refusal::internal(&error),
            ServiceError::Invalid(_)
            | ServiceError::InvalidMember(_)
            | ServiceError::InvalidPassword(_)
            | ServiceError::UsernameExists
            | ServiceError::GroupExists(_)
            | ServiceError::AliasExists
            | ServiceError::DeliveryFailed
            | ServiceError::UserNotConfirmed
            | ServiceError::PasswordResetRequired
            | ServiceError::CodeMismatch
            | ServiceError::Mfa(_)
            | ServiceError::ExpiredCode
            | ServiceError::AlreadyExists(_)
            | ServiceError::MalformedPolicy(_)
            | ServiceError::DeleteConflict(_)
            | ServiceError::NoUsableRole(_)
            | ServiceError::Kms(_) => Refusal::bad_request(error.to_string()),
        }
    }
}
