//! Versioning through aws-sdk-s3 on every engine: version ids on writes, reads and copies by version, delete
//! markers, the null version of a suspended bucket, and ListObjectVersions paging through a key's versions.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, ObjectAttributes, VersioningConfiguration};

use crate::s3::s3;
use crate::{Server, engines};

async fn read(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, version: Option<&str>) -> Vec<u8> {
    let got = s3.get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_owned)).send().await.unwrap();
    got.body.collect().await.unwrap().into_bytes().to_vec()
}

async fn set_versioning(s3: &aws_sdk_s3::Client, bucket: &str, status: BucketVersioningStatus) {
    let configuration = VersioningConfiguration::builder().status(status).build();
    s3.put_bucket_versioning().bucket(bucket).versioning_configuration(configuration).send().await.unwrap();
}

#[tokio::test]
async fn versions_markers_and_the_null_version_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let s3 = s3(&server);
        let bucket = "versioned";
        s3.create_bucket().bucket(bucket).send().await.unwrap();
        s3.put_object().bucket(bucket).key("doc").body(ByteStream::from_static(b"null")).send().await.unwrap();
        assert_eq!(s3.get_bucket_versioning().bucket(bucket).send().await.unwrap().status(), None, "{database:?}");
        set_versioning(&s3, bucket, BucketVersioningStatus::Enabled).await;
        assert_eq!(s3.get_bucket_versioning().bucket(bucket).send().await.unwrap().status(), Some(&BucketVersioningStatus::Enabled));

        let mut ids = Vec::new();
        for body in ["one", "two"] {
            let put = s3.put_object().bucket(bucket).key("doc").body(ByteStream::from_static(body.as_bytes())).send().await.unwrap();
            ids.push(put.version_id().unwrap().to_owned());
        }
        assert_eq!(read(&s3, bucket, "doc", None).await, b"two", "{database:?}");
        assert_eq!(read(&s3, bucket, "doc", Some(&ids[0])).await, b"one", "{database:?}");
        assert_eq!(read(&s3, bucket, "doc", Some("null")).await, b"null", "{database:?}");
        let attributes = s3
            .get_object_attributes()
            .bucket(bucket)
            .key("doc")
            .version_id(&ids[0])
            .object_attributes(ObjectAttributes::Etag)
            .send()
            .await
            .unwrap();
        // GetObjectAttributes names the ETag unquoted, unlike every other answer.
        assert_eq!(attributes.e_tag(), Some("f97c5d29941bfb1b2fdab0874906ab82"), "{database:?}: MD5 of \"one\"");
        assert_eq!(attributes.version_id(), Some(ids[0].as_str()));

        // A delete makes a marker current; the versions stay.
        let deleted = s3.delete_object().bucket(bucket).key("doc").send().await.unwrap();
        assert_eq!(deleted.delete_marker(), Some(true));
        let marker = deleted.version_id().unwrap().to_owned();
        let missing = s3.get_object().bucket(bucket).key("doc").send().await.unwrap_err();
        assert_eq!(missing.code(), Some("NoSuchKey"), "{database:?}");
        let listed = s3.list_object_versions().bucket(bucket).send().await.unwrap();
        let versions: Vec<(&str, bool)> = listed.versions().iter().map(|v| (v.version_id().unwrap(), v.is_latest().unwrap())).collect();
        assert_eq!(versions, [(ids[1].as_str(), false), (ids[0].as_str(), false), ("null", false)], "{database:?}");
        let markers: Vec<(&str, bool)> = listed.delete_markers().iter().map(|m| (m.version_id().unwrap(), m.is_latest().unwrap())).collect();
        assert_eq!(markers, [(marker.as_str(), true)], "{database:?}");

        // Paging one entry at a time walks the same versions in the same order.
        let mut walked = Vec::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let page = s3
                .list_object_versions()
                .bucket(bucket)
                .max_keys(1)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
                .unwrap();
            walked.extend(page.versions().iter().map(|v| v.version_id().unwrap().to_owned()));
            walked.extend(page.delete_markers().iter().map(|m| m.version_id().unwrap().to_owned()));
            if !page.is_truncated().unwrap() {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
        assert_eq!(walked, [marker.clone(), ids[1].clone(), ids[0].clone(), "null".to_owned()], "{database:?}");

        // A copy of an old version, and the marker removed to bring the newest back.
        let copied = s3.copy_object().bucket(bucket).key("copy").copy_source(format!("{bucket}/doc?versionId={}", ids[0])).send().await.unwrap();
        assert_eq!(copied.copy_source_version_id(), Some(ids[0].as_str()));
        assert_eq!(read(&s3, bucket, "copy", None).await, b"one", "{database:?}");
        s3.delete_object().bucket(bucket).key("doc").version_id(&marker).send().await.unwrap();
        assert_eq!(read(&s3, bucket, "doc", None).await, b"two", "{database:?}");

        // Suspended: writes are the null version, replacing the old one, and answer no version id.
        set_versioning(&s3, bucket, BucketVersioningStatus::Suspended).await;
        let put = s3.put_object().bucket(bucket).key("doc").body(ByteStream::from_static(b"null again")).send().await.unwrap();
        assert_eq!(put.version_id(), None, "{database:?}");
        assert_eq!(read(&s3, bucket, "doc", Some("null")).await, b"null again", "{database:?}");
        let listed = s3.list_object_versions().bucket(bucket).prefix("doc").send().await.unwrap();
        let versions: Vec<&str> = listed.versions().iter().map(|v| v.version_id().unwrap()).collect();
        assert_eq!(versions, ["null", ids[1].as_str(), ids[0].as_str()], "{database:?}: one null version");

        // Every version and marker removed, the bucket can go.
        assert_eq!(s3.delete_bucket().bucket(bucket).send().await.unwrap_err().code(), Some("BucketNotEmpty"));
        for (key, version) in [("doc", "null"), ("doc", ids[1].as_str()), ("doc", ids[0].as_str())] {
            s3.delete_object().bucket(bucket).key(key).version_id(version).send().await.unwrap();
        }
        let copy_version = copied.version_id().unwrap();
        s3.delete_object().bucket(bucket).key("copy").version_id(copy_version).send().await.unwrap();
        s3.delete_bucket().bucket(bucket).send().await.unwrap();
    }
}
