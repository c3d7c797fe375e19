use s3cognito_meta::*;

use super::{object, stores};

fn event(id: &str, at: i64, event: &str, outcome: &str, principal: &str) -> AuditEventRecord {
    AuditEventRecord {
        id: id.to_owned(),
        at,
        event: event.to_owned(),
        service: "s3".to_owned(),
        outcome: outcome.to_owned(),
        error_code: (outcome != "success").then(|| "AccessDenied".to_owned()),
        principal: principal.to_owned(),
        identity: principal.contains("assumed-role").then(|| "us-east-1:identity-of-carol".to_owned()),
        source: Some("192.0.2.7".to_owned()),
        resource: Some("bucket/private/key".to_owned()),
        via: "signature".to_owned(),
        request_id: format!("REQ{id}"),
    }
}

fn ids(events: &[AuditEventRecord]) -> Vec<&str> {
    events.iter().map(|event| event.id.as_str()).collect()
}

#[tokio::test]
async fn audit_events_list_newest_first_through_filters_and_pages() {
    for (engine, store, _dir) in stores().await {
        let role = "arn:aws:sts::123456789012:assumed-role/s3cognito-authenticated/CognitoIdentityCredentials";
        store
            .insert_audit_events(&[
                event("e1", 100, "InitiateAuth", "failure", "us-east-1_Pool/carol"),
                event("e2", 100, "InitiateAuth", "success", "us-east-1_Pool/carol"),
                event("e3", 150, "PutObject", "success", role),
                event("e4", 200, "GetObject", "denied", "arn:aws:iam::123456789012:root"),
                event("e5", 250, "InitiateAuth", "failure", "us-east-1_Pool/dave_100%"),
            ])
            .await
            .unwrap();
        // A batch written twice (a retried commit) keeps one copy of each event.
        store.insert_audit_events(&[event("e1", 100, "InitiateAuth", "failure", "us-east-1_Pool/carol")]).await.unwrap();

        let all = AuditFilter { limit: 100, ..AuditFilter::default() };
        assert_eq!(ids(&store.audit_events(&all).await.unwrap()), ["e5", "e4", "e3", "e2", "e1"], "{engine}");
        let read = store.audit_events(&AuditFilter { event: Some("PutObject".to_owned()), ..all.clone() }).await.unwrap();
        assert_eq!(read, [event("e3", 150, "PutObject", "success", role)], "{engine}: every field comes back");

        let by = |principal: &str| AuditFilter { principal: Some(principal.to_owned()), ..all.clone() };
        assert_eq!(ids(&store.audit_events(&by("carol")).await.unwrap()), ["e2", "e1"], "{engine}: a username");
        assert_eq!(ids(&store.audit_events(&by("us-east-1_Pool/carol")).await.unwrap()), ["e2", "e1"], "{engine}");
        assert_eq!(ids(&store.audit_events(&by("us-east-1:identity-of-carol")).await.unwrap()), ["e3"], "{engine}: an identity");
        assert_eq!(ids(&store.audit_events(&by("arn:aws:iam::123456789012:root")).await.unwrap()), ["e4"], "{engine}");
        assert_eq!(ids(&store.audit_events(&by("dave_100%")).await.unwrap()), ["e5"], "{engine}: LIKE's wildcards are literal");
        assert!(store.audit_events(&by("dave_1000")).await.unwrap().is_empty(), "{engine}");
        assert!(store.audit_events(&by("arol")).await.unwrap().is_empty(), "{engine}: whole segments only");

        let failures = AuditFilter { event: Some("InitiateAuth".to_owned()), outcome: Some("failure".to_owned()), ..all.clone() };
        assert_eq!(ids(&store.audit_events(&failures).await.unwrap()), ["e5", "e1"], "{engine}");
        let window = AuditFilter { since: Some(100), until: Some(200), ..all.clone() };
        assert_eq!(ids(&store.audit_events(&window).await.unwrap()), ["e3", "e2", "e1"], "{engine}");

        let page = AuditFilter { limit: 2, ..all.clone() };
        let first = store.audit_events(&page).await.unwrap();
        assert_eq!(ids(&first), ["e5", "e4"], "{engine}");
        let before = Some(AuditCursor { at: first[1].at, id: first[1].id.clone() });
        let second = store.audit_events(&AuditFilter { before, ..page.clone() }).await.unwrap();
        assert_eq!(ids(&second), ["e3", "e2"], "{engine}");
        let before = Some(AuditCursor { at: second[1].at, id: second[1].id.clone() });
        assert_eq!(ids(&store.audit_events(&AuditFilter { before, ..page }).await.unwrap()), ["e1"], "{engine}: within one second, by id");

        let counts = store.audit_event_counts(0, 100).await.unwrap();
        let count = |start: i64, name: &str, outcome: &str| {
            counts.iter().find(|c| c.start == start && c.event == name && c.outcome == outcome).map_or(0, |c| c.count)
        };
        assert_eq!(count(100, "InitiateAuth", "failure"), 1, "{engine}: {counts:?}");
        assert_eq!(count(100, "PutObject", "success"), 1, "{engine}: 150 falls in the interval from 100");
        assert_eq!(count(200, "InitiateAuth", "failure"), 1, "{engine}");
        assert!(store.audit_event_counts(300, 100).await.unwrap().is_empty(), "{engine}");

        assert_eq!(store.delete_audit_events_before(150).await.unwrap(), 2, "{engine}");
        assert_eq!(ids(&store.audit_events(&all).await.unwrap()), ["e5", "e4", "e3"], "{engine}");
    }
}

#[tokio::test]
async fn what_is_stored_adds_up_per_prefix_and_in_total() {
    for (engine, store, _dir) in stores().await {
        assert_eq!(store.stored_totals().await.unwrap(), StoredTotals::default(), "{engine}");
        store.ping().await.unwrap();
        store
            .insert_bucket(&BucketRecord { name: "bucket".to_owned(), owner: "root".to_owned(), cors: None, encryption: None, location: None, created_at: 1, versioning: None })
            .await
            .unwrap();
        let objects = [("private/aaaa/one", 10), ("private/aaaa/two", 20), ("private/bbbb/big", 500), ("public/x", 7)];
        for (index, (key, size)) in objects.into_iter().enumerate() {
            let blob = format!("blob{index}");
            store.insert_pending_blobs(std::slice::from_ref(&blob), 1).await.unwrap();
            store.put_object(&object("bucket", key, size, &blob), &[blob.clone()], |_| Vec::new()).await.unwrap();
        }
        let totals = store.stored_totals().await.unwrap();
        assert_eq!((totals.objects, totals.bytes, totals.multipart_uploads), (4, 537, 0), "{engine}");
        let largest = store.largest_prefixes("bucket", "private/", 13, 10).await.unwrap();
        assert_eq!(
            largest,
            [
                PrefixUsage { prefix: "private/bbbb/".to_owned(), objects: 1, bytes: 500 },
                PrefixUsage { prefix: "private/aaaa/".to_owned(), objects: 2, bytes: 30 },
            ],
            "{engine}"
        );
        assert_eq!(store.largest_prefixes("bucket", "private/", 13, 1).await.unwrap().len(), 1, "{engine}");
        assert!(store.kms_key_states().await.unwrap().is_empty(), "{engine}");
    }
}
