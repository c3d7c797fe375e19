//! The request recorder, a middleware around every route: it opens the request's `RequestRecord` (a new
//! request id, returned in the answer and carried by every log line of the request), counts the bytes
//! each way, and when the answer's last byte has gone (or the client left) turns the record into one
//! access-log line, the request's metrics and, for what the audit log keeps, an audit event.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use s3cognito_service::activity::{self, RequestRecord};
use s3cognito_service::audit::AuditEvent;
use s3cognito_types::operation::{Audited, Own};
use tracing::Instrument;

use crate::MonitorState;

/// Records the request it wraps.
pub async fn observe(State(state): State<MonitorState>, request: Request, next: Next) -> Response {
    let source = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let preflight = request.method() == Method::OPTIONS;
    let record = Arc::new(RequestRecord::new(source));
    let request = request.map(|body| Body::new(Counted { inner: body, record: record.clone(), direction: Direction::In }));
    let span = tracing::info_span!("request", id = record.id());
    let mut response = activity::scope(record.clone(), next.run(request)).instrument(span).await;
    if preflight {
        record.update(|details| {
            details.operation.get_or_insert(Own::Preflight.into());
        });
    }
    let headers = response.headers_mut();
    if !headers.contains_key("x-amz-request-id") && !headers.contains_key("x-amzn-requestid")
        && let Ok(value) = HeaderValue::from_str(record.id())
    {
        headers.insert("x-amzn-requestid", value);
    }
    let status = response.status();
    let finish = Finish { state, record: record.clone(), status, done: false };
    response.map(|body| Body::new(Counted { inner: body, record, direction: Direction::Out(finish) }))
}

enum Direction {
    In,
    /// The answer's body: when it ends (or is dropped), the request is finished.
    Out(Finish),
}

/// A body whose bytes are counted on the record as they pass.
struct Counted {
    inner: Body,
    record: Arc<RequestRecord>,
    direction: Direction,
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(context);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let length = data.len() as u64;
                    match this.direction {
                        Direction::In => this.record.add_bytes_in(length),
                        Direction::Out(_) => this.record.add_bytes_out(length),
                    }
                }
            }
            Poll::Ready(None) => {
                if let Direction::Out(finish) = &mut this.direction {
                    finish.run();
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What is done once the answer has gone.
struct Finish {
    state: MonitorState,
    record: Arc<RequestRecord>,
    status: StatusCode,
    done: bool,
}

impl Finish {
    fn run(&mut self) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        finish(&self.state, &self.record, self.status);
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        // An answer with no body to poll, or a client that left before the end.
        self.run();
    }
}

/// An error code as a metric label: only codes of the shape our protocols use, so that the set of label
/// values stays bounded whatever a response carries.
fn code_label(code: &str) -> String {
    let shaped = code.len() <= 64 && code.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'.');
    if shaped { code.to_owned() } else { "Other".to_owned() }
}

/// The access-log line, the request's metrics and its audit events.
fn finish(state: &MonitorState, record: &RequestRecord, status: StatusCode) {
    let details = record.details();
    let seconds = record.elapsed().as_secs_f64();
    let (service, operation) = match details.operation {
        Some(operation) => (operation.service().name(), operation.name()),
        None => (details.service.map_or("unknown", |service| service.name()), "Unknown"),
    };
    let status_code = status.as_u16();
    let (bytes_in, bytes_out) = (record.bytes_in(), record.bytes_out());

    let status_label = status.as_str().to_owned();
    metrics::counter!("s3cognito_requests_total", "service" => service, "operation" => operation, "status" => status_label).increment(1);
    metrics::histogram!("s3cognito_request_duration_seconds", "service" => service, "operation" => operation).record(seconds);
    if let Some(code) = &details.error_code {
        metrics::counter!("s3cognito_request_errors_total", "service" => service, "operation" => operation, "code" => code_label(code)).increment(1);
    }
    metrics::counter!("s3cognito_received_bytes_total", "service" => service).increment(bytes_in);
    metrics::counter!("s3cognito_sent_bytes_total", "service" => service).increment(bytes_out);

    let principal = details.principal.as_deref().unwrap_or("-");
    let error_code = details.error_code.as_deref().unwrap_or("-");
    let routine = matches!(
        details.operation.and_then(|operation| match operation {
            s3cognito_types::operation::Operation::Own(own) => Some(own),
            _ => None,
        }),
        Some(Own::Health | Own::Ready | Own::GetMetrics)
    );
    // Health checks and scrapes come every few seconds: their lines are for debugging only.
    if routine {
        tracing::debug!(target: "s3cognito::access", request_id = record.id(), service, operation, status = status_code, seconds, "request");
    } else {
        tracing::info!(
            target: "s3cognito::access",
            request_id = record.id(),
            service,
            operation,
            principal,
            status = status_code,
            error = error_code,
            bytes_in,
            bytes_out,
            seconds,
            "request"
        );
    }

    let audit = &state.app.audit;
    if !audit.settings().enabled {
        return;
    }
    let outcome = activity::outcome(status_code, details.error_code.as_deref(), details.operation);
    let audited = details.operation.map_or(Audited::WhenDenied, |operation| operation.audited());
    let event = |name: &str| AuditEvent {
        event: name.to_owned(),
        service: service.to_owned(),
        outcome: outcome.to_owned(),
        error_code: details.error_code.clone(),
        principal: details.principal.clone().unwrap_or_else(|| "anonymous".to_owned()),
        identity: details.identity.clone(),
        source: record.source().map(|address| address.to_string()),
        resource: details.resource.clone(),
        via: details.via.name().to_owned(),
        request_id: record.id().to_owned(),
    };
    if audited == Audited::Always || outcome == "denied" {
        audit.record(event(operation));
    }
    for notable in &details.notable {
        audit.record(event(notable.name()));
    }
}
