//! The AWS query protocol (`Action=…` forms, XML answers): STS and IAM, told apart by the SigV4
//! credential scope; unsigned requests are STS's (AssumeRoleWithWebIdentity needs no signature).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3cognito_crypto::calendar::iso8601;
use s3cognito_crypto::sigv4;
use s3cognito_service::access::Principal;
use s3cognito_service::identity::{IssuedCredentials, RoleSettings, RoleRecord};
use s3cognito_service::{AuthenticationError, ServiceError};

use crate::HttpState;
use crate::aws_json::RawRequest;

/// The tag of CreateOpenIDConnectProvider that names the provider's JWKS URL.
const JWKS_URL_TAG: &str = "s3cognito:jwks-url";
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
struct QueryError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl QueryError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        QueryError { status, code, message: message.into() }
    }

    fn validation(message: impl Into<String>) -> Self {
        QueryError::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    fn from_service(error: ServiceError, service: Service) -> Self {
        use ServiceError as E;
        let bad = StatusCode::BAD_REQUEST;
        let (status, code) = match &error {
            E::ResourceNotFound(_) => (StatusCode::NOT_FOUND, "NoSuchEntity"),
            E::AlreadyExists(_) => (StatusCode::CONFLICT, "EntityAlreadyExists"),
            E::MalformedPolicy(_) => (bad, "MalformedPolicyDocument"),
            E::DeleteConflict(_) => (StatusCode::CONFLICT, "DeleteConflict"),
            E::AccessDenied(_) | E::NotAuthorized(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
            E::InvalidIdentityToken(_) => (bad, "InvalidIdentityToken"),
            E::ExpiredToken(_) => (bad, "ExpiredTokenException"),
            E::LimitExceeded(_) if service == Service::Sts => (bad, "PackedPolicyTooLarge"),
            E::LimitExceeded(_) => (StatusCode::CONFLICT, "LimitExceeded"),
            E::InvalidParameter(_) | E::InvalidPassword(_) => (bad, "ValidationError"),
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
            E::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                return QueryError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "Internal server error.");
            }
            _ => (bad, "ValidationError"),
        };
        QueryError::new(status, code, error.to_string())
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

/// A query-protocol error for a request refused before it could be parsed (a body past the limit).
pub(crate) fn refused(status: StatusCode, code: &'static str, message: &str, request_id: &str) -> Response {
    QueryError::new(status, code, message).into_response(Service::Sts, request_id)
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/xml"));
    response
}

/// Escapes text for an XML element.
fn escape(text: &str) -> String {
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
fn element(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

fn encoded_policy(name: &str, document: &str) -> String {
    element(name, &utf8_percent_encode(document, POLICY_ENCODE).to_string())
}

/// The request's form members.
struct Form(BTreeMap<String, String>);

impl Form {
    fn opt(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    fn required(&self, name: &str) -> Result<String, QueryError> {
        self.opt(name).ok_or_else(|| {
            let camel: String = name.chars().next().map(|c| c.to_lowercase().chain(name.chars().skip(1)).collect()).unwrap_or_default();
            QueryError::validation(format!(
                "1 validation error detected: Value null at '{camel}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    fn opt_i64(&self, name: &str) -> Result<Option<i64>, QueryError> {
        self.opt(name)
            .map(|value| value.parse().map_err(|_| QueryError::validation(format!("{name} must be a number"))))
            .transpose()
    }

    /// `Name.member.1`, `Name.member.2`, … in order.
    fn list(&self, name: &str) -> Vec<String> {
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

fn role_xml(role: &RoleRecord) -> String {
    let mut xml = format!(
        "{}{}{}{}{}{}",
        element("Path", &role.path),
        element("RoleName", &role.name),
        element("RoleId", &role.role_id),
        element("Arn", &role.arn),
        element("CreateDate", &iso8601(role.created_at)),
        encoded_policy("AssumeRolePolicyDocument", &role.trust_policy),
    );
    if let Some(description) = &role.description {
        xml.push_str(&element("Description", description));
    }
    let _ = write!(xml, "<MaxSessionDuration>{}</MaxSessionDuration>", role.max_session_duration);
    xml
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
        None if IAM_ACTIONS.contains(&action.as_str()) => Service::Iam,
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
            error.into_response(service, request_id)
        }
    }
}

const STS_ACTIONS: &[&str] = &["AssumeRoleWithWebIdentity", "AssumeRole", "GetCallerIdentity"];
const IAM_ACTIONS: &[&str] = &[
    "CreateRole",
    "GetRole",
    "ListRoles",
    "DeleteRole",
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "GetRolePolicy",
    "ListRolePolicies",
    "DeleteRolePolicy",
    "CreateOpenIDConnectProvider",
    "GetOpenIDConnectProvider",
    "ListOpenIDConnectProviders",
    "DeleteOpenIDConnectProvider",
];

async fn authenticate(state: &HttpState, request: &RawRequest, scope: &str, service: Service) -> Result<Principal, QueryError> {
    state
        .app
        .access
        .authenticate(&request.signed(), scope)
        .await
        .map_err(|error| QueryError::from_service(ServiceError::Authentication(error), service))
}

async fn run(
    state: &HttpState,
    request: &RawRequest,
    form: &Form,
    service: Service,
    action: &str,
) -> Result<Option<String>, QueryError> {
    let known = match service {
        Service::Sts => STS_ACTIONS.contains(&action),
        Service::Iam => IAM_ACTIONS.contains(&action),
    };
    if !known {
        return Err(QueryError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!("Could not find operation {action} for version {}", form.opt("Version").unwrap_or_default()),
        ));
    }
    let failed = |error: ServiceError| QueryError::from_service(error, service);
    let identity = &state.app.identity;
    if action == "AssumeRoleWithWebIdentity" {
        let assumed = identity
            .assume_role_with_web_identity(
                &form.required("RoleArn")?,
                &form.required("RoleSessionName")?,
                &form.required("WebIdentityToken")?,
                form.opt_i64("DurationSeconds")?,
                form.opt("Policy"),
            )
            .await
            .map_err(failed)?;
        return Ok(Some(format!(
            "{}{}<AssumedRoleUser>{}{}</AssumedRoleUser>{}{}",
            credentials_xml(&assumed.assumed.credentials),
            element("SubjectFromWebIdentityToken", &assumed.subject),
            element("Arn", &assumed.assumed.assumed_role_arn),
            element("AssumedRoleId", &assumed.assumed.assumed_role_id),
            element("Provider", &assumed.provider),
            element("Audience", &assumed.audience),
        )));
    }
    let scope = match service {
        Service::Sts => "sts",
        Service::Iam => "iam",
    };
    let principal = authenticate(state, request, scope, service).await?;
    if service == Service::Sts {
        return match action {
            "GetCallerIdentity" => {
                let (user_id, account, arn) = identity.caller_identity(&principal);
                Ok(Some(format!("{}{}{}", element("UserId", &user_id), element("Account", &account), element("Arn", &arn))))
            }
            _ => {
                let assumed = identity
                    .assume_role(
                        &principal,
                        &form.required("RoleArn")?,
                        &form.required("RoleSessionName")?,
                        form.opt_i64("DurationSeconds")?,
                        form.opt("Policy"),
                        form.opt("ExternalId"),
                    )
                    .await
                    .map_err(failed)?;
                Ok(Some(format!(
                    "{}<AssumedRoleUser>{}{}</AssumedRoleUser>",
                    credentials_xml(&assumed.credentials),
                    element("Arn", &assumed.assumed_role_arn),
                    element("AssumedRoleId", &assumed.assumed_role_id),
                )))
            }
        };
    }
    let account = &identity.settings().account_id;
    let resource = match form.opt("RoleName") {
        Some(role) => format!("arn:aws:iam::{account}:role/{role}"),
        None => form.opt("OpenIDConnectProviderArn").unwrap_or_else(|| "*".to_owned()),
    };
    identity.authorize(&principal, &format!("iam:{action}"), &resource, &[]).await.map_err(failed)?;
    match action {
        "CreateRole" => {
            let settings = RoleSettings {
                path: form.opt("Path"),
                trust_policy: form.required("AssumeRolePolicyDocument")?,
                description: form.opt("Description"),
                max_session_duration: form.opt_i64("MaxSessionDuration")?,
            };
            let role = identity.create_role(&form.required("RoleName")?, settings).await.map_err(failed)?;
            Ok(Some(format!("<Role>{}</Role>", role_xml(&role))))
        }
        "GetRole" => {
            let role = identity.get_role(&form.required("RoleName")?).await.map_err(failed)?;
            Ok(Some(format!("<Role>{}</Role>", role_xml(&role))))
        }
        "ListRoles" => {
            let (roles, marker) = identity
                .list_roles(form.opt("PathPrefix").as_deref(), form.opt("Marker").as_deref(), form.opt_i64("MaxItems")?)
                .await
                .map_err(failed)?;
            let members: String = roles.iter().map(|role| format!("<member>{}</member>", role_xml(role))).collect();
            let mut xml = format!("<IsTruncated>{}</IsTruncated><Roles>{members}</Roles>", marker.is_some());
            if let Some(marker) = marker {
                xml.push_str(&element("Marker", &marker));
            }
            Ok(Some(xml))
        }
        "DeleteRole" => {
            identity.delete_role(&form.required("RoleName")?).await.map_err(failed)?;
            Ok(None)
        }
        "UpdateAssumeRolePolicy" => {
            identity
                .update_assume_role_policy(&form.required("RoleName")?, &form.required("PolicyDocument")?)
                .await
                .map_err(failed)?;
            Ok(None)
        }
        "PutRolePolicy" => {
            identity
                .put_role_policy(&form.required("RoleName")?, &form.required("PolicyName")?, &form.required("PolicyDocument")?)
                .await
                .map_err(failed)?;
            Ok(None)
        }
        "GetRolePolicy" => {
            let policy_name = form.required("PolicyName")?;
            let (role_name, document) =
                identity.get_role_policy(&form.required("RoleName")?, &policy_name).await.map_err(failed)?;
            Ok(Some(format!(
                "{}{}{}",
                element("RoleName", &role_name),
                element("PolicyName", &policy_name),
                encoded_policy("PolicyDocument", &document)
            )))
        }
        "ListRolePolicies" => {
            let names = identity.list_role_policies(&form.required("RoleName")?).await.map_err(failed)?;
            let members: String = names.iter().map(|name| element("member", name)).collect();
            Ok(Some(format!("<PolicyNames>{members}</PolicyNames><IsTruncated>false</IsTruncated>")))
        }
        "DeleteRolePolicy" => {
            identity
                .delete_role_policy(&form.required("RoleName")?, &form.required("PolicyName")?)
                .await
                .map_err(failed)?;
            Ok(None)
        }
        "CreateOpenIDConnectProvider" => {
            // Where the provider's keys are, when its discovery document cannot be reached from
            // here, travels as a tag, so that the call stays IAM's own.
            let jwks_url = (1..)
                .map_while(|index| {
                    let key = form.opt(&format!("Tags.member.{index}.Key"))?;
                    Some((key, form.opt(&format!("Tags.member.{index}.Value")).unwrap_or_default()))
                })
                .find(|(key, _)| key == JWKS_URL_TAG)
                .map(|(_, value)| value);
            let provider = identity
                .create_oidc_provider(&form.required("Url")?, form.list("ClientIDList"), form.list("ThumbprintList"), jwks_url)
                .await
                .map_err(failed)?;
            Ok(Some(element("OpenIDConnectProviderArn", &provider.arn)))
        }
        "GetOpenIDConnectProvider" => {
            let provider = identity.get_oidc_provider(&form.required("OpenIDConnectProviderArn")?).await.map_err(failed)?;
            let url = provider.url.split_once("://").map_or(provider.url.as_str(), |(_, rest)| rest);
            let clients: String = provider.client_ids.iter().map(|id| element("member", id)).collect();
            let thumbprints: String = provider.thumbprints.iter().map(|print| element("member", print)).collect();
            Ok(Some(format!(
                "{}<ClientIDList>{clients}</ClientIDList><ThumbprintList>{thumbprints}</ThumbprintList>{}",
                element("Url", url),
                element("CreateDate", &iso8601(provider.created_at))
            )))
        }
        "ListOpenIDConnectProviders" => {
            let arns = identity.list_oidc_providers().await.map_err(failed)?;
            let members: String = arns.iter().map(|arn| format!("<member>{}</member>", element("Arn", arn))).collect();
            Ok(Some(format!("<OpenIDConnectProviderList>{members}</OpenIDConnectProviderList>")))
        }
        "DeleteOpenIDConnectProvider" => {
            identity.delete_oidc_provider(&form.required("OpenIDConnectProviderArn")?).await.map_err(failed)?;
            Ok(None)
        }
        _ => Err(QueryError::new(StatusCode::BAD_REQUEST, "InvalidAction", format!("Unknown action {action}"))),
    }
}
