//! The identity tables' contract on every engine: identity pools and identities, IAM roles and their
//! policies, OpenID Connect providers, temporary credentials.

use s3cognito_meta::*;

use crate::stores;

fn identity_pool(id: &str) -> IdentityPoolRecord {
    IdentityPoolRecord { id: id.to_owned(), name: "pool".to_owned(), config: "{}".to_owned(), created_at: 1, updated_at: 1 }
}

fn identity(id: &str, pool_id: &str, login_key: Option<&str>) -> IdentityRecord {
    IdentityRecord {
        identity_id: id.to_owned(),
        pool_id: pool_id.to_owned(),
        login_key: login_key.map(str::to_owned),
        logins: "[]".to_owned(),
        created_at: 1,
        updated_at: 1,
    }
}

pub(super) fn role(name: &str) -> RoleRecord {
    RoleRecord {
        name: name.to_owned(),
        role_id: format!("AROA{}", name.to_uppercase()),
        path: "/".to_owned(),
        arn: format!("arn:aws:iam::123456789012:role/{name}"),
        trust_policy: "{}".to_owned(),
        description: None,
        max_session_duration: 3600,
        created_at: 1,
    }
}

fn session(access_key_id: &str, source: Option<&str>, expires_at: i64) -> SessionCredentialRecord {
    SessionCredentialRecord {
        access_key_id: access_key_id.to_owned(),
        sealed_secret: "sealed".to_owned(),
        session_token_hash: "digest".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        session_name: "s".to_owned(),
        context: "{}".to_owned(),
        source: source.map(str::to_owned),
        revoked: false,
        expires_at,
        created_at: 1,
    }
}

#[tokio::test]
async fn one_identity_per_login_and_many_unauthenticated() {
    for (engine, store, _dir) in stores().await {
        store.insert_identity_pool(&identity_pool("p1")).await.unwrap();
        assert!(matches!(store.insert_identity_pool(&identity_pool("p1")).await, Err(MetaError::Conflict)), "{engine}");
        store.insert_identity(&identity("i1", "p1", Some("provider|alice"))).await.unwrap();
        let duplicate = store.insert_identity(&identity("i2", "p1", Some("provider|alice"))).await;
        assert!(matches!(duplicate, Err(MetaError::Conflict)), "{engine}: one identity per login");
        // Unauthenticated identities have no login; any number of them may exist.
        store.insert_identity(&identity("i3", "p1", None)).await.unwrap();
        store.insert_identity(&identity("i4", "p1", None)).await.unwrap();
        let found = store.identity_by_login("p1", "provider|alice").await.unwrap().map(|record| record.identity_id);
        assert_eq!(found.as_deref(), Some("i1"), "{engine}");
        let page: Vec<String> = store.identities("p1", None, 2).await.unwrap().into_iter().map(|i| i.identity_id).collect();
        assert_eq!(page, ["i1", "i3"], "{engine}");
        let next: Vec<String> =
            store.identities("p1", Some("i3"), 2).await.unwrap().into_iter().map(|i| i.identity_id).collect();
        assert_eq!(next, ["i4"], "{engine}");
        assert!(store.delete_identity_pool("p1").await.unwrap(), "{engine}");
        assert_eq!(store.identity("i1").await.unwrap(), None, "{engine}: identities go with their pool");
    }
}

#[tokio::test]
async fn role_names_ignore_case_and_roles_with_policies_stay() {
    for (engine, store, _dir) in stores().await {
        store.insert_role(&role("Readers")).await.unwrap();
        assert!(matches!(store.insert_role(&role("readers")).await, Err(MetaError::Conflict)), "{engine}");
        assert_eq!(store.role("READERS").await.unwrap().map(|r| r.name).as_deref(), Some("Readers"), "{engine}");
        store.put_role_policy("readers", "b", "{\"v\":1}").await.unwrap();
        store.put_role_policy("Readers", "a", "{}").await.unwrap();
        store.put_role_policy("Readers", "b", "{\"v\":2}").await.unwrap();
        assert_eq!(
            store.role_policies("Readers").await.unwrap(),
            vec![("a".to_owned(), "{}".to_owned()), ("b".to_owned(), "{\"v\":2}".to_owned())],
            "{engine}: replaced in place, listed by name"
        );
        assert!(matches!(store.delete_role("Readers").await, Err(MetaError::Conflict)), "{engine}");
        assert!(store.delete_role_policy("Readers", "a").await.unwrap(), "{engine}");
        assert!(store.delete_role_policy("Readers", "b").await.unwrap(), "{engine}");
        assert!(!store.delete_role_policy("Readers", "b").await.unwrap(), "{engine}");
        assert!(store.delete_role("readers").await.unwrap(), "{engine}");
        assert!(!store.delete_role("readers").await.unwrap(), "{engine}");
        for name in ["c", "a", "b"] {
            store.insert_role(&role(name)).await.unwrap();
        }
        let names: Vec<String> = store.roles(Some("a"), 10).await.unwrap().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["b", "c"], "{engine}");
    }
}

#[tokio::test]
async fn temporary_credentials_end_with_their_user_or_their_time() {
    for (engine, store, _dir) in stores().await {
        store.insert_session_credentials(&session("ASIA1", Some("pool|alice"), 100)).await.unwrap();
        store.insert_session_credentials(&session("ASIA2", Some("pool|alice"), 200)).await.unwrap();
        store.insert_session_credentials(&session("ASIA3", Some("pool|bob"), 50)).await.unwrap();
        store.insert_session_credentials(&session("ASIA4", None, 300)).await.unwrap();
        assert_eq!(store.session_credentials("ASIA1").await.unwrap(), Some(session("ASIA1", Some("pool|alice"), 100)), "{engine}");
        assert_eq!(store.revoke_session_credentials_of("pool|alice").await.unwrap(), 2, "{engine}");
        assert_eq!(store.revoke_session_credentials_of("pool|alice").await.unwrap(), 0, "{engine}: once");
        let revoked = store.session_credentials("ASIA2").await.unwrap().unwrap();
        assert!(revoked.revoked, "{engine}: kept, marked revoked");
        assert!(!store.session_credentials("ASIA3").await.unwrap().unwrap().revoked, "{engine}: others untouched");
        assert_eq!(store.delete_expired_session_credentials(50).await.unwrap(), 0, "{engine}: not before the instant");
        assert_eq!(store.delete_expired_session_credentials(51).await.unwrap(), 1, "{engine}");
        assert!(store.session_credentials("ASIA4").await.unwrap().is_some(), "{engine}");
    }
}

#[tokio::test]
async fn oidc_providers_are_unique_by_url() {
    for (engine, store, _dir) in stores().await {
        let provider = OidcProviderRecord {
            arn: "arn:aws:iam::123456789012:oidc-provider/issuer.example".to_owned(),
            url: "https://issuer.example".to_owned(),
            client_ids: "[\"app\"]".to_owned(),
            thumbprints: "[]".to_owned(),
            jwks_url: None,
            created_at: 1,
        };
        store.insert_oidc_provider(&provider).await.unwrap();
        assert!(matches!(store.insert_oidc_provider(&provider).await, Err(MetaError::Conflict)), "{engine}");
        assert_eq!(store.oidc_provider_by_url("https://issuer.example").await.unwrap(), Some(provider.clone()), "{engine}");
        assert_eq!(store.oidc_providers().await.unwrap(), vec![provider.clone()], "{engine}");
        assert!(store.delete_oidc_provider(&provider.arn).await.unwrap(), "{engine}");
        assert_eq!(store.oidc_provider(&provider.arn).await.unwrap(), None, "{engine}");
    }
}
