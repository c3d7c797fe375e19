//! cognito-identity's operations (AWS JSON 1.1, `AWSCognitoIdentityService.*`): GetId and
//! GetCredentialsForIdentity for anyone holding a login token; pool administration SigV4-signed
//! (decided with the operation in `aws_json::dispatch`).

mod wire;

use std::collections::BTreeMap;

use s3cognito_service::identity::{Identity, IdentityPoolView, IdentityView};
use s3cognito_types::operation::CognitoIdentity as Op;
use serde_json::{Value, json};

use crate::HttpState;
use crate::error::ApiError;
use crate::input::Input;

fn pool_json(pool: &IdentityPoolView) -> Value {
    serde_json::to_value(wire::PoolAnswer::from(pool)).unwrap_or_else(|_| json!({}))
}

fn identity_json(identity: &IdentityView) -> Value {
    json!({
        "IdentityId": identity.identity_id,
        "Logins": identity.logins,
        "CreationDate": identity.created_at,
        "LastModifiedDate": identity.updated_at,
    })
}

/// The pool settings of CreateIdentityPool and UpdateIdentityPool, as sent.
fn pool_config(input: &Input) -> Result<wire::IdentityPoolConfig, ApiError> {
    let config: wire::IdentityPoolConfig = input.structure()?;
    if input.opt_bool("AllowUnauthenticatedIdentities")?.is_none() {
        return Err(ApiError::member_missing("allowUnauthenticatedIdentities"));
    }
    Ok(config)
}

fn max_results(input: &Input) -> Result<i64, ApiError> {
    input.opt_i64("MaxResults")?.ok_or_else(|| ApiError::member_missing("maxResults"))
}

type Answer = Result<Value, ApiError>;

/// Runs one operation, already authorized.
pub(crate) async fn run(state: &HttpState, operation: Op, input: &Input) -> Answer {
    let identity = &state.app.identity;
    match operation {
        Op::GetId => get_id(identity, input).await,
        Op::GetCredentialsForIdentity => get_credentials_for_identity(identity, input).await,
        Op::GetOpenIdToken => get_open_id_token(identity, input).await,
        Op::CreateIdentityPool => create_identity_pool(identity, input).await,
        Op::DescribeIdentityPool => describe_identity_pool(identity, input).await,
        Op::ListIdentityPools => list_identity_pools(identity, input).await,
        Op::UpdateIdentityPool => update_identity_pool(identity, input).await,
        Op::DeleteIdentityPool => delete_identity_pool(identity, input).await,
        Op::SetIdentityPoolRoles => set_identity_pool_roles(identity, input).await,
        Op::GetIdentityPoolRoles => get_identity_pool_roles(identity, input).await,
        Op::ListIdentities => list_identities(identity, input).await,
        Op::DescribeIdentity => describe_identity(identity, input).await,
    }
}

async fn get_id(identity: &Identity, input: &Input) -> Answer {
    let id = identity.get_id(&input.string("IdentityPoolId")?, &input.string_map("Logins")?).await?;
    Ok(json!({"IdentityId": id}))
}

async fn get_credentials_for_identity(identity: &Identity, input: &Input) -> Answer {
    let identity_id = input.string("IdentityId")?;
    let credentials = identity
        .get_credentials_for_identity(&identity_id, &input.string_map("Logins")?, input.opt_string("CustomRoleArn")?.as_deref())
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

async fn get_open_id_token(identity: &Identity, input: &Input) -> Answer {
    let identity_id = input.string("IdentityId")?;
    let token = identity.get_open_id_token(&identity_id, &input.string_map("Logins")?).await?;
    Ok(json!({"IdentityId": identity_id, "Token": token}))
}

async fn create_identity_pool(identity: &Identity, input: &Input) -> Answer {
    let name = input.string("IdentityPoolName")?;
    let pool = identity.create_identity_pool(&name, pool_config(input)?.into_domain()?).await?;
    Ok(pool_json(&pool))
}

async fn describe_identity_pool(identity: &Identity, input: &Input) -> Answer {
    Ok(pool_json(&identity.describe_identity_pool(&input.string("IdentityPoolId")?).await?))
}

async fn list_identity_pools(identity: &Identity, input: &Input) -> Answer {
    let (pools, next) = identity.list_identity_pools(input.opt_string("NextToken")?.as_deref(), max_results(input)?).await?;
    let items: Vec<Value> =
        pools.iter().map(|pool| json!({"IdentityPoolId": pool.id, "IdentityPoolName": pool.name})).collect();
    let mut answer = json!({"IdentityPools": items});
    if let Some(next) = next {
        answer["NextToken"] = json!(next);
    }
    Ok(answer)
}

async fn update_identity_pool(identity: &Identity, input: &Input) -> Answer {
    let (id, name) = (input.string("IdentityPoolId")?, input.string("IdentityPoolName")?);
    let config = pool_config(input)?.without_roles().into_domain()?;
    let pool = identity.update_identity_pool(&id, &name, config).await?;
    Ok(pool_json(&pool))
}

async fn delete_identity_pool(identity: &Identity, input: &Input) -> Answer {
    identity.delete_identity_pool(&input.string("IdentityPoolId")?).await?;
    Ok(json!({}))
}

async fn set_identity_pool_roles(identity: &Identity, input: &Input) -> Answer {
    let roles = input.string_map("Roles")?;
    let mappings: BTreeMap<String, wire::RoleMapping> = input.typed("RoleMappings")?.unwrap_or_default();
    let id = input.string("IdentityPoolId")?;
    identity.set_identity_pool_roles(&id, roles, wire::role_mappings_into_domain(mappings)?).await?;
    Ok(json!({}))
}

async fn get_identity_pool_roles(identity: &Identity, input: &Input) -> Answer {
    let pool = identity.describe_identity_pool(&input.string("IdentityPoolId")?).await?;
    Ok(serde_json::to_value(wire::PoolRoles::from(&pool)).unwrap_or_else(|_| json!({})))
}

async fn list_identities(identity: &Identity, input: &Input) -> Answer {
    let pool_id = input.string("IdentityPoolId")?;
    let (identities, next) =
        identity.list_identities(&pool_id, input.opt_string("NextToken")?.as_deref(), max_results(input)?).await?;
    let mut answer = json!({
        "IdentityPoolId": pool_id,
        "Identities": identities.iter().map(identity_json).collect::<Vec<_>>(),
    });
    if let Some(next) = next {
        answer["NextToken"] = json!(next);
    }
    Ok(answer)
}

async fn describe_identity(identity: &Identity, input: &Input) -> Answer {
    Ok(identity_json(&identity.describe_identity(&input.string("IdentityId")?).await?))
}
