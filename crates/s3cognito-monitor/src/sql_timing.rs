//! The metadata database's statement times, taken from the events sqlx emits for every statement it runs
//! (`sqlx::query`, with `elapsed_secs`): a tracing layer records them in a histogram by the statement's
//! kind. Only this layer asks for those events; the log's own filter leaves them out.

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// The target sqlx's statement events carry.
pub const TARGET: &str = "sqlx::query";

/// Records `s3cognito_metadata_query_duration_seconds{statement}` from sqlx's statement events.
#[derive(Debug, Default, Clone, Copy)]
pub struct StatementTimes;

#[derive(Default)]
struct Fields {
    seconds: Option<f64>,
    statement: &'static str,
}

impl Visit for Fields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.seconds = Some(value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.statement = statement_kind(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.statement = statement_kind(format!("{value:?}").trim_matches('"'));
        }
    }
}

/// The kind of a statement from its first words, one of a fixed set (a metric label).
fn statement_kind(summary: &str) -> &'static str {
    let first = summary.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
    match first.as_str() {
        "SELECT" | "WITH" => "select",
        "INSERT" => "insert",
        "UPDATE" => "update",
        "DELETE" => "delete",
        "BEGIN" | "COMMIT" | "ROLLBACK" | "SAVEPOINT" | "RELEASE" => "transaction",
        _ => "other",
    }
}

impl<S: Subscriber> Layer<S> for StatementTimes {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        if event.metadata().target() != TARGET {
            return;
        }
        let mut fields = Fields { seconds: None, statement: "other" };
        event.record(&mut fields);
        if let Some(seconds) = fields.seconds {
            metrics::histogram!("s3cognito_metadata_query_duration_seconds", "statement" => fields.statement).record(seconds);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::statement_kind;

    #[test]
    fn statements_are_labelled_by_kind_only() {
        assert_eq!(statement_kind("SELECT * FROM objects"), "select");
        assert_eq!(statement_kind("insert into audit_events (id, …"), "insert");
        assert_eq!(statement_kind("BEGIN"), "transaction");
        assert_eq!(statement_kind("PRAGMA journal_mode = WAL;"), "other");
        assert_eq!(statement_kind(""), "other");
    }
}
