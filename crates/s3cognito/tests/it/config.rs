//! Settings come from flags, environment variables and a TOML file, in that order of precedence.

use std::process::Command;

use aws_sdk_cognitoidentityprovider::config::Credentials;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;

use crate::Server;

/// Creates a user, then returns the message of each of `attempts` wrong passwords.
async fn wrong_password_messages(server: &Server, attempts: usize) -> Vec<String> {
    let admin = server.admin();
    let (pool, client) = (server.pool_id(), server.client_id());
    admin
        .admin_create_user()
        .user_pool_id(&pool)
        .username("dora")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    admin.admin_set_user_password().user_pool_id(&pool).username("dora").password("Dora-Pass-123").permanent(true).send().await.unwrap();
    let public = server.cognito(Credentials::new("unused", "unused", None, None, "none"));
    let mut messages = Vec::new();
    for _ in 0..attempts {
        let error = public
            .initiate_auth()
            .client_id(&client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", "dora")
            .auth_parameters("PASSWORD", "Wrong-Pass-123")
            .send()
            .await
            .expect_err("a wrong password");
        messages.push(error.message().unwrap_or_default().to_owned());
    }
    messages
}

#[tokio::test]
async fn the_config_file_sets_what_flags_and_variables_leave_open() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("s3cognito.toml");
    std::fs::write(
        &file,
        format!("data = {:?}\nlisten = \"127.0.0.1:0\"\nlockout_threshold = 2\n", data.path().join("state").display().to_string()),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3cognito"));
    command.args(["serve", "--config"]).arg(&file).env_remove("S3COGNITO_LOCKOUT_THRESHOLD");
    let server = Server::spawn(command, &data.path().join("state"), None);
    assert_eq!(wrong_password_messages(&server, 2).await, ["Incorrect username or password.", "Password attempts exceeded"]);
    server.stop();

    // The variable beats the file, and the flag beats the variable.
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3cognito"));
    command.args(["serve", "--config"]).arg(&file).env("S3COGNITO_LOCKOUT_THRESHOLD", "9");
    command.args(["--lockout-threshold", "3", "--data"]).arg(data.path().join("other"));
    let server = Server::spawn(command, &data.path().join("other"), None);
    assert_eq!(
        wrong_password_messages(&server, 3).await,
        ["Incorrect username or password.", "Incorrect username or password.", "Password attempts exceeded"]
    );
    server.stop();
}

#[tokio::test]
async fn an_unknown_config_key_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("s3cognito.toml");
    std::fs::write(&file, "listen_on = \"127.0.0.1:0\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_s3cognito")).args(["serve", "--config"]).arg(&file).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("listen_on"), "{}", String::from_utf8_lossy(&output.stderr));
}
