//! One table from the objects service's errors to S3's codes.

use s3cognito_service::objects::{BodyError, ObjectError};
use s3s::{S3Error, S3ErrorCode, s3_error};

pub(crate) fn to_s3(error: ObjectError) -> S3Error {
    use ObjectError as E;
    match error {
        E::NoSuchBucket => s3_error!(NoSuchBucket, "The specified bucket does not exist"),
        E::Kms(error) => crate::api::kms_refused(*error),
        E::NoSuchKey => s3_error!(NoSuchKey, "The specified key does not exist."),
        E::NoSuchVersion => s3_error!(NoSuchVersion, "{}", E::NoSuchVersion),
        E::DeleteMarker { version_id, modified_at, named } => {
            // The answer says the version read is a delete marker, which one, and (named) when it was made.
            let mut headers = axum::http::HeaderMap::new();
            headers.insert("x-amz-delete-marker", axum::http::HeaderValue::from_static("true"));
            if let Ok(value) = axum::http::HeaderValue::from_str(&s3cognito_service::objects::stated(version_id.as_deref())) {
                headers.insert("x-amz-version-id", value);
            }
            let mut error = if named {
                let modified = crate::api::format_http_date(modified_at);
                if let Ok(value) = axum::http::HeaderValue::from_str(&modified) {
                    headers.insert("last-modified", value);
                }
                s3_error!(MethodNotAllowed, "The specified method is not allowed against this resource.")
            } else {
                s3_error!(NoSuchKey, "The specified key does not exist.")
            };
            error.set_headers(headers);
            error
        }
        E::BucketAlreadyOwnedByYou => s3_error!(BucketAlreadyOwnedByYou, "{}", E::BucketAlreadyOwnedByYou),
        E::BucketNotEmpty => s3_error!(BucketNotEmpty, "{}", E::BucketNotEmpty),
        E::NoSuchUpload => s3_error!(NoSuchUpload, "{}", E::NoSuchUpload),
        E::InvalidPart => s3_error!(InvalidPart, "{}", E::InvalidPart),
        E::InvalidPartOrder => s3_error!(InvalidPartOrder, "{}", E::InvalidPartOrder),
        E::EntityTooSmall => s3_error!(EntityTooSmall, "{}", E::EntityTooSmall),
        E::EntityTooLarge => s3_error!(EntityTooLarge, "{}", E::EntityTooLarge),
        E::BadDigest => s3_error!(BadDigest, "{}", E::BadDigest),
        E::InvalidDigest => s3_error!(InvalidDigest, "{}", E::InvalidDigest),
        E::IncompleteBody => s3_error!(IncompleteBody, "{}", E::IncompleteBody),
        E::PreconditionFailed => s3_error!(PreconditionFailed, "{}", E::PreconditionFailed),
        E::NotModified { .. } => S3Error::new(S3ErrorCode::NotModified),
        E::InvalidArgument(message) => s3_error!(InvalidArgument, "{message}"),
        E::InvalidRequest(message) => s3_error!(InvalidRequest, "{message}"),
        E::InvalidTag(message) => s3_error!(InvalidTag, "{message}"),
        E::NoSuchTagSet => s3_error!(NoSuchTagSet, "{}", E::NoSuchTagSet),
        E::NoSuchBucketPolicy => s3_error!(NoSuchBucketPolicy, "{}", E::NoSuchBucketPolicy),
        E::MalformedPolicy(message) => s3_error!(MalformedPolicy, "{message}"),
        E::NoSuchLifecycleConfiguration => s3_error!(NoSuchLifecycleConfiguration, "{}", E::NoSuchLifecycleConfiguration),
        E::MalformedXml(message) => s3_error!(MalformedXML, "{message}"),
        E::PublicPolicyBlocked => s3_error!(AccessDenied, "{}", E::PublicPolicyBlocked),
        E::Body(BodyError::DigestMismatch) => {
            let mut error = S3Error::with_message(
                "XAmzContentSHA256Mismatch".parse().unwrap_or(S3ErrorCode::BadDigest),
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            );
            error.set_status_code(axum::http::StatusCode::BAD_REQUEST);
            error
        }
        E::Body(BodyError::SignatureMismatch) => s3_error!(SignatureDoesNotMatch),
        E::Body(BodyError::ChecksumMismatch(algorithm)) => {
            s3_error!(BadDigest, "The {algorithm} you specified did not match the calculated checksum.")
        }
        E::Body(BodyError::Incomplete(reason)) => {
            tracing::info!(%reason, "request body incomplete");
            s3_error!(IncompleteBody, "The request body ended before it was complete.")
        }
        E::Internal(cause) => {
            tracing::error!(%cause, "internal error");
            s3_error!(InternalError, "We encountered an internal error. Please try again.")
        }
    }
}

/// Classifies what s3s reports from a request body: its error types are private, their text is not.
pub(crate) fn body_error(error: &(dyn std::error::Error + Send + Sync + 'static)) -> BodyError {
    let text = error.to_string();
    if text.contains("Sha256Mismatch") {
        BodyError::DigestMismatch
    } else if text.contains("SignatureMismatch") {
        BodyError::SignatureMismatch
    } else {
        BodyError::Incomplete(text)
    }
}
