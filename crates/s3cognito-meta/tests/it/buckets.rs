//! A bucket's settings, its deletion with unfinished uploads, completions remembered, and leases.

use s3cognito_meta::*;

use crate::{object, stores};

fn bucket(name: &str) -> BucketRecord {
    BucketRecord { name: name.to_owned(), owner: "root".to_owned(), cors: None, encryption: None, location: Some("eu-west-1".to_owned()), created_at: 1, versioning: None }
}

fn upload(id: &str, bucket: &str) -> UploadRecord {
    UploadRecord {
        upload_id: id.to_owned(),
        bucket: bucket.to_owned(),
        key: "big".to_owned(),
        content_type: None,
        headers: "{}".to_owned(),
        user_metadata: "{}".to_owned(),
        checksum_algorithm: None,
        owner: "root".to_owned(),
        initiated_at: 1,
        encryption: None,
        tags: Some(r#"[["k","v"]]"#.to_owned()),
    }
}

fn part(upload_id: &str, blob: &str) -> PartRecord {
    PartRecord { upload_id: upload_id.to_owned(), part_number: 1, blob_id: blob.to_owned(), blob_key: None, size: 1, etag: "\"p\"".to_owned(), checksum: None, uploaded_at: 1 }
}

#[tokio::test]
async fn a_bucket_with_only_unfinished_uploads_is_deleted_with_them_and_its_settings() {
    for (engine, store, _dir) in stores().await {
        store.insert_bucket(&bucket("crashed")).await.unwrap();
        assert_eq!(store.bucket("crashed").await.unwrap().and_then(|found| found.location).as_deref(), Some("eu-west-1"), "{engine}");
        store.insert_upload(&upload("u1", "crashed")).await.unwrap();
        assert_eq!(store.upload("u1").await.unwrap().and_then(|found| found.tags).as_deref(), Some(r#"[["k","v"]]"#), "{engine}");
        store.insert_pending_blobs(&["part-blob".to_owned()], 1).await.unwrap();
        store.put_part(&part("u1", "part-blob")).await.unwrap();
        assert!(store.set_bucket_setting("crashed", "policy", Some("{}")).await.unwrap(), "{engine}");
        assert!(!store.set_bucket_setting("missing", "policy", Some("{}")).await.unwrap(), "{engine}");
        assert_eq!(store.bucket_setting("crashed", "policy").await.unwrap().as_deref(), Some("{}"), "{engine}");
        assert!(store.set_bucket_setting("crashed", "policy", Some("{\"v\":2}")).await.unwrap(), "{engine}: replaced");
        assert_eq!(store.settings_of_kind("policy").await.unwrap(), [("crashed".to_owned(), "{\"v\":2}".to_owned())], "{engine}");

        // An object keeps the bucket; without it the upload, its part and the settings go with the bucket.
        store.insert_pending_blobs(&["object-blob".to_owned()], 1).await.unwrap();
        store.put_object(&object("crashed", "kept", 1, "object-blob"), &["object-blob".to_owned()], |_| Vec::new()).await.unwrap();
        assert_eq!(store.delete_bucket_if_empty("crashed", 5).await.unwrap(), BucketDeletion::NotEmpty, "{engine}");
        assert!(store.upload("u1").await.unwrap().is_some(), "{engine}: nothing of a refused deletion happened");
        store.delete_object("crashed", "kept", "unused-marker", "root", |_| vec!["object-blob".to_owned()], 5).await.unwrap();
        assert_eq!(store.delete_bucket_if_empty("crashed", 5).await.unwrap(), BucketDeletion::Deleted, "{engine}");
        assert_eq!(store.upload("u1").await.unwrap(), None, "{engine}");
        assert!(store.garbage(i64::MAX, 10).await.unwrap().contains(&"part-blob".to_owned()), "{engine}: the part's bytes are reclaimed");
        assert_eq!(store.delete_bucket_if_empty("crashed", 5).await.unwrap(), BucketDeletion::NotFound, "{engine}");
        store.insert_bucket(&bucket("crashed")).await.unwrap();
        assert_eq!(store.bucket_setting("crashed", "policy").await.unwrap(), None, "{engine}: a new bucket starts afresh");
    }
}

#[tokio::test]
async fn completions_are_remembered_and_object_tags_change_alone() {
    for (engine, store, _dir) in stores().await {
        store.insert_bucket(&bucket("b")).await.unwrap();
        store.insert_upload(&upload("u1", "b")).await.unwrap();
        store.insert_pending_blobs(&["p1".to_owned()], 1).await.unwrap();
        store.put_part(&part("u1", "p1")).await.unwrap();
        let made = ObjectRecord { key: "big".to_owned(), etag: "\"m-1\"".to_owned(), modified_at: 10, ..object("b", "big", 1, "p1") };
        assert!(store.complete_upload("u1", &made, &["p1".to_owned()], |_| Vec::new()).await.unwrap(), "{engine}");
        let completed = store.completed_upload("u1").await.unwrap().unwrap();
        assert_eq!((completed.bucket.as_str(), completed.key.as_str(), completed.etag.as_str()), ("b", "big", "\"m-1\""), "{engine}");
        assert!(!store.complete_upload("u1", &made, &["p1".to_owned()], |_| Vec::new()).await.unwrap(), "{engine}: once");
        assert_eq!(store.forget_completed_uploads(10).await.unwrap(), 0, "{engine}");
        assert_eq!(store.forget_completed_uploads(11).await.unwrap(), 1, "{engine}");
        assert_eq!(store.completed_upload("u1").await.unwrap(), None, "{engine}");

        assert!(store.set_object_tags("b", "big", Some(r#"[["a","1"]]"#)).await.unwrap(), "{engine}");
        assert!(!store.set_object_tags("b", "missing", None).await.unwrap(), "{engine}");
        let tagged = store.object("b", "big").await.unwrap().unwrap();
        assert_eq!(tagged.tags.as_deref(), Some(r#"[["a","1"]]"#), "{engine}");
        assert_eq!(ObjectRecord { tags: None, ..tagged }, made, "{engine}: nothing else changed");
        // A rule's deletion takes only the object it judged.
        assert!(!store.delete_object_if("b", "big", "\"other\"", 10, "unused-marker", |_| Vec::new(), 20).await.unwrap(), "{engine}");
        assert!(store.delete_object_if("b", "big", "\"m-1\"", 10, "unused-marker", |_| Vec::new(), 20).await.unwrap(), "{engine}");
    }
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_ends() {
    for (engine, store, _dir) in stores().await {
        assert!(store.take_lease("work", "a", 100, 200).await.unwrap(), "{engine}");
        assert!(!store.take_lease("work", "b", 150, 250).await.unwrap(), "{engine}: held");
        assert!(store.take_lease("other", "b", 150, 250).await.unwrap(), "{engine}: leases are by name");
        assert!(store.take_lease("work", "b", 200, 300).await.unwrap(), "{engine}: ended");
        assert!(!store.take_lease("work", "a", 299, 400).await.unwrap(), "{engine}");
    }
}

fn blobs(record: &ObjectRecord) -> Vec<String> {
    record.segments.trim_matches(['[', ']']).split(',').filter(|blob| !blob.is_empty()).map(|blob| blob.trim_matches('"').to_owned()).collect()
}

fn version(key: &str, version_id: Option<&str>, blob: &str, at: i64) -> ObjectRecord {
    ObjectRecord { version_id: version_id.map(str::to_owned), modified_at: at, ..object("v", key, 1, blob) }
}

#[tokio::test]
async fn versions_keep_their_bytes_until_deleted_for_good() {
    for (engine, store, _dir) in stores().await {
        store.insert_bucket(&bucket("v")).await.unwrap();
        let all_blobs: Vec<String> = ["b0", "b1", "b2", "b3", "b4"].map(str::to_owned).to_vec();
        store.insert_pending_blobs(&all_blobs, 1).await.unwrap();
        // Written before versioning: the null version.
        store.put_object(&version("k", None, "b0", 1), &all_blobs[..1], blobs).await.unwrap();
        assert!(store.set_bucket_versioning("v", "Enabled").await.unwrap(), "{engine}");
        store.put_object(&version("k", Some("v1"), "b1", 2), &all_blobs[1..2], blobs).await.unwrap();
        store.put_object(&version("k", Some("v2"), "b2", 3), &all_blobs[2..3], blobs).await.unwrap();
        assert!(store.garbage(i64::MAX, 10).await.unwrap().is_empty(), "{engine}: every version keeps its bytes");

        let deletion = store.delete_object("v", "k", "m1", "root", blobs, 4).await.unwrap();
        assert_eq!(deletion.marker, Some(Some("m1".to_owned())), "{engine}");
        assert_eq!(store.object("v", "k").await.unwrap(), None, "{engine}");
        assert!(store.current_delete_marker("v", "k").await.unwrap().is_some(), "{engine}");
        let listed = store.list_versions("v", "", "", i64::MIN, "", 100).await.unwrap();
        let seen: Vec<(Option<&str>, bool, bool)> =
            listed.iter().map(|entry| (entry.object.version_id.as_deref(), entry.is_latest, entry.delete_marker)).collect();
        assert_eq!(seen, [(Some("m1"), true, true), (Some("v2"), false, false), (Some("v1"), false, false), (None, false, false)], "{engine}");
        // Resuming after the second entry lists the rest.
        let rest = store.list_versions("v", "", "k", listed[1].position, "", 100).await.unwrap();
        assert_eq!(rest.len(), 2, "{engine}");

        // Deleting the marker brings v2 back; deleting v2 for good makes v1 current and frees v2's bytes.
        assert!(store.delete_version("v", "k", Some("m1"), blobs, 5).await.unwrap().unwrap().delete_marker, "{engine}");
        assert_eq!(store.object("v", "k").await.unwrap().unwrap().version_id.as_deref(), Some("v2"), "{engine}");
        store.delete_version("v", "k", Some("v2"), blobs, 6).await.unwrap();
        assert_eq!(store.object("v", "k").await.unwrap().unwrap().version_id.as_deref(), Some("v1"), "{engine}");
        assert_eq!(store.garbage(i64::MAX, 10).await.unwrap(), ["b2"], "{engine}");
        assert_eq!(store.version("v", "k", None).await.unwrap().unwrap().object.segments, "[\"b0\"]", "{engine}: the null version");

        // Suspended: a new null version replaces the old null one (its bytes go) and v1 stays noncurrent.
        assert!(store.set_bucket_versioning("v", "Suspended").await.unwrap(), "{engine}");
        store.put_object(&version("k", None, "b3", 7), &all_blobs[3..4], blobs).await.unwrap();
        let mut garbage = store.garbage(i64::MAX, 10).await.unwrap();
        garbage.sort();
        assert_eq!(garbage, ["b0", "b2"], "{engine}");
        assert_eq!(store.version("v", "k", Some("v1")).await.unwrap().unwrap().is_latest, false, "{engine}");
        assert_eq!(store.delete_bucket_if_empty("v", 8).await.unwrap(), BucketDeletion::NotEmpty, "{engine}");

        // A lifecycle rule expires the noncurrent version; the marker of a suspended delete is the null one.
        let noncurrent = store.noncurrent_versions("v", i64::MAX, i64::MIN, 10).await.unwrap();
        assert_eq!(noncurrent.len(), 1, "{engine}");
        assert!(store.expire_version(&noncurrent[0], false, blobs, 9).await.unwrap(), "{engine}");
        let deletion = store.delete_object("v", "k", "unused", "root", blobs, 10).await.unwrap();
        assert_eq!(deletion.marker, Some(None), "{engine}: the null marker");
        let lone = store.noncurrent_versions("v", i64::MAX, i64::MIN, 10).await.unwrap();
        assert!(store.expire_version(&lone[0], true, blobs, 11).await.unwrap(), "{engine}: a marker all alone goes");
        assert_eq!(store.delete_bucket_if_empty("v", 12).await.unwrap(), BucketDeletion::Deleted, "{engine}");
    }
}
