//! The AWS query protocol (`Action=…` forms, XML answers): STS and IAM, told apart by the SigV4
//! credential scope; unsigned requests are STS's (AssumeRoleWithWebIdentity needs no signature).

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3cognito_crypto::calendar::iso8601;
use s3cognito_crypto::sigv4;
use s3cognito_service::access::Principal;
use s3cognito_service::activity::{self, Via};
use s3cognito_service::authorization::{Caller, Resource};
use s3cognito_service::identity::{Identity, IssuedCredentials};
use s3cognito_service::{AuthenticationError, ServiceError};
use s3cognito_types::operation::{Authorization, Iam, Operation, Sts};

use crate::HttpState;
use crate::aws_json::RawRequest;
use crate::iam::IamFailure;

const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Policy documents travel URL-encoded inside IAM's XML, as on AWS (RFC 3986 unreserved kept).
const POLICY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Sts,
    Iam,
}

impl Service {
    fn namespace(self) -> &'static str {
        match self {
            Service::Sts => STS_NAMESPACE,
            Service::Iam => IAM_NAMESPACE,
        }
    }
}

/// A failure in the query protocol's shape.
#[derive(Debug)]
pub(crate) struct QueryError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl QueryError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        QueryError { status, code, message: message.into() }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        QueryError::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    fn from_service(error: ServiceError, service: Service) -> Self {
        let (status, code) = service_code(&error, service);
        let message = match &error {
            ServiceError::InvalidMember(invalid) => crate::error::invalid_member_message(invalid),
            ServiceError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "Internal server error.".to_owned()
            }
            other => other.to_string(),
        };
        QueryError::new(status, code, message)
    }

    fn into_response(self, service: Service, request_id: &str) -> Response {
        let kind = if self.status.is_server_error() { "Receiver" } else { "Sender" };
        let body = format!(
            "<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error>\
             <RequestId>{request_id}</RequestId></ErrorResponse>",
            service.namespace(),
            self.code,
            escape(&self.message)
        );
        xml_response(self.status, body)
    }
}

/// The query protocol's table: each service error's status and code, for STS or IAM.
fn service_code(error: &ServiceError, service: Service) -> (StatusCode, &'static str) {
    use ServiceError as E;
    let bad = StatusCode::BAD_REQUEST;
    match error {
        E::NotFound(_) => (StatusCode::NOT_FOUND, "NoSuchEntity"),
        E::AlreadyExists(_) => (StatusCode::CONFLICT, "EntityAlreadyExists"),
        E::MalformedPolicy(_) => (bad, "MalformedPolicyDocument"),
        E::DeleteConflict(_) => (StatusCode::CONFLICT, "DeleteConflict"),
        E::AccessDenied(_) | E::NotAuthorized(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
        E::InvalidIdentityToken(_) => (bad, "InvalidIdentityToken"),
        E::ExpiredToken(_) => (bad, "ExpiredTokenException"),
        E::QuotaExceeded(_) if service == Service::Sts => (bad, "PackedPolicyTooLarge"),
        E::QuotaExceeded(_) => (StatusCode::CONFLICT, "LimitExceeded"),
        E::Invalid(_) | E::InvalidPassword(_) | E::InvalidMember(_) => (bad, "ValidationError"),
        E::Overloaded(_) => (bad, "Throttling"),
        // The user-pool failures below are never raised by STS or IAM use cases; should one be, it is
        // reported as a request the service could not take.
        E::UserNotFound
        | E::UsernameExists
        | E::GroupExists(_)
        | E::AliasExists
        | E::DeliveryFailed
        | E::UserNotConfirmed
        | E::PasswordResetRequired
        | E::CodeMismatch
        | E::ExpiredCode
        | E::WrongTokenType(_)
        | E::NoUsableRole(_)
        | E::Kms(_)
        | E::Mfa(_) => (bad, "ValidationError"),
        E::Authentication(authentication) => match authentication {
            AuthenticationError::MissingAuthenticationToken => (StatusCode::FORBIDDEN, "MissingAuthenticationToken"),
            AuthenticationError::IncompleteSignature(_) => (bad, "IncompleteSignature"),
            AuthenticationError::UnrecognizedClient => (StatusCode::FORBIDDEN, "InvalidClientTokenId"),
            AuthenticationError::SignatureDoesNotMatch | AuthenticationError::WrongRegion { .. } => {
                (StatusCode::FORBIDDEN, "SignatureDoesNotMatch")
            }
            AuthenticationError::RequestExpired => (bad, "RequestExpired"),
            AuthenticationError::ExpiredToken => (StatusCode::FORBIDDEN, "ExpiredToken"),
        },
        E::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
    }
}

/// IAM's status and code for a service error (the error tables' test reads it).
#[cfg(test)]
pub(crate) fn code_of(error: &ServiceError) -> (StatusCode, &'static str) {
    service_code(error, Service::Iam)
}

/// A query-protocol error for a request refused before it could be parsed (a body past the limit).
/// The body is unread, so the service is told by the signature's scope alone.
pub(crate) fn refused(
    status: StatusCode,
    code: &'static str,
    message: &str,
    authorization: Option<&str>,
    request_id: &str,
) -> Response {
    let scope = authorization.and_then(|value| sigv4::parse_authorization(value).ok()).map(|parsed| parsed.service);
    let service = if scope.as_deref() == Some("iam") { Service::Iam } else { Service::Sts };
    QueryError::new(status, code, message).into_response(service, request_id)
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/xml"));
    response
}

/// Escapes text for an XML element.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// `<name>text</name>`, escaped.
pub(crate) fn element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

pub(crate) fn encoded_policy(name: &str, document: &str) -> String {
    element(name, &utf8_percent_encode(document, POLICY_ENCODE).to_string())
}

/// The request's form members.
pub(crate) struct Form(BTreeMap<String, String>);

impl Form {
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    pub(crate) fn required(&self, name: &str) -> Result<String, QueryError> {
        self.opt(name).ok_or_else(|| {
            let camel: String = name.chars().next().map(|c| c.to_lowercase().chain(name.chars().skip(1)).collect()).unwrap_or_default();
            QueryError::validation(crate::error::one_validation_error(&camel, crate::error::Shown::Missing, "Member must not be null"))
        })
    }

    pub(crate) fn opt_i64(&self, name: &str) -> Result<Option<i64>, QueryError> {
        self.opt(name)
            .map(|value| value.parse().map_err(|_| QueryError::validation(format!("{name} must be a number"))))
            .transpose()
    }

    /// `Name.member.1`, `Name.member.2`, … in order.
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        (1..).map_while(|index| self.opt(&format!("{name}.member.{index}"))).collect()
    }
}

fn credentials_xml(credentials: &IssuedCredentials) -> String {
    format!(
        "<Credentials>{}{}{}{}</Credentials>",
        element("AccessKeyId", &credentials.access_key_id),
        element("SecretAccessKey", &credentials.secret_access_key),
        element("SessionToken", &credentials.session_token),
        element("Expiration", &iso8601(credentials.expiration)),
    )
}


/// Handles one query-protocol request; `request_id` goes into the answer, success or failure.
pub(crate) async fn handle(state: &HttpState, request: &RawRequest, request_id: &str) -> Response {
    let form = Form(form_urlencoded::parse(&request.body).into_owned().collect());
    let signed_scope = request
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .and_then(|(_, value)| sigv4::parse_authorization(value).ok())
        .map(|authorization| authorization.service);
    let action = form.opt("Action").unwrap_or_default();
    let service = match signed_scope.as_deref() {
        Some("iam") => Service::Iam,
        // Unsigned IAM calls are told they need a signature, not that IAM's actions do not exist.
        None if Iam::parse(&action).is_some() => Service::Iam,
        _ => Service::Sts,
    };
    match run(state, request, &form, service, &action).await {
        Ok(result) => {
            let namespace = service.namespace();
            let body = match result {
                Some(result) => format!(
                    "<{action}Response xmlns=\"{namespace}\"><{action}Result>{result}</{action}Result>\
                     <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
                ),
                None => format!(
                    "<{action}Response xmlns=\"{namespace}\"><ResponseMetadata><RequestId>{request_id}</RequestId>\
                     </ResponseMetadata></{action}Response>"
                ),
            };
            xml_response(StatusCode::OK, body)
        }
        Err(error) => {
            tracing::info!(action = crate::loggable(&action), code = error.code, status = error.status.as_u16(), "request refused");
            activity::note_error_code(error.code);
            error.into_response(service, request_id)
        }
    }
}

async fn authenticate(state: &HttpState, request: &RawRequest, scope: &str, service: Service) -> Result<Principal, QueryError> {
    state
        .app
        .access
        .authenticate(&request.signed(), scope)
        .await
        .map_err(|error| QueryError::from_service(ServiceError::Authentication(error), service))
}

/// What `Action=` names, for the service the request was sent to.
#[derive(Debug, Clone, Copy)]
enum QueryOperation {
    Sts(Sts),
    Iam(Iam),
}

impl QueryOperation {
    fn operation(self) -> Operation {
        match self {
            QueryOperation::Sts(operation) => operation.into(),
            QueryOperation::Iam(operation) => operation.into(),
        }
    }
}

type Answer = Result<Option<String>, QueryError>;

/// What an IAM call names, for its authorization.
enum Named {
    Role(String),
    User(String),
    Policy(String),
    Provider(String),
}

impl Named {
    fn text(&self) -> String {
        match self {
            Named::Role(text) | Named::User(text) | Named::Policy(text) | Named::Provider(text) => text.clone(),
        }
    }
}

/// One query-protocol request: the operation, the signature when it needs one, the authorization
/// decision, then the operation's handler.
async fn run(state: &HttpState, request: &RawRequest, form: &Form, service: Service, action: &str) -> Answer {
    let operation = match service {
        Service::Sts => Sts::parse(action).map(QueryOperation::Sts),
        Service::Iam => Iam::parse(action).map(QueryOperation::Iam),
    };
    let Some(operation) = operation else {
        return Err(QueryError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!("Could not find operation {action} for version {}", form.opt("Version").unwrap_or_default()),
        ));
    };
    activity::note_operation(operation.operation());
    let failed = |error: ServiceError| QueryError::from_service(error, service);
    let principal = match operation.operation().authorization() {
        // No operation of these protocols takes a pool token; the Authorizer refuses one without a signature.
        Authorization::Public | Authorization::UserPoolToken => None,
        Authorization::Signed | Authorization::SignedByAnyone => {
            Some(authenticate(state, request, operation.operation().service().name(), service).await?)
        }
    };
    if let Some(principal) = &principal {
        activity::note_signed(principal, &state.app.identity.settings().account_id, Via::Signature);
    }
    let caller = principal.as_ref().map_or(Caller::Anonymous, Caller::Signed);
    // What a policy is checked against: the role or user the call names, else the policy or provider.
    let named = [
        form.opt("RoleName").map(Named::Role),
        form.opt("UserName").map(Named::User),
        form.opt("PolicyArn").map(Named::Policy),
        form.opt("OpenIDConnectProviderArn").map(Named::Provider),
    ]
    .into_iter()
    .flatten()
    .next();
    let resource = match (operation, &named) {
        (QueryOperation::Sts(_), _) | (QueryOperation::Iam(_), None) => Resource::Any,
        (QueryOperation::Iam(_), Some(Named::Role(role))) => Resource::Role(role),
        (QueryOperation::Iam(_), Some(Named::User(user))) => Resource::IamUser(user),
        (QueryOperation::Iam(_), Some(Named::Policy(policy))) => Resource::IamPolicy(policy),
        (QueryOperation::Iam(_), Some(Named::Provider(provider))) => Resource::OidcProvider(provider),
    };
    if let Some(named) = named.as_ref().map(Named::text).or(form.opt("RoleArn")) {
        activity::note_resource(named);
    }
    state.app.authorizer.authorize(caller, operation.operation(), &resource).await.map_err(failed)?;
    let identity = &state.app.identity;
    match (operation, &principal) {
        (QueryOperation::Sts(Sts::AssumeRoleWithWebIdentity), _) => assume_role_with_web_identity(identity, form).await,
        (QueryOperation::Sts(Sts::AssumeRole), Some(principal)) => assume_role(identity, principal, form).await,
        (QueryOperation::Sts(Sts::GetCallerIdentity), Some(principal)) => get_caller_identity(identity, principal),
        // AssumeRole and GetCallerIdentity are signed, so a principal was established above; were one
        // ever declared public, it would be refused rather than run without a caller.
        (QueryOperation::Sts(_), None) => Err(failed(ServiceError::Authentication(AuthenticationError::MissingAuthenticationToken))),
        (QueryOperation::Iam(operation), _) => {
            crate::iam::run(identity, operation, form, principal.as_ref()).await.map_err(|failure| match failure {
                IamFailure::Form(error) => error,
                IamFailure::Service(error) => failed(error),
            })
        }
    }
}

async fn assume_role_with_web_identity(identity: &Identity, form: &Form) -> Answer {
    let assumed = identity
        .assume_role_with_web_identity(
            &form.required("RoleArn")?,
            &form.required("RoleSessionName")?,
            &form.required("WebIdentityToken")?,
            form.opt_i64("DurationSeconds")?,
            form.opt("Policy"),
        )
        .await
        .map_err(|error| QueryError::from_service(error, Service::Sts))?;
    Ok(Some(format!(
        "{}{}<AssumedRoleUser>{}{}</AssumedRoleUser>{}{}",
        credentials_xml(&assumed.assumed.credentials),
        element("SubjectFromWebIdentityToken", &assumed.subject),
        element("Arn", &assumed.assumed.assumed_role_arn),
        element("AssumedRoleId", &assumed.assumed.assumed_role_id),
        element("Provider", &assumed.provider),
        element("Audience", &assumed.audience),
    )))
}

async fn assume_role(identity: &Identity, principal: &Principal, form: &Form) -> Answer {
    let assumed = identity
        .assume_role(
            principal,
            &form.required("RoleArn")?,
            &form.required("RoleSessionName")?,
            form.opt_i64("DurationSeconds")?,
            form.opt("Policy"),
            form.opt("ExternalId"),
        )
        .await
        .map_err(|error| QueryError::from_service(error, Service::Sts))?;
    Ok(Some(format!(
        "{}<AssumedRoleUser>{}{}</AssumedRoleUser>",
        credentials_xml(&assumed.credentials),
        element("Arn", &assumed.assumed_role_arn),
        element("AssumedRoleId", &assumed.assumed_role_id),
    )))
}

fn get_caller_identity(identity: &Identity, principal: &Principal) -> Answer {
    let (user_id, account, arn) = identity.caller_identity(principal);
    Ok(Some(format!("{}{}{}", element("UserId", &user_id), element("Account", &account), element("Arn", &arn))))
}
