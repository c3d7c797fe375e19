//! Tokens: what we sign verifies with what we publish, anything else is refused with the
//! reason a caller can act on, and the JWK encoding matches RFC 7520's golden key.

use std::sync::LazyLock;

use aws_lc_rs::encoding::AsDer;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use s3cognito_crypto::digest::hmac_sha256;
use s3cognito_crypto::jwt::{
    Claims, Expectations, Jwk, Jwks, JwtError, SigningKey, TokenUse, decode_unverified, sign,
    verify_cognito_token, verify_signature,
};
use serde_json::{Value, json};

/// RSA key generation is slow; one key serves every test that does not need its own.
static KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::generate().expect("key generation works"));

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI";
const CLIENT: &str = "5e4qbmu1ch0kjbb7eijqrp5rnn";

fn jwks() -> Vec<Jwk> {
    vec![KEY.public_jwk()]
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with any header and payload bytes, RS256-signed by `KEY` outside our `sign`, for
/// shapes `sign` refuses to produce.
fn sign_raw(header: &str, payload: &[u8]) -> String {
    let der = KEY.to_pkcs8_der().expect("key serializes");
    let key_pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).expect("key loads");
    let signing_input = format!("{}.{}", b64(header), b64(payload));
    let mut signature = vec![0; key_pair.public_modulus_len()];
    key_pair
        .sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .expect("signing works");
    format!("{signing_input}.{}", b64(signature))
}

fn id_claims() -> Value {
    json!({
        "sub": "0b3c5d6e-1111-2222-3333-444455556666",
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "alice",
        "email": "alice@example.com",
        "email_verified": true,
        "iss": ISSUER,
        "auth_time": NOW - 10,
        "iat": NOW - 10,
        "exp": NOW + 3600,
        "jti": "8f7e6d5c-aaaa-bbbb-cccc-ddddeeeeffff",
    })
}

fn access_claims() -> Value {
    json!({
        "sub": "0b3c5d6e-1111-2222-3333-444455556666",
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "username": "alice",
        "iss": ISSUER,
        "auth_time": NOW - 10,
        "iat": NOW - 10,
        "exp": NOW + 3600,
    })
}

fn expect(token_use: Option<TokenUse>) -> Expectations {
    Expectations {
        issuer: ISSUER.to_owned(),
        client_ids: Some(vec!["someotherclient".to_owned(), CLIENT.to_owned()]),
        token_use,
        now: NOW,
        leeway_seconds: 0,
    }
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            claims
                .as_object_mut()
                .expect("claims are an object")
                .remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

#[test]
fn a_signed_token_verifies_and_returns_its_claims() {
    let claims = id_claims();
    let token = sign(&KEY, &claims).expect("signing works");
    let verified = verify_signature(&token, &jwks()).expect("verifies");
    assert_eq!(Value::Object(verified), claims);
    assert_eq!(
        Value::Object(decode_unverified(&token).expect("decodes")),
        claims
    );
}

#[test]
fn the_header_has_cognitos_exact_shape() {
    let token = sign(&KEY, &id_claims()).expect("signing works");
    let header = token.split('.').next().expect("has a header");
    let header =
        String::from_utf8(URL_SAFE_NO_PAD.decode(header).expect("base64url")).expect("utf-8");
    assert_eq!(
        header,
        format!(r#"{{"kid":"{}","alg":"RS256"}}"#, KEY.kid())
    );
}

#[test]
fn only_json_objects_are_signed() {
    for claims in [json!([1, 2]), json!("text"), json!(null)] {
        assert!(sign(&KEY, &claims).is_err(), "{claims}");
    }
}

#[test]
fn the_jwk_is_an_rs256_signing_key_in_cognitos_format() {
    let jwk = KEY.public_jwk();
    assert_eq!(
        (
            jwk.kty.as_str(),
            jwk.alg.as_str(),
            jwk.key_use.as_str(),
            jwk.e.as_str()
        ),
        ("RSA", "RS256", "sig", "AQAB")
    );
    assert_eq!(jwk.kid, KEY.kid());
    let modulus = URL_SAFE_NO_PAD
        .decode(&jwk.n)
        .expect("n is base64url without padding");
    assert_eq!(
        modulus.len(),
        256,
        "a 2048-bit modulus, no leading zero byte"
    );
    assert_ne!(modulus[0], 0);

    let jwks = Jwks {
        keys: vec![jwk.clone()],
    };
    let published = serde_json::to_value(&jwks).expect("serializes");
    assert_eq!(
        published,
        json!({"keys": [{
            "alg": "RS256", "e": "AQAB", "kid": jwk.kid, "kty": "RSA", "n": jwk.n, "use": "sig"
        }]})
    );
    let parsed: Jwks = serde_json::from_value(published).expect("deserializes");
    assert_eq!(parsed, jwks);
}

#[test]
fn key_ids_are_unique_and_url_safe() {
    let other = SigningKey::generate().expect("key generation works");
    assert_ne!(other.kid(), KEY.kid());
    assert_ne!(other.public_jwk().n, KEY.public_jwk().n);
    for kid in [KEY.kid(), other.kid()] {
        assert!(kid.len() >= 43, "{kid}");
        assert!(
            kid.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
            "{kid}"
        );
    }
}

#[test]
fn a_stored_key_reloads_and_keeps_signing_for_the_same_jwk() {
    let der = KEY.to_pkcs8_der().expect("serializes");
    let reloaded = SigningKey::from_pkcs8_der(KEY.kid(), &der).expect("reloads");
    assert_eq!(reloaded.kid(), KEY.kid());
    assert_eq!(reloaded.public_jwk(), KEY.public_jwk());
    let token = sign(&reloaded, &id_claims()).expect("signing works");
    assert!(verify_signature(&token, &jwks()).is_ok());
}

#[test]
fn unusable_stored_keys_are_refused() {
    let der = KEY.to_pkcs8_der().expect("serializes");
    assert!(SigningKey::from_pkcs8_der("", &der).is_err(), "empty kid");
    assert!(SigningKey::from_pkcs8_der("kid", b"not DER").is_err());
    assert!(SigningKey::from_pkcs8_der("kid", &der[..der.len() / 2]).is_err());
}

/// RFC 7520 §3.4's RSA key ("bilbo.baggins@hobbiton.example") and §4.1's RS256 JWS over a
/// text payload.
const RFC7520_N: &str = "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw";
const RFC7520_KID: &str = "bilbo.baggins@hobbiton.example";
const RFC7520_JWS: &str = concat!(
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9",
    ".SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
    ".MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg",
);
const RFC7520_PRIVATE_KEY_PKCS1_BASE64: &str = concat!(
    "MIIEowIBAAKCAQEAn4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8/KuKPEHLd4",
    "rHVTeT+O+XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz/AJmSCpMaJMRBSFKrKb2wqVwG",
    "U/NsYOYL+QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj+oBHqFEHYpP",
    "e7Tpe+OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzw",
    "OHrtIQbS0FVbb9k3+tVTU4fg/3L/vniUFAKwuCLqKnS2BYwdq/mzSnbLY7h/qixo",
    "R7jig3//kRhuaxwUkRz5iaiQkqgc5gHdrNP5zwIDAQABAoIBAG1lAvQfhBUSKPJK",
    "Rn4dGbshj7zDSr2FjbQf4pIh/ZNtHk/jtavyO/HomZKV8V0NFExLNi7DUUvvLiW7",
    "0PgNYq5MDEjJCtSd10xoHa4QpLvYEZXWO7DQPwCmRofkOutf+NqyDS0QnvFvp2d+",
    "Lov6jn5C5yvUFgw6qWiLAPmzMFlkgxbtjFAWMJB0zBMy2BqjntOJ6KnqtYRMQUxw",
    "TgXZDF4rhYVKtQVOpfg6hIlsaoPNrF7dofizJ099OOgDmCaEYqM++bUlEHxgrIVk",
    "wZz+bg43dfJCocr9O5YX0iXaz3TOT5cpdtYbBX+C/5hwrqBWru4HbD3xz8cY1TnD",
    "qQa0M8ECgYEA3Slxg/DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex/fp7AZ/9",
    "nRaO7HX/+SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr/WCsmGpeNqQn",
    "ev1T7IyEsnh8UMt+n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0kCgYEAuKE2",
    "dh+cTf6ERF4k4e/jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR/cu0Dm1MZwW",
    "mtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoB",
    "vyY898EXvRD+hdqRxHlSqAZ192zB3pVFJ0s7pFcCgYAHw9W9eS8muPYv4ZhDu/fL",
    "2vorDmD1JqFcHCxZTOnX1NWWAj5hXzmrU0hvWvFC0P4ixddHf5Nqd6+5E9G3k4E5",
    "2IwZCnylu3bqCWNh8pT8T3Gf5FQsfPT5530T2BcsoPhUaeCnP499D+rb2mTnFYeg",
    "mnTT1B/Ue8KGLFFfn16GKQKBgAiw5gxnbocpXPaO6/OKxFFZ+6c0OjxfN2PogWce",
    "TU/k6ZzmShdaRKwDFXisxRJeNQ5Rx6qgS0jNFtbDhW8E8WFmQ5urCOqIOYk28EBi",
    "At4JySm4v+5P7yYBh8B8YD2l9j57z/s8hJAxEbn/q8uHP2ddQqvQKgtsni+pHSk9",
    "XGBfAoGBANz4qr10DdM8DHhPrAb2YItvPVz/VwkBd1Vqj8zCpyIEKe/07oKOvjWQ",
    "SgkLDH9x2hBgY01SbP43CvPk0V72invu2TGkI/FXwXWJLLG7tDSgw4YyfhrYrHmg",
    "1Vre3XB9HH8MYBVB6UIexaAq4xSeoemRKTBesZro7OKjKT8/GmiO",
);

fn rfc7520_jwk() -> Jwk {
    Jwk {
        alg: "RS256".to_owned(),
        e: "AQAB".to_owned(),
        kid: RFC7520_KID.to_owned(),
        kty: "RSA".to_owned(),
        n: RFC7520_N.to_owned(),
        key_use: "sig".to_owned(),
    }
}

#[test]
fn the_rfc_7520_key_gives_the_rfc_jwk() {
    let pkcs1 = STANDARD
        .decode(RFC7520_PRIVATE_KEY_PKCS1_BASE64)
        .expect("base64");
    let pkcs8 = aws_lc_rs::rsa::KeyPair::from_der(&pkcs1)
        .expect("PKCS#1 key loads")
        .as_der()
        .expect("re-encodes as PKCS#8");
    let key = SigningKey::from_pkcs8_der(RFC7520_KID, pkcs8.as_ref()).expect("loads");
    assert_eq!(key.public_jwk(), rfc7520_jwk());
}

#[test]
fn the_rfc_7520_signature_verifies() {
    // The RFC's payload is prose, not claims: getting as far as refusing the payload proves
    // the signature check passed, as the tampered copy shows.
    assert_eq!(
        verify_signature(RFC7520_JWS, &[rfc7520_jwk()]),
        Err(JwtError::Malformed("payload is not a JSON object"))
    );
    assert_eq!(
        verify_signature(&tamper_signature(RFC7520_JWS), &[rfc7520_jwk()]),
        Err(JwtError::BadSignature)
    );
}

/// Changes one character in the middle of the signature, keeping it valid base64url.
fn tamper_signature(token: &str) -> String {
    let dot = token.rfind('.').expect("has a signature") + 1;
    let middle = dot + (token.len() - dot) / 2;
    let replacement = if &token[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    format!("{}{replacement}{}", &token[..middle], &token[middle + 1..])
}

#[test]
fn forged_or_broken_tokens_are_refused_for_the_right_reason() {
    let kid = KEY.kid().to_owned();
    let good = sign(&KEY, &id_claims()).expect("signing works");
    let [header, payload, signature]: [&str; 3] = good
        .split('.')
        .collect::<Vec<_>>()
        .try_into()
        .expect("three parts");
    let other_key = SigningKey::generate().expect("key generation works");
    let other_signature = sign(&other_key, &id_claims()).expect("signing works");
    let other_signature = other_signature.rsplit('.').next().expect("has a signature");
    let hs256_input = format!(
        "{}.{payload}",
        b64(format!(r#"{{"kid":"{kid}","alg":"HS256"}}"#))
    );
    // The classic confusion attack: HMAC keyed with the public key everyone can download.
    let hs256_signature = b64(hmac_sha256(
        KEY.public_jwk().n.as_bytes(),
        hs256_input.as_bytes(),
    ));
    let mut ec_key = KEY.public_jwk();
    ec_key.kty = "EC".to_owned();

    let cases: Vec<(&str, String, Vec<Jwk>, JwtError)> = vec![
        (
            "alg none",
            format!(
                "{}.{payload}.",
                b64(format!(r#"{{"kid":"{kid}","alg":"none"}}"#))
            ),
            jwks(),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            "HS256 keyed with the public modulus",
            format!("{hs256_input}.{hs256_signature}"),
            jwks(),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            "alg in lowercase",
            sign_raw(
                &format!(r#"{{"kid":"{kid}","alg":"rs256"}}"#),
                payload.as_bytes(),
            ),
            jwks(),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            "alg missing",
            sign_raw(&format!(r#"{{"kid":"{kid}"}}"#), br#"{"a":1}"#),
            jwks(),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            "alg as a list",
            sign_raw(
                &format!(r#"{{"kid":"{kid}","alg":["RS256"]}}"#),
                br#"{"a":1}"#,
            ),
            jwks(),
            JwtError::UnsupportedAlgorithm,
        ),
        (
            "unknown kid",
            good.clone(),
            vec![other_key.public_jwk()],
            JwtError::UnknownKey,
        ),
        ("empty key set", good.clone(), vec![], JwtError::UnknownKey),
        (
            "kid missing",
            sign_raw(r#"{"alg":"RS256"}"#, br#"{"a":1}"#),
            jwks(),
            JwtError::UnknownKey,
        ),
        (
            "kid names a key that is not RSA",
            good.clone(),
            vec![ec_key],
            JwtError::UnknownKey,
        ),
        (
            "kid not a string",
            sign_raw(r#"{"kid":7,"alg":"RS256"}"#, br#"{"a":1}"#),
            jwks(),
            JwtError::Malformed("kid is not a string"),
        ),
        (
            "critical extension",
            sign_raw(
                &format!(r#"{{"kid":"{kid}","alg":"RS256","crit":["exp"],"exp":1}}"#),
                br#"{"a":1}"#,
            ),
            jwks(),
            JwtError::Malformed("unsupported critical header parameters"),
        ),
        (
            "payload changed",
            format!(
                "{header}.{}.{signature}",
                b64(with(id_claims(), json!({"sub": "mallory"})).to_string())
            ),
            jwks(),
            JwtError::BadSignature,
        ),
        (
            "signature tampered",
            tamper_signature(&good),
            jwks(),
            JwtError::BadSignature,
        ),
        (
            "signed by another key under our kid",
            format!("{header}.{payload}.{other_signature}"),
            jwks(),
            JwtError::BadSignature,
        ),
        (
            "empty signature",
            format!("{header}.{payload}."),
            jwks(),
            JwtError::BadSignature,
        ),
        (
            "signed array payload",
            sign_raw(&format!(r#"{{"kid":"{kid}","alg":"RS256"}}"#), b"[1,2,3]"),
            jwks(),
            JwtError::Malformed("payload is not a JSON object"),
        ),
        (
            "two parts",
            format!("{header}.{payload}"),
            jwks(),
            JwtError::Malformed("a JWS has exactly three dot-separated parts"),
        ),
        (
            "four parts",
            format!("{good}.{signature}"),
            jwks(),
            JwtError::Malformed("a JWS has exactly three dot-separated parts"),
        ),
        (
            "empty token",
            String::new(),
            jwks(),
            JwtError::Malformed("a JWS has exactly three dot-separated parts"),
        ),
        (
            "header not base64url",
            format!("{header}!.{payload}.{signature}"),
            jwks(),
            JwtError::Malformed("header is not base64url"),
        ),
        (
            "header with base64 padding",
            format!("{}=.{payload}.{signature}", header),
            jwks(),
            JwtError::Malformed("header is not base64url"),
        ),
        (
            "header not JSON",
            format!("{}.{payload}.{signature}", b64("not json")),
            jwks(),
            JwtError::Malformed("header is not a JSON object"),
        ),
        (
            "signature not base64url",
            format!("{header}.{payload}.{signature}+"),
            jwks(),
            JwtError::Malformed("signature is not base64url"),
        ),
    ];
    for (what, token, keys, expected) in cases {
        assert_eq!(verify_signature(&token, &keys), Err(expected), "{what}");
    }
}

#[test]
fn cognito_claims_are_checked() {
    let id = || id_claims();
    let access = || access_claims();
    let leeway = |seconds| Expectations {
        leeway_seconds: seconds,
        ..expect(Some(TokenUse::Id))
    };
    let any_token = Expectations {
        client_ids: None,
        token_use: None,
        ..expect(None)
    };
    let cases: Vec<(&str, Value, Expectations, Result<(), JwtError>)> = vec![
        ("id token", id(), expect(Some(TokenUse::Id)), Ok(())),
        (
            "access token",
            access(),
            expect(Some(TokenUse::Access)),
            Ok(()),
        ),
        ("id token, any use", id(), expect(None), Ok(())),
        ("access token, any use", access(), expect(None), Ok(())),
        (
            "any token, any client",
            with(id(), json!({"aud": "x"})),
            any_token.clone(),
            Ok(()),
        ),
        (
            "any token without token_use",
            with(id(), json!({"token_use": null})),
            any_token,
            Ok(()),
        ),
        (
            "audience list",
            with(id(), json!({"aud": ["x", CLIENT]})),
            expect(Some(TokenUse::Id)),
            Ok(()),
        ),
        (
            "fractional times",
            with(
                id(),
                json!({"exp": NOW as f64 + 0.5, "iat": NOW as f64 - 0.5}),
            ),
            expect(Some(TokenUse::Id)),
            Ok(()),
        ),
        (
            "expires now",
            with(id(), json!({"exp": NOW})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::Expired),
        ),
        (
            "expired an hour ago",
            with(id(), json!({"exp": NOW - 3600, "iat": NOW - 7200})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::Expired),
        ),
        (
            "expired within leeway",
            with(id(), json!({"exp": NOW - 5})),
            leeway(10),
            Ok(()),
        ),
        (
            "expired beyond leeway",
            with(id(), json!({"exp": NOW - 10})),
            leeway(10),
            Err(JwtError::Expired),
        ),
        (
            "no exp",
            with(id(), json!({"exp": null})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::InvalidClaim("exp")),
        ),
        (
            "exp as a string",
            with(id(), json!({"exp": (NOW + 3600).to_string()})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::InvalidClaim("exp")),
        ),
        (
            "negative exp",
            with(id(), json!({"exp": -1})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::InvalidClaim("exp")),
        ),
        (
            "issued in the future",
            with(id(), json!({"iat": NOW + 60})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::NotYetValid),
        ),
        (
            "issued in the future, within leeway",
            with(id(), json!({"iat": NOW + 60})),
            leeway(60),
            Ok(()),
        ),
        (
            "not before the future",
            with(id(), json!({"nbf": NOW + 60})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::NotYetValid),
        ),
        (
            "iat as a string",
            with(id(), json!({"iat": "yesterday"})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::InvalidClaim("iat")),
        ),
        (
            "another issuer",
            with(
                id(),
                json!({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}),
            ),
            expect(Some(TokenUse::Id)),
            Err(JwtError::WrongIssuer),
        ),
        (
            "issuer with a trailing slash",
            with(id(), json!({"iss": format!("{ISSUER}/")})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::WrongIssuer),
        ),
        (
            "no issuer",
            with(id(), json!({"iss": null})),
            expect(Some(TokenUse::Id)),
            Err(JwtError::WrongIssuer),
        ),
        (
            "id token where access is required",
            id(),
            expect(Some(TokenUse::Access)),
            Err(JwtError::WrongTokenUse),
        ),
        (
            "access token where id is required",
            access(),
            expect(Some(TokenUse::Id)),
            Err(JwtError::WrongTokenUse),
        ),
        (
            "unknown token_use",
            with(id(), json!({"token_use": "refresh"})),
            expect(None),
            Err(JwtError::WrongTokenUse),
        ),
        (
            "no token_use when a client is required",
            with(id(), json!({"token_use": null})),
            expect(None),
            Err(JwtError::WrongTokenUse),
        ),
        (
            "id token for another client",
            with(id(), json!({"aud": "x"})),
            expect(None),
            Err(JwtError::WrongAudience),
        ),
        (
            "id token naming the client only in client_id",
            with(id(), json!({"aud": null, "client_id": CLIENT})),
            expect(None),
            Err(JwtError::WrongAudience),
        ),
        (
            "access token for another client",
            with(access(), json!({"client_id": "x"})),
            expect(None),
            Err(JwtError::WrongAudience),
        ),
        (
            "access token naming the client only in aud",
            with(access(), json!({"client_id": null, "aud": CLIENT})),
            expect(None),
            Err(JwtError::WrongAudience),
        ),
        (
            "no accepted client at all",
            id(),
            Expectations {
                client_ids: Some(vec![]),
                ..expect(None)
            },
            Err(JwtError::WrongAudience),
        ),
    ];
    for (what, claims, expectations, expected) in cases {
        let token = sign(&KEY, &claims).expect("signing works");
        let verified = verify_cognito_token(&token, &jwks(), &expectations);
        assert_eq!(verified.map(|_| ()), expected, "{what}");
    }
}

#[test]
fn the_signature_is_checked_before_the_claims() {
    let other_key = SigningKey::generate().expect("key generation works");
    let expired = with(id_claims(), json!({"exp": NOW - 3600}));
    let token = sign(&other_key, &expired).expect("signing works");
    assert_eq!(
        verify_cognito_token(&token, &jwks(), &expect(None)),
        Err(JwtError::UnknownKey)
    );
    let claims: Claims = decode_unverified(&token).expect("decodes");
    assert_eq!(claims.get("exp"), Some(&json!(NOW - 3600)));
}
