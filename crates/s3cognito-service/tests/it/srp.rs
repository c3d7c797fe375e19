//! USER_SRP_AUTH and PASSWORD_VERIFIER, answered by our own client-side SRP.

use s3cognito_crypto::srp;
use s3cognito_service::ServiceError;
use s3cognito_service::user_pool::{AuthOutcome, AuthRequest, ChallengeAnswer};
use s3cognito_types::Username;

use crate::{Harness, PASSWORD, START, message};

struct Challenge {
    parameters: std::collections::BTreeMap<String, String>,
    ephemeral: srp::ClientEphemeral,
}

async fn start(harness: &Harness, username: &str) -> Challenge {
    let ephemeral = srp::client_ephemeral();
    let outcome = harness
        .app
        .user_pools
        .initiate_auth(AuthRequest {
            client_id: harness.client.clone(),
            flow: "USER_SRP_AUTH".to_owned(),
            parameters: [("USERNAME", username), ("SRP_A", ephemeral.srp_a_hex.as_str())]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            admin_pool: None,
        })
        .await
        .unwrap();
    let AuthOutcome::Challenge { name, session, parameters } = outcome else { panic!("expected a challenge") };
    assert_eq!(name, "PASSWORD_VERIFIER");
    assert!(session.is_none());
    for key in ["SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"] {
        assert!(parameters.contains_key(key), "{key}");
    }
    Challenge { parameters, ephemeral }
}

fn answer(harness: &Harness, challenge: &Challenge, password: &str) -> ChallengeAnswer {
    let parameters = &challenge.parameters;
    let timestamp = srp::cognito_timestamp(START);
    let signature = srp::client_claim(
        &challenge.ephemeral,
        harness.pool.suffix(),
        &parameters["USER_ID_FOR_SRP"],
        password,
        &parameters["SALT"],
        &parameters["SRP_B"],
        &parameters["SECRET_BLOCK"],
        &timestamp,
    )
    .unwrap();
    ChallengeAnswer {
        client_id: harness.client.clone(),
        challenge_name: "PASSWORD_VERIFIER".to_owned(),
        session: None,
        responses: [
            ("USERNAME", parameters["USERNAME"].clone()),
            ("PASSWORD_CLAIM_SECRET_BLOCK", parameters["SECRET_BLOCK"].clone()),
            ("PASSWORD_CLAIM_SIGNATURE", signature),
            ("TIMESTAMP", timestamp),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .into(),
        admin_pool: None,
    }
}

async fn srp_sign_in(harness: &Harness, username: &str, password: &str) -> s3cognito_service::Result<AuthOutcome> {
    let challenge = start(harness, username).await;
    harness.app.user_pools.respond_to_auth_challenge(answer(harness, &challenge, password)).await
}

#[tokio::test]
async fn the_right_password_signs_in_and_a_wrong_one_does_not() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    assert!(matches!(srp_sign_in(&harness, "alice", PASSWORD).await, Ok(AuthOutcome::Tokens(_))));
    assert_eq!(message(srp_sign_in(&harness, "alice", "Wrong-Password-1").await), "Incorrect username or password.");
    // Unknown users get a challenge that looks the same, and the same refusal.
    assert_eq!(message(srp_sign_in(&harness, "nobody", PASSWORD).await), "Incorrect username or password.");
}

#[tokio::test]
async fn a_secret_block_is_answered_once() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    let challenge = start(&harness, "alice").await;
    let pools = &harness.app.user_pools;
    pools.respond_to_auth_challenge(answer(&harness, &challenge, PASSWORD)).await.unwrap();
    assert!(matches!(
        pools.respond_to_auth_challenge(answer(&harness, &challenge, PASSWORD)).await,
        Err(ServiceError::NotAuthorized(_))
    ));
    let late = start(&harness, "alice").await;
    harness.clock.advance(3 * 60 + 1);
    assert!(matches!(
        pools.respond_to_auth_challenge(answer(&harness, &late, PASSWORD)).await,
        Err(ServiceError::NotAuthorized(_))
    ));
}

#[tokio::test]
async fn srp_failures_count_toward_the_lockout() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    for _ in 0..4 {
        assert_eq!(message(srp_sign_in(&harness, "alice", "Wrong-Password-1").await), "Incorrect username or password.");
    }
    assert_eq!(message(srp_sign_in(&harness, "alice", "Wrong-Password-1").await), "Password attempts exceeded");
    assert_eq!(message(srp_sign_in(&harness, "alice", PASSWORD).await), "Password attempts exceeded");
    // The password flow shares the count.
    assert_eq!(message(harness.password_auth("alice", PASSWORD).await), "Password attempts exceeded");
    harness.clock.advance(5);
    assert!(matches!(srp_sign_in(&harness, "alice", PASSWORD).await, Ok(AuthOutcome::Tokens(_))));
}

#[tokio::test]
async fn srp_leads_into_the_new_password_challenge() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    pools
        .admin_create_user(&harness.pool, Username::parse("demo").unwrap(), vec![], Some("Temporary-Pass-1"), Some("SUPPRESS"))
        .await
        .unwrap();
    let outcome = srp_sign_in(&harness, "demo", "Temporary-Pass-1").await.unwrap();
    let AuthOutcome::Challenge { name, session, .. } = outcome else { panic!("expected a challenge") };
    assert_eq!(name, "NEW_PASSWORD_REQUIRED");
    assert!(session.is_some());
}

#[tokio::test]
async fn every_way_of_setting_a_password_updates_the_verifier() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let alice = harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    pools.change_password(&tokens.access_token, PASSWORD, "Changed-Pass-22").await.unwrap();
    assert!(matches!(srp_sign_in(&harness, "alice", "Changed-Pass-22").await, Ok(AuthOutcome::Tokens(_))));
    pools.admin_set_user_password(&harness.pool, &alice, "Admin-Pass-333", true).await.unwrap();
    assert!(matches!(srp_sign_in(&harness, "alice", "Admin-Pass-333").await, Ok(AuthOutcome::Tokens(_))));
    pools.forgot_password(&harness.client, None, &alice).await.unwrap();
    let code = harness.outbox.code_for("alice@example.com");
    pools.confirm_forgot_password(&harness.client, None, &alice, &code, "Reset-Pass-4444").await.unwrap();
    assert!(matches!(srp_sign_in(&harness, "alice", "Reset-Pass-4444").await, Ok(AuthOutcome::Tokens(_))));
    assert!(srp_sign_in(&harness, "alice", "Admin-Pass-333").await.is_err());
}

#[tokio::test]
async fn a_zero_client_public_value_is_refused() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    let outcome = harness
        .app
        .user_pools
        .initiate_auth(AuthRequest {
            client_id: harness.client.clone(),
            flow: "USER_SRP_AUTH".to_owned(),
            parameters: [("USERNAME", "alice"), ("SRP_A", "00")].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
            admin_pool: None,
        })
        .await;
    assert!(matches!(outcome, Err(ServiceError::Invalid(_))));
}

#[tokio::test]
async fn signing_in_by_email_runs_srp_over_the_internal_username() {
    use s3cognito_service::user_pool::config::PoolConfig;
    let harness = Harness::with_config(PoolConfig {
        auto_verified_attributes: vec!["email".to_owned()],
        username_attributes: vec!["email".to_owned()],
        ..PoolConfig::default()
    })
    .await;
    let pools = &harness.app.user_pools;
    let outcome = pools
        .sign_up(&harness.client, None, Username::parse("Dana@Example.com").unwrap(), PASSWORD, vec![])
        .await
        .unwrap();
    let code = harness.outbox.code_for("Dana@Example.com");
    pools.confirm_sign_up(&harness.client, None, &Username::parse("dana@example.com").unwrap(), &code).await.unwrap();
    let challenge = start(&harness, "dana@example.com").await;
    // The internal username is the sub, and the verifier was made over it.
    assert_eq!(challenge.parameters["USER_ID_FOR_SRP"], outcome.user_sub);
    let AuthOutcome::Tokens(tokens) = pools.respond_to_auth_challenge(answer(&harness, &challenge, PASSWORD)).await.unwrap() else {
        panic!("expected tokens")
    };
    let claims = s3cognito_crypto::jwt::decode_unverified(&tokens.id_token).unwrap();
    assert_eq!(claims["cognito:username"], outcome.user_sub.as_str());
    assert_eq!(claims["email"], "Dana@Example.com");
    assert!(matches!(harness.password_auth("DANA@example.com", PASSWORD).await, Ok(AuthOutcome::Tokens(_))));
    // The email is taken, and a username that is not an email is refused.
    assert!(matches!(
        pools.sign_up(&harness.client, None, Username::parse("dana@example.com").unwrap(), PASSWORD, vec![]).await,
        Err(ServiceError::UsernameExists)
    ));
    assert!(matches!(
        pools.sign_up(&harness.client, None, Username::parse("dana").unwrap(), PASSWORD, vec![]).await,
        Err(ServiceError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_verified_email_alias_signs_in_and_cannot_be_claimed_twice() {
    use s3cognito_service::user_pool::config::PoolConfig;
    let harness = Harness::with_config(PoolConfig {
        auto_verified_attributes: vec!["email".to_owned()],
        alias_attributes: vec!["email".to_owned()],
        ..PoolConfig::default()
    })
    .await;
    let pools = &harness.app.user_pools;
    // Before confirmation the email is not verified, so it does not sign in.
    pools
        .sign_up(&harness.client, None, Username::parse("erin").unwrap(), PASSWORD, vec![("email".into(), "erin@example.com".into())])
        .await
        .unwrap();
    assert_eq!(message(srp_sign_in(&harness, "erin@example.com", PASSWORD).await), "Incorrect username or password.");
    let code = harness.outbox.code_for("erin@example.com");
    pools.confirm_sign_up(&harness.client, None, &Username::parse("erin").unwrap(), &code).await.unwrap();
    let challenge = start(&harness, "erin@example.com").await;
    assert_eq!(challenge.parameters["USER_ID_FOR_SRP"], "erin");
    assert!(matches!(
        pools.respond_to_auth_challenge(answer(&harness, &challenge, PASSWORD)).await,
        Ok(AuthOutcome::Tokens(_))
    ));
    assert!(matches!(srp_sign_in(&harness, "erin", PASSWORD).await, Ok(AuthOutcome::Tokens(_))));
    // Admin calls accept the alias too.
    let by_alias = pools.admin_get_user(&harness.pool, &Username::parse("erin@example.com").unwrap()).await.unwrap();
    assert_eq!(by_alias.username, "erin");
    pools
        .sign_up(&harness.client, None, Username::parse("frank").unwrap(), PASSWORD, vec![("email".into(), "erin@example.com".into())])
        .await
        .unwrap();
    let code = harness.outbox.code_for("erin@example.com");
    assert!(matches!(
        pools.confirm_sign_up(&harness.client, None, &Username::parse("frank").unwrap(), &code).await,
        Err(ServiceError::AliasExists)
    ));
}
