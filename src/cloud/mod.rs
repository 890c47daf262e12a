//! The client side: SDK clients for the chosen backend, typed operations that
//! return our own types and errors, and background jobs.
//!
//! The UI talks to AWS only through this module; whether the other side is
//! AWS or the local cloud makes no difference here.

pub mod codedeploy;
pub mod error;
pub mod jobs;
pub mod local;
pub mod session;

pub use error::CloudError;
pub use jobs::Jobs;
pub use local::LocalCloudHost;
pub use session::Session;
