//! `constant_time_eq` is plain equality in its answers.

use s3cognito_crypto::compare::constant_time_eq;

#[test]
fn answers_like_equality() {
    let cases: &[(&[u8], &[u8], bool)] = &[
        (b"", b"", true),
        (b"123456", b"123456", true),
        (b"123456", b"123457", false),
        (b"123456", b"023456", false),
        (b"123456", b"12345", false),
        (b"", b"0", false),
    ];
    for &(a, b, expected) in cases {
        assert_eq!(constant_time_eq(a, b), expected, "{a:?} vs {b:?}");
    }
}
