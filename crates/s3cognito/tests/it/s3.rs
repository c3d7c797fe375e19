//! The private bucket through aws-sdk-s3 (path-style, root credentials): objects, listings, multipart,
//! ranges, presigned URLs fetched by a plain HTTP/1.1 client, and a restart.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_s3::config::Region;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};

use crate::{Server, engines};

const MIB: usize = 1024 * 1024;

pub(crate) fn s3(server: &Server) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(server.root_credentials())
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn bootstrap_bucket(server: &Server) -> String {
    server.exports["aws_user_files_s3_bucket"].as_str().unwrap().to_owned()
}

fn unique_bucket(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// A multipart upload of `parts`, in order, completed; its answer.
pub(crate) async fn upload_in_parts(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    parts: &[Vec<u8>],
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    let created = client.create_multipart_upload().bucket(bucket).key(key).send().await.unwrap();
    let upload_id = created.upload_id().unwrap();
    let mut completed = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let number = index as i32 + 1;
        let uploaded =
            client.upload_part().bucket(bucket).key(key).upload_id(upload_id).part_number(number).body(ByteStream::from(part.clone())).send().await.unwrap();
        completed.push(CompletedPart::builder().part_number(number).e_tag(uploaded.e_tag().unwrap()).build());
    }
    client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .unwrap()
}

/// Deterministic bytes that do not compress or repeat (xorshift64*).
pub(crate) fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// MD5 (RFC 1321), the oracle for S3's ETags; checked against the RFC's test suite below.
fn md5(data: &[u8]) -> [u8; 16] {
    const SHIFT: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    let k: Vec<u32> = (0..64).map(|i| ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32).collect();
    let mut state: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let mut tail = data[data.len() - data.len() % 64..].to_vec();
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_le_bytes());
    for block in data[..data.len() - data.len() % 64].chunks_exact(64).chain(tail.chunks_exact(64)) {
        let m: Vec<u32> = block.chunks_exact(4).map(|w| u32::from_le_bytes(w.try_into().unwrap())).collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(SHIFT[(i / 16) * 4 + i % 4]));
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
    let mut out = [0u8; 16];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// S3's ETag of a single-part object: the quoted hex MD5.
fn etag(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(md5(data)))
}

/// S3's ETag of a multipart object: `"<md5 of the concatenated binary part MD5s>-<N>"`.
fn multipart_etag(parts: &[Vec<u8>]) -> String {
    let joined: Vec<u8> = parts.iter().flat_map(|p| md5(p)).collect();
    format!("\"{}-{}\"", hex::encode(md5(&joined)), parts.len())
}

async fn read_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let got = s3.get_object().bucket(bucket).key(key).send().await.unwrap();
    got.body.collect().await.unwrap().into_bytes().to_vec()
}

/// One GET with a hand-written HTTP/1.1 request, the way curl fetches a presigned URL.
/// Returns the status and the body.
fn plain_http_get(url: &str, headers: &[(String, String)]) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let target = if target.is_empty() { "/" } else { target };
    let mut stream = TcpStream::connect(authority).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("host") {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();

    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    let mut body = response[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines.next().unwrap().split_whitespace().nth(1).unwrap().parse().unwrap();
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .find_map(|l| l.split_once(':').filter(|(n, _)| n.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_owned()))
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut decoded = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size_text = std::str::from_utf8(&rest[..line_end]).unwrap();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
            rest = &rest[line_end + 2..];
            if size == 0 {
                break;
            }
            decoded.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        body = decoded;
    } else if let Some(length) = header("content-length") {
        assert_eq!(body.len(), length.parse::<usize>().unwrap(), "body length matches Content-Length");
    }
    (status, body)
}

#[test]
fn md5_matches_the_rfc_1321_test_suite() {
    let cases = [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "57edf4a22be3c955ac49da2e2107b67a",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(hex::encode(md5(input.as_bytes())), expected, "md5({input:?})");
    }
}

#[tokio::test]
async fn buckets_and_objects_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let s3 = s3(&server);

        // The bootstrap bucket exists; a new one appears beside it.
        let listed = s3.list_buckets().send().await.unwrap();
        let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
        assert!(names.contains(&bootstrap_bucket(&server).as_str()), "{names:?}");
        let bucket = unique_bucket("rust");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        s3.head_bucket().bucket(&bucket).send().await.unwrap();
        let listed = s3.list_buckets().send().await.unwrap();
        assert!(listed.buckets().iter().any(|b| b.name() == Some(bucket.as_str())));
        let invalid = s3.create_bucket().bucket("Invalid_Bucket_Name").send().await.unwrap_err();
        assert_eq!(invalid.code(), Some("InvalidBucketName"));

        // Put, head, get.
        let body = pseudo_random(100_000, 1);
        let put = s3
            .put_object()
            .bucket(&bucket)
            .key("docs/report.bin")
            .content_type("application/x-report")
            .metadata("author", "alice")
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(put.e_tag(), Some(etag(&body).as_str()));
        let head = s3.head_object().bucket(&bucket).key("docs/report.bin").send().await.unwrap();
        assert_eq!(head.content_length(), Some(body.len() as i64));
        assert_eq!(head.e_tag(), Some(etag(&body).as_str()));
        assert_eq!(head.content_type(), Some("application/x-report"));
        assert_eq!(head.metadata().and_then(|m| m.get("author")).map(String::as_str), Some("alice"));
        assert_eq!(read_object(&s3, &bucket, "docs/report.bin").await, body);

        // Ranged get.
        let ranged = s3.get_object().bucket(&bucket).key("docs/report.bin").range("bytes=1000-1999").send().await.unwrap();
        assert_eq!(ranged.content_range(), Some("bytes 1000-1999/100000"));
        assert_eq!(ranged.content_length(), Some(1000));
        assert_eq!(ranged.body.collect().await.unwrap().into_bytes().as_ref(), &body[1000..2000]);
        let suffix = s3.get_object().bucket(&bucket).key("docs/report.bin").range("bytes=-10").send().await.unwrap();
        assert_eq!(suffix.body.collect().await.unwrap().into_bytes().as_ref(), &body[body.len() - 10..]);

        // Listing with a prefix and a delimiter.
        for key in ["docs/a.txt", "docs/sub/b.txt", "other/c.txt", "top.txt"] {
            s3.put_object().bucket(&bucket).key(key).body(ByteStream::from(key.as_bytes().to_vec())).send().await.unwrap();
        }
        let listing = s3.list_objects_v2().bucket(&bucket).prefix("docs/").delimiter("/").send().await.unwrap();
        let keys: Vec<&str> = listing.contents().iter().filter_map(|o| o.key()).collect();
        let prefixes: Vec<&str> = listing.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
        assert_eq!(keys, ["docs/a.txt", "docs/report.bin"]);
        assert_eq!(prefixes, ["docs/sub/"]);
        let all = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
        let keys: Vec<&str> = all.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys, ["docs/a.txt", "docs/report.bin", "docs/sub/b.txt", "other/c.txt", "top.txt"]);
        let report = all.contents().iter().find(|o| o.key() == Some("docs/report.bin")).unwrap();
        assert_eq!(report.size(), Some(body.len() as i64));
        assert_eq!(report.e_tag(), Some(etag(&body).as_str()));

        // Pagination.
        let first = s3.list_objects_v2().bucket(&bucket).max_keys(2).send().await.unwrap();
        assert_eq!(first.is_truncated(), Some(true));
        assert_eq!(first.contents().len(), 2);
        let second = s3
            .list_objects_v2()
            .bucket(&bucket)
            .max_keys(10)
            .continuation_token(first.next_continuation_token().unwrap())
            .send()
            .await
            .unwrap();
        let keys: Vec<&str> = second.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys, ["docs/sub/b.txt", "other/c.txt", "top.txt"]);
        assert_eq!(second.is_truncated(), Some(false));

        // Copy within the bucket keeps bytes, type and metadata.
        s3.copy_object()
            .bucket(&bucket)
            .key("copies/report.bin")
            .copy_source(format!("{bucket}/docs/report.bin"))
            .send()
            .await
            .unwrap();
        let copy = s3.head_object().bucket(&bucket).key("copies/report.bin").send().await.unwrap();
        assert_eq!(copy.e_tag(), Some(etag(&body).as_str()));
        assert_eq!(copy.content_type(), Some("application/x-report"));
        assert_eq!(copy.metadata().and_then(|m| m.get("author")).map(String::as_str), Some("alice"));
        assert_eq!(read_object(&s3, &bucket, "copies/report.bin").await, body);

        // A bucket with objects cannot be deleted.
        let not_empty = s3.delete_bucket().bucket(&bucket).send().await.unwrap_err();
        assert_eq!(not_empty.code(), Some("BucketNotEmpty"));

        // Delete one, delete it again (idempotent), then the rest in one DeleteObjects.
        s3.delete_object().bucket(&bucket).key("top.txt").send().await.unwrap();
        s3.delete_object().bucket(&bucket).key("top.txt").send().await.unwrap();
        let missing = s3.get_object().bucket(&bucket).key("top.txt").send().await.unwrap_err();
        assert_eq!(missing.code(), Some("NoSuchKey"));
        assert!(missing.into_service_error().is_no_such_key());
        let gone = s3.head_object().bucket(&bucket).key("top.txt").send().await.unwrap_err();
        assert!(gone.into_service_error().is_not_found());

        let left = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
        let mut delete = Delete::builder();
        for object in left.contents() {
            delete = delete.objects(ObjectIdentifier::builder().key(object.key().unwrap()).build().unwrap());
        }
        let deleted = s3.delete_objects().bucket(&bucket).delete(delete.build().unwrap()).send().await.unwrap();
        assert_eq!(deleted.deleted().len(), left.contents().len());
        assert!(deleted.errors().is_empty(), "{:?}", deleted.errors());
        assert_eq!(s3.list_objects_v2().bucket(&bucket).send().await.unwrap().key_count(), Some(0));

        s3.delete_bucket().bucket(&bucket).send().await.unwrap();
        let no_bucket = s3.head_bucket().bucket(&bucket).send().await.unwrap_err();
        assert!(no_bucket.into_service_error().is_not_found());
        let no_bucket = s3.get_object().bucket(&bucket).key("docs/report.bin").send().await.unwrap_err();
        assert_eq!(no_bucket.code(), Some("NoSuchBucket"));
        server.stop();
    }
}

#[tokio::test]
async fn multipart_upload_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let s3 = s3(&server);
        let bucket = bootstrap_bucket(&server);
        let key = "multipart/three parts.bin";
        let parts = vec![pseudo_random(5 * MIB, 11), pseudo_random(5 * MIB, 12), pseudo_random(1024, 13)];

        let created = s3
            .create_multipart_upload()
            .bucket(&bucket)
            .key(key)
            .content_type("application/x-parts")
            .send()
            .await
            .unwrap();
        let upload_id = created.upload_id().unwrap();
        let mut completed = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            let number = index as i32 + 1;
            let uploaded = s3
                .upload_part()
                .bucket(&bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(part.clone()))
                .send()
                .await
                .unwrap();
            assert_eq!(uploaded.e_tag(), Some(etag(part).as_str()));
            completed.push(CompletedPart::builder().part_number(number).e_tag(uploaded.e_tag().unwrap()).build());
        }
        let listed = s3.list_parts().bucket(&bucket).key(key).upload_id(upload_id).send().await.unwrap();
        let sizes: Vec<(Option<i32>, Option<i64>)> = listed.parts().iter().map(|p| (p.part_number(), p.size())).collect();
        assert_eq!(sizes, [(Some(1), Some(5 * MIB as i64)), (Some(2), Some(5 * MIB as i64)), (Some(3), Some(1024))]);
        // Not visible before Complete.
        let early = s3.head_object().bucket(&bucket).key(key).send().await.unwrap_err();
        assert!(early.into_service_error().is_not_found());

        let done = s3
            .complete_multipart_upload()
            .bucket(&bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
            .send()
            .await
            .unwrap();
        let expected = multipart_etag(&parts);
        assert_eq!(done.e_tag(), Some(expected.as_str()));
        let head = s3.head_object().bucket(&bucket).key(key).send().await.unwrap();
        assert_eq!(head.e_tag(), Some(expected.as_str()));
        assert_eq!(head.content_length(), Some((10 * MIB + 1024) as i64));
        assert_eq!(head.content_type(), Some("application/x-parts"));
        let whole = parts.concat();
        assert!(read_object(&s3, &bucket, key).await == whole, "the object is the parts, in order");
        let across = s3.get_object().bucket(&bucket).key(key).range(format!("bytes={}-{}", 5 * MIB - 3, 5 * MIB + 2)).send().await.unwrap();
        assert_eq!(across.body.collect().await.unwrap().into_bytes().as_ref(), &whole[5 * MIB - 3..5 * MIB + 3]);

        // An aborted upload is gone, and its object never appears.
        let aborted = s3.create_multipart_upload().bucket(&bucket).key("multipart/aborted").send().await.unwrap();
        let aborted_id = aborted.upload_id().unwrap();
        s3.upload_part()
            .bucket(&bucket)
            .key("multipart/aborted")
            .upload_id(aborted_id)
            .part_number(1)
            .body(ByteStream::from(parts[2].clone()))
            .send()
            .await
            .unwrap();
        s3.abort_multipart_upload().bucket(&bucket).key("multipart/aborted").upload_id(aborted_id).send().await.unwrap();
        let after = s3.list_parts().bucket(&bucket).key("multipart/aborted").upload_id(aborted_id).send().await.unwrap_err();
        assert_eq!(after.code(), Some("NoSuchUpload"));
        let never = s3.head_object().bucket(&bucket).key("multipart/aborted").send().await.unwrap_err();
        assert!(never.into_service_error().is_not_found());
        server.stop();
    }
}

#[tokio::test]
async fn upload_part_copy_builds_an_object_from_ranges_of_others() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let s3 = s3(&server);
    let bucket = bootstrap_bucket(&server);
    let source = pseudo_random(6 * MIB, 21);
    s3.put_object().bucket(&bucket).key("copy/source.bin").body(ByteStream::from(source.clone())).send().await.unwrap();
    let key = "copy/assembled.bin";
    let created = s3.create_multipart_upload().bucket(&bucket).key(key).send().await.unwrap();
    let upload_id = created.upload_id().unwrap();
    let copy = |number: i32, range: Option<&str>| {
        s3.upload_part_copy()
            .bucket(&bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .copy_source(format!("{bucket}/copy/source.bin"))
            .set_copy_source_range(range.map(str::to_owned))
            .send()
    };
    let whole = copy(1, None).await.unwrap();
    let tail = copy(2, Some("bytes=100-1099")).await.unwrap();
    assert_eq!(whole.copy_part_result().and_then(|r| r.e_tag()), Some(etag(&source).as_str()));
    assert_eq!(tail.copy_part_result().and_then(|r| r.e_tag()), Some(etag(&source[100..1100]).as_str()));
    for bad in ["bytes=5-4", "bytes=0-6291456", "bytes=abc", "100-200"] {
        let refused = copy(3, Some(bad)).await.unwrap_err();
        assert_eq!(refused.code(), Some("InvalidArgument"), "{bad}");
    }
    let parts = vec![
        CompletedPart::builder().part_number(1).e_tag(whole.copy_part_result().unwrap().e_tag().unwrap()).build(),
        CompletedPart::builder().part_number(2).e_tag(tail.copy_part_result().unwrap().e_tag().unwrap()).build(),
    ];
    s3.complete_multipart_upload()
        .bucket(&bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
    let expected = [source.as_slice(), &source[100..1100]].concat();
    assert!(read_object(&s3, &bucket, key).await == expected, "the object is the copied ranges, in order");
    let missing = s3
        .upload_part_copy()
        .bucket(&bucket)
        .key("copy/other")
        .upload_id("nope")
        .part_number(1)
        .copy_source(format!("{bucket}/copy/absent.bin"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("NoSuchKey"));
    server.stop();
}

#[tokio::test]
async fn object_bytes_can_live_in_another_s3_compatible_store() {
    // The backing store is another s3cognito: any S3-compatible server does, and this one is here.
    let backing_data = tempfile::tempdir().unwrap();
    let backing = Server::start(backing_data.path(), None);
    let backing_s3 = s3(&backing);
    let backing_bucket = unique_bucket("backing");
    backing_s3.create_bucket().bucket(&backing_bucket).send().await.unwrap();
    let keys = backing.root_credentials();

    let data = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_s3cognito"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .args(["--blob-store", &format!("s3://{backing_bucket}/replica-blobs")])
        .env("AWS_ENDPOINT", &backing.endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", keys.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", keys.secret_access_key());
    let server = Server::spawn(command, data.path(), None);
    let client = s3(&server);
    let bucket = bootstrap_bucket(&server);

    let small = pseudo_random(4096, 31);
    client.put_object().bucket(&bucket).key("small").body(ByteStream::from(small.clone())).send().await.unwrap();
    assert!(read_object(&client, &bucket, "small").await == small);
    // Larger than one 8 MiB piece, so the backing store sees a real multipart upload.
    let large = pseudo_random(9 * MIB, 32);
    client.put_object().bucket(&bucket).key("large").body(ByteStream::from(large.clone())).send().await.unwrap();
    assert!(read_object(&client, &bucket, "large").await == large);
    let ranged = client.get_object().bucket(&bucket).key("large").range("bytes=8388600-8388615").send().await.unwrap();
    assert_eq!(ranged.body.collect().await.unwrap().into_bytes().as_ref(), &large[8_388_600..8_388_616]);

    // The bytes are in the backing bucket under generated ids, not under the user's keys.
    let listed = backing_s3.list_objects_v2().bucket(&backing_bucket).prefix("replica-blobs/").send().await.unwrap();
    let mut stored: Vec<&str> = listed.contents().iter().filter_map(|object| object.key()).collect();
    // Beside the blobs, the mark that tells readiness this store is the deployment's.
    let marked = stored.len();
    stored.retain(|key| *key != "replica-blobs/s3cognito-blob-store");
    assert_eq!(marked - stored.len(), 1, "the store is marked once");
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored.iter().all(|key| !key.ends_with("small") && !key.ends_with("large")), "{stored:?}");
    assert!(!data.path().join("blobs").exists() || std::fs::read_dir(data.path().join("blobs")).unwrap().next().is_none());
    server.stop();
    backing.stop();
}

#[tokio::test]
async fn presigned_get_with_a_plain_http_client() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let s3 = s3(&server);
    let bucket = bootstrap_bucket(&server);
    let body = pseudo_random(300_000, 21);
    s3.put_object().bucket(&bucket).key("shared/file +ü.bin").body(ByteStream::from(body.clone())).send().await.unwrap();

    let presigned = s3
        .get_object()
        .bucket(&bucket)
        .key("shared/file +ü.bin")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    assert_eq!(presigned.method(), "GET");
    assert!(presigned.uri().starts_with(&format!("{}/{bucket}/", server.endpoint)), "{}", presigned.uri());
    assert!(presigned.uri().contains("X-Amz-Signature="), "{}", presigned.uri());
    let headers: Vec<(String, String)> = presigned.headers().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    let (status, fetched) = plain_http_get(presigned.uri(), &headers);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&fetched));
    assert!(fetched == body, "presigned GET returns the exact bytes");

    // One changed character of the signature is refused.
    let uri = presigned.uri();
    let at = uri.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if &uri[at..at + 1] == "0" { "1" } else { "0" };
    let tampered = format!("{}{flipped}{}", &uri[..at], &uri[at + 1..]);
    let (status, error) = plain_http_get(&tampered, &headers);
    assert_eq!(status, 403);
    let error = String::from_utf8_lossy(&error);
    assert!(error.contains("<Code>SignatureDoesNotMatch</Code>"), "{error}");

    // Without any signature: AccessDenied.
    let (status, error) = plain_http_get(uri.split('?').next().unwrap(), &[]);
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&error).contains("<Code>AccessDenied</Code>"));
    server.stop();
}

#[tokio::test]
async fn objects_survive_a_restart_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let client = s3(&server);
        let bucket = unique_bucket("restart");
        client.create_bucket().bucket(&bucket).send().await.unwrap();
        let small = pseudo_random(4096, 31);
        client
            .put_object()
            .bucket(&bucket)
            .key("small.bin")
            .metadata("kept", "yes")
            .body(ByteStream::from(small.clone()))
            .send()
            .await
            .unwrap();
        client.put_object().bucket(&bucket).key("deleted").body(ByteStream::from_static(b"bye")).send().await.unwrap();
        client.delete_object().bucket(&bucket).key("deleted").send().await.unwrap();

        let parts = vec![pseudo_random(5 * MIB, 32), pseudo_random(777, 33)];
        upload_in_parts(&client, &bucket, "multi.bin", &parts).await;

        let server = server.restart();
        let client = s3(&server);
        let listed = client.list_buckets().send().await.unwrap();
        assert!(listed.buckets().iter().any(|b| b.name() == Some(bucket.as_str())));
        let objects = client.list_objects_v2().bucket(&bucket).send().await.unwrap();
        let keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
        assert_eq!(keys, ["multi.bin", "small.bin"]);
        assert!(read_object(&client, &bucket, "small.bin").await == small);
        let head = client.head_object().bucket(&bucket).key("small.bin").send().await.unwrap();
        assert_eq!(head.e_tag(), Some(etag(&small).as_str()));
        assert_eq!(head.metadata().and_then(|m| m.get("kept")).map(String::as_str), Some("yes"));
        assert!(read_object(&client, &bucket, "multi.bin").await == parts.concat());
        let head = client.head_object().bucket(&bucket).key("multi.bin").send().await.unwrap();
        assert_eq!(head.e_tag(), Some(multipart_etag(&parts).as_str()));
        let deleted = client.get_object().bucket(&bucket).key("deleted").send().await.unwrap_err();
        assert_eq!(deleted.code(), Some("NoSuchKey"));
        server.stop();
    }
}
