//! Encryption at rest through the real binary: what aws-sdk-s3 uploads, in one PUT or in parts, is
//! nowhere in the data directory afterwards, and every answer says the bytes are encrypted.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use crate::Server;
use crate::s3::{pseudo_random, s3, upload_in_parts};

const MIB: usize = 1024 * 1024;

/// Every file under `directory`, with its bytes.
pub(crate) fn files_under(directory: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path, bytes));
        }
    }
    found
}

/// The 16-byte blocks of `plaintext` (at every 16th offset) that appear anywhere in `stored`.
fn leaked_blocks(stored: &[u8], blocks: &std::collections::HashSet<&[u8]>) -> usize {
    stored.windows(16).filter(|window| blocks.contains(window)).count()
}

#[tokio::test]
async fn uploaded_bytes_are_nowhere_on_disk_and_answers_say_aes256() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let s3 = s3(&server);
    let bucket = server.exports["aws_user_files_s3_bucket"].as_str().unwrap().to_owned();
    let single = pseudo_random(3 * MIB + 123, 31);
    let parts = [pseudo_random(5 * MIB, 32), pseudo_random(MIB + 7, 33)];

    let put = s3.put_object().bucket(&bucket).key("at-rest/single.bin").body(ByteStream::from(single.clone())).send().await.unwrap();
    assert_eq!(put.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    let done = upload_in_parts(&s3, &bucket, "at-rest/parts.bin", &parts).await;
    assert_eq!(done.server_side_encryption(), Some(&ServerSideEncryption::Aes256));

    let whole_parts = parts.concat();
    for (key, plaintext) in [("at-rest/single.bin", &single), ("at-rest/parts.bin", &whole_parts)] {
        let got = s3.get_object().bucket(&bucket).key(key).send().await.unwrap();
        assert_eq!(got.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
        assert_eq!(&got.body.collect().await.unwrap().into_bytes().to_vec(), plaintext, "{key}");
        let head = s3.head_object().bucket(&bucket).key(key).send().await.unwrap();
        assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
        // Ranges across chunk and part boundaries.
        let length = plaintext.len();
        let boundaries = [(0, 1), (65_530, 65_560), (5 * MIB - 10, 5 * MIB + 10), (length - 100, length - 1)];
        for (start, end) in boundaries.into_iter().filter(|(_, end)| *end < length) {
            let ranged = s3.get_object().bucket(&bucket).key(key).range(format!("bytes={start}-{end}")).send().await.unwrap();
            assert_eq!(ranged.body.collect().await.unwrap().into_bytes().to_vec(), plaintext[start..=end], "{key} {start}-{end}");
        }
    }
    server.stop();

    let mut blocks: std::collections::HashSet<&[u8]> = single.chunks_exact(16).collect();
    blocks.extend(whole_parts.chunks_exact(16));
    let files = files_under(data.path());
    assert!(files.iter().map(|(_, bytes)| bytes.len()).sum::<usize>() > single.len() + whole_parts.len(), "the blobs were scanned");
    for (path, bytes) in &files {
        assert_eq!(leaked_blocks(bytes, &blocks), 0, "{} holds uploaded bytes", path.display());
    }
}
