//! The files `serve` leaves in the data dir for clients: credentials and aws-exports.json.

use std::io::Write;
use std::path::Path;

use s3cognito_service::bootstrap::Bootstrap;
use serde_json::json;

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename) with the given mode.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&partial)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

/// The root access key as an AWS shared-credentials file, profile `s3cognito`. Mode 0600.
pub fn write_credentials(data: &Path, bootstrap: &Bootstrap) -> std::io::Result<()> {
    let text = format!(
        "[s3cognito]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        bootstrap.root_access_key_id, bootstrap.root_secret_access_key
    );
    write_atomically(&data.join("credentials"), text.as_bytes(), 0o600)
}

/// Amplify's client configuration, pointing at this server: aws-exports.json, and the upload page's
/// settings.
pub fn aws_exports(bootstrap: &Bootstrap, region: &str, base_url: &str) -> serde_json::Value {
    json!({
        "aws_project_region": region,
        "aws_cognito_region": region,
        "aws_user_pools_id": bootstrap.user_pool_id,
        "aws_user_pools_web_client_id": bootstrap.client_id,
        "aws_cognito_identity_pool_id": bootstrap.identity_pool_id,
        "aws_user_files_s3_bucket": bootstrap.bucket,
        "aws_user_files_s3_bucket_region": region,
        "aws_appsync_graphqlEndpoint": format!("{base_url}/_s3cognito/graphql"),
        "aws_appsync_region": region,
        "aws_appsync_authenticationType": "AMAZON_COGNITO_USER_POOLS",
        "aws_cloud_logic_custom": [{
            "name": "presign",
            "endpoint": format!("{base_url}/_s3cognito/presign"),
            "region": region,
        }],
        "s3cognito_endpoint": base_url,
        "s3cognito_upload_endpoint": format!("{base_url}/_s3cognito/upload"),
        "s3cognito_app": format!("{base_url}/_s3cognito/app/"),
    })
}

/// Writes aws-exports.json into the data dir.
pub fn write_aws_exports(data: &Path, exports: &serde_json::Value) -> std::io::Result<()> {
    let mut text = serde_json::to_vec_pretty(exports).map_err(std::io::Error::other)?;
    text.push(b'\n');
    write_atomically(&data.join("aws-exports.json"), &text, 0o644)
}

/// Reads the 32-byte master key (hex) from `path`, creating it with mode 0600 on first start.
pub fn load_or_create_master_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    use anyhow::Context;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).context("the master key file is not hex")?;
            bytes.try_into().map_err(|_| anyhow::anyhow!("the master key must be 32 bytes (64 hex digits)"))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = s3cognito_crypto::aead::SealingKey::generate().to_bytes();
            write_atomically(path, format!("{}\n", hex::encode(key)).as_bytes(), 0o600)
                .with_context(|| format!("creating {}", path.display()))?;
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}
