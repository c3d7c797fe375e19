//! KMS keys in the store, on every engine: versions, rotation races, aliases, tags and deletion.

use s3cognito_meta::*;

use super::stores;

fn key(key_id: &str) -> KmsKeyRecord {
    KmsKeyRecord {
        key_id: key_id.to_owned(),
        arn: format!("arn:aws:kms:us-east-1:123456789012:key/{key_id}"),
        description: "a key".to_owned(),
        key_usage: "ENCRYPT_DECRYPT".to_owned(),
        key_spec: "SYMMETRIC_DEFAULT".to_owned(),
        origin: "AWS_KMS".to_owned(),
        state: "Enabled".to_owned(),
        policy: "{}".to_owned(),
        current_version: 1,
        rotation_period_days: None,
        next_rotation_at: None,
        deletion_at: None,
        created_at: 10,
        updated_at: 10,
    }
}

fn version(key_id: &str, version: i64, rotation_type: Option<&str>) -> KmsKeyVersionRecord {
    KmsKeyVersionRecord {
        key_id: key_id.to_owned(),
        version,
        sealed_material: format!("sealed-{version}"),
        rotation_type: rotation_type.map(str::to_owned),
        created_at: 10 + version,
    }
}

#[tokio::test]
async fn keys_keep_their_versions_aliases_and_tags_until_deleted() {
    for (engine, store, _dir) in stores().await {
        let tags = vec![("team".to_owned(), "ops".to_owned())];
        store.insert_kms_key(&key("k1"), &version("k1", 1, None), &tags).await.unwrap();
        store.insert_kms_key(&key("k2"), &version("k2", 1, None), &[]).await.unwrap();
        assert!(matches!(store.insert_kms_key(&key("k1"), &version("k1", 1, None), &[]).await, Err(MetaError::Conflict)), "{engine}");
        assert_eq!(store.kms_key("k1").await.unwrap(), Some(key("k1")), "{engine}");
        let ids: Vec<String> = store.list_kms_keys(None, 10).await.unwrap().into_iter().map(|key| key.key_id).collect();
        assert_eq!(ids, ["k1", "k2"], "{engine}");
        assert_eq!(store.list_kms_keys(Some("k1"), 10).await.unwrap().len(), 1, "{engine}");

        // Two rotations from the same version: one wins, the other changes nothing.
        assert!(store.rotate_kms_key(&version("k1", 2, Some("ON_DEMAND")), 1, None).await.unwrap(), "{engine}");
        assert!(!store.rotate_kms_key(&version("k1", 2, Some("ON_DEMAND")), 1, None).await.unwrap(), "{engine}");
        assert_eq!(store.kms_key("k1").await.unwrap().unwrap().current_version, 2, "{engine}");
        assert_eq!(store.kms_key_versions("k1").await.unwrap().len(), 2, "{engine}");
        assert_eq!(store.kms_key_version("k1", 1).await.unwrap(), Some(version("k1", 1, None)), "{engine}");

        // With automatic rotation on, a rotation moves the next one on.
        assert!(store.set_kms_key_rotation("k1", Some(90), Some(500), 20).await.unwrap(), "{engine}");
        assert!(store.rotate_kms_key(&version("k1", 3, Some("AUTOMATIC")), 2, Some(900)).await.unwrap(), "{engine}");
        let rotated = store.kms_key("k1").await.unwrap().unwrap();
        assert_eq!((rotated.rotation_period_days, rotated.next_rotation_at), (Some(90), Some(900)), "{engine}");

        assert!(store.set_kms_key_state("k1", "PendingDeletion", Some(100), 30).await.unwrap(), "{engine}");
        assert!(store.set_kms_key_policy("k1", "{\"Statement\": []}", 30).await.unwrap(), "{engine}");
        let changed = store.kms_key("k1").await.unwrap().unwrap();
        assert_eq!((changed.state.as_str(), changed.deletion_at, changed.policy.as_str()), ("PendingDeletion", Some(100), "{\"Statement\": []}"), "{engine}");
        assert_eq!(store.kms_keys_due_for_deletion(99).await.unwrap(), Vec::<String>::new(), "{engine}");
        assert_eq!(store.kms_keys_due_for_deletion(100).await.unwrap(), ["k1"], "{engine}");

        let alias = KmsAliasRecord { name: "alias/one".to_owned(), key_id: "k1".to_owned(), created_at: 5, updated_at: 5 };
        store.insert_kms_alias(&alias).await.unwrap();
        assert!(matches!(store.insert_kms_alias(&alias).await, Err(MetaError::Conflict)), "{engine}");
        store.insert_kms_alias(&KmsAliasRecord { name: "alias/two".to_owned(), ..alias.clone() }).await.unwrap();
        assert_eq!(store.list_kms_aliases(Some("k1"), None, 10).await.unwrap().len(), 2, "{engine}");
        assert_eq!(store.list_kms_aliases(None, Some("alias/one"), 10).await.unwrap().len(), 1, "{engine}");
        assert!(store.update_kms_alias("alias/two", "k2", 6).await.unwrap(), "{engine}");
        assert_eq!(store.kms_alias("alias/two").await.unwrap().unwrap().key_id, "k2", "{engine}");
        assert!(!store.update_kms_alias("alias/none", "k2", 6).await.unwrap(), "{engine}");

        store.put_kms_tags("k1", &[("team".to_owned(), "security".to_owned()), ("cost".to_owned(), "42".to_owned())]).await.unwrap();
        assert_eq!(
            store.kms_tags("k1").await.unwrap(),
            [("cost".to_owned(), "42".to_owned()), ("team".to_owned(), "security".to_owned())],
            "{engine}: a tag put again takes the new value"
        );
        store.delete_kms_tags("k1", &["cost".to_owned()]).await.unwrap();
        assert_eq!(store.kms_tags("k1").await.unwrap().len(), 1, "{engine}");

        assert!(store.delete_kms_key("k1").await.unwrap(), "{engine}");
        assert_eq!(store.kms_key("k1").await.unwrap(), None, "{engine}");
        assert!(store.kms_key_versions("k1").await.unwrap().is_empty(), "{engine}");
        assert!(store.kms_tags("k1").await.unwrap().is_empty(), "{engine}");
        assert_eq!(store.kms_alias("alias/one").await.unwrap(), None, "{engine}: the key's aliases go with it");
        assert!(store.kms_alias("alias/two").await.unwrap().is_some(), "{engine}: another key's stay");
        assert!(!store.delete_kms_key("k1").await.unwrap(), "{engine}");
    }
}
