//! The Authorization header's grammar, and the checks around the signature: clock skew, the
//! scope's date, the signed host, the declared payload hash.

use s3cognito_crypto::sigv4::{
    Authorization, RequestToVerify, SigV4Error, authorization_from_headers, canonical_request,
    parse_authorization,
};

use crate::sigv4_oracle::{SIGNED_AT, Unsigned, check, sign_with_sdk};

const SIGNATURE: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn incomplete(reason: &'static str) -> Result<Authorization, SigV4Error> {
    Err(SigV4Error::IncompleteSignature(reason))
}

#[test]
fn authorization_headers_parse_strictly_but_tolerate_spacing() {
    let parsed = Ok(Authorization {
        access_key_id: "AKIDEXAMPLE".to_owned(),
        date: "20150830".to_owned(),
        region: "us-east-1".to_owned(),
        service: "service".to_owned(),
        signed_headers: vec!["host".to_owned(), "x-amz-date".to_owned()],
        signature: SIGNATURE.to_owned(),
    });
    let credential = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
    let signed = "SignedHeaders=host;x-amz-date";
    let signature = format!("Signature={SIGNATURE}");
    let cases: Vec<(String, Result<Authorization, SigV4Error>)> = vec![
        (
            format!("AWS4-HMAC-SHA256 {credential}, {signed}, {signature}"),
            parsed.clone(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential},{signed},{signature}"),
            parsed.clone(),
        ),
        (
            format!("AWS4-HMAC-SHA256  {credential},  {signed} , {signature}"),
            parsed.clone(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {signature}, {credential}, {signed}"),
            parsed.clone(),
        ),
        (
            format!("AWS4-HMAC-SHA1 {credential}, {signed}, {signature}"),
            incomplete("Authorization must start with AWS4-HMAC-SHA256"),
        ),
        (
            format!("AWS4-HMAC-SHA256{credential}, {signed}, {signature}"),
            incomplete("Authorization must start with AWS4-HMAC-SHA256"),
        ),
        (
            format!("aws4-hmac-sha256 {credential}, {signed}, {signature}"),
            incomplete("Authorization must start with AWS4-HMAC-SHA256"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}, {signed}"),
            incomplete("Credential, SignedHeaders and Signature are all required"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}, {signed}, {signature}, {signature}"),
            incomplete("repeated component"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}, {signed}, {signature}, Extra=1"),
            incomplete("unknown component"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, {signed}, {signature}"
            ),
            incomplete("unknown component"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}; {signed}; {signature}"),
            incomplete("Credential, SignedHeaders and Signature are all required"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}, {signed}, {signature},"),
            incomplete("component without '='"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_reques, {signed}, {signature}"
            ),
            incomplete("credential scope must end with aws4_request"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/aws4_request, {signed}, {signature}"
            ),
            incomplete("Credential must be key/date/region/service/aws4_request"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=AKID/EXAMPLE/20150830/us-east-1/service/aws4_request, {signed}, {signature}"
            ),
            incomplete("Credential must be key/date/region/service/aws4_request"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=/20150830/us-east-1/service/aws4_request, {signed}, {signature}"
            ),
            incomplete("empty credential component"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015-08-30/us-east-1/service/aws4_request, {signed}, {signature}"
            ),
            incomplete("credential date must be YYYYMMDD"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}, SignedHeaders=Host;x-amz-date, {signature}"),
            incomplete("SignedHeaders must be lowercase header names separated by ';'"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}, SignedHeaders=host;;x-amz-date, {signature}"),
            incomplete("SignedHeaders must be lowercase header names separated by ';'"),
        ),
        (
            format!("AWS4-HMAC-SHA256 {credential}, SignedHeaders=, {signature}"),
            incomplete("SignedHeaders must be lowercase header names separated by ';'"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 {credential}, {signed}, Signature={}",
                SIGNATURE.to_uppercase()
            ),
            incomplete("Signature must be 64 lowercase hex digits"),
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 {credential}, {signed}, Signature={}",
                &SIGNATURE[1..]
            ),
            incomplete("Signature must be 64 lowercase hex digits"),
        ),
        (
            String::new(),
            incomplete("Authorization must start with AWS4-HMAC-SHA256"),
        ),
        (
            "Bearer eyJraWQiOiJrIn0.e30.c2ln".to_owned(),
            incomplete("Authorization must start with AWS4-HMAC-SHA256"),
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(parse_authorization(&header), expected, "{header}");
    }
}

#[test]
fn a_request_without_authorization_is_missing_authentication() {
    let headers = vec![("host".to_owned(), "example.amazonaws.com".to_owned())];
    assert_eq!(
        authorization_from_headers(&headers),
        Err(SigV4Error::MissingAuthenticationToken)
    );
    let received = sign_with_sdk(&Unsigned::new("GET", "/", ""), SIGNED_AT, |_| {});
    let mut twice = received.headers.clone();
    twice.extend(
        received
            .headers
            .iter()
            .filter(|(name, _)| name == "authorization")
            .cloned(),
    );
    assert_eq!(
        authorization_from_headers(&twice),
        Err(SigV4Error::IncompleteSignature(
            "a header that must be unique is repeated"
        ))
    );
}

#[test]
fn requests_older_or_newer_than_fifteen_minutes_are_refused() {
    let received = sign_with_sdk(&Unsigned::new("POST", "/", ""), SIGNED_AT, |_| {});
    let cases = [
        (SIGNED_AT, Ok(())),
        (SIGNED_AT + 900, Ok(())),
        (SIGNED_AT - 900, Ok(())),
        (
            SIGNED_AT + 901,
            Err(SigV4Error::RequestTimeTooSkewed {
                request_time: SIGNED_AT,
                server_time: SIGNED_AT + 901,
            }),
        ),
        (
            SIGNED_AT - 901,
            Err(SigV4Error::RequestTimeTooSkewed {
                request_time: SIGNED_AT,
                server_time: SIGNED_AT - 901,
            }),
        ),
        (
            SIGNED_AT + 86_400 * 7,
            Err(SigV4Error::RequestTimeTooSkewed {
                request_time: SIGNED_AT,
                server_time: SIGNED_AT + 86_400 * 7,
            }),
        ),
    ];
    for (now, expected) in cases {
        assert_eq!(check(&received, now), expected, "now = {now}");
    }
}

#[test]
fn the_credential_scope_must_name_the_request_day() {
    // Signed one minute before midnight UTC; the client then claims a time just after it,
    // inside the skew window but on another day than its credential scope.
    let before_midnight = 1_700_006_340; // 2023-11-14T23:59:00Z
    let mut received = sign_with_sdk(&Unsigned::new("POST", "/", ""), before_midnight, |_| {});
    for (name, value) in &mut received.headers {
        if name == "x-amz-date" {
            assert_eq!(value, "20231114T235900Z");
            *value = "20231115T000100Z".to_owned();
        }
    }
    assert_eq!(
        check(&received, before_midnight),
        Err(SigV4Error::ScopeDateMismatch)
    );
}

#[test]
fn the_date_header_stands_in_for_x_amz_date() {
    // The SDK always sends X-Amz-Date; leaving it unsigned and dropping it makes the request
    // the one a Date-only client sends: same string to sign, time taken from `Date`.
    let unsigned = Unsigned::new("POST", "/", "").body(b"Action=GetCallerIdentity");
    let mut with_date = unsigned.clone();
    with_date.headers.push((
        "Date".to_owned(),
        "Tue, 14 Nov 2023 22:13:20 GMT".to_owned(),
    ));
    let mut received = sign_with_sdk(&with_date, SIGNED_AT, |settings| {
        settings
            .excluded_headers
            .get_or_insert_with(Vec::new)
            .push("x-amz-date".into());
    });
    received.headers.retain(|(name, _)| name != "x-amz-date");
    assert_eq!(check(&received, SIGNED_AT), Ok(()));
    assert_eq!(
        check(&received, SIGNED_AT + 901),
        Err(SigV4Error::RequestTimeTooSkewed {
            request_time: SIGNED_AT,
            server_time: SIGNED_AT + 901
        })
    );

    let mut other_date = received.clone();
    for (name, value) in &mut other_date.headers {
        if name == "date" {
            *value = "Tue, 14 Nov 2023 22:13:21 GMT".to_owned();
        }
    }
    assert_eq!(
        check(&other_date, SIGNED_AT),
        Err(SigV4Error::SignatureDoesNotMatch)
    );
}

#[test]
fn malformed_or_missing_times_are_incomplete_signatures() {
    let received = sign_with_sdk(&Unsigned::new("POST", "/", ""), SIGNED_AT, |_| {});
    let x_amz_date = "X-Amz-Date must be YYYYMMDDTHHMMSSZ";
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("x-amz-date", "2023-11-14T22:13:20Z")], x_amz_date),
        (vec![("x-amz-date", "20231114T221320")], x_amz_date),
        (vec![("x-amz-date", "20231314T221320Z")], x_amz_date),
        (vec![("x-amz-date", "20230229T221320Z")], x_amz_date),
        (vec![("x-amz-date", "20231114T246000Z")], x_amz_date),
        (vec![("x-amz-date", "2023111+T221320Z")], x_amz_date),
        // Sixteen bytes with a multi-byte character inside a field (found by fuzzing: it used to panic).
        (vec![("x-amz-date", "261\u{fffd}02T000000Z")], x_amz_date),
        (vec![("x-amz-date", "2023\u{e9}114T22132Z")], x_amz_date),
        (vec![("date", "yesterday")], "Date is not an HTTP date"),
        (vec![], "the request needs an X-Amz-Date or a Date header"),
        (
            vec![
                ("x-amz-date", "20231114T221320Z"),
                ("x-amz-date", "20231114T221320Z"),
            ],
            "a header that must be unique is repeated",
        ),
    ];
    for (dates, reason) in cases {
        let mut request = received.clone();
        request.headers.retain(|(name, _)| name != "x-amz-date");
        request.headers.extend(
            dates
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string())),
        );
        assert_eq!(
            check(&request, SIGNED_AT),
            Err(SigV4Error::IncompleteSignature(reason)),
            "{dates:?}"
        );
    }
}

#[test]
fn leap_days_and_year_ends_are_valid_times() {
    // 2024-02-29T12:00:00Z and 2023-12-31T23:59:59Z.
    for time in [1_709_208_000, 1_704_067_199] {
        let received = sign_with_sdk(&Unsigned::new("POST", "/", ""), time, |_| {});
        assert_eq!(check(&received, time), Ok(()), "{time}");
    }
}

#[test]
fn the_host_header_must_be_signed() {
    let received = sign_with_sdk(&Unsigned::new("POST", "/", ""), SIGNED_AT, |settings| {
        settings
            .excluded_headers
            .get_or_insert_with(Vec::new)
            .push("host".into());
    });
    assert_eq!(
        check(&received, SIGNED_AT),
        Err(SigV4Error::IncompleteSignature(
            "the host header must be signed"
        ))
    );
}

#[test]
fn a_declared_payload_hash_must_be_the_bodys() {
    let mut unsigned = Unsigned::new("POST", "/", "").body(b"{\"KeyId\":\"alias/x\"}");
    unsigned.content_sha256 = true;
    let received = sign_with_sdk(&unsigned, SIGNED_AT, |_| {});
    assert_eq!(check(&received, SIGNED_AT), Ok(()));

    for declared in ["UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", ""] {
        let mut request = received.clone();
        for (name, value) in &mut request.headers {
            if name == "x-amz-content-sha256" {
                *value = declared.to_owned();
            }
        }
        assert_eq!(
            check(&request, SIGNED_AT),
            Err(SigV4Error::PayloadHashMismatch),
            "{declared}"
        );
    }
}

#[test]
fn paths_and_queries_canonicalize_as_aws_specifies() {
    let cases = [
        // From the suite's double-encode-path: the path is encoded again, `%` included.
        (
            "/test/@connections/JBDvjfGEIAMCERw%3D",
            "",
            "/test/%40connections/JBDvjfGEIAMCERw%253D",
            "",
        ),
        ("", "", "/", ""),
        ("/a/./b/../c//d/", "", "/a/c/d/", ""),
        ("/../x", "", "/x", ""),
        ("/a/b/..", "", "/a/", ""),
        ("/a b/é", "", "/a%20b/%C3%A9", ""),
        ("/", "b=2&a=2&a=1", "/", "a=1&a=2&b=2"),
        ("/", "Z=1&a=1&_=1", "/", "Z=1&_=1&a=1"),
        ("/", "a+b=c+d", "/", "a%20b=c%20d"),
        ("/", "k", "/", "k="),
        ("/", "&&a=1&", "/", "a=1"),
        ("/", "%zz=1&p=%", "/", "%25zz=1&p=%25"),
        ("/", "x=a=b", "/", "x=a%3Db"),
        ("/", "s=%2a%2f%7E", "/", "s=%2A%2F~"),
    ];
    let authorization = parse_authorization(&format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature={SIGNATURE}"
    ))
    .expect("parses");
    let headers = vec![("host".to_owned(), "example.amazonaws.com".to_owned())];
    for (path, query, canonical_path, canonical_query) in cases {
        let request = RequestToVerify {
            method: "GET",
            path,
            query,
            headers: &headers,
            body: b"",
        };
        let canonical = canonical_request(&request, &authorization);
        let lines: Vec<&str> = canonical.lines().take(3).collect();
        assert_eq!(
            lines,
            ["GET", canonical_path, canonical_query],
            "{path}?{query}"
        );
    }
}
