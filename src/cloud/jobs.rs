//! Background jobs: futures run on a tokio runtime, their results sent back
//! over a channel that wakes the UI.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

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
    /// Starts `job`; its output arrives through [`Jobs::try_recv`].
    pub fn spawn(&self, job: impl Future<Output = M> + Send + 'static) {
        let sender = self.sender.clone();
        let waker = Arc::clone(&self.waker);
        let running = Arc::clone(&self.running);
        running.fetch_add(1, Ordering::SeqCst);
        self.handle.spawn(async move {
            let message = job.await;
            running.fetch_sub(1, Ordering::SeqCst);
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

    /// Starts a long-running task that reports through a [`JobSender`];
    /// the handle stops it.
    pub fn spawn_task(
        &self,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        self.handle.spawn(task).abort_handle()
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

    #[test]
    fn results_arrive_and_wake_the_ui() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let woken = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&woken);
        let jobs: Jobs<u32> = Jobs::new(
            runtime.handle().clone(),
            Arc::new(move || flag.store(true, Ordering::SeqCst)),
        );
        jobs.spawner().spawn(async { 7 });
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut results = Vec::new();
        while results.is_empty() && Instant::now() < deadline {
            results.extend(jobs.try_recv());
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(results, vec![7]);
        assert!(woken.load(Ordering::SeqCst));
        assert_eq!(jobs.spawner().running(), 0);
    }
}
