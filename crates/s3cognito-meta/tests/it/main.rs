//! The store's contract, run against every engine: SQLite always, PostgreSQL when
//! `S3COGNITO_TEST_POSTGRES_URL` names a server (each run gets a database of its own).

mod audit;
mod buckets;
mod iam;
mod identity;
mod kms;
mod mfa;
mod upload_jobs;

use s3cognito_meta::*;

/// A store on a fresh database of each available engine, with a name for failure messages.
async fn stores() -> Vec<(&'static str, Store, Option<tempfile::TempDir>)> {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", directory.path().join("meta.db").display());
    let mut stores = vec![("sqlite", Store::connect(&url).await.unwrap(), Some(directory))];
    if let Ok(server) = std::env::var("S3COGNITO_TEST_POSTGRES_URL") {
        stores.push(("postgres", fresh_postgres(&server).await, None));
    }
    stores
}

async fn fresh_postgres(server: &str) -> Store {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let name = format!("s3cognito_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::AnyPool::connect(server).await.expect("PostgreSQL named by S3COGNITO_TEST_POSTGRES_URL");
    // The name is ours (a fresh uuid), so building the statement from it is safe.
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    admin.close().await;
    let (base, _) = server.rsplit_once('/').expect("a URL ending in /<database>");
    Store::connect(&format!("{base}/{name}")).await.unwrap()
}

fn pool(id: &str) -> UserPoolRecord {
    UserPoolRecord { id: id.to_owned(), name: "pool".to_owned(), config: "{}".to_owned(), created_at: 1, updated_at: 1 }
}

fn user(pool_id: &str, username: &str) -> UserRecord {
    UserRecord {
        pool_id: pool_id.to_owned(),
        username: username.to_owned(),
        sub: uuid::Uuid::new_v4().to_string(),
        status: "CONFIRMED".to_owned(),
        enabled: true,
        attributes: "{}".to_owned(),
        email: Some(format!("{username}@example.com")),
        password_hash: Some("hash".to_owned()),
        srp_salt: Some("0a1b".to_owned()),
        srp_verifier: Some("sealed".to_owned()),
        password_set_at: 1,
        failed_sign_ins: 0,
        locked_until: 0,
        created_at: 1,
        updated_at: 1,
    }
}

fn group(pool_id: &str, name: &str, precedence: Option<i64>) -> GroupRecord {
    GroupRecord {
        pool_id: pool_id.to_owned(),
        name: name.to_owned(),
        description: None,
        role_arn: Some(format!("arn:aws:iam::123456789012:role/{name}")),
        precedence,
        created_at: 1,
        updated_at: 1,
    }
}

/// An object of `size` bytes stored in one blob.
pub fn object(bucket: &str, key: &str, size: i64, blob: &str) -> ObjectRecord {
    ObjectRecord {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size,
        etag: "\"e\"".to_owned(),
        content_type: None,
        headers: "{}".to_owned(),
        user_metadata: "{}".to_owned(),
        checksum: None,
        segments: format!("[\"{blob}\"]"),
        owner: "root".to_owned(),
        modified_at: 1,
        tags: None,
        version_id: None,
    }
}

fn refresh(pool_id: &str, username: &str, hash: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: hash.to_owned(),
        pool_id: pool_id.to_owned(),
        client_id: "client".to_owned(),
        username: username.to_owned(),
        origin_jti: uuid::Uuid::new_v4().to_string(),
        auth_time: 1,
        created_at: 1,
        expires_at: 100,
        revoked: false,
    }
}

#[tokio::test]
async fn settings_keep_the_first_value() {
    for (engine, store, _dir) in stores().await {
        assert_eq!(store.setting("x").await.unwrap(), None, "{engine}");
        assert_eq!(store.setting_or_insert("x", "first").await.unwrap(), "first", "{engine}");
        assert_eq!(store.setting_or_insert("x", "second").await.unwrap(), "first", "{engine}");
    }
}

/// A batch of pending blobs is recorded whole or not at all; stale ones list oldest first.
#[tokio::test]
async fn pending_blobs_are_recorded_in_one_transaction() {
    for (engine, store, _dir) in stores().await {
        let batch: Vec<String> = (0..5).map(|i| format!("blob{i:028}")).collect();
        store.insert_pending_blobs(&batch, 100).await.unwrap();
        store.insert_pending_blobs(&["later".to_owned()], 200).await.unwrap();
        // One id already pending: nothing of the batch is recorded.
        let clashing = vec!["fresh".to_owned(), batch[2].clone()];
        assert!(matches!(store.insert_pending_blobs(&clashing, 300).await, Err(MetaError::Conflict)), "{engine}");
        assert_eq!(store.stale_pending_blobs(150, 10).await.unwrap().len(), 5, "{engine}");
        let all = store.stale_pending_blobs(i64::MAX, 10).await.unwrap();
        assert_eq!(all.len(), 6, "{engine}: {all:?}");
        assert_eq!(all.last().map(String::as_str), Some("later"), "{engine}");
        store.forget_pending_blob(&batch[0]).await.unwrap();
        assert_eq!(store.stale_pending_blobs(i64::MAX, 10).await.unwrap().len(), 5, "{engine}");
    }
}

/// A pending blob given up on becomes garbage dated from when it was reserved, and an object naming it
/// afterwards is refused whole: the key keeps nothing of it.
#[tokio::test]
async fn an_abandoned_blob_is_garbage_and_no_object_may_name_it() {
    for (engine, store, _dir) in stores().await {
        store.insert_bucket(&BucketRecord { name: "bucket".to_owned(), owner: "root".to_owned(), cors: None, encryption: None, location: None, created_at: 1, versioning: None }).await.unwrap();
        let blobs = ["slow".to_owned(), "live".to_owned()];
        store.insert_pending_blobs(&blobs, 100).await.unwrap();
        assert!(store.abandon_pending_blob("slow").await.unwrap(), "{engine}");
        assert!(!store.abandon_pending_blob("slow").await.unwrap(), "{engine}: once only");
        assert_eq!(store.garbage(101, 10).await.unwrap(), ["slow"], "{engine}");
        assert!(store.garbage(100, 10).await.unwrap().is_empty(), "{engine}");
        let object = |blob: &str| ObjectRecord { modified_at: 200, ..object("bucket", "key", 1, blob) };
        let refused = store.put_object(&object("slow"), &["live".to_owned(), "slow".to_owned()], |_| Vec::new()).await;
        assert!(matches!(refused, Err(MetaError::Reclaimed(ref blob)) if blob == "slow"), "{engine}: {refused:?}");
        assert_eq!(store.object("bucket", "key").await.unwrap(), None, "{engine}");
        assert_eq!(store.stale_pending_blobs(i64::MAX, 10).await.unwrap(), ["live"], "{engine}: still pending");
        store.put_object(&object("live"), &["live".to_owned()], |_| Vec::new()).await.unwrap();
        assert!(store.stale_pending_blobs(i64::MAX, 10).await.unwrap().is_empty(), "{engine}");
    }
}

#[tokio::test]
async fn users_round_trip_and_conflict() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
        assert!(matches!(store.insert_user_pool(&pool("us-east-1_a")).await, Err(MetaError::Conflict)), "{engine}");
        let mut demo = user("us-east-1_a", "demo");
        store.insert_user(&demo).await.unwrap();
        assert!(matches!(store.insert_user(&demo).await, Err(MetaError::Conflict)), "{engine}");
        assert_eq!(store.user("us-east-1_a", "demo").await.unwrap(), Some(demo.clone()), "{engine}");
        demo.enabled = false;
        demo.password_hash = None;
        demo.srp_salt = None;
        demo.srp_verifier = None;
        demo.attributes = r#"{"email":"demo@example.com"}"#.to_owned();
        demo.email = Some("new@example.com".to_owned());
        assert!(store.update_user(&demo).await.unwrap(), "{engine}");
        assert_eq!(store.user("us-east-1_a", "demo").await.unwrap(), Some(demo.clone()), "{engine}");
        assert_eq!(store.users_by_email("us-east-1_a", "new@example.com").await.unwrap(), vec![demo.clone()], "{engine}");
        assert_eq!(store.user_by_sub("us-east-1_a", &demo.sub).await.unwrap(), Some(demo.clone()), "{engine}");
        assert_eq!(store.user_by_sub("us-east-1_b", &demo.sub).await.unwrap(), None, "{engine}: subs are per pool");
        // A name in another pool is another user.
        store.insert_user_pool(&pool("us-east-1_b")).await.unwrap();
        store.insert_user(&user("us-east-1_b", "demo")).await.unwrap();
        for name in ["carol", "alice", "bob"] {
            store.insert_user(&user("us-east-1_a", name)).await.unwrap();
        }
        let names = |users: Vec<UserRecord>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();
        assert_eq!(names(store.list_users("us-east-1_a", None, 2).await.unwrap()), ["alice", "bob"], "{engine}");
        assert_eq!(names(store.list_users("us-east-1_a", Some("bob"), 10).await.unwrap()), ["carol", "demo"], "{engine}");
        assert!(store.delete_user("us-east-1_a", "demo").await.unwrap(), "{engine}");
        assert!(!store.delete_user("us-east-1_a", "demo").await.unwrap(), "{engine}");
        assert!(store.user("us-east-1_b", "demo").await.unwrap().is_some(), "{engine}");
    }
}

#[tokio::test]
async fn failed_sign_ins_count_atomically() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
        store.insert_user(&user("us-east-1_a", "demo")).await.unwrap();
        let attempts: Vec<_> =
            (0..10).map(|_| store.record_failed_sign_in("us-east-1_a", "demo")).collect();
        let mut counts: Vec<i64> =
            futures_join(attempts).await.into_iter().map(Result::unwrap).collect();
        counts.sort();
        assert_eq!(counts, (1..=10).collect::<Vec<_>>(), "{engine}: each failure counted once");
        store.lock_user_until("us-east-1_a", "demo", 500).await.unwrap();
        assert_eq!(store.user("us-east-1_a", "demo").await.unwrap().unwrap().locked_until, 500, "{engine}");
        store.reset_failed_sign_ins("us-east-1_a", "demo").await.unwrap();
        let after = store.user("us-east-1_a", "demo").await.unwrap().unwrap();
        assert_eq!((after.failed_sign_ins, after.locked_until), (0, 0), "{engine}");
        assert_eq!(store.record_failed_sign_in("us-east-1_a", "nobody").await.unwrap(), 0, "{engine}");
    }
}

/// Rate-limit counters count every hit once, even at once, and start again in a new window.
#[tokio::test]
async fn rate_limit_hits_count_atomically_per_window() {
    for (engine, store, _dir) in stores().await {
        let hits: Vec<_> = (0..10).map(|_| store.rate_limit_hit("forgot:us-east-1_a:demo", 3600)).collect();
        let mut counts: Vec<i64> = futures_join(hits).await.into_iter().map(Result::unwrap).collect();
        counts.sort();
        assert_eq!(counts, (1..=10).collect::<Vec<_>>(), "{engine}: each hit counted once");
        assert_eq!(store.rate_limit_hits("forgot:us-east-1_a:demo", 3600).await.unwrap(), 10, "{engine}");
        assert_eq!(store.rate_limit_hits("forgot:us-east-1_a:other", 3600).await.unwrap(), 0, "{engine}");
        assert_eq!(store.rate_limit_hits("forgot:us-east-1_a:demo", 7200).await.unwrap(), 0, "{engine}: a new window");
        assert_eq!(store.rate_limit_hit("forgot:us-east-1_a:demo", 7200).await.unwrap(), 1, "{engine}: starts again");
        store.rate_limit_hit("old", 0).await.unwrap();
        assert_eq!(store.delete_rate_limits_before(3600).await.unwrap(), 1, "{engine}: only the old window");
        assert_eq!(store.rate_limit_hits("forgot:us-east-1_a:demo", 7200).await.unwrap(), 1, "{engine}");
    }
}

async fn futures_join<T>(futures: Vec<impl std::future::Future<Output = T>>) -> Vec<T> {
    let mut outputs = Vec::new();
    let handles: Vec<_> = futures.into_iter().map(Box::pin).collect();
    // Polled together on one task: the store's pool runs them on separate connections.
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|context| {
        let mut done = true;
        for slot in pending.iter_mut() {
            if let Some(future) = slot {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(output) => {
                        outputs.push(output);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    outputs
}

#[tokio::test]
async fn codes_are_single_use() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
        store.insert_user(&user("us-east-1_a", "demo")).await.unwrap();
        let code = CodeRecord {
            pool_id: "us-east-1_a".to_owned(),
            username: "demo".to_owned(),
            purpose: "sign_up".to_owned(),
            code_hash: "h1".to_owned(),
            failed_attempts: 0,
            expires_at: 100,
        };
        store.put_code(&code).await.unwrap();
        assert_eq!(store.record_code_failure("us-east-1_a", "demo", "sign_up").await.unwrap(), 1, "{engine}");
        // A new code replaces the old one and its failure count.
        store.put_code(&CodeRecord { code_hash: "h2".to_owned(), ..code.clone() }).await.unwrap();
        let stored = store.code("us-east-1_a", "demo", "sign_up").await.unwrap().unwrap();
        assert_eq!((stored.code_hash.as_str(), stored.failed_attempts), ("h2", 0), "{engine}");
        assert!(!store.consume_code("us-east-1_a", "demo", "sign_up", "h1").await.unwrap(), "{engine}");
        assert!(store.consume_code("us-east-1_a", "demo", "sign_up", "h2").await.unwrap(), "{engine}");
        assert!(!store.consume_code("us-east-1_a", "demo", "sign_up", "h2").await.unwrap(), "{engine}");
        assert_eq!(store.code("us-east-1_a", "demo", "sign_up").await.unwrap(), None, "{engine}");
    }
}

#[tokio::test]
async fn sessions_are_taken_once() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
        let session = AuthSessionRecord {
            session_hash: "s".to_owned(),
            pool_id: "us-east-1_a".to_owned(),
            client_id: "c".to_owned(),
            username: "demo".to_owned(),
            challenge: "NEW_PASSWORD_REQUIRED".to_owned(),
            data: "{}".to_owned(),
            expires_at: 10,
        };
        store.insert_auth_session(&session).await.unwrap();
        store.insert_auth_session(&AuthSessionRecord { session_hash: "old".to_owned(), expires_at: 1, ..session.clone() }).await.unwrap();
        assert_eq!(store.delete_expired_auth_sessions(5).await.unwrap(), 1, "{engine}");
        assert_eq!(store.take_auth_session("s").await.unwrap(), Some(session), "{engine}");
        assert_eq!(store.take_auth_session("s").await.unwrap(), None, "{engine}");
    }
}

#[tokio::test]
async fn refresh_tokens_revoke_alone_and_per_user() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
        store.insert_user(&user("us-east-1_a", "demo")).await.unwrap();
        store.insert_user(&user("us-east-1_a", "other")).await.unwrap();
        let first = refresh("us-east-1_a", "demo", "t1");
        store.insert_refresh_token(&first).await.unwrap();
        store.insert_refresh_token(&refresh("us-east-1_a", "demo", "t2")).await.unwrap();
        store.insert_refresh_token(&refresh("us-east-1_a", "other", "t3")).await.unwrap();
        assert_eq!(store.refresh_token_by_origin(&first.origin_jti).await.unwrap(), Some(first.clone()), "{engine}");
        assert!(store.revoke_refresh_token("t1").await.unwrap(), "{engine}");
        assert!(store.refresh_token("t1").await.unwrap().unwrap().revoked, "{engine}");
        assert!(!store.refresh_token("t2").await.unwrap().unwrap().revoked, "{engine}");
        assert_eq!(store.revoke_user_refresh_tokens("us-east-1_a", "demo").await.unwrap(), 2, "{engine}");
        assert!(store.refresh_token("t2").await.unwrap().unwrap().revoked, "{engine}");
        assert!(!store.refresh_token("t3").await.unwrap().unwrap().revoked, "{engine}");
        // Deleting the user takes their tokens with them.
        store.delete_user("us-east-1_a", "demo").await.unwrap();
        assert_eq!(store.refresh_token("t2").await.unwrap(), None, "{engine}");
    }
}

#[tokio::test]
async fn groups_order_by_precedence_and_cascade() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
        store.insert_user(&user("us-east-1_a", "demo")).await.unwrap();
        for (name, precedence) in [("none", None), ("low", Some(1)), ("high", Some(10))] {
            store.insert_group(&group("us-east-1_a", name, precedence)).await.unwrap();
            store.add_group_member("us-east-1_a", name, "demo").await.unwrap();
        }
        store.add_group_member("us-east-1_a", "low", "demo").await.unwrap();
        assert!(matches!(store.insert_group(&group("us-east-1_a", "low", None)).await, Err(MetaError::Conflict)), "{engine}");
        let names: Vec<_> =
            store.groups_of_user("us-east-1_a", "demo").await.unwrap().into_iter().map(|g| g.name).collect();
        assert_eq!(names, ["low", "high", "none"], "{engine}");
        assert_eq!(store.users_in_group("us-east-1_a", "low", None, 10).await.unwrap().len(), 1, "{engine}");
        assert!(store.remove_group_member("us-east-1_a", "low", "demo").await.unwrap(), "{engine}");
        assert!(store.delete_group("us-east-1_a", "high").await.unwrap(), "{engine}");
        let names: Vec<_> =
            store.groups_of_user("us-east-1_a", "demo").await.unwrap().into_iter().map(|g| g.name).collect();
        assert_eq!(names, ["none"], "{engine}");
    }
}

#[tokio::test]
async fn deleting_a_pool_deletes_everything_in_it() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
        store
            .insert_client(&ClientRecord {
                client_id: "client".to_owned(),
                pool_id: "us-east-1_a".to_owned(),
                name: "web".to_owned(),
                secret: None,
                config: "{}".to_owned(),
                created_at: 1,
                updated_at: 1,
            })
            .await
            .unwrap();
        store
            .insert_signing_key(&SigningKeyRecord {
                kid: "k".to_owned(),
                pool_id: "us-east-1_a".to_owned(),
                private_key: "der".to_owned(),
                created_at: 1,
            })
            .await
            .unwrap();
        store.insert_user(&user("us-east-1_a", "demo")).await.unwrap();
        store.insert_group(&group("us-east-1_a", "g", None)).await.unwrap();
        store.add_group_member("us-east-1_a", "g", "demo").await.unwrap();
        store.insert_refresh_token(&refresh("us-east-1_a", "demo", "t")).await.unwrap();
        assert!(store.delete_user_pool("us-east-1_a").await.unwrap(), "{engine}");
        assert_eq!(store.client("client").await.unwrap(), None, "{engine}");
        assert!(store.signing_keys("us-east-1_a").await.unwrap().is_empty(), "{engine}");
        assert_eq!(store.user("us-east-1_a", "demo").await.unwrap(), None, "{engine}");
        assert_eq!(store.refresh_token("t").await.unwrap(), None, "{engine}");
        assert!(store.list_groups("us-east-1_a", None, 10).await.unwrap().is_empty(), "{engine}");
    }
}

#[tokio::test]
async fn reopening_keeps_data_and_migrations_run_once() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", directory.path().join("meta.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.insert_user_pool(&pool("us-east-1_a")).await.unwrap();
    store.close().await;
    let again = Store::connect(&url).await.unwrap();
    assert!(again.user_pool("us-east-1_a").await.unwrap().is_some());
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    assert!(matches!(Store::connect("mysql://localhost/x").await, Err(MetaError::UnsupportedUrl(_))));
}
