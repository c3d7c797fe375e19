//! Random bytes, codes and identifiers from the operating system's CSPRNG (through aws-lc).
//!
//! Characters are drawn by rejection sampling, so every symbol of an alphabet is exactly equally
//! likely: a plain `byte % len` would favour the first `256 % len` symbols.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const DIGITS: &[u8] = b"0123456789";
/// Cognito's app client ids are 26 characters from this alphabet.
pub const LOWERCASE_ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// User pool id suffixes (`us-east-1_AbC123xyZ`) mix cases.
pub const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random bytes.
///
/// Panics only if the operating system cannot provide randomness; no caller could do anything
/// sensible then, and carrying on with weak ids or keys would be worse.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// `len` decimal digits, e.g. a 6-digit confirmation code (leading zeros kept).
pub fn random_digits(len: usize) -> String {
    random_from_alphabet(len, DIGITS)
}

/// `len` characters from `[a-z0-9]`.
pub fn random_alphanumeric(len: usize) -> String {
    random_from_alphabet(len, LOWERCASE_ALPHANUMERIC)
}

/// `len` characters drawn uniformly from `alphabet`.
///
/// The alphabet is a constant chosen by the programmer, so a bad one (empty, longer than 256
/// symbols, not ASCII) is a bug and panics rather than returning an error.
pub fn random_from_alphabet(len: usize, alphabet: &[u8]) -> String {
    assert!(
        !alphabet.is_empty() && alphabet.len() <= 256 && alphabet.is_ascii(),
        "an alphabet must hold between 1 and 256 ASCII symbols"
    );
    // The largest multiple of the alphabet's size that fits in a byte: bytes at or above it are
    // redrawn, so the remaining ones map onto every symbol equally often.
    let accepted = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in random_bytes(len - out.len() + 8) {
            if usize::from(byte) < accepted && out.len() < len {
                out.push(char::from(alphabet[usize::from(byte) % alphabet.len()]));
            }
        }
    }
    out
}

/// An opaque token of 256 random bits, URL-safe base64 without padding (43 characters): refresh
/// tokens, sessions, key ids.
///
/// The first character is always alphanumeric: a token starting with `-` is read as an option by
/// command-line parsers (`aws ... --session -Y8Q...` fails), so such draws are discarded and redrawn.
/// Rejection keeps every remaining token equally likely.
pub fn random_token() -> String {
    loop {
        let token = URL_SAFE_NO_PAD.encode(random_bytes(32));
        if token.as_bytes()[0].is_ascii_alphanumeric() {
            return token;
        }
    }
}
