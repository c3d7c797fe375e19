//! The pool every query of `Store` runs on, timed: each statement's time (from asking the pool for a
//! connection to the last row) goes into the `s3cognito_metadata_query_duration_seconds` histogram. Timing
//! here, where every query passes, costs a clock read per statement; taking it from sqlx's own statement
//! events instead made sqlx format every statement's text, measurably slowing small requests.

use std::time::Instant;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use sqlx::any::{Any, AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{AnyPool, Either, Error, Execute, Executor, SqlStr};

/// A connection pool whose statements are timed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimedPool<'a>(pub &'a AnyPool);

impl TimedPool<'_> {
    /// A transaction; its statements are not timed one by one (a transaction's time is its caller's).
    pub(crate) async fn begin(self) -> Result<sqlx::Transaction<'static, Any>, Error> {
        self.0.begin().await
    }
}

fn record(started: Instant) {
    metrics::histogram!("s3cognito_metadata_query_duration_seconds").record(started.elapsed().as_secs_f64());
}

impl<'p> Executor<'p> for TimedPool<'p> {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        let started = Instant::now();
        let mut rows = self.0.fetch_many(query);
        let mut done = false;
        futures::stream::poll_fn(move |context| {
            let next = rows.poll_next_unpin(context);
            if let std::task::Poll::Ready(None) = next
                && !std::mem::replace(&mut done, true)
            {
                record(started);
            }
            next
        })
        .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        timed(self.0.fetch_optional(query))
    }

    fn execute<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<AnyQueryResult, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        timed(self.0.execute(query))
    }

    fn fetch_all<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Vec<AnyRow>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, Any>,
    {
        timed(self.0.fetch_all(query))
    }

    fn prepare_with<'e>(self, sql: SqlStr, parameters: &'e [AnyTypeInfo]) -> BoxFuture<'e, Result<AnyStatement, Error>>
    where
        'p: 'e,
    {
        self.0.prepare_with(sql, parameters)
    }
}

/// `future`, its time from now until it is done recorded as one statement's.
fn timed<'e, T: Send + 'e>(future: BoxFuture<'e, T>) -> BoxFuture<'e, T> {
    let started = Instant::now();
    future
        .map(move |result| {
            record(started);
            result
        })
        .boxed()
}
