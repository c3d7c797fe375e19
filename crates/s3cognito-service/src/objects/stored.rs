//! The objects' JSON columns as rows hold them: an object's segments and checksum, a part's checksum and a
//! bucket's CORS rules, in the shapes every earlier release wrote.
//!
//! These shapes are the database's, not the domain's: they change only with a migration of the rows, so
//! the domain types can change without one. The tests pin the text.

use serde::{Deserialize, Serialize};

use super::cors::CorsRule;
use super::{Checksum, Result, Segment};

#[derive(Debug, Serialize, Deserialize)]
struct StoredSegment {
    blob: String,
    size: u64,
    /// Absent from rows written before blobs were encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    /// A multipart object's part's checksum; absent for others, and from rows written before parts kept one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    checksum: Option<StoredChecksum>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredChecksum {
    /// S3's name: `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`.
    algorithm: s3cognito_types::ChecksumAlgorithm,
    value: String,
}

// Members in this order, options as nulls, as rows have always been written.
#[derive(Debug, Serialize, Deserialize)]
struct StoredCorsRule {
    id: Option<String>,
    allowed_origins: Vec<String>,
    allowed_methods: Vec<String>,
    allowed_headers: Vec<String>,
    expose_headers: Vec<String>,
    max_age_seconds: Option<i32>,
}

pub(super) fn read_segments(text: &str) -> Result<Vec<Segment>> {
    let stored: Vec<StoredSegment> = serde_json::from_str(text)?;
    Ok(stored
        .into_iter()
        .map(|segment| Segment {
            blob: segment.blob,
            size: segment.size,
            key: segment.key,
            checksum: segment.checksum.map(|stored| Checksum { algorithm: stored.algorithm, value: stored.value }),
        })
        .collect())
}

pub(super) fn write_segments(segments: &[Segment]) -> Result<String> {
    let stored: Vec<StoredSegment> = segments
        .iter()
        .map(|segment| StoredSegment {
            blob: segment.blob.clone(),
            size: segment.size,
            key: segment.key.clone(),
            checksum: segment.checksum.as_ref().map(|checksum| StoredChecksum { algorithm: checksum.algorithm, value: checksum.value.clone() }),
        })
        .collect();
    Ok(serde_json::to_string(&stored)?)
}

pub(super) fn read_checksum(text: &str) -> Result<Checksum> {
    let stored: StoredChecksum = serde_json::from_str(text)?;
    Ok(Checksum { algorithm: stored.algorithm, value: stored.value })
}

pub(super) fn write_checksum(checksum: &Checksum) -> Result<String> {
    Ok(serde_json::to_string(&StoredChecksum { algorithm: checksum.algorithm, value: checksum.value.clone() })?)
}

pub(super) fn read_cors(text: &str) -> Result<Vec<CorsRule>> {
    let stored: Vec<StoredCorsRule> = serde_json::from_str(text)?;
    Ok(stored
        .into_iter()
        .map(|rule| CorsRule {
            id: rule.id,
            allowed_origins: rule.allowed_origins,
            allowed_methods: rule.allowed_methods,
            allowed_headers: rule.allowed_headers,
            expose_headers: rule.expose_headers,
            max_age_seconds: rule.max_age_seconds,
        })
        .collect())
}

pub(super) fn write_cors(rules: &[CorsRule]) -> Result<String> {
    let stored: Vec<StoredCorsRule> = rules
        .iter()
        .map(|rule| StoredCorsRule {
            id: rule.id.clone(),
            allowed_origins: rule.allowed_origins.clone(),
            allowed_methods: rule.allowed_methods.clone(),
            allowed_headers: rule.allowed_headers.clone(),
            expose_headers: rule.expose_headers.clone(),
            max_age_seconds: rule.max_age_seconds,
        })
        .collect();
    Ok(serde_json::to_string(&stored)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3cognito_types::ChecksumAlgorithm;

    #[test]
    fn segments_and_checksums_read_and_write_the_stored_text() {
        let text = r#"[{"blob":"b1","size":5242880},{"blob":"b2","size":7}]"#;
        let segments = read_segments(text).unwrap();
        assert_eq!(segments, [Segment { blob: "b1".to_owned(), size: 5_242_880, key: None, checksum: None }, Segment { blob: "b2".to_owned(), size: 7, key: None, checksum: None }]);
        assert_eq!(write_segments(&segments).unwrap(), text, "rows of plaintext blobs are written as before");
        let text = r#"[{"blob":"b3","size":9,"key":"m1:c2VhbGVk"}]"#;
        assert_eq!(read_segments(text).unwrap()[0].key.as_deref(), Some("m1:c2VhbGVk"));
        assert_eq!(write_segments(&read_segments(text).unwrap()).unwrap(), text);
        let text = r#"[{"blob":"b4","size":9,"key":"m1:c2VhbGVk","checksum":{"algorithm":"SHA256","value":"c2hh"}}]"#;
        let part = &read_segments(text).unwrap()[0];
        assert_eq!(part.checksum, Some(Checksum { algorithm: ChecksumAlgorithm::Sha256, value: "c2hh".to_owned() }));
        assert_eq!(write_segments(&read_segments(text).unwrap()).unwrap(), text);

        let text = r#"{"algorithm":"CRC64NVME","value":"AAAAAAAAAAA="}"#;
        let checksum = read_checksum(text).unwrap();
        assert_eq!(checksum, Checksum { algorithm: ChecksumAlgorithm::Crc64Nvme, value: "AAAAAAAAAAA=".to_owned() });
        assert_eq!(write_checksum(&checksum).unwrap(), text);
        assert!(read_checksum(r#"{"algorithm":"MD5","value":"x"}"#).is_err(), "an algorithm S3 does not have");
    }

    #[test]
    fn cors_rules_read_and_write_the_stored_text() {
        let text = r#"[{"id":null,"allowed_origins":["*"],"allowed_methods":["GET","PUT"],"allowed_headers":["*"],"expose_headers":["ETag"],"max_age_seconds":3000}]"#;
        let rules = read_cors(text).unwrap();
        assert_eq!(rules[0].allowed_methods, ["GET", "PUT"]);
        assert_eq!(rules[0].max_age_seconds, Some(3000));
        assert_eq!(write_cors(&rules).unwrap(), text);
    }
}
