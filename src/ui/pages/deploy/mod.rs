//! The Deploy dialog: group, revision, configuration override, description
//! and the options AWS offers, then a pre-flight plan of how the rollout is
//! likely to go before the person confirms.

mod appspec;
mod ecs_picks;
pub(crate) mod effects;
pub mod readiness;
mod registered;

use egui::RichText;

use crate::cloud::autoscaling::AutoScalingGroupSummary;
use crate::cloud::cloudwatch::{AlarmStateValue, AlarmStatus};
use crate::cloud::codedeploy::Application;
use crate::cloud::deployments::{NewDeployment, Revision};
use crate::cloud::preflight::PreflightData;
use crate::cloud::revisions::S3Revision;
use crate::domain::ComputePlatform;
use crate::domain::bundle::BundleKind;
use crate::domain::config::{ALL_AT_ONCE, HALF_AT_A_TIME, ONE_AT_A_TIME};
use crate::domain::names::validate_bucket_name;
use crate::domain::preflight::{self, Prediction};
use crate::domain::revision::validate_github_revision;
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::loadable::Loadable;
use crate::ui::widgets::tiles::{TileRow, TileSize};
use crate::ui::widgets::waves::{self, WavesOptions};
pub use appspec::AppSpecLoad;
use appspec::{AppSpecBuilder, configs_of, traffic_plan_ui};
pub use ecs_picks::EcsLoad;
use readiness::{ReadinessPanel, ReadinessRequest};
use registered::RegisteredPick;

/// What the dialog asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum DeployRequest {
    /// Load the applications.
    LoadApplications,
    /// Load an application's groups.
    LoadGroups(String),
    /// Gather the pre-flight plan's data.
    LoadPreflight {
        /// The application.
        application: String,
        /// The group.
        group: String,
        /// The configuration override, if any.
        config: Option<String>,
    },
    /// Start the deployment.
    Start(NewDeployment),
    /// Check the instances' readiness, or fix it.
    Readiness(ReadinessRequest),
    /// Read what a Lambda or ECS AppSpec's picks are picked from.
    AppSpec(AppSpecLoad),
}

/// Which kind of revision is being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RevisionKind {
    S3,
    GitHub,
}

/// The Deploy dialog's state.
#[derive(Debug, Clone)]
pub struct DeployDialog {
    /// The applications.
    pub applications: Loadable<Vec<Application>>,
    /// The groups of the chosen application.
    pub groups: Loadable<Vec<String>>,
    /// The pre-flight plan's data for the chosen group.
    pub preflight: Loadable<PreflightData>,
    application: String,
    group: String,
    kind: RevisionKind,
    bucket: String,
    key: String,
    bundle_type: String,
    etag: Option<String>,
    repository: String,
    commit: String,
    config: Option<String>,
    description: String,
    ignore_stop_failures: bool,
    file_exists: String,
    outdated_only: bool,
    /// Set while `CreateDeployment` is on its way.
    starting: bool,
    /// Why the last start failed.
    error: Option<String>,
    /// The error last scrolled into view, so that it is scrolled to once.
    error_scrolled: Option<String>,
    /// The plan worked out from `preflight`, once it has loaded.
    plan: Option<Result<Plan, String>>,
    /// What the pre-flight plan was gathered for.
    preflight_for: Option<(String, String, Option<String>)>,
    /// Whether the instances are ready, and the fix under way.
    pub readiness: ReadinessPanel,
    /// A Lambda or ECS deployment's AppSpec and what it is built from.
    pub appspec: AppSpecBuilder,
}

impl DeployDialog {
    /// A dialog with `revision` chosen (e.g. the one just uploaded) and,
    /// if given, the application.
    pub fn new(application: Option<String>, revision: Option<Revision>) -> Self {
        let mut dialog = Self {
            applications: Loadable::NotLoaded,
            groups: Loadable::NotLoaded,
            preflight: Loadable::NotLoaded,
            application: application.unwrap_or_default(),
            group: String::new(),
            kind: RevisionKind::S3,
            bucket: String::new(),
            key: String::new(),
            bundle_type: "zip".to_owned(),
            etag: None,
            repository: String::new(),
            commit: String::new(),
            config: None,
            description: String::new(),
            ignore_stop_failures: false,
            file_exists: "DISALLOW".to_owned(),
            outdated_only: false,
            starting: false,
            error: None,
            error_scrolled: None,
            plan: None,
            preflight_for: None,
            readiness: ReadinessPanel::default(),
            appspec: AppSpecBuilder::default(),
        };
        match revision {
            Some(Revision::S3 {
                bucket,
                key,
                bundle_type,
                etag,
                version,
            }) => {
                // For a Lambda or ECS application, the same revision is
                // the registered one to deploy.
                dialog.appspec = AppSpecBuilder::with_registered(RegisteredPick::of(S3Revision {
                    bucket: bucket.clone(),
                    key: key.clone(),
                    bundle: None,
                    etag: etag.clone(),
                    version,
                }));
                dialog.bucket = bucket;
                dialog.key = key;
                dialog.bundle_type = bundle_type.unwrap_or_else(|| "zip".to_owned());
                dialog.etag = etag;
            }
            Some(Revision::GitHub {
                repository,
                commit_id,
            }) => {
                dialog.kind = RevisionKind::GitHub;
                dialog.repository = repository;
                dialog.commit = commit_id;
            }
            Some(Revision::AppSpec { content }) => {
                dialog.appspec = AppSpecBuilder::with_text(content);
            }
            Some(Revision::Other(_)) | None => {}
        }
        dialog
    }

    /// The compute platform of the application chosen (EC2/on-premises
    /// until the applications have loaded).
    fn platform(&self) -> ComputePlatform {
        match &self.applications {
            Loadable::Loaded(applications) => applications
                .iter()
                .find(|application| application.name == self.application)
                .and_then(|application| application.platform)
                .unwrap_or(ComputePlatform::Server),
            _ => ComputePlatform::Server,
        }
    }

    /// A dialog to deploy again what a deployment deployed: its
    /// application, group and revision are chosen.
    pub fn for_deployment(application: &str, group: &str, revision: Option<Revision>) -> Self {
        let mut dialog = Self::new(Some(application.to_owned()), revision);
        group.clone_into(&mut dialog.group);
        dialog
    }

    /// The application chosen, if any.
    pub fn application(&self) -> Option<&str> {
        Some(self.application.as_str()).filter(|name| !name.is_empty())
    }

    /// The deployment group chosen, if any.
    pub fn group(&self) -> Option<&str> {
        Some(self.group.as_str()).filter(|name| !name.is_empty())
    }

    /// Why the group's instances may not be able to download the S3
    /// revision typed, if their instance profiles say so.
    fn bucket_warning(&self, data: &PreflightData) -> Option<String> {
        match self.revision() {
            Ok(Revision::S3 { bucket, key, .. }) => {
                preflight::bucket_warning(&data.read_access, &bucket, &key)
            }
            _ => None,
        }
    }

    /// The revision typed, or why it is not usable.
    fn revision(&self) -> Result<Revision, String> {
        let platform = self.platform();
        if platform != ComputePlatform::Server {
            return self.appspec.revision(platform);
        }
        match self.kind {
            RevisionKind::S3 => {
                let bucket = self.bucket.trim();
                let key = self.key.trim();
                if bucket.is_empty() || key.is_empty() {
                    return Err("Name the bucket and key of the bundle.".to_owned());
                }
                validate_bucket_name(bucket).map_err(|error| error.to_string())?;
                Ok(Revision::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    bundle_type: Some(self.bundle_type.clone()),
                    version: None,
                    etag: self.etag.clone(),
                })
            }
            RevisionKind::GitHub => {
                let repository = self.repository.trim();
                let commit = self.commit.trim();
                validate_github_revision(repository, commit).map_err(|error| error.to_string())?;
                Ok(Revision::GitHub {
                    repository: repository.to_owned(),
                    commit_id: commit.to_lowercase(),
                })
            }
        }
    }

    /// The deployment the inputs describe, or why it cannot start.
    pub fn new_deployment(&self) -> Result<NewDeployment, String> {
        if self.application.is_empty() {
            return Err("Choose an application.".to_owned());
        }
        if self.group.is_empty() {
            return Err("Choose a deployment group.".to_owned());
        }
        let instances = self.platform() == ComputePlatform::Server;
        Ok(NewDeployment {
            application: self.application.clone(),
            group: self.group.clone(),
            revision: Some(self.revision()?),
            config_override: self.config.clone(),
            description: self.description.clone(),
            ignore_application_stop_failures: instances && self.ignore_stop_failures,
            file_exists_behavior: instances.then(|| self.file_exists.clone()),
            update_outdated_instances_only: instances && self.outdated_only,
        })
    }

    /// The groups of the chosen application arrived. An application with
    /// one group has it chosen, so that its pre-flight plan comes at once;
    /// a group the dialog was opened with stays chosen if it still exists.
    pub fn groups_loaded(&mut self, groups: Loadable<Vec<String>>) {
        if let Loadable::Loaded(list) = &groups {
            if !list.contains(&self.group) {
                self.group.clear();
            }
            if let [only] = list.as_slice()
                && self.group.is_empty()
            {
                self.group.clone_from(only);
            }
        }
        self.groups = groups;
    }

    /// The pre-flight plan's data arrived; the plan is worked out once
    /// here rather than every frame.
    pub fn preflight_loaded(&mut self, preflight: Loadable<PreflightData>) {
        self.preflight = preflight;
        self.replan();
    }

    /// Reads the plan and the instances' readiness again, e.g. after a
    /// wizard changed them.
    pub fn check_again(&mut self) {
        self.preflight_for = None;
        self.readiness.recheck();
    }

    /// The instances' readiness arrived: the plan counts it.
    pub fn readiness_loaded(&mut self, result: Loadable<Vec<crate::domain::readiness::Readiness>>) {
        self.readiness.loaded(result);
        self.replan();
    }

    /// Works the plan out again from what has loaded.
    fn replan(&mut self) {
        self.plan = match &self.preflight {
            Loadable::Loaded(data) => {
                let readiness = match &self.readiness.result {
                    Loadable::Loaded(fleet) => Some(fleet.as_slice()),
                    _ => None,
                };
                Plan::of(data, readiness)
            }
            _ => None,
        };
    }

    /// The S3 object the deployment would download, if the revision is one.
    fn revision_object(&self) -> Option<crate::cloud::readiness::RevisionObject> {
        (self.kind == RevisionKind::S3
            && validate_bucket_name(self.bucket.trim()).is_ok()
            && !self.key.trim().is_empty())
        .then(|| crate::cloud::readiness::RevisionObject {
            bucket: self.bucket.trim().to_owned(),
            key: self.key.trim().to_owned(),
        })
    }

    /// The deployment was started, or refused.
    pub fn started(&mut self, result: Result<String, String>) {
        self.starting = false;
        if let Err(error) = result {
            self.error = Some(error);
            self.error_scrolled = None;
        }
    }

    /// Draws the dialog's contents. Returns a request, and whether the
    /// person closed the dialog.
    ///
    /// The dialog keeps one height whatever arrives: its form scrolls in a
    /// box of fixed height and the row of buttons keeps one line for its
    /// status, so nothing jumps when the groups or the plan load.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> (Option<DeployRequest>, bool) {
        let mut request = None;
        let mut close = false;
        ui.heading("Deploy");
        let form_height = (ui.ctx().content_rect().height() - 190.0).clamp(240.0, 620.0);
        egui::ScrollArea::vertical()
            .id_salt("deploy_form")
            .auto_shrink([false, false])
            .min_scrolled_height(form_height)
            .max_height(form_height)
            .show(ui, |ui| {
                request = self.target_ui(ui);
                ui.separator();
                let platform = self.platform();
                if platform == ComputePlatform::Server {
                    self.revision_ui(ui);
                } else {
                    let target = (self.application.clone(), self.group.clone());
                    let target = Some((target.0.as_str(), target.1.as_str())).filter(
                        |(application, group)| !application.is_empty() && !group.is_empty(),
                    );
                    if let Some(load) = self.appspec.ui(ui, platform, target)
                        && request.is_none()
                    {
                        request = Some(DeployRequest::AppSpec(load));
                    }
                }
                ui.separator();
                self.options_ui(ui);
                ui.separator();
                if let Some(wanted) = self.preflight_ui(ui) {
                    request = Some(wanted);
                }
                if let Some(error) = &self.error {
                    ui.add_space(6.0);
                    let shown = ui.label(
                        RichText::new(format!("The deployment did not start: {error}"))
                            .color(ui.visuals().error_fg_color),
                    );
                    if self.error_scrolled.as_ref() != Some(error) {
                        shown.scroll_to_me(None);
                        self.error_scrolled = Some(error.clone());
                    }
                }
            });
        ui.separator();
        ui.horizontal(|ui| {
            let ready = self.new_deployment();
            let enabled = ready.is_ok() && !self.starting;
            let response = ui.add_enabled(
                enabled,
                Action::primary("Deploy now").icon(icons::ICON_ROCKET_LAUNCH),
            );
            if response.clicked()
                && let Ok(new) = ready.clone()
            {
                self.starting = true;
                self.error = None;
                request = Some(DeployRequest::Start(new));
            }
            if ui.add(Action::secondary("Cancel")).clicked() {
                close = true;
            }
            if self.starting {
                ui.spinner();
                ui.label("Starting…");
            } else if let Err(why) = &ready {
                ui.add(egui::Label::new(RichText::new(why.as_str()).weak()).truncate())
                    .on_hover_text(why.as_str());
            }
        });
        (request, close)
    }

    fn target_ui(&mut self, ui: &mut egui::Ui) -> Option<DeployRequest> {
        let mut request = None;
        form_grid("deploy_target").show(ui, |ui| {
                let label = ui.label("Application");
                match &self.applications {
                    Loadable::NotLoaded | Loadable::Loading => {
                        if matches!(self.applications, Loadable::NotLoaded) {
                            request = Some(DeployRequest::LoadApplications);
                        }
                        ui.spinner();
                    }
                    Loadable::Failed(error) => {
                        ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                    }
                    Loadable::Loaded(applications) => {
                        let names: Vec<String> = applications
                            .iter()
                            .map(|application| application.name.clone())
                            .collect();
                        let before = self.application.clone();
                        egui::ComboBox::from_id_salt("deploy_application")
                            .width(COMBO_WIDTH)
                            .selected_text(if self.application.is_empty() {
                                "choose…"
                            } else {
                                self.application.as_str()
                            })
                            .show_ui(ui, |ui| {
                                for name in &names {
                                    ui.selectable_value(&mut self.application, name.clone(), name);
                                }
                            })
                            .response
                            .labelled_by(label.id);
                        if self.application != before {
                            // Another application: its groups, none chosen
                            // yet, and its platform's configurations.
                            self.group.clear();
                            self.config = None;
                            self.groups = Loadable::Loading;
                            request = Some(DeployRequest::LoadGroups(self.application.clone()));
                        } else if matches!(self.groups, Loadable::NotLoaded)
                            && !self.application.is_empty()
                        {
                            // Opened with an application: its groups, keeping
                            // the group it was opened with.
                            self.groups = Loadable::Loading;
                            request = Some(DeployRequest::LoadGroups(self.application.clone()));
                        }
                    }
                }
                ui.end_row();

                let label = ui.label("Deployment group");
                match &self.groups {
                    Loadable::NotLoaded => {
                        ui.label(RichText::new("Choose an application first.").weak());
                    }
                    Loadable::Loading => {
                        ui.spinner();
                    }
                    Loadable::Failed(error) => {
                        ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                    }
                    Loadable::Loaded(groups) if groups.is_empty() => {
                        ui.label(
                            RichText::new(
                                "This application has no deployment groups: make one on the Setup page.",
                            )
                            .weak(),
                        );
                    }
                    Loadable::Loaded(groups) => {
                        egui::ComboBox::from_id_salt("deploy_group")
                            .width(COMBO_WIDTH)
                            .selected_text(if self.group.is_empty() {
                                "choose…"
                            } else {
                                self.group.as_str()
                            })
                            .show_ui(ui, |ui| {
                                for group in groups {
                                    ui.selectable_value(&mut self.group, group.clone(), group);
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    }
                }
                ui.end_row();
            });
        request
    }

    fn revision_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(RichText::new("Revision").strong());
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.kind, RevisionKind::S3, "Bundle in S3");
            ui.radio_value(&mut self.kind, RevisionKind::GitHub, "GitHub commit");
        });
        form_grid("deploy_revision").show(ui, |ui| match self.kind {
            RevisionKind::S3 => {
                field_row(ui, "Bucket", &mut self.bucket);
                field_row(ui, "Key", &mut self.key);
                let label = ui.label("Bundle type");
                egui::ComboBox::from_id_salt("deploy_bundle_type")
                    .selected_text(self.bundle_type.as_str())
                    .show_ui(ui, |ui| {
                        for kind in BundleKind::ALL.map(BundleKind::bundle_type) {
                            ui.selectable_value(&mut self.bundle_type, kind.to_owned(), kind);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                ui.end_row();
            }
            RevisionKind::GitHub => {
                field_row(ui, "Repository (owner/name)", &mut self.repository);
                field_row(ui, "Commit id", &mut self.commit);
            }
        });
        // One line kept for the problem, so the form does not shift as it
        // comes and goes while typing.
        let problem = self.revision().err().unwrap_or_default();
        ui.label(RichText::new(problem).color(ui.visuals().warn_fg_color));
    }

    fn options_ui(&mut self, ui: &mut egui::Ui) {
        let group_config = match (&self.preflight, &self.config) {
            (Loadable::Loaded(data), None) => Some(short_config_name(&data.config_name)),
            _ => None,
        };
        let same_as_group = match group_config {
            Some(name) => format!("Same as the group ({name})"),
            None => "Same as the group".to_owned(),
        };
        form_grid("deploy_options").show(ui, |ui| {
            let label = ui.label("Deployment configuration");
            egui::ComboBox::from_id_salt("deploy_config")
                .width(COMBO_WIDTH)
                .selected_text(
                    self.config
                        .as_deref()
                        .map_or(same_as_group.as_str(), short_config_name),
                )
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.config, None, "Same as the group")
                        .on_hover_text("The deployment configuration the group is set to");
                    let platform = self.platform();
                    let names = if platform == ComputePlatform::Server {
                        vec![ONE_AT_A_TIME, HALF_AT_A_TIME, ALL_AT_ONCE]
                    } else {
                        configs_of(platform)
                    };
                    for name in names {
                        ui.selectable_value(
                            &mut self.config,
                            Some(name.to_owned()),
                            short_config_name(name),
                        )
                        .on_hover_text(name);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(
                    self.config
                        .as_deref()
                        .unwrap_or("How many instances are deployed to at a time"),
                );
            ui.end_row();
            field_row(ui, "Description", &mut self.description);
            if self.platform() != ComputePlatform::Server {
                return;
            }
            let label = ui.label("Files that already exist on an instance");
            let shown = FILE_EXISTS
                .iter()
                .find(|(value, _)| *value == self.file_exists)
                .map_or(self.file_exists.as_str(), |(_, words)| words);
            egui::ComboBox::from_id_salt("deploy_file_exists")
                .width(COMBO_WIDTH)
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for (value, words) in FILE_EXISTS {
                        ui.selectable_value(&mut self.file_exists, value.to_owned(), words)
                            .on_hover_text(format!("File exists behavior: {value}"));
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(format!(
                    "What to do with a file the revision brings that is already on the instance but not from an earlier deployment (file exists behavior: {}).",
                    self.file_exists
                ));
            ui.end_row();
        });
        if self.platform() != ComputePlatform::Server {
            return;
        }
        ui.checkbox(
            &mut self.ignore_stop_failures,
            "Go on if the ApplicationStop script fails",
        );
        ui.checkbox(
            &mut self.outdated_only,
            "Deploy only to instances not running the group's revision",
        );
    }

    /// The pre-flight plan. Returns a request to gather it when the group
    /// or configuration changed.
    fn preflight_ui(&mut self, ui: &mut egui::Ui) -> Option<DeployRequest> {
        ui.label(RichText::new("Pre-flight plan").strong());
        if self.application.is_empty() || self.group.is_empty() {
            ui.label(
                RichText::new("Choose a group to see how the rollout is likely to go.").weak(),
            );
            return None;
        }
        let platform = self.platform();
        let wanted = (
            self.application.clone(),
            self.group.clone(),
            self.config.clone(),
        );
        if self.preflight_for.as_ref() != Some(&wanted) {
            self.preflight_for = Some(wanted.clone());
            self.preflight = Loadable::Loading;
            self.plan = None;
            return Some(DeployRequest::LoadPreflight {
                application: wanted.0,
                group: wanted.1,
                config: wanted.2,
            });
        }
        let mut again = false;
        match &self.preflight {
            Loadable::NotLoaded | Loadable::Loading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the group's instances and recent deployments…");
                });
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                again = ui.add(Action::secondary("Try again")).clicked();
            }
            Loadable::Loaded(data) if platform != ComputePlatform::Server => {
                // The group's configuration, unless one is picked here.
                let config = self.config.as_deref().unwrap_or(&data.config_name);
                traffic_plan_ui(ui, Some(config), platform, self.appspec.text());
            }
            Loadable::Loaded(data) => {
                again = ui
                    .add(
                        Action::secondary("Refresh the plan")
                            .icon(icons::ICON_REFRESH)
                            .small()
                            .hover("Read the instances and recent deployments again"),
                    )
                    .clicked();
                let ids: Vec<String> = data
                    .instances
                    .iter()
                    .map(|instance| instance.id.clone())
                    .collect();
                if !ids.is_empty()
                    && let Some(check) = self.readiness.wanted(ids, self.revision_object())
                {
                    return Some(DeployRequest::Readiness(check));
                }
                let mut wanted = None;
                let readiness = &mut self.readiness;
                preflight_data_ui(ui, data, self.plan.as_ref(), &mut |ui| {
                    wanted = readiness.ui(ui);
                });
                if let Some(warning) = self.bucket_warning(data) {
                    ui.label(RichText::new(warning).color(ui.visuals().warn_fg_color));
                }
                if let Some(wanted) = wanted {
                    return Some(DeployRequest::Readiness(wanted));
                }
            }
        }
        if again {
            self.preflight_for = None;
            self.readiness.recheck();
        }
        None
    }
}

/// The plan worked out from the gathered data: the prediction and the rows
/// of its waves, or why there is none.
#[derive(Debug, Clone)]
struct Plan {
    prediction: Prediction,
    rows: Vec<TileRow>,
    /// Whether the instances' readiness is in the prediction.
    readiness_counted: bool,
}

impl Plan {
    fn of(
        data: &PreflightData,
        readiness: Option<&[crate::domain::readiness::Readiness]>,
    ) -> Option<Result<Self, String>> {
        let minimum = data.minimum?;
        if data.instances.is_empty() {
            return None;
        }
        let mut instances = data.instances.clone();
        for instance in &mut instances {
            instance.readiness = readiness.and_then(|fleet| {
                fleet
                    .iter()
                    .find(|readiness| readiness.facts.id == instance.id)
                    .cloned()
            });
        }
        Some(
            preflight::predict(&instances, minimum, &data.config_name)
                .map(|prediction| Self {
                    rows: waves::plan_rows(&prediction.simulation),
                    prediction,
                    readiness_counted: readiness.is_some(),
                })
                .map_err(|error| error.to_string()),
        )
    }
}

/// The least height kept for the waves in the dialog, so that what is
/// below them does not jump while plans of a few waves come and go.
const WAVES_MIN_HEIGHT: f32 = 96.0;

/// The most height the waves take before they scroll, so that the rest of
/// the plan stays in view for a fleet of hundreds.
const WAVES_MAX_HEIGHT: f32 = 240.0;

/// The width of the dialog's dropdowns.
const COMBO_WIDTH: f32 = 260.0;

/// The width of the label column of the dialog's forms.
const LABEL_COLUMN: f32 = 230.0;

/// CodeDeploy's file exists behaviours, with plain words for each.
const FILE_EXISTS: [(&str, &str); 3] = [
    ("DISALLOW", "Fail the deployment"),
    ("OVERWRITE", "Replace them"),
    ("RETAIN", "Keep them"),
];

/// `CodeDeployDefault.OneAtATime` as `OneAtATime`; other names whole.
fn short_config_name(name: &str) -> &str {
    name.strip_prefix("CodeDeployDefault.").unwrap_or(name)
}

/// What the alarms the group watches say about this deployment: one in
/// `ALARM` stops it at once, as does one CloudWatch does not have (unless
/// the group ignores alarms it cannot read).
fn alarms_ui(ui: &mut egui::Ui, alarms: &Result<Vec<AlarmStatus>, String>) {
    let alarms = match alarms {
        Ok(alarms) if alarms.is_empty() => return,
        Ok(alarms) => alarms,
        Err(error) => {
            ui.label(
                RichText::new(format!(
                    "The state of the group's alarms could not be read, so this plan cannot tell whether one would stop the deployment: {error}"
                ))
                .color(ui.visuals().warn_fg_color),
            );
            return;
        }
    };
    let mut quiet = Vec::new();
    for alarm in alarms {
        match alarm.state {
            Some(AlarmStateValue::Alarm) => {
                ui.label(
                    RichText::new(format!(
                        "The alarm {} is in ALARM, so CodeDeploy will stop this deployment as soon as it starts. Wait until the alarm is OK, or take it off the group's alarms.",
                        alarm.name
                    ))
                    .color(ui.visuals().error_fg_color),
                )
                .on_hover_text(alarm.reason.clone().unwrap_or_default());
            }
            None => {
                ui.label(
                    RichText::new(format!(
                        "CloudWatch has no alarm named {}: unless the group ignores alarms it cannot read, CodeDeploy will stop this deployment at once.",
                        alarm.name
                    ))
                    .color(ui.visuals().warn_fg_color),
                );
            }
            Some(state) => quiet.push(format!("{} ({})", alarm.name, state.as_str())),
        }
    }
    if !quiet.is_empty() {
        ui.label(
            RichText::new(format!("Watching {}: none in ALARM now.", quiet.join(", "))).weak(),
        );
    }
}

/// The Auto Scaling groups the group names: their size now, and a warning
/// for one scaling out, whose new instances get the group's last
/// successful revision rather than this one until a follow-up deployment.
fn auto_scaling_ui(ui: &mut egui::Ui, groups: &Result<Vec<AutoScalingGroupSummary>, String>) {
    let groups = match groups {
        Ok(groups) => groups,
        Err(error) => {
            ui.label(
                RichText::new(format!(
                    "The group's Auto Scaling groups could not be read, so this plan counts only its tagged instances: {error}"
                ))
                .color(ui.visuals().warn_fg_color),
            );
            return;
        }
    };
    for group in groups {
        if group.scaling_out() {
            ui.label(
                RichText::new(format!(
                    "The Auto Scaling group {} is scaling out ({}): its new instances get the last successful revision, and CodeDeploy brings them up to this one with a follow-up deployment when this one succeeds.",
                    group.name,
                    group.size_words()
                ))
                .color(ui.visuals().warn_fg_color),
            );
        } else {
            ui.label(
                RichText::new(format!(
                    "Auto Scaling group {}: {}.",
                    group.name,
                    group.size_words()
                ))
                .weak(),
            );
        }
    }
}

/// Shows the gathered instances and the predicted rollout, with the
/// instances' readiness (drawn by `readiness_ui`) right under the
/// prediction it changes.
fn preflight_data_ui(
    ui: &mut egui::Ui,
    data: &PreflightData,
    plan: Option<&Result<Plan, String>>,
    readiness_ui: &mut dyn FnMut(&mut egui::Ui),
) {
    ui.label(
        RichText::new("An estimate from EC2's state and the group's recent deployments.").weak(),
    );
    if data.has_on_premises {
        ui.label(
            RichText::new("On-premises instances of the group are not in this estimate.").weak(),
        );
    }
    alarms_ui(ui, &data.alarms);
    auto_scaling_ui(ui, &data.auto_scaling);
    if data.instances.is_empty() {
        ui.label(
            RichText::new("The group matches no instances now, so this deployment will fail: there is nothing to deploy to. Tag instances into the group first with the Setup page's tag wizard.")
                .color(ui.visuals().error_fg_color),
        )
        .on_hover_text("CodeDeploy's error code: NO_INSTANCES");
        return;
    }
    if data.minimum.is_none() {
        ui.label(
            RichText::new(format!(
                "The configuration {} could not be read, so there is no plan.",
                data.config_name
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    match plan {
        Some(Ok(plan)) => {
            let prediction = &plan.prediction;
            ui.add_space(4.0);
            ui.label(format!(
                "{} waves; {} of {} instances must succeed.",
                prediction.simulation.waves.len(),
                prediction.simulation.successes_needed,
                data.instances.len()
            ));
            match &prediction.warning {
                Some(warning) => {
                    ui.label(RichText::new(warning.as_str()).color(ui.visuals().error_fg_color));
                }
                None => {
                    ui.label(
                        RichText::new(if plan.readiness_counted {
                            "Predicted: the deployment succeeds."
                        } else {
                            "Predicted, before the readiness check: the deployment succeeds."
                        })
                        .color(egui::Color32::from_rgb(0x2e, 0x9d, 0x5b)),
                    );
                }
            }
            readiness_ui(ui);
            let describe = |item: usize| describe_instance(data, prediction, item);
            // Every wave in view: a plan of three or four waves does not
            // hide its last one behind a scroll bar.
            let grid_height = TileSize::DENSE
                .height(&plan.rows, ui.available_width())
                .clamp(WAVES_MIN_HEIGHT, WAVES_MAX_HEIGHT);
            waves::waves_ui(
                ui,
                &WavesOptions {
                    id_salt: "deploy_preflight_waves",
                    label: "Planned waves",
                    grid_height: Some(grid_height),
                },
                &prediction.simulation,
                &plan.rows,
                &prediction.explanation,
                &describe,
            );
        }
        Some(Err(error)) => {
            ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            readiness_ui(ui);
        }
        None => readiness_ui(ui),
    }
    ui.add_space(4.0);
    ui.label(RichText::new(format!("Instances ({})", data.instances.len())).strong());
    for instance in &data.instances {
        let mut notes = Vec::new();
        if instance.stopped {
            notes.push("stopped");
        }
        if instance.last_failed {
            notes.push("failed its last deployment");
        }
        ui.label(format!(
            "{}  {}{}",
            instance.id,
            instance.name.as_deref().unwrap_or(""),
            if notes.is_empty() {
                String::new()
            } else {
                format!("  ({})", notes.join(", "))
            }
        ));
    }
}

/// The hover text of an instance's tile in the pre-flight waves.
fn describe_instance(data: &PreflightData, prediction: &Prediction, item: usize) -> String {
    let Some(instance) = data.instances.get(item) else {
        return String::new();
    };
    let state = prediction
        .simulation
        .progress
        .get(item)
        .map_or("pending", |&progress| waves::tile_state(progress).word());
    let name = instance.name.as_deref().unwrap_or("");
    let mut text = format!("{} {name}\nPredicted: {state}", instance.id);
    if instance.stopped {
        text.push_str("\nStopped: its attempt counts as a failure.");
    }
    if instance.last_failed {
        text.push_str("\nFailed its last deployment in this group.");
    }
    text
}

/// A grid of labels and fields whose label column lines up with the
/// dialog's other grids.
fn form_grid(id_salt: &str) -> egui::Grid {
    egui::Grid::new(id_salt)
        .num_columns(2)
        .min_col_width(LABEL_COLUMN)
        .spacing([12.0, 6.0])
}

/// A row of a form grid: a label and a single-line field it names.
fn field_row(ui: &mut egui::Ui, label: &str, text: &mut String) {
    let label = ui.label(label);
    ui.add(egui::TextEdit::singleline(text).desired_width(COMBO_WIDTH + 80.0))
        .labelled_by(label.id);
    ui.end_row();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::revision::GitHubRevisionError;

    #[test]
    fn a_deployment_needs_a_group_and_a_valid_revision() {
        let mut dialog = DeployDialog::new(Some("web".to_owned()), None);
        assert_eq!(
            dialog.new_deployment(),
            Err("Choose a deployment group.".to_owned())
        );
        dialog.group = "production".to_owned();
        assert_eq!(
            dialog.new_deployment(),
            Err("Name the bucket and key of the bundle.".to_owned())
        );
        dialog.kind = RevisionKind::GitHub;
        dialog.repository = "example web/site".to_owned();
        dialog.commit = "0123456789ABCDEF0123456789abcdef01234567".to_owned();
        assert_eq!(
            dialog.new_deployment(),
            Err(GitHubRevisionError::Repository("example web/site".to_owned()).to_string())
        );
        dialog.repository = "example/web".to_owned();
        dialog.commit = "abc".to_owned();
        assert_eq!(
            dialog.new_deployment(),
            Err(GitHubRevisionError::CommitId("abc".to_owned()).to_string())
        );
        dialog.commit = "0123456789ABCDEF0123456789abcdef01234567".to_owned();
        let new = dialog.new_deployment().expect("ready");
        assert_eq!(
            new.revision,
            Some(Revision::GitHub {
                repository: "example/web".to_owned(),
                commit_id: "0123456789abcdef0123456789abcdef01234567".to_owned()
            })
        );
    }

    #[test]
    fn an_uploaded_revision_is_chosen_when_the_dialog_opens() {
        let dialog = DeployDialog::new(
            Some("web".to_owned()),
            Some(Revision::S3 {
                bucket: "revisions".to_owned(),
                key: "web/web-1.zip".to_owned(),
                bundle_type: Some("zip".to_owned()),
                version: None,
                etag: Some("\"abc\"".to_owned()),
            }),
        );
        assert_eq!(
            dialog.revision().map(|revision| revision.describe()),
            Ok("s3://revisions/web/web-1.zip".to_owned())
        );
    }
}
