//! The local cloud: an AWS-compatible endpoint inside DeployDesk, so that a
//! demo, a new user or a test sees a live CodeDeploy without an account.
//!
//! It listens on 127.0.0.1 only and speaks CodeDeploy's real wire protocol
//! (`awsJson1_1`), so the AWS SDK, the AWS CLI or any other AWS client can
//! drive it. Requests may be SigV4-signed with any credentials; signatures
//! are not checked. Everything lives in one account, [`ACCOUNT_ID`].
//!
//! The pieces, from the outside in:
//! - [`LocalCloud`] starts and stops the server and owns the state file.
//! - [`server`] routes each request by protocol; [`protocol`] recognises
//!   protocols and writes their responses and errors.
//! - [`codedeploy`] holds the operations, one small file per family.
//! - [`world`] is the shared state behind one lock; [`persist`] keeps it on
//!   disk; [`clock`] gives the time, by hand in tests.
//!
//! ```no_run
//! # async fn demo() -> Result<(), deploydesk::localcloud::LocalCloudError> {
//! use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};
//! let cloud = LocalCloud::start(LocalCloudOptions { port: 0, state_path: None }).await?;
//! println!("point the SDK at {}", cloud.endpoint_url());
//! cloud.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod api_error;
pub mod clock;
pub mod codedeploy;
pub mod paging;
pub mod persist;
pub mod protocol;
pub mod serve;
pub mod server;
pub mod world;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use api_error::ApiError;
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use world::World;

use persist::{Notices, Saver};
use server::Shared;
use world::SharedWorld;

/// The one account the local cloud has.
pub const ACCOUNT_ID: &str = "000000000000";

/// How long [`LocalCloud::shutdown`] lets requests in flight finish before
/// it closes their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How to start the local cloud.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalCloudOptions {
    /// The port on 127.0.0.1 to listen on; 0 picks any free port.
    pub port: u16,
    /// The file to keep the state in, so it survives restarts; `None` keeps
    /// it in memory only.
    pub state_path: Option<PathBuf>,
}

/// Why the local cloud could not start or do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum LocalCloudError {
    /// The port could not be bound.
    #[error(
        "Could not listen on 127.0.0.1:{port} ({source}); choose another port, or 0 for any free port."
    )]
    Bind {
        /// The port asked for.
        port: u16,
        /// What the system said.
        source: std::io::Error,
    },
    /// The state file exists but could not be read.
    #[error(
        "Could not read the saved state {} ({source}); check the file's permissions, or start without a state path.",
        .path.display()
    )]
    ReadState {
        /// The state file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The state file is damaged and could not be moved out of the way.
    #[error(
        "The saved state {} is damaged and could not be moved aside ({source}); move or delete it by hand.",
        .path.display()
    )]
    MoveAside {
        /// The state file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The state could not be encoded.
    #[error("Could not encode the local cloud's state ({0}); please report this as a bug.")]
    Encode(serde_json::Error),
    /// The task that saves the state has stopped.
    #[error("The local cloud has stopped saving its state; restart it to keep changes on disk.")]
    SaverStopped,
}

/// A running local cloud.
#[derive(Debug)]
pub struct LocalCloud {
    /// Where it listens.
    local_addr: SocketAddr,
    /// The state shared with the request handlers.
    shared: Arc<Shared>,
    /// Problems to tell the person running it about.
    notices: Notices,
    /// Tells the server to stop; `None` once sent.
    stop: Option<oneshot::Sender<()>>,
    /// The server task; `None` once stopped.
    server: Option<JoinHandle<()>>,
}

impl LocalCloud {
    /// Starts the local cloud on 127.0.0.1 with the system clock, serving on
    /// the current tokio runtime.
    pub async fn start(options: LocalCloudOptions) -> Result<LocalCloud, LocalCloudError> {
        Self::start_with_clock(options, Arc::new(SystemClock)).await
    }

    /// Starts the local cloud with the given clock, e.g. a [`ManualClock`]
    /// that a test moves by hand.
    pub async fn start_with_clock(
        options: LocalCloudOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<LocalCloud, LocalCloudError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|source| LocalCloudError::Bind {
                port: options.port,
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| LocalCloudError::Bind {
                port: options.port,
                source,
            })?;
        let notices = Notices::default();
        let (world, saver) = match options.state_path {
            Some(path) => {
                let (world, notice) = persist::load(&path)?;
                if let Some(notice) = notice {
                    tracing::warn!("{notice}");
                    notices.push(notice);
                }
                (world, Some(Saver::spawn(path, notices.clone())))
            }
            None => (World::default(), None),
        };
        let shared = Arc::new(Shared {
            world: SharedWorld::new(world, saver, notices.clone()),
            clock,
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = server::router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                // Stop when told to, or when the `LocalCloud` is dropped.
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::warn!("the local cloud stopped serving: {error}");
            }
        });
        tracing::info!("local cloud listening on http://{local_addr}");
        Ok(LocalCloud {
            local_addr,
            shared,
            notices,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// The URL to point clients at, e.g. `http://127.0.0.1:4566`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Things the person running the local cloud should know, oldest first,
    /// e.g. that a damaged state file was moved aside.
    pub fn notices(&self) -> Vec<String> {
        self.notices.all()
    }

    /// Forgets everything and starts from an empty account, as "Reset demo
    /// account" does. With a state file, the empty state is saved too.
    pub fn reset(&self) -> Result<(), LocalCloudError> {
        self.shared.world.replace(World::default())
    }

    /// A copy of the whole world, for inspection.
    pub fn snapshot(&self) -> World {
        self.shared.world.read(World::clone)
    }

    /// Stops serving and writes the last state to disk. Requests in flight
    /// get [`SHUTDOWN_GRACE`] to finish; connections still open after that
    /// (such as a client that never finishes sending) are closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
                tracing::info!("closing connections still open after the grace period");
                abort.abort();
            }
        }
        if let Some(saver) = self.shared.world.take_saver() {
            saver.finish().await;
        }
    }
}

impl Drop for LocalCloud {
    fn drop(&mut self) {
        // Dropping without `shutdown` still stops the server; the saver
        // writes what was queued when the last request handler lets go.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
