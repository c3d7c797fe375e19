//! The upload-job API on GraphQL in process: AppSync's answers for refused tokens and bad bodies, the
//! client's `createUploadJob` joining the job the server recorded, and each user seeing only their own.

use axum::http::Method;
use s3cognito_types::{GroupName, Username};
use serde_json::{Value, json};

use crate::{Call, Exchange, Harness, check_redacted};

const GRAPHQL: &str = "/_s3cognito/graphql";

/// A client's mutation text as it stands in its source.
const CREATE_UPLOAD_JOB: &str = "mutation CreateUploadJob($input: CreateUploadJob!) {
  createUploadJob(input: $input) {
    user
    objKey
    fileKey
    fileName
    status
    uploadedOn
  }
}
";

const LIST: &str = "query { listUploadJobs { items { id user objKey fileKey fileName status uploadedOn size } nextToken } }";

fn graphql(token: Option<&str>, body: Value) -> Call {
    let call = Call::new(Method::POST, GRAPHQL).header("content-type", "application/json").body(body.to_string());
    match token {
        Some(token) => call.header("authorization", token),
        None => call,
    }
}

fn errors(exchange: &Exchange) -> Vec<(String, String)> {
    exchange.body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| (error["errorType"].as_str().unwrap_or("").to_owned(), error["message"].as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn identity_of(h: &Harness, username: &str) -> String {
    let logins = h.logins(username).await;
    h.app.identity.get_id(crate::IDENTITY_POOL_ID, &logins).await.unwrap()
}

#[tokio::test]
async fn refused_tokens_and_bad_bodies_get_appsyncs_answers() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let tokens = h.tokens("alice").await;
    let missing = h.send(graphql(None, json!({"query": LIST})).header("origin", "https://app.example.com")).await;
    check_redacted("graphql_without_token", &missing, &[]);
    let garbage = h.send(graphql(Some("my-invalid-token"), json!({"query": LIST}))).await;
    assert_eq!((garbage.status, errors(&garbage)), (401, vec![("UnauthorizedException".to_owned(), "Valid authorization header not provided.".to_owned())]));

    for body in ["", "{", "[]", r#"{"variables":{}}"#] {
        let call = Call::new(Method::POST, GRAPHQL).header("authorization", &tokens.access_token).body(body);
        let exchange = h.send(call).await;
        assert_eq!(exchange.status, 400, "{body:?}");
        assert_eq!(errors(&exchange)[0].0, "MalformedHttpRequestException", "{body:?}");
    }
    // A body past the bound is refused, once the token is accepted; before, the token decides alone.
    let huge = json!({"query": LIST, "variables": {"padding": "x".repeat(2 << 20)}});
    let refused = h.send(graphql(Some(&tokens.access_token), huge.clone())).await;
    assert_eq!((refused.status, errors(&refused)[0].0.as_str()), (413, "MalformedHttpRequestException"));
    assert_eq!(h.send(graphql(Some("my-invalid-token"), huge)).await.status, 401);
    // A filter is tried on every job of a page, so it holds a bounded number of conditions.
    let filter = |conditions: usize| json!({"or": vec![json!({"status": {"eq": "Done"}}); conditions]});
    let listing = "query List($filter: ModelUploadJobFilterInput) { listUploadJobs(filter: $filter) { items { id } } }";
    let refused = h.send(graphql(Some(&tokens.access_token), json!({"query": listing, "variables": {"filter": filter(60)}}))).await;
    assert_eq!(errors(&refused), [("ValidationError".to_owned(), "A filter may hold at most 100 conditions.".to_owned())]);
    let allowed = h.send(graphql(Some(&tokens.access_token), json!({"query": listing, "variables": {"filter": filter(40)}}))).await;
    assert_eq!(allowed.body["errors"], Value::Null, "{allowed:?}");
    let syntax = h.send(graphql(Some(&tokens.access_token), json!({"query": "query { listUploadJobs { "}))).await;
    assert_eq!((syntax.status, errors(&syntax)[0].0.as_str()), (200, "ValidationError"), "{syntax:?}");
    let unknown = h.send(graphql(Some(&tokens.id_token), json!({"query": "query { nothing }"}))).await;
    assert_eq!((unknown.status, errors(&unknown)[0].0.as_str()), (200, "ValidationError"));

    let foreign = crate::gateway::other_pool_token(&h).await;
    let other_pool = h.send(graphql(Some(&foreign), json!({"query": LIST}))).await;
    assert_eq!(other_pool.status, 401, "a token of another pool");
    assert_eq!(other_pool.headers.get("x-amzn-errortype").map(String::as_str), Some("UnauthorizedException"));
    let mut tampered = tokens.access_token.clone().into_bytes();
    let middle = tampered.len() - 100;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = h.send(graphql(Some(&String::from_utf8(tampered).unwrap()), json!({"query": LIST}))).await;
    assert_eq!(tampered.status, 401, "a tampered signature");

    // A query nested past any real client's need is refused before it runs.
    let deep = format!("query {{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}", "ofType { ".repeat(12), " }".repeat(12));
    let refused = h.send(graphql(Some(&tokens.access_token), json!({"query": deep}))).await;
    assert_eq!((refused.status, errors(&refused)[0].0.as_str()), (200, "ValidationError"), "{refused:?}");
    assert!(errors(&refused)[0].1.contains("too deep"), "{refused:?}");
    // Many aliased full pages are refused as too complex; one full page is not.
    let aliased: String = (0..30).map(|n| format!("a{n}: listUploadJobs(limit: 1000) {{ items {{ id }} }} ")).collect();
    let refused = h.send(graphql(Some(&tokens.access_token), json!({"query": format!("query {{ {aliased} }}")}))).await;
    assert!(errors(&refused)[0].1.contains("complex"), "{refused:?}");
    let full = "query { listUploadJobs(limit: 1000) { items { id user objKey fileKey fileName status uploadedOn size etag contentType route identityId } nextToken } }";
    let page = h.send(graphql(Some(&tokens.access_token), json!({"query": full}))).await;
    assert_eq!(page.body["errors"], Value::Null, "{page:?}");
    // The schema, for code generators.
    let schema = h.send(Call::get("/_s3cognito/graphql/schema.graphql")).await;
    let text = schema.body.as_str().unwrap_or_default().to_owned();
    assert!(text.contains("createUploadJob(input: CreateUploadJob!): UploadJob!"), "{text}");

    h.app.user_pools.global_sign_out(&tokens.access_token).await.unwrap();
    let revoked = h.send(graphql(Some(&tokens.access_token), json!({"query": LIST}))).await;
    assert_eq!(revoked.status, 401, "signed out everywhere");
    let later = h.tokens("alice").await;
    h.clock.advance(3600);
    let expired = h.send(graphql(Some(&later.access_token), json!({"query": LIST}))).await;
    assert_eq!(expired.status, 401, "expired");
}

#[tokio::test]
async fn a_client_records_its_own_uploads_and_sees_only_its_own_jobs() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    h.confirmed_user("bob").await;
    let alice = h.tokens("alice").await.access_token;
    let bob = h.tokens("bob").await.access_token;
    let alice_identity = identity_of(&h, "alice").await;

    // The server records the upload through the edge; the client's mutation adds its fields to it.
    let stored = h.send(Call::put("/_s3cognito/upload/report.pdf", b"%PDF".to_vec()).header("authorization", &alice)).await;
    assert_eq!(stored.status, 200);
    let obj_key = format!("private/{alice_identity}/report.pdf");
    let input = json!({
        "user": "alice", "objKey": obj_key, "fileKey": "report.pdf", "fileName": "Quarterly report.pdf",
        "status": "Done", "uploadedOn": "2027-01-15T08:00:00.000Z",
    });
    let created = h.send(graphql(Some(&alice), json!({"query": CREATE_UPLOAD_JOB, "variables": {"input": input}}))).await;
    assert_eq!(created.status, 200, "{created:?}");
    assert_eq!(created.body, json!({"data": {"createUploadJob": {
        "user": "alice", "objKey": obj_key, "fileKey": "report.pdf", "fileName": "Quarterly report.pdf",
        "status": "Done", "uploadedOn": "2027-01-15T08:00:00.000Z",
    }}}));
    let listed = h.send(graphql(Some(&alice), json!({"query": LIST}))).await;
    let items = listed.body["data"]["listUploadJobs"]["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "one job per object: {items:?}");
    assert_eq!((items[0]["fileName"].clone(), items[0]["size"].clone()), (json!("Quarterly report.pdf"), json!(4.0)));
    let id = items[0]["id"].as_str().unwrap().to_owned();

    // Bob sees none of it and cannot record for alice, under his name or hers.
    let bobs = h.send(graphql(Some(&bob), json!({"query": LIST}))).await;
    assert_eq!(bobs.body["data"]["listUploadJobs"]["items"], json!([]));
    let get = format!("query {{ getUploadJob(id: \"{id}\") {{ id user }} }}");
    let peek = h.send(graphql(Some(&bob), json!({"query": get}))).await;
    assert_eq!(peek.body["data"], json!({"getUploadJob": null}));
    for input in [
        json!({"user": "alice", "objKey": obj_key}),
        json!({"user": "bob", "objKey": obj_key}),
        json!({"user": "bob", "objKey": "private/someone-else/x"}),
    ] {
        let refused = h.send(graphql(Some(&bob), json!({"query": CREATE_UPLOAD_JOB, "variables": {"input": input}}))).await;
        assert_eq!((refused.status, errors(&refused)[0].0.as_str()), (200, "Unauthorized"), "{refused:?}");
        assert_eq!(refused.body["data"], Value::Null);
    }
    let still = h.send(graphql(Some(&alice), json!({"query": LIST}))).await;
    assert_eq!(still.body["data"]["listUploadJobs"]["items"].as_array().unwrap().len(), 1, "nothing recorded for alice by bob");
    let own = h.send(graphql(Some(&alice), json!({"query": get}))).await;
    assert_eq!(own.body["data"]["getUploadJob"], json!({"id": id, "user": "alice"}));

    // A job for an object not uploaded yet is the client's own record.
    h.clock.advance(1);
    let bob_identity = identity_of(&h, "bob").await;
    let input = json!({"user": "bob", "objKey": format!("private/{bob_identity}/notes.txt"), "status": "Done"});
    let recorded = h.send(graphql(Some(&bob), json!({"query": CREATE_UPLOAD_JOB, "variables": {"input": input}}))).await;
    assert_eq!(recorded.body["data"]["createUploadJob"]["fileKey"], json!("notes.txt"));

    // Members of the administrators group (made at bootstrap) see everyone's jobs, in pages.
    let pool = h.pool();
    let group = GroupName::parse("administrators").unwrap();
    h.app.user_pools.admin_add_user_to_group(&pool, &Username::parse("alice").unwrap(), &group).await.unwrap();
    let admin = h.tokens("alice").await.access_token;
    let page = "query { listUploadJobs(limit: 1) { items { user } nextToken } }";
    let first = h.send(graphql(Some(&admin), json!({"query": page}))).await;
    let token = first.body["data"]["listUploadJobs"]["nextToken"].as_str().unwrap().to_owned();
    let next = format!("query {{ listUploadJobs(limit: 1, nextToken: \"{token}\") {{ items {{ user }} nextToken }} }}");
    let second = h.send(graphql(Some(&admin), json!({"query": next}))).await;
    let users = [&first, &second].map(|page| page.body["data"]["listUploadJobs"]["items"][0]["user"].clone());
    assert_eq!(users, [json!("alice"), json!("bob")]);
    assert_eq!(second.body["data"]["listUploadJobs"]["nextToken"], Value::Null);
    let filtered = h.send(graphql(Some(&admin), json!({"query": "query { listUploadJobs(filter: {user: {eq: \"bob\"}}) { items { user } } }"}))).await;
    assert_eq!(filtered.body["data"]["listUploadJobs"]["items"], json!([{"user": "bob"}]));
}

/// Upload jobs recorded on request are a budget per user and hour, shared by the presign API and
/// `createUploadJob`: past it nothing more is recorded until the hour is over; other users go on.
#[tokio::test]
async fn jobs_recorded_on_request_are_bounded_per_user_and_hour() {
    use s3cognito_service::limits::{JOB_LIMIT, RateLimits};
    let h = Harness::with_limits(RateLimits { user_job_records_per_hour: 2, ..RateLimits::default() }).await;
    h.confirmed_user("alice").await;
    h.confirmed_user("bob").await;
    let alice = h.tokens("alice").await.access_token;
    let bob = h.tokens("bob").await.access_token;
    let alice_identity = identity_of(&h, "alice").await;
    let presign = |name: &str, token: &str| Call::get(&format!("/_s3cognito/presign?name={name}&method=PUT")).header("authorization", token);
    let record = |name: &str, token: &str| {
        let input = json!({"user": "alice", "objKey": format!("private/{alice_identity}/{name}"), "status": "Done"});
        graphql(Some(token), json!({"query": CREATE_UPLOAD_JOB, "variables": {"input": input}}))
    };
    assert_eq!(h.send(presign("a.png", &alice)).await.status, 200);
    let created = h.send(record("b.txt", &alice)).await;
    assert_eq!(created.body["errors"], Value::Null, "{created:?}");

    // The third is refused on either route, and nothing is recorded.
    let refused = h.send(presign("c.png", &alice)).await;
    assert_eq!((refused.status, refused.body["message"].clone()), (429, json!(JOB_LIMIT)), "{refused:?}");
    let refused = h.send(record("c.txt", &alice)).await;
    assert_eq!(errors(&refused), [("LimitExceededException".to_owned(), JOB_LIMIT.to_owned())]);
    let listed = h.send(graphql(Some(&alice), json!({"query": LIST}))).await;
    assert_eq!(listed.body["data"]["listUploadJobs"]["items"].as_array().map(Vec::len), Some(2), "{listed:?}");
    assert_eq!(h.send(presign("a.png", &bob)).await.status, 200, "another user's budget is their own");

    h.clock.advance(3600);
    let alice = h.tokens("alice").await.access_token;
    assert_eq!(h.send(presign("c.png", &alice)).await.status, 200, "a new hour, a new budget");
}
