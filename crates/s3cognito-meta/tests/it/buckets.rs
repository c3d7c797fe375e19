//! A bucket's settings, its deletion with unfinished uploads, completions remembered, and leases.

use s3cognito_meta::*;

use crate::{object, stores};

fn bucket(name: &str) -> BucketRecord {
    BucketRecord { name: name.to_owned(), owner: "root".to_owned(), cors: None, encryption: None, location: Some("eu-west-1".to_owned()), created_at: 1 }
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
        store.delete_object("crashed", "kept", |_| vec!["object-blob".to_owned()], 5).await.unwrap();
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
        assert!(!store.delete_object_if("b", "big", "\"other\"", 10, |_| Vec::new(), 20).await.unwrap(), "{engine}");
        assert!(store.delete_object_if("b", "big", "\"m-1\"", 10, |_| Vec::new(), 20).await.unwrap(), "{engine}");
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
