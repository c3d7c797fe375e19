//! Budgets on what anyone may ask without credentials: codes mailed, guesses at them, mail to one
//! address, and answers for names that match no user that cannot be told from a user's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use s3cognito_service::ServiceError;
use s3cognito_service::limits::RateLimits;
use s3cognito_service::mail::{Mail, Mailer};
use s3cognito_service::user_pool::config::PoolConfig;
use s3cognito_types::Username;

use crate::{Harness, Outbox, PASSWORD, rate_limits};

fn email_pool() -> PoolConfig {
    PoolConfig { auto_verified_attributes: vec!["email".to_owned()], ..PoolConfig::default() }
}

fn is_limit(result: &s3cognito_service::Result<impl std::fmt::Debug>) -> bool {
    matches!(result, Err(ServiceError::QuotaExceeded(message)) if message == "Attempt limit exceeded, please try after some time.")
}

/// A code guess that is surely wrong for `code`.
fn wrong_for(code: &str) -> &'static str {
    if code == "000000" { "000001" } else { "000000" }
}

/// Each code allows five guesses, and a fresh code used to bring five more: from a username alone a
/// guesser could keep asking. Now the user's wrong guesses are counted across codes: after ten in the
/// hour even the right code is refused, until the hour has passed.
#[tokio::test]
async fn reissued_reset_codes_bring_no_fresh_guesses() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let alice = harness.confirmed_user("alice").await;
    let (client, alice) = (&harness.client, &alice);
    let reset = |code: String| async move {
        pools.confirm_forgot_password(client, None, alice, &code, "Reset-Password-33").await
    };
    pools.forgot_password(client, None, alice).await.unwrap();
    let code = harness.outbox.code_for("alice@example.com");
    for _ in 0..4 {
        assert!(matches!(reset(wrong_for(&code).to_owned()).await, Err(ServiceError::CodeMismatch)));
    }
    assert!(is_limit(&reset(wrong_for(&code).to_owned()).await), "the fifth wrong guess ends the code");

    pools.forgot_password(client, None, alice).await.unwrap();
    let code = harness.outbox.code_for("alice@example.com");
    for _ in 0..4 {
        assert!(matches!(reset(wrong_for(&code).to_owned()).await, Err(ServiceError::CodeMismatch)));
    }
    assert!(is_limit(&reset(wrong_for(&code).to_owned()).await), "ten wrong guesses this hour");

    pools.forgot_password(client, None, alice).await.unwrap();
    let code = harness.outbox.code_for("alice@example.com");
    assert!(is_limit(&reset(code.clone()).await), "no guesses are left this hour, right or wrong");
    harness.clock.advance(3600);
    assert!(reset(code).await.is_ok(), "a new hour, new guesses");
    harness.password_auth("alice", "Reset-Password-33").await.unwrap();
}

/// ForgotPassword and ResendConfirmationCode mail at most five codes to one user an hour, and a name
/// that matches nobody is answered the same way.
#[tokio::test]
async fn codes_mailed_on_request_are_limited_per_user() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let alice = harness.confirmed_user("alice").await;
    let nobody = Username::parse("nobody").unwrap();
    let mails = harness.outbox.count();
    for _ in 0..5 {
        pools.forgot_password(&harness.client, None, &alice).await.unwrap();
        pools.forgot_password(&harness.client, None, &nobody).await.unwrap();
    }
    assert!(is_limit(&pools.forgot_password(&harness.client, None, &alice).await));
    assert!(is_limit(&pools.forgot_password(&harness.client, None, &nobody).await));
    assert_eq!(harness.outbox.count() - mails, 5, "five mails to alice, none for nobody");
    harness.clock.advance(3600);
    pools.forgot_password(&harness.client, None, &alice).await.unwrap();

    let bob = Username::parse("bob").unwrap();
    pools.sign_up(&harness.client, None, bob.clone(), PASSWORD, vec![("email".into(), "bob@example.com".into())]).await.unwrap();
    for _ in 0..5 {
        pools.resend_confirmation_code(&harness.client, None, &bob).await.unwrap();
    }
    assert!(is_limit(&pools.resend_confirmation_code(&harness.client, None, &bob).await));
}

/// Sign-ups naming somebody else's address cannot bomb it with mail: past the hourly budget of one
/// address the sign-up is refused and leaves no account behind.
#[tokio::test]
async fn mail_to_one_address_is_limited() {
    let limits = RateLimits { mails_per_address_per_hour: 3, ..rate_limits() };
    let harness = Harness::with_limits(email_pool(), limits).await;
    let pools = &harness.app.user_pools;
    let victim = || vec![("email".to_owned(), "Victim@Example.com".to_owned())];
    for name in ["one", "two", "three"] {
        pools.sign_up(&harness.client, None, Username::parse(name).unwrap(), PASSWORD, victim()).await.unwrap();
    }
    let refused = pools.sign_up(&harness.client, None, Username::parse("four").unwrap(), PASSWORD, vec![(
        "email".to_owned(),
        "victim@example.com".to_owned(),
    )]);
    assert!(matches!(refused.await, Err(ServiceError::QuotaExceeded(message)) if message.starts_with("Exceeded daily email limit")));
    assert!(matches!(
        pools.admin_get_user(&harness.pool, &Username::parse("four").unwrap()).await,
        Err(ServiceError::UserNotFound)
    ));
    assert_eq!(harness.outbox.count(), 3);
    harness.clock.advance(3600);
    pools.sign_up(&harness.client, None, Username::parse("four").unwrap(), PASSWORD, victim()).await.unwrap();
}

/// After five failed sign-ins a user is locked out and told "Password attempts exceeded"; a name that
/// matches nobody used to be told "Incorrect username or password." forever, which named the users.
/// Now both get the same answers in the same order.
#[tokio::test]
async fn names_that_match_nobody_lock_out_as_users_do() {
    let harness = Harness::new().await;
    harness.confirmed_user("bob").await;
    let answers = |name: &'static str| {
        let harness = &harness;
        async move {
            let mut answers = Vec::new();
            for _ in 0..7 {
                answers.push(crate::message(harness.password_auth(name, "Wrong-Pass-123").await));
            }
            answers
        }
    };
    let bob = answers("bob").await;
    let nobody = answers("nobody").await;
    assert_eq!(bob[0], "Incorrect username or password.");
    assert_eq!(bob[4], "Password attempts exceeded");
    assert_eq!(bob, nobody);
}

/// Guesses at a confirmation code for a name that matches nobody are answered as a user's guesses are.
#[tokio::test]
async fn code_guesses_for_names_that_match_nobody_answer_as_for_users() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let bob = Username::parse("bob").unwrap();
    pools.sign_up(&harness.client, None, bob.clone(), PASSWORD, vec![("email".into(), "bob@example.com".into())]).await.unwrap();
    let nobody = Username::parse("nobody").unwrap();
    let kind = |result: s3cognito_service::Result<()>| match result {
        Err(ServiceError::CodeMismatch) => "mismatch",
        Err(ServiceError::QuotaExceeded(_)) => "limit",
        other => panic!("unexpected {other:?}"),
    };
    let mut for_bob = Vec::new();
    let mut for_nobody = Vec::new();
    for round in 0..3 {
        if round > 0 {
            pools.resend_confirmation_code(&harness.client, None, &bob).await.unwrap();
            pools.resend_confirmation_code(&harness.client, None, &nobody).await.unwrap();
        }
        let code = harness.outbox.code_for("bob@example.com");
        for _ in 0..5 {
            for_bob.push(kind(pools.confirm_sign_up(&harness.client, None, &bob, wrong_for(&code)).await));
            for_nobody.push(kind(pools.confirm_sign_up(&harness.client, None, &nobody, wrong_for(&code)).await));
        }
    }
    assert_eq!(for_bob[..5], ["mismatch", "mismatch", "mismatch", "mismatch", "limit"]);
    assert_eq!(for_bob[10..], ["limit"; 5], "the hour's guesses are spent");
    assert_eq!(for_bob, for_nobody);
}

/// A mailer that takes a while, as SMTP does.
#[derive(Debug, Default)]
struct SlowMailer(Outbox);

#[async_trait::async_trait]
impl Mailer for SlowMailer {
    async fn send(&self, mail: Mail) -> s3cognito_service::Result<()> {
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.0.send(mail).await
    }
}

/// ForgotPassword for a name that matches nobody mails nothing; it used to answer at once where a
/// real user's answer waited for the mail, so the time alone named the users. It now takes as long
/// as deliveries have lately taken.
#[tokio::test]
async fn forgot_password_takes_as_long_for_nobody_as_for_a_user() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", directory.path().join("meta.db").display());
    let clock = s3cognito_service::clock::ManualClock::starting_at(crate::START);
    let mailer = Arc::new(SlowMailer::default());
    let app = Harness::app_with(&url, &clock, mailer.clone(), rate_limits()).await;
    let pool = app
        .user_pools
        .create_user_pool(
            "us-east-1",
            s3cognito_service::user_pool::PoolSettings { name: "slow".to_owned(), config: email_pool() },
        )
        .await
        .unwrap();
    let pool = s3cognito_types::UserPoolId::parse(pool.id).unwrap();
    let client = Harness::client_of(&app, &pool, false).await;
    let pools = &app.user_pools;
    let alice = Username::parse("alice").unwrap();
    pools.sign_up(&client, None, alice.clone(), PASSWORD, vec![("email".into(), "alice@example.com".into())]).await.unwrap();
    let timed = |name: &'static str| {
        let (pools, client) = (pools, &client);
        async move {
            let started = Instant::now();
            pools.forgot_password(client, None, &Username::parse(name).unwrap()).await.unwrap();
            started.elapsed()
        }
    };
    let user = timed("alice").await;
    let nobody = timed("nobody").await;
    assert!(user >= Duration::from_millis(150), "{user:?}");
    assert!(nobody >= Duration::from_millis(120), "an unknown name answered after {nobody:?}, a user after {user:?}");
}
