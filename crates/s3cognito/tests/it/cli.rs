//! The client commands as the README shows them, but for the configuration file's place: config,
//! signup, confirm (with the code from the outbox), then an SRP sign-in.

use std::process::Command;

use crate::Server;

fn s3cognito(profile: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_s3cognito"))
        .args(args)
        .env("S3COGNITO_CLIENT_CONFIG", profile)
        .output()
        .expect("the binary runs")
}

fn succeeds(output: std::process::Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The 6-digit code in the newest outbox message to `address`.
fn code_for(server: &Server, address: &str) -> String {
    let mut messages: Vec<_> = std::fs::read_dir(server.data.join("outbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .collect();
    messages.sort();
    let text = messages
        .iter()
        .rev()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .find(|text| text.contains(&format!("To: {address}")))
        .expect("a message to that address");
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    body.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).expect("a code").to_owned()
}

#[tokio::test]
async fn config_signup_confirm_then_sign_in_with_srp() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path(), None);
    let profile = data.path().join("client.json");
    let exports = data.path().join("aws-exports.json");
    succeeds(s3cognito(&profile, &["config", "--set", exports.to_str().unwrap(), "--usr", "carol", "--pwd", "Carol-Pass-123"]));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&profile).unwrap().permissions().mode() & 0o777, 0o600);
    succeeds(s3cognito(&profile, &["signup", "--usr", "carol", "--pwd", "Carol-Pass-123", "--email", "carol@example.com"]));
    let refused = s3cognito(&profile, &["login"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("UserNotConfirmedException"));
    let code = code_for(&server, "carol@example.com");
    succeeds(s3cognito(&profile, &["confirm", "--usr", "carol", "--code", &code]));
    let id_token = succeeds(s3cognito(&profile, &["login"]));
    let claims = s3cognito_crypto::jwt::decode_unverified(id_token.trim()).unwrap();
    assert_eq!(claims["cognito:username"], "carol");
    assert_eq!(claims["token_use"], "id");
    let wrong = s3cognito(&profile, &["login", "--pwd", "Wrong-Pass-123"]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("NotAuthorizedException"));
    server.stop();
}
