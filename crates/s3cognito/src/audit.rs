//! `s3cognito audit`: the audit log, newest first, read on the server's machine from its database (`--data
//! DIR`, or `--database-url` for PostgreSQL) or from a running server with an administrator's AWS
//! credentials (`--endpoint URL`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use s3cognito_meta::{AuditCursor, AuditFilter, Store};

/// The largest page asked for at once.
const PAGE: i64 = 1000;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Events since this long ago (`30m`, `12h`, `7d`) or this time (ISO 8601, or epoch seconds).
    #[arg(long)]
    pub since: Option<String>,
    /// Events before this time (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Events of one principal: as recorded (an ARN, `<poolId>/<username>`), a username, or an identity id.
    #[arg(long)]
    pub principal: Option<String>,
    /// Events of one kind: an operation (`InitiateAuth`, `PutObject`, `CreateKey`…) or `UserLockedOut`.
    #[arg(long)]
    pub event: Option<String>,
    /// Only `success`, `failure` or `denied`.
    #[arg(long)]
    pub outcome: Option<String>,
    /// At most this many events.
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    /// One JSON object a line, for scripts.
    #[arg(long)]
    pub json: bool,
    /// The server's data dir, read directly (on the server's machine).
    #[arg(long, env = "S3COGNITO_DATA", conflicts_with = "endpoint")]
    pub data: Option<PathBuf>,
    /// The server's metadata database, when it is not the data dir's SQLite file (`postgres://…`).
    #[arg(long, env = "S3COGNITO_DATABASE_URL", conflicts_with = "endpoint")]
    pub database_url: Option<String>,
    /// A running server to ask, with AWS credentials allowed s3cognito:ListAuditEvents (the root keys of
    /// DATA/credentials are): from the environment, or --aws-profile.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The profile of the AWS shared credentials file to sign with.
    #[arg(long)]
    pub aws_profile: Option<String>,
    /// The region the server answers for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
}

/// A time as the command takes it, in epoch seconds: relative to `now` (`30m`, `12h`, `7d`, `90s`),
/// ISO 8601, or epoch seconds.
fn parse_when(text: &str, now: i64) -> anyhow::Result<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    let unit = |suffix: char| match suffix {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86_400),
        'w' => Some(7 * 86_400),
        _ => None,
    };
    if let Some(last) = text.chars().last()
        && let Some(seconds) = unit(last)
        && let Ok(count) = text[..text.len() - 1].parse::<i64>()
    {
        return Ok(now - count * seconds);
    }
    s3cognito_crypto::calendar::parse_iso8601(text)
        .with_context(|| format!("{text:?} is not a time: give 30m, 12h, 7d, an ISO 8601 time or epoch seconds"))
}

pub async fn run(args: &AuditArgs) -> anyhow::Result<()> {
    anyhow::ensure!((1..=100_000).contains(&args.limit), "--limit must be between 1 and 100000");
    let now = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs())?;
    let since = args.since.as_deref().map(|text| parse_when(text, now)).transpose()?;
    let until = args.until.as_deref().map(|text| parse_when(text, now)).transpose()?;
    let events = match &args.endpoint {
        Some(endpoint) => remote(args, endpoint, since, until).await?,
        None => local(args, since, until).await?,
    };
    for event in &events {
        if args.json {
            println!("{event}");
        } else {
            println!("{}", line(event));
        }
    }
    Ok(())
}

/// Reads the database directly.
async fn local(args: &AuditArgs, since: Option<i64>, until: Option<i64>) -> anyhow::Result<Vec<serde_json::Value>> {
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            let data = args.data.clone().unwrap_or_else(|| PathBuf::from("./s3cognito-data"));
            let file = data.join("meta.db");
            anyhow::ensure!(
                file.exists(),
                "no s3cognito database at {} (give --data DIR, --database-url, or --endpoint URL)",
                file.display()
            );
            format!("sqlite:{}", file.display())
        }
    };
    let store = Store::connect(&url).await.context("opening the metadata database")?;
    let mut filter = AuditFilter {
        since,
        until,
        principal: args.principal.clone(),
        event: args.event.clone(),
        outcome: args.outcome.clone(),
        before: None,
        limit: 0,
    };
    let mut events = Vec::new();
    while (events.len() as i64) < args.limit {
        filter.limit = (args.limit - events.len() as i64).min(PAGE);
        let page = store.audit_events(&filter).await?;
        let Some(last) = page.last() else { break };
        filter.before = Some(AuditCursor { at: last.at, id: last.id.clone() });
        let full = page.len() as i64 == filter.limit;
        events.extend(page.into_iter().map(|record| s3cognito_monitor::event_json(&record.into())));
        if !full {
            break;
        }
    }
    store.close().await;
    Ok(events)
}

/// Asks a running server, page by page.
async fn remote(args: &AuditArgs, endpoint: &str, since: Option<i64>, until: Option<i64>) -> anyhow::Result<Vec<serde_json::Value>> {
    let source = s3cognito_client::AuditSource {
        endpoint: endpoint.to_owned(),
        region: args.region.clone(),
        profile: args.aws_profile.clone(),
    };
    let mut events: Vec<serde_json::Value> = Vec::new();
    let mut next: Option<String> = None;
    while (events.len() as i64) < args.limit {
        let mut query: Vec<(&str, String)> = Vec::new();
        let optional = [("principal", &args.principal), ("event", &args.event), ("outcome", &args.outcome)];
        for (name, value) in optional {
            if let Some(value) = value {
                query.push((name, value.clone()));
            }
        }
        if let Some(since) = since {
            query.push(("since", since.to_string()));
        }
        if let Some(until) = until {
            query.push(("until", until.to_string()));
        }
        query.push(("limit", (args.limit - events.len() as i64).min(PAGE).to_string()));
        if let Some(token) = &next {
            query.push(("nextToken", token.clone()));
        }
        let page = s3cognito_client::audit_page(&source, &query).await?;
        if let Some(list) = page.get("events").and_then(serde_json::Value::as_array) {
            events.extend(list.iter().cloned());
        }
        next = page.get("nextToken").and_then(serde_json::Value::as_str).map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    Ok(events)
}

/// One event as a line for a person: when, what, how it ended, who, from where, on what.
fn line(event: &serde_json::Value) -> String {
    let field = |name: &str| event.get(name).and_then(serde_json::Value::as_str).unwrap_or("-").to_owned();
    let outcome = match event.get("errorCode").and_then(serde_json::Value::as_str) {
        Some(code) => format!("{} ({code})", field("outcome")),
        None => field("outcome"),
    };
    format!(
        "{}  {:<28} {:<34} {}  from {}  on {}",
        field("time"),
        field("event"),
        outcome,
        field("principal"),
        field("sourceAddress"),
        field("resource")
    )
}

#[cfg(test)]
mod tests {
    use super::parse_when;

    #[test]
    fn times_are_relative_absolute_or_epoch_seconds() {
        let now = 1_795_341_600;
        assert_eq!(parse_when("30m", now).unwrap(), now - 1800);
        assert_eq!(parse_when("7d", now).unwrap(), now - 7 * 86_400);
        assert_eq!(parse_when("2026-11-22T10:00:00Z", now).unwrap(), 1_795_341_600);
        assert_eq!(parse_when("1700000000", now).unwrap(), 1_700_000_000);
        assert!(parse_when("yesterday", now).is_err());
        assert!(parse_when("m", now).is_err());
    }
}
