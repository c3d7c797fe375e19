//! cognito-identity's operations (AWS JSON 1.1, `AWSCognitoIdentityService.*`): GetId and
//! GetCredentialsForIdentity for anyone holding a login token; pool administration SigV4-signed.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use s3cognito_service::access::Principal;
use s3cognito_service::identity::{IdentityPoolConfig, IdentityPoolView, IdentityView, RoleMapping};
use serde_json::{Value, json};

use crate::HttpState;
use crate::aws_json::RawRequest;
use crate::error::ApiError;
use crate::input::Input;

/// Operations that carry their own proof (a login token), unsigned as the SDKs send them.
const PUBLIC_OPERATIONS: &[&str] = &["GetId", "GetCredentialsForIdentity", "GetOpenIdToken"];

const ADMIN_OPERATIONS: &[&str] = &[
    "CreateIdentityPool",
    "DescribeIdentityPool",
    "ListIdentityPools",
    "UpdateIdentityPool",
    "DeleteIdentityPool",
    "SetIdentityPoolRoles",
    "GetIdentityPoolRoles",
    "ListIdentities",
    "DescribeIdentity",
];

fn pool_json(pool: &IdentityPoolView) -> Value {
    let mut value = serde_json::to_value(&pool.config).unwrap_or_else(|_| json!({}));
    if let Value::Object(members) = &mut value {
        members.remove("Roles");
        members.remove("RoleMappings");
        members.retain(|_, member| !member.is_null());
        members.insert("IdentityPoolId".to_owned(), json!(pool.id));
        members.insert("IdentityPoolName".to_owned(), json!(pool.name));
    }
    value
}

fn identity_json(identity: &IdentityView) -> Value {
    json!({
        "IdentityId": identity.identity_id,
        "Logins": identity.logins,
        "CreationDate": identity.created_at,
        "LastModifiedDate": identity.updated_at,
    })
}

fn pool_config(input: &Input) -> Result<IdentityPoolConfig, ApiError> {
    let config: IdentityPoolConfig = input.structure()?;
    if input.opt_bool("AllowUnauthenticatedIdentities")?.is_none() {
        return Err(ApiError::invalid_parameter(
            "1 validation error detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null",
        ));
    }
    Ok(config)
}

fn max_results(input: &Input) -> Result<i64, ApiError> {
    input.opt_i64("MaxResults")?.ok_or_else(|| {
        ApiError::invalid_parameter(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
        )
    })
}

async fn authorize(state: &HttpState, principal: &Principal, operation: &str, input: &Input) -> Result<(), ApiError> {
    let resource = match input.opt_string("IdentityPoolId")? {
        Some(pool) => format!(
            "arn:aws:cognito-identity:{}:{}:identitypool/{pool}",
            state.app.region,
            state.app.identity.settings().account_id
        ),
        None => "*".to_owned(),
    };
    state.app.identity.authorize(principal, &format!("cognito-identity:{operation}"), &resource, &[]).await?;
    Ok(())
}

pub(crate) async fn handle(state: &HttpState, operation: &str, request: &RawRequest) -> Result<Value, ApiError> {
    let public = PUBLIC_OPERATIONS.contains(&operation);
    if !public && !ADMIN_OPERATIONS.contains(&operation) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Unknown operation {operation}"),
        ));
    }
    let input = Input::parse(&request.body)?;
    if !public {
        let principal = state.app.access.authenticate(&request.signed(), "cognito-identity").await.map_err(|error| {
            ApiError::from(s3cognito_service::ServiceError::Authentication(error))
        })?;
        authorize(state, &principal, operation, &input).await?;
    }
    let identity = &state.app.identity;
    match operation {
        "GetId" => {
            let id = identity.get_id(&input.string("IdentityPoolId")?, &input.string_map("Logins")?).await?;
            Ok(json!({"IdentityId": id}))
        }
        "GetCredentialsForIdentity" => {
            let identity_id = input.string("IdentityId")?;
            let credentials = identity
                .get_credentials_for_identity(
                    &identity_id,
                    &input.string_map("Logins")?,
                    input.opt_string("CustomRoleArn")?.as_deref(),
                )
                .await?;
            Ok(json!({
                "IdentityId": identity_id,
                "Credentials": {
                    "AccessKeyId": credentials.access_key_id,
                    "SecretKey": credentials.secret_access_key,
                    "SessionToken": credentials.session_token,
                    "Expiration": credentials.expiration,
                },
            }))
        }
        "GetOpenIdToken" => {
            let identity_id = input.string("IdentityId")?;
            let token = identity.get_open_id_token(&identity_id, &input.string_map("Logins")?).await?;
            Ok(json!({"IdentityId": identity_id, "Token": token}))
        }
        "CreateIdentityPool" => {
            let pool = identity.create_identity_pool(&input.string("IdentityPoolName")?, pool_config(&input)?).await?;
            Ok(pool_json(&pool))
        }
        "DescribeIdentityPool" => Ok(pool_json(&identity.describe_identity_pool(&input.string("IdentityPoolId")?).await?)),
        "ListIdentityPools" => {
            let (pools, next) =
                identity.list_identity_pools(input.opt_string("NextToken")?.as_deref(), max_results(&input)?).await?;
            let items: Vec<Value> = pools
                .iter()
                .map(|pool| json!({"IdentityPoolId": pool.id, "IdentityPoolName": pool.name}))
                .collect();
            let mut answer = json!({"IdentityPools": items});
            if let Some(next) = next {
                answer["NextToken"] = json!(next);
            }
            Ok(answer)
        }
        "UpdateIdentityPool" => {
            let pool = identity
                .update_identity_pool(&input.string("IdentityPoolId")?, &input.string("IdentityPoolName")?, pool_config(&input)?)
                .await?;
            Ok(pool_json(&pool))
        }
        "DeleteIdentityPool" => {
            identity.delete_identity_pool(&input.string("IdentityPoolId")?).await?;
            Ok(json!({}))
        }
        "SetIdentityPoolRoles" => {
            let roles = input.string_map("Roles")?;
            let mappings: BTreeMap<String, RoleMapping> = input.typed("RoleMappings")?.unwrap_or_default();
            identity.set_identity_pool_roles(&input.string("IdentityPoolId")?, roles, mappings).await?;
            Ok(json!({}))
        }
        "GetIdentityPoolRoles" => {
            let pool = identity.describe_identity_pool(&input.string("IdentityPoolId")?).await?;
            let mut answer = json!({"IdentityPoolId": pool.id, "Roles": pool.config.roles});
            if !pool.config.role_mappings.is_empty() {
                let mut mappings = serde_json::to_value(&pool.config.role_mappings).unwrap_or_else(|_| json!({}));
                strip_nulls(&mut mappings);
                answer["RoleMappings"] = mappings;
            }
            Ok(answer)
        }
        "ListIdentities" => {
            let pool_id = input.string("IdentityPoolId")?;
            let (identities, next) =
                identity.list_identities(&pool_id, input.opt_string("NextToken")?.as_deref(), max_results(&input)?).await?;
            let mut answer = json!({
                "IdentityPoolId": pool_id,
                "Identities": identities.iter().map(identity_json).collect::<Vec<_>>(),
            });
            if let Some(next) = next {
                answer["NextToken"] = json!(next);
            }
            Ok(answer)
        }
        "DescribeIdentity" => Ok(identity_json(&identity.describe_identity(&input.string("IdentityId")?).await?)),
        _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "UnknownOperationException", format!("Unknown operation {operation}"))),
    }
}

fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}
