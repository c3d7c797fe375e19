//! Stored passwords: Argon2id PHC strings that verify the right password only.

use s3cognito_crypto::password::{hash_password, verify_password};

#[test]
fn a_hash_verifies_its_password_and_nothing_else() {
    for password in ["Passw0rd!", "", "correct horse battery staple", "pässwörd✓"] {
        let hash = hash_password(password).expect("hashing works");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(password, &hash), "{password}");
        for wrong in ["passw0rd!", "Passw0rd", "Passw0rd!!", " Passw0rd!"] {
            if wrong != password {
                assert!(!verify_password(wrong, &hash), "{wrong} against {password}");
            }
        }
    }
}

#[test]
fn equal_passwords_get_different_salts() {
    let first = hash_password("same password").expect("hashing works");
    let second = hash_password("same password").expect("hashing works");
    assert_ne!(first, second);
}

#[test]
fn a_malformed_stored_hash_is_a_mismatch() {
    let good = hash_password("secret").expect("hashing works");
    let cases = [
        String::new(),
        "secret".to_owned(),
        "$argon2id$".to_owned(),
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".to_owned(),
        good[..good.len() - 10].to_owned(),
        good.replace("argon2id", "argon2x"),
        good.replace("m=19456", "m=abc"),
    ];
    for stored in &cases {
        assert!(!verify_password("secret", stored), "{stored}");
    }
}
