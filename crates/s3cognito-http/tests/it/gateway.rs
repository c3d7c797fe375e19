//! The upload gateway in process: the presign API, Uppy's multipart routes and the upload edge take a
//! user pool token, refuse every token a resource server would refuse (before storing a byte), and keep
//! each user inside `private/<identityId>/`.

use axum::http::Method;
use s3cognito_service::user_pool::{ClientSettings, PoolSettings};
use s3cognito_service::user_pool::config::{ClientConfig, PoolConfig};
use s3cognito_types::{ClientId, UserPoolId, Username};
use serde_json::{Value, json};

use crate::{Call, Exchange, Harness, PASSWORD, check_redacted};

const PRESIGN: &str = "/_s3cognito/presign";
const EDGE: &str = "/_s3cognito/upload";

fn with_token(call: Call, token: &str) -> Call {
    call.header("authorization", token)
}

/// The JWT with one character of its signature changed (in the middle, where every bit counts).
fn tampered(token: &str) -> String {
    let (head, signature) = token.rsplit_once('.').unwrap();
    let mut signature: Vec<char> = signature.chars().collect();
    let middle = signature.len() / 2;
    signature[middle] = if signature[middle] == 'A' { 'B' } else { 'A' };
    format!("{head}.{}", signature.into_iter().collect::<String>())
}

/// The identity id a user's files are kept under.
async fn identity_of(h: &Harness, username: &str) -> String {
    let logins = h.logins(username).await;
    h.app.identity.get_id(crate::IDENTITY_POOL_ID, &logins).await.unwrap()
}

/// Keys stored in the bootstrap bucket.
async fn stored_keys(h: &Harness) -> Vec<String> {
    let bucket = s3cognito_types::BucketName::parse(crate::BUCKET).unwrap();
    let listing = h.app.objects.list(&bucket, "", None, None, 1000).await.unwrap();
    listing.objects.into_iter().map(|object| object.key).collect()
}

/// A token of a confirmed user of a second pool of the same deployment.
pub(crate) async fn other_pool_token(h: &Harness) -> String {
    let pools = &h.app.user_pools;
    let pool = pools.create_user_pool("us-east-1", PoolSettings { name: "other".to_owned(), config: PoolConfig::default() }).await.unwrap();
    let pool_id = UserPoolId::parse(pool.id).unwrap();
    let config = ClientConfig { explicit_auth_flows: vec!["ALLOW_USER_PASSWORD_AUTH".to_owned()], ..ClientConfig::default() };
    let client = pools
        .create_user_pool_client(&pool_id, ClientSettings { name: "web".to_owned(), generate_secret: false, config })
        .await
        .unwrap();
    let client_id = ClientId::parse(client.client_id).unwrap();
    let name = Username::parse("alice").unwrap();
    pools.sign_up(&client_id, None, name.clone(), PASSWORD, vec![("email".to_owned(), "alice@example.com".to_owned())]).await.unwrap();
    pools.admin_confirm_sign_up(&pool_id, &name).await.unwrap();
    let request = s3cognito_service::user_pool::AuthRequest {
        client_id,
        flow: "USER_PASSWORD_AUTH".to_owned(),
        parameters: [("USERNAME", "alice"), ("PASSWORD", PASSWORD)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
        admin_pool: None,
    };
    match pools.initiate_auth(request).await.unwrap() {
        s3cognito_service::user_pool::AuthOutcome::Tokens(tokens) => tokens.access_token,
        other => panic!("expected tokens, got {other:?}"),
    }
}

fn presign_put(name: &str) -> Call {
    Call::get(&format!("{PRESIGN}?name={name}&method=PUT&contentType=image%2Fpng&size=5"))
}

fn edge_put(name: &str) -> Call {
    Call::put(&format!("{EDGE}/{name}"), b"bytes".to_vec()).header("content-type", "image/jpeg")
}

fn status_and_message(exchange: &Exchange) -> (u16, Value) {
    (exchange.status, exchange.body.get("message").cloned().unwrap_or(Value::Null))
}

#[tokio::test]
async fn tokens_a_resource_server_would_refuse_are_unauthorized_everywhere() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let tokens = h.tokens("alice").await;
    let foreign = other_pool_token(&h).await;

    // One answer pinned whole: API Gateway's shape, readable by a browser.
    let refused = h.send(presign_put("a.png").header("origin", "https://app.example.com")).await;
    check_redacted("gateway_presign_without_token", &refused, &[]);

    let cases: [(&str, String); 4] = [
        ("garbage", "my-invalid-token".to_owned()),
        ("tampered", tampered(&tokens.access_token)),
        ("another pool's", foreign.clone()),
        ("bearer with garbage", "Bearer my-invalid-token".to_owned()),
    ];
    for (what, token) in &cases {
        let calls = [
            presign_put("a.png"),
            edge_put("a.png"),
            Call::new(Method::POST, &format!("{PRESIGN}/s3/multipart")).body(r#"{"filename":"a.png"}"#),
            // The token is judged before the body is read: a broken one changes nothing.
            Call::new(Method::POST, PRESIGN).body("{"),
            Call::new(Method::POST, PRESIGN).body(vec![b' '; 2 << 20]),
        ];
        for call in calls {
            let exchange = h.send(with_token(call, token)).await;
            assert_eq!(status_and_message(&exchange), (401, json!("Unauthorized")), "{what} token: {exchange:?}");
        }
    }
    // The edge takes access tokens only, as a verifier for `tokenUse: "access"` does.
    let exchange = h.send(with_token(edge_put("a.png"), &tokens.id_token)).await;
    assert_eq!(status_and_message(&exchange), (401, json!("Unauthorized")), "an ID token on the edge");
    // The presign API takes both, raw or as a bearer token.
    for token in [tokens.id_token.clone(), format!("Bearer {}", tokens.access_token)] {
        assert_eq!(h.send(with_token(presign_put("a.png"), &token)).await.status, 200);
    }
    assert_eq!(stored_keys(&h).await, Vec::<String>::new(), "nothing refused was stored");
    // An accepted caller's body is read up to a bound.
    let huge = with_token(Call::new(Method::POST, PRESIGN).body(vec![b' '; 2 << 20]), &tokens.access_token);
    assert_eq!(h.send(huge).await.status, 413);
    let broken = h.send(with_token(Call::new(Method::POST, PRESIGN).body("{"), &tokens.access_token)).await;
    assert_eq!(status_and_message(&broken), (400, json!("The body must be a JSON object: {name, method, contentType, size}.")));

    // Signed out everywhere: every token of the sessions before is refused.
    h.app.user_pools.global_sign_out(&tokens.access_token).await.unwrap();
    for call in [presign_put("a.png"), edge_put("a.png")] {
        assert_eq!(h.send(with_token(call, &tokens.access_token)).await.status, 401, "revoked");
    }
    // A disabled user is refused with a fresh token too.
    let fresh = h.tokens("alice").await;
    assert_eq!(h.send(with_token(edge_put("a.png"), &fresh.access_token)).await.status, 200);
    h.app.user_pools.admin_set_enabled(&h.pool(), &Username::parse("alice").unwrap(), false).await.unwrap();
    assert_eq!(h.send(with_token(edge_put("b.png"), &fresh.access_token)).await.status, 401, "disabled");

    // Expired: an hour later, the access token of a new sign-in is past its `exp`.
    h.app.user_pools.admin_set_enabled(&h.pool(), &Username::parse("alice").unwrap(), true).await.unwrap();
    let later = h.tokens("alice").await;
    h.clock.advance(3600);
    for call in [presign_put("c.png"), edge_put("c.png")] {
        assert_eq!(h.send(with_token(call, &later.access_token)).await.status, 401, "expired");
    }
    let identity = identity_of(&h, "alice").await;
    assert_eq!(stored_keys(&h).await, vec![format!("private/{identity}/a.png")], "only the accepted PUT stored");
}

#[tokio::test]
async fn names_that_would_leave_the_namespace_are_refused() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let token = h.tokens("alice").await.access_token;
    for name in ["..%2Fbob%2Fx", "a%2F..%2F..%2Fx", "%2Fetc%2Fpasswd", "a%2F%2Fb", "line%0Abreak", ""] {
        let exchange = h.send(with_token(presign_put(name), &token)).await;
        assert_eq!(exchange.status, 400, "presign {name:?}: {exchange:?}");
    }
    for name in ["../bob/x", "a/%2E%2E/x", "a//b", "tab%09x"] {
        let exchange = h.send(with_token(edge_put(name), &token)).await;
        assert_eq!(exchange.status, 400, "edge {name:?}: {exchange:?}");
    }
    let exchange = h.send(with_token(presign_put("a.png"), &token).path_of(&format!("{PRESIGN}?name=a.png&method=DELETE"))).await;
    assert_eq!(status_and_message(&exchange), (400, json!("method must be PUT or GET.")));
    assert_eq!(stored_keys(&h).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_presigned_put_names_the_users_key_binds_its_headers_and_records_a_pending_job() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let token = h.tokens("alice").await.access_token;
    let identity = identity_of(&h, "alice").await;
    let exchange = h.send(with_token(presign_put("photos%2Fa.png"), &token)).await;
    assert_eq!(exchange.status, 200, "{exchange:?}");
    let key = format!("private/{identity}/photos/a.png");
    assert_eq!(exchange.body["key"], json!(key));
    assert_eq!(exchange.body["method"], json!("PUT"));
    assert_eq!(exchange.body["headers"], json!({"Content-Type": "image/png"}));
    assert_eq!(exchange.body["expiresAt"], json!(s3cognito_crypto::calendar::iso8601(crate::START + 300)));
    let url = exchange.body["url"].as_str().unwrap();
    let expected_prefix = format!("https://auth.example.com/{}/private/{}/photos/a.png?", crate::BUCKET, identity.replace(':', "%3A"));
    assert!(url.starts_with(&expected_prefix), "{url}");
    assert!(url.contains("X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost"), "type and length are bound: {url}");
    assert!(url.contains("X-Amz-Expires=300"), "{url}");

    // POST with JSON asks the same.
    h.clock.advance(1);
    let posted = Call::new(Method::POST, PRESIGN).body(r#"{"name":"b.txt","method":"PUT"}"#);
    let exchange = h.send(with_token(posted, &token)).await;
    assert_eq!((exchange.status, exchange.body["headers"].clone()), (200, json!({})));

    let user = h.app.uploads.authenticate(&token, &[s3cognito_crypto::jwt::TokenUse::Access]).await.unwrap();
    let (jobs, next) = h.app.uploads.jobs(&user, None, None).await.unwrap();
    assert_eq!(next, None);
    let shown: Vec<_> = jobs.iter().map(|job| (job.obj_key.as_str(), job.status.as_str(), job.file_name.as_deref())).collect();
    let second = format!("private/{identity}/b.txt");
    assert_eq!(shown, [(key.as_str(), "Pending", Some("a.png")), (second.as_str(), "Pending", Some("b.txt"))]);
    // Asking again renews the one pending job; when its URL ends unused, it reads as expired.
    h.send(with_token(presign_put("photos%2Fa.png"), &token)).await;
    h.clock.advance(300);
    let (jobs, _) = h.app.uploads.jobs(&user, None, None).await.unwrap();
    assert_eq!(jobs.iter().map(|job| job.status.as_str()).collect::<Vec<_>>(), ["Expired", "Expired"]);

    // A GET URL is for a file that exists.
    let missing = Call::get(&format!("{PRESIGN}?name=none.png&method=GET"));
    let token = h.tokens("alice").await.access_token;
    assert_eq!(h.send(with_token(missing, &token)).await.status, 404);
}

#[tokio::test]
async fn the_edge_stores_and_serves_each_users_own_files_and_records_them() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    h.confirmed_user("bob").await;
    let alice = h.tokens("alice").await.access_token;
    let bob = h.tokens("bob").await.access_token;
    let stored = h.send(with_token(edge_put("image.jpg"), &alice)).await;
    assert_eq!(stored.status, 200, "{stored:?}");
    assert_eq!(stored.headers.get("etag").map(String::as_str), Some("\"4b3a6218bb3e3a7303e8a171a60fcf92\""));
    let identity = identity_of(&h, "alice").await;
    assert_eq!(stored.body["key"], json!(format!("private/{identity}/image.jpg")));

    let read = h.send(with_token(Call::get(&format!("{EDGE}/image.jpg")), &alice)).await;
    assert_eq!((read.status, read.body.clone()), (200, json!("bytes")));
    assert_eq!(read.headers.get("content-type").map(String::as_str), Some("image/jpeg"));
    // Bob's `image.jpg` is in his own namespace, where there is none.
    let other = h.send(with_token(Call::get(&format!("{EDGE}/image.jpg")), &bob)).await;
    assert_eq!(other.status, 404);

    let user = h.app.uploads.authenticate(&alice, &[s3cognito_crypto::jwt::TokenUse::Access]).await.unwrap();
    let (jobs, _) = h.app.uploads.jobs(&user, None, None).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(
        (job.user.as_str(), job.status.as_str(), job.route.as_str(), job.file_name.as_deref(), job.size, job.content_type.as_deref()),
        ("alice", "Done", "edge", Some("image.jpg"), Some(5), Some("image/jpeg"))
    );
    let bobs = h.app.uploads.authenticate(&bob, &[s3cognito_crypto::jwt::TokenUse::Access]).await.unwrap();
    assert_eq!(h.app.uploads.jobs(&bobs, None, None).await.unwrap().0, Vec::new(), "bob sees none of alice's jobs");
    assert_eq!(h.app.uploads.job(&bobs, &job.id).await.unwrap(), None);
}

#[tokio::test]
async fn the_edge_writes_under_the_buckets_kms_key_and_refuses_to_serve_while_that_key_is_disabled() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let alice = h.tokens("alice").await.access_token;
    let bucket = s3cognito_types::BucketName::parse(crate::BUCKET).unwrap();
    let key = h.app.kms.create_key(Default::default(), &[], true).await.unwrap();
    let encryption = s3cognito_service::objects::BucketEncryption {
        algorithm: "aws:kms".to_owned(),
        kms_key_id: Some(key.arn.clone()),
        bucket_key_enabled: false,
    };
    h.app.objects.put_bucket_encryption(&bucket, encryption).await.unwrap();
    assert_eq!(h.send(with_token(edge_put("ledger.jpg"), &alice)).await.status, 200);
    let named = h.app.kms.resolve(&key.arn).await.unwrap();
    let identity = identity_of(&h, "alice").await;
    let object_key = s3cognito_types::ObjectKey::parse(format!("private/{identity}/ledger.jpg")).unwrap();
    let info = h.app.objects.object(&bucket, &object_key, &Default::default()).await.unwrap();
    let uses = h.app.objects.kms_uses(&info).await.unwrap();
    assert_eq!(uses.iter().map(|used| used.key.arn()).collect::<Vec<_>>(), [key.arn.as_str()]);

    h.app.kms.disable_key(&named).await.unwrap();
    let refused = h.send(with_token(Call::get(&format!("{EDGE}/ledger.jpg")), &alice)).await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(refused.body["message"].as_str().unwrap().contains("disabled"), "{refused:?}");
    // Nor does the edge write under it.
    let refused = h.send(with_token(edge_put("more.jpg"), &alice)).await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(stored_keys(&h).await.len(), 1);
    h.app.kms.enable_key(&named).await.unwrap();
    let read = h.send(with_token(Call::get(&format!("{EDGE}/ledger.jpg")), &alice)).await;
    assert_eq!((read.status, read.body.clone()), (200, json!("bytes")));
}

#[tokio::test]
async fn uppy_multipart_routes_keep_uploads_to_their_owner() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    h.confirmed_user("bob").await;
    let alice = h.tokens("alice").await.access_token;
    let bob = h.tokens("bob").await.access_token;
    let identity = identity_of(&h, "alice").await;

    let create = Call::new(Method::POST, &format!("{PRESIGN}/s3/multipart"))
        .body(r#"{"filename":"big.bin","type":"application/octet-stream","metadata":{"name":"big.bin"}}"#);
    let created = h.send(with_token(create, &alice)).await;
    assert_eq!(created.status, 200, "{created:?}");
    let key = format!("private/{identity}/big.bin");
    assert_eq!(created.body["key"], json!(key));
    let upload_id = created.body["uploadId"].as_str().unwrap().to_owned();
    let encoded_key = key.replace(':', "%3A").replace('/', "%2F");

    let part = Call::get(&format!("{PRESIGN}/s3/multipart/{upload_id}/1?key={encoded_key}"));
    let signed = h.send(with_token(part.clone(), &alice)).await;
    assert_eq!(signed.status, 200, "{signed:?}");
    let url = signed.body["url"].as_str().unwrap();
    assert!(url.contains("partNumber=1") && url.contains(&format!("uploadId={upload_id}")), "{url}");
    assert_eq!(signed.body["expires"], json!(300));

    // Bob can neither sign parts of alice's upload nor list or end it.
    for call in [
        part.clone(),
        Call::get(&format!("{PRESIGN}/s3/multipart/{upload_id}?key={encoded_key}")),
        Call::delete(&format!("{PRESIGN}/s3/multipart/{upload_id}?key={encoded_key}")),
        Call::new(Method::POST, &format!("{PRESIGN}/s3/multipart/{upload_id}/complete?key={encoded_key}")).body(r#"{"parts":[]}"#),
    ] {
        let exchange = h.send(with_token(call, &bob)).await;
        assert_eq!(exchange.status, 403, "{exchange:?}");
    }
    // With a key of his own, alice's upload id names nothing.
    let bobs_identity = identity_of(&h, "bob").await;
    let bobs_key = format!("private/{bobs_identity}/big.bin").replace(':', "%3A").replace('/', "%2F");
    let exchange = h.send(with_token(Call::get(&format!("{PRESIGN}/s3/multipart/{upload_id}/1?key={bobs_key}")), &bob)).await;
    assert_eq!(exchange.status, 404);

    let listed = h.send(with_token(Call::get(&format!("{PRESIGN}/s3/multipart/{upload_id}?key={encoded_key}")), &alice)).await;
    assert_eq!((listed.status, listed.body.clone()), (200, json!([])));
    let bad_part = h.send(with_token(Call::get(&format!("{PRESIGN}/s3/multipart/{upload_id}/10001?key={encoded_key}")), &alice)).await;
    assert_eq!(bad_part.status, 400);
    let aborted = h.send(with_token(Call::delete(&format!("{PRESIGN}/s3/multipart/{upload_id}?key={encoded_key}")), &alice)).await;
    assert_eq!((aborted.status, aborted.body.clone()), (200, json!({})));
    let gone = h.send(with_token(part, &alice)).await;
    assert_eq!(gone.status, 404);

    let params = h.send(with_token(Call::get(&format!("{PRESIGN}/s3/params?filename=small.txt&type=text%2Fplain")), &alice)).await;
    assert_eq!(params.status, 200, "{params:?}");
    assert_eq!((params.body["method"].clone(), params.body["headers"].clone()), (json!("PUT"), json!({"Content-Type": "text/plain"})));
}

#[tokio::test]
async fn uploads_with_identity_credentials_record_jobs_and_uploads_elsewhere_do_not() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let identity = identity_of(&h, "alice").await;
    let key = h.temporary_key("alice").await;
    let signing = crate::Signing { key, ..h.signing("s3") };
    let path = format!("/{}/private/{identity}/notes.txt", crate::BUCKET);
    let stored = h.send(Call::put(&path, b"mine".to_vec()).header("content-type", "text/plain").sign(&signing)).await;
    assert_eq!(stored.status, 200, "{stored:?}");
    // The account's own upload outside any namespace is no one's job.
    let public = h.send(h.signed(Call::put(&format!("/{}/public/readme.txt", crate::BUCKET), b"all".to_vec()), "s3")).await;
    assert_eq!(public.status, 200);

    let token = h.tokens("alice").await.access_token;
    let user = h.app.uploads.authenticate(&token, &[s3cognito_crypto::jwt::TokenUse::Access]).await.unwrap();
    let (jobs, _) = h.app.uploads.jobs(&user, None, None).await.unwrap();
    let shown: Vec<_> = jobs.iter().map(|job| (job.user.as_str(), job.file_key.as_str(), job.status.as_str(), job.route.as_str())).collect();
    assert_eq!(shown, [("alice", "notes.txt", "Done", "s3")]);
    let everyone = s3cognito_service::uploads::PoolUser { admin: true, ..user };
    assert_eq!(h.app.uploads.jobs(&everyone, None, None).await.unwrap().0.len(), 1, "the public upload recorded nothing");
}
