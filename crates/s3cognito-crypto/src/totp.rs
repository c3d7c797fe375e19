//! Time-based one-time passwords (RFC 6238) as Cognito's software tokens use them, on totp-rs:
//! HMAC-SHA1, six digits, 30-second steps, and one step of skew either way (RFC 6238 §5.2's advice for
//! network delay). Authenticator apps take the secret as base32 without padding, which is what
//! `SecretCode` carries; they assume these parameters, as the `otpauth://` URIs clients build name none.
//!
//! A code is accepted once: [`TotpSecret::check`] answers the step it matched, and the caller keeps the
//! last step it accepted so a second use of it (or of an earlier step) is refused.

use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The length of a new secret: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;
const SKEW_STEPS: u16 = 1;

/// A software token's shared secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TotpSecret(…)")
    }
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> TotpSecret {
        TotpSecret(crate::random::random_bytes(SECRET_BYTES))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> TotpSecret {
        TotpSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as an authenticator app takes it: RFC 4648 base32, upper case, no padding.
    pub fn base32(&self) -> String {
        Secret::from(self.0.as_slice()).to_base32()
    }

    fn totp(&self) -> Totp {
        // Secrets are ours (160 bits) or a test's; the length check of `build` adds nothing.
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.as_slice())
            .build_noncompliant()
    }

    /// The code of the step that holds `unix_seconds`.
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.totp().generate(unix_seconds).to_string()
    }

    /// The step `code` belongs to, if it is the code of the step holding `unix_seconds` or of the step
    /// either side of it. Anything but six digits matches nothing.
    pub fn check(&self, code: &str, unix_seconds: u64) -> Option<u64> {
        if code.len() != usize::from(DIGITS) || !code.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        self.totp().check(code, unix_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 vectors, cut to six digits.
    #[test]
    fn codes_match_rfc_6238s_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(secret.code_at(time), eight_digits[2..], "at {time}");
        }
        assert_eq!(secret.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let secret = TotpSecret::generate();
        assert_eq!(secret.base32().len(), 32);
        let now = 1_800_000_000;
        let code = secret.code_at(now);
        assert_eq!(secret.check(&code, now), Some(now / 30));
        assert_eq!(secret.check(&code, now + 30), Some(now / 30), "a step late");
        assert_eq!(secret.check(&code, now - 30), Some(now / 30), "a step early");
        assert_eq!(secret.check(&code, now + 90), None, "three steps late");
        assert_eq!(secret.check("12345", now), None);
        assert_eq!(secret.check("abcdef", now), None);
        assert!(!format!("{secret:?}").contains(&secret.base32()), "the secret is never printed");
    }
}
