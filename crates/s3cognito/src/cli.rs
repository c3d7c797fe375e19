//! The client commands (`config`, `signup`, `confirm`, `login`), over the client crate.
//!
//! `config` saves the server's aws-exports.json with a username and password to a file of the user's
//! (mode 0600: it holds the password, which `login` signs in with); the other commands read it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use s3cognito_client::{AwsExports, UserPoolClient};
use serde::{Deserialize, Serialize};

/// Where the client keeps its configuration.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The client configuration file (default: ~/.s3cognito/config.json).
    #[arg(long, env = "S3COGNITO_CLIENT_CONFIG", global = true)]
    pub profile: Option<PathBuf>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Profile {
    exports: AwsExports,
    username: Option<String>,
    password: Option<String>,
}

fn profile_path(args: &ProfileArgs) -> anyhow::Result<PathBuf> {
    match &args.profile {
        Some(path) => Ok(path.clone()),
        None => {
            let home = std::env::var_os("HOME").context("HOME is not set; pass --profile")?;
            Ok(PathBuf::from(home).join(".s3cognito").join("config.json"))
        }
    }
}

fn load(args: &ProfileArgs) -> anyhow::Result<Profile> {
    let path = profile_path(args)?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("no client configuration at {}; run `s3cognito config --set <aws-exports.json>` first", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))
}

/// `s3cognito config --set <aws-exports.json> --usr <user> --pwd <password>`
pub fn config(args: &ProfileArgs, exports: &PathBuf, username: Option<String>, password: Option<String>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(exports).with_context(|| format!("reading {}", exports.display()))?;
    let exports = AwsExports::parse(&text)?;
    let path = profile_path(args)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let profile = Profile { exports, username, password };
    crate::files::write_atomically(&path, &serde_json::to_vec_pretty(&profile)?, 0o600)?;
    println!("saved configuration for user pool {} to {}", profile.exports.aws_user_pools_id, path.display());
    Ok(())
}

/// `s3cognito signup --usr <user> --pwd <password> --email <email>`
pub async fn signup(args: &ProfileArgs, username: &str, password: &str, email: &str) -> anyhow::Result<()> {
    let profile = load(args)?;
    let confirmed = UserPoolClient::new(profile.exports).sign_up(username, password, email).await?;
    if confirmed {
        println!("signed up {username}");
    } else {
        println!("signed up {username}; a confirmation code was sent to {email}");
    }
    Ok(())
}

/// `s3cognito confirm --usr <user> --code <code>`
pub async fn confirm(args: &ProfileArgs, username: &str, code: &str) -> anyhow::Result<()> {
    let profile = load(args)?;
    UserPoolClient::new(profile.exports).confirm_sign_up(username, code).await?;
    println!("confirmed {username}");
    Ok(())
}

/// `s3cognito login [--usr <user> --pwd <password>]`: signs in with SRP and prints the ID token.
pub async fn login(args: &ProfileArgs, username: Option<String>, password: Option<String>) -> anyhow::Result<()> {
    let profile = load(args)?;
    let username = username.or(profile.username.clone()).context("no username: pass --usr or save one with `config`")?;
    let password = password.or(profile.password.clone()).context("no password: pass --pwd or save one with `config`")?;
    let signed_in = UserPoolClient::new(profile.exports).sign_in(&username, &password).await?;
    println!("{}", signed_in.id_token);
    Ok(())
}
