//! Every `ServiceError` variant has a code in each protocol that reports it. The mappings are exhaustive
//! matches, so a new variant without a code does not compile; this table also pins which code each gets.

use axum::http::StatusCode;
use s3cognito_service::kms::KmsRefusal;
use s3cognito_service::user_pool::mfa::MfaRefusal;
use s3cognito_service::{AuthenticationError, InvalidMember, ServiceError};

use crate::error::ApiError;
use crate::query;

/// One example of every variant, with the code the JSON protocol and the query protocol (IAM) give it.
fn table() -> Vec<(ServiceError, u16, &'static str, u16, &'static str)> {
    use AuthenticationError as A;
    use ServiceError as E;
    let text = || "why".to_owned();
    vec![
        (E::NotAuthorized(text()), 400, "NotAuthorizedException", 403, "AccessDenied"),
        (E::Invalid(text()), 400, "InvalidParameterException", 400, "ValidationError"),
        (InvalidMember::error("limit", None, "Member must be small"), 400, "InvalidParameterException", 400, "ValidationError"),
        (E::InvalidPassword(text()), 400, "InvalidPasswordException", 400, "ValidationError"),
        (E::NotFound(text()), 400, "ResourceNotFoundException", 404, "NoSuchEntity"),
        (E::UserNotFound, 400, "UserNotFoundException", 400, "ValidationError"),
        (E::UsernameExists, 400, "UsernameExistsException", 400, "ValidationError"),
        (E::GroupExists(text()), 400, "GroupExistsException", 400, "ValidationError"),
        (E::AliasExists, 400, "AliasExistsException", 400, "ValidationError"),
        (E::DeliveryFailed, 400, "CodeDeliveryFailureException", 400, "ValidationError"),
        (E::UserNotConfirmed, 400, "UserNotConfirmedException", 400, "ValidationError"),
        (E::PasswordResetRequired, 400, "PasswordResetRequiredException", 400, "ValidationError"),
        (E::CodeMismatch, 400, "CodeMismatchException", 400, "ValidationError"),
        (E::ExpiredCode, 400, "ExpiredCodeException", 400, "ValidationError"),
        (E::QuotaExceeded(text()), 400, "LimitExceededException", 409, "LimitExceeded"),
        (E::Overloaded(text()), 429, "TooManyRequestsException", 400, "Throttling"),
        (E::WrongTokenType(text()), 400, "UnsupportedTokenTypeException", 400, "ValidationError"),
        (E::AlreadyExists(text()), 400, "ResourceConflictException", 409, "EntityAlreadyExists"),
        (E::MalformedPolicy(text()), 400, "InvalidParameterException", 400, "MalformedPolicyDocument"),
        (E::DeleteConflict(text()), 400, "ResourceConflictException", 409, "DeleteConflict"),
        (E::AccessDenied(text()), 403, "AccessDeniedException", 403, "AccessDenied"),
        (E::InvalidIdentityToken(text()), 400, "NotAuthorizedException", 400, "InvalidIdentityToken"),
        (E::ExpiredToken(text()), 400, "NotAuthorizedException", 400, "ExpiredTokenException"),
        (E::NoUsableRole(text()), 400, "InvalidIdentityPoolConfigurationException", 400, "ValidationError"),
        (E::Authentication(A::MissingAuthenticationToken), 403, "MissingAuthenticationTokenException", 403, "MissingAuthenticationToken"),
        (E::Authentication(A::IncompleteSignature(text())), 400, "IncompleteSignatureException", 400, "IncompleteSignature"),
        (E::Authentication(A::UnrecognizedClient), 403, "UnrecognizedClientException", 403, "InvalidClientTokenId"),
        (E::Authentication(A::SignatureDoesNotMatch), 403, "InvalidSignatureException", 403, "SignatureDoesNotMatch"),
        (E::Authentication(A::RequestExpired), 403, "InvalidSignatureException", 400, "RequestExpired"),
        (E::Authentication(A::ExpiredToken), 403, "ExpiredTokenException", 403, "ExpiredToken"),
        (
            E::Authentication(A::WrongRegion { given: "eu-west-1".to_owned(), expected: "us-east-1".to_owned() }),
            400,
            "InvalidSignatureException",
            403,
            "SignatureDoesNotMatch",
        ),
        (E::Kms(KmsRefusal::IncorrectKey), 400, "InvalidParameterException", 400, "ValidationError"),
        (E::Mfa(MfaRefusal::CodeMismatch), 400, "CodeMismatchException", 400, "ValidationError"),
        (E::Mfa(MfaRefusal::CodeReused), 400, "ExpiredCodeException", 400, "ValidationError"),
        (E::Mfa(MfaRefusal::SetupCodeMismatch), 400, "EnableSoftwareTokenMFAException", 400, "ValidationError"),
        (E::Mfa(MfaRefusal::NotEnabledForPool), 400, "SoftwareTokenMFANotFoundException", 400, "ValidationError"),
        (E::Mfa(MfaRefusal::NotSetUpForUser), 400, "SoftwareTokenMFANotFoundException", 400, "ValidationError"),
        (E::Internal(text()), 500, "InternalErrorException", 500, "InternalFailure"),
    ]
}

/// The position of a variant in `table`: an exhaustive match, so a new variant must be added here, and
/// the test below then fails until the table has an example of it.
fn variant(error: &ServiceError) -> usize {
    use AuthenticationError as A;
    use ServiceError as E;
    match error {
        E::NotAuthorized(_) => 0,
        E::Invalid(_) => 1,
        E::InvalidMember(_) => 2,
        E::InvalidPassword(_) => 3,
        E::NotFound(_) => 4,
        E::UserNotFound => 5,
        E::UsernameExists => 6,
        E::GroupExists(_) => 7,
        E::AliasExists => 8,
        E::DeliveryFailed => 9,
        E::UserNotConfirmed => 10,
        E::PasswordResetRequired => 11,
        E::CodeMismatch => 12,
        E::ExpiredCode => 13,
        E::QuotaExceeded(_) => 14,
        E::Overloaded(_) => 15,
        E::WrongTokenType(_) => 16,
        E::AlreadyExists(_) => 17,
        E::MalformedPolicy(_) => 18,
        E::DeleteConflict(_) => 19,
        E::AccessDenied(_) => 20,
        E::InvalidIdentityToken(_) => 21,
        E::ExpiredToken(_) => 22,
        E::NoUsableRole(_) => 23,
        E::Authentication(A::MissingAuthenticationToken) => 24,
        E::Authentication(A::IncompleteSignature(_)) => 25,
        E::Authentication(A::UnrecognizedClient) => 26,
        E::Authentication(A::SignatureDoesNotMatch) => 27,
        E::Authentication(A::RequestExpired) => 28,
        E::Authentication(A::ExpiredToken) => 29,
        E::Authentication(A::WrongRegion { .. }) => 30,
        E::Kms(_) => 31,
        E::Mfa(MfaRefusal::CodeMismatch) => 32,
        E::Mfa(MfaRefusal::CodeReused) => 33,
        E::Mfa(MfaRefusal::SetupCodeMismatch) => 34,
        E::Mfa(MfaRefusal::NotEnabledForPool) => 35,
        E::Mfa(MfaRefusal::NotSetUpForUser) => 36,
        E::Internal(_) => 37,
    }
}

#[test]
fn every_service_error_has_a_code_in_each_protocol() {
    let rows = table();
    let covered: Vec<usize> = rows.iter().map(|(error, ..)| variant(error)).collect();
    assert_eq!(covered, (0..rows.len()).collect::<Vec<_>>(), "one example per variant, in order");
    for (error, json_status, json_code, query_status, query_code) in rows {
        let described = format!("{error:?}");
        let (status, code) = query::code_of(&error);
        assert_eq!((status.as_u16(), code), (query_status, query_code), "query protocol, {described}");
        let api = ApiError::from(error);
        assert_eq!((api.status.as_u16(), api.code), (json_status, json_code), "JSON protocol, {described}");
    }
}

#[test]
fn invalid_members_are_worded_as_aws_words_them() {
    let hidden = ApiError::from(InvalidMember::error("limit", None, "Member must have value less than or equal to 60"));
    assert_eq!(
        hidden.message,
        "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
    );
    let shown = ApiError::from(InvalidMember::error("messageAction", Some("NOPE".to_owned()), "Member must satisfy enum value set: [RESEND, SUPPRESS]"));
    assert_eq!(
        shown.message,
        "1 validation error detected: Value 'NOPE' at 'messageAction' failed to satisfy constraint: Member must satisfy enum value set: [RESEND, SUPPRESS]"
    );
    assert_eq!(shown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        ApiError::member_missing("maxResults").message,
        "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn internal_causes_never_reach_the_client() {
    let api = ApiError::from(ServiceError::Internal("database password is hunter2".to_owned()));
    assert!(!api.message.contains("hunter2"), "{}", api.message);
}

/// KMS answers with its own codes: its refusals, and the common failures in its words.
#[test]
fn kms_errors_carry_the_codes_kms_gives_them() {
    use ServiceError as E;
    let text = || "why".to_owned();
    let rows: Vec<(ServiceError, u16, &str)> = vec![
        (E::Kms(KmsRefusal::Disabled(text())), 400, "DisabledException"),
        (E::Kms(KmsRefusal::InvalidState(text())), 400, "KMSInvalidStateException"),
        (E::Kms(KmsRefusal::InvalidCiphertext), 400, "InvalidCiphertextException"),
        (E::Kms(KmsRefusal::IncorrectKey), 400, "IncorrectKeyException"),
        (E::Kms(KmsRefusal::InvalidKeyUsage(text())), 400, "InvalidKeyUsageException"),
        (E::Kms(KmsRefusal::InvalidAliasName(text())), 400, "InvalidAliasNameException"),
        (E::Kms(KmsRefusal::Tag(text())), 400, "TagException"),
        (E::NotFound(text()), 400, "NotFoundException"),
        (E::AlreadyExists(text()), 400, "AlreadyExistsException"),
        (E::MalformedPolicy(text()), 400, "MalformedPolicyDocumentException"),
        (E::Invalid(text()), 400, "ValidationException"),
        (InvalidMember::error("numberOfBytes", None, "Member must be small"), 400, "ValidationException"),
        (E::AccessDenied(text()), 400, "AccessDeniedException"),
        (E::QuotaExceeded(text()), 400, "LimitExceededException"),
        (E::Internal("secret cause".to_owned()), 500, "KMSInternalException"),
        (E::Authentication(AuthenticationError::UnrecognizedClient), 403, "UnrecognizedClientException"),
    ];
    for (error, status, code) in rows {
        let described = format!("{error:?}");
        let api = crate::kms::kms_error(error);
        assert_eq!((api.status.as_u16(), api.code), (status, code), "{described}");
        assert!(!api.message.contains("secret cause"));
    }
}
