//! The plain HTTP calls the client makes beside the AWS SDKs: a JSON POST to the GraphQL API, and a signed
//! GET of the audit log.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::{ClientError, Result};

/// Answers longer than this are not read.
const MAX_ANSWER_BYTES: usize = 4 << 20;
/// How long the call may take, answer included, before it is given up: a stalled server must not hang
/// an upload that has already stored its bytes.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// POSTs `body` to `url` with `Authorization: <token>`, and reads the JSON answer (errors included).
pub(crate) async fn post_json(url: &str, token: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
    match tokio::time::timeout(TIMEOUT, call(url, token, body)).await {
        Ok(answer) => answer,
        Err(_) => Err(ClientError::Transport(format!("{url}: no answer within {} seconds", TIMEOUT.as_secs()))),
    }
}

async fn call(url: &str, token: &str, body: &serde_json::Value) -> Result<serde_json::Value> {
    let transport = |detail: String| ClientError::Transport(format!("{url}: {detail}"));
    let request = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("authorization", token)
        .body(Full::new(Bytes::from(serde_json::to_vec(body).map_err(|error| transport(error.to_string()))?)))
        .map_err(|error| transport(error.to_string()))?;
    Ok(send(url, request).await?.1)
}

/// GETs `url` with `headers`, and reads the JSON answer with its status (errors included).
pub(crate) async fn get_json(url: &str, headers: &[(String, String)]) -> Result<(hyper::StatusCode, serde_json::Value)> {
    let transport = |detail: String| ClientError::Transport(format!("{url}: {detail}"));
    let mut request = hyper::Request::get(url);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request.body(Full::new(Bytes::new())).map_err(|error| transport(error.to_string()))?;
    match tokio::time::timeout(TIMEOUT, send(url, request)).await {
        Ok(answer) => answer,
        Err(_) => Err(transport(format!("no answer within {} seconds", TIMEOUT.as_secs()))),
    }
}

async fn send(url: &str, request: hyper::Request<Full<Bytes>>) -> Result<(hyper::StatusCode, serde_json::Value)> {
    let transport = |detail: String| ClientError::Transport(format!("{url}: {detail}"));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|error| transport(error.to_string()))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let response = client.request(request).await.map_err(|error| transport(error.to_string()))?;
    let status = response.status();
    let bytes = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await
        .map_err(|error| transport(error.to_string()))?
        .to_bytes();
    let answer: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| ClientError::Protocol(format!("{url} answered HTTP {status}, not JSON")))?;
    Ok((status, answer))
}
