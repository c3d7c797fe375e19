//! Password sign-in, lockout, challenges, refresh and sign-out.

use s3cognito_service::ServiceError;
use s3cognito_service::user_pool::{AuthOutcome, AuthRequest, ChallengeAnswer};
use s3cognito_types::Username;

use crate::{Harness, PASSWORD, message};

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    let wrong = harness.password_auth("alice", "Wrong-Password-1").await;
    let unknown = harness.password_auth("nobody", PASSWORD).await;
    assert!(matches!(wrong, Err(ServiceError::NotAuthorized(_))));
    assert!(matches!(unknown, Err(ServiceError::NotAuthorized(_))));
    assert_eq!(message(wrong), "Incorrect username or password.");
    assert_eq!(message(unknown), "Incorrect username or password.");
}

#[tokio::test]
async fn repeated_failures_lock_the_user_for_a_doubling_while() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    for attempt in 1..=4 {
        assert_eq!(message(harness.password_auth("alice", "Wrong-Password-1").await), "Incorrect username or password.", "{attempt}");
    }
    assert_eq!(message(harness.password_auth("alice", "Wrong-Password-1").await), "Password attempts exceeded");
    // Locked: even the right password is refused, and no password is checked.
    assert_eq!(message(harness.password_auth("alice", PASSWORD).await), "Password attempts exceeded");
    harness.clock.advance(5);
    // One more failure after the lock doubles it.
    assert_eq!(message(harness.password_auth("alice", "Wrong-Password-1").await), "Password attempts exceeded");
    harness.clock.advance(5);
    assert_eq!(message(harness.password_auth("alice", PASSWORD).await), "Password attempts exceeded");
    harness.clock.advance(5);
    harness.sign_in("alice").await;
    // Success clears the count: the next failure is an ordinary one.
    assert_eq!(message(harness.password_auth("alice", "Wrong-Password-1").await), "Incorrect username or password.");
}

#[tokio::test]
async fn unconfirmed_and_disabled_users_cannot_sign_in() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    pools
        .sign_up(&harness.client, None, Username::parse("bob").unwrap(), PASSWORD, vec![("email".into(), "bob@example.com".into())])
        .await
        .unwrap();
    assert!(matches!(harness.password_auth("bob", PASSWORD).await, Err(ServiceError::UserNotConfirmed)));
    // The wrong password still says only that, so confirmation state does not leak.
    assert_eq!(message(harness.password_auth("bob", "Wrong-Password-1").await), "Incorrect username or password.");

    let alice = harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    pools.admin_set_enabled(&harness.pool, &alice, false).await.unwrap();
    assert_eq!(message(harness.password_auth("alice", PASSWORD).await), "User is disabled.");
    assert_eq!(message(pools.get_user(&tokens.access_token).await), "User is disabled.");
    let refresh = tokens.refresh_token.unwrap();
    assert!(pools.get_tokens_from_refresh_token(&harness.client, None, &refresh).await.is_err());
    pools.admin_set_enabled(&harness.pool, &alice, true).await.unwrap();
    harness.sign_in("alice").await;
    // Sessions ended by disabling stay ended.
    assert!(pools.get_tokens_from_refresh_token(&harness.client, None, &refresh).await.is_err());
}

#[tokio::test]
async fn admin_created_users_change_their_temporary_password_once() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let demo = Username::parse("demo").unwrap();
    pools
        .admin_create_user(&harness.pool, demo.clone(), vec![("email".into(), "demo@example.com".into())], Some("Temporary-Pass-1"), None)
        .await
        .unwrap();
    assert!(harness.outbox.0.lock().unwrap().iter().any(|mail| mail.body.contains("Temporary-Pass-1")));
    let AuthOutcome::Challenge { name, session: Some(session), parameters } =
        harness.password_auth("demo", "Temporary-Pass-1").await.unwrap()
    else {
        panic!("expected a challenge with a session")
    };
    assert_eq!(name, "NEW_PASSWORD_REQUIRED");
    assert_eq!(parameters["USER_ID_FOR_SRP"], "demo");
    let attributes: serde_json::Value = serde_json::from_str(&parameters["userAttributes"]).unwrap();
    assert_eq!(attributes["email"], "demo@example.com");
    let answer = |session: &str, password: &str| ChallengeAnswer {
        client_id: harness.client.clone(),
        challenge_name: "NEW_PASSWORD_REQUIRED".to_owned(),
        session: Some(session.to_owned()),
        responses: [("USERNAME", "demo"), ("NEW_PASSWORD", password)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
        admin_pool: None,
    };
    // A weak password is refused without spending the session.
    assert!(matches!(pools.respond_to_auth_challenge(answer(&session, "weak")).await, Err(ServiceError::InvalidPassword(_))));
    let outcome = pools.respond_to_auth_challenge(answer(&session, PASSWORD)).await.unwrap();
    assert!(matches!(outcome, AuthOutcome::Tokens(_)));
    // The session was used up.
    assert_eq!(
        message(pools.respond_to_auth_challenge(answer(&session, PASSWORD)).await),
        "Invalid session for the user, session is expired."
    );
    assert_eq!(pools.admin_get_user(&harness.pool, &demo).await.unwrap().status, "CONFIRMED");
    harness.sign_in("demo").await;
}

#[tokio::test]
async fn challenge_sessions_and_temporary_passwords_expire() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    pools
        .admin_create_user(&harness.pool, Username::parse("demo").unwrap(), vec![], Some("Temporary-Pass-1"), Some("SUPPRESS"))
        .await
        .unwrap();
    assert_eq!(harness.outbox.count(), 0, "SUPPRESS sends nothing");
    let AuthOutcome::Challenge { session, .. } = harness.password_auth("demo", "Temporary-Pass-1").await.unwrap() else {
        panic!("expected a challenge")
    };
    let session = session.expect("NEW_PASSWORD_REQUIRED has a session");
    harness.clock.advance(3 * 60 + 1);
    let answer = ChallengeAnswer {
        client_id: harness.client.clone(),
        challenge_name: "NEW_PASSWORD_REQUIRED".to_owned(),
        session: Some(session),
        responses: [("USERNAME", "demo"), ("NEW_PASSWORD", PASSWORD)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
        admin_pool: None,
    };
    assert_eq!(message(pools.respond_to_auth_challenge(answer).await), "Invalid session for the user, session is expired.");
    harness.clock.advance(7 * 86_400);
    assert_eq!(
        message(harness.password_auth("demo", "Temporary-Pass-1").await),
        "Temporary password has expired and must be reset by an administrator."
    );
}

#[tokio::test]
async fn refresh_global_sign_out_and_revocation() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    harness.confirmed_user("alice").await;
    let first = harness.sign_in("alice").await;
    let second = harness.sign_in("alice").await;
    let first_refresh = first.refresh_token.clone().unwrap();

    let refreshed = match pools
        .initiate_auth(AuthRequest {
            client_id: harness.client.clone(),
            flow: "REFRESH_TOKEN_AUTH".to_owned(),
            parameters: [("REFRESH_TOKEN".to_owned(), first_refresh.clone())].into(),
            admin_pool: None,
        })
        .await
        .unwrap()
    {
        AuthOutcome::Tokens(tokens) => tokens,
        other => panic!("{other:?}"),
    };
    assert!(refreshed.refresh_token.is_none(), "refreshing does not mint a new refresh token");
    pools.get_user(&refreshed.access_token).await.unwrap();

    // Revoking the first refresh token ends the tokens minted from it, and only those.
    pools.revoke_token(&harness.client, None, &first_refresh).await.unwrap();
    assert_eq!(message(pools.get_user(&refreshed.access_token).await), "Access Token has been revoked");
    assert_eq!(message(pools.get_user(&first.access_token).await), "Access Token has been revoked");
    assert!(pools.get_tokens_from_refresh_token(&harness.client, None, &first_refresh).await.is_err());
    pools.get_user(&second.access_token).await.unwrap();
    assert!(matches!(
        pools.revoke_token(&harness.client, None, &second.access_token).await,
        Err(ServiceError::WrongTokenType(_))
    ));

    pools.global_sign_out(&second.access_token).await.unwrap();
    assert_eq!(message(pools.get_user(&second.access_token).await), "Access Token has been revoked");
    assert!(pools.get_tokens_from_refresh_token(&harness.client, None, second.refresh_token.as_ref().unwrap()).await.is_err());
    // Signing in again works at once.
    let third = harness.sign_in("alice").await;
    pools.get_user(&third.access_token).await.unwrap();
}

#[tokio::test]
async fn refresh_tokens_expire_and_are_bound_to_their_client() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    let refresh = tokens.refresh_token.unwrap();
    let other_client = Harness::client_of(&harness.app, &harness.pool, false).await;
    assert_eq!(
        message(pools.get_tokens_from_refresh_token(&other_client, None, &refresh).await),
        "Invalid Refresh Token"
    );
    harness.clock.advance(29 * 86_400);
    pools.get_tokens_from_refresh_token(&harness.client, None, &refresh).await.unwrap();
    harness.clock.advance(2 * 86_400);
    assert_eq!(
        message(pools.get_tokens_from_refresh_token(&harness.client, None, &refresh).await),
        "Refresh Token has expired"
    );
}

#[tokio::test]
async fn clients_with_a_secret_require_the_secret_hash() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let client = Harness::client_of(&harness.app, &harness.pool, true).await;
    let secret = pools.describe_user_pool_client(&harness.pool, &client).await.unwrap().secret.unwrap();
    let hash = |username: &str| {
        use base64::Engine as _;
        let mac = s3cognito_crypto::digest::hmac_sha256(secret.as_bytes(), format!("{username}{client}").as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac)
    };
    let carol = Username::parse("carol").unwrap();
    let sign_up = |secret_hash: Option<String>| {
        let carol = carol.clone();
        let client = client.clone();
        async move { pools.sign_up(&client, secret_hash.as_deref(), carol, PASSWORD, vec![]).await }
    };
    assert!(message(sign_up(None).await).contains("SECRET_HASH was not received"));
    assert!(message(sign_up(Some(hash("someone-else"))).await).contains("Unable to verify secret hash"));
    sign_up(Some(hash("carol"))).await.unwrap();
    pools.admin_confirm_sign_up(&harness.pool, &carol).await.unwrap();
    let auth = |secret_hash: Option<String>| AuthRequest {
        client_id: client.clone(),
        flow: "USER_PASSWORD_AUTH".to_owned(),
        parameters: [("USERNAME", "carol".to_owned()), ("PASSWORD", PASSWORD.to_owned())]
            .into_iter()
            .chain(secret_hash.map(|hash| ("SECRET_HASH", hash)))
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        admin_pool: None,
    };
    assert!(matches!(pools.initiate_auth(auth(None)).await, Err(ServiceError::NotAuthorized(_))));
    assert!(matches!(pools.initiate_auth(auth(Some(hash("carol")))).await, Ok(AuthOutcome::Tokens(_))));
    assert!(pools.get_tokens_from_refresh_token(&client, None, "anything").await.is_err());
}

#[tokio::test]
async fn flows_a_client_does_not_allow_are_refused() {
    let harness = Harness::new().await;
    harness.confirmed_user("alice").await;
    let request = |flow: &str, admin: bool| AuthRequest {
        client_id: harness.client.clone(),
        flow: flow.to_owned(),
        parameters: [("USERNAME", "alice"), ("PASSWORD", PASSWORD)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
        admin_pool: admin.then(|| harness.pool.clone()),
    };
    let pools = &harness.app.user_pools;
    assert!(matches!(pools.initiate_auth(request("ADMIN_NO_SRP_AUTH", true)).await, Ok(AuthOutcome::Tokens(_))));
    // Admin flows are for admin calls, and the other way round.
    assert!(matches!(pools.initiate_auth(request("ADMIN_NO_SRP_AUTH", false)).await, Err(ServiceError::Invalid(_))));
    assert!(matches!(pools.initiate_auth(request("USER_PASSWORD_AUTH", true)).await, Err(ServiceError::Invalid(_))));
    assert!(matches!(pools.initiate_auth(request("CUSTOM_AUTH", false)).await, Err(ServiceError::Invalid(_))));
    let default_client = pools
        .create_user_pool_client(
            &harness.pool,
            s3cognito_service::user_pool::ClientSettings {
                name: "defaults".to_owned(),
                generate_secret: false,
                config: Default::default(),
            },
        )
        .await
        .unwrap();
    let request = AuthRequest { client_id: s3cognito_types::ClientId::parse(default_client.client_id).unwrap(), ..request("USER_PASSWORD_AUTH", false) };
    assert_eq!(message(pools.initiate_auth(request).await), "USER_PASSWORD_AUTH flow not enabled for this client");
}
