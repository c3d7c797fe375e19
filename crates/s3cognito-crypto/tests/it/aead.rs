//! AES-256-GCM sealing: round trips, and every kind of tampering or mismatch refused.

use s3cognito_crypto::aead::{AeadError, KEY_LEN, OVERHEAD, SealingKey};

#[test]
fn round_trips_under_the_same_key_and_context() {
    let key = SealingKey::generate();
    for plaintext in [&b""[..], b"v", &[0xffu8; 384][..], &vec![7u8; 100_000][..]] {
        let sealed = key.seal(plaintext, b"srp-verifier/pool/alice");
        assert_eq!(sealed.len(), plaintext.len() + OVERHEAD);
        assert_eq!(
            key.open(&sealed, b"srp-verifier/pool/alice").unwrap(),
            plaintext
        );
    }
    // A key restored from its bytes (as from a key file) opens what the original sealed.
    let restored = SealingKey::from_bytes(&key.to_bytes());
    let sealed = key.seal(b"secret", b"");
    assert_eq!(restored.open(&sealed, b"").unwrap(), b"secret");
    assert_eq!(key.clone().open(&sealed, b"").unwrap(), b"secret");
}

#[test]
fn two_seals_of_the_same_plaintext_differ() {
    let key = SealingKey::generate();
    let first = key.seal(b"same", b"ad");
    let second = key.seal(b"same", b"ad");
    assert_ne!(first, second);
    // Different nonces, not only different tags.
    assert_ne!(first[..12], second[..12]);
}

#[test]
fn refuses_wrong_key_context_tampering_and_truncation() {
    let key = SealingKey::generate();
    let sealed = key.seal(b"the verifier", b"srp-verifier/pool/alice");
    let ad = &b"srp-verifier/pool/alice"[..];

    assert_eq!(
        SealingKey::generate().open(&sealed, ad),
        Err(AeadError::Open)
    );
    assert_eq!(
        key.open(&sealed, b"srp-verifier/pool/bob"),
        Err(AeadError::Open)
    );
    assert_eq!(key.open(&sealed, b""), Err(AeadError::Open));
    // Every byte matters: nonce, ciphertext and tag.
    for index in 0..sealed.len() {
        let mut flipped = sealed.clone();
        flipped[index] ^= 0x01;
        assert_eq!(key.open(&flipped, ad), Err(AeadError::Open), "byte {index}");
    }
    for length in 0..sealed.len() {
        assert_eq!(
            key.open(&sealed[..length], ad),
            Err(AeadError::Open),
            "length {length}"
        );
    }
    let mut extended = sealed.clone();
    extended.push(0);
    assert_eq!(key.open(&extended, ad), Err(AeadError::Open));
}

#[test]
fn keys_are_exactly_32_bytes_and_never_printed() {
    let key = SealingKey::generate();
    assert_eq!(
        SealingKey::from_slice(&key.to_bytes()).unwrap().to_bytes(),
        key.to_bytes()
    );
    assert_eq!(
        SealingKey::from_slice(&[0; 31]).unwrap_err(),
        AeadError::KeyLength(31)
    );
    assert_eq!(
        SealingKey::from_slice(&[0; 33]).unwrap_err(),
        AeadError::KeyLength(33)
    );
    assert_ne!(SealingKey::generate().to_bytes(), key.to_bytes());
    assert_eq!(key.to_bytes().len(), KEY_LEN);
    assert_eq!(format!("{key:?}"), "SealingKey(<redacted>)");
}
