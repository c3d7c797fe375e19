//! Deliberately slow work — Argon2 password hashing, SRP exponentiation — on a fixed set of worker
//! threads with a bounded queue in front of them.
//!
//! Anyone who can reach the port can ask for a password check, and each Argon2 run fills 19 MiB.
//! Run on the runtime's blocking pool (hundreds of threads, fresh memory each time) that turns a burst of
//! sign-ins into gigabytes; here at most `workers` run at once, each reusing its own working memory, and
//! at most `queue` more wait. Past that a request is refused at once with `TooManyRequestsException`,
//! which the AWS SDKs retry with backoff, so a burst slows sign-ins down instead of taking the server down.

use std::sync::{Arc, Mutex};

use s3cognito_crypto::password::PasswordWork;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Result, ServiceError};

type Job = Box<dyn FnOnce(&mut PasswordWork) + Send>;

/// The answer when the queue is full, in Cognito's words.
pub const TOO_MANY_REQUESTS: &str = "Too many requests";

/// How many workers and how long a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkLimits {
    /// Workers running at once; each holds one Argon2 working memory (19 MiB) once it has hashed.
    pub workers: usize,
    /// Requests waiting for a worker; one more is refused.
    pub queue: usize,
}

impl Default for WorkLimits {
    /// One worker per core (the work is CPU-bound: more would only share the cores and multiply the
    /// memory), and a queue of 32 per worker, a fraction of a second's wait.
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        WorkLimits { workers, queue: workers * 32 }
    }
}

/// A handle to the workers; cheap to clone. The threads end once every handle is gone.
#[derive(Debug, Clone)]
pub struct SlowWork {
    jobs: mpsc::Sender<Job>,
}

impl SlowWork {
    pub fn new(limits: WorkLimits) -> SlowWork {
        let (jobs, receiver) = mpsc::channel::<Job>(limits.queue.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..limits.workers.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("s3cognito-hash-{index}"))
                .spawn(move || work(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "a password worker could not be started");
            }
        }
        SlowWork { jobs }
    }

    /// Runs `job` on a worker and waits for its answer; refused at once when the queue is full.
    pub async fn run<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut PasswordWork) -> T + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            let _ = answer.send(job(memory));
        });
        self.jobs.try_send(job).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => ServiceError::Overloaded(TOO_MANY_REQUESTS.to_owned()),
            mpsc::error::TrySendError::Closed(_) => ServiceError::Internal("the password workers have stopped".to_owned()),
        })?;
        answered.await.map_err(|_| ServiceError::Internal("a password worker failed".to_owned()))
    }
}

/// One worker: takes jobs until every sender is gone. The working memory is allocated on the first
/// job, not before, so an idle server (or a test's) holds none; a job that panics loses only itself.
fn work(receiver: &Mutex<mpsc::Receiver<Job>>) {
    let mut memory: Option<PasswordWork> = None;
    loop {
        let job = match receiver.lock() {
            Ok(mut receiver) => receiver.blocking_recv(),
            Err(_) => None,
        };
        let Some(job) = job else { return };
        let memory = memory.get_or_insert_with(PasswordWork::new);
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(memory))).is_err() {
            tracing::error!("a password job panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_and_answer() {
        let work = SlowWork::new(WorkLimits { workers: 2, queue: 6 });
        let answers = futures::future::join_all((0..6).map(|n| work.run(move |_| n * 2))).await;
        let answers: Vec<i32> = answers.into_iter().map(|answer| answer.expect("within the queue")).collect();
        assert_eq!(answers, vec![0, 2, 4, 6, 8, 10]);
    }

    /// With every worker busy and the queue full, the next job is refused without waiting.
    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let work = SlowWork::new(WorkLimits { workers: 1, queue: 2 });
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(released));
        let (started, mut has_started) = mpsc::channel::<()>(1);
        let blocker = {
            let (work, released) = (work.clone(), released.clone());
            tokio::spawn(async move {
                work.run(move |_| {
                    let _ = started.blocking_send(());
                    let _ = released.lock().unwrap().recv();
                })
                .await
            })
        };
        has_started.recv().await.expect("the worker took the first job");
        let queued: Vec<_> = (0..2).map(|n| {
            let work = work.clone();
            tokio::spawn(async move { work.run(move |_| n).await })
        }).collect();
        while work.jobs.capacity() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = work.run(|_| ()).await.expect_err("the queue is full");
        assert!(matches!(refused, ServiceError::Overloaded(ref message) if message == TOO_MANY_REQUESTS));
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        for job in queued {
            job.await.unwrap().expect("queued jobs still run");
        }
    }
}
