//! A bucket's default encryption (PutBucketEncryption): what objects written without SSE headers get.
//! Every bucket has one: server-managed keys (`AES256`) unless set to a KMS key (`aws:kms`).

use s3cognito_types::BucketName;
use serde::{Deserialize, Serialize};

use super::{Encryption, ObjectError, Objects, Result};
use crate::kms::DEFAULT_ALIAS;

/// A bucket's default encryption, as S3's single rule says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEncryption {
    /// `AES256` or `aws:kms`.
    pub algorithm: String,
    /// For `aws:kms`: the key as configured (an id, ARN or alias); the deployment's default key when absent.
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
}

impl Default for BucketEncryption {
    fn default() -> Self {
        BucketEncryption { algorithm: "AES256".to_owned(), kms_key_id: None, bucket_key_enabled: false }
    }
}

impl Objects {
    /// Sets the bucket's default encryption: `AES256` (without a key) or `aws:kms`.
    pub async fn put_bucket_encryption(&self, bucket: &BucketName, encryption: BucketEncryption) -> Result<()> {
        match (encryption.algorithm.as_str(), &encryption.kms_key_id) {
            ("AES256", None) | ("aws:kms", _) => {}
            ("AES256", Some(_)) => {
                return Err(ObjectError::InvalidArgument("A KMS key can be named only with the aws:kms algorithm.".to_owned()));
            }
            (other, _) => return Err(ObjectError::InvalidArgument(format!("The encryption algorithm {other} is not supported here; use AES256 or aws:kms."))),
        }
        let text = serde_json::to_string(&encryption)?;
        if !self.store.set_bucket_encryption(bucket, Some(&text)).await? {
            return Err(ObjectError::NoSuchBucket);
        }
        Ok(())
    }

    /// Back to server-managed keys.
    pub async fn delete_bucket_encryption(&self, bucket: &BucketName) -> Result<()> {
        if !self.store.set_bucket_encryption(bucket, None).await? {
            return Err(ObjectError::NoSuchBucket);
        }
        Ok(())
    }

    /// What the deployment's own routes (the upload edge, Uppy's multipart routes) write into `bucket`
    /// with, as S3 encrypts every write without SSE headers: the bucket's default, its KMS key resolved
    /// and refused when it is disabled or pending deletion.
    pub async fn default_encryption(&self, bucket: &BucketName) -> Result<Encryption> {
        let configured = self.bucket_encryption(bucket).await?;
        if configured.algorithm != "aws:kms" {
            return Ok(Encryption::ServerManaged);
        }
        let kms = |error| ObjectError::Kms(Box::new(error));
        let key = self.kms.resolve(configured.kms_key_id.as_deref().unwrap_or(DEFAULT_ALIAS)).await.map_err(kms)?;
        self.kms.usable(&key).map_err(kms)?;
        Ok(Encryption::Kms { key: Box::new(key), context: Default::default() })
    }

    pub async fn bucket_encryption(&self, bucket: &BucketName) -> Result<BucketEncryption> {
        let record = self.store.bucket(bucket).await?.ok_or(ObjectError::NoSuchBucket)?;
        match record.encryption {
            Some(text) => Ok(serde_json::from_str(&text)?),
            None => Ok(BucketEncryption::default()),
        }
    }
}
