//! The audit log: security-relevant events (sign-ins and their failures, lockouts, administration of users,
//! groups, roles, policies and keys, credentials issued, objects written, read and deleted, every request
//! refused), kept in the metadata database with who acted, from where, on what, and how it ended.
//!
//! Requests hand their events to a writer task and do not wait for the database: the writer gathers events
//! for a moment after the first (`GATHER`) and writes them in one transaction, a statement of many rows at a
//! time, so under load many events share a commit. Events still waiting when the process dies are lost (at most one commit's worth); a graceful stop
//! flushes them. When the writer falls behind by `QUEUE` events, requests wait for room, up to
//! `ROOM_WAIT`, and an event that still finds none is dropped, counted and logged rather than holding the
//! request's task for ever while the database is away.

use std::sync::Arc;
use std::time::Duration;

pub use s3cognito_meta::{AuditCursor, AuditFilter};
use s3cognito_meta::{AuditEventRecord, Store};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::Result;
use crate::clock::Clock;

/// Events waiting for the writer at most.
const QUEUE: usize = 8192;
/// Events written in one transaction at most.
const BATCH: usize = 512;
/// How long the writer gathers events after the first before it writes them: under load, many share a
/// commit; alone, an event waits this long at most.
const GATHER: Duration = Duration::from_millis(50);
/// How long a request waits for room in a full queue before its event is dropped.
const ROOM_WAIT: Duration = Duration::from_secs(5);
/// The longest pause between attempts to write while the database fails.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// One event, as a request or a use case states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub event: String,
    pub service: String,
    pub outcome: String,
    pub error_code: Option<String>,
    pub principal: String,
    pub identity: Option<String>,
    pub source: Option<String>,
    pub resource: Option<String>,
    pub via: String,
    pub request_id: String,
}

/// An event as the log keeps it: what was recorded, when, and its id (time-ordered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub id: String,
    pub at: i64,
    pub event: AuditEvent,
}

impl From<AuditEventRecord> for RecordedEvent {
    fn from(record: AuditEventRecord) -> RecordedEvent {
        RecordedEvent {
            id: record.id,
            at: record.at,
            event: AuditEvent {
                event: record.event,
                service: record.service,
                outcome: record.outcome,
                error_code: record.error_code,
                principal: record.principal,
                identity: record.identity,
                source: record.source,
                resource: record.resource,
                via: record.via,
                request_id: record.request_id,
            },
        }
    }
}

/// The audit log's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSettings {
    /// Whether events are kept at all.
    pub enabled: bool,
    /// Events older than this are removed by `sweep`.
    pub retention_seconds: i64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings { enabled: true, retention_seconds: 90 * 86_400 }
    }
}

enum Message {
    Event(AuditEventRecord),
    Flush(oneshot::Sender<()>),
}

/// The audit log. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Audit {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: AuditSettings,
    /// `None` when events are not kept, or when no runtime was there to run the writer (events are then
    /// written as they come).
    sender: Option<mpsc::Sender<Message>>,
    /// Cuts the writer's gathering window short when someone waits for a flush.
    flush_requested: Arc<Notify>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Message::Event(_) => "Event",
            Message::Flush(_) => "Flush",
        })
    }
}

impl Audit {
    /// The audit log over `store`; its writer task starts on the current Tokio runtime.
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: AuditSettings) -> Audit {
        let flush_requested = Arc::new(Notify::new());
        let sender = match tokio::runtime::Handle::try_current() {
            Ok(runtime) if settings.enabled => {
                let (sender, receiver) = mpsc::channel(QUEUE);
                runtime.spawn(write_events(store.clone(), receiver, flush_requested.clone()));
                Some(sender)
            }
            _ => None,
        };
        Audit { store, clock, settings, sender, flush_requested }
    }

    pub fn settings(&self) -> AuditSettings {
        self.settings
    }

    /// Keeps `event`, stamped now. Returns at once; the event is written with the next batch.
    pub fn record(&self, event: AuditEvent) {
        if !self.settings.enabled {
            return;
        }
        let record = AuditEventRecord {
            id: uuid::Uuid::now_v7().to_string(),
            at: self.clock.now(),
            event: event.event,
            service: event.service,
            outcome: event.outcome,
            error_code: event.error_code,
            principal: event.principal,
            identity: event.identity,
            source: event.source,
            resource: event.resource,
            via: event.via,
            request_id: event.request_id,
        };
        let Some(sender) = &self.sender else {
            let store = self.store.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move { write_with_retries(&store, &[record]).await });
            }
            return;
        };
        match sender.try_send(Message::Event(record)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(message)) => {
                let sender = sender.clone();
                let waited = async move {
                    if sender.send_timeout(message, ROOM_WAIT).await.is_err() {
                        dropped();
                    }
                };
                // An answer's end may be seen outside the runtime (its body dropped at shutdown).
                match tokio::runtime::Handle::try_current() {
                    Ok(runtime) => drop(runtime.spawn(waited)),
                    Err(_) => dropped(),
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => dropped(),
        }
    }

    /// Waits until every event recorded before the call is written.
    pub async fn flush(&self) {
        let Some(sender) = &self.sender else { return };
        let (done, written) = oneshot::channel();
        if sender.send(Message::Flush(done)).await.is_ok() {
            self.flush_requested.notify_one();
            let _ = written.await;
        }
    }

    /// Events that pass `filter`, newest first.
    pub async fn list(&self, filter: &AuditFilter) -> Result<Vec<RecordedEvent>> {
        Ok(self.store.audit_events(filter).await?.into_iter().map(RecordedEvent::from).collect())
    }

    /// Removes events past their retention; returns how many went.
    pub async fn sweep(&self) -> Result<u64> {
        Ok(self.store.delete_audit_events_before(self.clock.now() - self.settings.retention_seconds).await?)
    }
}

/// An event that could not be kept: counted, and said once per event in the log.
fn dropped() {
    metrics::counter!("s3cognito_audit_events_dropped_total").increment(1);
    tracing::error!("the audit log is not being written: an event was dropped");
}

/// Where a listing of `events` (newest first) goes on, when it filled its page.
pub fn next_page(events: &[RecordedEvent], limit: i64) -> Option<AuditCursor> {
    let full = i64::try_from(events.len()).is_ok_and(|length| length >= limit && limit > 0);
    let last = events.last()?;
    full.then(|| AuditCursor { at: last.at, id: last.id.clone() })
}

/// The writer: once an event arrives it lets the gathering window pass without waking for each further
/// event (a busy server wakes it once a window, not once an event), then takes what has gathered, writes
/// it in one transaction, and answers flushes once what came before them is written. A flush ends the
/// window at once; a backlog of a full batch or more is written without waiting.
async fn write_events(store: Store, mut receiver: mpsc::Receiver<Message>, flush_requested: Arc<Notify>) {
    let mut messages = Vec::with_capacity(BATCH);
    let mut batch = Vec::with_capacity(BATCH);
    let mut flushed = Vec::new();
    let mut backlog = false;
    loop {
        if receiver.recv_many(&mut messages, BATCH).await == 0 {
            return;
        }
        let flushing = messages.iter().any(|message| matches!(message, Message::Flush(_)));
        if !flushing && !backlog {
            tokio::select! {
                () = tokio::time::sleep(GATHER) => {}
                () = flush_requested.notified() => {}
            }
        }
        while messages.len() < BATCH {
            match receiver.try_recv() {
                Ok(message) => messages.push(message),
                Err(_) => break,
            }
        }
        backlog = messages.len() == BATCH;
        for message in messages.drain(..) {
            match message {
                Message::Event(event) => batch.push(event),
                Message::Flush(done) => flushed.push(done),
            }
        }
        if !batch.is_empty() {
            write_with_retries(&store, &batch).await;
            batch.clear();
        }
        for done in flushed.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes `events`, trying again (with growing pauses) while the database fails: events are not given up
/// because the database is away for a while.
async fn write_with_retries(store: &Store, events: &[AuditEventRecord]) {
    let mut pause = Duration::from_millis(100);
    loop {
        match store.insert_audit_events(events).await {
            Ok(()) => {
                metrics::counter!("s3cognito_audit_events_written_total").increment(events.len() as u64);
                return;
            }
            Err(error) => {
                tracing::warn!(%error, events = events.len(), "writing audit events failed; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(RETRY_MAX);
            }
        }
    }
}
