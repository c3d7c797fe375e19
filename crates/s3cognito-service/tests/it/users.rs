//! Sign-up, codes, attributes, passwords, admin user calls, groups.

use s3cognito_service::ServiceError;
use s3cognito_types::{GroupName, Username};

use crate::{Harness, PASSWORD, message};

#[tokio::test]
async fn sign_up_mails_a_single_use_code() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let bob = Username::parse("bob").unwrap();
    let outcome = pools
        .sign_up(&harness.client, None, bob.clone(), PASSWORD, vec![("email".into(), "bob@example.com".into())])
        .await
        .unwrap();
    assert!(!outcome.user_confirmed);
    assert_eq!(outcome.delivery.unwrap().destination, "b***@e***");
    let code = harness.outbox.code_for("bob@example.com");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert!(matches!(pools.confirm_sign_up(&harness.client, None, &bob, wrong).await, Err(ServiceError::CodeMismatch)));
    pools.confirm_sign_up(&harness.client, None, &bob, &code).await.unwrap();
    assert_eq!(
        message(pools.confirm_sign_up(&harness.client, None, &bob, &code).await),
        "User cannot be confirmed. Current status is CONFIRMED"
    );
    let user = pools.admin_get_user(&harness.pool, &bob).await.unwrap();
    assert_eq!(user.attributes["email_verified"], "true");
    assert!(matches!(
        pools.sign_up(&harness.client, None, bob.clone(), PASSWORD, vec![]).await,
        Err(ServiceError::UsernameExists)
    ));
}

#[tokio::test]
async fn codes_expire_and_give_out_after_five_wrong_guesses() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let bob = Username::parse("bob").unwrap();
    pools
        .sign_up(&harness.client, None, bob.clone(), PASSWORD, vec![("email".into(), "bob@example.com".into())])
        .await
        .unwrap();
    let code = harness.outbox.code_for("bob@example.com");
    harness.clock.advance(24 * 3600 + 1);
    assert!(matches!(pools.confirm_sign_up(&harness.client, None, &bob, &code).await, Err(ServiceError::ExpiredCode)));

    pools.resend_confirmation_code(&harness.client, None, &bob).await.unwrap();
    let code = harness.outbox.code_for("bob@example.com");
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..4 {
        assert!(matches!(pools.confirm_sign_up(&harness.client, None, &bob, wrong).await, Err(ServiceError::CodeMismatch)));
    }
    assert!(matches!(pools.confirm_sign_up(&harness.client, None, &bob, wrong).await, Err(ServiceError::QuotaExceeded(_))));
    // The code is gone: the right one no longer works either.
    assert!(matches!(pools.confirm_sign_up(&harness.client, None, &bob, &code).await, Err(ServiceError::CodeMismatch)));
}

#[tokio::test]
async fn unknown_users_get_the_same_answers_as_known_ones() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    harness.confirmed_user("alice").await;
    let nobody = Username::parse("nobody").unwrap();
    assert!(pools.forgot_password(&harness.client, None, &nobody).await.is_ok());
    assert!(matches!(
        pools.confirm_forgot_password(&harness.client, None, &nobody, "123456", PASSWORD).await,
        Err(ServiceError::CodeMismatch)
    ));
    assert!(matches!(pools.confirm_sign_up(&harness.client, None, &nobody, "123456").await, Err(ServiceError::CodeMismatch)));
}

#[tokio::test]
async fn passwords_follow_the_policy_and_can_be_reset() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let weak = pools.sign_up(&harness.client, None, Username::parse("weak").unwrap(), "password", vec![]).await;
    assert!(matches!(weak, Err(ServiceError::InvalidPassword(_))));

    let alice = harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    assert_eq!(
        message(pools.change_password(&tokens.access_token, "Wrong-Password-1", "New-Password-22").await),
        "Incorrect username or password."
    );
    pools.change_password(&tokens.access_token, PASSWORD, "New-Password-22").await.unwrap();
    assert!(harness.password_auth("alice", PASSWORD).await.is_err());
    harness.password_auth("alice", "New-Password-22").await.unwrap();

    pools.forgot_password(&harness.client, None, &alice).await.unwrap();
    let code = harness.outbox.code_for("alice@example.com");
    assert!(matches!(
        pools.confirm_forgot_password(&harness.client, None, &alice, &code, "short").await,
        Err(ServiceError::InvalidPassword(_))
    ));
    pools.confirm_forgot_password(&harness.client, None, &alice, &code, "Reset-Password-33").await.unwrap();
    harness.password_auth("alice", "Reset-Password-33").await.unwrap();
    // The reset code was used up.
    assert!(pools.confirm_forgot_password(&harness.client, None, &alice, &code, "Another-Password-4").await.is_err());

    pools.admin_set_user_password(&harness.pool, &alice, "Admin-Set-Password-5", true).await.unwrap();
    harness.password_auth("alice", "Admin-Set-Password-5").await.unwrap();
}

#[tokio::test]
async fn attributes_are_checked_and_a_new_email_is_verified_again() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    assert!(matches!(
        pools.update_user_attributes(&tokens.access_token, vec![("shoe_size".into(), "9".into())]).await,
        Err(ServiceError::Invalid(_))
    ));
    assert!(pools.update_user_attributes(&tokens.access_token, vec![("email_verified".into(), "true".into())]).await.is_err());
    assert!(pools.update_user_attributes(&tokens.access_token, vec![("sub".into(), "mine".into())]).await.is_err());
    let deliveries = pools
        .update_user_attributes(
            &tokens.access_token,
            vec![("email".into(), "new@example.com".into()), ("custom:team".into(), "blue".into())],
        )
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    let user = pools.get_user(&tokens.access_token).await.unwrap();
    assert_eq!(user.attributes["email"], "new@example.com");
    assert_eq!(user.attributes["email_verified"], "false");
    assert_eq!(user.attributes["custom:team"], "blue");
    let code = harness.outbox.code_for("new@example.com");
    pools.verify_user_attribute(&tokens.access_token, "email", &code).await.unwrap();
    assert_eq!(pools.get_user(&tokens.access_token).await.unwrap().attributes["email_verified"], "true");
}

#[tokio::test]
async fn list_users_filters_and_pages() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    for name in ["amy", "ann", "bob", "cat"] {
        harness.confirmed_user(name).await;
    }
    let names = |page: &s3cognito_service::user_pool::ListUsersPage| {
        page.users.iter().map(|user| user.username.clone()).collect::<Vec<_>>()
    };
    let page = pools.list_users(&harness.pool, Some("username ^= \"a\""), None, None).await.unwrap();
    assert_eq!(names(&page), ["amy", "ann"]);
    let page = pools.list_users(&harness.pool, Some("email = \"bob@example.com\""), None, None).await.unwrap();
    assert_eq!(names(&page), ["bob"]);
    let first = pools.list_users(&harness.pool, None, Some(3), None).await.unwrap();
    assert_eq!(names(&first), ["amy", "ann", "bob"]);
    let second = pools.list_users(&harness.pool, None, Some(3), first.next.as_deref()).await.unwrap();
    assert_eq!(names(&second), ["cat"]);
    assert!(second.next.is_none());
    assert!(matches!(
        pools.list_users(&harness.pool, Some("shoe_size = \"9\""), None, None).await,
        Err(ServiceError::Invalid(_))
    ));
}

#[tokio::test]
async fn admin_calls_name_missing_users_and_pools() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let nobody = Username::parse("nobody").unwrap();
    assert!(matches!(pools.admin_get_user(&harness.pool, &nobody).await, Err(ServiceError::UserNotFound)));
    assert!(matches!(pools.admin_delete_user(&harness.pool, &nobody).await, Err(ServiceError::UserNotFound)));
    let missing = s3cognito_types::UserPoolId::parse("us-east-1_missing").unwrap();
    assert!(matches!(pools.admin_get_user(&missing, &nobody).await, Err(ServiceError::NotFound(_))));
    let alice = harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    pools.admin_delete_user(&harness.pool, &alice).await.unwrap();
    assert!(pools.get_user(&tokens.access_token).await.is_err());
    // A new user under the old name is not the old user.
    harness.confirmed_user("alice").await;
    assert!(pools.get_user(&tokens.access_token).await.is_err());
}

#[tokio::test]
async fn groups_reach_the_tokens() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let alice = harness.confirmed_user("alice").await;
    let editors = GroupName::parse("editors").unwrap();
    let admins = GroupName::parse("admins").unwrap();
    pools
        .create_group(&harness.pool, editors.clone(), None, Some("arn:aws:iam::123456789012:role/editor".into()), Some(5))
        .await
        .unwrap();
    pools
        .create_group(&harness.pool, admins.clone(), Some("all".into()), Some("arn:aws:iam::123456789012:role/admin".into()), Some(1))
        .await
        .unwrap();
    assert!(matches!(
        pools.create_group(&harness.pool, admins.clone(), None, None, None).await,
        Err(ServiceError::GroupExists(_))
    ));
    pools.admin_add_user_to_group(&harness.pool, &alice, &editors).await.unwrap();
    pools.admin_add_user_to_group(&harness.pool, &alice, &admins).await.unwrap();
    let groups = pools.admin_list_groups_for_user(&harness.pool, &alice).await.unwrap();
    assert_eq!(groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["admins", "editors"]);
    let tokens = harness.sign_in("alice").await;
    let claims = s3cognito_crypto::jwt::decode_unverified(&tokens.id_token).unwrap();
    assert_eq!(claims["cognito:groups"], serde_json::json!(["admins", "editors"]));
    assert_eq!(claims["cognito:preferred_role"], "arn:aws:iam::123456789012:role/admin");
    assert_eq!(claims["cognito:roles"].as_array().unwrap().len(), 2);
    let (members, _) = pools.list_users_in_group(&harness.pool, &editors, None, None).await.unwrap();
    assert_eq!(members.len(), 1);
    pools.admin_remove_user_from_group(&harness.pool, &alice, &editors).await.unwrap();
    let nobody = Username::parse("nobody").unwrap();
    assert!(matches!(pools.admin_add_user_to_group(&harness.pool, &nobody, &editors).await, Err(ServiceError::UserNotFound)));
    let ghosts = GroupName::parse("ghosts").unwrap();
    assert!(matches!(
        pools.admin_add_user_to_group(&harness.pool, &alice, &ghosts).await,
        Err(ServiceError::NotFound(_))
    ));
}
