//! The client commands (`config`, `signup`, `confirm`, `login`, `upload`, `download`, `ls`, `rm`, `presign`,
//! `jobs`), over the client crate.
//!
//! `config` saves the server's aws-exports.json with a username and password to a file of the user's
//! (mode 0600); the other commands read it. The first sign-in (SRP) saves the session's refresh token in
//! the password's place: later commands renew their tokens with it, and the password is kept on disk only
//! when `config --keep-password` asked for it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::Args;
use s3cognito_client::{AwsExports, Progress, UserPoolClient};
use serde::{Deserialize, Serialize};

/// Where the client keeps its configuration.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The client configuration file (default: ~/.s3cognito/config.json).
    #[arg(long, env = "S3COGNITO_CLIENT_CONFIG", global = true)]
    pub profile: Option<PathBuf>,
    /// Answer in JSON on standard output, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Says what a command did: `text` for a person, or `value` as JSON with `--json`.
fn report(args: &ProfileArgs, text: impl std::fmt::Display, value: serde_json::Value) {
    if args.json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    exports: AwsExports,
    username: Option<String>,
    /// Until the first sign-in, or always with `keep_password`.
    password: Option<String>,
    /// The session's refresh token, from the last sign-in.
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    keep_password: bool,
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

fn save(args: &ProfileArgs, profile: &Profile) -> anyhow::Result<()> {
    let path = profile_path(args)?;
    crate::files::write_atomically(&path, &serde_json::to_vec_pretty(profile)?, 0o600).with_context(|| format!("writing {}", path.display()))
}

/// `s3cognito config --set <aws-exports.json> --usr <user> --pwd <password> [--keep-password]`
pub fn config(
    args: &ProfileArgs,
    exports: &PathBuf,
    username: Option<String>,
    password: Option<String>,
    keep_password: bool,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(exports).with_context(|| format!("reading {}", exports.display()))?;
    let exports = AwsExports::parse(&text)?;
    let path = profile_path(args)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let profile = Profile { exports, username, password, refresh_token: None, keep_password };
    save(args, &profile)?;
    let pool = &profile.exports.aws_user_pools_id;
    report(args, format!("saved configuration for user pool {pool} to {}", path.display()), serde_json::json!({"userPoolId": pool, "path": path}));
    Ok(())
}

/// Keeps the new session's refresh token in the profile, and the password only when asked to.
fn remember(args: &ProfileArgs, profile: &mut Profile, signed_in: &s3cognito_client::SignedIn) -> anyhow::Result<()> {
    profile.refresh_token = signed_in.refresh_token.clone();
    if profile.refresh_token.is_some() && !profile.keep_password {
        profile.password = None;
    }
    save(args, profile)
}

/// Tokens for the saved user: renewed with the saved refresh token, else from a sign-in with the saved
/// password (whose refresh token is then saved).
async fn sign_in_saved(args: &ProfileArgs, profile: &mut Profile, username: &str) -> anyhow::Result<s3cognito_client::SignedIn> {
    use s3cognito_client::ClientError;
    let pool = UserPoolClient::new(profile.exports.clone());
    if let Some(refresh_token) = profile.refresh_token.clone() {
        match pool.refresh(&refresh_token).await {
            Ok(signed_in) => return Ok(signed_in),
            Err(ClientError::Service { code, .. }) if code == "NotAuthorizedException" && profile.password.is_some() => {}
            Err(ClientError::Service { code, message }) if code == "NotAuthorizedException" => {
                return Err(anyhow::Error::from(ClientError::Service { code, message })
                    .context("the saved session has ended (signed out, or unused too long); sign in again with `s3cognito login --pwd <password>`"));
            }
            Err(error) => return Err(error.into()),
        }
    }
    let password = profile.password.clone().context(
        "not signed in and no password saved: run `s3cognito login --pwd <password>` (or `s3cognito config … --pwd <password>`)",
    )?;
    let signed_in = pool.sign_in(username, &password).await?;
    remember(args, profile, &signed_in)?;
    Ok(signed_in)
}

/// `s3cognito signup --usr <user> --pwd <password> --email <email>`
pub async fn signup(args: &ProfileArgs, username: &str, password: &str, email: &str) -> anyhow::Result<()> {
    let profile = load(args)?;
    let confirmed = UserPoolClient::new(profile.exports).sign_up(username, password, email).await?;
    let text = if confirmed { format!("signed up {username}") } else { format!("signed up {username}; a confirmation code was sent to {email}") };
    report(args, text, serde_json::json!({"username": username, "confirmed": confirmed}));
    Ok(())
}

/// `s3cognito confirm --usr <user> --code <code>`
pub async fn confirm(args: &ProfileArgs, username: &str, code: &str) -> anyhow::Result<()> {
    let profile = load(args)?;
    UserPoolClient::new(profile.exports).confirm_sign_up(username, code).await.map_err(|error| with_code_hint(error, "resend-code"))?;
    report(args, format!("confirmed {username}"), serde_json::json!({"username": username, "confirmed": true}));
    Ok(())
}

/// A refused code, said plainly with how to get a new one (`command` sends one).
fn with_code_hint(error: s3cognito_client::ClientError, command: &str) -> anyhow::Error {
    let hint = match &error {
        s3cognito_client::ClientError::Service { code, .. } if code == "CodeMismatchException" => "the code is wrong",
        s3cognito_client::ClientError::Service { code, .. } if code == "ExpiredCodeException" => "the code has expired",
        _ => return error.into(),
    };
    anyhow::Error::from(error).context(format!("{hint}; get a new one with `s3cognito {command} --usr <user>`"))
}

/// `s3cognito login [--usr <user> --pwd <password>]`: signs in with SRP, saves the session for the
/// other commands and prints the ID token.
pub async fn login(args: &ProfileArgs, username: Option<String>, password: Option<String>) -> anyhow::Result<()> {
    let mut profile = load(args)?;
    let username = username.or(profile.username.clone()).context("no username: pass --usr or save one with `config`")?;
    let password = password.or(profile.password.clone()).context("no password: pass --pwd (or save one with `config --keep-password`)")?;
    let signed_in = UserPoolClient::new(profile.exports.clone()).sign_in(&username, &password).await?;
    profile.username = Some(username);
    profile.password = Some(password);
    // Kept only with `--keep-password` (or while no refresh token came back).
    remember(args, &mut profile, &signed_in)?;
    report(args, &signed_in.id_token, serde_json::json!({"idToken": signed_in.id_token, "accessToken": signed_in.access_token}));
    Ok(())
}

/// What `upload` is told beside the files.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The object key to store one file at, instead of `private/<identityId>/<file name>` (for the shared
    /// levels, `public/…` or `protected/<identityId>/…`, as the role allows).
    #[arg(long)]
    pub key: Option<String>,
    /// Part size of multipart uploads, in MiB (at least 5; grown for files past 10,000 parts).
    #[arg(long, default_value_t = 8)]
    pub part_size_mib: u64,
    /// Encrypt each file here before it is sent, under a new data key from KMS, so the server only ever
    /// holds ciphertext (the AWS Encryption SDK's message format); `download` decrypts it.
    #[arg(long)]
    pub encrypt: bool,
    /// The KMS key to encrypt with (key id, ARN or alias).
    #[arg(long, requires = "encrypt", default_value = s3cognito_client::DEFAULT_KEY)]
    pub kms_key_id: String,
    #[command(flatten)]
    pub transfer: TransferArgs,
}

/// Where interrupted multipart uploads are remembered, beside the configuration, so the same upload run
/// again continues them.
fn unfinished_uploads(args: &ProfileArgs) -> anyhow::Result<PathBuf> {
    let path = profile_path(args)?;
    Ok(path.parent().map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf).join("unfinished-uploads"))
}

/// A progress bar with rate and time left for one file, on standard error when it is a terminal.
fn progress_bar(name: &str, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}")
        .map(|style| style.progress_chars("=> "))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(name.to_owned());
    bar
}

/// `s3cognito upload <file>...`: signs in (SRP), trades the ID token for identity-pool credentials, uploads
/// each file into the user's own `private/<identityId>/` (multipart with parallel parts when it is large),
/// records the upload job with the original file name, and prints each object's key.
pub async fn upload(args: &ProfileArgs, files: &[PathBuf], options: &UploadArgs) -> anyhow::Result<()> {
    anyhow::ensure!(!files.is_empty(), "name at least one file to upload");
    anyhow::ensure!(options.key.is_none() || files.len() == 1, "--key names the place of one file; name one file with it");
    anyhow::ensure!(options.part_size_mib >= 5, "--part-size-mib must be at least 5 (S3's smallest part)");
    let Session { username, signed_in, storage } = session(args).await?;
    let plan = s3cognito_client::UploadPlan {
        part_size: options.part_size_mib << 20,
        parallel: options.transfer.parallel.into(),
        max_bytes_per_second: rate_of(options.transfer.max_rate_mib)?,
        encrypt_with: options.encrypt.then(|| options.kms_key_id.clone()),
    };
    let unfinished = unfinished_uploads(args)?;
    for file in files {
        let file_name = file
            .file_name()
            .and_then(|name| name.to_str())
            .with_context(|| format!("{} has no file name", file.display()))?;
        let key = options.key.clone().unwrap_or_else(|| storage.key_of(file_name));
        let content_type = content_type_of(file_name);
        let progress = Arc::new(Progress::default());
        let work = storage.upload(file, &key, content_type, plan.clone(), progress.clone(), Some(&unfinished));
        let uploaded = with_progress(progress_bar(file_name, options.transfer.quiet), &progress, work)
            .await
            .with_context(|| format!("uploading {}", file.display()))?;
        if uploaded.resumed_parts > 0 {
            eprintln!("{}: continued an interrupted upload; {} of {} parts were already stored", file.display(), uploaded.resumed_parts, uploaded.parts);
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64);
        let uploaded_on = s3cognito_crypto::calendar::iso8601(now);
        if let Err(error) = storage.record_job(&signed_in, &username, &uploaded, file_name, &uploaded_on).await {
            // The file is stored; only its record failed.
            eprintln!("{} is stored at {}, but recording its upload job failed: {error}", file.display(), uploaded.key);
        }
        let shown = serde_json::json!({
            "file": file, "key": uploaded.key, "size": uploaded.size, "etag": uploaded.etag,
            "parts": uploaded.parts, "resumedParts": uploaded.resumed_parts, "encrypted": options.encrypt,
        });
        report(args, &uploaded.key, shown);
    }
    Ok(())
}

/// The content type of common file names, else `application/octet-stream`.
fn content_type_of(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

/// A signed-in user and their storage.
struct Session {
    username: String,
    signed_in: s3cognito_client::SignedIn,
    storage: s3cognito_client::UserStorage,
}

/// The saved user's session and their storage with identity-pool credentials.
async fn session(args: &ProfileArgs) -> anyhow::Result<Session> {
    let mut profile = load(args)?;
    let username = profile
        .username
        .clone()
        .context("no username saved: run `s3cognito config --set <aws-exports.json> --usr <user> --pwd <password>`")?;
    let signed_in = sign_in_saved(args, &mut profile, &username).await?;
    let storage = s3cognito_client::UserStorage::open(&profile.exports, &signed_in).await?;
    Ok(Session { username, signed_in, storage })
}

/// A name in the user's own folder, or a whole key given with `--key`.
fn key_for(storage: &s3cognito_client::UserStorage, name: &str, whole_key: bool) -> anyhow::Result<String> {
    if whole_key {
        return Ok(name.to_owned());
    }
    anyhow::ensure!(
        !name.is_empty() && !name.starts_with('/') && !name.split('/').any(|segment| segment == ".." || segment == "."),
        "{name:?} is not a name in your folder (no leading /, no . or .. segments)"
    );
    Ok(storage.key_of(name))
}

/// How a transfer (upload or download) goes, beside what it moves.
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// The most to move, in MiB a second on average (default: as fast as the link goes).
    #[arg(long)]
    pub max_rate_mib: Option<f64>,
    /// Parts in flight at once (of a multipart upload, or of a download of an object stored in parts).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Show no progress bar, even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}

/// MiB a second as bytes a second.
fn rate_of(mib: Option<f64>) -> anyhow::Result<Option<u64>> {
    anyhow::ensure!(mib.is_none_or(|rate| rate > 0.0), "--max-rate-mib must be more than 0");
    Ok(mib.map(|rate| (rate * f64::from(1u32 << 20)) as u64))
}

/// Runs `work` with a progress bar fed from `progress` ten times a second.
async fn with_progress<T>(bar: indicatif::ProgressBar, progress: &Arc<Progress>, work: impl std::future::Future<Output = T>) -> T {
    let ticker = {
        let (progress, bar) = (progress.clone(), bar.clone());
        tokio::spawn(async move {
            loop {
                bar.set_length(progress.total.load(Ordering::Relaxed));
                bar.set_position(progress.done.load(Ordering::Relaxed));
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };
    let outcome = work.await;
    ticker.abort();
    bar.finish_and_clear();
    outcome
}

/// Whether `download` decrypts.
#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// Decrypt the file even if it is not marked as encrypted by `upload --encrypt` (a message of the
    /// AWS Encryption SDK stored by another program).
    #[arg(long, conflicts_with = "no_decrypt")]
    pub decrypt: bool,
    /// Keep a file encrypted by `upload --encrypt` as the ciphertext it is stored as.
    #[arg(long)]
    pub no_decrypt: bool,
}

/// `s3cognito download <name> [<dest>]`: the file, streamed to `dest` (default: its name, here), and
/// decrypted when it was encrypted before it was uploaded; an interrupted download run again continues
/// where it stopped.
pub async fn download(
    args: &ProfileArgs,
    name: &str,
    dest: Option<PathBuf>,
    whole_key: bool,
    options: &TransferArgs,
    decrypt: &DecryptArgs,
) -> anyhow::Result<()> {
    use s3cognito_client::Decrypt;
    let decrypt = match (decrypt.decrypt, decrypt.no_decrypt) {
        (true, _) => Decrypt::Always,
        (_, true) => Decrypt::Never,
        _ => Decrypt::Marked,
    };
    let plan = s3cognito_client::DownloadPlan { parallel: options.parallel.into(), max_bytes_per_second: rate_of(options.max_rate_mib)?, decrypt };
    let Session { storage, .. } = session(args).await?;
    let key = key_for(&storage, name, whole_key)?;
    let base = name.rsplit('/').next().unwrap_or(name);
    let dest = match dest {
        Some(dest) if dest.is_dir() => dest.join(base),
        Some(dest) => dest,
        None => PathBuf::from(base),
    };
    let progress = Arc::new(Progress::default());
    let work = storage.download(&key, &dest, plan, progress.clone());
    let downloaded = with_progress(progress_bar(base, options.quiet), &progress, work).await.with_context(|| format!("downloading {name}"))?;
    if downloaded.resumed_from > 0 {
        eprintln!("{}: continued an interrupted download; {} of {} bytes were already here", dest.display(), downloaded.resumed_from, downloaded.size);
    }
    let shown = serde_json::json!({"path": dest, "size": downloaded.size, "resumedFrom": downloaded.resumed_from, "decrypted": downloaded.decrypted});
    report(args, format!("{} ({} bytes)", dest.display(), downloaded.size), shown);
    Ok(())
}

/// `s3cognito ls [prefix]`: the user's files, with size and time.
pub async fn ls(args: &ProfileArgs, prefix: Option<&str>) -> anyhow::Result<()> {
    let Session { storage, .. } = session(args).await?;
    let own = storage.key_of("");
    let objects = storage.list(&format!("{own}{}", prefix.unwrap_or(""))).await?;
    if args.json {
        let listed: Vec<_> = objects
            .iter()
            .map(|(key, size, modified)| serde_json::json!({"name": &key[own.len()..], "key": key, "size": size, "modified": s3cognito_crypto::calendar::iso8601(*modified)}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(());
    }
    for (key, size, modified) in &objects {
        println!("{}  {size:>12}  {}", s3cognito_crypto::calendar::iso8601(*modified), &key[own.len()..]);
    }
    Ok(())
}

/// `s3cognito rm <name>...`
pub async fn rm(args: &ProfileArgs, names: &[String], whole_key: bool) -> anyhow::Result<()> {
    let Session { storage, .. } = session(args).await?;
    for name in names {
        let key = key_for(&storage, name, whole_key)?;
        storage.remove(&key).await.with_context(|| format!("removing {name}"))?;
        report(args, format!("removed {name}"), serde_json::json!({"removed": name, "key": key}));
    }
    Ok(())
}

/// `s3cognito presign <name> [--expires SECONDS]`: a URL to share the file with.
pub async fn presign(args: &ProfileArgs, name: &str, expires: u64, whole_key: bool) -> anyhow::Result<()> {
    anyhow::ensure!((1..=604_800).contains(&expires), "--expires must be between 1 second and a week (604800)");
    let Session { storage, .. } = session(args).await?;
    let key = key_for(&storage, name, whole_key)?;
    let url = storage.presign_get(&key, std::time::Duration::from_secs(expires)).await?;
    report(args, &url, serde_json::json!({"url": url, "key": key, "expiresIn": expires}));
    Ok(())
}

/// `s3cognito jobs`: the user's upload history.
pub async fn jobs(args: &ProfileArgs) -> anyhow::Result<()> {
    let Session { signed_in, storage, .. } = session(args).await?;
    let jobs = storage.jobs(&signed_in).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&jobs)?);
        return Ok(());
    }
    for job in &jobs {
        // Others' jobs (an administrator sees them) hold text they chose: no control characters reach the terminal.
        let text = |name: &str| {
            let value = job.get(name).and_then(serde_json::Value::as_str).unwrap_or("-");
            value.chars().map(|c| if c.is_control() { '?' } else { c }).collect::<String>()
        };
        let size = job.get("size").and_then(serde_json::Value::as_f64).map_or("-".to_owned(), |size| format!("{size:.0}"));
        println!("{}  {:<8}  {size:>12}  {}  ({})", text("uploadedOn"), text("status"), text("fileName"), text("objKey"));
    }
    Ok(())
}

/// `s3cognito resend-code --usr <user>`: a new confirmation code.
pub async fn resend_code(args: &ProfileArgs, username: Option<String>) -> anyhow::Result<()> {
    let profile = load(args)?;
    let username = username.or(profile.username.clone()).context("no username: pass --usr")?;
    let destination = UserPoolClient::new(profile.exports).resend_confirmation_code(&username).await?;
    let text = format!("a new confirmation code for {username} was sent to {destination}; confirm with `s3cognito confirm --usr {username} --code <code>`");
    report(args, text, serde_json::json!({"username": username, "destination": destination}));
    Ok(())
}

/// `s3cognito forgot-password --usr <user>`: a code to reset the password with.
pub async fn forgot_password(args: &ProfileArgs, username: Option<String>) -> anyhow::Result<()> {
    let profile = load(args)?;
    let username = username.or(profile.username.clone()).context("no username: pass --usr")?;
    let destination = UserPoolClient::new(profile.exports).forgot_password(&username).await?;
    let text = format!("a code to reset {username}'s password was sent to {destination}; then `s3cognito reset-password --usr {username} --code <code> --pwd <new password>`");
    report(args, text, serde_json::json!({"username": username, "destination": destination}));
    Ok(())
}

/// `s3cognito reset-password --usr <user> --code <code> --pwd <new>`: the new password, saved in the
/// configuration when it is the configured user's.
pub async fn reset_password(args: &ProfileArgs, username: Option<String>, code: &str, password: &str) -> anyhow::Result<()> {
    let mut profile = load(args)?;
    let username = username.or(profile.username.clone()).context("no username: pass --usr")?;
    UserPoolClient::new(profile.exports.clone())
        .confirm_forgot_password(&username, code, password)
        .await
        .map_err(|error| with_code_hint(error, "forgot-password"))?;
    if profile.username.as_deref() == Some(username.as_str()) {
        // The configured user goes on signed in with the new password (kept on disk only if asked).
        let signed_in = UserPoolClient::new(profile.exports.clone()).sign_in(&username, password).await?;
        if profile.keep_password {
            profile.password = Some(password.to_owned());
        }
        remember(args, &mut profile, &signed_in)?;
    }
    report(args, format!("the password of {username} is changed"), serde_json::json!({"username": username, "changed": true}));
    Ok(())
}

/// `s3cognito whoami`: the configured user as the pool knows them, and their identity.
pub async fn whoami(args: &ProfileArgs) -> anyhow::Result<()> {
    let Session { signed_in, storage, .. } = session(args).await?;
    let profile = load(args)?;
    let (username, attributes) = UserPoolClient::new(profile.exports).user(&signed_in).await?;
    let attributes: serde_json::Map<String, serde_json::Value> =
        attributes.into_iter().map(|(name, value)| (name, serde_json::Value::String(value))).collect();
    if args.json {
        let shown = serde_json::json!({"username": username, "identityId": storage.identity_id(), "attributes": attributes});
        println!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(());
    }
    println!("{username}");
    println!("identity  {}", storage.identity_id());
    for (name, value) in &attributes {
        println!("{name}  {}", value.as_str().unwrap_or_default());
    }
    Ok(())
}

/// `s3cognito logout`: signs the user out everywhere (every refresh token revoked) and forgets the saved
/// password.
pub async fn logout(args: &ProfileArgs) -> anyhow::Result<()> {
    let Session { username, signed_in, .. } = session(args).await?;
    let mut profile = load(args)?;
    UserPoolClient::new(profile.exports.clone()).sign_out_everywhere(&signed_in).await?;
    profile.password = None;
    profile.refresh_token = None;
    save(args, &profile)?;
    let text = format!("signed {username} out everywhere; the saved session and password are forgotten (`s3cognito login --pwd <password>` to sign in again)");
    report(args, text, serde_json::json!({"username": username, "signedOut": true}));
    Ok(())
}
