//! The tokens we mint, and the verifier the upload edge and presign API rely on.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use s3cognito_crypto::jwt::{TokenUse, decode_unverified};
use serde_json::json;

use crate::{Harness, START, settings};

#[tokio::test]
async fn tokens_carry_cognitos_claims() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    let issuer = format!("https://cognito-idp.us-east-1.amazonaws.com/{}", harness.pool);
    let id = decode_unverified(&tokens.id_token).unwrap();
    let access = decode_unverified(&tokens.access_token).unwrap();
    for (claims, token_use) in [(&id, "id"), (&access, "access")] {
        assert_eq!(claims["iss"], issuer.as_str());
        assert_eq!(claims["token_use"], token_use);
        assert_eq!(claims["iat"], START);
        assert_eq!(claims["auth_time"], START);
        assert_eq!(claims["exp"], START + 3600);
        assert_eq!(claims["sub"], id["sub"]);
        assert_eq!(claims["origin_jti"], id["origin_jti"]);
        assert!(claims["jti"].is_string() && claims["event_id"].is_string());
    }
    assert_eq!(id["aud"], harness.client.as_str());
    assert_eq!(id["cognito:username"], "alice");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], json!(true));
    assert!(id.get("cognito:groups").is_none());
    assert_eq!(access["client_id"], harness.client.as_str());
    assert_eq!(access["username"], "alice");
    assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
    assert_ne!(id["jti"], access["jti"]);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(tokens.id_token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let jwks = harness.app.user_pools.jwks(&harness.pool).await.unwrap();
    assert!(jwks.keys.iter().any(|key| key.kid == header["kid"]));
}

fn forge(header: serde_json::Value, payload_of: &str, signature: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let payload = payload_of.split('.').nth(1).unwrap();
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[tokio::test]
async fn the_verifier_refuses_every_kind_of_bad_token() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    let verify = |token: String, token_use: TokenUse, clients: Option<Vec<String>>| {
        let pool = harness.pool.clone();
        async move { pools.verify_token(&pool, &token, Some(token_use), clients).await }
    };
    let client = Some(vec![harness.client.to_string()]);
    verify(tokens.id_token.clone(), TokenUse::Id, client.clone()).await.unwrap();
    verify(tokens.access_token.clone(), TokenUse::Access, client.clone()).await.unwrap();

    let kid = decode_header_kid(&tokens.id_token);
    // alg=none with no signature.
    let none = forge(json!({"alg": "none", "kid": kid}), &tokens.id_token, b"");
    assert!(verify(none, TokenUse::Id, None).await.is_err(), "alg=none");
    // HS256 keyed with the public key: the classic algorithm-confusion forgery.
    let jwks = pools.jwks(&harness.pool).await.unwrap();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "kid": kid}).to_string());
    let payload = tokens.id_token.split('.').nth(1).unwrap();
    let mac = s3cognito_crypto::digest::hmac_sha256(jwks.keys[0].n.as_bytes(), format!("{header}.{payload}").as_bytes());
    assert!(verify(format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(mac)), TokenUse::Id, None).await.is_err(), "HS256");
    // One character of the payload changed.
    let mut tampered = tokens.id_token.clone().into_bytes();
    let middle = tokens.id_token.find('.').unwrap() + 5;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    assert!(verify(String::from_utf8(tampered).unwrap(), TokenUse::Id, None).await.is_err(), "tampered");
    // Right token, wrong expectations.
    assert!(verify(tokens.id_token.clone(), TokenUse::Access, None).await.is_err(), "wrong token_use");
    assert!(verify(tokens.id_token.clone(), TokenUse::Id, Some(vec!["another-client".to_owned()])).await.is_err(), "wrong aud");
    assert!(verify(tokens.access_token.clone(), TokenUse::Access, Some(vec!["another-client".to_owned()])).await.is_err(), "wrong client_id");
    // The same pool and keys, but minted by a deployment with another issuer.
    let clock = harness.clock.clone();
    let other = {
        let store = s3cognito_meta::Store::connect(&harness.url).await.unwrap();
        let mut other_settings = settings();
        other_settings.issuer_base = "https://auth.example.com".to_owned();
        let blobs = s3cognito_blob::BlobStore::local(&std::env::temp_dir().join("s3cognito-blobs-issuer-test")).unwrap();
        s3cognito_service::App::new(store, std::sync::Arc::new(clock), harness.outbox.clone(), blobs, "us-east-1".to_owned(), other_settings, crate::rate_limits())
    };
    let foreign = match other
        .user_pools
        .initiate_auth(s3cognito_service::user_pool::AuthRequest {
            client_id: harness.client.clone(),
            flow: "USER_PASSWORD_AUTH".to_owned(),
            parameters: [("USERNAME", "alice"), ("PASSWORD", crate::PASSWORD)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
            admin_pool: None,
        })
        .await
        .unwrap()
    {
        s3cognito_service::user_pool::AuthOutcome::Tokens(tokens) => tokens,
        other => panic!("{other:?}"),
    };
    assert!(verify(foreign.id_token, TokenUse::Id, None).await.is_err(), "wrong issuer");
    // A token of another pool on this server.
    let other_pool = pools
        .create_user_pool("us-east-1", s3cognito_service::user_pool::PoolSettings { name: "other".into(), config: Default::default() })
        .await
        .unwrap();
    let other_pool = s3cognito_types::UserPoolId::parse(other_pool.id).unwrap();
    assert!(pools.verify_token(&other_pool, &tokens.id_token, Some(TokenUse::Id), None).await.is_err(), "other pool");
    // Expired.
    harness.clock.advance(3601);
    let expired = verify(tokens.id_token.clone(), TokenUse::Id, None).await;
    assert_eq!(crate::message(expired), "Token has expired");
    assert_eq!(crate::message(pools.get_user(&tokens.access_token).await), "Access Token has expired");
}

fn decode_header_kid(token: &str) -> String {
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn keys_and_tokens_survive_a_restart_and_rotation() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    harness.app.store.close().await;
    let reopened = Harness::app(&harness.url, &harness.clock, &harness.outbox).await;
    let pools = &reopened.user_pools;
    pools.get_user(&tokens.access_token).await.unwrap();
    pools.verify_token(&harness.pool, &tokens.id_token, Some(TokenUse::Id), None).await.unwrap();
    let old_kid = decode_header_kid(&tokens.id_token);
    let new_kid = pools.rotate_signing_key(&harness.pool).await.unwrap();
    assert_ne!(old_kid, new_kid);
    // Old tokens still verify; new ones are signed with the new key.
    pools.verify_token(&harness.pool, &tokens.id_token, Some(TokenUse::Id), None).await.unwrap();
    let refreshed = pools.get_tokens_from_refresh_token(&harness.client, None, tokens.refresh_token.as_ref().unwrap()).await.unwrap();
    assert_eq!(decode_header_kid(&refreshed.id_token), new_kid);
    assert_eq!(pools.jwks(&harness.pool).await.unwrap().keys.len(), 2);
}
