//! KMS's operations (AWS JSON 1.1, `TrentService.*`), every one SigV4-signed. Each finds the key the
//! request names, has the caller authorized against the key policy and its IAM policies together, then
//! calls one use case; errors carry the codes KMS gives them.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use s3cognito_service::ServiceError;
use s3cognito_service::access::Principal;
use s3cognito_service::authorization::{Caller, Resource};
use s3cognito_service::kms::{KeyView, KmsRefusal, NamedKey, NewKey};
use s3cognito_types::operation::Kms as Op;
use serde_json::{Value, json};

use crate::HttpState;
use crate::error::{ApiError, invalid_member_message};
use crate::input::{Input, camel};

type Answer = Result<Value, ApiError>;

/// The only algorithm of symmetric keys.
const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";
/// The largest ciphertext blob KMS takes.
const MAX_CIPHERTEXT: usize = 6144;

/// A use case's failure with the code KMS gives it; whatever KMS has no code of its own for keeps the
/// JSON protocols' common one.
pub(crate) fn kms_error(error: ServiceError) -> ApiError {
    use ServiceError as E;
    let bad = StatusCode::BAD_REQUEST;
    let code = match &error {
        E::NotFound(_) => "NotFoundException",
        E::AlreadyExists(_) => "AlreadyExistsException",
        E::MalformedPolicy(_) => "MalformedPolicyDocumentException",
        E::Invalid(_) => "ValidationException",
        E::InvalidMember(invalid) => return ApiError::new(bad, "ValidationException", invalid_member_message(invalid)),
        E::AccessDenied(_) => "AccessDeniedException",
        E::QuotaExceeded(_) => "LimitExceededException",
        E::Internal(_) => {
            let mut answer = ApiError::from(error);
            answer.code = "KMSInternalException";
            return answer;
        }
        E::Kms(refusal) => match refusal {
            KmsRefusal::Disabled(_) => "DisabledException",
            KmsRefusal::InvalidState(_) => "KMSInvalidStateException",
            KmsRefusal::InvalidCiphertext => "InvalidCiphertextException",
            KmsRefusal::IncorrectKey => "IncorrectKeyException",
            KmsRefusal::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            KmsRefusal::InvalidAliasName(_) => "InvalidAliasNameException",
            KmsRefusal::Tag(_) => "TagException",
        },
        _ => return ApiError::from(error),
    };
    ApiError::new(bad, code, error.to_string())
}

/// A member's reading error in KMS's words: KMS reports every invalid member as `ValidationException`.
fn validation(error: ApiError) -> ApiError {
    if error.code == "InvalidParameterException" { ApiError::new(error.status, "ValidationException", error.message) } else { error }
}

fn required(input: &Input, name: &str) -> Result<String, ApiError> {
    input.string(name).map_err(validation)
}

fn optional(input: &Input, name: &str) -> Result<Option<String>, ApiError> {
    input.opt_string(name).map_err(validation)
}

/// A base64 blob member, with its length bounds.
fn bytes_member(input: &Input, name: &str, max: usize) -> Result<Vec<u8>, ApiError> {
    let text = required(input, name)?;
    let bytes = STANDARD.decode(text.as_bytes()).map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "ValidationException", format!("{name} is not valid base64.")))?;
    if bytes.is_empty() || bytes.len() > max {
        let member = camel(name);
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            format!("1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"),
        ));
    }
    Ok(bytes)
}

fn context(input: &Input, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
    input.string_map(name).map_err(validation)
}

/// Symmetric keys have one algorithm; naming another is refused as KMS refuses it.
fn check_algorithm(input: &Input, name: &str) -> Result<(), ApiError> {
    match optional(input, name)? {
        Some(algorithm) if algorithm != SYMMETRIC_DEFAULT => Err(kms_error(
            KmsRefusal::InvalidKeyUsage(format!("The encryption algorithm {algorithm} is not compatible with the key.")).into(),
        )),
        _ => Ok(()),
    }
}

fn limit(input: &Input, default: i64, max: i64) -> Result<i64, ApiError> {
    match input.opt_i64("Limit").map_err(validation)? {
        None => Ok(default),
        Some(limit) if (1..=max).contains(&limit) => Ok(limit),
        Some(limit) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            format!("1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to {max} and greater than or equal to 1"),
        )),
    }
}

fn tags_member(input: &Input) -> Result<Vec<(String, String)>, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Tag {
        tag_key: String,
        tag_value: String,
    }
    let tags: Vec<Tag> = input.typed("Tags").map_err(validation)?.unwrap_or_default();
    Ok(tags.into_iter().map(|tag| (tag.tag_key, tag.tag_value)).collect())
}

fn key_metadata(key: &KeyView) -> Value {
    let mut metadata = json!({
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.created_at,
        "Enabled": key.state == s3cognito_service::kms::KeyState::Enabled,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state.as_str(),
        "Origin": key.origin,
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "EncryptionAlgorithms": [SYMMETRIC_DEFAULT],
        "MultiRegion": false,
    });
    if let Some(at) = key.deletion_at {
        metadata["DeletionDate"] = json!(at);
    }
    metadata
}

fn paged(mut answer: Value, next: Option<String>) -> Value {
    answer["Truncated"] = json!(next.is_some());
    if let Some(next) = next {
        answer["NextMarker"] = json!(next);
    }
    answer
}

/// The one caller of a KMS request, always signed.
struct Call<'a> {
    state: &'a HttpState,
    principal: &'a Principal,
    input: &'a Input,
}

impl Call<'_> {
    /// The key `member` names, which the caller must be allowed `action` on; `context` is the encryption
    /// context the request binds, for the policies' `kms:EncryptionContext:` conditions.
    async fn key(&self, member: &str, action: &'static str, context: Option<&BTreeMap<String, String>>) -> Result<NamedKey, ApiError> {
        let key = self.state.app.kms.resolve(&required(self.input, member)?).await.map_err(kms_error)?;
        self.allow(&key, action, context).await?;
        Ok(key)
    }

    async fn allow(&self, key: &NamedKey, action: &'static str, context: Option<&BTreeMap<String, String>>) -> Result<(), ApiError> {
        s3cognito_service::activity::note_resource(key.arn());
        let access = self.state.app.kms.access(key, context).await.map_err(kms_error)?;
        self.state.app.authorizer.authorize_key(self.principal, action, &access).await.map_err(kms_error)
    }

    /// An operation on no key in particular, decided by the caller's IAM policies alone.
    async fn allow_any(&self, operation: Op, resource: &Resource<'_>) -> Result<(), ApiError> {
        self.state.app.authorizer.authorize(Caller::Signed(self.principal), operation.into(), resource).await.map_err(kms_error)
    }

    fn caller_arns(&self) -> Vec<String> {
        self.state.app.authorizer.principal_arns(self.principal)
    }
}

/// Runs one KMS operation for a signed caller.
pub(crate) async fn run(state: &HttpState, operation: Op, principal: &Principal, input: &Input) -> Answer {
    let call = Call { state, principal, input };
    let kms = &state.app.kms;
    let input = call.input;
    let action = operation.action();
    match operation {
        Op::CreateKey => {
            call.allow_any(operation, &Resource::Any).await?;
            let new = NewKey {
                description: optional(input, "Description")?,
                policy: optional(input, "Policy")?,
                key_usage: optional(input, "KeyUsage")?,
                key_spec: optional(input, "KeySpec")?.or(optional(input, "CustomerMasterKeySpec")?),
                origin: optional(input, "Origin")?,
                tags: tags_member(input)?,
                multi_region: input.opt_bool("MultiRegion").map_err(validation)?.unwrap_or(false),
            };
            let bypass = input.opt_bool("BypassPolicyLockoutSafetyCheck").map_err(validation)?.unwrap_or(false);
            let key = kms.create_key(new, &call.caller_arns(), bypass).await.map_err(kms_error)?;
            Ok(json!({"KeyMetadata": key_metadata(&key)}))
        }
        Op::DescribeKey => {
            let key = call.key("KeyId", action, None).await?;
            Ok(json!({"KeyMetadata": key_metadata(&kms.describe(&key))}))
        }
        Op::ListKeys => {
            call.allow_any(operation, &Resource::Any).await?;
            let (keys, next) = kms.list_keys(optional(input, "Marker")?.as_deref(), limit(input, 100, 1000)?).await.map_err(kms_error)?;
            let keys: Vec<Value> = keys.iter().map(|key| json!({"KeyId": key.key_id, "KeyArn": key.arn})).collect();
            Ok(paged(json!({"Keys": keys}), next))
        }
        Op::UpdateKeyDescription => {
            let key = call.key("KeyId", action, None).await?;
            kms.update_description(&key, &required(input, "Description")?).await.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::EnableKey | Op::DisableKey | Op::CancelKeyDeletion => {
            let key = call.key("KeyId", action, None).await?;
            let done = match operation {
                Op::EnableKey => kms.enable_key(&key).await,
                Op::DisableKey => kms.disable_key(&key).await,
                _ => kms.cancel_deletion(&key).await,
            };
            done.map_err(kms_error)?;
            Ok(if operation == Op::CancelKeyDeletion { json!({"KeyId": key.arn()}) } else { json!({}) })
        }
        Op::ScheduleKeyDeletion => {
            let key = call.key("KeyId", action, None).await?;
            let days = input.opt_i64("PendingWindowInDays").map_err(validation)?;
            let at = kms.schedule_deletion(&key, days).await.map_err(kms_error)?;
            Ok(json!({"KeyId": key.arn(), "DeletionDate": at, "KeyState": "PendingDeletion", "PendingWindowInDays": days.unwrap_or(30)}))
        }
        Op::CreateAlias | Op::UpdateAlias => {
            let name = required(input, "AliasName")?;
            s3cognito_service::kms::check_alias_name(&name).map_err(kms_error)?;
            call.allow_any(operation, &Resource::KmsAlias(&kms.alias_arn(&name))).await?;
            if operation == Op::UpdateAlias {
                // Moving an alias takes the permission on the key it leaves as well as the one it joins.
                let current = kms.alias_target(&name).await.map_err(kms_error)?;
                call.allow(&current, action, None).await?;
            }
            let target = call.key("TargetKeyId", action, None).await?;
            let done = if operation == Op::CreateAlias { kms.create_alias(&name, &target).await } else { kms.update_alias(&name, &target).await };
            done.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::DeleteAlias => {
            let name = required(input, "AliasName")?;
            call.allow_any(operation, &Resource::KmsAlias(&kms.alias_arn(&name))).await?;
            let target = kms.alias_target(&name).await.map_err(kms_error)?;
            call.allow(&target, action, None).await?;
            kms.delete_alias(&name).await.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::ListAliases => {
            call.allow_any(operation, &Resource::Any).await?;
            let key = match optional(input, "KeyId")? {
                Some(key_id) => Some(kms.resolve(&key_id).await.map_err(kms_error)?),
                None => None,
            };
            let (aliases, next) =
                kms.list_aliases(key.as_ref(), optional(input, "Marker")?.as_deref(), limit(input, 50, 100)?).await.map_err(kms_error)?;
            let aliases: Vec<Value> = aliases
                .iter()
                .map(|alias| {
                    json!({
                        "AliasName": alias.name,
                        "AliasArn": alias.arn,
                        "TargetKeyId": alias.key_id,
                        "CreationDate": alias.created_at,
                        "LastUpdatedDate": alias.updated_at,
                    })
                })
                .collect();
            Ok(paged(json!({"Aliases": aliases}), next))
        }
        Op::Encrypt => {
            check_algorithm(input, "EncryptionAlgorithm")?;
            let bound = context(input, "EncryptionContext")?;
            let key = call.key("KeyId", action, Some(&bound)).await?;
            let plaintext = bytes_member(input, "Plaintext", s3cognito_service::kms::MAX_PLAINTEXT)?;
            let blob = kms.encrypt(&key, &plaintext, &bound).await.map_err(kms_error)?;
            Ok(json!({"CiphertextBlob": STANDARD.encode(blob), "KeyId": key.arn(), "EncryptionAlgorithm": SYMMETRIC_DEFAULT}))
        }
        Op::Decrypt => {
            check_algorithm(input, "EncryptionAlgorithm")?;
            let bound = context(input, "EncryptionContext")?;
            let blob = bytes_member(input, "CiphertextBlob", MAX_CIPHERTEXT)?;
            let key = ciphertext_key(&call, &blob, optional(input, "KeyId")?, action, &bound).await?;
            let plaintext = kms.decrypt(&key, &blob, &bound).await.map_err(kms_error)?;
            Ok(json!({"KeyId": key.arn(), "Plaintext": STANDARD.encode(plaintext), "EncryptionAlgorithm": SYMMETRIC_DEFAULT}))
        }
        Op::ReEncrypt => {
            check_algorithm(input, "SourceEncryptionAlgorithm")?;
            check_algorithm(input, "DestinationEncryptionAlgorithm")?;
            let source_context = context(input, "SourceEncryptionContext")?;
            let destination_context = context(input, "DestinationEncryptionContext")?;
            let blob = bytes_member(input, "CiphertextBlob", MAX_CIPHERTEXT)?;
            let source = ciphertext_key(&call, &blob, optional(input, "SourceKeyId")?, "kms:ReEncryptFrom", &source_context).await?;
            let destination = call.key("DestinationKeyId", "kms:ReEncryptTo", Some(&destination_context)).await?;
            let plaintext = kms.decrypt(&source, &blob, &source_context).await.map_err(kms_error)?;
            let blob = kms.encrypt(&destination, &plaintext, &destination_context).await.map_err(kms_error)?;
            Ok(json!({
                "CiphertextBlob": STANDARD.encode(blob),
                "SourceKeyId": source.arn(),
                "KeyId": destination.arn(),
                "SourceEncryptionAlgorithm": SYMMETRIC_DEFAULT,
                "DestinationEncryptionAlgorithm": SYMMETRIC_DEFAULT,
            }))
        }
        Op::GenerateDataKey | Op::GenerateDataKeyWithoutPlaintext => {
            let bound = context(input, "EncryptionContext")?;
            let bytes = data_key_bytes(input)?;
            let key = call.key("KeyId", action, Some(&bound)).await?;
            let data_key = kms.generate_data_key(&key, bytes, &bound).await.map_err(kms_error)?;
            let mut answer = json!({"CiphertextBlob": STANDARD.encode(&data_key.ciphertext), "KeyId": key.arn()});
            if operation == Op::GenerateDataKey {
                answer["Plaintext"] = json!(STANDARD.encode(&data_key.plaintext));
            }
            Ok(answer)
        }
        Op::GenerateRandom => {
            call.allow_any(operation, &Resource::Any).await?;
            let bytes = input.opt_i64("NumberOfBytes").map_err(validation)?.ok_or_else(|| validation(ApiError::member_missing("NumberOfBytes")))?;
            let random = kms.generate_random(usize::try_from(bytes).unwrap_or(0)).map_err(kms_error)?;
            Ok(json!({"Plaintext": STANDARD.encode(random)}))
        }
        Op::EnableKeyRotation => {
            let key = call.key("KeyId", action, None).await?;
            kms.enable_rotation(&key, input.opt_i64("RotationPeriodInDays").map_err(validation)?).await.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::DisableKeyRotation => {
            let key = call.key("KeyId", action, None).await?;
            kms.disable_rotation(&key).await.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::GetKeyRotationStatus => {
            let key = call.key("KeyId", action, None).await?;
            let status = kms.rotation_status(&key).map_err(kms_error)?;
            let mut answer = json!({"KeyRotationEnabled": status.enabled, "KeyId": key.arn()});
            if let Some(days) = status.period_days {
                answer["RotationPeriodInDays"] = json!(days);
            }
            if let Some(at) = status.next_rotation_at {
                answer["NextRotationDate"] = json!(at);
            }
            Ok(answer)
        }
        Op::RotateKeyOnDemand => {
            let key = call.key("KeyId", action, None).await?;
            kms.rotate_on_demand(&key).await.map_err(kms_error)?;
            Ok(json!({"KeyId": key.arn()}))
        }
        Op::ListKeyRotations => {
            let key = call.key("KeyId", action, None).await?;
            let rotations: Vec<Value> = kms
                .rotations(&key)
                .await
                .map_err(kms_error)?
                .iter()
                .map(|rotation| json!({"KeyId": key.arn(), "RotationDate": rotation.rotated_at, "RotationType": rotation.rotation_type}))
                .collect();
            Ok(json!({"Rotations": rotations, "Truncated": false}))
        }
        Op::GetKeyPolicy => {
            let key = call.key("KeyId", action, None).await?;
            let name = optional(input, "PolicyName")?.unwrap_or_else(|| s3cognito_service::kms::POLICY_NAME.to_owned());
            let policy = kms.policy(&key, &name).map_err(kms_error)?;
            Ok(json!({"Policy": policy, "PolicyName": name}))
        }
        Op::PutKeyPolicy => {
            let key = call.key("KeyId", action, None).await?;
            let name = optional(input, "PolicyName")?.unwrap_or_else(|| s3cognito_service::kms::POLICY_NAME.to_owned());
            let bypass = input.opt_bool("BypassPolicyLockoutSafetyCheck").map_err(validation)?.unwrap_or(false);
            kms.put_policy(&key, &name, &required(input, "Policy")?, &call.caller_arns(), bypass).await.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::ListKeyPolicies => {
            call.key("KeyId", action, None).await?;
            Ok(json!({"PolicyNames": [s3cognito_service::kms::POLICY_NAME], "Truncated": false}))
        }
        Op::TagResource => {
            let key = call.key("KeyId", action, None).await?;
            kms.tag(&key, &tags_member(input)?).await.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::UntagResource => {
            let key = call.key("KeyId", action, None).await?;
            let names = input.opt_strings("TagKeys").map_err(validation)?.ok_or_else(|| validation(ApiError::member_missing("TagKeys")))?;
            kms.untag(&key, &names).await.map_err(kms_error)?;
            Ok(json!({}))
        }
        Op::ListResourceTags => {
            let key = call.key("KeyId", action, None).await?;
            let tags: Vec<Value> =
                kms.tags(&key).await.map_err(kms_error)?.into_iter().map(|(name, value)| json!({"TagKey": name, "TagValue": value})).collect();
            Ok(json!({"Tags": tags, "Truncated": false}))
        }
    }
}

/// The key a ciphertext names, checked against the key the request names when it names one, and
/// authorized for `action`.
async fn ciphertext_key(
    call: &Call<'_>,
    blob: &[u8],
    named: Option<String>,
    action: &'static str,
    bound: &BTreeMap<String, String>,
) -> Result<NamedKey, ApiError> {
    let kms = &call.state.app.kms;
    let key = kms.key_of_ciphertext(blob).await.map_err(kms_error)?;
    if let Some(named) = named {
        let asked = kms.resolve(&named).await.map_err(kms_error)?;
        if asked.key_id() != key.key_id() {
            return Err(kms_error(KmsRefusal::IncorrectKey.into()));
        }
        call.allow(&asked, action, Some(bound)).await?;
        return Ok(asked);
    }
    call.allow(&key, action, Some(bound)).await?;
    Ok(key)
}

/// A data key's length: `NumberOfBytes`, or `KeySpec` (`AES_256`, `AES_128`), exactly one of them.
fn data_key_bytes(input: &Input) -> Result<usize, ApiError> {
    let number = input.opt_i64("NumberOfBytes").map_err(validation)?;
    let spec = optional(input, "KeySpec")?;
    let invalid = |message: &str| ApiError::new(StatusCode::BAD_REQUEST, "ValidationException", message);
    match (number, spec.as_deref()) {
        (Some(_), Some(_)) => Err(invalid("Please specify either number of bytes or key spec, not both.")),
        (None, None) => Err(invalid("Please specify either number of bytes or key spec.")),
        (Some(number), None) => Ok(usize::try_from(number).unwrap_or(0)),
        (None, Some("AES_256")) => Ok(32),
        (None, Some("AES_128")) => Ok(16),
        (None, Some(other)) => Err(invalid(&format!(
            "1 validation error detected: Value '{other}' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"
        ))),
    }
}
