//! Managed policies, their versions and attachments, and IAM users with their access keys: the store's
//! contract on every engine, limits held under concurrent callers.

use s3cognito_meta::*;

use super::identity::role;
use super::{futures_join, stores};

const ADDED: Capped<()> = Capped::Added(());

fn iam_user(name: &str) -> IamUserRecord {
    IamUserRecord {
        name: name.to_owned(),
        user_id: format!("AIDA{}", name.to_uppercase()),
        path: "/".to_owned(),
        arn: format!("arn:aws:iam::123456789012:user/{name}"),
        created_at: 1,
    }
}

fn key(id: &str, user: &str) -> AccessKeyRecord {
    AccessKeyRecord {
        access_key_id: id.to_owned(),
        secret_access_key: String::new(),
        principal: format!("user/{user}"),
        created_at: 2,
        user_name_key: Some(user.to_lowercase()),
        sealed_secret: Some("sealed".to_owned()),
        status: "Active".to_owned(),
    }
}

fn policy(name: &str) -> ManagedPolicyRecord {
    ManagedPolicyRecord {
        arn: format!("arn:aws:iam::123456789012:policy/{name}"),
        name: name.to_owned(),
        policy_id: format!("ANPA{}", name.to_uppercase()),
        path: "/".to_owned(),
        description: None,
        default_version: "v1".to_owned(),
        next_version: 2,
        created_at: 1,
        updated_at: 1,
    }
}

#[tokio::test]
async fn users_are_unique_ignoring_case_and_deleted_only_when_nothing_hangs_on_them() {
    for (engine, store, _dir) in stores().await {
        store.insert_iam_user(&iam_user("Backend")).await.unwrap();
        assert!(matches!(store.insert_iam_user(&iam_user("backend")).await, Err(MetaError::Conflict)), "{engine}");
        assert_eq!(store.iam_user("BACKEND").await.unwrap().unwrap().name, "Backend", "{engine}");
        store.insert_iam_user(&iam_user("alpha")).await.unwrap();
        let names: Vec<String> = store.iam_users(None, 10).await.unwrap().into_iter().map(|user| user.name).collect();
        assert_eq!(names, ["alpha", "Backend"], "{engine}: by name, ignoring case");
        let after: Vec<String> = store.iam_users(Some("alpha"), 10).await.unwrap().into_iter().map(|user| user.name).collect();
        assert_eq!(after, ["Backend"], "{engine}");

        store.put_user_policy("backend", "read", "{\"v\":1}").await.unwrap();
        store.put_user_policy("Backend", "read", "{\"v\":2}").await.unwrap();
        assert_eq!(store.user_policies("BACKEND").await.unwrap(), [("read".to_owned(), "{\"v\":2}".to_owned())], "{engine}: replaced");

        // Two keys a user, even when many try at once.
        let attempts = (0..4).map(|n| {
            let store = store.clone();
            async move { store.insert_user_access_key(&key(&format!("AKIARACE{n}"), "Backend"), 2).await }
        });
        let added = futures_join(attempts.collect()).await.into_iter().filter(|added| added.as_ref().unwrap() == &Capped::Added(())).count();
        assert_eq!(added, 2, "{engine}: two of four racing keys");
        let keys = store.user_access_keys("backend").await.unwrap();
        assert_eq!(keys.len(), 2, "{engine}");
        let first = keys[0].access_key_id.clone();
        assert!(store.set_access_key_status("backend", &first, "Inactive").await.unwrap(), "{engine}");
        assert_eq!(store.access_key(&first).await.unwrap().unwrap().status, "Inactive", "{engine}");
        assert!(!store.set_access_key_status("alpha", &first, "Active").await.unwrap(), "{engine}: another user's key");

        let managed = policy("read-reports");
        store.insert_managed_policy(&managed, "{\"v\":1}").await.unwrap();
        assert!(store.attach_policy(&managed.arn, AttachedTo::User, "BACKEND", 10).await.unwrap() == ADDED, "{engine}");

        assert_eq!(store.delete_iam_user("backend").await.unwrap(), IamDeletion::InUse, "{engine}: keys");
        for key in store.user_access_keys("backend").await.unwrap() {
            assert!(store.delete_user_access_key("backend", &key.access_key_id).await.unwrap(), "{engine}");
        }
        assert_eq!(store.access_key(&first).await.unwrap(), None, "{engine}: the key is gone");
        assert_eq!(store.delete_iam_user("backend").await.unwrap(), IamDeletion::InUse, "{engine}: inline policy");
        assert!(store.delete_user_policy("backend", "read").await.unwrap(), "{engine}");
        assert_eq!(store.delete_iam_user("backend").await.unwrap(), IamDeletion::InUse, "{engine}: attached policy");
        assert!(store.detach_policy(&managed.arn, AttachedTo::User, "backend").await.unwrap(), "{engine}");
        assert_eq!(store.delete_iam_user("Backend").await.unwrap(), IamDeletion::Deleted, "{engine}");
        assert_eq!(store.delete_iam_user("Backend").await.unwrap(), IamDeletion::NotFound, "{engine}");
    }
}

#[tokio::test]
async fn a_policys_default_version_is_what_its_attachments_carry() {
    for (engine, store, _dir) in stores().await {
        let managed = policy("reports");
        store.insert_managed_policy(&managed, "{\"v\":1}").await.unwrap();
        assert!(matches!(store.insert_managed_policy(&managed, "{}").await, Err(MetaError::Conflict)), "{engine}");
        store.insert_role(&role("Reader")).await.unwrap();
        assert_eq!(store.attach_policy(&managed.arn, AttachedTo::Role, "Reader", 10).await.unwrap(), ADDED, "{engine}");
        assert_eq!(store.attach_policy(&managed.arn, AttachedTo::Role, "reader", 10).await.unwrap(), ADDED, "{engine}: again is once");
        assert_eq!(store.attachment_count(&managed.arn).await.unwrap(), 1, "{engine}");
        let in_force = |documents: Vec<(String, String)>| documents.into_iter().map(|(_, document)| document).collect::<Vec<_>>();
        assert_eq!(in_force(store.attached_policy_documents(AttachedTo::Role, "READER").await.unwrap()), ["{\"v\":1}"], "{engine}");

        // Versions are numbered from the row, also when created at once; five at most.
        let attempts = (0..6).map(|n| {
            let store = store.clone();
            let arn = managed.arn.clone();
            async move { store.insert_policy_version(&arn, &format!("{{\"v\":{}}}", n + 2), false, 5, 3).await }
        });
        let mut created: Vec<String> = futures_join(attempts.collect())
            .await
            .into_iter()
            .filter_map(|made| match made.unwrap() {
                Capped::Added(version) => Some(version),
                _ => None,
            })
            .collect();
        created.sort();
        assert_eq!(created, ["v2", "v3", "v4", "v5"], "{engine}: four more, then the limit");
        assert_eq!(store.policy_versions(&managed.arn).await.unwrap().len(), 5, "{engine}");
        assert_eq!(store.insert_policy_version(&managed.arn, "{}", true, 5, 4).await.unwrap(), Capped::Full, "{engine}");
        let nowhere = store.insert_policy_version("arn:aws:iam::123456789012:policy/none", "{}", true, 5, 4).await.unwrap();
        assert_eq!(nowhere, Capped::Missing, "{engine}");

        assert!(store.set_default_policy_version(&managed.arn, "v3", 5).await.unwrap(), "{engine}");
        let v3 = store.policy_version(&managed.arn, "v3").await.unwrap().unwrap().document;
        assert_eq!(in_force(store.attached_policy_documents(AttachedTo::Role, "reader").await.unwrap()), [v3], "{engine}");
        assert!(!store.set_default_policy_version(&managed.arn, "v9", 5).await.unwrap(), "{engine}: no such version");
        assert_eq!(store.delete_policy_version(&managed.arn, "v3").await.unwrap(), IamDeletion::InUse, "{engine}: the default");
        assert_eq!(store.delete_policy_version(&managed.arn, "v1").await.unwrap(), IamDeletion::Deleted, "{engine}");
        assert_eq!(store.delete_policy_version(&managed.arn, "v1").await.unwrap(), IamDeletion::NotFound, "{engine}");
        let made = store.insert_policy_version(&managed.arn, "{\"v\":7}", true, 5, 6).await.unwrap();
        assert_eq!(made, Capped::Added("v6".to_owned()), "{engine}: numbers are not reused");
        assert_eq!(store.managed_policy(&managed.arn).await.unwrap().unwrap().default_version, "v6", "{engine}");
        assert_eq!(in_force(store.attached_policy_documents(AttachedTo::Role, "reader").await.unwrap()), ["{\"v\":7}"], "{engine}");

        let listed = |attached_only| {
            let store = store.clone();
            async move { store.managed_policies(None, 10, attached_only).await.unwrap().into_iter().map(|p| p.name).collect::<Vec<_>>() }
        };
        store.insert_managed_policy(&policy("unused"), "{}").await.unwrap();
        assert_eq!(listed(false).await, ["reports", "unused"], "{engine}");
        assert_eq!(listed(true).await, ["reports"], "{engine}: only attached");

        assert_eq!(store.delete_managed_policy(&managed.arn).await.unwrap(), IamDeletion::InUse, "{engine}: attached");
        assert!(store.detach_policy(&managed.arn, AttachedTo::Role, "reader").await.unwrap(), "{engine}");
        assert!(!store.detach_policy(&managed.arn, AttachedTo::Role, "reader").await.unwrap(), "{engine}: not attached");
        assert_eq!(store.delete_managed_policy(&managed.arn).await.unwrap(), IamDeletion::InUse, "{engine}: versions left");
        for version in store.policy_versions(&managed.arn).await.unwrap() {
            if version.version_id != "v6" {
                store.delete_policy_version(&managed.arn, &version.version_id).await.unwrap();
            }
        }
        assert_eq!(store.delete_managed_policy(&managed.arn).await.unwrap(), IamDeletion::Deleted, "{engine}");
        assert_eq!(store.managed_policy(&managed.arn).await.unwrap(), None, "{engine}");
    }
}

#[tokio::test]
async fn at_most_the_limit_of_policies_is_attached_to_one_entity() {
    for (engine, store, _dir) in stores().await {
        for n in 0..6 {
            store.insert_managed_policy(&policy(&format!("p{n}")), "{}").await.unwrap();
        }
        store.insert_iam_user(&iam_user("worker")).await.unwrap();
        store.insert_role(&role("worker")).await.unwrap();
        let attach = |n: usize, to: AttachedTo| {
            let store = store.clone();
            async move { store.attach_policy(&policy(&format!("p{n}")).arn, to, "Worker", 3).await.unwrap() }
        };
        let racing = futures_join((0..6).map(|n| attach(n, AttachedTo::User)).collect()).await;
        assert_eq!(racing.iter().filter(|attached| **attached == ADDED).count(), 3, "{engine}: three of six racing");
        assert!(racing.iter().all(|attached| *attached == ADDED || *attached == Capped::Full), "{engine}");
        let attached = store.attached_policies(AttachedTo::User, "worker").await.unwrap();
        assert_eq!(attached.len(), 3, "{engine}");
        assert_eq!(attach(attached.len(), AttachedTo::Role).await, ADDED, "{engine}: a role of that name is another entity");
        let again = attached[0].name.trim_start_matches('p').parse().unwrap();
        assert_eq!(attach(again, AttachedTo::User).await, ADDED, "{engine}: one attached already");
        assert!(store.has_attachments(AttachedTo::Role, "worker").await.unwrap(), "{engine}");
        let missing = store.attach_policy(&policy("p0").arn, AttachedTo::User, "nobody", 3).await.unwrap();
        assert_eq!(missing, Capped::Missing, "{engine}");
        let key = store.insert_user_access_key(&key("AKIANOBODY", "nobody"), 2).await.unwrap();
        assert_eq!(key, Capped::Missing, "{engine}");
    }
}
