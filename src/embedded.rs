//! The embedded local cloud behind the demo account: the one place where the
//! app's client side and the local cloud meet in-process. They still talk
//! only over HTTP; this module just starts the server and hands its address
//! to the client side.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::cloud::CloudError;
use crate::cloud::local::{BoxFuture, LocalCloudHost};
use crate::localcloud::{LocalCloud, LocalCloudOptions};

/// How many instances the demo account's fleet starts with.
pub const DEMO_FLEET: usize = 10;

/// How long a configured minute of a Lambda or ECS deployment lasts in the
/// demo account: two seconds, so a five-minute canary is watched in ten.
pub const DEMO_MINUTE: std::time::Duration = std::time::Duration::from_secs(2);

/// Starts the local cloud on first use, keeping its state in `state_path`.
pub struct EmbeddedLocalCloud {
    options: LocalCloudOptions,
    running: tokio::sync::Mutex<Option<LocalCloud>>,
    notices: Mutex<Vec<String>>,
    /// Whether a new account gets the demo's Lambda function and ECS
    /// service (see [`crate::cloud::demo_services`]).
    demo_services: bool,
}

impl EmbeddedLocalCloud {
    /// The demo account: a local cloud whose state lives in `state_path` (in
    /// memory when `None`), with a fleet of [`DEMO_FLEET`] instances,
    /// lifecycle events paced so a ten-instance rollout takes about a minute,
    /// Lambda and ECS deployments on [`DEMO_MINUTE`] minutes, and a Lambda
    /// function and an ECS service to deploy to.
    pub fn new(state_path: Option<PathBuf>) -> Self {
        Self::with_options(LocalCloudOptions {
            state_path,
            fleet: DEMO_FLEET,
            fleet_gaps: true,
            minute: DEMO_MINUTE,
            ..LocalCloudOptions::default()
        })
        .with_demo_services()
    }

    /// The same local cloud, whose new accounts (a first start with a
    /// fleet, and every reset) also get the demo's Lambda function and ECS
    /// service.
    #[must_use]
    pub fn with_demo_services(self) -> Self {
        Self {
            demo_services: true,
            ..self
        }
    }

    /// A local cloud started with `options` (the port is always chosen freely).
    pub fn with_options(options: LocalCloudOptions) -> Self {
        Self {
            options: LocalCloudOptions { port: 0, ..options },
            running: tokio::sync::Mutex::new(None),
            notices: Mutex::new(Vec::new()),
            demo_services: false,
        }
    }

    /// Makes the demo's Lambda function and ECS service in the account at
    /// `url`. A failure is told, not fatal: the account works without them.
    async fn seed_demo_services(&self, url: &str) {
        let session = crate::cloud::session::Session::local(url).await;
        match crate::cloud::demo_services::seed(&session).await {
            Ok(()) => tracing::info!("made the demo's Lambda function and ECS service"),
            Err(error) => {
                tracing::warn!(
                    "could not make the demo's Lambda function and ECS service: {error}"
                );
                self.push_notices(vec![format!(
                    "The demo account's Lambda function and ECS service could not be made ({error}). Everything else works; resetting the demo account tries again."
                )]);
            }
        }
    }

    /// The state file inside the platform's data directory.
    pub fn default_state_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("dev", "DeployDesk", "DeployDesk")
            .map(|dirs| dirs.data_dir().join("localcloud").join("state.json"))
    }

    /// Replaces the faults the running local cloud injects (see
    /// [`LocalCloud::set_faults`]). Returns whether it was running.
    pub async fn set_faults(&self, faults: crate::localcloud::FaultSpec) -> bool {
        match self.running.lock().await.as_ref() {
            Some(cloud) => {
                cloud.set_faults(faults);
                true
            }
            None => false,
        }
    }

    fn push_notices(&self, notices: Vec<String>) {
        if notices.is_empty() {
            return;
        }
        if let Ok(mut queue) = self.notices.lock() {
            queue.extend(notices);
        }
    }
}

impl LocalCloudHost for EmbeddedLocalCloud {
    fn endpoint(&self) -> BoxFuture<'_, Result<String, CloudError>> {
        Box::pin(async move {
            let mut running = self.running.lock().await;
            if let Some(cloud) = running.as_ref() {
                return Ok(cloud.endpoint_url());
            }
            let cloud = LocalCloud::start(self.options.clone())
                .await
                .map_err(|error| CloudError::LocalCloud(error.to_string()))?;
            self.push_notices(cloud.notices());
            let url = cloud.endpoint_url();
            tracing::info!("local cloud listening on {url}");
            if self.demo_services && cloud.is_fresh() {
                self.seed_demo_services(&url).await;
            }
            *running = Some(cloud);
            Ok(url)
        })
    }

    fn reset(&self) -> BoxFuture<'_, Result<(), CloudError>> {
        Box::pin(async move {
            // The lock is held while the demo's services are made again, as
            // in `endpoint`: whoever asks next for the account (the app
            // reconnecting) gets it whole. The local cloud answers those
            // requests without this lock.
            let running = self.running.lock().await;
            let Some(cloud) = running.as_ref() else {
                return Ok(());
            };
            cloud
                .reset()
                .map_err(|error| CloudError::LocalCloud(error.to_string()))?;
            if self.demo_services {
                self.seed_demo_services(&cloud.endpoint_url()).await;
            }
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let cloud = self.running.lock().await.take();
            if let Some(cloud) = cloud {
                cloud.shutdown().await;
            }
        })
    }

    fn take_notices(&self) -> Vec<String> {
        self.notices
            .lock()
            .map(|mut queue| std::mem::take(&mut *queue))
            .unwrap_or_default()
    }
}
