//! The local cloud: an AWS-compatible endpoint inside DeployDesk, so that a
//! demo, a new user or a test sees a live CodeDeploy without an account.
//!
//! It listens on 127.0.0.1 only and speaks the real wire protocols of
//! CodeDeploy and Systems Manager (`awsJson1_1`), EC2 (`ec2Query`), IAM, STS, SNS, Auto Scaling
//! and Elastic Load Balancing, v2 and classic (`awsQuery`), CloudWatch
//! (Smithy RPC v2 CBOR, and `awsJson1_0` for the AWS CLI v1), S3
//! (`restXml`) and the SSO portal, so the AWS SDK, the AWS CLI or any other
//! AWS client can drive it. Requests may be SigV4-signed with any
//! credentials; signatures are not checked. Everything lives in one
//! account, [`ACCOUNT_ID`].
//!
//! The layers, from the bottom (`ARCHITECTURE.md` draws them; the test
//! `tests/localcloud/layers.rs` keeps them):
//! - [`clock`], [`account`], [`faults`] and [`protocol`], the wire
//!   protocols' shared pieces: errors, query parameters, JSON and XML,
//!   paging.
//! - The stored model: [`world`] is the shared state behind one lock, one
//!   part per service (each service folder's `state.rs`, whose maps are
//!   [`store::Table`]s); [`store`] keeps it on disk, in a journal of the
//!   records each change wrote.
//! - [`engine`] runs deployments on the clock to the EC2 instances of
//!   [`ec2`]'s registry.
//! - [`dispatch`]: the one shape every service has, a table of operations
//!   by name.
//! - The services, one folder each ([`codedeploy`], [`ec2`],
//!   [`autoscaling`], [`elbv2`], [`elb`], [`cloudwatch`], [`sns`], [`iam`],
//!   [`ssm`], [`s3`]; [`sts`] and [`sso`] are one file each): one small file per
//!   family of operations, and a `service.rs` that registers them.
//! - [`services`] lists them; [`server`] routes each request by protocol to
//!   one of them and knows no operation by name; [`LocalCloud`] starts and
//!   stops it all and owns the state file.
//!
//! Time: deployments (and Systems Manager's commands and associations)
//! advance on the [`Clock`]. A background task advances
//! them on a timer, and every request first brings them up to the time of
//! the request, so a client always sees them as of its own time. With a
//! [`ManualClock`] a test moves time by hand and the next request (or
//! [`LocalCloud::tick`]) shows exactly what happened up to then.
//!
//! ```no_run
//! # async fn demo() -> Result<(), deploydesk::localcloud::LocalCloudError> {
//! use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};
//! let cloud = LocalCloud::start(LocalCloudOptions::default()).await?;
//! println!("point the SDK at {}", cloud.endpoint_url());
//! cloud.shutdown().await;
//! # Ok(())
//! # }
//! ```

pub mod account;
pub mod autoscaling;
pub mod clock;
pub mod cloudwatch;
pub mod codedeploy;
pub mod dispatch;
pub mod ec2;
pub mod ecs;
pub mod elb;
pub mod elbv2;
pub mod engine;
pub mod error;
pub mod faults;
pub mod iam;
pub mod lambda;
pub mod protocol;
pub mod s3;
pub mod serve;
pub mod server;
pub mod services;
pub mod sns;
pub mod ssm;
pub mod sso;
pub mod store;
pub mod sts;
pub mod world;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use account::ACCOUNT_ID;
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use engine::DEFAULT_EVENT_DURATION;
pub use error::LocalCloudError;
pub use faults::{FaultSpec, FaultSpecError};
pub use protocol::ApiError;
pub use store::journal::Durability;
pub use world::World;

use dispatch::Shared;
use store::journal::COMPACT_AFTER;
use store::{Journal, Notices};
use world::SharedWorld;

/// How long [`LocalCloud::shutdown`] lets requests in flight finish before
/// it closes their connections.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The longest wait between two rounds of the background task that moves
/// deployments on.
const MAX_TICK: Duration = Duration::from_millis(250);
/// The shortest wait between two rounds of that task.
const MIN_TICK: Duration = Duration::from_millis(5);

/// How to start the local cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalCloudOptions {
    /// The port on 127.0.0.1 to listen on; 0 picks any free port.
    pub port: u16,
    /// The file to keep the state in, so it survives restarts; `None` keeps
    /// it in memory only.
    pub state_path: Option<PathBuf>,
    /// With a state file, when a change counts as kept and its request is
    /// answered: once written to the file (the default, which a killed
    /// process cannot lose), or once synced to the disk as well.
    pub durability: Durability,
    /// How long one lifecycle event of a deployment takes; by default
    /// [`DEFAULT_EVENT_DURATION`], so that a ten-instance one-at-a-time
    /// deployment takes about a minute.
    pub event_duration: Duration,
    /// How long a configured minute of a Lambda or ECS deployment lasts
    /// (its traffic steps, its hooks' hour, its waits); a minute by
    /// default. API answers keep the configured minutes.
    pub minute: Duration,
    /// How many demo EC2 instances to launch when the world has none (see
    /// [`ec2::Ec2State::seed_fleet`]); 0 launches none.
    pub fleet: usize,
    /// Whether two of the demo fleet's staging instances are not ready to
    /// deploy to: one without a CodeDeploy agent, one without an instance
    /// profile (the demo account's fleet; off by default).
    pub fleet_gaps: bool,
    /// Throttling, errors and latency to inject into requests.
    pub faults: FaultSpec,
    /// How long the role credentials that the SSO portal hands out last
    /// (an hour by default). Short lifetimes make SDK clients sign in again
    /// on almost every request, as they do when a session runs out.
    pub sso_credentials_lifetime: Duration,
}

impl Default for LocalCloudOptions {
    fn default() -> Self {
        Self {
            port: 0,
            state_path: None,
            durability: Durability::default(),
            event_duration: DEFAULT_EVENT_DURATION,
            minute: engine::DEFAULT_MINUTE,
            fleet: 0,
            fleet_gaps: false,
            faults: FaultSpec::default(),
            sso_credentials_lifetime: sso::DEFAULT_CREDENTIALS_LIFETIME,
        }
    }
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
    /// The task that moves deployments on.
    ticker: JoinHandle<()>,
    /// The size of the demo fleet, launched again on reset.
    fleet: usize,
    /// Whether the demo fleet has instances that are not ready.
    fleet_gaps: bool,
    /// Whether this start launched the demo fleet into an empty account.
    fresh: bool,
    /// Keeps the local instances' folders registered until it stops.
    _local_folders: engine::LocalFoldersGuard,
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
        let blobs = match &options.state_path {
            Some(path) => {
                let root = objects_dir(path);
                s3::BlobStore::open(root.clone())
                    .map_err(|source| LocalCloudError::ObjectStore { path: root, source })?
            }
            None => s3::BlobStore::temporary().map_err(|source| LocalCloudError::ObjectStore {
                path: std::env::temp_dir(),
                source,
            })?,
        };
        let (mut world, journal) = match &options.state_path {
            Some(path) => {
                let mut loaded = store::load::<World>(path)?;
                if let Some(notice) = loaded.notice.take() {
                    tracing::warn!("{notice}");
                    notices.push(notice);
                }
                let journal = Journal::open(
                    path,
                    &loaded,
                    notices.clone(),
                    options.durability,
                    COMPACT_AFTER,
                )?;
                (loaded.world, Some(journal))
            }
            None => (World::default(), None),
        };
        // Bodies of objects the state no longer knows, and uploads that
        // never finished, are removed.
        match blobs.sweep(&world.s3.blobs()) {
            Ok(0) => {}
            Ok(removed) => tracing::info!("removed {removed} unused S3 object files"),
            Err(error) => tracing::warn!("could not tidy the S3 object files: {error}"),
        }
        let (local_folders, local_guard) =
            engine::register_local_folders(options.state_path.as_deref(), blobs.root()).map_err(
                |source| LocalCloudError::LocalInstances {
                    path: options
                        .state_path
                        .as_deref()
                        .and_then(std::path::Path::parent)
                        .map_or_else(std::env::temp_dir, std::path::Path::to_path_buf),
                    source,
                },
            )?;
        let now = clock.now();
        engine::prepare_loaded(&mut world, now);
        let seeded = world.seed_fleet(options.fleet, options.fleet_gaps, now);
        if seeded > 0 {
            tracing::info!("launched a demo fleet of {seeded} EC2 instances");
        }
        let shared = Arc::new(Shared {
            world: SharedWorld::new(world, journal, notices.clone()),
            clock,
            engine: engine::EngineSettings {
                event_duration: options.event_duration,
                minute: options.minute,
                local: Some(local_folders),
            },
            faults: std::sync::Mutex::new(options.faults),
            requests: std::sync::Mutex::new(BTreeMap::new()),
            blobs,
            sso_credentials_lifetime: options.sso_credentials_lifetime,
        });
        if seeded > 0 {
            // Save the new fleet at once, so a restart finds it.
            shared.world.update(|_| true);
        }
        // One task moves deployments on and sends SNS's deliveries; both
        // stop when it is aborted.
        let ticker = tokio::spawn({
            let ticking = tick_forever(
                Arc::clone(&shared),
                (options.event_duration / 4).clamp(MIN_TICK, MAX_TICK),
            );
            let delivering =
                sns::delivery::deliver_forever(Arc::clone(&shared), format!("http://{local_addr}"));
            async move {
                tokio::join!(ticking, delivering);
            }
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
            ticker,
            fleet: options.fleet,
            fleet_gaps: options.fleet_gaps,
            fresh: seeded > 0,
            _local_folders: local_guard,
        })
    }

    /// Whether this start launched the demo fleet into an account that had
    /// no instances: a new demo account, which the demo's other resources
    /// may be added to.
    pub fn is_fresh(&self) -> bool {
        self.fresh
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
    /// account" does; the demo fleet, if one was asked for, is launched
    /// again. With a state file, the new state is saved too.
    pub fn reset(&self) -> Result<(), LocalCloudError> {
        let mut world = World::default();
        world.seed_fleet(self.fleet, self.fleet_gaps, self.shared.clock.now());
        self.shared.world.replace(world)?;
        // The S3 objects are gone, so are their bodies.
        self.shared
            .blobs
            .sweep(&std::collections::HashSet::new())
            .map_err(|source| LocalCloudError::ObjectStore {
                path: self.shared.blobs.root().to_path_buf(),
                source,
            })?;
        Ok(())
    }

    /// A copy of the whole world, for inspection.
    pub fn snapshot(&self) -> World {
        self.shared.world.read(World::clone)
    }

    /// Brings the running deployments up to the clock's time now, as every
    /// request does before it is answered. Tests that move a
    /// [`ManualClock`] call it to make the engine catch up before they look
    /// at [`LocalCloud::snapshot`]. Returns whether anything changed.
    pub fn tick(&self) -> bool {
        self.shared.advance()
    }

    /// How many requests each operation has received, keyed
    /// `service:Operation` (for example `codedeploy:GetDeployment`),
    /// requests refused by injected faults included.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the faults injected into requests from now on, e.g. to let
    /// a retry succeed after a test made a call fail.
    pub fn set_faults(&self, faults: FaultSpec) {
        *self
            .shared
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = faults;
    }

    /// Starts counting requests from zero.
    pub fn reset_request_counts(&self) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Runs `change` on the world and saves it, for setting up what is
    /// quicker to set up directly than through the API (such as a large
    /// fleet of EC2 instances).
    pub fn with_world<R>(&self, change: impl FnOnce(&mut World) -> R) -> R {
        self.shared
            .world
            .write(|world| Ok::<R, std::convert::Infallible>(change(world)))
            .unwrap_or_else(|never| match never {})
    }

    /// Stops serving and writes the last state to disk. Requests in flight
    /// get [`SHUTDOWN_GRACE`] to finish; connections still open after that
    /// (such as a client that never finishes sending) are closed.
    pub async fn shutdown(mut self) {
        self.ticker.abort();
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
        // Save the time the deployments were last advanced to, so that a
        // restart resumes them where they stood.
        self.shared.advance();
        self.shared.world.update(|_| true);
        if let Some(journal) = self.shared.world.take_journal() {
            journal.close().await;
        }
    }
}

/// The directory that keeps the S3 object bodies of the state file `state`:
/// `state.json` keeps them in `state-objects/` beside it.
pub fn objects_dir(state: &std::path::Path) -> PathBuf {
    let stem = state
        .file_stem()
        .map_or_else(|| "state".into(), |stem| stem.to_string_lossy());
    state.with_file_name(format!("{stem}-objects"))
}

/// Moves deployments on every `period`, until aborted.
async fn tick_forever(shared: Arc<Shared>, period: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        shared.advance();
    }
}

impl Drop for LocalCloud {
    fn drop(&mut self) {
        // Dropping without `shutdown` still stops the server; the journal
        // writes what was queued when the last request handler lets go.
        self.ticker.abort();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
