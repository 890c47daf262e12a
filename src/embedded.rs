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
}

impl EmbeddedLocalCloud {
    /// The demo account: a local cloud whose state lives in `state_path` (in
    /// memory when `None`), with a fleet of [`DEMO_FLEET`] instances,
    /// lifecycle events paced so a ten-instance rollout takes about a minute,
    /// and Lambda and ECS deployments on [`DEMO_MINUTE`] minutes.
    pub fn new(state_path: Option<PathBuf>) -> Self {
        Self::with_options(LocalCloudOptions {
            state_path,
            fleet: DEMO_FLEET,
            fleet_gaps: true,
            minute: DEMO_MINUTE,
            ..LocalCloudOptions::default()
        })
    }

    /// A local cloud started with `options` (the port is always chosen freely).
    pub fn with_options(options: LocalCloudOptions) -> Self {
        Self {
            options: LocalCloudOptions { port: 0, ..options },
            running: tokio::sync::Mutex::new(None),
            notices: Mutex::new(Vec::new()),
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
            *running = Some(cloud);
            Ok(url)
        })
    }

    fn reset(&self) -> BoxFuture<'_, Result<(), CloudError>> {
        Box::pin(async move {
            let running = self.running.lock().await;
            match running.as_ref() {
                Some(cloud) => cloud
                    .reset()
                    .map_err(|error| CloudError::LocalCloud(error.to_string())),
                None => Ok(()),
            }
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
