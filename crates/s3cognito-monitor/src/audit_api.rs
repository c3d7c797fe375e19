//! `GET /_s3cognito/audit`: the audit log, newest first, for a caller signed with AWS credentials (SigV4,
//! service `s3cognito`) whose policies allow `s3cognito:ListAuditEvents`; the account's own keys may.
//!
//! Query: `since`, `until` (epoch seconds or ISO 8601), `principal` (as recorded, its last segment — a
//! username —, or an identity id), `event`, `outcome`, `limit` (1–1000, 100 by default) and `nextToken`
//! from the previous page. Answer: `{"events": [...], "nextToken": "…"}`.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use s3cognito_service::audit::{AuditCursor, AuditFilter, RecordedEvent};
use s3cognito_service::ServiceError;
use s3cognito_service::access::SignedRequest;
use s3cognito_service::activity::{self, Via};
use s3cognito_service::authorization::{Caller, Resource};
use s3cognito_types::operation::Own;
use serde_json::{Value, json};

use crate::{MonitorState, refusal};

/// The service name a signature for the audit log is scoped to.
pub const SIGNING_SERVICE: &str = "s3cognito";
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

pub(crate) async fn list(
    State(state): State<MonitorState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    activity::note_operation(Own::ListAuditEvents);
    let header_list: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let query = uri.query().unwrap_or_default();
    let signed = SignedRequest { method: method.as_str(), path: uri.path(), query, headers: &header_list, body: &body };
    let app = &state.app;
    let principal = match app.access.authenticate(&signed, SIGNING_SERVICE).await {
        Ok(principal) => principal,
        Err(error) => {
            use s3cognito_service::AuthenticationError as Refused;
            let code = match &error {
                Refused::MissingAuthenticationToken => "MissingAuthenticationTokenException",
                Refused::IncompleteSignature(_) => "IncompleteSignatureException",
                Refused::UnrecognizedClient => "UnrecognizedClientException",
                Refused::SignatureDoesNotMatch | Refused::RequestExpired | Refused::WrongRegion { .. } => "InvalidSignatureException",
                Refused::ExpiredToken => "ExpiredTokenException",
            };
            return refusal(StatusCode::FORBIDDEN, code, error.to_string());
        }
    };
    activity::note_signed(&principal, &app.identity.settings().account_id, Via::Signature);
    match app.authorizer.authorize(Caller::Signed(&principal), Own::ListAuditEvents.into(), &Resource::Monitoring).await {
        Ok(()) => {}
        Err(ServiceError::AccessDenied(message)) => return refusal(StatusCode::FORBIDDEN, "AccessDeniedException", message),
        Err(error) => {
            tracing::error!(%error, "authorizing an audit listing failed");
            return refusal(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "The request could not be served.");
        }
    }
    let filter = match filter(query) {
        Ok(filter) => filter,
        Err(message) => return refusal(StatusCode::BAD_REQUEST, "ValidationException", message),
    };
    match app.audit.list(&filter).await {
        Ok(events) => {
            let next = s3cognito_service::audit::next_page(&events, filter.limit).map(|cursor| format!("{}.{}", cursor.at, cursor.id));
            let body = json!({
                "events": events.iter().map(event_json).collect::<Vec<_>>(),
                "nextToken": next,
            });
            axum::Json(body).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "listing audit events failed");
            refusal(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "The audit log could not be read.")
        }
    }
}

/// A time as the API takes it: epoch seconds or ISO 8601.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| s3cognito_crypto::calendar::parse_iso8601(text))
}

fn filter(query: &str) -> Result<AuditFilter, String> {
    let mut filter = AuditFilter { limit: DEFAULT_LIMIT, ..AuditFilter::default() };
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = value.into_owned();
        let text = || if value.is_empty() { None } else { Some(value.clone()) };
        match name.as_ref() {
            "since" => filter.since = Some(parse_time(&value).ok_or_else(|| format!("since is not a time: {value}"))?),
            "until" => filter.until = Some(parse_time(&value).ok_or_else(|| format!("until is not a time: {value}"))?),
            "principal" => filter.principal = text(),
            "event" => filter.event = text(),
            "outcome" => filter.outcome = text(),
            "limit" => {
                filter.limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                    .ok_or_else(|| format!("limit must be between 1 and {MAX_LIMIT}"))?;
            }
            "nextToken" => {
                let cursor = value.split_once('.').and_then(|(at, id)| Some(AuditCursor { at: at.parse().ok()?, id: id.to_owned() }));
                filter.before = Some(cursor.ok_or("nextToken is not one this API gave")?);
            }
            _ => {}
        }
    }
    Ok(filter)
}

/// One event as the API answers it.
pub fn event_json(recorded: &RecordedEvent) -> Value {
    let event = &recorded.event;
    json!({
        "time": s3cognito_crypto::calendar::iso8601(recorded.at),
        "event": event.event,
        "service": event.service,
        "outcome": event.outcome,
        "errorCode": event.error_code,
        "principal": event.principal,
        "identity": event.identity,
        "sourceAddress": event.source,
        "resource": event.resource,
        "via": event.via,
        "requestId": event.request_id,
        "id": recorded.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_times_names_and_pages_from_the_query() {
        let read = filter("since=2026-11-22T10%3A00%3A00Z&until=1795400000&principal=carol&event=InitiateAuth&outcome=failure&limit=5&nextToken=1795341600.0192-ab").unwrap();
        assert_eq!(read.since, Some(1_795_341_600));
        assert_eq!(read.until, Some(1_795_400_000));
        assert_eq!(read.principal.as_deref(), Some("carol"));
        assert_eq!(read.event.as_deref(), Some("InitiateAuth"));
        assert_eq!(read.outcome.as_deref(), Some("failure"));
        assert_eq!(read.limit, 5);
        assert_eq!(read.before, Some(AuditCursor { at: 1_795_341_600, id: "0192-ab".to_owned() }));
        assert_eq!(filter("").unwrap().limit, DEFAULT_LIMIT);
        assert!(filter("limit=0").is_err());
        assert!(filter("since=yesterday").is_err());
        assert!(filter("nextToken=garbage").is_err());
        assert_eq!(filter("principal=a%2Fb+c").unwrap().principal.as_deref(), Some("a/b c"));
    }
}
