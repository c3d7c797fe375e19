//! The bucket's use cases over SQLite and a local blob store.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use s3cognito_service::objects::{AtRest, BodyError, ByteStream, Conditions, ObjectAttributes, ObjectError, Objects, Upload};

use crate::Harness;
use s3cognito_service::App;

fn body(data: &[u8]) -> ByteStream<BodyError> {
    let chunks: Vec<Result<Bytes, BodyError>> = data.chunks(64 * 1024).map(|chunk| Ok(Bytes::copy_from_slice(chunk))).collect();
    futures::stream::iter(chunks).boxed()
}

fn upload(body: ByteStream<BodyError>, declared_length: Option<u64>, content_md5: Option<&str>) -> Upload<BodyError> {
    Upload { body, declared_length, content_md5: content_md5.map(str::to_owned), checksum: Default::default(), condition: Default::default() }
}

/// A bucket name the tests know to be valid.
fn named(bucket: &str) -> s3cognito_types::BucketName {
    s3cognito_types::BucketName::parse(bucket).unwrap()
}

/// An object key the tests know to be valid.
fn key_of(key: &str) -> s3cognito_types::ObjectKey {
    s3cognito_types::ObjectKey::parse(key).unwrap()
}

async fn read_all(objects: &Objects, bucket: &str, key: &str, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    let info = objects.object(&named(bucket), &key_of(key), &Conditions::default()).await.unwrap();
    let range = range.unwrap_or(0..info.size);
    objects.read(&info, range).map_ok(|chunk| chunk.to_vec()).try_concat().await.unwrap()
}

async fn put(objects: &Objects, key: &str, data: &[u8]) {
    objects.put_object(&named("bucket"), &key_of(key), "root", ObjectAttributes::default(), upload(body(data), Some(data.len() as u64), None)).await.unwrap();
}

async fn objects() -> (Harness, Objects) {
    let harness = Harness::new().await;
    let objects = harness.app.objects.clone();
    objects.create_bucket(&named("bucket"), "root", None, None).await.unwrap();
    (harness, objects)
}

#[tokio::test]
async fn objects_round_trip_and_replace_whole() {
    let (_harness, objects) = objects().await;
    put(&objects, "a.txt", b"first version").await;
    put(&objects, "a.txt", b"second").await;
    assert_eq!(read_all(&objects, "bucket", "a.txt", None).await, b"second");
    assert_eq!(read_all(&objects, "bucket", "a.txt", Some(1..4)).await, b"eco");
    let info = objects.object(&named("bucket"), &key_of("a.txt"), &Conditions::default()).await.unwrap();
    assert_eq!(info.etag, format!("\"{:x}\"", md5_of(b"second")));
    objects.delete_object(&named("bucket"), &key_of("a.txt"), "root").await.unwrap();
    objects.delete_object(&named("bucket"), &key_of("a.txt"), "root").await.unwrap();
    assert!(matches!(objects.object(&named("bucket"), &key_of("a.txt"), &Conditions::default()).await, Err(ObjectError::NoSuchKey)));
    assert!(matches!(objects.object(&named("nobucket"), &key_of("a.txt"), &Conditions::default()).await, Err(ObjectError::NoSuchBucket)));
}

fn md5_of(data: &[u8]) -> md5_hex::Hex {
    md5_hex::Hex(data.to_vec())
}

mod md5_hex {
    pub struct Hex(pub Vec<u8>);
    impl std::fmt::LowerHex for Hex {
        fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            use md5::Digest as _;
            formatter.write_str(&hex::encode(md5::Md5::digest(&self.0)))
        }
    }
}

#[tokio::test]
async fn a_failed_or_short_body_stores_nothing() {
    let (_harness, objects) = objects().await;
    put(&objects, "kept", b"old bytes").await;
    let broken: ByteStream<BodyError> = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"new by")),
        Err(BodyError::DigestMismatch),
    ])
    .boxed();
    let outcome = objects.put_object(&named("bucket"), &key_of("kept"), "root", ObjectAttributes::default(), upload(broken, None, None)).await;
    assert!(matches!(outcome, Err(ObjectError::Body(BodyError::DigestMismatch))));
    let short = objects.put_object(&named("bucket"), &key_of("kept"), "root", ObjectAttributes::default(), upload(body(b"abc"), Some(10), None)).await;
    assert!(matches!(short, Err(ObjectError::IncompleteBody)));
    let wrong_md5 = objects
        .put_object(&named("bucket"), &key_of("kept"), "root", ObjectAttributes::default(), upload(body(b"abc"), Some(3), Some("1B2M2Y8AsgTpgAmY7PhCfg==")))
        .await;
    assert!(matches!(wrong_md5, Err(ObjectError::BadDigest)));
    assert_eq!(read_all(&objects, "bucket", "kept", None).await, b"old bytes");
}

#[tokio::test]
async fn listings_roll_up_common_prefixes_and_page() {
    let (_harness, objects) = objects().await;
    for key in ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d", "é/x"] {
        put(&objects, key, key.as_bytes()).await;
    }
    let names = |page: &s3cognito_service::objects::ListPage| {
        let mut names: Vec<String> = page.objects.iter().map(|object| object.key.clone()).collect();
        names.extend(page.common_prefixes.iter().cloned());
        names
    };
    let all = objects.list(&named("bucket"), "", Some("/"), None, 1000).await.unwrap();
    assert_eq!(all.objects.iter().map(|o| o.key.as_str()).collect::<Vec<_>>(), ["b", "d"]);
    assert_eq!(all.common_prefixes, ["a/", "c/", "é/"]);
    assert!(!all.truncated);
    // Two at a time, resuming after the last entry, common prefixes included.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = objects.list(&named("bucket"), "", Some("/"), after.as_deref(), 2).await.unwrap();
        seen.extend(names(&page));
        if !page.truncated {
            break;
        }
        after = page.last.clone();
    }
    seen.sort();
    assert_eq!(seen, ["a/", "b", "c/", "d", "é/"]);
    let under_a = objects.list(&named("bucket"), "a/", Some("/"), None, 1000).await.unwrap();
    assert_eq!(names(&under_a), ["a/1", "a/2", "a/b/"]);
    let flat = objects.list(&named("bucket"), "c", None, None, 1000).await.unwrap();
    assert_eq!(names(&flat), ["c/1", "c/2"]);
    // No keys asked for is an empty page, not a truncated one, as S3 answers max-keys=0.
    let empty = objects.list(&named("bucket"), "", None, None, 0).await.unwrap();
    assert!(empty.objects.is_empty() && !empty.truncated);
}

#[tokio::test]
async fn multipart_uploads_follow_s3s_rules() {
    let (_harness, objects) = objects().await;
    let five_mib = vec![7u8; 5 << 20];
    let started = objects.create_upload(&named("bucket"), &key_of("big"), "root", ObjectAttributes::default()).await.unwrap();
    let id = started.upload_id.clone();
    let first = objects.upload_part(&named("bucket"), &key_of("big"), &id, 1, upload(body(&five_mib), None, None)).await.unwrap();
    let second = objects.upload_part(&named("bucket"), &key_of("big"), &id, 2, upload(body(b"tail"), None, None)).await.unwrap();
    let small = objects.upload_part(&named("bucket"), &key_of("big"), &id, 3, upload(body(b"small"), None, None)).await.unwrap();
    assert!(matches!(
        objects.upload_part(&named("bucket"), &key_of("big"), &id, 0, upload(body(b"x"), None, None)).await,
        Err(ObjectError::InvalidArgument(_))
    ));
    let complete = |parts: Vec<(i32, String)>| {
        let objects = objects.clone();
        let id = id.clone();
        async move { objects.complete_upload(&named("bucket"), &key_of("big"), &id, &parts, None, &Default::default()).await }
    };
    assert!(matches!(complete(vec![(2, second.etag.clone()), (1, first.etag.clone())]).await, Err(ObjectError::InvalidPartOrder)));
    assert!(matches!(complete(vec![(1, "\"00\"".to_owned())]).await, Err(ObjectError::InvalidPart)));
    assert!(matches!(complete(vec![(2, second.etag.clone()), (3, small.etag.clone())]).await, Err(ObjectError::EntityTooSmall)));
    let info = complete(vec![(1, first.etag.clone()), (2, second.etag.clone())]).await.unwrap();
    assert!(info.etag.ends_with("-2\""), "{}", info.etag);
    assert_eq!(info.size, (5 << 20) + 4);
    let tail = read_all(&objects, "bucket", "big", Some((5 << 20) - 2..(5 << 20) + 4)).await;
    assert_eq!(tail, [7, 7, b't', b'a', b'i', b'l']);
    // The upload is gone, and so is the part it did not use; completing it again answers the same while the
    // object is the one it made, and NoSuchUpload once it is not.
    assert_eq!(complete(vec![(1, first.etag.clone())]).await.unwrap().etag, info.etag);
    put(&objects, "big", b"replaced").await;
    assert!(matches!(complete(vec![(1, first.etag)]).await, Err(ObjectError::NoSuchUpload)));
    let aborted = objects.create_upload(&named("bucket"), &key_of("other"), "root", ObjectAttributes::default()).await.unwrap();
    objects.abort_upload(&named("bucket"), &key_of("other"), &aborted.upload_id).await.unwrap();
    assert!(matches!(
        objects.upload_part(&named("bucket"), &key_of("other"), &aborted.upload_id, 1, upload(body(b"x"), None, None)).await,
        Err(ObjectError::NoSuchUpload)
    ));
}

#[tokio::test]
async fn replaced_bytes_are_reclaimed_after_the_grace_period() {
    let (harness, objects) = objects().await;
    put(&objects, "a", b"one").await;
    put(&objects, "a", b"two").await;
    objects.delete_object(&named("bucket"), &key_of("a"), "root").await.unwrap();
    assert_eq!(objects.reclaim_garbage().await.unwrap(), 0, "nothing before the grace period");
    harness.clock.advance(s3cognito_service::objects::GARBAGE_GRACE_SECONDS + 1);
    assert_eq!(objects.reclaim_garbage().await.unwrap(), 2);
    assert!(matches!(objects.delete_bucket(&named("bucket")).await, Ok(())));
}

#[tokio::test]
async fn preconditions_follow_s3s_precedence() {
    let (harness, objects) = objects().await;
    put(&objects, "a", b"data").await;
    let info = objects.object(&named("bucket"), &key_of("a"), &Conditions::default()).await.unwrap();
    let etag = info.etag.trim_matches('"').to_owned();
    let check = |conditions: Conditions| {
        let objects = objects.clone();
        async move { objects.object(&named("bucket"), &key_of("a"), &conditions).await }
    };
    assert!(check(Conditions { if_match: Some(vec![etag.clone()]), ..Default::default() }).await.is_ok());
    assert!(matches!(check(Conditions { if_match: Some(vec!["other".into()]), ..Default::default() }).await, Err(ObjectError::PreconditionFailed)));
    assert!(matches!(check(Conditions { if_none_match: Some(vec![etag.clone()]), ..Default::default() }).await, Err(ObjectError::NotModified { .. })));
    assert!(matches!(check(Conditions { if_none_match: Some(vec!["*".into()]), ..Default::default() }).await, Err(ObjectError::NotModified { .. })));
    let now = harness.clock.clone();
    use s3cognito_service::clock::Clock as _;
    assert!(matches!(check(Conditions { if_modified_since: Some(now.now()), ..Default::default() }).await, Err(ObjectError::NotModified { .. })));
    assert!(check(Conditions { if_modified_since: Some(now.now() - 1), ..Default::default() }).await.is_ok());
    assert!(matches!(check(Conditions { if_unmodified_since: Some(now.now() - 1), ..Default::default() }).await, Err(ObjectError::PreconditionFailed)));
    // If-Match that holds wins over a failing If-Unmodified-Since.
    assert!(check(Conditions { if_match: Some(vec![etag]), if_unmodified_since: Some(now.now() - 1), ..Default::default() }).await.is_ok());
    assert!(matches!(objects.delete_bucket(&named("bucket")).await, Err(ObjectError::BucketNotEmpty)));
}

#[tokio::test]
async fn blobs_a_crash_left_uncommitted_are_reclaimed_and_committed_ones_never() {
    let (harness, objects) = objects().await;
    put(&objects, "kept", b"committed").await;
    let failing: ByteStream<BodyError> =
        futures::stream::iter(vec![Ok(Bytes::from_static(b"half")), Err(BodyError::Incomplete("reset".to_owned()))]).boxed();
    assert!(objects.put_object(&named("bucket"), &key_of("failed"), "root", ObjectAttributes::default(), upload(failing, None, None)).await.is_err());
    let upload_id = objects.create_upload(&named("bucket"), &key_of("multi"), "root", ObjectAttributes::default()).await.unwrap().upload_id;
    let part = objects.upload_part(&named("bucket"), &key_of("multi"), &upload_id, 1, upload(body(b"part"), Some(4), None)).await.unwrap();
    let store = &harness.app.store;
    let kept = objects.object(&named("bucket"), &key_of("kept"), &Conditions::default()).await.unwrap();
    let pending = store.stale_pending_blobs(i64::MAX, 1000).await.unwrap();
    assert!(kept.segments.iter().all(|segment| !pending.contains(&segment.blob)), "a committed blob is pending no more");
    // Three ids taken from one reserved batch (the failed upload's is forgotten): the rest wait unused.
    assert_eq!(pending.len(), s3cognito_service::objects::RESERVE_BATCH - 3);

    // What a writer that died between its bytes and its commit leaves behind.
    let orphan = "0123456789abcdef0123456789abcdef";
    store.insert_pending_blobs(&[orphan.to_owned()], s3cognito_service::clock::Clock::now(&harness.clock)).await.unwrap();
    harness.clock.advance(s3cognito_service::objects::PENDING_GRACE_SECONDS - 1);
    assert_eq!(objects.reclaim_garbage().await.unwrap(), 0, "a live writer is never robbed");
    harness.clock.advance(2);
    // The orphan and the reserved ids never used; no committed blob.
    assert_eq!(objects.reclaim_garbage().await.unwrap(), 1 + pending.len());
    assert_eq!(store.stale_pending_blobs(i64::MAX, 10).await.unwrap(), Vec::<String>::new());
    assert_eq!(read_all(&objects, "bucket", "kept", None).await, b"committed");
    // A part is one upload's only part, and so its last: it may be small.
    objects.complete_upload(&named("bucket"), &key_of("multi"), &upload_id, &[(1, part.etag)], None, &Default::default()).await.unwrap();
    assert_eq!(read_all(&objects, "bucket", "multi", None).await, b"part", "the upload's part survived");
}

/// A writer so slow that the sweeper took its blob for a dead writer's is refused at its commit: the key
/// keeps what it held and no object names bytes that are gone.
#[tokio::test]
async fn an_upload_whose_blob_was_reclaimed_meanwhile_is_refused_and_the_old_object_kept() {
    let (harness, objects) = objects().await;
    put(&objects, "slow", b"before").await;
    let sweeper = objects.clone();
    let clock = harness.clock.clone();
    let late = futures::stream::once(async move {
        clock.advance(s3cognito_service::objects::PENDING_GRACE_SECONDS + 1);
        sweeper.reclaim_garbage().await.unwrap();
        Ok::<_, BodyError>(Bytes::from_static(b" and after"))
    });
    let slow: ByteStream<BodyError> = futures::stream::iter([Ok(Bytes::from_static(b"first half"))]).chain(late).boxed();
    let outcome = objects.put_object(&named("bucket"), &key_of("slow"), "root", ObjectAttributes::default(), upload(slow, None, None)).await;
    assert!(matches!(outcome, Err(ObjectError::Internal(_))), "{outcome:?}");
    assert_eq!(read_all(&objects, "bucket", "slow", None).await, b"before");
    let store = &harness.app.store;
    assert!(store.stale_pending_blobs(i64::MAX, 1000).await.unwrap().is_empty(), "nothing is left pending");
}

/// Blob ids are recorded as pending a batch per commit: concurrent uploads share one, and ids reserved
/// too long ago are not used (the sweeper would take them for a dead writer's).
#[tokio::test]
async fn pending_blob_ids_are_reserved_in_batches_and_never_used_stale() {
    use s3cognito_service::objects::{PENDING_GRACE_SECONDS, RESERVE_BATCH, RESERVED_MAX_AGE_SECONDS};
    let (harness, objects) = objects().await;
    let store = &harness.app.store;
    let count = RESERVE_BATCH + RESERVE_BATCH / 2;
    let puts = (0..count).map(|i| {
        let objects = objects.clone();
        async move { put(&objects, &format!("many/{i}"), format!("object {i}").as_bytes()).await }
    });
    futures::future::join_all(puts).await;
    assert_eq!(store.stale_pending_blobs(i64::MAX, 1000).await.unwrap().len(), 2 * RESERVE_BATCH - count, "two commits for all");

    // An hour later, the ids left are too old: a new batch is recorded.
    harness.clock.advance(RESERVED_MAX_AGE_SECONDS + 1);
    put(&objects, "later", b"later").await;
    let pending = store.stale_pending_blobs(i64::MAX, 1000).await.unwrap();
    assert_eq!(pending.len(), 2 * RESERVE_BATCH - count + RESERVE_BATCH - 1);
    let later = objects.object(&named("bucket"), &key_of("later"), &Conditions::default()).await.unwrap();
    assert!(later.segments.iter().all(|segment| !pending.contains(&segment.blob)));

    // Past the grace of the first batch, only unused ids go; every object reads back.
    harness.clock.advance(PENDING_GRACE_SECONDS - RESERVED_MAX_AGE_SECONDS);
    assert_eq!(objects.reclaim_garbage().await.unwrap(), 2 * RESERVE_BATCH - count);
    for i in 0..count {
        assert_eq!(read_all(&objects, "bucket", &format!("many/{i}"), None).await, format!("object {i}").as_bytes());
    }
    assert_eq!(read_all(&objects, "bucket", "later", None).await, b"later");
}

/// A body of any length, in chunks of any size, stored as parts of a fixed size from one stream.
fn in_chunks(data: &[u8], sizes: &[usize]) -> ByteStream<BodyError> {
    let mut chunks = Vec::new();
    let mut rest = data;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).min(rest.len()));
        chunks.push(Ok(Bytes::copy_from_slice(chunk)));
        rest = tail;
    }
    futures::stream::iter(chunks).boxed()
}

async fn put_in_parts(objects: &Objects, key: &str, data: &[u8], part_size: u64, content_md5: Option<&str>) -> Result<s3cognito_service::objects::ObjectInfo, ObjectError> {
    let upload = upload(in_chunks(data, &[3, 1, 7, 2]), Some(data.len() as u64), content_md5);
    objects.put_object_in_parts(&named("bucket"), &key_of(key), "root", ObjectAttributes::default(), upload, part_size).await
}

#[tokio::test]
async fn a_body_stored_in_parts_reads_back_whole_and_part_by_part_with_a_multipart_etag() {
    use md5::Digest as _;
    let (_harness, objects) = objects().await;
    let data = b"0123456789";
    let info = put_in_parts(&objects, "ten", data, 4, None).await.unwrap();
    assert_eq!(info.segments.iter().map(|segment| segment.size).collect::<Vec<_>>(), [4, 4, 2]);
    let mut md5s = Vec::new();
    for part in data.chunks(4) {
        md5s.extend_from_slice(&md5::Md5::digest(part));
    }
    assert_eq!(info.etag, format!("\"{:x}-3\"", md5_of(&md5s)), "the ETag a multipart upload of these parts gets");
    assert_eq!(read_all(&objects, "bucket", "ten", None).await, data);
    assert_eq!(read_all(&objects, "bucket", "ten", Some(3..9)).await, b"345678", "a range across parts");

    // A body that fills its parts exactly ends with no empty part; one that fits one part is a plain object.
    let eight = put_in_parts(&objects, "eight", b"abcdefgh", 4, None).await.unwrap();
    assert_eq!(eight.segments.len(), 2);
    let small = put_in_parts(&objects, "small", b"abc", 4, None).await.unwrap();
    assert_eq!(small.etag, format!("\"{:x}\"", md5_of(b"abc")));
    let empty = put_in_parts(&objects, "empty", b"", 4, None).await.unwrap();
    assert_eq!((empty.size, empty.segments.len(), empty.etag), (0, 1, format!("\"{:x}\"", md5_of(b""))));
    assert_eq!(read_all(&objects, "bucket", "empty", None).await, b"");
}

#[tokio::test]
async fn a_body_in_parts_is_checked_whole_against_its_content_md5_and_nothing_kept_when_refused() {
    use base64::Engine as _;
    use md5::Digest as _;
    let (harness, objects) = objects().await;
    put(&objects, "file", b"old").await;
    let data = b"0123456789";
    let right = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data));
    let store = &harness.app.store;
    let before = store.stale_pending_blobs(i64::MAX, 1000).await.unwrap();
    let wrong = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"other"));
    assert!(matches!(put_in_parts(&objects, "file", data, 4, Some(&wrong)).await, Err(ObjectError::BadDigest)));
    let after = store.stale_pending_blobs(i64::MAX, 1000).await.unwrap();
    assert!(after.iter().all(|blob| before.contains(blob)), "no blob of the refused body is left pending");
    assert_eq!(after.len(), before.len() - 3, "its three parts were thrown away");
    assert_eq!(read_all(&objects, "bucket", "file", None).await, b"old");

    // A body cut short is refused the same way.
    let short = upload(in_chunks(data, &[3]), Some(11), None);
    let outcome = objects.put_object_in_parts(&named("bucket"), &key_of("file"), "root", ObjectAttributes::default(), short, 4).await;
    assert!(matches!(outcome, Err(ObjectError::IncompleteBody)), "{outcome:?}");
    assert_eq!(store.stale_pending_blobs(i64::MAX, 1000).await.unwrap().len(), before.len() - 6);
    assert_eq!(read_all(&objects, "bucket", "file", None).await, b"old");

    put_in_parts(&objects, "file", data, 4, Some(&right)).await.unwrap();
    assert_eq!(read_all(&objects, "bucket", "file", None).await, data);
    // Bodies that fill their parts exactly, one and two of them, are checked whole too.
    for body in [&b"abcd"[..], b"abcdefgh"] {
        let right = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
        put_in_parts(&objects, "exact", body, 4, Some(&right)).await.unwrap();
        assert!(matches!(put_in_parts(&objects, "exact", body, 4, Some(&wrong)).await, Err(ObjectError::BadDigest)));
    }
}

/// A body that says it is longer than the object may be is refused before any of it is read.
#[tokio::test]
async fn a_body_declared_past_the_limit_is_refused_unread() {
    let (_harness, objects) = objects().await;
    let unread: ByteStream<BodyError> = futures::stream::iter([Err(BodyError::Incomplete("the body was read".to_owned()))]).boxed();
    let parts = s3cognito_service::objects::MAX_PART_NUMBER as u64;
    let outcome = objects
        .put_object_in_parts(&named("bucket"), &key_of("big"), "root", ObjectAttributes::default(), upload(unread, Some(4 * parts + 1), None), 4)
        .await;
    assert!(matches!(outcome, Err(ObjectError::EntityTooLarge)), "{outcome:?}");
}

/// An app whose blobs are in a directory the test can look into.
async fn objects_in(blobs: &std::path::Path) -> (App, Objects, tempfile::TempDir) {
    let database = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", database.path().join("meta.db").display());
    let clock = s3cognito_service::clock::ManualClock::starting_at(crate::START);
    let store = s3cognito_blob::BlobStore::local(blobs).unwrap();
    let app = crate::Harness::app_on(&url, &clock, std::sync::Arc::new(crate::Outbox::default()), crate::rate_limits(), store).await;
    let objects = app.objects.clone();
    objects.create_bucket(&named("bucket"), "root", None, None).await.unwrap();
    (app, objects, database)
}

/// Every file under `directory`, with its bytes.
fn files_under(directory: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

/// Whether any 16 aligned bytes of `plaintext` appear anywhere in `stored`.
fn holds_any_of(stored: &[u8], plaintext: &[u8]) -> bool {
    let blocks: std::collections::HashSet<&[u8]> = plaintext.chunks_exact(16).collect();
    stored.windows(16).any(|window| blocks.contains(window))
}

fn distinct_bytes(length: usize, seed: u32) -> Vec<u8> {
    let mut state = seed | 1;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn object_bytes_are_stored_encrypted_and_read_back_by_any_range() {
    let blobs = tempfile::tempdir().unwrap();
    let (_app, objects, _database) = objects_in(blobs.path()).await;
    let plaintext = distinct_bytes(300_000, 7);
    put(&objects, "secret.bin", &plaintext).await;
    let info = objects.object(&named("bucket"), &key_of("secret.bin"), &Conditions::default()).await.unwrap();
    assert!(info.at_rest() == AtRest::ServerManaged && info.segments[0].key.as_deref().is_some_and(|key| key.starts_with("m1:")));

    let stored = files_under(blobs.path());
    assert!(!stored.is_empty());
    for (path, bytes) in &stored {
        assert!(!holds_any_of(bytes, &plaintext), "{} holds plaintext", path.display());
    }
    assert_eq!(read_all(&objects, "bucket", "secret.bin", None).await, plaintext);
    for range in [0..1, 65_535..65_537, 100_000..250_000, 299_999..300_000, 131_072..196_608] {
        assert_eq!(read_all(&objects, "bucket", "secret.bin", Some(range.clone())).await, plaintext[range.start as usize..range.end as usize], "{range:?}");
    }
    put(&objects, "empty", b"").await;
    assert_eq!(read_all(&objects, "bucket", "empty", None).await, b"");
}

#[tokio::test]
async fn a_changed_stored_byte_is_an_error_never_other_bytes() {
    let blobs = tempfile::tempdir().unwrap();
    let (_app, objects, _database) = objects_in(blobs.path()).await;
    let plaintext = distinct_bytes(200_000, 9);
    put(&objects, "kept.bin", &plaintext).await;
    let info = objects.object(&named("bucket"), &key_of("kept.bin"), &Conditions::default()).await.unwrap();
    let blob = files_under(blobs.path()).into_iter().find(|(path, _)| path.to_string_lossy().contains(&info.segments[0].blob)).expect("the object's blob");
    let mut changed = blob.1.clone();
    changed[70_000] ^= 0x20;
    std::fs::write(&blob.0, &changed).unwrap();
    let whole: Result<Vec<Bytes>, ObjectError> = objects.read(&info, 0..info.size).try_collect().await;
    assert!(matches!(whole, Err(ObjectError::Internal(_))), "the whole object");
    let first_chunk: Vec<Bytes> = objects.read(&info, 0..1000).try_collect().await.unwrap();
    assert_eq!(first_chunk.concat(), plaintext[..1000], "chunks the change is not in still read");
    let around: Result<Vec<Bytes>, ObjectError> = objects.read(&info, 69_000..71_000).try_collect().await;
    assert!(around.is_err(), "a range over the changed chunk");

    std::fs::write(&blob.0, &blob.1[..blob.1.len() - 1]).unwrap();
    let cut: Result<Vec<Bytes>, ObjectError> = objects.read(&info, 190_000..info.size).try_collect().await;
    assert!(cut.is_err(), "a cut blob");
}

/// Objects an earlier release stored in plaintext (no data key in their row) read as they are.
#[tokio::test]
async fn objects_stored_in_plaintext_before_stay_readable() {
    let blobs = tempfile::tempdir().unwrap();
    let (app, objects, _database) = objects_in(blobs.path()).await;
    let store = s3cognito_blob::BlobStore::local(blobs.path()).unwrap();
    let blob = "0123456789abcdef0123456789abcdef";
    let mut writer = store.writer(blob).await.unwrap();
    writer.write(Bytes::from_static(b"written before encryption"));
    writer.finish().await.unwrap();
    app.store.insert_pending_blobs(&[blob.to_owned()], crate::START).await.unwrap();
    let record = s3cognito_meta::ObjectRecord {
        bucket: "bucket".to_owned(),
        key: "old.txt".to_owned(),
        size: 25,
        etag: "\"old\"".to_owned(),
        content_type: None,
        headers: "{}".to_owned(),
        user_metadata: "{}".to_owned(),
        checksum: None,
        segments: format!(r#"[{{"blob":"{blob}","size":25}}]"#),
        owner: "root".to_owned(),
        modified_at: crate::START,
        tags: None,
        version_id: None,
    };
    app.store.put_object(&record, &[blob.to_owned()], |_| Vec::new()).await.unwrap();
    let info = objects.object(&named("bucket"), &key_of("old.txt"), &Conditions::default()).await.unwrap();
    assert_eq!(info.at_rest(), AtRest::Plaintext);
    assert_eq!(read_all(&objects, "bucket", "old.txt", None).await, b"written before encryption");
    assert_eq!(read_all(&objects, "bucket", "old.txt", Some(8..14)).await, b"before");
}

#[tokio::test]
async fn lifecycle_rules_expire_objects_and_abort_uploads_once_across_replicas() {
    use s3cognito_service::objects::lifecycle::{Expiration, LifecycleRule, RuleFilter};
    use s3cognito_service::objects::{Tagged, Tags};
    let (harness, objects) = objects().await;
    let rule = |id: &str, filter: RuleFilter, expiration: Option<Expiration>, abort: Option<i32>| LifecycleRule {
        id: Some(id.to_owned()),
        enabled: true,
        filter,
        expiration,
        abort_incomplete_after_days: abort,
        ..LifecycleRule::default()
    };
    let logs = RuleFilter { prefix: "logs/".to_owned(), ..RuleFilter::default() };
    let temporary = RuleFilter { tags: vec![("temporary".to_owned(), "yes".to_owned())], ..RuleFilter::default() };
    let mut disabled = rule("off", RuleFilter::default(), Some(Expiration::Days(1)), None);
    disabled.enabled = false;
    let rules = vec![
        rule("logs", logs, Some(Expiration::Days(2)), None),
        rule("temporary", temporary, Some(Expiration::Days(1)), None),
        rule("uploads", RuleFilter::default(), None, Some(3)),
        disabled,
    ];
    objects.put_lifecycle(&named("bucket"), &rules).await.unwrap();
    assert_eq!(objects.lifecycle(&named("bucket")).await.unwrap(), rules);

    put(&objects, "logs/old.log", b"old").await;
    put(&objects, "data/kept.bin", b"kept").await;
    put(&objects, "data/scratch.bin", b"scratch").await;
    let tags = Tags::new(vec![("temporary".to_owned(), "yes".to_owned())], Tagged::Object).unwrap();
    objects.put_object_tags(&named("bucket"), &key_of("data/scratch.bin"), tags.pairs().to_vec()).await.unwrap();
    let upload = objects.create_upload(&named("bucket"), &key_of("big.bin"), "root", ObjectAttributes::default()).await.unwrap();

    // Nothing is due yet; one replica at a time applies the rules.
    assert_eq!(objects.run_lifecycle("replica-a").await.unwrap().map(|run| (run.expired, run.aborted)), Some((0, 0)));
    assert!(objects.run_lifecycle("replica-b").await.unwrap().is_none(), "the lease is held");

    // Nearly two days later (past the first midnight after a day), the tagged object has expired; the logs not yet.
    harness.clock.advance(2 * 86_400 - 1);
    let run = objects.apply_lifecycle().await.unwrap();
    assert_eq!((run.expired, run.aborted), (1, 0));
    assert!(matches!(objects.object(&named("bucket"), &key_of("data/scratch.bin"), &Conditions::default()).await, Err(ObjectError::NoSuchKey)));
    assert_eq!(read_all(&objects, "bucket", "logs/old.log", None).await, b"old");
    // A newer object written under an expired key is judged by its own age.
    put(&objects, "logs/new.log", b"new").await;
    harness.clock.advance(86_400 + 1);
    let run = objects.apply_lifecycle().await.unwrap();
    assert_eq!((run.expired, run.aborted), (1, 0));
    assert!(matches!(objects.object(&named("bucket"), &key_of("logs/old.log"), &Conditions::default()).await, Err(ObjectError::NoSuchKey)));
    assert_eq!(read_all(&objects, "bucket", "logs/new.log", None).await, b"new");
    assert_eq!(read_all(&objects, "bucket", "data/kept.bin", None).await, b"kept", "the disabled rule did nothing");

    // The unfinished upload goes after three days; the lease has passed to whoever asks after an hour.
    harness.clock.advance(86_400);
    assert_eq!(objects.run_lifecycle("replica-b").await.unwrap().map(|run| run.aborted), Some(1));
    assert!(matches!(objects.upload(&named("bucket"), &key_of("big.bin"), &upload.upload_id).await, Err(ObjectError::NoSuchUpload)));

    objects.delete_lifecycle(&named("bucket")).await.unwrap();
    assert!(matches!(objects.lifecycle(&named("bucket")).await, Err(ObjectError::NoSuchLifecycleConfiguration)));
    let refused = objects.put_lifecycle(&named("bucket"), &[rule("none", RuleFilter::default(), None, None)]).await;
    assert!(matches!(refused, Err(ObjectError::InvalidArgument(_))));
}

#[tokio::test]
async fn lifecycle_rules_expire_noncurrent_versions_and_lone_delete_markers() {
    use s3cognito_service::objects::Versioning;
    use s3cognito_service::objects::lifecycle::{Expiration, LifecycleRule, RuleFilter};
    let (harness, objects) = objects().await;
    objects.put_bucket_versioning(&named("bucket"), Versioning::Enabled).await.unwrap();
    let rules = vec![LifecycleRule {
        id: Some("versions".to_owned()),
        enabled: true,
        filter: RuleFilter::default(),
        expiration: Some(Expiration::Days(3)),
        noncurrent_days: Some(1),
        expired_object_delete_marker: true,
        ..LifecycleRule::default()
    }];
    objects.put_lifecycle(&named("bucket"), &rules).await.unwrap();
    put(&objects, "doc", b"old").await;
    put(&objects, "doc", b"new").await;
    put(&objects, "gone", b"only").await;
    objects.delete_object(&named("bucket"), &key_of("gone"), "root").await.unwrap();
    let versions = |prefix: &'static str| {
        let objects = objects.clone();
        async move { objects.list_versions(&named("bucket"), prefix, None, None, None, 100).await.unwrap().versions }
    };
    assert_eq!(versions("doc").await.len(), 2);

    // Past the first midnight a day after they stopped being current, the noncurrent versions go.
    harness.clock.advance(2 * 86_400);
    // gone's marker, then all its key has left, goes too.
    let run = objects.apply_lifecycle().await.unwrap();
    assert_eq!(run.expired, 3, "the old version of doc, the object behind gone's marker, and the marker");
    assert_eq!(versions("doc").await.iter().map(|v| v.is_latest).collect::<Vec<_>>(), [true]);
    assert_eq!(read_all(&objects, "bucket", "doc", None).await, b"new");
    assert!(versions("gone").await.is_empty());

    // Expiring the current version of a versioning bucket leaves a delete marker in front of it.
    harness.clock.advance(2 * 86_400);
    objects.apply_lifecycle().await.unwrap();
    assert!(matches!(objects.object(&named("bucket"), &key_of("doc"), &Conditions::default()).await, Err(ObjectError::DeleteMarker { named: false, .. })));
    let left = versions("doc").await;
    assert_eq!(left.iter().map(|v| v.delete_marker).collect::<Vec<_>>(), [true, false]);
}
