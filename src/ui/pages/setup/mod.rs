//! The Setup page: the wizards that make what CodeDeploy needs, each showing
//! exactly what it will create before it creates it.

pub mod deployment_group;
pub(crate) mod effects;
pub mod instance_profile;
pub mod run;
pub mod service_role;
pub mod tag_instances;
pub mod traffic_groups;

use egui::RichText;

use crate::cloud::CloudError;
use crate::cloud::autoscaling::AutoScalingGroupSummary;
use crate::cloud::cloudwatch::AlarmStatus;
use crate::cloud::codedeploy::Application;
use crate::cloud::ec2::Ec2InstanceSummary;
use crate::cloud::setup::{BucketChoices, Progress, SetupStatus, TrustedRole};
use crate::domain::group_spec::DeploymentGroupSpec;
use crate::ui::pages::deploy::readiness::ReadinessRequest;
use crate::ui::widgets::button::{Action, MaterialIcon, icons};
use crate::ui::widgets::loadable::{Loadable, loaded};
use crate::ui::widgets::wizard::DONE_GREEN;
use deployment_group::{DeploymentGroupWizard, GroupRequest};
use instance_profile::{InstanceChoice, InstanceProfileRequest, InstanceProfileWizard};
use run::{PlanRun, RunRequest};
use service_role::{ServiceRoleRequest, ServiceRoleWizard};
use tag_instances::{TagInstancesPage, TagInstancesRequest, TagsAction, TagsEvent};

/// What the page asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupAction {
    /// Find out which account the session is in.
    LoadAccount,
    /// Look at what the account already has of what the wizards make.
    LoadStatus,
    /// Load the roles CodeDeploy can assume.
    LoadTrustedRoles,
    /// Load the EC2 instances with their instance profiles.
    LoadInstances,
    /// Load the account's buckets, and the one to suggest for revisions.
    LoadBuckets,
    /// Load the applications.
    LoadApplications,
    /// Load an application's deployment group names.
    LoadGroups(String),
    /// Load the EC2 instances with their tags.
    LoadEc2Instances,
    /// Load the account's CloudWatch alarms and SNS topics.
    LoadAlarmsAndTopics,
    /// Load the account's Auto Scaling groups, target groups and classic
    /// load balancers.
    LoadFleetChoices,
    /// Load a deployment group's settings to edit it.
    LoadGroupSpec {
        /// The application.
        application: String,
        /// The group.
        group: String,
    },
    /// Run a plan; results come back tagged with `run`.
    Run {
        /// Which run the results belong to.
        run: u64,
        /// What to run.
        request: RunRequest,
    },
    /// List what a Lambda or ECS deployment group picks from.
    GroupTraffic(traffic_groups::TrafficRequest),
    /// List instances or change their tags, for the tag instances page.
    Tags(TagsAction),
    /// Open the Deploy dialog for an application (after its group was
    /// made).
    Deploy {
        /// The application.
        application: String,
    },
}

/// A result for the page.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupEvent {
    /// The account id, or why it is unknown.
    Account(Result<String, CloudError>),
    /// What the account already has of what the wizards make.
    Status(SetupStatus),
    /// The roles CodeDeploy can assume.
    TrustedRoles(Result<Vec<TrustedRole>, CloudError>),
    /// The EC2 instances.
    Instances(Result<Vec<InstanceChoice>, CloudError>),
    /// The account's buckets.
    Buckets(Result<BucketChoices, CloudError>),
    /// The applications.
    Applications(Result<Vec<Application>, CloudError>),
    /// An application's group names.
    Groups(Result<Vec<String>, CloudError>),
    /// The EC2 instances with their tags.
    Ec2Instances(Result<Vec<Ec2InstanceSummary>, CloudError>),
    /// The account's alarms and topics, each listed or why not.
    AlarmsAndTopics {
        /// The alarms with their state.
        alarms: Result<Vec<AlarmStatus>, CloudError>,
        /// The topics' ARNs.
        topics: Result<Vec<String>, CloudError>,
    },
    /// The account's Auto Scaling groups and load balancers, each listed
    /// or why not.
    FleetChoices {
        /// The Auto Scaling groups with their instances.
        auto_scaling: Result<Vec<AutoScalingGroupSummary>, CloudError>,
        /// The target groups' names.
        target_groups: Result<Vec<String>, CloudError>,
        /// The classic load balancers' names.
        classic: Result<Vec<String>, CloudError>,
    },
    /// What a Lambda or ECS deployment group picks from.
    GroupTraffic(Box<traffic_groups::TrafficEvent>),
    /// A group's settings, by its name.
    GroupSpec {
        /// The group's name.
        group: String,
        /// Its settings, if it exists.
        result: Result<Option<Box<DeploymentGroupSpec>>, CloudError>,
    },
    /// Progress of run `run`.
    Progress {
        /// Which run.
        run: u64,
        /// What happened.
        progress: Progress,
    },
    /// Run `run` stopped (finished, or stopped at a step).
    RunEnded {
        /// Which run.
        run: u64,
    },
    /// A result for the tag instances page.
    Tags(TagsEvent),
}

/// The wizard on screen.
#[derive(Debug, Clone)]
enum Wizard {
    ServiceRole(ServiceRoleWizard),
    InstanceProfile(InstanceProfileWizard),
    DeploymentGroup(Box<DeploymentGroupWizard>),
    TagInstances(Box<TagInstancesPage>),
}

/// The Setup page's state.
#[derive(Debug, Clone, Default)]
pub struct SetupPage {
    account: Loadable<String>,
    /// What the account has of what the wizards make, for the cards;
    /// looked at again whenever the cards are shown after a wizard.
    status: Loadable<SetupStatus>,
    wizard: Option<Wizard>,
    /// Tags the runs, so results of an abandoned run are not applied to a
    /// newer wizard.
    run: u64,
    /// Said after a wizard closed, e.g. which role was picked.
    message: Option<String>,
    /// The deployment group wizard, set aside while the service role
    /// wizard it opened is on screen.
    paused: Option<Box<DeploymentGroupWizard>>,
    /// The ARN of the service role made (or picked) last, which the
    /// deployment group wizard starts with.
    made_role: Option<String>,
}

impl SetupPage {
    /// Forgets what was loaded, e.g. after switching accounts. A wizard
    /// half filled in is closed: its inputs belong to the old account.
    pub fn clear(&mut self) {
        *self = Self {
            run: self.run + 1,
            ..Self::default()
        };
    }

    /// Opens the service role wizard (also used by other pages).
    pub fn open_service_role(&mut self) {
        self.paused = None;
        self.wizard = Some(Wizard::ServiceRole(ServiceRoleWizard::default()));
        self.message = None;
    }

    /// Opens the deployment group wizard, with the service role made last
    /// chosen.
    pub fn open_deployment_group(&mut self) {
        let mut wizard = Box::<DeploymentGroupWizard>::default();
        if let Some(arn) = &self.made_role {
            wizard.use_role(arn.clone());
        }
        self.wizard = Some(Wizard::DeploymentGroup(wizard));
        self.message = None;
    }

    /// Opens the instance profile wizard.
    pub fn open_instance_profile(&mut self) {
        self.wizard = Some(Wizard::InstanceProfile(InstanceProfileWizard::default()));
        self.message = None;
    }

    /// Opens the instance profile wizard with `instances` chosen (from the
    /// Deploy dialog's readiness check).
    pub fn open_instance_profile_for(&mut self, instances: Vec<String>, ssm: bool) {
        self.paused = None;
        self.wizard = Some(Wizard::InstanceProfile(
            InstanceProfileWizard::for_instances(instances, ssm),
        ));
        self.message = None;
    }

    /// Whether a wizard is on screen.
    pub fn wizard_open(&self) -> bool {
        self.wizard.is_some()
    }

    /// Opens the tag instances page.
    pub fn open_tag_instances(&mut self) {
        self.wizard = Some(Wizard::TagInstances(Box::new(TagInstancesPage::new())));
        self.message = None;
    }

    /// Back to the cards, which look again at what the account has.
    fn close_wizard(&mut self) {
        self.wizard = None;
        if !matches!(self.status, Loadable::Loading) {
            self.status = Loadable::NotLoaded;
        }
    }

    /// Applies a result.
    pub fn apply(&mut self, event: SetupEvent) {
        match event {
            SetupEvent::Account(result) => {
                self.account = loaded(result);
            }
            SetupEvent::Status(status) => self.status = Loadable::Loaded(status),
            SetupEvent::TrustedRoles(result) => match &mut self.wizard {
                Some(Wizard::ServiceRole(wizard)) => wizard.trusted = loaded(result),
                Some(Wizard::DeploymentGroup(wizard)) => wizard.roles_loaded(loaded(result)),
                _ => {}
            },
            SetupEvent::Instances(result) => {
                if let Some(Wizard::InstanceProfile(wizard)) = &mut self.wizard {
                    wizard.instances = loaded(result);
                }
            }
            SetupEvent::Buckets(result) => {
                if let Some(Wizard::InstanceProfile(wizard)) = &mut self.wizard {
                    wizard.buckets_loaded(loaded(result));
                }
            }
            SetupEvent::Applications(result) => {
                if let Some(Wizard::DeploymentGroup(wizard)) = &mut self.wizard {
                    wizard.applications = loaded(result);
                }
            }
            SetupEvent::Groups(result) => {
                if let Some(Wizard::DeploymentGroup(wizard)) = &mut self.wizard {
                    wizard.groups = loaded(result);
                }
            }
            SetupEvent::Ec2Instances(result) => {
                if let Some(Wizard::DeploymentGroup(wizard)) = &mut self.wizard {
                    wizard.set_instances(loaded(result));
                }
            }
            SetupEvent::AlarmsAndTopics { alarms, topics } => {
                if let Some(Wizard::DeploymentGroup(wizard)) = &mut self.wizard {
                    wizard.alarm_choices = loaded(alarms);
                    wizard.topic_choices = loaded(topics);
                }
            }
            SetupEvent::FleetChoices {
                auto_scaling,
                target_groups,
                classic,
            } => {
                if let Some(Wizard::DeploymentGroup(wizard)) = &mut self.wizard {
                    wizard.set_fleet_choices(
                        loaded(auto_scaling),
                        loaded(target_groups),
                        loaded(classic),
                    );
                }
            }
            SetupEvent::GroupTraffic(event) => {
                if let Some(Wizard::DeploymentGroup(wizard)) = &mut self.wizard {
                    wizard.traffic_loaded(*event);
                }
            }
            SetupEvent::GroupSpec { group, result } => {
                if let Some(Wizard::DeploymentGroup(wizard)) = &mut self.wizard {
                    wizard.spec_loaded(
                        group,
                        result
                            .map(|spec| spec.map(|spec| *spec))
                            .map_err(|error| error.to_string()),
                    );
                }
            }
            SetupEvent::Tags(event) => {
                if let Some(Wizard::TagInstances(page)) = &mut self.wizard {
                    page.apply(event);
                }
            }
            SetupEvent::Progress { run, progress } if run == self.run => {
                if let Some(plan_run) = self.plan_run() {
                    plan_run.progress(progress);
                }
            }
            SetupEvent::RunEnded { run } if run == self.run => match &mut self.wizard {
                Some(Wizard::ServiceRole(wizard)) => wizard.run_ended(),
                Some(Wizard::InstanceProfile(wizard)) => wizard.run_ended(),
                Some(Wizard::DeploymentGroup(wizard)) => wizard.run_ended(),
                Some(Wizard::TagInstances(_)) | None => {}
            },
            SetupEvent::Progress { .. } | SetupEvent::RunEnded { .. } => {}
        }
    }

    /// The run of the open wizard, if it has one.
    fn plan_run(&mut self) -> Option<&mut PlanRun> {
        match &mut self.wizard {
            Some(Wizard::ServiceRole(wizard)) => wizard.run_mut(),
            Some(Wizard::InstanceProfile(wizard)) => wizard.run_mut(),
            Some(Wizard::DeploymentGroup(wizard)) => wizard.run_mut(),
            Some(Wizard::TagInstances(_)) | None => None,
        }
    }

    /// Draws the page for a session in `region`.
    pub fn ui(&mut self, ui: &mut egui::Ui, region: &str) -> Option<SetupAction> {
        let mut action = None;
        if matches!(self.account, Loadable::NotLoaded) {
            self.account = Loadable::Loading;
            action = Some(SetupAction::LoadAccount);
        }
        let account = match &self.account {
            Loadable::Loaded(account) => Some(account.clone()),
            _ => None,
        };
        let request = match &mut self.wizard {
            None => {
                // One action a frame: with the account asked for first,
                // the status is asked for in the next frame.
                if matches!(self.status, Loadable::NotLoaded) && action.is_none() {
                    self.status = Loadable::Loading;
                    action = Some(SetupAction::LoadStatus);
                }
                egui::ScrollArea::vertical()
                    .id_salt("setup_cards")
                    .auto_shrink([false, true])
                    .show(ui, |ui| self.chooser_ui(ui));
                None
            }
            Some(Wizard::ServiceRole(wizard)) => match wizard.ui(ui, account.as_deref(), region) {
                Some(ServiceRoleRequest::Run(request)) => Some(Ok(request)),
                Some(ServiceRoleRequest::LoadTrustedRoles) => {
                    wizard.trusted = Loadable::Loading;
                    Some(Err(SetupAction::LoadTrustedRoles))
                }
                Some(ServiceRoleRequest::Continue(made)) => {
                    self.made_role = Some(made);
                    self.open_instance_profile();
                    None
                }
                Some(ServiceRoleRequest::Close(picked)) => {
                    if picked.is_some() {
                        self.made_role.clone_from(&picked);
                    }
                    if let Some(mut paused) = self.paused.take() {
                        if let Some(arn) = picked {
                            paused.use_role(arn);
                        }
                        self.wizard = Some(Wizard::DeploymentGroup(paused));
                    } else {
                        self.message = picked.map(|arn| {
                            format!("Use {arn} as the service role of your deployment groups.")
                        });
                        self.close_wizard();
                    }
                    None
                }
                None => None,
            },
            Some(Wizard::DeploymentGroup(wizard)) => match wizard.ui(ui) {
                Some(GroupRequest::Run(request)) => Some(Ok(request)),
                Some(GroupRequest::LoadApplications) => {
                    wizard.applications = Loadable::Loading;
                    Some(Err(SetupAction::LoadApplications))
                }
                Some(GroupRequest::LoadGroups(application)) => {
                    wizard.groups = Loadable::Loading;
                    Some(Err(SetupAction::LoadGroups(application)))
                }
                Some(GroupRequest::LoadRoles) => {
                    wizard.roles = Loadable::Loading;
                    Some(Err(SetupAction::LoadTrustedRoles))
                }
                Some(GroupRequest::LoadInstances) => {
                    wizard.set_instances(Loadable::Loading);
                    Some(Err(SetupAction::LoadEc2Instances))
                }
                Some(GroupRequest::LoadAlarmsAndTopics) => {
                    wizard.alarm_choices = Loadable::Loading;
                    wizard.topic_choices = Loadable::Loading;
                    Some(Err(SetupAction::LoadAlarmsAndTopics))
                }
                Some(GroupRequest::LoadFleetChoices) => {
                    wizard.set_fleet_choices(
                        Loadable::Loading,
                        Loadable::Loading,
                        Loadable::Loading,
                    );
                    Some(Err(SetupAction::LoadFleetChoices))
                }
                Some(GroupRequest::Traffic(request)) => {
                    Some(Err(SetupAction::GroupTraffic(request)))
                }
                Some(GroupRequest::LoadSpec { application, group }) => {
                    Some(Err(SetupAction::LoadGroupSpec { application, group }))
                }
                Some(GroupRequest::CreateServiceRole) => {
                    if let Some(Wizard::DeploymentGroup(paused)) = self.wizard.take() {
                        self.paused = Some(paused);
                    }
                    self.wizard = Some(Wizard::ServiceRole(ServiceRoleWizard::returning()));
                    None
                }
                Some(GroupRequest::Deploy(application)) => {
                    Some(Err(SetupAction::Deploy { application }))
                }
                Some(GroupRequest::Close) => {
                    self.close_wizard();
                    None
                }
                None => None,
            },
            Some(Wizard::InstanceProfile(wizard)) => match wizard.ui(ui, region) {
                Some(InstanceProfileRequest::Run(request)) => Some(Ok(request)),
                Some(InstanceProfileRequest::LoadInstances) => {
                    wizard.instances = Loadable::Loading;
                    Some(Err(SetupAction::LoadInstances))
                }
                Some(InstanceProfileRequest::LoadBuckets) => {
                    wizard.bucket_choices = Loadable::Loading;
                    Some(Err(SetupAction::LoadBuckets))
                }
                Some(InstanceProfileRequest::Close) => {
                    self.close_wizard();
                    None
                }
                Some(InstanceProfileRequest::Continue) => {
                    self.open_tag_instances();
                    None
                }
                None => None,
            },
            Some(Wizard::TagInstances(page)) => match page.ui(ui) {
                Some(TagInstancesRequest::Action(TagsAction::Readiness(
                    ReadinessRequest::OpenInstanceProfile { instances, ssm },
                ))) => {
                    self.open_instance_profile_for(instances, ssm);
                    None
                }
                Some(TagInstancesRequest::Action(tags)) => Some(Err(SetupAction::Tags(tags))),
                Some(TagInstancesRequest::Close) => {
                    self.close_wizard();
                    None
                }
                Some(TagInstancesRequest::Continue) => {
                    self.open_deployment_group();
                    None
                }
                None => None,
            },
        };
        match request {
            Some(Ok(request)) => {
                self.run += 1;
                action = Some(SetupAction::Run {
                    run: self.run,
                    request,
                });
            }
            Some(Err(load)) => action = Some(load),
            None => {}
        }
        if let Loadable::Failed(error) = &self.account {
            ui.label(
                RichText::new(format!("The account id is unknown: {error}"))
                    .color(ui.visuals().error_fg_color),
            );
        }
        action
    }

    fn chooser_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Setup");
        ui.label("Each wizard shows exactly what it will create, checks your input before calling AWS, and can be run again safely: what exists is reused.");
        if let Some(message) = &self.message {
            ui.label(RichText::new(message.as_str()).strong());
        }
        ui.add_space(8.0);
        let status = match &self.status {
            Loadable::Loaded(status) => Some(status.clone()),
            _ => None,
        };
        let cards: [Card; 4] = [
            (
                "Service role",
                "The role CodeDeploy assumes to deploy to your instances, with the AWS managed policy for your compute platform.",
                Self::open_service_role,
                status.as_ref().map(|status| status.service_role.clone()),
                "This account has a role CodeDeploy can assume.",
            ),
            (
                "Instance profile",
                "The role your EC2 instances use to download revisions, with read access to only your revision buckets.",
                Self::open_instance_profile,
                status
                    .as_ref()
                    .map(|status| status.instance_profile.clone()),
                "This account has an instance profile EC2 instances can use.",
            ),
            (
                "Tag instances",
                "Select EC2 instances and add or remove tags on all of them at once: the tags a deployment group chooses its instances by.",
                Self::open_tag_instances,
                status
                    .as_ref()
                    .map(|status| status.tagged_instances.clone()),
                "Instances here carry tags a deployment group can choose them by.",
            ),
            (
                "Deployment group",
                "A deployment group: which instances a deployment goes to, chosen by their tags or Auto Scaling groups, with its load balancer, alarms and notifications, and how the rollout proceeds. Also edits an existing group.",
                Self::open_deployment_group,
                status
                    .as_ref()
                    .map(|status| status.deployment_group.clone()),
                "This account has a deployment group.",
            ),
        ];
        // The first card not done yet is the next thing to do: its button
        // is the primary one.
        let next = cards
            .iter()
            .position(|(_, _, _, state, _)| !matches!(state, Some(Ok(true))));
        for (index, (title, text, open, state, done_text)) in cards.into_iter().enumerate() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width().min(680.0));
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(format!("{}. {title}", index + 1))
                            .strong()
                            .size(16.0),
                    );
                    state_ui(ui, title, state.as_ref(), done_text);
                });
                ui.add(egui::Label::new(text).wrap());
                let name = format!("Start: {title}");
                let hover = format!("Open the {} wizard", title.to_lowercase());
                let button = if next == Some(index) {
                    Action::primary(&name).hover(&hover)
                } else {
                    Action::secondary(&name).hover(&hover)
                };
                if ui.add(button.icon(icons::ICON_ARROW_FORWARD)).clicked() {
                    open(self);
                }
            });
            ui.add_space(6.0);
        }
    }
}

/// Draws a card's state: done, not done yet, being looked at, or unknown
/// (with why on hover). The words are its accessible name: "Service role:
/// done".
fn state_ui(
    ui: &mut egui::Ui,
    title: &str,
    state: Option<&Result<bool, CloudError>>,
    done_text: &str,
) {
    let (icon, word, colour, hover): (Option<MaterialIcon>, &str, egui::Color32, String) =
        match state {
            None => (
                None,
                "looking…",
                ui.visuals().weak_text_color(),
                String::new(),
            ),
            Some(Ok(true)) => (
                Some(icons::ICON_CHECK_CIRCLE),
                "done",
                DONE_GREEN,
                done_text.to_owned(),
            ),
            Some(Ok(false)) => (
                Some(icons::ICON_RADIO_BUTTON_UNCHECKED),
                "not done yet",
                ui.visuals().weak_text_color(),
                "Nothing of this kind in this account yet.".to_owned(),
            ),
            Some(Err(error)) => (
                Some(icons::ICON_HELP),
                "unknown",
                ui.visuals().warn_fg_color,
                format!("Could not be looked at: {error}"),
            ),
        };
    match icon {
        Some(icon) => {
            ui.label(icon.rich_text().size(16.0).color(colour));
        }
        None => {
            ui.spinner();
        }
    }
    let response = ui.label(RichText::new(word).color(colour));
    let name = format!("{title}: {word}");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &name));
    if !hover.is_empty() {
        response.on_hover_text(hover);
    }
}

/// A wizard card on the chooser: title, what it makes, how to open it,
/// whether the account has it (once looked at), and what "done" means.
type Card = (
    &'static str,
    &'static str,
    fn(&mut SetupPage),
    Option<Result<bool, CloudError>>,
    &'static str,
);
