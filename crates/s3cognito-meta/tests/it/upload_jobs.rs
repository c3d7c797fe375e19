use s3cognito_meta::*;

use super::stores;

fn job(id: &str, owner: &str, key: &str, created_at: i64) -> UploadJobRecord {
    UploadJobRecord {
        id: id.to_owned(),
        owner: owner.to_owned(),
        username: format!("user-of-{owner}"),
        bucket: "bucket".to_owned(),
        obj_key: format!("private/{owner}/{key}"),
        file_key: key.to_owned(),
        file_name: Some(key.to_owned()),
        status: "Pending".to_owned(),
        route: "presigned".to_owned(),
        size: None,
        etag: None,
        content_type: Some("image/png".to_owned()),
        expires_at: Some(created_at + 300),
        uploaded_on: "2026-01-01T00:00:00Z".to_owned(),
        created_at,
        updated_at: created_at,
    }
}

#[tokio::test]
async fn jobs_list_per_owner_oldest_first_in_pages() {
    for (engine, store, _dir) in stores().await {
        store.insert_upload_job(&job("j2", "alice", "b.png", 10)).await.unwrap();
        store.insert_upload_job(&job("j1", "alice", "a.png", 10)).await.unwrap();
        store.insert_upload_job(&job("j3", "bob", "c.png", 11)).await.unwrap();
        store.insert_upload_job(&job("j4", "alice", "d.png", 12)).await.unwrap();
        assert!(matches!(store.insert_upload_job(&job("j4", "bob", "x", 1)).await, Err(MetaError::Conflict)), "{engine}");

        let ids = |jobs: Vec<UploadJobRecord>| jobs.into_iter().map(|job| job.id).collect::<Vec<_>>();
        let first = store.upload_jobs(Some("alice"), None, 2).await.unwrap();
        assert_eq!(ids(first.clone()), ["j1", "j2"], "{engine}: by time, then id");
        let cursor = JobCursor { created_at: first[1].created_at, id: first[1].id.clone() };
        assert_eq!(ids(store.upload_jobs(Some("alice"), Some(&cursor), 2).await.unwrap()), ["j4"], "{engine}");
        assert_eq!(ids(store.upload_jobs(None, None, 10).await.unwrap()), ["j1", "j2", "j3", "j4"], "{engine}: everyone's");
        assert_eq!(ids(store.upload_jobs(Some("carol"), None, 10).await.unwrap()), Vec::<String>::new(), "{engine}");
    }
}

#[tokio::test]
async fn a_job_is_found_by_its_object_and_updated_in_place() {
    for (engine, store, _dir) in stores().await {
        store.insert_upload_job(&job("old", "alice", "a.png", 10)).await.unwrap();
        store.insert_upload_job(&job("new", "alice", "a.png", 20)).await.unwrap();
        let latest = store.latest_upload_job("bucket", "private/alice/a.png").await.unwrap().unwrap();
        assert_eq!(latest.id, "new", "{engine}: the newest job of the object");
        assert_eq!(store.latest_upload_job("bucket", "private/alice/none").await.unwrap(), None, "{engine}");

        let done = UploadJobRecord {
            status: "Done".to_owned(),
            route: "presigned".to_owned(),
            size: Some(5_000_000_000),
            etag: Some("\"etag\"".to_owned()),
            expires_at: None,
            uploaded_on: "2026-01-01T00:00:30Z".to_owned(),
            updated_at: 30,
            // An update keeps the owner and the object whatever the record says.
            owner: "mallory".to_owned(),
            obj_key: "private/mallory/x".to_owned(),
            ..latest
        };
        assert!(store.update_upload_job(&done).await.unwrap(), "{engine}");
        let read = store.upload_job("new").await.unwrap().unwrap();
        assert_eq!((read.owner.as_str(), read.obj_key.as_str()), ("alice", "private/alice/a.png"), "{engine}");
        assert_eq!((read.status.as_str(), read.size, read.expires_at), ("Done", Some(5_000_000_000), None), "{engine}");
        assert!(!store.update_upload_job(&UploadJobRecord { id: "gone".to_owned(), ..done }).await.unwrap(), "{engine}");
    }
}
