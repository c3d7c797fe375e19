//! The AWS SigV4 test suite (see `sigv4_suite/README.md`): for every vector our canonical
//! request is AWS's, and the published signature verifies.

use std::path::Path;

use s3cognito_crypto::sigv4::{
    RequestToVerify, SigV4Error, authorization_from_headers, canonical_request, verify,
};

pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, when most vectors were signed.
pub const SUITE_TIME: u64 = 1_440_938_160;

/// A request parsed from the suite's `.txt` form, the way an HTTP server would hand it over:
/// header names lowercased, values trimmed, folded lines joined with a space.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    pub fn as_request(&self) -> RequestToVerify<'_> {
        RequestToVerify {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

fn parse_request(text: &str) -> ReceivedRequest {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("a request line");
    let (method, rest) = request_line.split_once(' ').expect("method and target");
    // double-url-encode, migrated from the old suite format, has no protocol version.
    let target = rest.strip_suffix(" HTTP/1.1").unwrap_or(rest);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut().expect("a folded line follows a header");
            value.push(' ');
            value.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').expect("name:value");
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    ReceivedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn time_of(request: &ReceivedRequest) -> u64 {
    let date = request
        .headers
        .iter()
        .find(|(name, _)| name == "x-amz-date")
        .map(|(_, value)| value.as_str());
    match date {
        Some("20150830T123600Z") => SUITE_TIME,
        // double-url-encode: 2021-05-11T15:40:45Z.
        Some("20210511T154045Z") => 1_620_747_645,
        other => panic!("no known epoch for {other:?}"),
    }
}

#[test]
fn every_suite_vector_canonicalizes_and_verifies() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/sigv4_suite");
    let mut names: Vec<_> = std::fs::read_dir(&suite)
        .expect("suite directory")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 30, "the suite is missing: {names:?}");
    for name in &names {
        let read =
            |file: &str| std::fs::read_to_string(suite.join(name).join(file)).expect("vector file");
        let received = parse_request(&read("header-signed-request.txt"));
        let request = received.as_request();
        let authorization = authorization_from_headers(&received.headers)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(
            canonical_request(&request, &authorization),
            read("header-canonical-request.txt"),
            "{name}"
        );
        let now = time_of(&received);
        assert_eq!(
            verify(&request, &authorization, SECRET, now),
            Ok(()),
            "{name}"
        );
        assert_eq!(
            verify(&request, &authorization, "wrong secret", now),
            Err(SigV4Error::SignatureDoesNotMatch),
            "{name}"
        );
    }
}

#[test]
fn get_vanilla_has_the_published_signature() {
    let received = parse_request(concat!(
        "GET / HTTP/1.1\n",
        "Host:example.amazonaws.com\n",
        "X-Amz-Date:20150830T123600Z\n",
        "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ",
        "SignedHeaders=host;x-amz-date, ",
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n\n",
    ));
    let authorization = authorization_from_headers(&received.headers).expect("parses");
    assert_eq!(
        verify(&received.as_request(), &authorization, SECRET, SUITE_TIME),
        Ok(())
    );
}
