//! Random codes and ids have the promised shape, do not repeat, and use every symbol equally.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3cognito_crypto::random::{
    ALPHANUMERIC, DIGITS, LOWERCASE_ALPHANUMERIC, random_alphanumeric, random_bytes, random_digits,
    random_from_alphabet, random_token,
};

#[test]
fn lengths_are_exact() {
    for len in [0, 1, 6, 26, 1000] {
        assert_eq!(random_bytes(len).len(), len);
        assert_eq!(random_digits(len).len(), len);
        assert_eq!(random_alphanumeric(len).len(), len);
        assert_eq!(random_from_alphabet(len, ALPHANUMERIC).len(), len);
    }
}

type Generator = fn() -> String;

#[test]
fn strings_stay_within_their_alphabet() {
    let cases: &[(&str, Generator, &[u8])] = &[
        ("confirmation code", || random_digits(6), DIGITS),
        (
            "client id",
            || random_alphanumeric(26),
            LOWERCASE_ALPHANUMERIC,
        ),
        (
            "pool suffix",
            || random_from_alphabet(9, ALPHANUMERIC),
            ALPHANUMERIC,
        ),
    ];
    for (what, generate, alphabet) in cases {
        for _ in 0..200 {
            let value = generate();
            assert!(
                value.bytes().all(|byte| alphabet.contains(&byte)),
                "{what}: {value}"
            );
        }
    }
}

#[test]
fn ids_and_tokens_do_not_repeat() {
    let client_ids: HashSet<String> = (0..2000).map(|_| random_alphanumeric(26)).collect();
    assert_eq!(client_ids.len(), 2000);
    let tokens: HashSet<String> = (0..2000).map(|_| random_token()).collect();
    assert_eq!(tokens.len(), 2000);
}

#[test]
fn tokens_never_start_like_a_command_line_option() {
    // One in 32 raw draws starts with `-` or `_`; 2,000 draws would almost surely hit one.
    for _ in 0..2000 {
        let token = random_token();
        assert!(token.as_bytes()[0].is_ascii_alphanumeric(), "{token}");
    }
}

#[test]
fn tokens_are_url_safe_and_carry_256_bits() {
    for _ in 0..100 {
        let token = random_token();
        assert!(
            token
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
            "{token}"
        );
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&token).map(|bytes| bytes.len()),
            Ok(32)
        );
    }
}

/// Every symbol's share stays within `tolerance` of `1 / alphabet.len()`. The tolerances are
/// about five standard deviations wide, yet narrower than the bias `byte % len` would cause
/// (4% for digits, 14% for 36 symbols).
#[test]
fn symbols_are_equally_likely() {
    let cases: &[(&[u8], usize, f64)] = &[
        (DIGITS, 400_000, 0.025),
        (LOWERCASE_ALPHANUMERIC, 360_000, 0.06),
    ];
    for &(alphabet, samples, tolerance) in cases {
        let text = random_from_alphabet(samples, alphabet);
        let expected = samples as f64 / alphabet.len() as f64;
        for &symbol in alphabet {
            let count = text.bytes().filter(|&byte| byte == symbol).count() as f64;
            assert!(
                (count - expected).abs() / expected < tolerance,
                "{} appears {count} times, expected about {expected}",
                char::from(symbol)
            );
        }
    }
}
