//! A user's MFA settings and software-token secret as the store keeps them, on every engine.

use s3cognito_meta::*;

use super::{pool, stores, user};

#[tokio::test]
async fn a_users_software_token_is_kept_and_each_step_accepted_once() {
    for (engine, store, _dir) in stores().await {
        store.insert_user_pool(&pool("us-east-1_Mfa")).await.unwrap();
        store.insert_user(&user("us-east-1_Mfa", "carol")).await.unwrap();
        assert_eq!(store.user_mfa("us-east-1_Mfa", "carol").await.unwrap(), None, "{engine}");
        let record = UserMfaRecord {
            pool_id: "us-east-1_Mfa".to_owned(),
            username: "carol".to_owned(),
            totp_pending: Some("sealed-pending".to_owned()),
            updated_at: 5,
            ..UserMfaRecord::default()
        };
        store.put_user_mfa(&record).await.unwrap();
        assert_eq!(store.user_mfa("us-east-1_Mfa", "carol").await.unwrap().as_ref(), Some(&record), "{engine}");

        assert!(store.accept_totp_step("us-east-1_Mfa", "carol", 100).await.unwrap(), "{engine}");
        assert!(!store.accept_totp_step("us-east-1_Mfa", "carol", 100).await.unwrap(), "{engine}: the same step twice");
        assert!(!store.accept_totp_step("us-east-1_Mfa", "carol", 99).await.unwrap(), "{engine}: an earlier step");
        let racing = super::futures_join((0..4).map(|_| store.accept_totp_step("us-east-1_Mfa", "carol", 101)).collect()).await;
        assert_eq!(racing.into_iter().filter(|won| *won.as_ref().unwrap()).count(), 1, "{engine}: one of four racing wins");

        let verified = UserMfaRecord {
            totp_secret: Some("sealed".to_owned()),
            totp_pending: None,
            totp_enabled: true,
            totp_preferred: true,
            device_name: Some("phone".to_owned()),
            updated_at: 6,
            ..record.clone()
        };
        store.put_user_mfa(&verified).await.unwrap();
        let read = store.user_mfa("us-east-1_Mfa", "carol").await.unwrap().unwrap();
        assert_eq!(read, UserMfaRecord { last_step: 101, ..verified }, "{engine}: storing keeps the last accepted step");

        store.delete_user("us-east-1_Mfa", "carol").await.unwrap();
        assert_eq!(store.user_mfa("us-east-1_Mfa", "carol").await.unwrap(), None, "{engine}: gone with the user");
    }
}
