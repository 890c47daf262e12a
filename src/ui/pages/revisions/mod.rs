//! The Revisions page: an application's registered revisions, and the
//! revision picker — a folder or archive picked, dropped or typed, its
//! AppSpec linted before anything is uploaded, then uploaded with progress
//! (cancellable) and registered — or a GitHub commit registered.

pub(crate) mod effects;

use std::path::PathBuf;
use std::time::Instant;

use egui::RichText;

use crate::cloud::CloudError;
use crate::cloud::codedeploy::Application;
use crate::cloud::deployments::Revision as DeployRevision;
use crate::cloud::publish::{self, Checked, Destination, PublishError};
use crate::cloud::revisions::{self, Revision, RevisionLocation, S3Revision};
use crate::cloud::s3::UploadProgress;
use crate::domain::ComputePlatform;
use crate::domain::appspec_lint::Severity;
use crate::domain::names::validate_bucket_name;
use crate::domain::revision::validate_github_revision;
use crate::ui::widgets::loadable::{Loadable, loaded};
use crate::ui::widgets::time;

/// What the page asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionsAction {
    /// Load the applications.
    LoadApplications,
    /// Load an application's revisions.
    LoadRevisions(String),
    /// Read which buckets the instance profiles made for revisions allow,
    /// for the upload's default bucket.
    LoadRevisionBuckets,
    /// Read and lint the bundle at a path.
    Check(PathBuf),
    /// Open the native file dialog: a folder, or an archive file.
    Browse {
        /// Pick a folder rather than a file.
        folder: bool,
    },
    /// Write the built-in sample application to disk and pick it.
    UseSample,
    /// Bundle, upload and register.
    Publish(Box<(Checked, Destination)>),
    /// Cancel the upload in progress.
    CancelUpload,
    /// Register a GitHub revision.
    RegisterGitHub {
        /// The application.
        application: String,
        /// `owner/name`.
        repository: String,
        /// The full commit id.
        commit: String,
        /// A description.
        description: String,
    },
    /// Open the Deploy dialog for a revision.
    Deploy {
        /// The application.
        application: String,
        /// The revision.
        revision: DeployRevision,
    },
    /// Deploy a revision to this machine's local instance.
    TryLocally {
        /// The application.
        application: String,
        /// The revision.
        revision: DeployRevision,
    },
    /// Open a deployment in the rollout view.
    ShowDeployment(String),
}

/// A result for the page.
#[derive(Debug, Clone)]
pub enum RevisionsEvent {
    /// The applications.
    Applications(Result<Vec<Application>, CloudError>),
    /// An application's revisions.
    Revisions(Result<Vec<Revision>, CloudError>),
    /// The buckets the instance profiles made for revisions allow.
    RevisionBuckets(Vec<String>),
    /// A path was read and linted.
    Checked(PathBuf, Result<Checked, String>),
    /// The file dialog or the sample gave a path (or was cancelled).
    Picked(Option<PathBuf>),
    /// Upload progress.
    Progress(UploadProgress),
    /// The upload and registration finished.
    Published(Result<S3Revision, PublishError>),
    /// A GitHub revision was registered.
    GitHubRegistered(Result<(), CloudError>),
    /// A deployment to this machine started (its id), or why not.
    TriedLocally(Result<String, String>),
}

/// An upload in progress.
#[derive(Debug, Clone)]
struct Upload {
    started: Instant,
    progress: UploadProgress,
}

/// The Revisions page's state.
#[derive(Debug, Clone, Default)]
pub struct RevisionsPage {
    applications: Loadable<Vec<Application>>,
    application: String,
    revisions: Loadable<Vec<Revision>>,
    path: String,
    checked: Loadable<Checked>,
    checked_path: Option<PathBuf>,
    bucket: String,
    /// Whether the person typed in the bucket field; until then it follows
    /// the bucket the instances may read.
    bucket_edited: bool,
    /// The buckets the instance profiles made for revisions allow.
    revision_buckets: Loadable<Vec<String>>,
    key: String,
    key_edited: bool,
    description: String,
    upload: Option<Upload>,
    published: Option<S3Revision>,
    publish_error: Option<String>,
    repository: String,
    commit: String,
    github_description: String,
    github_message: Option<Result<String, String>>,
    /// Cancels the upload in progress, if any.
    upload_cancel: Option<tokio_util::sync::CancellationToken>,
    /// Set when a deployment started or ended since the list was read, so
    /// that "Last used" and "Running in" are read again when next shown.
    revisions_stale: bool,
    /// Whether revisions can be tried on this machine, and the one being
    /// tried.
    try_local: TryLocal,
    /// Why the last try did not start.
    try_error: Option<String>,
}

/// Whether the account has a local instance to try revisions on (the demo
/// account's local cloud does), and what is being tried.
#[derive(Debug, Clone, Default, PartialEq)]
enum TryLocal {
    /// The account has no local instance.
    #[default]
    Unavailable,
    /// A revision can be tried.
    Ready,
    /// This revision is on its way to the local instance.
    Trying(DeployRevision),
}

impl RevisionsPage {
    /// Says whether the account has a local instance to try revisions on.
    pub fn set_local_instance(&mut self, available: bool) {
        match (available, &self.try_local) {
            (false, _) => self.try_local = TryLocal::Unavailable,
            (true, TryLocal::Unavailable) => self.try_local = TryLocal::Ready,
            (true, _) => {}
        }
    }

    /// Marks `revision` as being tried on this machine.
    pub fn trying(&mut self, revision: DeployRevision) {
        self.try_local = TryLocal::Trying(revision);
        self.try_error = None;
    }

    /// Forgets what was loaded (after switching accounts); what was typed
    /// stays.
    pub fn clear(&mut self) {
        self.applications = Loadable::NotLoaded;
        self.revisions = Loadable::NotLoaded;
        self.revision_buckets = Loadable::NotLoaded;
        self.upload = None;
        if let Some(cancel) = self.upload_cancel.take() {
            cancel.cancel();
        }
    }

    /// Loads the page's lists again: the chosen application's revisions,
    /// or the applications while none is chosen.
    /// A list already on screen stays there while it is read again, so
    /// nothing below it moves under the pointer.
    pub fn refresh(&mut self) -> RevisionsAction {
        if self.application.is_empty() {
            if !matches!(self.applications, Loadable::Loaded(_)) {
                self.applications = Loadable::Loading;
            }
            RevisionsAction::LoadApplications
        } else {
            if !matches!(self.revisions, Loadable::Loaded(_)) {
                self.revisions = Loadable::Loading;
            }
            RevisionsAction::LoadRevisions(self.application.clone())
        }
    }

    /// A deployment started or ended: the list's "Last used" and
    /// "Running in" may have changed, so it is read again when next shown.
    pub fn deployments_changed(&mut self) {
        self.revisions_stale = true;
    }

    /// Starts reading and linting the bundle at `path`. What belonged to
    /// the bundle checked before — the line saying it was registered, an
    /// upload error, and the description typed for a different bundle —
    /// goes with it.
    fn check(&mut self, path: PathBuf) -> RevisionsAction {
        if self.checked_path.as_ref() != Some(&path) {
            // A description typed for another bundle does not describe
            // this one.
            self.description.clear();
        }
        self.path = path.display().to_string();
        self.checked_path = Some(path.clone());
        self.checked = Loadable::Loading;
        self.published = None;
        self.publish_error = None;
        self.key_edited = false;
        RevisionsAction::Check(path)
    }

    /// The path typed or picked.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A file or folder was dropped on the window: pick it.
    pub fn dropped(&mut self, path: PathBuf) -> RevisionsAction {
        self.check(path)
    }

    /// Applies a result; may ask for a follow-up.
    pub fn apply(&mut self, event: RevisionsEvent) -> Option<RevisionsAction> {
        match event {
            RevisionsEvent::TriedLocally(result) => {
                if matches!(self.try_local, TryLocal::Trying(_)) {
                    self.try_local = TryLocal::Ready;
                }
                match result {
                    Ok(deployment_id) => {
                        self.try_error = None;
                        Some(RevisionsAction::ShowDeployment(deployment_id))
                    }
                    Err(error) => {
                        self.try_error = Some(error);
                        None
                    }
                }
            }
            RevisionsEvent::Applications(result) => {
                self.applications = loaded(result);
                // With nothing chosen yet, start on the first application.
                let first = match &self.applications {
                    Loadable::Loaded(applications) if self.application.is_empty() => applications
                        .iter()
                        .find(|application| {
                            matches!(application.platform, None | Some(ComputePlatform::Server))
                        })
                        .map(|application| application.name.clone()),
                    _ => None,
                };
                first.map(|name| {
                    self.application.clone_from(&name);
                    self.revisions = Loadable::Loading;
                    RevisionsAction::LoadRevisions(name)
                })
            }
            RevisionsEvent::Revisions(result) => {
                self.revisions = loaded(result);
                None
            }
            RevisionsEvent::RevisionBuckets(buckets) => {
                if !self.bucket_edited
                    && let Some(first) = buckets.first()
                {
                    self.bucket.clone_from(first);
                }
                self.revision_buckets = Loadable::Loaded(buckets);
                None
            }
            RevisionsEvent::Checked(path, result) => {
                if self.checked_path.as_ref() == Some(&path) {
                    self.checked = loaded(result);
                }
                None
            }
            RevisionsEvent::Picked(Some(path)) => Some(self.check(path)),
            RevisionsEvent::Picked(None) => None,
            RevisionsEvent::Progress(progress) => {
                if let Some(upload) = &mut self.upload {
                    upload.progress = progress;
                }
                None
            }
            RevisionsEvent::Published(result) => {
                self.upload = None;
                self.upload_cancel = None;
                match result {
                    Ok(revision) => {
                        self.published = Some(revision);
                        self.publish_error = None;
                        self.key_edited = false;
                        self.key.clear();
                        // It now describes the registered revision.
                        self.description.clear();
                        Some(RevisionsAction::LoadRevisions(self.application.clone()))
                    }
                    Err(error) => {
                        self.publish_error = Some(error.to_string());
                        None
                    }
                }
            }
            RevisionsEvent::GitHubRegistered(result) => {
                self.github_message = Some(
                    result
                        .map(|()| {
                            format!(
                                "Registered {}@{}.",
                                self.repository.trim(),
                                short(self.commit.trim())
                            )
                        })
                        .map_err(|error| error.to_string()),
                );
                Some(RevisionsAction::LoadRevisions(self.application.clone()))
            }
        }
    }

    /// Draws the page.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<RevisionsAction> {
        let mut action = None;
        if matches!(self.applications, Loadable::NotLoaded) {
            self.applications = Loadable::Loading;
            action = Some(RevisionsAction::LoadApplications);
        } else if matches!(self.revision_buckets, Loadable::NotLoaded) {
            self.revision_buckets = Loadable::Loading;
            action = Some(RevisionsAction::LoadRevisionBuckets);
        } else if std::mem::take(&mut self.revisions_stale)
            && !self.application.is_empty()
            && !self.revisions.is_loading()
        {
            // The list stays on screen until the fresh one arrives.
            action = Some(RevisionsAction::LoadRevisions(self.application.clone()));
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.heading("Revisions");
                if let Some(wanted) = self.application_ui(ui) {
                    action = Some(wanted);
                }
                if self.application.is_empty() {
                    return;
                }
                ui.add_space(8.0);
                if let Some(wanted) = self.list_ui(ui) {
                    action = Some(wanted);
                }
                ui.separator();
                if let Some(wanted) = self.picker_ui(ui) {
                    action = Some(wanted);
                }
                ui.separator();
                if let Some(wanted) = self.github_ui(ui) {
                    action = Some(wanted);
                }
            });
        action
    }

    fn application_ui(&mut self, ui: &mut egui::Ui) -> Option<RevisionsAction> {
        let mut action = None;
        match &self.applications {
            Loadable::Loaded(applications) => {
                let before = self.application.clone();
                let label = ui.label("Application");
                egui::ComboBox::from_id_salt("revisions_application")
                    .selected_text(if self.application.is_empty() {
                        "choose…"
                    } else {
                        self.application.as_str()
                    })
                    .show_ui(ui, |ui| {
                        for application in applications.iter().filter(|application| {
                            matches!(application.platform, None | Some(ComputePlatform::Server))
                        }) {
                            ui.selectable_value(
                                &mut self.application,
                                application.name.clone(),
                                application.name.as_str(),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if applications.is_empty() {
                    ui.label(RichText::new("No applications yet: create one on the Applications page or with the deployment group wizard.").weak());
                }
                if self.application != before {
                    self.revisions = Loadable::Loading;
                    self.published = None;
                    action = Some(RevisionsAction::LoadRevisions(self.application.clone()));
                }
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                if ui.button("Load applications again").clicked() {
                    self.applications = Loadable::Loading;
                    action = Some(RevisionsAction::LoadApplications);
                }
            }
            Loadable::Loading | Loadable::NotLoaded => {
                ui.spinner();
            }
        }
        action
    }

    fn list_ui(&mut self, ui: &mut egui::Ui) -> Option<RevisionsAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            ui.label(RichText::new("Registered revisions").strong());
            if ui.small_button("Refresh revisions").clicked() {
                self.revisions = Loadable::Loading;
                action = Some(RevisionsAction::LoadRevisions(self.application.clone()));
            }
        });
        match &self.revisions {
            Loadable::Loading | Loadable::NotLoaded => {
                ui.spinner();
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
            Loadable::Loaded(list) if list.is_empty() => {
                ui.label(RichText::new("No revisions registered yet: upload one below.").weak());
            }
            Loadable::Loaded(list) => {
                // Deploy comes first so that it stays in view; long
                // columns are cut short with the whole text on hover, and the
                // table scrolls sideways in a narrow window.
                // A solid scroll bar, below the rows rather than over them,
                // so that it never covers a Deploy button.
                ui.scope(|ui| {
                    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
                    egui::ScrollArea::horizontal()
                        .id_salt("revisions_scroll")
                        .show(ui, |ui| {
                            egui::Grid::new("revisions_grid")
                                .striped(true)
                                .num_columns(7)
                                .show(ui, |ui| {
                                    ui.label("");
                                    for heading in [
                                        "Location",
                                        "ETag / version",
                                        "Description",
                                        "Registered",
                                        "Last used",
                                        "Running in",
                                    ] {
                                        ui.label(RichText::new(heading).strong());
                                    }
                                    ui.end_row();
                                    let now = std::time::SystemTime::now();
                                    for revision in list {
                                        if let Some(chosen) =
                                            self.revision_row_ui(ui, revision, now)
                                        {
                                            action = Some(chosen);
                                        }
                                        ui.end_row();
                                    }
                                });
                        });
                });
            }
        }
        if let Some(error) = &self.try_error {
            ui.label(
                RichText::new(format!("Trying it on this machine did not start: {error}"))
                    .color(ui.visuals().error_fg_color),
            );
        }
        action
    }

    /// One row of the registered revisions table.
    fn revision_row_ui(
        &self,
        ui: &mut egui::Ui,
        revision: &Revision,
        now: std::time::SystemTime,
    ) -> Option<RevisionsAction> {
        let mut action = None;
        let (location, detail, deployable) = describe(&revision.location);
        match deployable {
            Some(revision) => {
                ui.horizontal(|ui| {
                    if ui
                        .button(format!("Deploy {}", short_location(&revision)))
                        .clicked()
                    {
                        action = Some(RevisionsAction::Deploy {
                            application: self.application.clone(),
                            revision: revision.clone(),
                        });
                    }
                    if self.try_local != TryLocal::Unavailable
                        && matches!(revision, DeployRevision::S3 { .. })
                    {
                        let trying = self.try_local == TryLocal::Trying(revision.clone());
                        let button = ui
                            .add_enabled(
                                self.try_local == TryLocal::Ready,
                                egui::Button::new("Try on this machine"),
                            )
                            .on_hover_text(
                                "Deploy it to this machine's local instance: its hooks run for real in a sandbox, and the rollout view shows their output.",
                            );
                        if trying {
                            ui.spinner();
                        }
                        if button.clicked() {
                            action = Some(RevisionsAction::TryLocally {
                                application: self.application.clone(),
                                revision,
                            });
                        }
                    }
                });
            }
            None => {
                ui.label("");
            }
        }
        clipped_label(ui, &location, 320.0);
        clipped_label(ui, &detail, 140.0);
        clipped_label(ui, revision.description.as_deref().unwrap_or(""), 200.0);
        ui.label(
            revision
                .registered
                .map_or_else(String::new, |at| time::ago_from(at, now)),
        );
        ui.label(
            revision
                .last_used
                .map_or_else(|| "never".to_owned(), |at| time::ago_from(at, now)),
        );
        ui.label(revision.deployment_groups.join(", "));
        action
    }

    fn picker_ui(&mut self, ui: &mut egui::Ui) -> Option<RevisionsAction> {
        let mut action = None;
        ui.label(RichText::new("Upload a new revision").strong());
        ui.label(RichText::new("A folder (zipped for you) or a .zip, .tar or .tar.gz with an appspec.yml at its root. Drop it on the window, browse, or type its path.").weak());
        ui.horizontal(|ui| {
            let label = ui.label("Bundle path");
            let response = ui
                .add(egui::TextEdit::singleline(&mut self.path).desired_width(420.0))
                .labelled_by(label.id);
            let enter =
                response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
            if (ui.button("Check").clicked() || enter) && !self.path.trim().is_empty() {
                action = Some(self.check(PathBuf::from(self.path.trim())));
            }
        });
        ui.horizontal(|ui| {
            if ui.button("Browse for a folder…").clicked() {
                action = Some(RevisionsAction::Browse { folder: true });
            }
            if ui.button("Browse for an archive…").clicked() {
                action = Some(RevisionsAction::Browse { folder: false });
            }
            if ui.button("Use the sample application").clicked() {
                action = Some(RevisionsAction::UseSample);
            }
        });
        // Taken out for the frame so the preview is drawn without copying it.
        let checked_state = std::mem::take(&mut self.checked);
        match &checked_state {
            Loadable::NotLoaded => {}
            Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the bundle…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
            Loadable::Loaded(checked) => {
                checked_ui(ui, checked);
                if let Some(wanted) = self.upload_ui(ui, checked) {
                    action = Some(wanted);
                }
            }
        }
        self.checked = checked_state;
        action
    }

    fn upload_ui(&mut self, ui: &mut egui::Ui, checked: &Checked) -> Option<RevisionsAction> {
        let mut action = None;
        if self.bucket.is_empty() && !self.bucket_edited {
            // The bucket the instance profile wizard limited the instances
            // to, once read; else the one the guided demo uses.
            let default = match &self.revision_buckets {
                Loadable::Loaded(buckets) => buckets.first().map(String::as_str),
                _ => None,
            };
            default
                .unwrap_or(crate::cloud::demo::BUCKET)
                .clone_into(&mut self.bucket);
        }
        if !self.key_edited {
            self.key = revisions::default_key(&self.application, std::time::SystemTime::now());
        }
        ui.horizontal(|ui| {
            let label = ui.label("Bucket");
            let mut field = ui
                .add(egui::TextEdit::singleline(&mut self.bucket).desired_width(220.0))
                .labelled_by(label.id);
            if let Loadable::Loaded(buckets) = &self.revision_buckets
                && !buckets.is_empty()
            {
                field = field.on_hover_text(format!(
                    "The instance profile made for revisions lets instances read from {}.",
                    buckets.join(", ")
                ));
            }
            if field.changed() {
                self.bucket_edited = true;
            }
            let label = ui.label("Key");
            if ui
                .add(egui::TextEdit::singleline(&mut self.key).desired_width(360.0))
                .labelled_by(label.id)
                .changed()
            {
                self.key_edited = true;
            }
        });
        ui.horizontal(|ui| {
            let label = ui.label("Description");
            ui.add(egui::TextEdit::singleline(&mut self.description).desired_width(420.0))
                .labelled_by(label.id);
        });
        let blocked = checked
            .blocked()
            .or_else(|| {
                validate_bucket_name(self.bucket.trim())
                    .err()
                    .map(|error| error.to_string())
            })
            .or_else(|| {
                self.key
                    .trim()
                    .is_empty()
                    .then(|| "Give the bundle a key.".to_owned())
            });
        if let Some(upload) = &self.upload {
            let sent = upload.progress.sent;
            let total = upload.progress.total.max(1);
            let elapsed = upload.started.elapsed().as_secs_f64().max(0.001);
            let rate = sent as f64 / elapsed;
            let left = if rate > 0.0 {
                (total.saturating_sub(sent)) as f64 / rate
            } else {
                0.0
            };
            ui.add(
                egui::ProgressBar::new(sent as f32 / total as f32).text(format!(
                    "{} of {} at {}/s, about {:.0} s left",
                    crate::cloud::bundle::human_size(sent),
                    crate::cloud::bundle::human_size(upload.progress.total),
                    crate::cloud::bundle::human_size(rate as u64),
                    left
                )),
            )
            .on_hover_text("Upload progress");
            if ui.button("Cancel upload").clicked() {
                action = Some(RevisionsAction::CancelUpload);
            }
        } else {
            ui.horizontal(|ui| {
                let response =
                    ui.add_enabled(blocked.is_none(), egui::Button::new("Upload and register"));
                if let Some(why) = &blocked {
                    ui.label(RichText::new(why.as_str()).color(ui.visuals().warn_fg_color));
                }
                if response.clicked() {
                    self.publish_error = None;
                    self.published = None;
                    self.upload = Some(Upload {
                        started: Instant::now(),
                        progress: UploadProgress::default(),
                    });
                    action = Some(RevisionsAction::Publish(Box::new((
                        checked.clone(),
                        Destination {
                            application: self.application.clone(),
                            bucket: self.bucket.trim().to_owned(),
                            key: self.key.trim().to_owned(),
                            description: self.description.clone(),
                        },
                    ))));
                }
            });
        }
        if let Some(error) = &self.publish_error {
            ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
        }
        if let Some(revision) = self.published.clone() {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!(
                        "Registered s3://{}/{}.",
                        revision.bucket, revision.key
                    ))
                    .color(egui::Color32::from_rgb(0x2e, 0x9d, 0x5b)),
                );
                if ui.button("Deploy it…").clicked() {
                    action = Some(RevisionsAction::Deploy {
                        application: self.application.clone(),
                        revision: to_deploy(&RevisionLocation::S3(revision)),
                    });
                }
            });
        }
        action
    }

    fn github_ui(&mut self, ui: &mut egui::Ui) -> Option<RevisionsAction> {
        let mut action = None;
        ui.label(RichText::new("Register a GitHub commit").strong());
        ui.horizontal(|ui| {
            let label = ui.label("Repository");
            ui.add(
                egui::TextEdit::singleline(&mut self.repository)
                    .hint_text("owner/name")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
            let label = ui.label("Commit");
            ui.add(egui::TextEdit::singleline(&mut self.commit).desired_width(340.0))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let label = ui.label("GitHub revision description");
            ui.add(egui::TextEdit::singleline(&mut self.github_description).desired_width(420.0))
                .labelled_by(label.id);
        });
        let problem = (!self.repository.trim().is_empty() || !self.commit.trim().is_empty())
            .then(|| validate_github_revision(self.repository.trim(), self.commit.trim()).err())
            .flatten();
        if let Some(problem) = &problem {
            ui.label(RichText::new(problem.to_string()).color(ui.visuals().error_fg_color));
        }
        let ready = problem.is_none() && !self.repository.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Register the commit"))
            .clicked()
        {
            self.github_message = None;
            action = Some(RevisionsAction::RegisterGitHub {
                application: self.application.clone(),
                repository: self.repository.trim().to_owned(),
                commit: self.commit.trim().to_owned(),
                description: self.github_description.clone(),
            });
        }
        match &self.github_message {
            Some(Ok(message)) => {
                ui.label(message.as_str());
            }
            Some(Err(error)) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
            None => {}
        }
        action
    }
}

/// The preview of a checked bundle: its size, files and the AppSpec's
/// findings at their lines.
fn checked_ui(ui: &mut egui::Ui, checked: &Checked) {
    ui.label(format!(
        "{}: {}",
        checked.source.path().display(),
        publish::summary(&checked.preview)
    ));
    egui::CollapsingHeader::new(format!("Files ({})", checked.preview.entries.len()))
        .id_salt("bundle_files")
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .max_height(160.0)
                .id_salt("bundle_files_scroll")
                .show(ui, |ui| {
                    for entry in &checked.preview.entries {
                        ui.label(
                            RichText::new(format!(
                                "{:o}  {:>10}  {}",
                                entry.mode & 0o7777,
                                crate::cloud::bundle::human_size(entry.size),
                                entry.path
                            ))
                            .monospace(),
                        );
                    }
                });
        });
    if let Some(problem) = &checked.preview.appspec_problem {
        ui.label(RichText::new(problem.as_str()).color(ui.visuals().error_fg_color));
        return;
    }
    if checked.findings.is_empty() {
        ui.label(
            RichText::new("AppSpec checked: no problems found.")
                .color(egui::Color32::from_rgb(0x2e, 0x9d, 0x5b)),
        );
    }
    for finding in &checked.findings {
        let colour = match finding.severity {
            Severity::Error => ui.visuals().error_fg_color,
            Severity::Warning => ui.visuals().warn_fg_color,
        };
        ui.label(RichText::new(finding.to_string()).color(colour));
    }
}

/// A revision's location, its detail (ETag/version or commit), and the
/// revision to deploy when it can be deployed from here.
fn describe(location: &RevisionLocation) -> (String, String, Option<DeployRevision>) {
    match location {
        RevisionLocation::S3(s3) => (
            format!("s3://{}/{}", s3.bucket, s3.key),
            [s3.etag.clone(), s3.version.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / "),
            Some(to_deploy(location)),
        ),
        RevisionLocation::GitHub {
            repository,
            commit_id,
        } => (
            format!("github:{repository}"),
            short(commit_id).to_owned(),
            Some(to_deploy(location)),
        ),
        RevisionLocation::Other(kind) => (kind.clone(), String::new(), None),
    }
}

/// The Deploy dialog's revision for a registered location.
fn to_deploy(location: &RevisionLocation) -> DeployRevision {
    match location {
        RevisionLocation::S3(s3) => DeployRevision::S3 {
            bucket: s3.bucket.clone(),
            key: s3.key.clone(),
            bundle_type: s3.bundle.map(|kind| kind.bundle_type().to_owned()),
            version: s3.version.clone(),
            etag: s3.etag.clone(),
        },
        RevisionLocation::GitHub {
            repository,
            commit_id,
        } => DeployRevision::GitHub {
            repository: repository.clone(),
            commit_id: commit_id.clone(),
        },
        RevisionLocation::Other(kind) => DeployRevision::Other(kind.clone()),
    }
}

/// A short name for a revision on its Deploy button.
/// `text` on one line of at most `max_width` points, cut short with "…"
/// when longer (egui then shows the whole text on hover).
fn clipped_label(ui: &mut egui::Ui, text: &str, max_width: f32) {
    ui.scope(|ui| {
        ui.set_max_width(max_width);
        ui.add(egui::Label::new(text).truncate());
    });
}

fn short_location(revision: &DeployRevision) -> String {
    match revision {
        DeployRevision::S3 { key, .. } => key.rsplit('/').next().unwrap_or(key).to_owned(),
        DeployRevision::GitHub { commit_id, .. } => short(commit_id).to_owned(),
        DeployRevision::AppSpec { .. } => "AppSpec".to_owned(),
        DeployRevision::Other(kind) => kind.clone(),
    }
}

/// The first 8 characters of a commit id.
fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}
