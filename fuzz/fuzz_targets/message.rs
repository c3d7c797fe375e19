//! Encrypted files as a download hands them to the client: any bytes read as an AWS Encryption SDK
//! message never panic, and a message sealed here opens to its plaintext, read in any two pieces, but
//! never once any one of its bytes is changed.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use s3cognito_crypto::message::{EncryptedDataKey, Header, MessageError, Opener, PROVIDER_KMS, Sealer};

static DATA_KEY: LazyLock<Vec<u8>> = LazyLock::new(|| s3cognito_crypto::random::random_bytes(32));

/// The message in `bytes`, its header then the rest fed in two pieces split at `split`.
fn open(bytes: &[u8], split: usize) -> Result<Vec<u8>, MessageError> {
    let header = Header::parse(bytes)?.ok_or(MessageError::Truncated)?;
    let mut opener = Opener::new(&header, &DATA_KEY)?;
    let body = &bytes[header.len()..];
    let split = split.min(body.len());
    let mut out = Vec::new();
    opener.update(&body[..split], &mut out)?;
    opener.update(&body[split..], &mut out)?;
    opener.finish()?;
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    let _ = open(data, data.len() / 2);
    let [at_high, at_low, flip, frame, plaintext @ ..] = data else { return };
    let wrapped = vec![EncryptedDataKey { provider_id: PROVIDER_KMS.to_owned(), provider_info: b"arn:aws:kms:us-east-1:000000000000:key/fuzz".to_vec(), ciphertext: vec![1; 8] }];
    let context = BTreeMap::from([("purpose".to_owned(), "fuzz".to_owned())]);
    let sealer = Sealer::new(&DATA_KEY, context, wrapped, u32::from(*frame % 64) + 1, plaintext.len() as u64).expect("a message");
    let message = sealer.seal(0..sealer.message_len(), plaintext).expect("sealed");
    let split = usize::from(*flip) * 7;
    assert_eq!(open(&message, split).as_deref(), Ok(plaintext), "a sealed message did not open");
    let mut changed = message.clone();
    let at = (usize::from(*at_high) << 8 | usize::from(*at_low)) % changed.len();
    changed[at] ^= flip | 1;
    assert!(open(&changed, split).is_err(), "a message with byte {at} changed opened");
});
