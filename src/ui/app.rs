//! The root of the app: its state, the shell (top bar and navigation), the
//! connection to the chosen backend, and the per-frame logic that applies
//! background results before anything is drawn.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{Panel, RichText};

use crate::cloud::codedeploy::{self, Application, DeploymentGroup};
use crate::cloud::deployments::{self, Deployment};
use crate::cloud::session::{self, ProfileInfo};
use crate::cloud::watcher::{self, WatchConfig, WatchUpdate};
use crate::cloud::{CloudError, Jobs, LocalCloudHost, Session};
use crate::domain::MinimumHealthyHosts;
use crate::settings::{self, BackendChoice, Page, Settings, SettingsStore};

use super::appearance;
use super::connection::{self, Connection, FailureAction};
use super::pages::deploy::{DeployDialog, DeployRequest};
use super::pages::revisions::{RevisionsAction, RevisionsEvent, RevisionsPage};
use super::pages::rollout::RolloutAction;
use super::pages::setup::run::RunRequest;
use super::pages::setup::{SetupAction, SetupEvent, SetupPage};
use super::pages::tour::{Tour, TourAction};
use super::pages::{
    ApplicationsAction, ApplicationsPage, DeploymentsAction, DeploymentsPage, PlannerPage,
};
use super::shortcuts::{self, Command};
use super::widgets::chip;
use super::widgets::loadable::{Loadable, loaded};

mod habits;

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

/// A result from a background job.
enum Event {
    Connected {
        generation: u64,
        result: Result<(Session, Option<session::Identity>), CloudError>,
    },
    Profiles(Result<Vec<ProfileInfo>, CloudError>),
    Applications {
        generation: u64,
        result: Result<Vec<Application>, CloudError>,
    },
    Groups {
        generation: u64,
        application: String,
        result: Result<Vec<DeploymentGroup>, CloudError>,
    },
    Created {
        generation: u64,
        name: String,
        result: Result<String, CloudError>,
    },
    Deleted {
        generation: u64,
        name: String,
        result: Result<(), CloudError>,
    },
    DemoReset(Result<(), CloudError>),
    Deployments {
        generation: u64,
        result: Result<Vec<Deployment>, CloudError>,
    },
    Watch {
        generation: u64,
        deployment_id: String,
        update: Box<WatchUpdate>,
    },
    Config {
        generation: u64,
        deployment_id: String,
        minimum: Option<MinimumHealthyHosts>,
    },
    History {
        generation: u64,
        deployment_id: String,
        deployments: Vec<Deployment>,
    },
    Tags {
        generation: u64,
        deployment_id: String,
        instances: std::collections::HashMap<String, crate::cloud::instances::InstanceInfo>,
        error: Option<String>,
    },
    RolloutActionDone {
        generation: u64,
        deployment_id: String,
        result: Result<Option<String>, CloudError>,
    },
    Setup {
        generation: u64,
        event: SetupEvent,
    },
    Deploy {
        generation: u64,
        event: DeployEvent,
    },
    Revisions {
        generation: u64,
        event: RevisionsEvent,
    },
    DemoStarted {
        generation: u64,
        step: crate::cloud::demo::DemoStep,
    },
    DemoFinished {
        generation: u64,
        result: Result<String, String>,
    },
    LogsFolderOpened(Result<(), String>),
}

impl Event {
    /// The error this result failed with, for the results that carry one
    /// directly.
    fn error(&self) -> Option<&CloudError> {
        match self {
            Event::Applications {
                result: Err(error), ..
            }
            | Event::Groups {
                result: Err(error), ..
            }
            | Event::Created {
                result: Err(error), ..
            }
            | Event::Deleted {
                result: Err(error), ..
            }
            | Event::Deployments {
                result: Err(error), ..
            }
            | Event::RolloutActionDone {
                result: Err(error), ..
            }
            | Event::Deploy {
                event:
                    DeployEvent::Applications(Err(error))
                    | DeployEvent::Groups(Err(error))
                    | DeployEvent::Preflight(Err(error))
                    | DeployEvent::Started(Err(error)),
                ..
            } => Some(error),
            _ => None,
        }
    }
}

/// A result for the Deploy dialog.
enum DeployEvent {
    Applications(Result<Vec<Application>, CloudError>),
    Groups(Result<Vec<String>, CloudError>),
    Preflight(Result<crate::cloud::preflight::PreflightData, CloudError>),
    Started(Result<String, CloudError>),
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
    watcher: Option<tokio::task::AbortHandle>,
    planner: PlannerPage,
    setup: SetupPage,
    deploy: Option<DeployDialog>,
    revisions: RevisionsPage,
    tour: Tour,
    /// Cancels the upload in progress, if any.
    upload_cancel: Option<tokio_util::sync::CancellationToken>,
    /// Whether the keyboard shortcuts overlay is shown.
    help_open: bool,
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
            watcher: None,
            planner: PlannerPage::default(),
            setup: SetupPage::default(),
            deploy: None,
            revisions: RevisionsPage::default(),
            tour: Tour::default(),
            upload_cancel: None,
            help_open: false,
            settings,
        };
        app.jobs
            .spawn(async { Event::Profiles(session::list_profiles().await) });
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
        self.jobs.running() > 0
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
        if let Some(cancel) = self.upload_cancel.take() {
            cancel.cancel();
        }
        self.stop_watching();
        self.deployments.clear();
        self.check_connection();
    }

    /// Makes a session for the backend and checks it with its first
    /// request, leaving the state on screen until the answer comes.
    fn check_connection(&mut self) {
        self.connection_generation += 1;
        let generation = self.connection_generation;
        self.recheck_at = None;
        let backend = self.backend.clone();
        let local_cloud = self.local_cloud.clone();
        self.jobs.spawn(async move {
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
            Event::Connected { generation, result }
        });
    }

    /// Puts `connection` in place, and has it checked again in a few
    /// seconds when a login outside the app can fix it.
    fn set_connection(&mut self, connection: Connection) {
        self.recheck_at = connection
            .rechecks()
            .then(|| std::time::Instant::now() + connection::RECHECK_EVERY);
        self.connection = connection;
    }

    fn apply(&mut self, event: Event) {
        let current = self.generation;
        if let Some(error @ CloudError::SsoExpired { .. }) = event.error()
            && matches!(self.connection, Connection::Ready(..))
        {
            // The SSO session ran out while the app was in use: say so in
            // place of the pages, which keep what they show, and look for
            // a new login every few seconds.
            tracing::warn!("{error}");
            self.set_connection(Connection::Failed(error.clone()));
        }
        match event {
            Event::Connected { generation, result } if generation == self.connection_generation => {
                let connection = match result {
                    Ok((session, identity)) => {
                        if matches!(self.connection, Connection::Failed(_)) {
                            // A login outside the app fixed it: load afresh.
                            self.applications.clear();
                        }
                        Connection::Ready(Arc::new(session), identity)
                    }
                    Err(error) => {
                        // Checking again every few seconds logs a failure
                        // once, not at every check.
                        let same = matches!(
                            &self.connection,
                            Connection::Failed(before) if *before == error
                        );
                        if !same {
                            tracing::warn!(
                                "could not connect to {}: {error}",
                                self.backend.label()
                            );
                        }
                        Connection::Failed(error)
                    }
                };
                self.set_connection(connection);
            }
            Event::Profiles(result) => match result {
                Ok(profiles) => self.profiles = profiles,
                Err(error) => tracing::warn!("{error}"),
            },
            Event::Applications { generation, result } if generation == current => {
                if let Some(action) = self.applications.applications_loaded(result) {
                    self.run_applications_action(action);
                }
            }
            Event::Groups {
                generation,
                application,
                result,
            } if generation == current => self.applications.groups_loaded(&application, result),
            Event::Created {
                generation,
                name,
                result,
            } if generation == current => {
                if let Some(action) = self.applications.created(&name, result) {
                    self.run_applications_action(action);
                }
            }
            Event::Deleted {
                generation,
                name,
                result,
            } if generation == current => {
                if let Some(action) = self.applications.deleted(&name, result) {
                    self.run_applications_action(action);
                }
            }
            Event::LogsFolderOpened(result) => {
                if let Err(text) = result {
                    self.notice = Some(text);
                }
            }
            Event::DemoReset(result) => match result {
                Ok(()) => {
                    // The guided demo starts afresh with the account.
                    self.settings.tour_done = false;
                    self.tour = Tour::Welcome;
                    self.connect();
                }
                Err(error) => {
                    self.notice = Some(format!("The demo account could not be reset: {error}"));
                }
            },
            Event::Deployments { generation, result } if generation == current => {
                self.deployments.loaded(result);
            }
            Event::Watch {
                generation,
                deployment_id,
                update,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.apply(*update);
                    if view.take_just_finished() {
                        self.deployment_finished(&deployment_id);
                    }
                }
            }
            Event::Config {
                generation,
                deployment_id,
                minimum,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.config_loaded(minimum);
                }
            }
            Event::History {
                generation,
                deployment_id,
                deployments,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.history_loaded(deployments);
                }
            }
            Event::Tags {
                generation,
                deployment_id,
                instances,
                error,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.tags_loaded(instances, error);
                }
            }
            Event::RolloutActionDone {
                generation,
                deployment_id,
                result,
            } if generation == current => match result {
                Ok(Some(new_deployment)) => {
                    self.deployments.open(&new_deployment);
                    self.watch(new_deployment);
                }
                Ok(None) => {
                    if let Some(view) = self.rollout_for(&deployment_id) {
                        view.action_done(Ok(()));
                    }
                }
                Err(error) => {
                    if let Some(view) = self.rollout_for(&deployment_id) {
                        view.action_done(Err(error.to_string()));
                    }
                }
            },
            Event::Setup { generation, event } if generation == current => self.setup.apply(event),
            Event::Deploy { generation, event } if generation == current => {
                self.deploy_event(event);
            }
            Event::Revisions { generation, event } if generation == current => {
                if matches!(event, RevisionsEvent::Published(_)) {
                    self.upload_cancel = None;
                }
                if let Some(action) = self.revisions.apply(event) {
                    self.run_revisions_action(action);
                }
            }
            Event::DemoStarted { generation, step } if generation == current => {
                self.tour.started(step);
            }
            Event::DemoFinished { generation, result } if generation == current => {
                self.tour.finished(&result);
                if let Ok(deployment_id) = result {
                    self.settings.last_page = Page::Deployments;
                    self.deployments.open(&deployment_id);
                    self.watch(deployment_id);
                }
            }
            // A result for a backend that is no longer active.
            Event::DemoStarted { .. }
            | Event::DemoFinished { .. }
            | Event::Revisions { .. }
            | Event::Deploy { .. }
            | Event::Setup { .. }
            | Event::Connected { .. }
            | Event::Applications { .. }
            | Event::Groups { .. }
            | Event::Created { .. }
            | Event::Deleted { .. }
            | Event::Deployments { .. }
            | Event::Watch { .. }
            | Event::Config { .. }
            | Event::History { .. }
            | Event::Tags { .. }
            | Event::RolloutActionDone { .. } => {}
        }
    }

    /// The open rollout view, if it shows this deployment.
    fn rollout_for(
        &mut self,
        deployment_id: &str,
    ) -> Option<&mut super::pages::rollout::RolloutView> {
        self.deployments
            .rollout_mut()
            .filter(|view| view.deployment_id() == deployment_id)
    }

    /// Tells the person a watched deployment ended.
    fn deployment_finished(&mut self, deployment_id: &str) {
        let status = self
            .deployments
            .rollout()
            .and_then(|view| view.deployment())
            .map_or("ended", |deployment| deployment.status.as_str());
        let text = format!("Deployment {deployment_id} finished: {status}.");
        if self.settings.notify_on_finish {
            // Desktop notifications talk to the session bus: never in a frame.
            let summary = format!("DeployDesk: deployment {status}");
            let body = text.clone();
            self.runtime.spawn_blocking(move || {
                if let Err(error) = notify_rust::Notification::new()
                    .summary(&summary)
                    .body(&body)
                    .appname("DeployDesk")
                    .show()
                {
                    tracing::info!("no desktop notification: {error}");
                }
            });
        }
        self.notice = Some(text);
    }

    fn stop_watching(&mut self) {
        if let Some(watcher) = self.watcher.take() {
            watcher.abort();
        }
    }

    /// Starts watching a deployment for the open rollout view.
    fn watch(&mut self, deployment_id: String) {
        self.stop_watching();
        let Some(session) = self.session() else {
            return;
        };
        let sender = self.jobs.sender();
        let generation = self.generation;
        let session = (*session).clone();
        self.watcher = Some(self.jobs.spawn_task(async move {
            let id = deployment_id.clone();
            watcher::watch(
                session,
                deployment_id,
                WatchConfig::default(),
                move |update| {
                    sender.send(Event::Watch {
                        generation,
                        deployment_id: id.clone(),
                        update: Box::new(update),
                    })
                },
            )
            .await;
        }));
    }

    fn run_deployments_action(&mut self, action: DeploymentsAction) {
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        match action {
            DeploymentsAction::Refresh(filter) => {
                self.deployments.loading();
                self.jobs.spawn(async move {
                    let result = deployments::list_deployments(&session, &filter).await;
                    Event::Deployments { generation, result }
                });
            }
            DeploymentsAction::Open(deployment_id) => self.watch(deployment_id),
            DeploymentsAction::Deploy => self.deploy = Some(DeployDialog::new(None, None)),
            DeploymentsAction::Close => self.stop_watching(),
            DeploymentsAction::Rollout(action) => {
                let Some(view) = self.deployments.rollout() else {
                    return;
                };
                let deployment_id = view.deployment_id().to_owned();
                let deployment = view.deployment().cloned();
                match action {
                    RolloutAction::LoadConfig(name) => {
                        self.jobs.spawn(async move {
                            let minimum = codedeploy::get_minimum_healthy_hosts(&session, &name)
                                .await
                                .ok()
                                .flatten()
                                .and_then(|(kind, value)| minimum_from_api(&kind, value));
                            Event::Config {
                                generation,
                                deployment_id,
                                minimum,
                            }
                        });
                    }
                    RolloutAction::LoadTags(ids) => {
                        self.jobs.spawn(async move {
                            let (instances, error) =
                                crate::cloud::instances::describe_targets(&session, &ids).await;
                            Event::Tags {
                                generation,
                                deployment_id,
                                instances,
                                error: error.map(|error| error.to_string()),
                            }
                        });
                    }
                    RolloutAction::LoadHistory { application, group } => {
                        self.jobs.spawn(async move {
                            let filter = deployments::DeploymentFilter {
                                application: Some(application),
                                group: Some(group),
                                statuses: Vec::new(),
                                limit: 20,
                            };
                            // The chart is a nicety: without it the view still works.
                            let deployments = deployments::list_deployments(&session, &filter)
                                .await
                                .unwrap_or_default();
                            Event::History {
                                generation,
                                deployment_id,
                                deployments,
                            }
                        });
                    }
                    RolloutAction::Stop { roll_back } => {
                        self.jobs.spawn(async move {
                            let result =
                                deployments::stop_deployment(&session, &deployment_id, roll_back)
                                    .await
                                    .map(|()| None);
                            Event::RolloutActionDone {
                                generation,
                                deployment_id,
                                result,
                            }
                        });
                    }
                    RolloutAction::Continue => {
                        self.jobs.spawn(async move {
                            let result = deployments::continue_deployment(&session, &deployment_id)
                                .await
                                .map(|()| None);
                            Event::RolloutActionDone {
                                generation,
                                deployment_id,
                                result,
                            }
                        });
                    }
                    RolloutAction::Redeploy => {
                        let Some(deployment) = deployment else { return };
                        self.jobs.spawn(async move {
                            let result =
                                deployments::redeploy(&session, &deployment).await.map(Some);
                            Event::RolloutActionDone {
                                generation,
                                deployment_id,
                                result,
                            }
                        });
                    }
                }
            }
        }
    }

    /// Applies a result to the Deploy dialog; a started deployment opens
    /// in the rollout view.
    fn deploy_event(&mut self, event: DeployEvent) {
        if let DeployEvent::Started(Ok(deployment_id)) = &event {
            self.deploy = None;
            self.settings.last_page = Page::Deployments;
            self.deployments.open(deployment_id);
            self.watch(deployment_id.clone());
            return;
        }
        let Some(dialog) = &mut self.deploy else {
            return;
        };
        match event {
            DeployEvent::Applications(result) => dialog.applications = loaded(result),
            DeployEvent::Groups(result) => dialog.groups_loaded(loaded(result)),
            DeployEvent::Preflight(result) => dialog.preflight = loaded(result),
            DeployEvent::Started(result) => {
                dialog.started(result.map_err(|error| error.to_string()));
            }
        }
    }

    /// Whether the guided demo's panel is shown: in the demo account, until
    /// the tour is done.
    fn shows_tour(&self) -> bool {
        self.backend == BackendChoice::Demo
            && self.local_cloud.is_some()
            && !self.settings.tour_done
    }

    fn run_tour_action(&mut self, action: TourAction) {
        match action {
            TourAction::Done => self.settings.tour_done = true,
            TourAction::ShowMeARollout => {
                let Some(session) = self.session() else {
                    self.tour = Tour::Failed(
                        "Not connected to the demo account yet; try again in a moment.".to_owned(),
                    );
                    return;
                };
                let generation = self.generation;
                let sender = self.jobs.sender();
                self.jobs.spawn(async move {
                    let result = crate::cloud::demo::show_me_a_rollout(&session, |step| {
                        sender.send(Event::DemoStarted { generation, step });
                    })
                    .await;
                    Event::DemoFinished { generation, result }
                });
            }
        }
    }

    fn run_revisions_action(&mut self, action: RevisionsAction) {
        use crate::cloud::{publish, revisions, sample};
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        let event = move |event| Event::Revisions { generation, event };
        let text = |error: CloudError| error.to_string();
        match action {
            RevisionsAction::LoadApplications => self.jobs.spawn(async move {
                event(RevisionsEvent::Applications(
                    codedeploy::list_applications(&session).await.map_err(text),
                ))
            }),
            RevisionsAction::LoadRevisions(application) => self.jobs.spawn(async move {
                event(RevisionsEvent::Revisions(
                    revisions::list_revisions(&session, &application)
                        .await
                        .map_err(text),
                ))
            }),
            RevisionsAction::Check(path) => self.jobs.spawn(async move {
                let checked_path = path.clone();
                let result = tokio::task::spawn_blocking(move || {
                    publish::check(
                        &checked_path,
                        crate::domain::appspec_lint::LintPlatform::SERVER,
                    )
                })
                .await
                .unwrap_or_else(|problem| Err(format!("Reading the bundle stopped: {problem}.")));
                event(RevisionsEvent::Checked(path, result))
            }),
            RevisionsAction::Browse { folder } => self.jobs.spawn(async move {
                let dialog = rfd::AsyncFileDialog::new().set_title("Choose a revision bundle");
                let picked = if folder {
                    dialog.pick_folder().await
                } else {
                    dialog
                        .add_filter("Bundles", &["zip", "tar", "gz", "tgz"])
                        .pick_file()
                        .await
                };
                event(RevisionsEvent::Picked(
                    picked.map(|handle| handle.path().to_path_buf()),
                ))
            }),
            RevisionsAction::UseSample => self.jobs.spawn(async move {
                let written =
                    tokio::task::spawn_blocking(|| sample::write_sample(&sample::sample_parent()))
                        .await;
                match written {
                    Ok(Ok(path)) => event(RevisionsEvent::Picked(Some(path))),
                    Ok(Err(problem)) => event(RevisionsEvent::Checked(
                        PathBuf::new(),
                        Err(format!(
                            "The sample application could not be written: {problem}."
                        )),
                    )),
                    Err(problem) => event(RevisionsEvent::Checked(
                        PathBuf::new(),
                        Err(format!(
                            "The sample application could not be written: {problem}."
                        )),
                    )),
                }
            }),
            RevisionsAction::Publish(publish_request) => {
                let (checked, destination) = *publish_request;
                let cancel = tokio_util::sync::CancellationToken::new();
                self.upload_cancel = Some(cancel.clone());
                let (progress, mut updates) =
                    tokio::sync::watch::channel(crate::cloud::s3::UploadProgress::default());
                let sender = self.jobs.sender();
                self.jobs.spawn_task(async move {
                    while updates.changed().await.is_ok() {
                        let now = *updates.borrow_and_update();
                        sender.send(event(RevisionsEvent::Progress(now)));
                        // At most about 20 updates a second reach the UI.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                });
                self.jobs.spawn(async move {
                    let result = publish::publish(
                        &session,
                        checked.source,
                        &destination,
                        &progress,
                        &cancel,
                    )
                    .await;
                    event(RevisionsEvent::Published(result))
                });
            }
            RevisionsAction::CancelUpload => {
                if let Some(cancel) = &self.upload_cancel {
                    cancel.cancel();
                }
            }
            RevisionsAction::RegisterGitHub {
                application,
                repository,
                commit,
                description,
            } => self.jobs.spawn(async move {
                let description = description.trim().to_owned();
                let result = revisions::register_github_revision(
                    &session,
                    &application,
                    &repository,
                    &commit,
                    (!description.is_empty()).then_some(description.as_str()),
                )
                .await
                .map_err(text);
                event(RevisionsEvent::GitHubRegistered(result))
            }),
            RevisionsAction::Deploy {
                application,
                revision,
            } => self.deploy = Some(DeployDialog::new(Some(application), Some(revision))),
        }
    }

    fn run_deploy_request(&mut self, request: DeployRequest) {
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        let event = move |event| Event::Deploy { generation, event };
        match request {
            DeployRequest::LoadApplications => {
                if let Some(dialog) = &mut self.deploy {
                    dialog.applications = Loadable::Loading;
                }
                self.jobs.spawn(async move {
                    event(DeployEvent::Applications(
                        codedeploy::list_applications(&session).await,
                    ))
                });
            }
            DeployRequest::LoadGroups(application) => self.jobs.spawn(async move {
                event(DeployEvent::Groups(
                    codedeploy::list_deployment_group_names(&session, &application).await,
                ))
            }),
            DeployRequest::LoadPreflight {
                application,
                group,
                config,
            } => self.jobs.spawn(async move {
                event(DeployEvent::Preflight(
                    crate::cloud::preflight::gather(
                        &session,
                        &application,
                        &group,
                        config.as_deref(),
                    )
                    .await,
                ))
            }),
            DeployRequest::Start(new) => self.jobs.spawn(async move {
                event(DeployEvent::Started(
                    deployments::create_deployment(&session, &new).await,
                ))
            }),
        }
    }

    fn deploy_ui(&mut self, ctx: &egui::Context) {
        let Some(dialog) = &mut self.deploy else {
            return;
        };
        let mut outcome = (None, false);
        let modal = egui::Modal::new(egui::Id::unique("deploy_dialog")).show(ctx, |ui| {
            ui.set_width(640.0);
            outcome = dialog.ui(ui);
        });
        let (request, close) = outcome;
        if close || modal.should_close() {
            self.deploy = None;
            return;
        }
        if let Some(request) = request {
            self.run_deploy_request(request);
        }
    }

    fn run_setup_action(&mut self, action: SetupAction) {
        use crate::cloud::setup;
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        let event = move |event| Event::Setup { generation, event };
        match action {
            SetupAction::LoadAccount => self.jobs.spawn(async move {
                event(SetupEvent::Account(setup::account_id(&session).await))
            }),
            SetupAction::LoadTrustedRoles => self.jobs.spawn(async move {
                let principal = crate::domain::setup::CODEDEPLOY_PRINCIPAL;
                event(SetupEvent::TrustedRoles(
                    setup::roles_trusting(&session, principal).await,
                ))
            }),
            SetupAction::LoadInstances => self.jobs.spawn(async move {
                event(SetupEvent::Instances(
                    setup::instance_choices(&session).await,
                ))
            }),
            SetupAction::LoadApplications => self.jobs.spawn(async move {
                event(SetupEvent::Applications(
                    codedeploy::list_applications(&session).await,
                ))
            }),
            SetupAction::LoadGroups(application) => self.jobs.spawn(async move {
                event(SetupEvent::Groups(
                    codedeploy::list_deployment_group_names(&session, &application).await,
                ))
            }),
            SetupAction::LoadEc2Instances => self.jobs.spawn(async move {
                event(SetupEvent::Ec2Instances(
                    crate::cloud::ec2::list_instances(&session, None).await,
                ))
            }),
            SetupAction::LoadGroupSpec { application, group } => self.jobs.spawn(async move {
                let result =
                    crate::cloud::groups::deployment_group_spec(&session, &application, &group)
                        .await;
                event(SetupEvent::GroupSpec { group, result })
            }),
            SetupAction::Run { run, request } => {
                let sender = self.jobs.sender();
                self.jobs.spawn(async move {
                    let (plan, from, fix_first) = match request {
                        RunRequest::Run { plan, from } => (plan, from, false),
                        RunRequest::Fix { plan, index } => (plan, index, true),
                    };
                    setup::run_plan(&session, &plan, from, fix_first, |progress| {
                        sender.send(event(SetupEvent::Progress { run, progress }));
                    })
                    .await;
                    event(SetupEvent::RunEnded { run })
                });
            }
            SetupAction::Tags(action) => {
                use crate::ui::pages::setup::tag_instances;
                let sender = self.jobs.sender();
                self.jobs.spawn(async move {
                    let report = |progress| {
                        sender.send(event(SetupEvent::Tags(progress)));
                    };
                    event(SetupEvent::Tags(
                        tag_instances::run(&session, action, report).await,
                    ))
                });
            }
        }
    }

    fn run_applications_action(&mut self, action: ApplicationsAction) {
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        match action {
            ApplicationsAction::Refresh => {
                self.applications.loading();
                self.jobs.spawn(async move {
                    let result = codedeploy::list_applications(&session).await;
                    Event::Applications { generation, result }
                });
            }
            ApplicationsAction::LoadGroups(application) => {
                self.applications.groups_loading();
                self.jobs.spawn(async move {
                    let result = codedeploy::list_deployment_groups(&session, &application).await;
                    Event::Groups {
                        generation,
                        application,
                        result,
                    }
                });
            }
            ApplicationsAction::Create { name, platform } => {
                self.jobs.spawn(async move {
                    let result = codedeploy::create_application(&session, &name, platform).await;
                    Event::Created {
                        generation,
                        name,
                        result,
                    }
                });
            }
            ApplicationsAction::Delete(name) => {
                self.jobs.spawn(async move {
                    let result = codedeploy::delete_application(&session, &name).await;
                    Event::Deleted {
                        generation,
                        name,
                        result,
                    }
                });
            }
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading(RichText::new("DeployDesk").strong());
            ui.separator();
            chip::backend_ui(ui, &self.backend);
            self.backend_switcher_ui(ui);
            match &self.connection {
                Connection::Connecting => {
                    ui.spinner();
                    ui.label("Connecting…");
                }
                Connection::Ready(_, Some(identity)) => connection::identity_ui(ui, identity),
                Connection::Ready(_, None) => {}
                Connection::Failed(error) => {
                    ui.label(RichText::new("Not connected").color(ui.visuals().error_fg_color))
                        .on_hover_text(error.to_string());
                    if ui.button("Reconnect").clicked() {
                        self.connect();
                    }
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                appearance::theme_ui(ui, &mut self.settings.theme);
                self.help_menu_ui(ui);
                ui.menu_button("Settings", |ui| {
                    self.text_scale_ui(ui);
                    ui.checkbox(
                        &mut self.settings.notify_on_finish,
                        "Notify me when a deployment I watch ends",
                    );
                    if super::logs_folder::menu_item_ui(ui) {
                        let open = super::logs_folder::open();
                        self.jobs
                            .spawn(async { Event::LogsFolderOpened(open.await) });
                    }
                });
            });
        });
    }

    fn backend_switcher_ui(&mut self, ui: &mut egui::Ui) {
        let mut chosen = None;
        ui.menu_button("Switch account", |ui| {
                if ui
                    .selectable_label(self.backend == BackendChoice::Demo, "Demo — local cloud")
                    .clicked()
                {
                    chosen = Some(BackendChoice::Demo);
                }
                if self.profiles.is_empty() {
                    ui.label(RichText::new("No AWS profiles found in the AWS config files.").weak());
                }
                for profile in &self.profiles {
                    let selected = matches!(&self.backend, BackendChoice::Profile { profile: name, .. } if *name == profile.name);
                    let label = match (&profile.region, profile.uses_sso) {
                        (Some(region), true) => format!("{} ({region}, SSO)", profile.name),
                        (Some(region), false) => format!("{} ({region})", profile.name),
                        (None, true) => format!("{} (SSO)", profile.name),
                        (None, false) => profile.name.clone(),
                    };
                    if ui.selectable_label(selected, label).clicked() {
                        chosen = Some(BackendChoice::Profile {
                            profile: profile.name.clone(),
                            region: profile.region.clone(),
                        });
                    }
                }
            });
        if let Some(backend) = chosen
            && backend != self.backend
        {
            self.switch_backend(backend);
        }
        match self.backend.clone() {
            BackendChoice::Demo => {
                if self.local_cloud.is_some() && ui.button("Reset demo account…").clicked() {
                    self.confirm_reset = true;
                }
            }
            BackendChoice::Profile { .. } | BackendChoice::Endpoint { .. } => {
                if let Some(region) =
                    connection::region_field_ui(ui, &mut self.region_text, &mut self.region_error)
                {
                    let mut backend = self.backend.clone();
                    match &mut backend {
                        BackendChoice::Profile { region: slot, .. }
                        | BackendChoice::Endpoint { region: slot, .. } => {
                            *slot = region.into_option();
                        }
                        BackendChoice::Demo => {}
                    }
                    self.switch_backend(backend);
                }
            }
        }
    }

    fn confirm_reset_ui(&mut self, ctx: &egui::Context) {
        if !self.confirm_reset {
            return;
        }
        let modal = egui::Modal::new(egui::Id::unique("confirm_reset_demo")).show(ctx, |ui| {
            ui.set_max_width(420.0);
            ui.heading("Reset the demo account?");
            ui.label(
                "Everything in the demo account — applications, deployment groups, revisions — is thrown away and it starts afresh. Your AWS accounts are not touched.",
            );
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Reset").clicked() {
                    self.confirm_reset = false;
                    if let Some(host) = self.local_cloud.clone() {
                        self.connection = Connection::Connecting;
                        self.jobs.spawn(async move { Event::DemoReset(host.reset().await) });
                    }
                }
                if ui.button("Cancel").clicked() {
                    self.confirm_reset = false;
                }
            });
        });
        if modal.should_close() {
            self.confirm_reset = false;
        }
    }

    fn navigation_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(8.0);
        for page in Page::ALL {
            let selected = self.settings.last_page == page;
            let mut response = ui.add_sized(
                [ui.available_width(), 28.0],
                egui::Button::selectable(selected, page.title()),
            );
            if let Some(keys) = shortcuts::keys_text(ui.ctx(), Command::ShowPage(page)) {
                response = response.on_hover_text(keys);
            }
            if response.clicked() {
                self.settings.last_page = page;
            }
        }
    }

    fn notice_ui(&mut self, ui: &mut egui::Ui) {
        let mut dismissed = false;
        if let Some(notice) = &self.notice {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new("Notice")
                        .strong()
                        .color(ui.visuals().warn_fg_color),
                );
                ui.label(notice);
                if ui.button("Dismiss").clicked() {
                    dismissed = true;
                }
            });
        }
        if dismissed {
            self.notice = None;
        }
    }

    fn page_ui(&mut self, ui: &mut egui::Ui) {
        match self.settings.last_page {
            Page::RolloutPlanner => self.planner.ui(ui),
            Page::Applications => {
                if !self.connection_ui(ui)
                    && let Some(action) = self.applications.ui(ui)
                {
                    self.run_applications_action(action);
                }
            }
            Page::Deployments => {
                if !self.connection_ui(ui)
                    && let Some(action) = self.deployments.ui(ui)
                {
                    self.run_deployments_action(action);
                }
            }
            Page::Setup => {
                if !self.connection_ui(ui) {
                    let region = self
                        .session()
                        .map_or_else(String::new, |session| session.region().to_owned());
                    if let Some(action) = self.setup.ui(ui, &region) {
                        self.run_setup_action(action);
                    }
                }
            }
            Page::Revisions => {
                if !self.connection_ui(ui)
                    && let Some(action) = self.revisions.ui(ui)
                {
                    self.run_revisions_action(action);
                }
            }
        }
    }

    /// Shows the connection state instead of a page that needs the backend.
    /// Returns whether it did.
    fn connection_ui(&mut self, ui: &mut egui::Ui) -> bool {
        match &self.connection {
            Connection::Ready(..) => false,
            Connection::Connecting => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Connecting to {}…", self.backend.label()));
                });
                true
            }
            Connection::Failed(error) => {
                if connection::failure_ui(ui, error) == Some(FailureAction::Retry) {
                    self.connect();
                }
                true
            }
        }
    }
}

/// The minimum of a deployment configuration as the API gives it.
fn minimum_from_api(kind: &str, value: i64) -> Option<MinimumHealthyHosts> {
    if kind == "MOST_CONCURRENCY" {
        return Some(MinimumHealthyHosts::OneAtATime);
    }
    MinimumHealthyHosts::from_api(kind, value).ok()
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
        for event in self.jobs.drain() {
            self.apply(event);
        }
        if let Some(at) = self.recheck_at {
            // An expired SSO session or missing credentials: a login in a
            // terminal fixes it, so look again now and then.
            let now = std::time::Instant::now();
            if now >= at {
                self.check_connection();
            } else {
                ctx.request_repaint_after(at - now);
            }
        }
        if let Some(host) = &self.local_cloud {
            let notices = host.take_notices();
            if !notices.is_empty() {
                let mut text = self
                    .notice
                    .take()
                    .map(|notice| vec![notice])
                    .unwrap_or_default();
                text.extend(notices);
                self.notice = Some(text.join(" "));
            }
        }
        if self.settings.last_page == Page::Applications
            && self.session().is_some()
            && self.applications.needs_load()
        {
            self.run_applications_action(ApplicationsAction::Refresh);
        }
        if self.settings.last_page == Page::Revisions && self.session().is_some() {
            // A folder or archive dropped on the window is the bundle.
            let dropped = ctx.input(|input| {
                input
                    .raw
                    .dropped_files
                    .iter()
                    .map(|file| file.path().to_path_buf())
                    .find(|path| !path.as_os_str().is_empty())
            });
            if let Some(path) = dropped {
                let action = self.revisions.dropped(path);
                self.run_revisions_action(action);
            }
        }
        if self.settings.last_page == Page::Deployments && self.session().is_some() {
            let now = std::time::Instant::now();
            if self.deployments.rollout().is_none() && self.deployments.wants_refresh(now) {
                let filter = self.deployments.filter();
                self.run_deployments_action(DeploymentsAction::Refresh(filter));
            }
            if self.deployments.rollout().is_none() && self.deployments.has_active() {
                // Active deployments in the list refresh by themselves.
                ctx.request_repaint_after(super::pages::deployments::ACTIVE_REFRESH);
            }
        }
        // Remember the window size; the store writes on its own thread.
        if let Some(rect) = ctx.input(|input| input.viewport().inner_rect) {
            let size = [rect.width().round(), rect.height().round()];
            if size[0] > 0.0 && size[1] > 0.0 {
                self.settings.window_size = size;
            }
        }
        self.settings.backend = self.backend.clone();
        self.store.save(&self.settings);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.shortcuts(ui.ctx());
        Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        if self.notice.is_some() {
            Panel::bottom("notice_bar").show(ui, |ui| self.notice_ui(ui));
        }
        if self.shows_tour() {
            let mut action = None;
            Panel::right("guided_demo")
                .resizable(false)
                .exact_size(320.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| action = self.tour.ui(ui));
                });
            if let Some(action) = action {
                self.run_tour_action(action);
            }
        }
        Panel::left("navigation")
            .resizable(false)
            .exact_size(180.0)
            .show(ui, |ui| self.navigation_ui(ui));
        egui::CentralPanel::default_margins().show(ui, |ui| self.page_ui(ui));
        let ctx = ui.ctx().clone();
        self.confirm_reset_ui(&ctx);
        self.deploy_ui(&ctx);
        shortcuts::help_overlay_ui(&ctx, &mut self.help_open);
        appearance::apply(&ctx, &self.settings);
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
