//! The audit log's writer and retention, and what the use cases note on the request being served.

use std::sync::Arc;

use s3cognito_meta::AuditFilter;
use s3cognito_service::activity::{self, Notable, RequestRecord, Via};
use s3cognito_service::audit::{AuditEvent, AuditSettings};

use crate::{Harness, PASSWORD};

fn event(name: &str, principal: &str) -> AuditEvent {
    AuditEvent {
        event: name.to_owned(),
        service: "s3".to_owned(),
        outcome: "success".to_owned(),
        error_code: None,
        principal: principal.to_owned(),
        identity: None,
        source: Some("192.0.2.1".to_owned()),
        resource: None,
        via: "signature".to_owned(),
        request_id: "0123456789ABCDEF".to_owned(),
    }
}

fn all() -> AuditFilter {
    AuditFilter { limit: 1000, ..AuditFilter::default() }
}

#[tokio::test]
async fn events_are_written_in_order_and_removed_past_their_retention() {
    let h = Harness::new().await;
    let app = h.app.clone().with_audit_settings(AuditSettings { enabled: true, retention_seconds: 86_400 });
    for index in 0..600 {
        app.audit.record(event(&format!("PutObject{index}"), "root"));
    }
    app.audit.flush().await;
    let written = app.audit.list(&all()).await.unwrap();
    assert_eq!(written.len(), 600, "more than one batch, every event written");
    assert_eq!(written.first().map(|recorded| recorded.event.event.as_str()), Some("PutObject599"), "newest first");
    assert!(written.iter().all(|event| event.at == crate::START));

    h.clock.advance(86_400 + 1);
    app.audit.record(event("GetObject", "root"));
    app.audit.flush().await;
    assert_eq!(app.audit.sweep().await.unwrap(), 600, "a day later the first events are past their retention");
    let kept = app.audit.list(&all()).await.unwrap();
    assert_eq!(kept.iter().map(|recorded| recorded.event.event.as_str()).collect::<Vec<_>>(), ["GetObject"]);
}

#[tokio::test]
async fn a_log_turned_off_keeps_nothing() {
    let h = Harness::new().await;
    let app = h.app.clone().with_audit_settings(AuditSettings { enabled: false, ..AuditSettings::default() });
    app.audit.record(event("PutObject", "root"));
    app.audit.flush().await;
    assert!(app.audit.list(&all()).await.unwrap().is_empty());
}

#[tokio::test]
async fn sign_ins_note_the_user_they_name_and_a_lockout() {
    let h = Harness::new().await;
    h.confirmed_user("carol").await;
    let record = Arc::new(RequestRecord::new(None));
    activity::scope(record.clone(), async {
        for _ in 0..5 {
            assert!(h.password_auth("carol", "Wrong-password-1").await.is_err());
        }
    })
    .await;
    let details = record.details();
    assert_eq!(details.principal, Some(format!("{}/carol", h.pool)));
    assert_eq!(details.via, Via::Password);
    assert_eq!(details.notable, [Notable::UserLockedOut], "the fifth failure locks the user out");

    let record = Arc::new(RequestRecord::new(None));
    h.clock.advance(3600);
    activity::scope(record.clone(), async {
        assert!(h.password_auth("carol", PASSWORD).await.is_ok());
    })
    .await;
    assert!(record.details().notable.is_empty());
}
