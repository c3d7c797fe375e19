//! JWKS and OpenID discovery for every user pool, where Cognito serves them, and the keys of
//! cognito-identity's OpenID tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use s3cognito_types::UserPoolId;
use serde_json::json;

use crate::HttpState;
use crate::error::ApiError;

fn pool(pool_id: &str) -> Result<UserPoolId, ApiError> {
    UserPoolId::parse(pool_id).map_err(|_| ApiError::not_found())
}

/// Whether `path` is `/<poolId>/.well-known/jwks.json` or `…/openid-configuration` of a well-formed pool id.
pub(crate) fn is_pool_document(path: &str) -> bool {
    let Some((pool_id, document)) = path.strip_prefix('/').and_then(|rest| rest.split_once('/')) else {
        return false;
    };
    matches!(document, ".well-known/jwks.json" | ".well-known/openid-configuration") && UserPoolId::parse(pool_id).is_ok()
}

pub(crate) async fn jwks(State(state): State<HttpState>, Path(pool_id): Path<String>) -> Result<Response, ApiError> {
    s3cognito_service::activity::note_operation(s3cognito_types::operation::Own::GetUserPoolKeys);
    let jwks = state.app.user_pools.jwks(&pool(&pool_id)?).await.map_err(ApiError::not_found_or)?;
    Ok(Json(jwks).into_response())
}

pub(crate) async fn discovery(
    State(state): State<HttpState>,
    Path(pool_id): Path<String>,
) -> Result<Response, ApiError> {
    s3cognito_service::activity::note_operation(s3cognito_types::operation::Own::GetUserPoolDiscovery);
    let pool_id = pool(&pool_id)?;
    state.app.user_pools.describe_user_pool(&pool_id).await.map_err(ApiError::not_found_or)?;
    let base = state.public_url.trim_end_matches('/');
    let issuer = state.app.user_pools.issuer(pool_id.as_str());
    Ok(Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{base}/{pool_id}/.well-known/jwks.json"),
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "iss", "aud", "email", "email_verified", "cognito:username", "cognito:groups"],
    }))
    .into_response())
}

/// The keys of cognito-identity's OpenID tokens (GetOpenIdToken).
pub(crate) async fn identity_jwks(State(state): State<HttpState>) -> Result<Response, ApiError> {
    s3cognito_service::activity::note_operation(s3cognito_types::operation::Own::GetIdentityKeys);
    Ok(Json(state.app.identity.open_id_jwks().await?).into_response())
}
