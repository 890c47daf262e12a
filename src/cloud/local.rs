//! How the client side starts and resets the embedded local cloud without
//! knowing how it is built: the binary (and the tests) provide a host.

use std::future::Future;
use std::pin::Pin;

use super::error::CloudError;

/// A boxed future that can be sent to the job runtime.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Starts the local cloud on demand and resets its demo account.
pub trait LocalCloudHost: Send + Sync {
    /// Starts the local cloud if it is not running and returns its endpoint
    /// URL. Must be awaited on the app's job runtime, which the server runs on.
    fn endpoint(&self) -> BoxFuture<'_, Result<String, CloudError>>;

    /// Throws away everything in the demo account and starts afresh.
    fn reset(&self) -> BoxFuture<'_, Result<(), CloudError>>;

    /// Stops the local cloud, writing its state to disk first.
    fn shutdown(&self) -> BoxFuture<'_, ()>;

    /// Things the person should be told once, such as a damaged state file
    /// that was moved aside.
    fn take_notices(&self) -> Vec<String>;
}
