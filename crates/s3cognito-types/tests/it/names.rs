//! Names parsed once at the boundary: what each kind accepts and refuses.

use s3cognito_types::{BucketName, ChecksumAlgorithm, ObjectKey, Violation};

#[test]
fn bucket_names_follow_aws_rules() {
    for valid in ["abc", "my-bucket", "my.example.bucket", "s3cognito-0123456789ab", &"a".repeat(63)] {
        assert!(BucketName::parse(valid).is_ok(), "{valid} should be a bucket name");
    }
    for invalid in [
        "", "ab", &"a".repeat(64), "Upper", "under_score", "-leading", "trailing-", "two..dots", "192.168.1.1",
        "xn--punycode", "sthree-bucket", "amzn-s3-demo-bucket", "name-s3alias", "name--ol-s3", "name--x-s3",
        "name--table-s3", "spa ce",
    ] {
        assert!(BucketName::parse(invalid).is_err(), "{invalid:?} should be refused");
    }
}

#[test]
fn checksum_algorithms_parse_in_any_case_and_keep_s3s_names() {
    for algorithm in ChecksumAlgorithm::ALL {
        assert_eq!(ChecksumAlgorithm::parse(algorithm.name()), Some(algorithm));
        assert_eq!(ChecksumAlgorithm::parse(&algorithm.name().to_lowercase()), Some(algorithm));
        assert_eq!(algorithm.header(), format!("x-amz-checksum-{}", algorithm.name().to_lowercase()));
        assert_eq!(serde_json::to_string(&algorithm).unwrap(), format!("\"{}\"", algorithm.name()), "stored by name");
    }
    assert_eq!(ChecksumAlgorithm::parse("MD5"), None);
}

#[test]
fn object_keys_are_one_to_1024_bytes_of_anything() {
    for valid in ["a", "private/us-east-1:abc/report.pdf", "../up", "/leading", "tab\there", &"é".repeat(512)] {
        assert!(ObjectKey::parse(valid).is_ok(), "{valid:?} is a key S3 stores as given");
    }
    assert_eq!(ObjectKey::parse("").unwrap_err().violation(), Violation::Empty);
    assert_eq!(ObjectKey::parse("é".repeat(513)).unwrap_err().violation(), Violation::TooLong, "1,026 bytes");
}
