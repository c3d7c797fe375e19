//! KMS over the wire: keys and aliases answered by full ARN, ciphertext bound to its encryption context,
//! the states that refuse to work, rotation, and key policies decided together with IAM policies.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::{ACCOUNT_ID, Call, Exchange, Harness, Key, REGION, Signing};

fn kms_call(operation: &str, body: Value) -> Call {
    Call::json(&format!("TrentService.{operation}"), body)
}

/// A KMS call signed with `key`.
async fn kms_as(h: &Harness, key: &Key, operation: &str, body: Value) -> Exchange {
    let signing = Signing { key: key.clone(), ..h.signing("kms") };
    h.send(kms_call(operation, body).sign(&signing)).await
}

/// A KMS call with the account's own key, which must succeed; its answer.
async fn kms_ok(h: &Harness, operation: &str, body: Value) -> Value {
    let exchange = kms_as(h, &h.root(), operation, body).await;
    assert_eq!(exchange.status, 200, "{operation}: {}", exchange.body);
    exchange.body
}

/// The error code of a call that must fail.
fn code_of(exchange: &Exchange) -> String {
    assert_ne!(exchange.status, 200, "{}", exchange.body);
    assert_eq!(exchange.headers.get("x-amzn-errortype").map(String::as_str), exchange.body["__type"].as_str());
    exchange.body["__type"].as_str().unwrap_or_default().to_owned()
}

async fn refused(h: &Harness, operation: &str, body: Value) -> String {
    code_of(&kms_as(h, &h.root(), operation, body).await)
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn unb64(value: &Value) -> Vec<u8> {
    STANDARD.decode(value.as_str().expect("a base64 member")).unwrap()
}

async fn new_key(h: &Harness, description: &str) -> String {
    let created = kms_ok(h, "CreateKey", json!({"Description": description})).await;
    created["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn keys_encrypt_and_decrypt_bound_to_their_context_and_are_named_by_arn() {
    let h = Harness::new().await;
    let created = kms_ok(&h, "CreateKey", json!({"Description": "backups", "Tags": [{"TagKey": "team", "TagValue": "ops"}]})).await;
    let metadata = &created["KeyMetadata"];
    let key_id = metadata["KeyId"].as_str().unwrap().to_owned();
    let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{key_id}");
    assert_eq!(metadata["Arn"], json!(arn));
    assert_eq!((metadata["KeyState"].as_str(), metadata["Enabled"].as_bool()), (Some("Enabled"), Some(true)));
    assert_eq!(metadata["KeySpec"], "SYMMETRIC_DEFAULT");

    kms_ok(&h, "CreateAlias", json!({"AliasName": "alias/backups", "TargetKeyId": key_id})).await;
    assert_eq!(refused(&h, "CreateAlias", json!({"AliasName": "alias/backups", "TargetKeyId": key_id})).await, "AlreadyExistsException");
    assert_eq!(refused(&h, "CreateAlias", json!({"AliasName": "backups", "TargetKeyId": key_id})).await, "InvalidAliasNameException");
    for named in [key_id.clone(), arn.clone(), "alias/backups".to_owned(), format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/backups")] {
        let described = kms_ok(&h, "DescribeKey", json!({"KeyId": named})).await;
        assert_eq!(described["KeyMetadata"]["Arn"], json!(arn), "named {named}");
    }
    assert_eq!(refused(&h, "DescribeKey", json!({"KeyId": "alias/nothing-here"})).await, "NotFoundException");
    assert_eq!(refused(&h, "DescribeKey", json!({"KeyId": "not-a-key"})).await, "NotFoundException");

    let context = json!({"purpose": "backup", "owner": "alice"});
    let encrypted = kms_ok(&h, "Encrypt", json!({"KeyId": "alias/backups", "Plaintext": b64(b"the secret"), "EncryptionContext": context})).await;
    assert_eq!(encrypted["KeyId"], json!(arn), "answers name the key by ARN, whatever named it");
    let blob = encrypted["CiphertextBlob"].clone();
    let decrypted = kms_ok(&h, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": context})).await;
    assert_eq!((unb64(&decrypted["Plaintext"]), decrypted["KeyId"].clone()), (b"the secret".to_vec(), json!(arn)), "no key id needed");
    assert!(!String::from_utf8_lossy(&unb64(&blob)).contains("the secret"));

    // Another context, a changed byte anywhere past the key's name, another key named: refused.
    assert_eq!(refused(&h, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": {"purpose": "backup"}})).await, "InvalidCiphertextException");
    assert_eq!(refused(&h, "Decrypt", json!({"CiphertextBlob": blob})).await, "InvalidCiphertextException");
    let bytes = unb64(&blob);
    for index in [0, bytes.len() - 40, bytes.len() - 20, bytes.len() - 1] {
        let mut tampered = bytes.clone();
        tampered[index] ^= 0x01;
        let code = refused(&h, "Decrypt", json!({"CiphertextBlob": b64(&tampered), "EncryptionContext": context})).await;
        assert_eq!(code, "InvalidCiphertextException", "byte {index} changed");
    }
    let other = new_key(&h, "other").await;
    assert_eq!(refused(&h, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": context, "KeyId": other})).await, "IncorrectKeyException");
    let reencrypted = kms_ok(
        &h,
        "ReEncrypt",
        json!({"CiphertextBlob": blob, "SourceEncryptionContext": context, "DestinationKeyId": other}),
    )
    .await;
    let moved = kms_ok(&h, "Decrypt", json!({"CiphertextBlob": reencrypted["CiphertextBlob"]})).await;
    assert_eq!(unb64(&moved["Plaintext"]), b"the secret");
    assert_eq!(reencrypted["SourceKeyId"], json!(arn));

    // Data keys: the plaintext and the same under the key.
    let data_key = kms_ok(&h, "GenerateDataKey", json!({"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context})).await;
    let plaintext = unb64(&data_key["Plaintext"]);
    assert_eq!(plaintext.len(), 32);
    let opened = kms_ok(&h, "Decrypt", json!({"CiphertextBlob": data_key["CiphertextBlob"], "EncryptionContext": context})).await;
    assert_eq!(unb64(&opened["Plaintext"]), plaintext);
    let without = kms_ok(&h, "GenerateDataKeyWithoutPlaintext", json!({"KeyId": key_id, "NumberOfBytes": 64})).await;
    assert!(without.get("Plaintext").is_none());
    assert_eq!(refused(&h, "GenerateDataKey", json!({"KeyId": key_id})).await, "ValidationException");
    assert_eq!(refused(&h, "GenerateDataKey", json!({"KeyId": key_id, "NumberOfBytes": 2000})).await, "ValidationException");
    assert_eq!(unb64(&kms_ok(&h, "GenerateRandom", json!({"NumberOfBytes": 48})).await["Plaintext"]).len(), 48);
    assert_eq!(refused(&h, "Encrypt", json!({"KeyId": key_id, "Plaintext": b64(&[7; 4097])})).await, "ValidationException");

    let listed = kms_ok(&h, "ListKeys", json!({})).await;
    let arns: Vec<&str> = listed["Keys"].as_array().unwrap().iter().filter_map(|key| key["KeyArn"].as_str()).collect();
    assert!(arns.contains(&arn.as_str()), "{listed}");
    let aliases = kms_ok(&h, "ListAliases", json!({"KeyId": key_id})).await;
    assert_eq!(aliases["Aliases"][0]["AliasName"], "alias/backups");
    assert_eq!(aliases["Aliases"][0]["TargetKeyId"], json!(key_id));
    let tags = kms_ok(&h, "ListResourceTags", json!({"KeyId": key_id})).await;
    assert_eq!(tags["Tags"], json!([{"TagKey": "team", "TagValue": "ops"}]));
    kms_ok(&h, "UntagResource", json!({"KeyId": key_id, "TagKeys": ["team"]})).await;
    assert_eq!(kms_ok(&h, "ListResourceTags", json!({"KeyId": key_id})).await["Tags"], json!([]));
    kms_ok(&h, "UpdateAlias", json!({"AliasName": "alias/backups", "TargetKeyId": other})).await;
    assert_eq!(kms_ok(&h, "DescribeKey", json!({"KeyId": "alias/backups"})).await["KeyMetadata"]["KeyId"], json!(other));
    kms_ok(&h, "DeleteAlias", json!({"AliasName": "alias/backups"})).await;
    assert_eq!(refused(&h, "DescribeKey", json!({"KeyId": "alias/backups"})).await, "NotFoundException");
}

#[tokio::test]
async fn disabled_keys_and_keys_pending_deletion_refuse_to_work() {
    let h = Harness::new().await;
    let key_id = new_key(&h, "soon gone").await;
    let blob = kms_ok(&h, "Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"kept")})).await["CiphertextBlob"].clone();

    kms_ok(&h, "DisableKey", json!({"KeyId": key_id})).await;
    assert_eq!(kms_ok(&h, "DescribeKey", json!({"KeyId": key_id})).await["KeyMetadata"]["KeyState"], "Disabled");
    assert_eq!(refused(&h, "Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"x")})).await, "DisabledException");
    assert_eq!(refused(&h, "Decrypt", json!({"CiphertextBlob": blob})).await, "DisabledException");
    assert_eq!(refused(&h, "GenerateDataKey", json!({"KeyId": key_id, "NumberOfBytes": 32})).await, "DisabledException");
    kms_ok(&h, "EnableKey", json!({"KeyId": key_id})).await;
    assert_eq!(unb64(&kms_ok(&h, "Decrypt", json!({"CiphertextBlob": blob})).await["Plaintext"]), b"kept");

    assert_eq!(refused(&h, "ScheduleKeyDeletion", json!({"KeyId": key_id, "PendingWindowInDays": 3})).await, "ValidationException");
    let scheduled = kms_ok(&h, "ScheduleKeyDeletion", json!({"KeyId": key_id, "PendingWindowInDays": 7})).await;
    assert_eq!(scheduled["KeyState"], "PendingDeletion");
    assert_eq!(scheduled["DeletionDate"], json!(crate::START + 7 * 86_400));
    assert_eq!(refused(&h, "Decrypt", json!({"CiphertextBlob": blob})).await, "KMSInvalidStateException");
    assert_eq!(refused(&h, "EnableKey", json!({"KeyId": key_id})).await, "KMSInvalidStateException");
    assert_eq!(refused(&h, "CreateAlias", json!({"AliasName": "alias/late", "TargetKeyId": key_id})).await, "KMSInvalidStateException");
    kms_ok(&h, "CancelKeyDeletion", json!({"KeyId": key_id})).await;
    assert_eq!(kms_ok(&h, "DescribeKey", json!({"KeyId": key_id})).await["KeyMetadata"]["KeyState"], "Disabled", "left disabled");
    kms_ok(&h, "EnableKey", json!({"KeyId": key_id})).await;

    // Once its window has passed, the key and what it encrypted are gone for good.
    kms_ok(&h, "ScheduleKeyDeletion", json!({"KeyId": key_id, "PendingWindowInDays": 7})).await;
    h.clock.advance(7 * 86_400);
    assert_eq!(h.app.kms.sweep_deleted_keys().await.unwrap(), 1);
    assert_eq!(refused(&h, "DescribeKey", json!({"KeyId": key_id})).await, "NotFoundException");
    assert_eq!(refused(&h, "Decrypt", json!({"CiphertextBlob": blob})).await, "NotFoundException");
}

#[tokio::test]
async fn rotated_keys_encrypt_with_new_material_and_still_decrypt_the_old() {
    let h = Harness::new().await;
    let key_id = new_key(&h, "rotating").await;
    let before = kms_ok(&h, "Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"first")})).await["CiphertextBlob"].clone();
    let status = kms_ok(&h, "GetKeyRotationStatus", json!({"KeyId": key_id})).await;
    assert_eq!(status["KeyRotationEnabled"], false);

    kms_ok(&h, "RotateKeyOnDemand", json!({"KeyId": key_id})).await;
    let after = kms_ok(&h, "Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"second")})).await["CiphertextBlob"].clone();
    let version = |blob: &Value| {
        let bytes = unb64(blob);
        let arn_len = usize::from(u16::from_be_bytes([bytes[1], bytes[2]]));
        u32::from_be_bytes(bytes[3 + arn_len..7 + arn_len].try_into().unwrap())
    };
    assert_eq!((version(&before), version(&after)), (1, 2));
    assert_eq!(unb64(&kms_ok(&h, "Decrypt", json!({"CiphertextBlob": before})).await["Plaintext"]), b"first");
    assert_eq!(unb64(&kms_ok(&h, "Decrypt", json!({"CiphertextBlob": after})).await["Plaintext"]), b"second");

    // Automatic rotation: due a period after it is turned on, done at the next use.
    assert_eq!(refused(&h, "EnableKeyRotation", json!({"KeyId": key_id, "RotationPeriodInDays": 30})).await, "ValidationException");
    kms_ok(&h, "EnableKeyRotation", json!({"KeyId": key_id, "RotationPeriodInDays": 90})).await;
    let status = kms_ok(&h, "GetKeyRotationStatus", json!({"KeyId": key_id})).await;
    assert_eq!((status["KeyRotationEnabled"].clone(), status["RotationPeriodInDays"].clone()), (json!(true), json!(90)));
    assert_eq!(status["NextRotationDate"], json!(crate::START + 90 * 86_400));
    h.clock.advance(90 * 86_400);
    let later = kms_ok(&h, "Encrypt", json!({"KeyId": key_id, "Plaintext": b64(b"third")})).await["CiphertextBlob"].clone();
    assert_eq!(version(&later), 3);
    let rotations = kms_ok(&h, "ListKeyRotations", json!({"KeyId": key_id})).await;
    let types: Vec<&str> = rotations["Rotations"].as_array().unwrap().iter().filter_map(|rotation| rotation["RotationType"].as_str()).collect();
    assert_eq!(types, ["ON_DEMAND", "AUTOMATIC"]);
    for blob in [&before, &after, &later] {
        kms_ok(&h, "Decrypt", json!({"CiphertextBlob": blob})).await;
    }
}

/// The bootstrap role lets identity-pool users use the default key, through its alias, for data keys
/// and decryption, and nothing else; a key policy can grant a role directly, or deny it whatever IAM says.
#[tokio::test]
async fn key_policies_and_iam_policies_decide_together() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let user = h.temporary_key("alice").await;
    let default = kms_ok(&h, "DescribeKey", json!({"KeyId": "alias/s3cognito-default"})).await["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();

    let data_key = kms_as(&h, &user, "GenerateDataKey", json!({"KeyId": "alias/s3cognito-default", "NumberOfBytes": 32})).await;
    assert_eq!(data_key.status, 200, "{}", data_key.body);
    let opened = kms_as(&h, &user, "Decrypt", json!({"CiphertextBlob": data_key.body["CiphertextBlob"]})).await;
    assert_eq!(unb64(&opened.body["Plaintext"]), unb64(&data_key.body["Plaintext"]), "{}", opened.body);
    assert_eq!(kms_as(&h, &user, "GenerateDataKey", json!({"KeyId": default, "NumberOfBytes": 32})).await.status, 200, "by id too");
    assert_eq!(code_of(&kms_as(&h, &user, "DisableKey", json!({"KeyId": default})).await), "AccessDeniedException");
    assert_eq!(code_of(&kms_as(&h, &user, "CreateKey", json!({})).await), "AccessDeniedException");
    assert_eq!(code_of(&kms_as(&h, &user, "ListKeys", json!({})).await), "AccessDeniedException");

    // Another key with the default policy hands the decision to IAM, and the role's policy names only
    // the default key.
    let other = new_key(&h, "not for users").await;
    assert_eq!(code_of(&kms_as(&h, &user, "GenerateDataKey", json!({"KeyId": other, "NumberOfBytes": 32})).await), "AccessDeniedException");
    let role = format!("arn:aws:iam::{ACCOUNT_ID}:role/s3cognito-authenticated");
    let granting = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Users", "Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:Encrypt", "Resource": "*"}
    ]});
    kms_ok(&h, "PutKeyPolicy", json!({"KeyId": other, "PolicyName": "default", "Policy": granting.to_string()})).await;
    let encrypted = kms_as(&h, &user, "Encrypt", json!({"KeyId": other, "Plaintext": b64(b"hello")})).await;
    assert_eq!(encrypted.status, 200, "the key policy names the role: {}", encrypted.body);
    assert_eq!(code_of(&kms_as(&h, &user, "Decrypt", json!({"CiphertextBlob": encrypted.body["CiphertextBlob"]})).await), "AccessDeniedException");

    // A Deny in the key policy wins over the role's Allow.
    let denying = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT_ID}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "NoUserDecrypt", "Effect": "Deny", "Principal": {"AWS": role}, "Action": "kms:Decrypt", "Resource": "*"}
    ]});
    kms_ok(&h, "PutKeyPolicy", json!({"KeyId": default, "Policy": denying.to_string()})).await;
    assert_eq!(code_of(&kms_as(&h, &user, "Decrypt", json!({"CiphertextBlob": data_key.body["CiphertextBlob"]})).await), "AccessDeniedException");
    assert_eq!(kms_as(&h, &user, "GenerateDataKey", json!({"KeyId": "alias/s3cognito-default", "NumberOfBytes": 16})).await.status, 200);

    // A policy that would lock its setter out is refused unless asked to bypass the check.
    let lockout = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:Encrypt", "Resource": "*"}
    ]});
    assert_eq!(refused(&h, "PutKeyPolicy", json!({"KeyId": other, "Policy": lockout.to_string()})).await, "MalformedPolicyDocumentException");
    assert_eq!(refused(&h, "PutKeyPolicy", json!({"KeyId": other, "Policy": "{\"Statement\": 1}"})).await, "MalformedPolicyDocumentException");
    let policy = kms_ok(&h, "GetKeyPolicy", json!({"KeyId": other, "PolicyName": "default"})).await;
    assert_eq!(serde_json::from_str::<Value>(policy["Policy"].as_str().unwrap()).unwrap(), granting);
    assert_eq!(kms_ok(&h, "ListKeyPolicies", json!({"KeyId": other})).await["PolicyNames"], json!(["default"]));
}

#[tokio::test]
async fn unsigned_or_unknown_kms_calls_are_refused_as_kms_refuses_them() {
    let h = Harness::new().await;
    let unsigned = h.send(kms_call("ListKeys", json!({}))).await;
    assert_eq!(code_of(&unsigned), "MissingAuthenticationTokenException");
    let unknown = h.send(h.signed(kms_call("ImportKeyMaterial", json!({})), "kms")).await;
    assert_eq!(code_of(&unknown), "UnknownOperationException");
    assert_eq!(refused(&h, "DescribeKey", json!({})).await, "ValidationException");
    assert_eq!(refused(&h, "Decrypt", json!({"CiphertextBlob": b64(b"not a blob at all")})).await, "InvalidCiphertextException");
    assert_eq!(refused(&h, "CreateKey", json!({"KeyUsage": "SIGN_VERIFY"})).await, "InvalidKeyUsageException");
}
