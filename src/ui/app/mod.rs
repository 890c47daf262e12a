//! The root of the app: its state and how it is built, and the connection
//! to the chosen backend.
//!
//! The rest of the app lives beside this file, by role: `events` holds what
//! background jobs send back and the [`Effects`] a page's work starts
//! through; `logic` applies results and schedules work before anything is
//! drawn; `shell` draws the top bar, navigation, notices, dialogs and the
//! page on screen; and `habits` handles keyboard shortcuts and the text
//! size. What a page's actions do lives beside the page, in its `effects`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cloud::session::{self, ProfileInfo};
use crate::cloud::{CloudError, Jobs, LocalCloudHost, Session};
use crate::settings::{self, BackendChoice, Page, Settings, SettingsStore};

use super::appearance;
use super::connection::{self, Connection};
use super::pages::deploy::DeployDialog;
use super::pages::revisions::RevisionsPage;
use super::pages::setup::SetupPage;
use super::pages::tour::Tour;
use super::pages::{
    ApplicationsAction, ApplicationsPage, DeploymentsAction, DeploymentsPage, PlannerPage,
};

mod events;
mod habits;
mod logic;
mod shell;

pub(crate) use events::{AppRequest, Effects};
use events::{Event, PageEvent, Stamped};

/// How to start the app.
#[derive(Clone, Default)]
pub struct AppOptions {
    /// Where settings are loaded from and saved to; `None` keeps nothing.
    pub settings_path: Option<PathBuf>,
    /// A backend given on the command line, which wins over the saved one.
    pub backend_override: Option<BackendChoice>,
    /// The embedded local cloud behind the demo account.
    pub local_cloud: Option<Arc<dyn LocalCloudHost>>,
}

impl AppOptions {
    /// The options for a normal run: settings in the platform's config directory.
    pub fn from_platform(
        backend_override: Option<BackendChoice>,
        local_cloud: Option<Arc<dyn LocalCloudHost>>,
    ) -> Self {
        Self {
            settings_path: settings::default_config_dir()
                .map(|dir| dir.join(settings::SETTINGS_FILE)),
            backend_override,
            local_cloud,
        }
    }
}

/// The DeployDesk app.
pub struct App {
    settings: Settings,
    store: SettingsStore,
    backend: BackendChoice,
    notice: Option<String>,
    // Jobs must be dropped before the runtime they run on.
    jobs: Jobs<Event>,
    runtime: tokio::runtime::Runtime,
    local_cloud: Option<Arc<dyn LocalCloudHost>>,
    connection: Connection,
    /// When a failed connection is checked again by itself.
    recheck_at: Option<std::time::Instant>,
    /// Counts connection checks, so that only the latest one's answer counts.
    connection_generation: u64,
    /// Counts connections, so that results of work for an earlier one are
    /// dropped.
    generation: u64,
    profiles: Vec<ProfileInfo>,
    region_text: String,
    /// Why the region typed last was refused, shown beside the field.
    region_error: Option<String>,
    confirm_reset: bool,
    applications: ApplicationsPage,
    deployments: DeploymentsPage,
    planner: PlannerPage,
    setup: SetupPage,
    deploy: Option<DeployDialog>,
    /// The Deploy dialog set aside while a wizard it opened is on screen;
    /// it comes back, checked again, when the wizard closes.
    parked_deploy: Option<DeployDialog>,
    revisions: RevisionsPage,
    tour: Tour,
    /// Which listing pages reload when next shown.
    freshness: logic::Freshness,
    /// Whether the keyboard shortcuts overlay is shown.
    help_open: bool,
    /// Whether the About window is shown.
    about_open: bool,
    /// Why the logs folder could not be opened, shown until dismissed.
    logs_failure: Option<super::logs_folder::OpenFailure>,
}

impl App {
    /// Builds the app, loading settings (which may produce a notice to show).
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let (settings, notice) = match &options.settings_path {
            Some(path) => settings::load(path),
            None => (Settings::default(), None),
        };
        Self::with_settings(cc, settings, notice, options)
    }

    /// Builds the app from settings already loaded (the binary loads them
    /// before the window opens, to size it).
    pub fn with_settings(
        cc: &eframe::CreationContext<'_>,
        settings: Settings,
        notice: Option<String>,
        options: AppOptions,
    ) -> Self {
        if let Some(notice) = &notice {
            tracing::warn!("{notice}");
        }
        appearance::apply_at_start(&cc.egui_ctx, &settings);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("deploydesk-jobs")
            .enable_all()
            .build()
            .expect("the job runtime starts");
        let ctx = cc.egui_ctx.clone();
        let jobs = Jobs::new(
            runtime.handle().clone(),
            Arc::new(move || ctx.request_repaint()),
        );
        let backend = options
            .backend_override
            .clone()
            .unwrap_or_else(|| settings.backend.clone());
        let mut app = Self {
            store: SettingsStore::new(options.settings_path),
            region_text: backend_region(&backend).unwrap_or_default(),
            region_error: None,
            backend,
            notice,
            jobs,
            runtime,
            local_cloud: options.local_cloud,
            connection: Connection::Connecting,
            recheck_at: None,
            connection_generation: 0,
            generation: 0,
            profiles: Vec::new(),
            confirm_reset: false,
            applications: ApplicationsPage::default(),
            deployments: DeploymentsPage::default(),
            planner: PlannerPage::default(),
            setup: SetupPage::default(),
            deploy: None,
            parked_deploy: None,
            revisions: RevisionsPage::default(),
            tour: Tour::default(),
            freshness: logic::Freshness::default(),
            help_open: false,
            about_open: false,
            logs_failure: None,
            settings,
        };
        app.jobs.spawner().spawn("reading the AWS profiles", async {
            Event::Profiles(session::list_profiles().await)
        });
        app.connect();
        app
    }

    /// The page on screen.
    pub fn page(&self) -> Page {
        self.settings.last_page
    }

    /// Whether the keyboard shortcuts overlay is shown.
    pub fn help_open(&self) -> bool {
        self.help_open
    }

    /// The backend the app is talking to.
    pub fn backend(&self) -> &BackendChoice {
        &self.backend
    }

    /// The notice shown at the bottom of the window, if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// Whether background work is still running.
    pub fn is_busy(&self) -> bool {
        self.jobs.spawner().running() > 0
    }

    /// The session, once connected.
    pub fn session(&self) -> Option<Arc<Session>> {
        match &self.connection {
            Connection::Ready(session, _) => Some(Arc::clone(session)),
            _ => None,
        }
    }

    /// The open rollout view, if any.
    pub fn rollout_view(&self) -> Option<&super::pages::rollout::RolloutView> {
        self.deployments.rollout()
    }

    /// The runtime background jobs run on.
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// Switches to another backend and reconnects.
    pub fn switch_backend(&mut self, backend: BackendChoice) {
        self.region_text = backend_region(&backend).unwrap_or_default();
        self.backend = backend;
        self.connect();
    }

    fn connect(&mut self) {
        // Results of work for the old connection are dropped.
        self.generation += 1;
        self.connection = Connection::Connecting;
        self.applications.clear();
        self.setup.clear();
        self.deploy = None;
        self.revisions.clear();
        self.deployments.clear();
        self.check_connection();
    }

    /// Makes a session for the backend and checks it with its first
    /// request, leaving the state on screen until the answer comes.
    fn check_connection(&mut self) {
        self.connection_generation += 1;
        let check = self.connection_generation;
        self.recheck_at = None;
        let backend = self.backend.clone();
        let local_cloud = self.local_cloud.clone();
        let what = format!("connecting to {}", self.backend.label());
        let job = async move {
            let result = match backend {
                BackendChoice::Demo => match local_cloud {
                    Some(host) => match host.endpoint().await {
                        Ok(url) => Ok(Session::local(&url).await),
                        Err(error) => Err(error),
                    },
                    None => Err(CloudError::LocalCloud(
                        "this build has no local cloud; choose an AWS profile instead".to_owned(),
                    )),
                },
                other => Session::connect(&other).await,
            };
            let result = match result {
                Ok(session) => session.verify().await.map(|identity| (session, identity)),
                Err(error) => Err(error),
            };
            Event::Connected { check, result }
        };
        // A check that panics fails the connection with what stopped it, so
        // that Retry is offered.
        self.jobs
            .spawner()
            .spawn_or_else(&what, job, move |panic| Event::Connected {
                check,
                result: Err(CloudError::Other(panic.to_string())),
            });
    }

    /// What the pages' effects use: the session, and jobs whose results
    /// are stamped with the current connection.
    fn effects(&self) -> Effects {
        Effects::new(self.session(), self.generation, self.jobs.spawner().clone())
    }

    /// Puts `connection` in place, and has it checked again in a few
    /// seconds when a login outside the app can fix it.
    fn set_connection(&mut self, connection: Connection) {
        self.recheck_at = connection
            .rechecks()
            .then(|| std::time::Instant::now() + connection::RECHECK_EVERY);
        self.connection = connection;
    }
}

/// The region a backend names, if any.
fn backend_region(backend: &BackendChoice) -> Option<String> {
    match backend {
        BackendChoice::Demo => None,
        BackendChoice::Profile { region, .. } | BackendChoice::Endpoint { region, .. } => {
            region.clone()
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.run_logic(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.shell_ui(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.store.save(&self.settings);
        self.store.flush();
        self.shutdown_local_cloud();
    }
}

impl App {
    /// Stops the embedded local cloud so that its state reaches the disk.
    /// Called when the app closes; waits a few seconds at most.
    fn shutdown_local_cloud(&mut self) {
        if let Some(host) = self.local_cloud.take() {
            let stopped = self.runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(5), host.shutdown()).await
            });
            if stopped.is_err() {
                tracing::warn!("the local cloud did not stop within 5 seconds");
            }
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.shutdown_local_cloud();
    }
}
