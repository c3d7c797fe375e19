//! SigV4: the Authorization header's parser and the canonical request built from a request as
//! received, over arbitrary methods, paths, queries and headers. Nothing may panic, and a signature
//! computed over garbage must still be refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3cognito_crypto::sigv4;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let authorization = lines.next().unwrap_or_default();
    let method = lines.next().unwrap_or("GET");
    let target = lines.next().unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut body = Vec::new();
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.to_ascii_lowercase(), value.to_owned()));
        }
    }
    for line in lines {
        body.extend_from_slice(line.as_bytes());
    }
    let _ = sigv4::authorization_from_headers(&headers);
    let Ok(parsed) = sigv4::parse_authorization(authorization) else { return };
    let request = sigv4::RequestToVerify { method, path, query, headers: &headers, body: &body };
    let _ = sigv4::canonical_request(&request, &parsed);
    let now = 1_800_000_000;
    assert!(sigv4::verify(&request, &parsed, "a secret nobody signed with", now).is_err());
});
