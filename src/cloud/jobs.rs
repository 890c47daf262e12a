//! Background jobs: futures run on a tokio runtime, their results sent back
//! over a channel that wakes the UI.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Something that wakes the UI when a result arrives.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Runs futures in the background and collects their results as messages.
pub struct Jobs<M> {
    handle: tokio::runtime::Handle,
    sender: mpsc::Sender<M>,
    receiver: mpsc::Receiver<M>,
    waker: Waker,
    running: Arc<AtomicUsize>,
}

impl<M: Send + 'static> Jobs<M> {
    /// Jobs that run on `handle` and call `waker` after each result.
    pub fn new(handle: tokio::runtime::Handle, waker: Waker) -> Self {
        let (sender, receiver) = mpsc::channel();
        Self {
            handle,
            sender,
            receiver,
            waker,
            running: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Starts `job`; its output arrives through [`Jobs::drain`].
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

    /// Every result that has arrived, without waiting.
    pub fn drain(&self) -> Vec<M> {
        self.receiver.try_iter().collect()
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
        jobs.spawn(async { 7 });
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut results = Vec::new();
        while results.is_empty() && Instant::now() < deadline {
            results = jobs.drain();
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(results, vec![7]);
        assert!(woken.load(Ordering::SeqCst));
        assert_eq!(jobs.running(), 0);
    }
}
