//! Background jobs: futures run on a tokio runtime, their results sent back
//! over a channel that wakes the UI.
//!
//! A job that panics is caught: it is counted as finished (so the app is not
//! left busy forever) and a [`JobPanic`] saying what stopped comes back in
//! place of its result.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use futures_util::FutureExt as _;

/// Something that wakes the UI when a result arrives.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Sends messages from a long-running job and wakes the UI for each.
pub struct JobSender<M> {
    sender: mpsc::Sender<M>,
    waker: Waker,
}

impl<M> Clone for JobSender<M> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
            waker: Arc::clone(&self.waker),
        }
    }
}

impl<M> JobSender<M> {
    /// Sends a message; `false` once the app has gone.
    pub fn send(&self, message: M) -> bool {
        let delivered = self.sender.send(message).is_ok();
        if delivered {
            (self.waker)();
        }
        delivered
    }
}

/// A job that stopped by panicking: a bug, reported to the person instead
/// of a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "An internal error stopped {what}: {message}. Please report it; the rest of the app keeps working."
)]
pub struct JobPanic {
    /// What the job was doing, e.g. "loading the applications".
    pub what: String,
    /// The panic's message.
    pub message: String,
}

impl JobPanic {
    /// The panic of the job doing `what`, from the payload it panicked with.
    fn new(what: &str, payload: &(dyn Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Self {
            what: what.to_owned(),
            message: message.trim_end_matches('.').to_owned(),
        }
    }
}

/// Counts a job as running from its start until it is dropped: when it
/// finished, panicked or was cancelled with the runtime.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs futures in the background and collects their results as messages.
pub struct Jobs<M> {
    spawner: Spawner<M>,
    receiver: mpsc::Receiver<M>,
}

impl<M: Send + 'static> Jobs<M> {
    /// Jobs that run on `handle` and call `waker` after each result.
    pub fn new(handle: tokio::runtime::Handle, waker: Waker) -> Self {
        let (sender, receiver) = mpsc::channel();
        Self {
            spawner: Spawner {
                handle,
                sender,
                waker,
                running: Arc::new(AtomicUsize::new(0)),
            },
            receiver,
        }
    }

    /// What starts jobs whose results arrive here; clones of it can be
    /// handed to the code that starts work.
    pub fn spawner(&self) -> &Spawner<M> {
        &self.spawner
    }

    /// The next result that has arrived, without waiting.
    pub fn try_recv(&self) -> Option<M> {
        self.receiver.try_recv().ok()
    }
}

/// Starts jobs whose results arrive at the [`Jobs`] it came from.
pub struct Spawner<M> {
    handle: tokio::runtime::Handle,
    sender: mpsc::Sender<M>,
    waker: Waker,
    running: Arc<AtomicUsize>,
}

impl<M> Clone for Spawner<M> {
    fn clone(&self) -> Self {
        Self {
            handle: self.handle.clone(),
            sender: self.sender.clone(),
            waker: Arc::clone(&self.waker),
            running: Arc::clone(&self.running),
        }
    }
}

impl<M: Send + 'static> Spawner<M> {
    /// Starts `job`, which is doing `what` (e.g. "loading the
    /// applications"); its output arrives through [`Jobs::try_recv`], or a
    /// [`JobPanic`] if it panics.
    pub fn spawn(&self, what: &str, job: impl Future<Output = M> + Send + 'static)
    where
        M: From<JobPanic>,
    {
        self.spawn_or_else(what, job, M::from);
    }

    /// Starts `job` like [`Spawner::spawn`], with `on_panic` making the
    /// message that arrives if it panics.
    pub fn spawn_or_else(
        &self,
        what: &str,
        job: impl Future<Output = M> + Send + 'static,
        on_panic: impl FnOnce(JobPanic) -> M + Send + 'static,
    ) {
        let sender = self.sender.clone();
        let waker = Arc::clone(&self.waker);
        let running = Running::start(&self.running);
        let what = what.to_owned();
        self.handle.spawn(async move {
            let message = match AssertUnwindSafe(job).catch_unwind().await {
                Ok(message) => message,
                Err(payload) => {
                    let panic = JobPanic::new(&what, payload.as_ref());
                    tracing::error!("{panic}");
                    on_panic(panic)
                }
            };
            drop(running);
            // The receiver is gone only when the app is closing.
            let _ = sender.send(message);
            waker();
        });
    }

    /// A sender for jobs that report more than once, such as watchers.
    pub fn sender(&self) -> JobSender<M> {
        JobSender {
            sender: self.sender.clone(),
            waker: Arc::clone(&self.waker),
        }
    }

    /// Starts a long-running task doing `what`, which reports through a
    /// [`JobSender`]; the handle stops it. If it panics, a [`JobPanic`]
    /// arrives.
    pub fn spawn_task(
        &self,
        what: &str,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::AbortHandle
    where
        M: From<JobPanic>,
    {
        let sender = self.sender();
        let what = what.to_owned();
        self.handle
            .spawn(async move {
                if let Err(payload) = AssertUnwindSafe(task).catch_unwind().await {
                    let panic = JobPanic::new(&what, payload.as_ref());
                    tracing::error!("{panic}");
                    sender.send(M::from(panic));
                }
            })
            .abort_handle()
    }

    /// How many jobs are still running.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// The runtime the jobs run on.
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.handle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};

    /// A job's result, or the panic that stopped it.
    #[derive(Debug, PartialEq, Eq)]
    enum Message {
        Done(u32),
        Panicked(JobPanic),
    }

    impl From<JobPanic> for Message {
        fn from(panic: JobPanic) -> Self {
            Self::Panicked(panic)
        }
    }

    fn jobs(runtime: &tokio::runtime::Runtime, woken: &Arc<AtomicBool>) -> Jobs<Message> {
        let flag = Arc::clone(woken);
        Jobs::new(
            runtime.handle().clone(),
            Arc::new(move || flag.store(true, Ordering::SeqCst)),
        )
    }

    /// Waits for the first message, failing after a timeout.
    fn first_message(jobs: &Jobs<Message>) -> Message {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(message) = jobs.try_recv() {
                return message;
            }
            assert!(Instant::now() < deadline, "no message arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn results_arrive_and_wake_the_ui() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let woken = Arc::new(AtomicBool::new(false));
        let jobs = jobs(&runtime, &woken);
        jobs.spawner().spawn("counting", async { Message::Done(7) });
        assert_eq!(first_message(&jobs), Message::Done(7));
        assert!(woken.load(Ordering::SeqCst));
        assert_eq!(jobs.spawner().running(), 0);
    }

    #[test]
    fn a_job_that_panics_is_reported_and_no_longer_counted_as_running() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let woken = Arc::new(AtomicBool::new(false));
        let jobs = jobs(&runtime, &woken);
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        jobs.spawner()
            .spawn("loading the applications", async move {
                let _ = released.await;
                panic!("the answer was not what we expected.");
            });
        // Running until it panics.
        assert_eq!(jobs.spawner().running(), 1);
        release.send(()).unwrap();
        let panic = JobPanic {
            what: "loading the applications".to_owned(),
            message: "the answer was not what we expected".to_owned(),
        };
        assert_eq!(first_message(&jobs), Message::Panicked(panic.clone()));
        assert_eq!(jobs.spawner().running(), 0);
        assert!(woken.load(Ordering::SeqCst));
        assert_eq!(
            panic.to_string(),
            "An internal error stopped loading the applications: the answer was not what we expected. Please report it; the rest of the app keeps working."
        );
    }

    #[test]
    fn a_panic_can_be_turned_into_the_jobs_own_result() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let woken = Arc::new(AtomicBool::new(false));
        let jobs = jobs(&runtime, &woken);
        jobs.spawner().spawn_or_else(
            "counting",
            async { panic!("{}", String::from("no numbers left")) },
            |panic| Message::Done(u32::try_from(panic.message.len()).unwrap()),
        );
        assert_eq!(first_message(&jobs), Message::Done(15));
        assert_eq!(jobs.spawner().running(), 0);
    }

    #[test]
    fn a_task_that_panics_is_reported() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let woken = Arc::new(AtomicBool::new(false));
        let jobs = jobs(&runtime, &woken);
        let sender = jobs.spawner().sender();
        jobs.spawner()
            .spawn_task("watching the deployment", async move {
                sender.send(Message::Done(1));
                panic!("lost track");
            });
        assert_eq!(first_message(&jobs), Message::Done(1));
        let Message::Panicked(panic) = first_message(&jobs) else {
            panic!("the panic is reported");
        };
        assert_eq!(panic.what, "watching the deployment");
        assert_eq!(panic.message, "lost track");
    }
}
