//! Every checksum algorithm through the AWS SDK for Rust, which sends them as aws-chunked trailers
//! and verifies them on download.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};

use crate::Server;
use crate::s3::s3;

#[tokio::test]
async fn every_algorithm_is_verified_stored_and_returned() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let client = s3(&server);
    let bucket = server.exports["aws_user_files_s3_bucket"].as_str().unwrap().to_owned();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for algorithm in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("checksums/{}", algorithm.as_str());
        let put = client
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .checksum_algorithm(algorithm.clone())
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        let sent = [put.checksum_crc32(), put.checksum_crc32_c(), put.checksum_crc64_nvme(), put.checksum_sha1(), put.checksum_sha256()]
            .into_iter()
            .flatten()
            .next()
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{algorithm:?}: no checksum in the answer"));
        let got = client.get_object().bucket(&bucket).key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let returned = [got.checksum_crc32(), got.checksum_crc32_c(), got.checksum_crc64_nvme(), got.checksum_sha1(), got.checksum_sha256()]
            .into_iter()
            .flatten()
            .next()
            .map(str::to_owned);
        assert_eq!(returned.as_deref(), Some(sent.as_str()), "{algorithm:?}");
        // The SDK checks the returned checksum against the bytes while collecting them.
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), body.as_slice(), "{algorithm:?}");
    }
    server.stop();
}
