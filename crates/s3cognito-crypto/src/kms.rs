//! The ciphertext blobs of KMS keys: what Encrypt and GenerateDataKey return and Decrypt takes.
//!
//! A blob names the key and the version of its material that made it, so Decrypt needs no key id and old
//! versions keep decrypting after a rotation:
//!
//! ```text
//! format (1 byte, 1) ‖ ARN length (u16, big-endian) ‖ key ARN ‖ material version (u32, big-endian)
//!   ‖ salt (16 bytes) ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext ‖ tag (16 bytes)
//! ```
//!
//! Each blob is sealed under its own key, HKDF-SHA256 of the key material with the blob's random salt, so
//! no one key seals more than one message however many a key version makes. The associated data is the
//! header (everything before the nonce) and the encryption context in canonical form, so a blob whose
//! header is edited, or that is opened with another context, does not open.

use std::collections::BTreeMap;
use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf;

use crate::random::random_bytes;

/// Bytes of a key's material.
pub const MATERIAL_LEN: usize = 32;
const FORMAT: u8 = 1;
const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
const INFO: &[u8] = b"s3cognito kms ciphertext v1";

/// One version of a KMS key's material. Never shown: its `Debug` is redacted.
#[derive(Clone)]
pub struct KeyMaterial([u8; MATERIAL_LEN]);

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyMaterial(<redacted>)")
    }
}

impl KeyMaterial {
    /// Fresh random material.
    pub fn generate() -> KeyMaterial {
        let mut bytes = [0u8; MATERIAL_LEN];
        bytes.copy_from_slice(&random_bytes(MATERIAL_LEN));
        KeyMaterial(bytes)
    }

    /// Material from stored bytes; `None` when they are not [`MATERIAL_LEN`] long.
    pub fn from_slice(bytes: &[u8]) -> Option<KeyMaterial> {
        Some(KeyMaterial(bytes.try_into().ok()?))
    }

    pub fn as_bytes(&self) -> &[u8; MATERIAL_LEN] {
        &self.0
    }

    fn blob_key(&self, salt: &[u8]) -> LessSafeKey {
        struct Len;
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                32
            }
        }
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(&self.0);
        let mut key = [0u8; 32];
        prk.expand(&[INFO], Len).and_then(|okm| okm.fill(&mut key)).expect("32 bytes is a valid HKDF-SHA256 output length");
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).expect("AES-256-GCM accepts any 32-byte key"))
    }
}

/// Why a blob does not open: one answer for every way, so nothing tells a caller which part was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the ciphertext is not one of ours, is damaged, or was made with another encryption context")]
pub struct InvalidCiphertext;

/// What a blob's header says: which key, and which version of its material, made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    pub key_arn: String,
    pub version: u32,
}

/// The encryption context as authenticated: its pairs in key order, each key and value length-prefixed, so
/// that no two contexts give the same bytes.
fn canonical_context(context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(context.len() as u32).to_be_bytes());
    for (key, value) in context {
        for text in [key, value] {
            bytes.extend_from_slice(&(text.len() as u32).to_be_bytes());
            bytes.extend_from_slice(text.as_bytes());
        }
    }
    bytes
}

/// The header's bytes and where it ends, read from the front of `blob`.
fn read_header(blob: &[u8]) -> Result<(BlobHeader, usize), InvalidCiphertext> {
    let take = |at: usize, length: usize| blob.get(at..at + length).ok_or(InvalidCiphertext);
    if take(0, 1)? != [FORMAT] {
        return Err(InvalidCiphertext);
    }
    let arn_len = usize::from(u16::from_be_bytes(take(1, 2)?.try_into().map_err(|_| InvalidCiphertext)?));
    let key_arn = std::str::from_utf8(take(3, arn_len)?).map_err(|_| InvalidCiphertext)?.to_owned();
    let version = u32::from_be_bytes(take(3 + arn_len, 4)?.try_into().map_err(|_| InvalidCiphertext)?);
    let end = 3 + arn_len + 4 + SALT_LEN;
    take(end - SALT_LEN, SALT_LEN)?;
    Ok((BlobHeader { key_arn, version }, end))
}

/// Which key and version made `blob`, read without opening it (the header is checked when it is opened).
pub fn blob_header(blob: &[u8]) -> Result<BlobHeader, InvalidCiphertext> {
    read_header(blob).map(|(header, _)| header)
}

/// Encrypts `plaintext` under `material`, version `version` of the key `key_arn`, bound to `context`.
pub fn seal(material: &KeyMaterial, key_arn: &str, version: u32, context: &BTreeMap<String, String>, plaintext: &[u8]) -> Vec<u8> {
    let arn_len = u16::try_from(key_arn.len()).expect("a key ARN is far shorter than 64 KiB");
    let salt = random_bytes(SALT_LEN);
    let mut blob = Vec::with_capacity(3 + key_arn.len() + 4 + SALT_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
    blob.push(FORMAT);
    blob.extend_from_slice(&arn_len.to_be_bytes());
    blob.extend_from_slice(key_arn.as_bytes());
    blob.extend_from_slice(&version.to_be_bytes());
    blob.extend_from_slice(&salt);
    let mut associated = blob.clone();
    associated.extend_from_slice(&canonical_context(context));
    let nonce_bytes = random_bytes(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(&nonce_bytes).expect("the nonce has NONCE_LEN bytes");
    let mut in_out = plaintext.to_vec();
    material
        .blob_key(&salt)
        .seal_in_place_append_tag(nonce, Aad::from(&associated), &mut in_out)
        .expect("KMS plaintexts are far below AES-GCM's length limit");
    blob.extend_from_slice(&nonce_bytes);
    blob.extend_from_slice(&in_out);
    blob
}

/// The plaintext of `blob`, made by [`seal`] with the same material and context.
pub fn open(material: &KeyMaterial, blob: &[u8], context: &BTreeMap<String, String>) -> Result<Vec<u8>, InvalidCiphertext> {
    let (_, end) = read_header(blob)?;
    let (header, rest) = blob.split_at(end);
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(InvalidCiphertext);
    }
    let (nonce_bytes, sealed) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce_bytes).map_err(|_| InvalidCiphertext)?;
    let mut associated = header.to_vec();
    associated.extend_from_slice(&canonical_context(context));
    let salt = &header[end - SALT_LEN..];
    let mut in_out = sealed.to_vec();
    let length = material.blob_key(salt).open_in_place(nonce, Aad::from(&associated), &mut in_out).map_err(|_| InvalidCiphertext)?.len();
    in_out.truncate(length);
    Ok(in_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/0b6c7a3e-1f2d-4c5b-9a8e-7d6c5b4a3f2e";

    fn context(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
    }

    #[test]
    fn a_blob_opens_with_its_material_and_context_and_names_its_key() {
        let material = KeyMaterial::generate();
        let bound = context(&[("purpose", "backup"), ("owner", "alice")]);
        let blob = seal(&material, ARN, 3, &bound, b"secret bytes");
        assert_eq!(blob_header(&blob), Ok(BlobHeader { key_arn: ARN.to_owned(), version: 3 }));
        assert_eq!(open(&material, &blob, &bound).unwrap(), b"secret bytes");
        assert_ne!(seal(&material, ARN, 3, &bound, b"secret bytes"), blob, "every blob has its own salt and nonce");
    }

    #[test]
    fn another_context_material_or_any_changed_byte_does_not_open() {
        let material = KeyMaterial::generate();
        let bound = context(&[("a", "bc")]);
        let blob = seal(&material, ARN, 1, &bound, b"data key");
        assert_eq!(open(&material, &blob, &context(&[("ab", "c")])), Err(InvalidCiphertext));
        assert_eq!(open(&material, &blob, &BTreeMap::new()), Err(InvalidCiphertext));
        assert_eq!(open(&KeyMaterial::generate(), &blob, &bound), Err(InvalidCiphertext));
        for index in 0..blob.len() {
            let mut tampered = blob.clone();
            tampered[index] ^= 0x01;
            assert!(open(&material, &tampered, &bound).is_err(), "byte {index} changed");
        }
        for length in 0..blob.len() {
            assert!(open(&material, &blob[..length], &bound).is_err(), "cut to {length} bytes");
        }
    }
}
