//! Files encrypted on this machine before they are sent, so the server only ever holds ciphertext: each
//! file is one message in the AWS Encryption SDK's format under its own data key from KMS
//! (GenerateDataKey with the identity's credentials; the data key is wrapped by the KMS key, and only the
//! wrapped copy is stored, in the message's header). Reading one asks KMS to unwrap that copy (Decrypt).
//! Any implementation of that SDK opens what is written here, and the other way round.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use s3cognito_crypto::message::{EncryptedDataKey, FRAME_LENGTH, Header, MAX_HEADER, MessageError, Opener, PROVIDER_KMS, Sealer};

use crate::storage::sdk_error;
use crate::{ClientError, Result};

/// The object metadata (`x-amz-meta-…`) that marks a file encrypted before it was sent, and its value.
pub(crate) const MARK: &str = "s3cognito-encryption";
pub(crate) const FORMAT: &str = "aws-encryption-sdk";
/// The most KMS-wrapped copies of a data key one message is opened with.
const MAX_KEYS_TRIED: usize = 8;

/// The KMS key files are encrypted with unless another is named: the one the bootstrap role lets every
/// signed-in user make and open data keys with.
pub const DEFAULT_KEY: &str = "alias/s3cognito-default";

fn refused(error: MessageError) -> ClientError {
    ClientError::Protocol(error.to_string())
}

/// KMS, with the identity's credentials.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub(crate) kms: aws_sdk_kms::Client,
}

impl Keys {
    /// A new message for a file of `plaintext_len` bytes under a fresh data key from `key_id`, with
    /// `context` (stored in the clear, authenticated, and given to KMS with the data key).
    pub(crate) async fn seal(&self, key_id: &str, context: BTreeMap<String, String>, plaintext_len: u64) -> Result<Sealer> {
        let answer = self
            .kms
            .generate_data_key()
            .key_id(key_id)
            .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
            .set_encryption_context(Some(context.clone().into_iter().collect::<HashMap<_, _>>()))
            .send()
            .await
            .map_err(sdk_error)?;
        let (Some(arn), Some(plaintext), Some(wrapped)) = (answer.key_id, answer.plaintext, answer.ciphertext_blob) else {
            return Err(ClientError::Protocol("GenerateDataKey answered without KeyId, Plaintext or CiphertextBlob".to_owned()));
        };
        let data_key = EncryptedDataKey { provider_id: PROVIDER_KMS.to_owned(), provider_info: arn.into_bytes(), ciphertext: wrapped.into_inner() };
        Sealer::new(plaintext.as_ref(), context, vec![data_key], FRAME_LENGTH, plaintext_len).map_err(refused)
    }

    /// The message `header` (base64, as an interrupted upload remembers it) began, continued for a
    /// plaintext of `plaintext_len` bytes.
    pub(crate) async fn resume(&self, header: &str, plaintext_len: u64) -> Result<Sealer> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(header).map_err(|error| ClientError::Config(error.to_string()))?;
        let header = Header::parse(&bytes).map_err(refused)?.ok_or_else(|| refused(MessageError::Truncated))?;
        let data_key = self.data_key(&header).await?;
        Sealer::resume(header, &data_key, plaintext_len).map_err(refused)
    }

    /// The plaintext data key of `header`: the first of its KMS-wrapped copies KMS unwraps for us.
    pub(crate) async fn data_key(&self, header: &Header) -> Result<Vec<u8>> {
        let context: HashMap<String, String> = header.context.clone().into_iter().collect();
        let mut refusal = None;
        // A message may name many wrapped copies; KMS is asked about a few, not as many as it names.
        for wrapped in header.data_keys.iter().filter(|key| key.provider_id == PROVIDER_KMS).take(MAX_KEYS_TRIED) {
            let Ok(arn) = std::str::from_utf8(&wrapped.provider_info) else { continue };
            let answer = self
                .kms
                .decrypt()
                .key_id(arn)
                .ciphertext_blob(Blob::new(wrapped.ciphertext.clone()))
                .set_encryption_context(Some(context.clone()))
                .send()
                .await;
            match answer {
                Ok(answer) => {
                    if let Some(plaintext) = answer.plaintext {
                        return Ok(plaintext.into_inner());
                    }
                }
                Err(error) => refusal = Some(sdk_error(error)),
            }
        }
        Err(refusal.unwrap_or_else(|| ClientError::Protocol("the file's data key is wrapped by no KMS key (it was encrypted with another kind of key)".to_owned())))
    }

    /// Decrypts the message in the file `sealed` into a new file `plain` (mode 0600), removed again unless
    /// the whole message opens: no byte of a message that fails its checks is left behind. The
    /// plaintext's length.
    pub(crate) async fn open_file(&self, sealed: &Path, plain: &Path) -> Result<u64> {
        let start = read_header(sealed).await?;
        let header = Header::parse(&start).map_err(refused)?.ok_or_else(|| refused(MessageError::Truncated))?;
        let data_key = self.data_key(&header).await?;
        let opener = Opener::new(&header, &data_key).map_err(refused)?;
        let (sealed, plain) = (sealed.to_owned(), plain.to_owned());
        let header_len = header.len() as u64;
        let opened = tokio::task::spawn_blocking(move || -> Result<u64> {
            let outcome = decrypt_into(opener, &sealed, header_len, &plain);
            if outcome.is_err() {
                let _ = std::fs::remove_file(&plain);
            }
            outcome
        })
        .await
        .map_err(|error| ClientError::Config(error.to_string()))??;
        Ok(opened)
    }
}

/// The start of the file `sealed`, enough to hold its header (or all of it, when shorter).
async fn read_header(sealed: &Path) -> Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let failed = |error: std::io::Error| ClientError::Config(format!("{}: {error}", sealed.display()));
    let file = tokio::fs::File::open(sealed).await.map_err(failed)?;
    let mut start = Vec::new();
    file.take(MAX_HEADER as u64).read_to_end(&mut start).await.map_err(failed)?;
    Ok(start)
}

fn decrypt_into(mut opener: Opener, sealed: &Path, header_len: u64, plain: &Path) -> Result<u64> {
    use std::io::{Read, Seek, Write};
    use std::os::unix::fs::OpenOptionsExt;
    fn io(path: &Path) -> impl Fn(std::io::Error) -> ClientError + '_ {
        move |error| ClientError::Config(format!("{}: {error}", path.display()))
    }
    let mut from = std::fs::File::open(sealed).map_err(io(sealed))?;
    from.seek(std::io::SeekFrom::Start(header_len)).map_err(io(sealed))?;
    let mut to = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(plain).map_err(io(plain))?;
    let mut buffer = vec![0; 1 << 20];
    let mut out = Vec::with_capacity(2 << 20);
    let mut written = 0u64;
    loop {
        let read = from.read(&mut buffer).map_err(io(sealed))?;
        if read == 0 {
            break;
        }
        opener.update(&buffer[..read], &mut out).map_err(refused)?;
        to.write_all(&out).map_err(io(plain))?;
        written += out.len() as u64;
        out.clear();
    }
    opener.finish().map_err(refused)?;
    to.sync_all().map_err(io(plain))?;
    Ok(written)
}
