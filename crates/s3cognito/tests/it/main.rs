//! End-to-end: the real binary, spawned on a fresh data dir, driven by the AWS SDK for Rust.
//! Each scenario runs on SQLite, and on PostgreSQL too when `S3COGNITO_TEST_POSTGRES_URL` is set.

mod abuse;
mod checksums;
mod cli;
mod config;
mod encryption;
mod cognito;
mod s3;
mod s3_settings;
mod s3_versions;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};

/// A running server and what a client needs to reach it.
pub struct Server {
    child: Child,
    pub endpoint: String,
    pub data: PathBuf,
    pub exports: serde_json::Value,
    database_url: Option<String>,
}

impl Server {
    /// Starts the binary on `data`, optionally on a given database, and waits for its listening line.
    pub fn start(data: &Path, database_url: Option<&str>) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_s3cognito"));
        command.args(["serve", "--listen", "127.0.0.1:0", "--data"]).arg(data);
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        Server::spawn(command, data, database_url)
    }

    /// Starts the binary as `command` says; it must serve `data`.
    pub fn spawn(mut command: Command, data: &Path, database_url: Option<&str>) -> Server {
        let mut child = command
            .env("S3COGNITO_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the s3cognito binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let endpoint = line
            .trim()
            .strip_prefix("s3cognito listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        let exports = serde_json::from_slice(&std::fs::read(data.join("aws-exports.json")).unwrap()).unwrap();
        Server { child, endpoint, data: data.to_owned(), exports, database_url: database_url.map(str::to_owned) }
    }

    /// Stops with SIGTERM, expecting a clean exit, and starts again on the same data.
    pub fn restart(self) -> Server {
        let data = self.data.clone();
        let database_url = self.database_url.clone();
        self.stop();
        Server::start(&data, database_url.as_deref())
    }

    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "server exited with {exit}");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn pool_id(&self) -> String {
        self.exports["aws_user_pools_id"].as_str().unwrap().to_owned()
    }

    pub fn client_id(&self) -> String {
        self.exports["aws_user_pools_web_client_id"].as_str().unwrap().to_owned()
    }

    /// The root credentials from `DATA/credentials`.
    pub fn root_credentials(&self) -> Credentials {
        let text = std::fs::read_to_string(self.data.join("credentials")).unwrap();
        let value = |key: &str| {
            text.lines()
                .find_map(|line| line.split_once('=').filter(|(k, _)| k.trim() == key).map(|(_, v)| v.trim().to_owned()))
                .unwrap()
        };
        Credentials::new(value("aws_access_key_id"), value("aws_secret_access_key"), None, None, "s3cognito")
    }

    pub fn cognito(&self, credentials: Credentials) -> aws_sdk_cognitoidentityprovider::Client {
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .build();
        aws_sdk_cognitoidentityprovider::Client::from_conf(config)
    }

    pub fn admin(&self) -> aws_sdk_cognitoidentityprovider::Client {
        self.cognito(self.root_credentials())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The database engines to run a scenario on: SQLite in the data dir, and a fresh PostgreSQL
/// database when one is configured.
pub async fn engines() -> Vec<Option<String>> {
    let mut engines = vec![None];
    if let Ok(server) = std::env::var("S3COGNITO_TEST_POSTGRES_URL") {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let name = format!("s3cognito_e2e_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::AnyPool::connect(&server).await.expect("PostgreSQL named by S3COGNITO_TEST_POSTGRES_URL");
        // The name is ours (a fresh uuid), so building the statement from it is safe.
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        admin.close().await;
        let (base, _) = server.rsplit_once('/').expect("a URL ending in /<database>");
        engines.push(Some(format!("{base}/{name}")));
    }
    engines
}
