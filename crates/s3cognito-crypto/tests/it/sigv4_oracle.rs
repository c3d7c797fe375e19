//! Requests signed by the official `aws-sigv4` crate, as the AWS SDKs sign them, verify; any
//! one-byte change to what was signed does not.

use std::time::{Duration, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use s3cognito_crypto::sigv4::{Authorization, SigV4Error, authorization_from_headers, verify};

use crate::sigv4_suite::ReceivedRequest;

pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2023-11-14T22:13:20Z.
pub const SIGNED_AT: u64 = 1_700_000_000;

/// A request before signing, as a client builds it.
#[derive(Debug, Clone)]
pub struct Unsigned {
    pub method: String,
    /// Authority the client connects to; it becomes the `host` header.
    pub host: String,
    /// Raw path and query, already percent-encoded as they go on the wire.
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub session_token: Option<String>,
    /// Whether the signer adds and signs `x-amz-content-sha256`.
    pub content_sha256: bool,
    pub service: String,
}

impl Unsigned {
    pub fn new(method: &str, path: &str, query: &str) -> Unsigned {
        Unsigned {
            method: method.to_owned(),
            host: "example.amazonaws.com".to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            session_token: None,
            content_sha256: false,
            service: "sts".to_owned(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Unsigned {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: &[u8]) -> Unsigned {
        self.body = body.to_vec();
        self
    }
}

/// Signs with `aws-sigv4` at `time` and returns the request as our server would receive it.
pub fn sign_with_sdk(
    unsigned: &Unsigned,
    time: u64,
    configure: impl FnOnce(&mut SigningSettings),
) -> ReceivedRequest {
    let mut uri = format!("https://{}{}", unsigned.host, unsigned.path);
    if !unsigned.query.is_empty() {
        uri.push('?');
        uri.push_str(&unsigned.query);
    }
    let identity = Credentials::new(
        ACCESS_KEY_ID,
        SECRET,
        unsigned.session_token.clone(),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    if unsigned.content_sha256 {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    configure(&mut settings);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(&unsigned.service)
        .time(UNIX_EPOCH + Duration::from_secs(time))
        .settings(settings)
        .build()
        .expect("signing parameters")
        .into();
    let signable = SignableRequest::new(
        &unsigned.method,
        uri.as_str(),
        unsigned
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
        SignableBody::Bytes(&unsigned.body),
    )
    .unwrap_or_else(|error| panic!("{unsigned:?} is not signable: {error}"));
    let (instructions, _) = sign(signable, &params)
        .unwrap_or_else(|error| panic!("{unsigned:?} does not sign: {error}"))
        .into_parts();

    // What hyper hands over: lowercase names, values without surrounding whitespace.
    let mut headers = vec![("host".to_owned(), unsigned.host.clone())];
    for (name, value) in unsigned
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .chain(instructions.headers())
    {
        headers.push((
            name.to_ascii_lowercase(),
            value.trim_matches([' ', '\t']).to_owned(),
        ));
    }
    ReceivedRequest {
        method: unsigned.method.clone(),
        path: unsigned.path.clone(),
        query: unsigned.query.clone(),
        headers,
        body: unsigned.body.clone(),
    }
}

pub fn check(received: &ReceivedRequest, now: u64) -> Result<(), SigV4Error> {
    let authorization = authorization_from_headers(&received.headers)?;
    verify(&received.as_request(), &authorization, SECRET, now)
}

/// The requests real clients send us: Cognito admin and KMS calls (JSON protocol), STS and IAM
/// calls (query protocol, by GET or form POST), plus the awkward shapes the rules cover.
fn shapes() -> Vec<Unsigned> {
    let json_call = |target: &str, body: &str| {
        Unsigned::new("POST", "/", "")
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", target)
            .header("User-Agent", "aws-cli/1.32.0 Python/3.11 botocore/1.34.0")
            .body(body.as_bytes())
    };
    let mut cognito = json_call(
        "AWSCognitoIdentityProviderService.AdminCreateUser",
        r#"{"UserPoolId":"us-east-1_AbCdEfGhI","Username":"alice","TemporaryPassword":"Tmp!2345"}"#,
    );
    cognito.service = "cognito-idp".to_owned();
    let mut kms = json_call(
        "TrentService.GenerateDataKey",
        r#"{"KeyId":"alias/s3cognito-default","KeySpec":"AES_256"}"#,
    );
    kms.service = "kms".to_owned();
    kms.session_token = Some("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ".to_owned());
    let mut kms_hashed = kms.clone();
    kms_hashed.content_sha256 = true;
    let mut local = json_call(
        "AWSCognitoIdentityProviderService.AdminGetUser",
        r#"{"Username":"bob"}"#,
    );
    local.host = "127.0.0.1:4566".to_owned();

    vec![
        cognito,
        kms,
        kms_hashed,
        local,
        json_call("AWSCognitoIdentityProviderService.ListUsers", ""),
        Unsigned::new("POST", "/", "")
            .header(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(b"Action=GetCallerIdentity&Version=2011-06-15"),
        Unsigned::new(
            "GET",
            "/",
            "Version=2011-06-15&Action=AssumeRoleWithWebIdentity&RoleSessionName=a+b&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fuploader",
        ),
        Unsigned::new(
            "GET",
            "/",
            "b=2&a=2&a=1&c&%7Ekey=v%20w&z=%E2%9C%93&Z=upper&e=&=novalue&x=a=b&s=%2a%2F:@!$'()*,;/?",
        ),
        Unsigned::new("GET", "/", "sp%20ace=1&plus+sign=2&percent=%25&raw%zz=3"),
        Unsigned::new("POST", "/", "")
            .header("X-Amz-Meta-Note", "  several   spaces    inside  ")
            .header("X-Custom", "one")
            .header("x-custom", "two   three")
            .header("X-Custom", " four ")
            .body(b"{}"),
        Unsigned::new(
            "GET",
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations",
            "",
        ),
        Unsigned::new("GET", "/a/./b/../c//d/", "x=1"),
        Unsigned::new("GET", "/caf%C3%A9/%E2%9C%93/~user/a+b/%2F", ""),
        Unsigned::new("DELETE", "/items/42", "force=true"),
        Unsigned::new("PUT", "/upload", "")
            .header("Content-Type", "application/octet-stream")
            .body(&(0..=255).collect::<Vec<u8>>()),
    ]
}

/// splitmix64: reproducible pseudo-random cases without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Percent-encodes `text` the way one client or another might: unreserved characters raw,
/// sub-delimiters raw or escaped, hex digits in either case, spaces as `+` or `%20`.
fn encode_like_some_client(rng: &mut Rng, text: &str, in_query: bool) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        let escape = |rng: &mut Rng| {
            if rng.chance(2) {
                format!("%{byte:02X}")
            } else {
                format!("%{byte:02x}")
            }
        };
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(char::from(byte));
            }
            b' ' if in_query && rng.chance(2) => encoded.push('+'),
            b':' | b'@' | b'!' | b'$' | b'\'' | b'(' | b')' | b'*' | b',' | b';'
                if rng.chance(2) =>
            {
                encoded.push(char::from(byte));
            }
            b'/' | b'?' if in_query && rng.chance(2) => encoded.push(char::from(byte)),
            _ => encoded.push_str(&escape(rng)),
        }
    }
    encoded
}

fn random_text(rng: &mut Rng, max_len: usize) -> String {
    const PIECES: &[&str] = &[
        "a", "Z", "0", "9", "-", "_", ".", "~", " ", "+", "/", "&", "=", "?", "%", "#", ":", "@",
        "!", "$", "'", "(", ")", "*", ",", ";", "é", "✓", "ሴ", "key", "Value",
    ];
    let len = rng.below(max_len + 1);
    (0..len).map(|_| *rng.pick(PIECES)).collect()
}

fn random_encoded(rng: &mut Rng, max_len: usize, in_query: bool) -> String {
    let text = random_text(rng, max_len);
    encode_like_some_client(rng, &text, in_query)
}

fn random_request(rng: &mut Rng) -> Unsigned {
    let method = *rng.pick(&["GET", "POST", "PUT", "DELETE", "PATCH"]);
    let segments = rng.below(4);
    let mut path = String::new();
    for _ in 0..segments {
        path.push('/');
        let segment = match rng.below(8) {
            0 => ".".to_owned(),
            1 => "..".to_owned(),
            2 => String::new(),
            _ => random_encoded(rng, 6, false),
        };
        path.push_str(&segment);
    }
    if path.is_empty() || rng.chance(4) {
        path.push('/');
    }
    let pairs = rng.below(5);
    let query: Vec<String> = (0..pairs)
        .map(|_| {
            let name = random_encoded(rng, 5, true);
            if rng.chance(6) {
                name
            } else {
                let value = random_encoded(rng, 8, true);
                format!("{name}={value}")
            }
        })
        .collect();

    let mut unsigned = Unsigned::new(method, &path, &query.join("&"));
    unsigned.service =
        (*rng.pick(&["sts", "iam", "kms", "cognito-idp", "cognito-identity"])).to_owned();
    for index in 0..rng.below(4) {
        let name = *rng.pick(&["X-Amz-Target", "Content-Type", "x-amz-meta-a", "X-Repeated"]);
        let mut value = format!("v{index}");
        for _ in 0..rng.below(4) {
            value.push_str(&" ".repeat(1 + rng.below(3)));
            value.push_str(&format!("w{}", rng.below(100)));
        }
        unsigned.headers.push((name.to_owned(), value));
    }
    if rng.chance(3) {
        unsigned
            .headers
            .push(("User-Agent".to_owned(), "random-client/1.0".to_owned()));
    }
    let body_len = *rng.pick(&[0, 1, 2, 17, 300]);
    unsigned.body = (0..body_len).map(|_| rng.next() as u8).collect();
    if rng.chance(3) {
        unsigned.session_token = Some(format!("FwoGZXIvYXdz{}", rng.next()));
    }
    unsigned.content_sha256 = rng.chance(3);
    unsigned
}

/// Replaces the last ASCII letter or digit with a different one of the same kind, which no
/// canonicalization folds back; strings without one get an `x` appended.
fn change_one_byte(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    match bytes.iter().rposition(u8::is_ascii_alphanumeric) {
        Some(index) => {
            bytes[index] = match bytes[index] {
                b'9' => b'0',
                b'z' => b'a',
                b'Z' => b'A',
                byte => byte + 1,
            };
        }
        None => bytes.push(b'x'),
    }
    String::from_utf8(bytes).expect("only ASCII was changed")
}

fn signed_header_names(received: &ReceivedRequest) -> Vec<String> {
    authorization_from_headers(&received.headers)
        .expect("the SDK's Authorization parses")
        .signed_headers
}

fn assert_verifies_and_resists_tampering(unsigned: &Unsigned) {
    let received = sign_with_sdk(unsigned, SIGNED_AT, |_| {});
    assert_eq!(check(&received, SIGNED_AT), Ok(()), "{received:#?}");

    let mut tampered: Vec<(String, ReceivedRequest, Option<SigV4Error>)> = Vec::new();
    let mut variant = |what: String, change: &dyn Fn(&mut ReceivedRequest), error| {
        let mut copy = received.clone();
        change(&mut copy);
        tampered.push((what, copy, error));
    };
    let body_error = if unsigned.content_sha256 {
        SigV4Error::PayloadHashMismatch
    } else {
        SigV4Error::SignatureDoesNotMatch
    };
    variant(
        "body".into(),
        &|request| match request.body.len() {
            0 => request.body.push(b'x'),
            len => request.body[len / 2] ^= 0x01,
        },
        Some(body_error),
    );
    variant(
        "method".into(),
        &|request| request.method = change_one_byte(&request.method),
        Some(SigV4Error::SignatureDoesNotMatch),
    );
    // Appended, because a byte changed inside a segment that a later `..` removes would be
    // an equivalent path, rightly accepted.
    variant(
        "path".into(),
        &|request| request.path.push('x'),
        Some(SigV4Error::SignatureDoesNotMatch),
    );
    variant(
        "query".into(),
        &|request| request.query = change_one_byte(&request.query),
        Some(SigV4Error::SignatureDoesNotMatch),
    );
    for name in signed_header_names(&received) {
        if name == "authorization" {
            continue;
        }
        // A changed date may also fail the skew or scope checks first; any refusal will do.
        let error = match name.as_str() {
            "x-amz-date" => None,
            "x-amz-content-sha256" => Some(SigV4Error::PayloadHashMismatch),
            _ => Some(SigV4Error::SignatureDoesNotMatch),
        };
        let header = name.clone();
        variant(
            format!("header {name}"),
            &move |request| {
                let (_, value) = request
                    .headers
                    .iter_mut()
                    .rfind(|(candidate, _)| *candidate == header)
                    .expect("a signed header is present");
                *value = change_one_byte(value);
            },
            error,
        );
    }

    for (what, request, expected) in &tampered {
        let outcome = check(request, SIGNED_AT);
        match expected {
            Some(error) => assert_eq!(
                outcome.as_ref(),
                Err(error),
                "{what} changed in {request:#?}"
            ),
            None => assert!(outcome.is_err(), "{what} changed in {request:#?}"),
        }
    }

    let authorization = authorization_from_headers(&received.headers).expect("parses");
    let forged = Authorization {
        signature: change_one_byte(&authorization.signature),
        ..authorization.clone()
    };
    assert_eq!(
        verify(&received.as_request(), &forged, SECRET, SIGNED_AT),
        Err(SigV4Error::SignatureDoesNotMatch),
        "signature changed in {received:#?}"
    );
    assert_eq!(
        verify(
            &received.as_request(),
            &authorization,
            &change_one_byte(SECRET),
            SIGNED_AT
        ),
        Err(SigV4Error::SignatureDoesNotMatch),
        "wrong secret for {received:#?}"
    );

    // Headers outside SignedHeaders are not covered: proxies may add or rewrite them.
    let mut with_unsigned = received.clone();
    with_unsigned
        .headers
        .push(("x-forwarded-for".to_owned(), "203.0.113.7".to_owned()));
    for (name, value) in &mut with_unsigned.headers {
        if name == "user-agent" {
            *value = "a proxy rewrote this".to_owned();
        }
    }
    assert_eq!(
        check(&with_unsigned, SIGNED_AT),
        Ok(()),
        "{with_unsigned:#?}"
    );
}

#[test]
fn sdk_signed_requests_verify_and_resist_tampering() {
    for unsigned in shapes() {
        assert_verifies_and_resists_tampering(&unsigned);
    }
}

#[test]
fn random_sdk_signed_requests_verify_and_resist_tampering() {
    let mut rng = Rng(0x5eed_5c09_0000_0001);
    for _ in 0..300 {
        let unsigned = random_request(&mut rng);
        assert_verifies_and_resists_tampering(&unsigned);
    }
}

#[test]
fn requests_verify_whatever_the_header_order() {
    let unsigned = shapes().swap_remove(0);
    let mut received = sign_with_sdk(&unsigned, SIGNED_AT, |_| {});
    received.headers.reverse();
    assert_eq!(check(&received, SIGNED_AT), Ok(()));
}
