//! The user pool through aws-sdk-cognitoidentityprovider: the admin flow (AdminCreateUser,
//! ADMIN_NO_SRP_AUTH, NEW_PASSWORD_REQUIRED), errors, restarts.

use aws_sdk_cognitoidentityprovider::config::Credentials;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, ChallengeNameType};

use crate::{Server, engines};

const TEMPORARY: &str = "MySecretPassword123!";
const PERMANENT: &str = "MyNewPassword456!";

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder().name(name).value(value).build().unwrap()
}

/// The admin flow: AdminCreateUser, AdminInitiateAuth ADMIN_NO_SRP_AUTH, NEW_PASSWORD_REQUIRED, tokens.
async fn create_and_sign_in(server: &Server, username: &str) -> (String, String, String) {
    let admin = server.admin();
    let (pool, client) = (server.pool_id(), server.client_id());
    admin
        .admin_create_user()
        .user_pool_id(&pool)
        .username(username)
        .user_attributes(attribute("email", &format!("{username}@example.com")))
        .user_attributes(attribute("email_verified", "True"))
        .temporary_password(TEMPORARY)
        .send()
        .await
        .unwrap();
    let challenge = admin
        .admin_initiate_auth()
        .user_pool_id(&pool)
        .client_id(&client)
        .auth_flow(AuthFlowType::AdminNoSrpAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", TEMPORARY)
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.challenge_name(), Some(&ChallengeNameType::NewPasswordRequired));
    let answer = admin
        .admin_respond_to_auth_challenge()
        .user_pool_id(&pool)
        .client_id(&client)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .challenge_responses("NEW_PASSWORD", PERMANENT)
        .challenge_responses("USERNAME", username)
        .session(challenge.session().unwrap())
        .send()
        .await
        .unwrap();
    let result = answer.authentication_result().unwrap();
    assert_eq!(result.token_type(), Some("Bearer"));
    assert_eq!(result.expires_in(), 3600);
    (
        result.access_token().unwrap().to_owned(),
        result.id_token().unwrap().to_owned(),
        result.refresh_token().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn admin_created_user_sets_a_new_password_and_signs_in_on_every_engine() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let (access, _, _) = create_and_sign_in(&server, "demo").await;
        let public = server.cognito(Credentials::new("unused", "unused", None, None, "none"));
        let user = public.get_user().access_token(&access).send().await.unwrap();
        assert_eq!(user.username(), "demo");
        let email = user.user_attributes().iter().find(|a| a.name() == "email").unwrap();
        assert_eq!(email.value(), Some("demo@example.com"));
        let described = server.admin().admin_get_user().user_pool_id(server.pool_id()).username("demo").send().await.unwrap();
        assert_eq!(described.user_status().map(|s| s.as_str()), Some("CONFIRMED"));
        server.stop();
    }
}

#[tokio::test]
async fn users_keys_and_tokens_survive_a_restart() {
    for database in engines().await {
        let data = tempfile::tempdir().unwrap();
        let server = Server::start(data.path(), database.as_deref());
        let (pool, client) = (server.pool_id(), server.client_id());
        let (access, _, refresh) = create_and_sign_in(&server, "demo").await;
        let credentials = std::fs::read(data.path().join("credentials")).unwrap();
        let server = server.restart();
        assert_eq!((server.pool_id(), server.client_id()), (pool.clone(), client.clone()), "bootstrap is idempotent");
        assert_eq!(std::fs::read(data.path().join("credentials")).unwrap(), credentials);
        let public = server.cognito(Credentials::new("unused", "unused", None, None, "none"));
        public.get_user().access_token(&access).send().await.unwrap();
        let refreshed = public
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", &refresh)
            .send()
            .await
            .unwrap();
        assert!(refreshed.authentication_result().unwrap().access_token().is_some());
        let signed_in = public
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "demo")
            .auth_parameters("PASSWORD", PERMANENT)
            .send()
            .await
            .unwrap();
        assert!(signed_in.authentication_result().is_some());
        server.stop();
    }
}

#[tokio::test]
async fn admin_calls_need_a_valid_signature() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let root = server.root_credentials();
    let wrong_secret = Credentials::new(root.access_key_id(), "not-the-secret", None, None, "test");
    let unknown_key = Credentials::new("AKIAUNKNOWNKEY000000", root.secret_access_key(), None, None, "test");
    for (credentials, code) in
        [(wrong_secret, "InvalidSignatureException"), (unknown_key, "UnrecognizedClientException")]
    {
        let error = server
            .cognito(credentials)
            .list_user_pools()
            .max_results(10)
            .send()
            .await
            .expect_err("refused");
        assert_eq!(error.code(), Some(code));
    }
    let pools = server.admin().list_user_pools().max_results(10).send().await.unwrap();
    assert_eq!(pools.user_pools().len(), 1);
    server.stop();
}

#[tokio::test]
async fn pools_clients_and_errors_in_aws_shape() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let admin = server.admin();
    let created = admin.create_user_pool().pool_name("second").send().await.unwrap();
    let pool = created.user_pool().unwrap();
    let pool_id = pool.id().unwrap().to_owned();
    assert!(pool_id.starts_with("us-east-1_"));
    assert!(pool.arn().unwrap().starts_with("arn:aws:cognito-idp:us-east-1:"));
    let client = admin
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("with-secret")
        .generate_secret(true)
        .send()
        .await
        .unwrap();
    let client = client.user_pool_client().unwrap();
    assert_eq!(client.client_secret().map(str::len), Some(51));
    let clients = admin.list_user_pool_clients().user_pool_id(&pool_id).send().await.unwrap();
    assert_eq!(clients.user_pool_clients().len(), 1);
    let missing = admin.describe_user_pool().user_pool_id("us-east-1_missing").send().await.expect_err("missing");
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));
    let weak = admin
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("weak")
        .temporary_password("short")
        .send()
        .await
        .expect_err("weak");
    assert_eq!(weak.code(), Some("InvalidPasswordException"));
    admin.delete_user_pool().user_pool_id(&pool_id).send().await.unwrap();
    let gone = admin.describe_user_pool().user_pool_id(&pool_id).send().await.expect_err("deleted");
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
    server.stop();
}
