//! Multipart uploads: parts become blobs of their own, and completing the upload makes an object
//! whose segments are those blobs, without copying a byte.

use s3cognito_types::{BucketName, ObjectKey};
use s3cognito_meta::{MetaError, PartRecord, UploadRecord};

use super::{
    BodyError, Checksum, ChecksumSlot, Encryption, MAX_SINGLE_UPLOAD, ObjectAttributes, ObjectError, ObjectInfo, Objects, Result, Sealing,
    Segment, Upload, blobs_of,
};

/// An upload's SSE-KMS choice as its row keeps it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct StoredEncryption {
    /// The key's ARN.
    key: String,
    context: std::collections::BTreeMap<String, String>,
}

/// S3's smallest part, but for the last.
pub const MIN_PART_SIZE: u64 = 5 << 20;
pub const MAX_PART_NUMBER: i32 = 10_000;

#[derive(Debug, Clone)]
pub struct UploadInfo {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub owner: String,
    pub initiated_at: i64,
}

#[derive(Debug, Clone)]
pub struct PartInfo {
    pub part_number: i32,
    pub size: u64,
    /// Quoted.
    pub etag: String,
    pub uploaded_at: i64,
    pub checksum: Option<super::Checksum>,
}

impl From<&UploadRecord> for UploadInfo {
    fn from(record: &UploadRecord) -> Self {
        UploadInfo {
            upload_id: record.upload_id.clone(),
            bucket: record.bucket.clone(),
            key: record.key.clone(),
            owner: record.owner.clone(),
            initiated_at: record.initiated_at,
        }
    }
}

impl From<&PartRecord> for PartInfo {
    fn from(record: &PartRecord) -> Self {
        PartInfo {
            part_number: record.part_number as i32,
            size: record.size as u64,
            etag: record.etag.clone(),
            uploaded_at: record.uploaded_at,
            checksum: record.checksum.as_deref().and_then(|text| super::stored::read_checksum(text).ok()),
        }
    }
}

impl Objects {
    async fn upload_of(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<UploadRecord> {
        match self.store.upload(upload_id).await? {
            Some(upload) if upload.bucket == bucket.as_str() && upload.key == key.as_str() => Ok(upload),
            _ => {
                self.bucket(bucket).await?;
                Err(ObjectError::NoSuchUpload)
            }
        }
    }

    /// How the parts of an upload are encrypted, as CreateMultipartUpload asked.
    async fn encryption_of(&self, record: &UploadRecord) -> Result<Encryption> {
        let Some(stored) = &record.encryption else { return Ok(Encryption::ServerManaged) };
        let stored: StoredEncryption = serde_json::from_str(stored)?;
        let key = self.kms.resolve(&stored.key).await.map_err(|error| ObjectError::Kms(Box::new(error)))?;
        Ok(Encryption::Kms { key: Box::new(key), context: stored.context })
    }

    /// How the parts of the multipart upload `upload_id` of `key` are to be encrypted, for authorizing
    /// the caller's use of a KMS key before a part is written.
    pub async fn upload_encryption(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<Encryption> {
        let record = self.upload_of(bucket, key, upload_id).await?;
        self.encryption_of(&record).await
    }

    /// The multipart upload `upload_id` of `key`, if it is in progress.
    pub async fn upload(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<UploadInfo> {
        Ok(UploadInfo::from(&self.upload_of(bucket, key, upload_id).await?))
    }

    pub async fn create_upload(&self, bucket: &BucketName, key: &ObjectKey, owner: &str, attributes: ObjectAttributes) -> Result<UploadInfo> {
        self.bucket(bucket).await?;
        let record = UploadRecord {
            upload_id: super::new_blob_id(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            content_type: attributes.content_type,
            headers: serde_json::to_string(&attributes.headers)?,
            user_metadata: serde_json::to_string(&attributes.user_metadata)?,
            checksum_algorithm: None,
            owner: owner.to_owned(),
            initiated_at: self.now(),
            encryption: match &attributes.encryption {
                Encryption::ServerManaged => None,
                Encryption::Kms { key: kms_key, context } => {
                    Some(serde_json::to_string(&StoredEncryption { key: kms_key.arn().to_owned(), context: context.clone() })?)
                }
            },
            tags: attributes.tags.to_column()?,
        };
        self.store.insert_upload(&record).await?;
        Ok(UploadInfo::from(&record))
    }

    pub async fn upload_part<E: Into<BodyError>>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
        part_number: i32,
        upload: Upload<E>,
    ) -> Result<PartInfo> {
        if !(1..=MAX_PART_NUMBER).contains(&part_number) {
            return Err(ObjectError::InvalidArgument(format!(
                "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
            )));
        }
        let record = self.upload_of(bucket, key, upload_id).await?;
        let sealing = Sealing::of(&self.encryption_of(&record).await?, bucket.as_str(), key.as_str());
        let written = self.write_blob(upload.body, upload.declared_length, MAX_SINGLE_UPLOAD, &sealing).await?;
        self.check_content_md5(&written.md5, &[&written.segment], upload.content_md5.as_deref()).await?;
        let record = PartRecord {
            upload_id: upload_id.to_owned(),
            part_number: i64::from(part_number),
            blob_id: written.segment.blob.clone(),
            blob_key: written.segment.key.clone(),
            size: written.segment.size as i64,
            etag: format!("\"{}\"", hex::encode(written.md5)),
            checksum: upload.checksum.get().map(super::stored::write_checksum).transpose()?,
            uploaded_at: self.now(),
        };
        match self.store.put_part(&record).await {
            Ok(()) => Ok(PartInfo::from(&record)),
            Err(error) => {
                self.discard(&written.segment.blob).await;
                Err(match error {
                    MetaError::Conflict => ObjectError::NoSuchUpload,
                    other => other.into(),
                })
            }
        }
    }

    /// UploadPartCopy: `range` of an existing object becomes a part. The bytes are copied, as parts
    /// never share blobs with objects.
    pub async fn upload_part_copy(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
        part_number: i32,
        source: &ObjectInfo,
        range: std::ops::Range<u64>,
    ) -> Result<PartInfo> {
        let length = range.end - range.start;
        let upload = Upload {
            body: self.read(source, range),
            declared_length: Some(length),
            content_md5: None,
            checksum: ChecksumSlot::default(),
            condition: Default::default(),
        };
        self.upload_part(bucket, key, upload_id, part_number, upload).await
    }

    pub async fn list_parts(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<(UploadInfo, Vec<PartInfo>)> {
        let upload = self.upload_of(bucket, key, upload_id).await?;
        let parts = self.store.parts(upload_id).await?;
        Ok((UploadInfo::from(&upload), parts.iter().map(PartInfo::from).collect()))
    }

    /// Joins the named parts into the object, checking S3's rules: at least one part, ascending
    /// numbers, every ETag matching an uploaded part, every part but the last at least 5 MiB.
    pub async fn complete_upload(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
        requested: &[(i32, String)],
        checksum: Option<Checksum>,
        condition: &super::WriteCondition,
    ) -> Result<ObjectInfo> {
        let upload = match self.upload_of(bucket, key, upload_id).await {
            Ok(upload) => upload,
            Err(ObjectError::NoSuchUpload) => return self.completed_again(bucket, key, upload_id).await,
            Err(other) => return Err(other),
        };
        if requested.is_empty() {
            return Err(ObjectError::InvalidRequest("You must specify at least one part".to_owned()));
        }
        if requested.windows(2).any(|pair| pair[0].0 >= pair[1].0) {
            return Err(ObjectError::InvalidPartOrder);
        }
        let (version_id, versioned) = self.next_version_id(bucket).await?;
        let stored = self.store.parts(upload_id).await?;
        let mut segments = Vec::with_capacity(requested.len());
        let mut md5s = Vec::with_capacity(requested.len());
        for (index, (number, etag)) in requested.iter().enumerate() {
            let part = stored
                .iter()
                .find(|part| part.part_number == i64::from(*number))
                .filter(|part| part.etag.trim_matches('"') == etag.trim_matches('"'))
                .ok_or(ObjectError::InvalidPart)?;
            let last = index + 1 == requested.len();
            if !last && (part.size as u64) < MIN_PART_SIZE {
                return Err(ObjectError::EntityTooSmall);
            }
            let raw = hex::decode(part.etag.trim_matches('"')).map_err(|_| ObjectError::Internal("stored part ETag is not hex".to_owned()))?;
            md5s.push(raw);
            let part_checksum = match (&checksum, part.checksum.as_deref()) {
                (Some(_), Some(text)) => Some(super::stored::read_checksum(text)?),
                _ => None,
            };
            segments.push(Segment { blob: part.blob_id.clone(), size: part.size as u64, key: part.blob_key.clone(), checksum: part_checksum });
        }
        let info = ObjectInfo {
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: segments.iter().map(|segment| segment.size).sum(),
            etag: format!("\"{}\"", super::multipart_etag(md5s.iter().map(Vec::as_slice))),
            attributes: ObjectAttributes {
                content_type: upload.content_type.clone(),
                headers: serde_json::from_str(&upload.headers)?,
                user_metadata: serde_json::from_str(&upload.user_metadata)?,
                encryption: Encryption::ServerManaged,
                tags: super::Tags::from_column(upload.tags.as_deref())?,
            },
            modified_at: self.now(),
            owner: upload.owner.clone(),
            segments,
            // A checksum of the parts' checksums, computed by the protocol layer (S3's COMPOSITE type).
            checksum,
            version_id,
        };
        let used: Vec<String> = info.segments.iter().map(|segment| segment.blob.clone()).collect();
        let completed = self.store.complete_upload_when(upload_id, &info.to_record()?, versioned, &used, blobs_of, |current| condition.admits(current)).await;
        let completed = match completed {
            Ok(completed) => completed,
            // The upload stays open: the client may complete it once the key is as it wants.
            Err(MetaError::Precondition { existed }) => return Err(condition.refusal(existed)),
            Err(other) => return Err(other.into()),
        };
        if !completed {
            // Another completion of the same upload won the race: answer as a retry would be answered.
            return self.completed_again(bucket, key, upload_id).await;
        }
        Ok(info)
    }

    /// A completion asked again (a client retrying after losing the answer): the same success while the
    /// object is still the one that upload made, as S3 answers; `NoSuchUpload` otherwise.
    async fn completed_again(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<ObjectInfo> {
        let completed = self.store.completed_upload(upload_id).await?;
        let Some(completed) = completed.filter(|completed| completed.bucket == bucket.as_str() && completed.key == key.as_str()) else {
            return Err(ObjectError::NoSuchUpload);
        };
        match self.object(bucket, key, &super::Conditions::default()).await {
            Ok(info) if info.etag == completed.etag => Ok(info),
            Ok(_) | Err(ObjectError::NoSuchKey | ObjectError::DeleteMarker { .. }) => Err(ObjectError::NoSuchUpload),
            Err(other) => Err(other),
        }
    }

    pub async fn abort_upload(&self, bucket: &BucketName, key: &ObjectKey, upload_id: &str) -> Result<()> {
        self.upload_of(bucket, key, upload_id).await?;
        if !self.store.abort_upload(upload_id, self.now()).await? {
            return Err(ObjectError::NoSuchUpload);
        }
        Ok(())
    }

    pub async fn list_uploads(
        &self,
        bucket: &BucketName,
        prefix: &str,
        key_marker: &str,
        upload_id_marker: &str,
        max_uploads: usize,
    ) -> Result<(Vec<UploadInfo>, bool)> {
        self.bucket(bucket).await?;
        let records = self.store.list_uploads(bucket, prefix, key_marker, upload_id_marker, max_uploads as i64 + 1).await?;
        let truncated = records.len() > max_uploads;
        Ok((records.iter().take(max_uploads).map(UploadInfo::from).collect(), truncated))
    }

    /// Aborts uploads started before `before` (abandoned by their clients), and forgets completions as old.
    pub async fn abort_stale_uploads(&self, before: i64) -> Result<usize> {
        self.store.forget_completed_uploads(before).await?;
        let stale = self.store.stale_uploads(before, 100).await?;
        for upload in &stale {
            self.store.abort_upload(&upload.upload_id, self.now()).await?;
        }
        Ok(stale.len())
    }
}
