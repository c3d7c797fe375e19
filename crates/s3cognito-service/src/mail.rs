//! Outgoing mail: an RFC 5322 `.eml` file in the outbox when no SMTP server is configured, else SMTP.

use std::path::PathBuf;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::{Result, ServiceError};

/// One message to one recipient, plain text.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// What the message is about, for the log line (never the body: it holds codes and passwords).
    pub kind: &'static str,
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    async fn send(&self, mail: Mail) -> Result<()>;
}

fn build_message(from: &str, mail: &Mail) -> Result<Message> {
    let from: Mailbox = from.parse().map_err(|error| ServiceError::Internal(format!("bad sender address: {error}")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| ServiceError::Invalid("Invalid email address format.".to_owned()))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|error| ServiceError::Internal(format!("cannot build mail: {error}")))
}

/// Writes each message as `<time>-<id>.eml` under the outbox directory.
#[derive(Debug)]
pub struct OutboxMailer {
    directory: PathBuf,
    from: String,
}

impl OutboxMailer {
    pub fn new(directory: PathBuf, from: String) -> Self {
        OutboxMailer { directory, from }
    }
}

#[async_trait::async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail) -> Result<()> {
        let message = build_message(&self.from, &mail)?;
        let name = format!(
            "{}-{}.eml",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_micros())
                .unwrap_or(0),
            uuid::Uuid::new_v4().simple()
        );
        let io = |error: std::io::Error| ServiceError::Internal(format!("cannot write to the outbox: {error}"));
        let mut directory = tokio::fs::DirBuilder::new();
        directory.recursive(true).mode(0o700);
        directory.create(&self.directory).await.map_err(io)?;
        // Written under a temporary name and renamed, so a reader never sees half a message.
        let partial = self.directory.join(format!(".{name}.partial"));
        write_private(&partial, &message.formatted()).await.map_err(io)?;
        tokio::fs::rename(&partial, self.directory.join(&name)).await.map_err(io)?;
        tracing::info!(kind = mail.kind, to = %mail.to, file = %name, "mail written to the outbox");
        Ok(())
    }
}

/// Creates the file with mode 0600: outbox messages carry codes and temporary passwords.
async fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

#[derive(Debug)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl SmtpMailer {
    /// `smtps://user:password@host:465` (TLS), `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// or `smtp://host:25` (a local relay, plain).
    pub fn new(url: &str, from: String) -> Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| ServiceError::Internal(format!("smtp setup: {error}")))?
            .build();
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> Result<()> {
        let message = build_message(&self.from, &mail)?;
        self.transport
            .send(message)
            .await
            .map_err(|error| ServiceError::Internal(format!("smtp delivery failed: {error}")))?;
        tracing::info!(kind = mail.kind, to = %mail.to, "mail sent over smtp");
        Ok(())
    }
}
