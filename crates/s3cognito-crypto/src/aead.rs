//! AES-256-GCM sealing of secrets at rest (SRP verifiers, pending sign-in state), under a key kept
//! outside the database, so that a copy of the database alone allows no offline password guessing.
//!
//! Sealed form: `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. Nonces are random: with 96 bits
//! the chance of a repeat stays negligible for far more seals per key than a user pool makes.
//! Callers pass associated data naming what is sealed and for whom (e.g. `srp-verifier/<pool>/<user>`),
//! so that a sealed value copied to another row or purpose does not open.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::random::random_bytes;

/// Bytes of a [`SealingKey`].
pub const KEY_LEN: usize = 32;
/// Bytes a sealed value adds to its plaintext: the nonce in front, the tag behind.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;
const TAG_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AeadError {
    #[error("a sealing key is {KEY_LEN} bytes, not {0}")]
    KeyLength(usize),
    /// One error for every way opening fails, so a caller cannot tell (or leak) which.
    #[error("sealed data is truncated, corrupted, or sealed under another key or associated data")]
    Open,
}

/// An AES-256-GCM key.
pub struct SealingKey {
    bytes: [u8; KEY_LEN],
    key: LessSafeKey,
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

impl Clone for SealingKey {
    // aws-lc-rs keys are not `Clone`; rebuilding from the bytes is cheap.
    fn clone(&self) -> Self {
        Self::from_bytes(&self.bytes)
    }
}

impl SealingKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; KEY_LEN];
        bytes.copy_from_slice(&random_bytes(KEY_LEN));
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let key =
            UnboundKey::new(&AES_256_GCM, bytes).expect("AES-256-GCM accepts any 32-byte key");
        Self {
            bytes: *bytes,
            key: LessSafeKey::new(key),
        }
    }

    /// A key from bytes of unchecked length (a key file, a decoded setting).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, AeadError> {
        let bytes: &[u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| AeadError::KeyLength(bytes.len()))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The raw key, to persist a generated one.
    pub fn to_bytes(&self) -> [u8; KEY_LEN] {
        self.bytes
    }

    /// Encrypts and authenticates `plaintext`, binding it to `associated_data` (which is not
    /// stored: the same bytes must be passed to [`SealingKey::open`]).
    pub fn seal(&self, plaintext: &[u8], associated_data: &[u8]) -> Vec<u8> {
        let nonce_bytes = random_bytes(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(&nonce_bytes).expect("the nonce has NONCE_LEN bytes");
        let mut in_out = plaintext.to_vec();
        // Sealing fails only for plaintexts beyond GCM's limit of about 64 GiB.
        self.key
            .seal_in_place_append_tag(nonce, Aad::from(associated_data), &mut in_out)
            .expect("secrets at rest are far below AES-GCM's length limit");
        let mut sealed = Vec::with_capacity(NONCE_LEN + in_out.len());
        sealed.extend_from_slice(&nonce_bytes);
        sealed.extend_from_slice(&in_out);
        sealed
    }

    /// The plaintext of a value from [`SealingKey::seal`] with the same key and associated data.
    pub fn open(&self, sealed: &[u8], associated_data: &[u8]) -> Result<Vec<u8>, AeadError> {
        if sealed.len() < OVERHEAD {
            return Err(AeadError::Open);
        }
        let (nonce_bytes, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce_bytes).map_err(|_| AeadError::Open)?;
        let mut in_out = ciphertext.to_vec();
        let plaintext_len = self
            .key
            .open_in_place(nonce, Aad::from(associated_data), &mut in_out)
            .map_err(|_| AeadError::Open)?
            .len();
        in_out.truncate(plaintext_len);
        Ok(in_out)
    }
}
