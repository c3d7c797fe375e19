//! Digests match the published test vectors (FIPS 180-2 for SHA-256, RFC 4231 for HMAC).

use s3cognito_crypto::digest::{hmac_sha256, sha256, sha256_hex};

#[test]
fn sha256_matches_known_vectors() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            b"abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
    ];
    for &(input, expected) in cases {
        assert_eq!(sha256_hex(input), expected);
        assert_eq!(hex::encode(sha256(input)), expected);
    }
}

#[test]
fn hmac_sha256_matches_rfc_4231() {
    let cases: &[(&[u8], &[u8], &str)] = &[
        (
            &[0x0b; 20],
            b"Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            b"Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        // Test case 6: a key longer than the block size is hashed first.
        (
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
    ];
    for &(key, message, expected) in cases {
        assert_eq!(hex::encode(hmac_sha256(key, message)), expected);
    }
}
