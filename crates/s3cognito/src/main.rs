//! The `s3cognito` binary: `serve` runs the whole system; the other commands are its clients.

mod audit;
mod cli;
mod config;
mod files;
mod serve;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "s3cognito", version, about = "Cognito user pools, identity pools and a private S3 bucket in one self-hosted program")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per process; boxing buys nothing")]
enum Command {
    /// Run the server: every AWS-compatible API on one endpoint.
    Serve(config::ServeArgs),
    /// Save a server's aws-exports.json (and a user) as this client's configuration.
    Config {
        #[arg(long = "set", value_name = "AWS_EXPORTS_JSON")]
        exports: std::path::PathBuf,
        #[arg(long = "usr")]
        username: Option<String>,
        #[arg(long = "pwd")]
        password: Option<String>,
        /// Keep the password on disk after the first sign-in (by default only the session's refresh
        /// token is kept then).
        #[arg(long)]
        keep_password: bool,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Sign up a user; a confirmation code is mailed to the address.
    Signup {
        #[arg(long = "usr")]
        username: String,
        #[arg(long = "pwd")]
        password: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Confirm a sign-up with the mailed code.
    Confirm {
        #[arg(long = "usr")]
        username: String,
        #[arg(long)]
        code: String,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Upload files into the user's own folder (`private/<identityId>/`) and record the uploads.
    Upload {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<std::path::PathBuf>,
        #[command(flatten)]
        options: cli::UploadArgs,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Download one of the user's files (to its name here, or to DEST).
    Download {
        name: String,
        dest: Option<std::path::PathBuf>,
        /// NAME is a whole object key, not a name in the user's folder.
        #[arg(long = "whole-key")]
        key: bool,
        #[command(flatten)]
        options: cli::TransferArgs,
        #[command(flatten)]
        decrypt: cli::DecryptArgs,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// List the user's files (those whose names start with PREFIX).
    Ls {
        prefix: Option<String>,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Delete files of the user's.
    Rm {
        #[arg(required = true)]
        names: Vec<String>,
        /// The NAMES are whole object keys.
        #[arg(long = "whole-key")]
        key: bool,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Print a URL that downloads one of the user's files, for sharing.
    Presign {
        name: String,
        /// How long the URL works, in seconds (at most a week; the identity's credentials may end it sooner).
        #[arg(long, default_value_t = 3600)]
        expires: u64,
        /// NAME is a whole object key.
        #[arg(long = "whole-key")]
        key: bool,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// The user's upload history, as the GraphQL API records it.
    Jobs {
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Mail a new confirmation code.
    ResendCode {
        #[arg(long = "usr")]
        username: Option<String>,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Mail a code to reset a forgotten password with.
    ForgotPassword {
        #[arg(long = "usr")]
        username: Option<String>,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Set a new password with the mailed code.
    ResetPassword {
        #[arg(long = "usr")]
        username: Option<String>,
        #[arg(long)]
        code: String,
        #[arg(long = "pwd")]
        password: String,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Show the configured user as the pool knows them, and their identity.
    Whoami {
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// Sign the user out everywhere and forget the saved password.
    Logout {
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
    /// The audit log, newest first: sign-ins and their failures, lockouts, administration, credentials
    /// issued, objects written, read and deleted, requests refused.
    Audit(audit::AuditArgs),
    /// Sign in with SRP and print the ID token.
    Login {
        #[arg(long = "usr")]
        username: Option<String>,
        #[arg(long = "pwd")]
        password: Option<String>,
        #[command(flatten)]
        profile: cli::ProfileArgs,
    },
}

/// Runs the command; on failure says why on standard error, in one line, and exits with a code scripts
/// can act on: 1 for anything not below, 2 for a command line that does not parse, 3 when the service
/// refused (wrong password or code, unconfirmed user, access denied), 4 when what was named does not
/// exist, 5 when the server could not be reached, 6 when an upload or download was interrupted and may be run
/// again to continue it.
fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("s3cognito: {error:#}");
            std::process::ExitCode::from(exit_code(&error))
        }
    }
}

fn exit_code(error: &anyhow::Error) -> u8 {
    use s3cognito_client::ClientError;
    let Some(client) = error.chain().find_map(|cause| cause.downcast_ref::<ClientError>()) else {
        return 1;
    };
    match client {
        ClientError::Interrupted { .. } | ClientError::DownloadInterrupted { .. } => 6,
        ClientError::Transport(_) => 5,
        ClientError::Service { code, .. } if matches!(code.as_str(), "NoSuchKey" | "NotFound" | "ResourceNotFoundException" | "NoSuchUpload") => 4,
        ClientError::Service { .. } => 3,
        ClientError::Protocol(_) | ClientError::Config(_) => 1,
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(args)),
        Command::Config { exports, username, password, keep_password, profile } => {
            cli::config(&profile, &exports, username, password, keep_password)
        }
        Command::Signup { username, password, email, profile } => {
            runtime.block_on(cli::signup(&profile, &username, &password, &email))
        }
        Command::Confirm { username, code, profile } => runtime.block_on(cli::confirm(&profile, &username, &code)),
        Command::Login { username, password, profile } => runtime.block_on(cli::login(&profile, username, password)),
        Command::Upload { files, options, profile } => runtime.block_on(cli::upload(&profile, &files, &options)),
        Command::Download { name, dest, key, options, decrypt, profile } => {
            runtime.block_on(cli::download(&profile, &name, dest, key, &options, &decrypt))
        }
        Command::Ls { prefix, profile } => runtime.block_on(cli::ls(&profile, prefix.as_deref())),
        Command::Rm { names, key, profile } => runtime.block_on(cli::rm(&profile, &names, key)),
        Command::Presign { name, expires, key, profile } => runtime.block_on(cli::presign(&profile, &name, expires, key)),
        Command::Jobs { profile } => runtime.block_on(cli::jobs(&profile)),
        Command::ResendCode { username, profile } => runtime.block_on(cli::resend_code(&profile, username)),
        Command::ForgotPassword { username, profile } => runtime.block_on(cli::forgot_password(&profile, username)),
        Command::ResetPassword { username, code, password, profile } => {
            runtime.block_on(cli::reset_password(&profile, username, &code, &password))
        }
        Command::Whoami { profile } => runtime.block_on(cli::whoami(&profile)),
        Command::Logout { profile } => runtime.block_on(cli::logout(&profile)),
        Command::Audit(args) => runtime.block_on(audit::run(&args)),
    }
}
