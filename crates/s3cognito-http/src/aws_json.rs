//! The entry point of `POST /`: AWS JSON 1.1 routed by `X-Amz-Target` to a service's operations
//! (cognito-idp, cognito-identity, KMS), and
//! query-protocol forms (`Action=…`) handed to STS and IAM.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use s3cognito_service::ServiceError;
use s3cognito_service::activity::{self, Via};
use s3cognito_service::authorization::{Caller, Resource};
use s3cognito_types::operation::{Authorization, CognitoIdentity, CognitoIdp, Kms, Operation};
use serde_json::Value;

use crate::error::ApiError;
use crate::input::Input;
use crate::{HttpState, cognito_identity, cognito_idp, kms, query};

/// The parts of a request a signature covers, decoded once for every protocol.
#[derive(Debug)]
pub(crate) struct RawRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lowercase names, values as received.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The peer's address, where the connection told it (not in in-process tests).
    pub source: Option<std::net::IpAddr>,
}

impl RawRequest {
    pub fn signed(&self) -> s3cognito_service::access::SignedRequest<'_> {
        s3cognito_service::access::SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// The address of the peer of the connection a request came on, when the server recorded it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SourceAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(SourceAddress(info.map(|info| info.0.ip())))
    }
}

/// The operations the AWS JSON protocol carries, by `X-Amz-Target`.
#[derive(Debug, Clone, Copy)]
enum JsonOperation {
    CognitoIdp(CognitoIdp),
    CognitoIdentity(CognitoIdentity),
    Kms(Kms),
}

impl JsonOperation {
    fn operation(self) -> Operation {
        match self {
            JsonOperation::CognitoIdp(operation) => operation.into(),
            JsonOperation::CognitoIdentity(operation) => operation.into(),
            JsonOperation::Kms(operation) => operation.into(),
        }
    }
}

/// Which operation `X-Amz-Target` names; anything else is refused before any handler, as AWS does,
/// before a signature is checked.
fn json_operation(target: &str) -> Result<JsonOperation, ApiError> {
    let unknown = |name: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, "UnknownOperationException", format!("Unknown operation {name}"))
    };
    match target.split_once('.') {
        Some(("AWSCognitoIdentityProviderService", name)) => {
            CognitoIdp::parse(name).map(JsonOperation::CognitoIdp).ok_or_else(|| unknown(name))
        }
        Some(("AWSCognitoIdentityService", name)) => {
            CognitoIdentity::parse(name).map(JsonOperation::CognitoIdentity).ok_or_else(|| unknown(name))
        }
        Some(("TrentService", name)) => Kms::parse(name).map(JsonOperation::Kms).ok_or_else(|| unknown(name)),
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "UnknownOperationException", "Unknown operation")),
    }
}

/// One JSON-protocol request: the per-address budget of unauthenticated calls, the signature when the
/// operation needs one, the body, the authorization decision, then the operation's handler.
async fn run(state: &HttpState, operation: JsonOperation, request: &RawRequest) -> Result<Value, ApiError> {
    if let (JsonOperation::CognitoIdp(operation), Some(source)) = (operation, request.source)
        && let Some(budget) = cognito_idp::address_budget(operation)
    {
        state.app.limiter.address(budget, source).await?;
    }
    let service = operation.operation().service().name();
    let principal = match operation.operation().authorization() {
        // No operation of these protocols takes a pool token; the Authorizer refuses one without a signature.
        Authorization::Public | Authorization::UserPoolToken => None,
        Authorization::Signed | Authorization::SignedByAnyone => Some(
            state.app.access.authenticate(&request.signed(), service).await.map_err(ServiceError::Authentication)?,
        ),
    };
    if let Some(principal) = &principal {
        activity::note_signed(principal, &state.app.identity.settings().account_id, Via::Signature);
    }
    let input = Input::parse(&request.body)?;
    // KMS authorizes each key a request names against that key's policy, once it has found the key.
    if let (JsonOperation::Kms(operation), Some(principal)) = (operation, &principal) {
        return kms::run(state, operation, principal, &input).await;
    }
    let caller = principal.as_ref().map_or(Caller::Anonymous, Caller::Signed);
    // Only what a policy is checked against is read here, and only for a signed call: the pool it names.
    let member = match operation {
        JsonOperation::CognitoIdp(_) => "UserPoolId",
        JsonOperation::CognitoIdentity(_) | JsonOperation::Kms(_) => "IdentityPoolId",
    };
    let named = if principal.is_some() { input.opt_string(member)? } else { None };
    if let Some(named) = &named {
        activity::note_resource(named.clone());
    }
    let resource = match (named.as_deref(), operation) {
        (None, _) | (_, JsonOperation::Kms(_)) => Resource::Any,
        (Some(pool), JsonOperation::CognitoIdp(_)) => Resource::UserPool(pool),
        (Some(pool), JsonOperation::CognitoIdentity(_)) => Resource::IdentityPool(pool),
    };
    state.app.authorizer.authorize(caller, operation.operation(), &resource).await?;
    match operation {
        JsonOperation::CognitoIdp(operation) => cognito_idp::run(state, operation, &input).await,
        JsonOperation::CognitoIdentity(operation) => cognito_identity::run(state, operation, &input).await,
        JsonOperation::Kms(_) => Err(ServiceError::Authentication(s3cognito_service::AuthenticationError::MissingAuthenticationToken).into()),
    }
}

pub(crate) async fn dispatch(
    State(state): State<HttpState>,
    SourceAddress(source): SourceAddress,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let request_id = activity::current().map_or_else(|| uuid::Uuid::new_v4().to_string(), |record| record.id().to_owned());
    let form = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let body = match body {
        Ok(body) => body,
        // Past the body limit (2 MiB; no operation takes a tenth of it) the answer is the protocol's own.
        Err(rejection) => {
            let message = format!("The request body could not be read: {rejection}");
            tracing::info!(status = rejection.status().as_u16(), "request body refused");
            let mut response = if form {
                let authorization = headers.get("authorization").and_then(|value| value.to_str().ok());
                query::refused(rejection.status(), "RequestEntityTooLarge", &message, authorization, &request_id)
            } else {
                ApiError::new(rejection.status(), "SerializationException", message).into_response()
            };
            response.headers_mut().insert("connection", HeaderValue::from_static("close"));
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                response.headers_mut().insert("x-amzn-requestid", value);
            }
            return response;
        }
    };
    let target = headers.get("x-amz-target").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let mut header_list: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    if !headers.contains_key("host") {
        // HTTP/2 carries the host as :authority; clients sign it as `host`.
        if let Some(authority) = uri.authority() {
            header_list.push(("host".to_owned(), authority.to_string()));
        }
    }
    let request = RawRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers: header_list,
        body,
        source,
    };
    if target.is_empty() && form {
        let mut response = query::handle(&state, &request, &request_id).await;
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("x-amzn-requestid", value);
        }
        return response;
    }
    let result = match json_operation(&target) {
        Ok(operation) => {
            activity::note_operation(operation.operation());
            run(&state, operation, &request).await
        }
        Err(unknown_operation) => Err(unknown_operation),
    };
    let mut response = match result {
        Ok(value) => {
            let mut response = axum::Json(value).into_response();
            response.headers_mut().insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
            response
        }
        Err(error) => {
            tracing::info!(target = crate::loggable(&target), code = error.code, status = error.status.as_u16(), "request refused");
            activity::note_error_code(error.code);
            error.into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}
