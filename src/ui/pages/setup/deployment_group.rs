//! The deployment group wizard: application, group name and service
//! role, deployment type with the load balancer (target groups and classic
//! load balancers picked from the account's), the environment by tags and
//! Auto Scaling groups with a live count of the instances it matches, the
//! deployment configuration with the rollout planner's preview, alarms
//! (picked with their state), rollback and triggers (to the account's SNS
//! topics), a review, and the run. It also edits an existing group.

use egui::RichText;

use super::run::{PlanRun, RunRequest};
use super::service_role::review_plan_ui;
use super::traffic_groups::{TrafficEvent, TrafficForm, TrafficRequest};
use crate::cloud::autoscaling::AutoScalingGroupSummary;
use crate::cloud::cloudwatch::{AlarmStateValue, AlarmStatus};
use crate::cloud::codedeploy::Application;
use crate::cloud::ec2::Ec2InstanceSummary;
use crate::cloud::setup::TrustedRole;
use crate::cloud::sns;
use crate::domain::ComputePlatform;
use crate::domain::config::{ALL_AT_ONCE, HALF_AT_A_TIME, MinimumHealthyHosts, ONE_AT_A_TIME};
use crate::domain::group_spec::{
    self, ConfigChoice, DeploymentGroupSpec, DeploymentType, MAX_BLUE_GREEN_WAIT_MINUTES,
    MAX_TAGS_PER_GROUP, SpecProblem, TRIGGER_EVENTS, TagFilterSpec, TriggerSpec,
};
use crate::domain::health::Health;
use crate::domain::names::{self, NameKind};
use crate::domain::rollout;
use crate::domain::setup::{SetupPlan, TagRowError, check_tag_filter_row};
use crate::domain::tags::MAX_TAG_SET_GROUPS;
use crate::ui::widgets::button::{Action, icons};
use crate::ui::widgets::loadable::Loadable;
use crate::ui::widgets::wizard::{self, Nav, Touched};

/// The wizard's steps, as the indicator names them.
const STEPS: [&str; 8] = [
    "Application",
    "Group",
    "Type",
    "Environment",
    "Configuration",
    "Options",
    "Review",
    "Create",
];

/// Which fields each step holds, so a problem is shown on its step.
const STEP_FIELDS: [&[&str]; 6] = [
    &["application"],
    &["group", "role"],
    &[
        "type",
        "load balancer",
        "ecs service",
        "target groups",
        "listeners",
    ],
    &["ec2 tags", "on-premises tags", "auto scaling groups"],
    &["config"],
    &["alarms", "triggers"],
];

/// What the wizard asks of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupRequest {
    /// Load the applications.
    LoadApplications,
    /// Load the group names of an application (to offer editing one).
    LoadGroups(String),
    /// Load the roles CodeDeploy can assume.
    LoadRoles,
    /// Load the EC2 instances with their tags.
    LoadInstances,
    /// Load the account's CloudWatch alarms and SNS topics, to pick from.
    LoadAlarmsAndTopics,
    /// Load the account's Auto Scaling groups, target groups and classic
    /// load balancers, to pick from.
    LoadFleetChoices,
    /// Load an existing group to edit it.
    LoadSpec {
        /// The application.
        application: String,
        /// The group.
        group: String,
    },
    /// Open the service role wizard, coming back here afterwards.
    CreateServiceRole,
    /// Run (or retry, or fix) the plan.
    Run(RunRequest),
    /// List what a Lambda or ECS group picks from.
    Traffic(TrafficRequest),
    /// Open the Deploy dialog for this application.
    Deploy(String),
    /// Leave the wizard.
    Close,
}

/// Where the environment's instances come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Environment {
    Ec2,
    OnPremises,
}

/// How the configuration is chosen on its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigKind {
    Predefined,
    Custom,
}

/// The deployment group wizard's state: one field per input, as a form has.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)]
pub struct DeploymentGroupWizard {
    step: usize,
    /// The applications to pick from.
    pub applications: Loadable<Vec<Application>>,
    /// The groups of the picked application.
    pub groups: Loadable<Vec<String>>,
    /// The roles CodeDeploy can assume.
    pub roles: Loadable<Vec<TrustedRole>>,
    /// The EC2 instances and their tags (set with
    /// [`DeploymentGroupWizard::set_instances`]).
    instances: Loadable<Vec<Ec2InstanceSummary>>,
    /// The account's alarms with their state, to pick from.
    pub alarm_choices: Loadable<Vec<AlarmStatus>>,
    /// The account's SNS topics (ARNs), to pick a trigger's from.
    pub topic_choices: Loadable<Vec<String>>,
    /// The account's Auto Scaling groups with their instances.
    auto_scaling_choices: Loadable<Vec<AutoScalingGroupSummary>>,
    /// The account's target group names.
    pub target_group_choices: Loadable<Vec<String>>,
    /// The account's classic load balancer names.
    pub classic_choices: Loadable<Vec<String>>,
    /// The live match and the tag suggestions for the loaded instances,
    /// worked out again only when the tag groups or the instances change
    /// rather than every frame (a fleet may have thousands of instances).
    match_cache: std::cell::RefCell<Option<MatchCache>>,
    suggestions_cache: std::cell::RefCell<Option<Vec<(String, String)>>>,
    application: String,
    new_application: bool,
    /// The application's compute platform: which fields the group has.
    platform: ComputePlatform,
    /// The fields of a Lambda or ECS group.
    traffic: TrafficForm,
    /// The group being edited, by its name when loaded.
    editing: Option<String>,
    group: String,
    role_arn: String,
    blue_green: bool,
    reroute_at_once: bool,
    wait_minutes: u32,
    terminate_original: bool,
    termination_wait_minutes: u32,
    traffic_control: bool,
    target_groups: String,
    classic_load_balancers: String,
    auto_scaling_groups: Vec<String>,
    copy_auto_scaling_group: bool,
    environment: Environment,
    ec2_groups: Vec<Vec<TagFilterSpec>>,
    on_premises_groups: Vec<Vec<TagFilterSpec>>,
    config_kind: ConfigKind,
    predefined: String,
    custom_name: String,
    custom_percent: bool,
    custom_value: i64,
    alarms: String,
    rollback_on_failure: bool,
    rollback_on_alarm: bool,
    triggers: Vec<TriggerSpec>,
    /// Whether Systems Manager installs the CodeDeploy agent on the
    /// group's instances and keeps it updated.
    install_agent: bool,
    /// Problems AWS gave when a call was refused, by field.
    refused: Vec<SpecProblem>,
    run: Option<PlanRun>,
    /// Said when loading a group to edit failed.
    load_error: Option<String>,
    /// The fields of this step the person has used, and whether Next was
    /// pressed: errors show only then.
    touched: Touched,
}

/// The live match for one set of tag groups over the loaded instances.
#[derive(Debug, Clone)]
struct MatchCache {
    /// The environment and tag groups the match is for.
    environment: Environment,
    groups: Vec<Vec<TagFilterSpec>>,
    auto_scaling_groups: Vec<String>,
    /// Indexes of the matched instances in the loaded list.
    matched: Vec<usize>,
    /// How many of the loaded instances are live (not terminated).
    live: usize,
}

impl Default for DeploymentGroupWizard {
    fn default() -> Self {
        Self {
            step: 0,
            applications: Loadable::NotLoaded,
            groups: Loadable::NotLoaded,
            roles: Loadable::NotLoaded,
            instances: Loadable::NotLoaded,
            alarm_choices: Loadable::NotLoaded,
            topic_choices: Loadable::NotLoaded,
            auto_scaling_choices: Loadable::NotLoaded,
            target_group_choices: Loadable::NotLoaded,
            classic_choices: Loadable::NotLoaded,
            match_cache: std::cell::RefCell::new(None),
            suggestions_cache: std::cell::RefCell::new(None),
            application: String::new(),
            new_application: false,
            platform: ComputePlatform::Server,
            traffic: TrafficForm::default(),
            editing: None,
            group: String::new(),
            role_arn: String::new(),
            blue_green: false,
            reroute_at_once: true,
            wait_minutes: 60,
            terminate_original: true,
            termination_wait_minutes: 60,
            traffic_control: false,
            target_groups: String::new(),
            classic_load_balancers: String::new(),
            auto_scaling_groups: Vec::new(),
            copy_auto_scaling_group: false,
            environment: Environment::Ec2,
            ec2_groups: vec![vec![TagFilterSpec::default()]],
            on_premises_groups: vec![vec![TagFilterSpec::default()]],
            config_kind: ConfigKind::Predefined,
            predefined: ONE_AT_A_TIME.to_owned(),
            custom_name: String::new(),
            custom_percent: true,
            custom_value: 75,
            alarms: String::new(),
            rollback_on_failure: true,
            rollback_on_alarm: false,
            triggers: Vec::new(),
            install_agent: false,
            refused: Vec::new(),
            run: None,
            load_error: None,
            touched: Touched::default(),
        }
    }
}

impl DeploymentGroupWizard {
    /// Uses `arn` as the service role (e.g. one just made by the service
    /// role wizard).
    pub fn use_role(&mut self, arn: String) {
        self.role_arn = arn;
        self.roles = Loadable::NotLoaded;
    }

    /// The roles CodeDeploy can assume arrived. With no role chosen yet
    /// and only one to choose from, that one is chosen.
    pub fn roles_loaded(&mut self, roles: Loadable<Vec<TrustedRole>>) {
        if self.role_arn.trim().is_empty()
            && let Loadable::Loaded(roles) = &roles
            && let [only] = roles.as_slice()
        {
            self.role_arn.clone_from(&only.arn);
        }
        self.roles = roles;
    }

    /// A listing for the Lambda or ECS fields came back.
    pub fn traffic_loaded(&mut self, event: TrafficEvent) {
        self.traffic.apply(event);
    }

    /// The service role chosen, as typed or picked.
    pub fn role_arn(&self) -> &str {
        &self.role_arn
    }

    /// The spec the inputs make.
    pub fn spec(&self) -> DeploymentGroupSpec {
        if self.platform != ComputePlatform::Server {
            return self.traffic_spec();
        }
        let tag_groups = |groups: &[Vec<TagFilterSpec>]| -> Vec<Vec<TagFilterSpec>> {
            groups
                .iter()
                .map(|group| {
                    group
                        .iter()
                        .filter(|filter| {
                            !(filter.key.trim().is_empty() && filter.value.trim().is_empty())
                        })
                        .map(|filter| TagFilterSpec {
                            key: filter.key.trim().to_owned(),
                            value: filter.value.trim().to_owned(),
                        })
                        .collect::<Vec<_>>()
                })
                .filter(|group| !group.is_empty())
                .collect()
        };
        let (ec2_tag_groups, on_premises_tag_groups) = match self.environment {
            Environment::Ec2 => (tag_groups(&self.ec2_groups), Vec::new()),
            Environment::OnPremises => (Vec::new(), tag_groups(&self.on_premises_groups)),
        };
        let config = match self.config_kind {
            ConfigKind::Predefined => ConfigChoice::Named(self.predefined.clone()),
            ConfigKind::Custom => ConfigChoice::Custom {
                name: self.custom_name.trim().to_owned(),
                minimum: self
                    .custom_minimum()
                    .unwrap_or(MinimumHealthyHosts::HostCount(0)),
            },
        };
        DeploymentGroupSpec {
            platform: ComputePlatform::Server,
            ecs: group_spec::EcsTrafficSpec::default(),
            application: self.application.trim().to_owned(),
            group: self.group.trim().to_owned(),
            service_role_arn: self.role_arn.trim().to_owned(),
            deployment_type: if self.blue_green {
                DeploymentType::BlueGreen {
                    reroute_at_once: self.reroute_at_once,
                    wait_minutes: self.wait_minutes,
                    terminate_original: self.terminate_original,
                    termination_wait_minutes: self.termination_wait_minutes,
                    copy_auto_scaling_group: self.copy_auto_scaling_group,
                }
            } else {
                DeploymentType::InPlace
            },
            traffic_control: self.traffic_control || self.blue_green,
            target_groups: lines(&self.target_groups),
            classic_load_balancers: lines(&self.classic_load_balancers),
            auto_scaling_groups: match self.environment {
                Environment::Ec2 => self.auto_scaling_groups.clone(),
                Environment::OnPremises => Vec::new(),
            },
            ec2_tag_groups,
            on_premises_tag_groups,
            config,
            alarms: lines(&self.alarms),
            rollback_on_failure: self.rollback_on_failure,
            rollback_on_alarm: self.rollback_on_alarm,
            triggers: self.triggers.clone(),
        }
    }

    /// The spec of a Lambda or ECS group: blue/green with traffic control,
    /// no instances, and for ECS the service and its traffic.
    fn traffic_spec(&self) -> DeploymentGroupSpec {
        let form = &self.traffic;
        DeploymentGroupSpec {
            platform: self.platform,
            ecs: if self.platform == ComputePlatform::Ecs {
                form.ecs.clone()
            } else {
                group_spec::EcsTrafficSpec::default()
            },
            application: self.application.trim().to_owned(),
            group: self.group.trim().to_owned(),
            service_role_arn: self.role_arn.trim().to_owned(),
            deployment_type: DeploymentType::BlueGreen {
                reroute_at_once: form.reroute_at_once,
                wait_minutes: form.wait_minutes,
                terminate_original: true,
                termination_wait_minutes: form.termination_wait_minutes,
                copy_auto_scaling_group: false,
            },
            traffic_control: true,
            target_groups: Vec::new(),
            classic_load_balancers: Vec::new(),
            auto_scaling_groups: Vec::new(),
            ec2_tag_groups: Vec::new(),
            on_premises_tag_groups: Vec::new(),
            config: ConfigChoice::Named(form.config.trim().to_owned()),
            alarms: lines(&self.alarms),
            rollback_on_failure: self.rollback_on_failure,
            rollback_on_alarm: self.rollback_on_alarm,
            triggers: self.triggers.clone(),
        }
    }

    /// Chooses the application `name` of `platform`; a Lambda or ECS one
    /// starts with its platform's first configuration.
    fn choose_platform(&mut self, platform: ComputePlatform) {
        if self.platform != platform {
            self.platform = platform;
            if platform != ComputePlatform::Server {
                crate::domain::traffic::default_config(platform)
                    .clone_into(&mut self.traffic.config);
            }
        }
    }

    /// The steps as the indicator shows them for the application's
    /// platform, and which of them is the current one: a Lambda or ECS
    /// group has no environment of instances, and its third step picks the
    /// service (ECS) or tells the deployment type (Lambda).
    fn shown_steps(&self) -> (Vec<&'static str>, usize) {
        let third = match self.platform {
            ComputePlatform::Server => return (STEPS.to_vec(), self.step),
            ComputePlatform::Ecs => "Service",
            ComputePlatform::Lambda => "Traffic",
        };
        let steps = STEPS
            .iter()
            .enumerate()
            .filter(|(index, _)| *index != 3)
            .map(|(index, step)| if index == 2 { third } else { *step })
            .collect();
        let shown = if self.step > 3 {
            self.step - 1
        } else {
            self.step
        };
        (steps, shown)
    }

    /// The step after (or, going back, before) `step`: a Lambda or ECS
    /// group has no environment of instances to choose.
    fn next_step(&self, step: usize, forward: bool) -> usize {
        let next = if forward {
            step + 1
        } else {
            step.saturating_sub(1)
        };
        if next == 3 && self.platform != ComputePlatform::Server {
            if forward { 4 } else { 2 }
        } else {
            next
        }
    }

    /// The custom minimum typed, or why it is refused.
    fn custom_minimum(&self) -> Result<MinimumHealthyHosts, String> {
        if self.custom_percent {
            MinimumHealthyHosts::fleet_percent(self.custom_value)
        } else {
            MinimumHealthyHosts::host_count(self.custom_value)
        }
        .map_err(|error| error.to_string())
    }

    /// The plan the inputs make.
    pub fn plan(&self) -> SetupPlan {
        let spec = self.spec();
        let mut plan =
            SetupPlan::deployment_group(&spec, self.new_application, self.editing.as_deref());
        if self.install_agent {
            plan.steps
                .extend(crate::domain::setup::agent_association_steps(&spec));
        }
        plan
    }

    /// The run, once started.
    pub fn run_mut(&mut self) -> Option<&mut PlanRun> {
        self.run.as_mut()
    }

    /// An existing group was loaded to edit, or could not be.
    pub fn spec_loaded(
        &mut self,
        current: String,
        result: Result<Option<DeploymentGroupSpec>, String>,
    ) {
        match result {
            Ok(Some(spec)) => {
                self.load(&spec);
                self.editing = Some(current);
                self.load_error = None;
                self.step = 1;
            }
            Ok(None) => {
                self.load_error = Some(format!("The deployment group {current} no longer exists."));
            }
            Err(error) => self.load_error = Some(error),
        }
    }

    /// Fills the inputs from `spec`.
    fn load(&mut self, spec: &DeploymentGroupSpec) {
        self.platform = spec.platform;
        if spec.platform != ComputePlatform::Server {
            self.traffic.ecs.clone_from(&spec.ecs);
            spec.config.name().clone_into(&mut self.traffic.config);
            if let DeploymentType::BlueGreen {
                reroute_at_once,
                wait_minutes,
                termination_wait_minutes,
                ..
            } = spec.deployment_type
            {
                self.traffic.reroute_at_once = reroute_at_once;
                self.traffic.wait_minutes = wait_minutes.max(1);
                self.traffic.termination_wait_minutes = termination_wait_minutes;
            }
        }
        self.application.clone_from(&spec.application);
        self.new_application = false;
        self.group.clone_from(&spec.group);
        self.role_arn.clone_from(&spec.service_role_arn);
        match spec.deployment_type {
            DeploymentType::InPlace => self.blue_green = false,
            DeploymentType::BlueGreen {
                reroute_at_once,
                wait_minutes,
                terminate_original,
                termination_wait_minutes,
                copy_auto_scaling_group,
            } => {
                self.blue_green = true;
                self.copy_auto_scaling_group = copy_auto_scaling_group;
                self.reroute_at_once = reroute_at_once;
                self.wait_minutes = wait_minutes;
                self.terminate_original = terminate_original;
                self.termination_wait_minutes = termination_wait_minutes;
            }
        }
        self.traffic_control = spec.traffic_control;
        self.target_groups = spec.target_groups.join("\n");
        self.classic_load_balancers = spec.classic_load_balancers.join("\n");
        self.auto_scaling_groups
            .clone_from(&spec.auto_scaling_groups);
        if spec.ec2_tag_groups.is_empty()
            && spec.auto_scaling_groups.is_empty()
            && !spec.on_premises_tag_groups.is_empty()
        {
            self.environment = Environment::OnPremises;
            self.on_premises_groups
                .clone_from(&spec.on_premises_tag_groups);
        } else {
            self.environment = Environment::Ec2;
            self.ec2_groups.clone_from(&spec.ec2_tag_groups);
        }
        if self.ec2_groups.is_empty() {
            self.ec2_groups.push(vec![TagFilterSpec::default()]);
        }
        if self.on_premises_groups.is_empty() {
            self.on_premises_groups.push(vec![TagFilterSpec::default()]);
        }
        self.config_kind = ConfigKind::Predefined;
        spec.config.name().clone_into(&mut self.predefined);
        self.alarms = spec.alarms.join("\n");
        self.rollback_on_failure = spec.rollback_on_failure;
        self.rollback_on_alarm = spec.rollback_on_alarm;
        self.triggers.clone_from(&spec.triggers);
    }

    /// The run ended: a refusal is shown at the step of its field.
    pub fn run_ended(&mut self) {
        let Some(run) = &mut self.run else { return };
        run.ended();
        self.refused.clear();
        if let Some((index, why)) = run.failure() {
            let field = match run.plan.steps.get(index) {
                Some(crate::domain::setup::SetupStep::CreateApplication { .. }) => "application",
                Some(crate::domain::setup::SetupStep::CreateDeploymentConfig { .. }) => "config",
                _ => "group",
            };
            self.refused.push(SpecProblem {
                field,
                message: why.to_owned(),
            });
        }
    }

    /// Sets the account's Auto Scaling groups, target groups and classic
    /// load balancers (each loaded or failed).
    pub fn set_fleet_choices(
        &mut self,
        auto_scaling: Loadable<Vec<AutoScalingGroupSummary>>,
        target_groups: Loadable<Vec<String>>,
        classic: Loadable<Vec<String>>,
    ) {
        self.auto_scaling_choices = auto_scaling;
        self.target_group_choices = target_groups;
        self.classic_choices = classic;
        self.match_cache.replace(None);
    }

    /// Sets the EC2 instances (loading, loaded or failed), which the live
    /// match is worked out from.
    pub fn set_instances(&mut self, instances: Loadable<Vec<Ec2InstanceSummary>>) {
        self.instances = instances;
        self.match_cache.replace(None);
        self.suggestions_cache.replace(None);
    }

    /// The instances the environment matches now, with the number of live
    /// instances.
    fn matching(&self) -> Option<(Vec<&Ec2InstanceSummary>, usize)> {
        let Loadable::Loaded(instances) = &self.instances else {
            return None;
        };
        let mut cache = self.match_cache.borrow_mut();
        if cache.as_ref().is_none_or(|cached| {
            cached.environment != self.environment
                || cached.groups != self.ec2_groups
                || cached.auto_scaling_groups != self.auto_scaling_groups
        }) {
            let groups = self.spec().ec2_tag_groups;
            // CodeDeploy deploys to the in-service instances of the Auto
            // Scaling groups beside the tagged ones.
            let from_groups: std::collections::HashSet<&str> = match &self.auto_scaling_choices {
                Loadable::Loaded(choices) => choices
                    .iter()
                    .filter(|group| self.auto_scaling_groups.contains(&group.name))
                    .flat_map(|group| &group.instances)
                    .filter(|member| member.in_service())
                    .map(|member| member.instance_id.as_str())
                    .collect(),
                _ => std::collections::HashSet::new(),
            };
            let mut live = 0;
            let matched = instances
                .iter()
                .enumerate()
                .filter(|(_, instance)| instance.is_live())
                .inspect(|_| live += 1)
                .filter(|(_, instance)| {
                    let tags: Vec<(String, String)> = instance
                        .tags
                        .iter()
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect();
                    from_groups.contains(instance.instance_id.as_str())
                        || group_spec::environment_matches(&groups, &tags)
                })
                .map(|(index, _)| index)
                .collect();
            *cache = Some(MatchCache {
                environment: self.environment,
                groups: self.ec2_groups.clone(),
                auto_scaling_groups: self.auto_scaling_groups.clone(),
                matched,
                live,
            });
        }
        let cached = cache.as_ref()?;
        let matched = cached
            .matched
            .iter()
            .filter_map(|&index| instances.get(index))
            .collect();
        Some((matched, cached.live))
    }

    /// The tag rows of the chosen environment that are refused, by tag
    /// group and row, with why.
    fn row_problems(&self) -> Vec<(usize, usize, TagRowError)> {
        let groups = match self.environment {
            Environment::Ec2 => &self.ec2_groups,
            Environment::OnPremises => &self.on_premises_groups,
        };
        let untouched = groups
            .iter()
            .flatten()
            .all(|filter| filter.key.trim().is_empty() && filter.value.trim().is_empty());
        if untouched && self.environment == Environment::Ec2 && !self.auto_scaling_groups.is_empty()
        {
            // Auto Scaling groups alone choose the instances: the blank
            // row is not a slip.
            return Vec::new();
        }
        groups
            .iter()
            .enumerate()
            .flat_map(|(group, rows)| {
                rows.iter().enumerate().filter_map(move |(row, filter)| {
                    check_tag_filter_row(&filter.key, &filter.value)
                        .err()
                        .map(|error| (group, row, error))
                })
            })
            .collect()
    }

    /// The problems of the current step's fields.
    fn step_problems(&self) -> Vec<SpecProblem> {
        let Some(fields) = STEP_FIELDS.get(self.step) else {
            return Vec::new();
        };
        let mut problems: Vec<SpecProblem> = self
            .spec()
            .problems()
            .into_iter()
            .filter(|problem| fields.contains(&problem.field))
            .collect();
        if self.step == 0 && !self.new_application && self.application.trim().is_empty() {
            // There is no name field on this step until "A new application"
            // is chosen: say what to choose instead.
            problems.retain(|problem| problem.field != "application");
            problems.push(SpecProblem {
                field: "application",
                message: "Choose an application, or choose \"A new application\" and name it."
                    .to_owned(),
            });
        }
        if self.step == 3 {
            let rows = self.row_problems();
            if !rows.is_empty() {
                // The rows say what is wrong; the spec's own words about
                // the same tags would repeat them under the group box.
                problems.retain(|problem| {
                    problem.field != "ec2 tags" && problem.field != "on-premises tags"
                });
            }
            problems.extend(rows.into_iter().map(|(group, row, error)| SpecProblem {
                field: "tag row",
                message: format!("Tag group {}, row {}: {error}", group + 1, row + 1),
            }));
        }
        if self.step == 4
            && self.config_kind == ConfigKind::Custom
            && let Err(error) = self.custom_minimum()
        {
            problems.push(SpecProblem {
                field: "config",
                message: error,
            });
        }
        problems
    }

    /// Draws the wizard.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let title = match &self.editing {
            Some(name) => format!("Edit the deployment group {name}"),
            None => "Create a deployment group".to_owned(),
        };
        ui.heading(title);
        ui.label(match self.platform {
            ComputePlatform::Server => "A deployment group is the set of instances a deployment goes to, chosen by their tags or Auto Scaling groups, with how the rollout proceeds.",
            ComputePlatform::Ecs => "A deployment group of an ECS application names the service a deployment replaces, the two target groups and listeners that move its traffic, and how the traffic moves.",
            ComputePlatform::Lambda => "A deployment group of a Lambda application says how a deployment moves a function alias's traffic to the new version, and what stops or rolls it back.",
        });
        ui.add_space(4.0);
        let (steps, shown) = self.shown_steps();
        wizard::steps_ui(ui, &steps, shown);
        ui.add_space(8.0);
        let mut request = None;
        if self.step >= 7 {
            return wizard::body_ui(ui, |ui| self.run_ui(ui));
        }
        wizard::body_ui(ui, |ui| {
            request = match self.step {
                0 => self.application_ui(ui),
                1 => self.group_ui(ui),
                2 if self.platform == ComputePlatform::Ecs => self.ecs_ui(ui),
                2 if self.platform == ComputePlatform::Lambda => {
                    TrafficForm::lambda_ui(ui);
                    None
                }
                2 => self.type_ui(ui),
                3 => self.environment_ui(ui),
                4 if self.platform != ComputePlatform::Server => self
                    .traffic
                    .config_ui(ui, self.platform)
                    .map(GroupRequest::Traffic),
                4 => {
                    self.config_ui(ui);
                    None
                }
                5 => self.options_ui(ui),
                _ => {
                    review_plan_ui(ui, &self.plan());
                    None
                }
            };
            for problem in &self.refused {
                if STEP_FIELDS
                    .get(self.step)
                    .is_some_and(|fields| fields.contains(&problem.field))
                {
                    ui.label(
                        RichText::new(format!("AWS refused this: {}", problem.message))
                            .color(ui.visuals().error_fg_color),
                    );
                }
            }
        });
        let problems = self.step_problems();
        let next = match (self.step, &self.editing) {
            (6, Some(_)) => "Update",
            (6, None) => "Create",
            _ => "Next",
        };
        let marked = self.touched.attempted() && !problems.is_empty();
        match wizard::nav_ui(ui, self.step > 0, next, None, marked) {
            Some(Nav::Back) => {
                self.step = self.next_step(self.step, false);
                self.touched.clear();
            }
            Some(Nav::Cancel) => request = Some(GroupRequest::Close),
            Some(Nav::Next) if !problems.is_empty() => self.touched.attempt(),
            Some(Nav::Next) => {
                self.touched.clear();
                if self.step == 6 {
                    let mut run = PlanRun::new(self.plan());
                    let started = run.start();
                    self.run = Some(run);
                    self.refused.clear();
                    request = Some(GroupRequest::Run(started));
                }
                self.step = self.next_step(self.step, true);
            }
            None => {}
        }
        request
    }

    fn application_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let mut request = None;
        ui.label(RichText::new("Which application is the group for?").strong());
        match &self.applications {
            Loadable::NotLoaded => request = Some(GroupRequest::LoadApplications),
            Loadable::Loading => {
                ui.spinner();
            }
            Loadable::Failed(error) => {
                wizard::error_line_ui(ui, error);
                if ui.button("Load applications again").clicked() {
                    request = Some(GroupRequest::LoadApplications);
                }
            }
            Loadable::Loaded(applications) => {
                if applications.is_empty() {
                    ui.label(RichText::new("No application yet: name a new one below.").weak());
                }
                let mut picked = None;
                for application in applications {
                    let selected = !self.new_application && self.application == application.name;
                    let platform = application.platform.unwrap_or_default();
                    let label = match platform {
                        ComputePlatform::Server => application.name.clone(),
                        other => format!("{} ({})", application.name, other.as_str()),
                    };
                    if ui.radio(selected, label).clicked() {
                        picked = Some(platform);
                        self.touched.clear();
                        self.application.clone_from(&application.name);
                        self.new_application = false;
                        self.editing = None;
                        request = Some(GroupRequest::LoadGroups(application.name.clone()));
                    }
                }
                if let Some(platform) = picked {
                    self.choose_platform(platform);
                }
            }
        }
        ui.add_space(6.0);
        if ui
            .radio(self.new_application, "A new application")
            .clicked()
        {
            // A new choice starts afresh: its name field says nothing
            // until it is used or Next is pressed again.
            self.touched.clear();
            self.new_application = true;
            self.application.clear();
            self.editing = None;
            self.choose_platform(ComputePlatform::Server);
        }
        if self.new_application {
            let error = names::validate_name(NameKind::Application, self.application.trim())
                .err()
                .map(|error| error.to_string());
            let response = wizard::field_ui(
                ui,
                "New application name",
                &mut self.application,
                "e.g. web-shop",
                self.touched.shown("application", error.as_deref()),
            );
            self.touched.note("application", &response);
            ui.horizontal_wrapped(|ui| {
                ui.label("It deploys to");
                let mut platform = self.platform;
                for choice in ComputePlatform::ALL {
                    ui.radio_value(&mut platform, choice, choice.label());
                }
                self.choose_platform(platform);
            });
        } else if self.touched.attempted() && self.application.trim().is_empty() {
            wizard::error_line_ui(
                ui,
                "Choose an application, or choose \"A new application\" and name it.",
            );
        }
        if !self.new_application && !self.application.is_empty() {
            ui.add_space(8.0);
            ui.label(
                RichText::new(format!(
                    "Groups of {} you can edit instead",
                    self.application
                ))
                .strong(),
            );
            match &self.groups {
                Loadable::Loaded(groups) if groups.is_empty() => {
                    ui.label(RichText::new("None yet.").weak());
                }
                Loadable::Loaded(groups) => {
                    for group in groups {
                        if ui
                            .button(format!("Edit {group}"))
                            .on_hover_text("Load this group's settings into the wizard")
                            .clicked()
                        {
                            request = Some(GroupRequest::LoadSpec {
                                application: self.application.clone(),
                                group: group.clone(),
                            });
                        }
                    }
                }
                Loadable::Failed(error) => {
                    ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                }
                Loadable::Loading | Loadable::NotLoaded => {
                    ui.spinner();
                }
            }
            if let Some(error) = &self.load_error {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
        }
        request
    }

    fn group_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let mut request = None;
        let error = names::validate_name(NameKind::DeploymentGroup, self.group.trim())
            .err()
            .map(|error| error.to_string());
        let response = wizard::field_ui(
            ui,
            "Deployment group name",
            &mut self.group,
            "e.g. production",
            self.touched.shown("group", error.as_deref()),
        );
        self.touched.note("group", &response);
        ui.add_space(8.0);
        ui.label(RichText::new("Service role").strong());
        let reaches = match self.platform {
            ComputePlatform::Server => "your instances",
            ComputePlatform::Lambda => "your functions and their aliases",
            ComputePlatform::Ecs => "your ECS service and its load balancer",
        };
        ui.label(RichText::new(format!("The role CodeDeploy assumes to reach {reaches}.")).weak());
        match &self.roles {
            Loadable::NotLoaded => request = Some(GroupRequest::LoadRoles),
            Loadable::Loading => {
                ui.spinner();
            }
            Loadable::Failed(error) => {
                ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
            }
            Loadable::Loaded(roles) => {
                for role in roles {
                    if ui
                        .radio(self.role_arn == role.arn, role.name.as_str())
                        .on_hover_text(role.arn.as_str())
                        .clicked()
                    {
                        self.role_arn.clone_from(&role.arn);
                    }
                }
                if roles.is_empty() {
                    ui.label(
                        RichText::new("No role in this account trusts CodeDeploy yet.").weak(),
                    );
                }
            }
        }
        if ui
            .button("Create a service role…")
            .on_hover_text("Open the service role wizard and come back here")
            .clicked()
        {
            request = Some(GroupRequest::CreateServiceRole);
        }
        let arn_label = ui.label("Service role ARN");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut self.role_arn)
                    .id_salt("service role arn")
                    .hint_text("e.g. arn:aws:iam::123456789012:role/CodeDeployServiceRole")
                    .desired_width(460.0),
            )
            .labelled_by(arn_label.id);
        self.touched.note("role", &response);
        if self.touched.shows("role") {
            for problem in self.spec().problems() {
                if problem.field == "role" {
                    wizard::error_line_ui(ui, &problem.message);
                }
            }
        }
        request
    }

    /// The ECS group's type step: the service and its traffic, with the
    /// step's problems once a field was used or Next pressed.
    fn ecs_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let request = self
            .traffic
            .ecs_ui(ui, &self.target_group_choices, &mut self.touched)
            .map(GroupRequest::Traffic)
            .or_else(|| self.fleet_choices_request());
        for problem in self.step_problems() {
            if self.touched.shows(problem.field) {
                wizard::error_line_ui(ui, &problem.message);
            }
        }
        request
    }

    fn type_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let mut request = None;
        ui.label(RichText::new("How is the application replaced?").strong());
        ui.radio_value(
            &mut self.blue_green,
            false,
            "In-place: each instance is stopped, updated and started again",
        );
        ui.radio_value(
            &mut self.blue_green,
            true,
            "Blue/green: a new set of instances takes over the traffic",
        );
        if self.blue_green {
            ui.indent("blue_green", |ui| {
                ui.radio_value(
                    &mut self.copy_auto_scaling_group,
                    false,
                    "The new instances are ones that already exist",
                );
                ui.radio_value(
                    &mut self.copy_auto_scaling_group,
                    true,
                    "The new instances come from a copy of the Auto Scaling group",
                );
                ui.add_space(4.0);
                ui.radio_value(
                    &mut self.reroute_at_once,
                    true,
                    "Reroute traffic as soon as the new instances are ready",
                );
                ui.radio_value(
                    &mut self.reroute_at_once,
                    false,
                    "Wait for me to continue the deployment",
                );
                if !self.reroute_at_once {
                    ui.horizontal(|ui| {
                        let label = ui.label("Stop if not continued within (minutes)");
                        ui.add(
                            egui::DragValue::new(&mut self.wait_minutes)
                                .range(1..=MAX_BLUE_GREEN_WAIT_MINUTES),
                        )
                        .labelled_by(label.id);
                    });
                }
                ui.checkbox(
                    &mut self.terminate_original,
                    "Terminate the original instances afterwards",
                );
                ui.horizontal(|ui| {
                    let label = ui.label("After (minutes)");
                    ui.add(
                        egui::DragValue::new(&mut self.termination_wait_minutes)
                            .range(0..=MAX_BLUE_GREEN_WAIT_MINUTES),
                    )
                    .labelled_by(label.id);
                });
            });
        } else {
            ui.checkbox(
                &mut self.traffic_control,
                "Take each instance out of its load balancer while it is updated",
            );
        }
        if self.blue_green || self.traffic_control {
            request = self.fleet_choices_request();
            ui.add_space(4.0);
            ui.label(RichText::new("Load balancer").strong());
            if let Some(retry) = self.load_balancer_ui(ui) {
                request = Some(retry);
            }
        }
        if self.touched.shows("type") {
            for problem in self.step_problems() {
                wizard::error_line_ui(ui, &problem.message);
            }
        }
        request
    }

    /// Asks for the account's Auto Scaling groups and load balancers the
    /// first time a step needs them.
    fn fleet_choices_request(&self) -> Option<GroupRequest> {
        matches!(self.auto_scaling_choices, Loadable::NotLoaded)
            .then_some(GroupRequest::LoadFleetChoices)
    }

    /// The target groups and classic load balancers, ticked from the
    /// account's lists or typed.
    fn load_balancer_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let mut request = None;
        for (what, heading, hint, choices, text) in [
            (
                "target groups",
                "Target groups (one per line)",
                "e.g. web-target-group",
                &self.target_group_choices,
                &mut self.target_groups,
            ),
            (
                "classic load balancers",
                "Classic load balancers (one per line)",
                "e.g. web-classic-elb",
                &self.classic_choices,
                &mut self.classic_load_balancers,
            ),
        ] {
            if account_list_ui(ui, what, choices) {
                request = Some(GroupRequest::LoadFleetChoices);
            }
            if let Loadable::Loaded(names) = choices
                && !names.is_empty()
            {
                let mut chosen = lines(text);
                let choices: Vec<(String, String, Option<String>)> = names
                    .iter()
                    .map(|name| (name.clone(), name.clone(), None))
                    .collect();
                if tick_names_ui(ui, &choices, &mut chosen, |_, _, _| {}) {
                    *text = chosen.join("\n");
                }
            }
            let label = ui.label(heading);
            let response = ui
                .add(
                    egui::TextEdit::multiline(text)
                        .id_salt(what)
                        .hint_text(hint)
                        .desired_rows(1),
                )
                .labelled_by(label.id);
            self.touched.note("type", &response);
        }
        request
    }

    fn environment_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let mut request = None;
        ui.horizontal(|ui| {
            ui.radio_value(&mut self.environment, Environment::Ec2, "EC2 instances");
            ui.radio_value(
                &mut self.environment,
                Environment::OnPremises,
                "On-premises instances",
            );
        });
        ui.label(
            "Tags choose the instances. Within a tag group an instance needs any one of the tags; with several groups it needs a tag from every group.",
        );
        if self.environment == Environment::Ec2 {
            if matches!(self.instances, Loadable::NotLoaded) {
                request = Some(GroupRequest::LoadInstances);
            } else {
                request = self.fleet_choices_request();
            }
        }
        let suggestions = self.tag_suggestions();
        let row_errors: Vec<((usize, usize), String)> = self
            .row_problems()
            .into_iter()
            .map(|(group, row, error)| {
                let text = match error {
                    TagRowError::Empty => {
                        "This row is empty: type a key (e.g. Environment), or remove the row."
                            .to_owned()
                    }
                    other => other.to_string(),
                };
                ((group, row), text)
            })
            .collect();
        let groups = match self.environment {
            Environment::Ec2 => &mut self.ec2_groups,
            Environment::OnPremises => &mut self.on_premises_groups,
        };
        tag_groups_ui(ui, groups, &suggestions, &row_errors, &mut self.touched);
        if self.touched.attempted() {
            // What is not about one row: too many groups, or no tag at all.
            for problem in self.step_problems() {
                if problem.field != "tag row" {
                    wizard::error_line_ui(ui, &problem.message);
                }
            }
        }
        if self.environment == Environment::Ec2 {
            ui.add_space(8.0);
            if let Some(retry) = self.auto_scaling_ui(ui) {
                request = Some(retry);
            }
        }
        ui.add_space(8.0);
        if self.environment == Environment::Ec2 {
            match &self.instances {
                Loadable::Loading | Loadable::NotLoaded => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Loading instances…");
                    });
                }
                Loadable::Failed(error) => {
                    ui.label(RichText::new(error.as_str()).color(ui.visuals().error_fg_color));
                    if ui.button("Load instances again").clicked() {
                        request = Some(GroupRequest::LoadInstances);
                    }
                }
                Loadable::Loaded(_) => {
                    if let Some((matched, total)) = self.matching() {
                        ui.label(
                            RichText::new(format!("{} of {total} instances match", matched.len()))
                                .strong(),
                        );
                        for instance in matched.iter().take(50) {
                            ui.label(format!(
                                "{}  {}  ({})",
                                instance.instance_id,
                                instance.name.as_deref().unwrap_or(""),
                                instance.state
                            ));
                        }
                        if matched.len() > 50 {
                            ui.label(format!("and {} more", matched.len() - 50));
                        }
                    }
                    if ui.small_button("Reload instances").clicked() {
                        request = Some(GroupRequest::LoadInstances);
                        // The Auto Scaling groups' sizes are listed again
                        // on the next frame.
                        self.auto_scaling_choices = Loadable::NotLoaded;
                    }
                }
            }
            ui.add_space(6.0);
            ui.checkbox(
                &mut self.install_agent,
                "Install the CodeDeploy agent through Systems Manager, and keep it updated every 14 days",
            )
            .on_hover_text("Makes a Systems Manager association over these instances, as the CodeDeploy console offers: the agent is installed now and again on the schedule, and instances that join the group later get it too.");
        } else {
            ui.label(
                RichText::new(
                    "On-premises instances are matched by the tags they were registered with.",
                )
                .weak(),
            );
        }
        request
    }

    /// The Auto Scaling groups whose instances the group also deploys to,
    /// ticked from the account's with their size and health.
    fn auto_scaling_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let mut request = None;
        ui.label(RichText::new("Auto Scaling groups (optional)").strong());
        ui.label(
            RichText::new(
                "Their in-service instances are deployed to with the tagged ones, and each instance they launch later gets the last successful revision.",
            )
            .weak(),
        );
        if account_list_ui(ui, "Auto Scaling groups", &self.auto_scaling_choices) {
            request = Some(GroupRequest::LoadFleetChoices);
        }
        let Loadable::Loaded(groups) = &self.auto_scaling_choices else {
            return request;
        };
        let mut choices: Vec<(String, String, Option<String>)> = groups
            .iter()
            .map(|group| {
                (
                    group.name.clone(),
                    format!("{} ({})", group.name, group.size_words()),
                    None,
                )
            })
            .collect();
        // A group named before that the account no longer has stays
        // visible, so it can be unticked.
        for name in &self.auto_scaling_groups {
            if !groups.iter().any(|group| &group.name == name) {
                choices.push((
                    name.clone(),
                    format!("{name} (not in the account)"),
                    Some("Auto Scaling has no group of this name in this region.".to_owned()),
                ));
            }
        }
        let scaling: Vec<bool> = choices
            .iter()
            .map(|(name, _, _)| {
                groups
                    .iter()
                    .any(|group| &group.name == name && group.scaling_out())
            })
            .collect();
        if tick_names_ui(
            ui,
            &choices,
            &mut self.auto_scaling_groups,
            |ui, index, on| {
                if on && scaling.get(index).copied().unwrap_or(false) {
                    ui.label(RichText::new("scaling out now").color(ui.visuals().warn_fg_color));
                }
            },
        ) {
            self.match_cache.replace(None);
        }
        request
    }

    /// Tag keys and values of the account's instances, for suggestions.
    fn tag_suggestions(&self) -> Vec<(String, String)> {
        let Loadable::Loaded(instances) = &self.instances else {
            return Vec::new();
        };
        self.suggestions_cache
            .borrow_mut()
            .get_or_insert_with(|| {
                let mut pairs: Vec<(String, String)> = instances
                    .iter()
                    .flat_map(|instance| instance.tags.iter())
                    .filter(|(key, _)| key.as_str() != "Name")
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect();
                pairs.sort();
                pairs.dedup();
                pairs
            })
            .clone()
    }

    fn config_ui(&mut self, ui: &mut egui::Ui) {
        ui.radio_value(
            &mut self.config_kind,
            ConfigKind::Predefined,
            "A predefined configuration",
        );
        if self.config_kind == ConfigKind::Predefined {
            ui.indent("predefined", |ui| {
                for (name, words) in [
                    (ONE_AT_A_TIME, "one instance at a time"),
                    (HALF_AT_A_TIME, "up to half of the instances at a time"),
                    (ALL_AT_ONCE, "all instances at once"),
                ] {
                    ui.radio_value(
                        &mut self.predefined,
                        name.to_owned(),
                        format!("{name}: {words}"),
                    );
                }
            });
        }
        ui.radio_value(
            &mut self.config_kind,
            ConfigKind::Custom,
            "A custom configuration, created with the group",
        );
        if self.config_kind == ConfigKind::Custom {
            ui.indent("custom", |ui| {
                let error = names::validate_custom_config_name(self.custom_name.trim())
                    .err()
                    .map(|error| error.to_string());
                let response = wizard::field_ui(
                    ui,
                    "Configuration name",
                    &mut self.custom_name,
                    "e.g. KeepThreeQuarters",
                    self.touched.shown("config", error.as_deref()),
                );
                self.touched.note("config", &response);
                ui.horizontal(|ui| {
                    ui.radio_value(
                        &mut self.custom_percent,
                        true,
                        "Percent of the fleet kept healthy",
                    );
                    ui.radio_value(
                        &mut self.custom_percent,
                        false,
                        "Number of instances kept healthy",
                    );
                });
                let label = ui.label("Minimum healthy hosts");
                ui.add(egui::DragValue::new(&mut self.custom_value).range(-1..=1000))
                    .labelled_by(label.id);
                if let Err(error) = self.custom_minimum() {
                    wizard::error_line_ui(ui, &error);
                }
            });
        }
        ui.add_space(8.0);
        self.preview_ui(ui);
    }

    /// The rollout planner's preview for the matched fleet.
    fn preview_ui(&self, ui: &mut egui::Ui) {
        let minimum = match self.config_kind {
            ConfigKind::Predefined => {
                crate::domain::config::DeploymentConfig::predefined(&self.predefined)
                    .map(|config| config.minimum_healthy_hosts)
                    .ok()
            }
            ConfigKind::Custom => self.custom_minimum().ok(),
        };
        let Some(minimum) = minimum else { return };
        let Some((matched, _)) = self.matching() else {
            return;
        };
        if self.environment != Environment::Ec2 || matched.is_empty() {
            return;
        }
        ui.label(
            RichText::new(format!(
                "How a first deployment to the {} matched instances goes",
                matched.len()
            ))
            .strong(),
        );
        let healths = vec![Health::NEW; matched.len()];
        match rollout::plan(&healths, minimum) {
            Ok(simulation) => {
                for line in rollout::explain(minimum, &simulation) {
                    ui.label(line);
                }
            }
            Err(error) => {
                ui.label(RichText::new(error.to_string()).color(ui.visuals().warn_fg_color));
            }
        }
    }

    fn options_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let mut request = None;
        if matches!(self.alarm_choices, Loadable::NotLoaded)
            || matches!(self.topic_choices, Loadable::NotLoaded)
        {
            request = Some(GroupRequest::LoadAlarmsAndTopics);
        }
        ui.label(RichText::new("CloudWatch alarms (optional)").strong());
        if account_list_ui(ui, "alarms", &self.alarm_choices) {
            request = Some(GroupRequest::LoadAlarmsAndTopics);
        }
        if let Loadable::Loaded(alarms) = &self.alarm_choices
            && !alarms.is_empty()
        {
            ui.label(
                RichText::new("Tick the alarms that stop a deployment when they go off:").weak(),
            );
            let choices: Vec<(String, String, Option<String>)> = alarms
                .iter()
                .map(|alarm| {
                    let state = alarm.state.map_or("unknown", AlarmStateValue::as_str);
                    (
                        alarm.name.clone(),
                        format!("{} ({state})", alarm.name),
                        alarm.reason.clone(),
                    )
                })
                .collect();
            let mut chosen = lines(&self.alarms);
            let changed = tick_names_ui(ui, &choices, &mut chosen, |ui, index, on| {
                if on && alarms[index].state == Some(AlarmStateValue::Alarm) {
                    ui.label(
                        RichText::new("in ALARM now: a deployment would stop at once")
                            .color(ui.visuals().error_fg_color),
                    );
                }
            });
            if changed {
                self.alarms = chosen.join("\n");
            }
        }
        let label = ui.label("Alarms that stop a deployment (one per line)");
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut self.alarms)
                    .id_salt("alarms")
                    .hint_text("e.g. web-5xx-errors")
                    .desired_rows(2),
            )
            .labelled_by(label.id);
        self.touched.note("alarms", &response);
        ui.checkbox(
            &mut self.rollback_on_failure,
            "Roll back when a deployment fails",
        );
        ui.checkbox(
            &mut self.rollback_on_alarm,
            "Roll back when an alarm stops a deployment",
        );
        ui.add_space(8.0);
        ui.label(RichText::new("Notifications (optional)").strong());
        let mut remove = None;
        for (index, trigger) in self.triggers.iter_mut().enumerate() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                wizard::field_ui(
                    ui,
                    &format!("Trigger {} name", index + 1),
                    &mut trigger.name,
                    "e.g. notify-team",
                    None,
                );
                match &self.topic_choices {
                    Loadable::Loaded(topics) if !topics.is_empty() => {
                        let shown = if trigger.topic_arn.is_empty() {
                            "choose a topic…".to_owned()
                        } else {
                            sns::topic_name(&trigger.topic_arn).to_owned()
                        };
                        egui::ComboBox::from_label(format!("Trigger {} SNS topic", index + 1))
                            .selected_text(shown)
                            .show_ui(ui, |ui| {
                                for arn in topics {
                                    ui.selectable_value(
                                        &mut trigger.topic_arn,
                                        arn.clone(),
                                        sns::topic_name(arn),
                                    )
                                    .on_hover_text(arn);
                                }
                            });
                    }
                    _ => {
                        wizard::field_ui(
                            ui,
                            &format!("Trigger {} SNS topic ARN", index + 1),
                            &mut trigger.topic_arn,
                            "e.g. arn:aws:sns:us-east-1:123456789012:deployments",
                            None,
                        );
                    }
                }
                ui.horizontal_wrapped(|ui| {
                    for event in TRIGGER_EVENTS {
                        let mut on = trigger.events.iter().any(|chosen| chosen == event);
                        if ui.checkbox(&mut on, event).changed() {
                            if on {
                                trigger.events.push(event.to_owned());
                            } else {
                                trigger.events.retain(|chosen| chosen != event);
                            }
                        }
                    }
                });
                if ui
                    .add(
                        Action::secondary(&format!("Remove trigger {}", index + 1))
                            .visible("Remove this trigger")
                            .icon(icons::ICON_DELETE)
                            .small(),
                    )
                    .clicked()
                {
                    remove = Some(index);
                }
            });
        }
        if let Some(index) = remove {
            self.triggers.remove(index);
        }
        if ui
            .add(Action::secondary("Add a trigger").icon(icons::ICON_ADD))
            .clicked()
        {
            self.triggers.push(TriggerSpec {
                events: vec!["DeploymentFailure".to_owned()],
                ..TriggerSpec::default()
            });
        }
        if self.touched.shows("alarms") {
            for problem in self.step_problems() {
                wizard::error_line_ui(ui, &problem.message);
            }
        }
        request
    }

    fn run_ui(&mut self, ui: &mut egui::Ui) -> Option<GroupRequest> {
        let Some(run) = &mut self.run else {
            self.step = 6;
            return None;
        };
        let mut request = run.ui(ui).map(GroupRequest::Run);
        let complete = run.is_complete();
        if complete {
            ui.label(
                RichText::new(format!(
                    "Done: the deployment group {} is ready for deployments.",
                    self.group.trim()
                ))
                .color(wizard::DONE_GREEN),
            );
        }
        if !run.running {
            ui.separator();
            ui.horizontal_wrapped(|ui| {
                if complete {
                    let name = format!("Deploy to {}", self.group.trim());
                    if ui
                        .add(
                            Action::primary(&name)
                                .icon(icons::ICON_ROCKET_LAUNCH)
                                .hover("Open the Deploy dialog for this application"),
                        )
                        .clicked()
                    {
                        request = Some(GroupRequest::Deploy(self.application.trim().to_owned()));
                    }
                }
                if ui.add(Action::secondary("Back to the review")).clicked() {
                    self.step = 6;
                }
                if ui.add(Action::secondary("Close")).clicked() {
                    request = Some(GroupRequest::Close);
                }
            });
        }
        request
    }
}

/// What the account has of `what` (e.g. "target groups") while it is
/// listed, or why it could not be, with a button to list it again
/// (returns whether that was pressed). Nothing is shown once the list is in
/// and not empty: the caller shows it.
fn account_list_ui<T>(ui: &mut egui::Ui, what: &str, choices: &Loadable<Vec<T>>) -> bool {
    match choices {
        Loadable::NotLoaded | Loadable::Loading => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Listing the account's {what}…"));
            });
            false
        }
        Loadable::Failed(error) => {
            ui.label(
                RichText::new(format!(
                    "The account's {what} could not be listed ({error}); type their names instead."
                ))
                .color(ui.visuals().warn_fg_color),
            );
            ui.add(Action::secondary(&format!("List the {what} again")))
                .clicked()
        }
        Loadable::Loaded(list) if list.is_empty() => {
            ui.label(RichText::new(format!("The account has no {what} in this region.")).weak());
            false
        }
        Loadable::Loaded(_) => false,
    }
}

/// A checkbox for each of `choices` (name, label, hover text), ticking
/// and unticking names in `chosen`; a name chosen that is not among them
/// keeps its place. `after` draws what follows each box, told whether it
/// is ticked. Returns whether `chosen` changed.
fn tick_names_ui(
    ui: &mut egui::Ui,
    choices: &[(String, String, Option<String>)],
    chosen: &mut Vec<String>,
    mut after: impl FnMut(&mut egui::Ui, usize, bool),
) -> bool {
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        for (index, (name, label, hover)) in choices.iter().enumerate() {
            let mut on = chosen.contains(name);
            let mut response = ui.checkbox(&mut on, label.as_str());
            if let Some(hover) = hover {
                response = response.on_hover_text(hover.as_str());
            }
            if response.changed() {
                changed = true;
                if on {
                    chosen.push(name.clone());
                } else {
                    chosen.retain(|other| other != name);
                }
            }
            after(ui, index, on);
        }
    });
    changed
}

/// The non-empty trimmed lines (or comma-separated items) of `text`.
fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Edits tag groups: rows of key and value, add and remove rows and groups,
/// with the account's tags offered as suggestions. `row_errors` holds why
/// a row is refused, by tag group and row; it shows under the row once the
/// row was used or Next was pressed.
fn tag_groups_ui(
    ui: &mut egui::Ui,
    groups: &mut Vec<Vec<TagFilterSpec>>,
    suggestions: &[(String, String)],
    row_errors: &[((usize, usize), String)],
    touched: &mut Touched,
) {
    let mut remove_group = None;
    let count = groups.len();
    for (group_index, group) in groups.iter_mut().enumerate() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new(format!("Tag group {}", group_index + 1)).strong());
            let mut remove_row = None;
            for (row, filter) in group.iter_mut().enumerate() {
                let name = format!("group {} tag {}", group_index + 1, row + 1);
                let field = format!("tag row {group_index} {row}");
                ui.horizontal_wrapped(|ui| {
                    let key = ui.label("Key");
                    let response = ui
                        .add(
                            egui::TextEdit::singleline(&mut filter.key)
                                .id_salt(("tag key", group_index, row))
                                .desired_width(160.0)
                                .hint_text("e.g. Environment"),
                        )
                        .labelled_by(key.id)
                        .on_hover_text(format!("Key of {name}"));
                    touched.note(&field, &response);
                    let value = ui.label("Value");
                    let response = ui
                        .add(
                            egui::TextEdit::singleline(&mut filter.value)
                                .id_salt(("tag value", group_index, row))
                                .desired_width(160.0)
                                .hint_text("e.g. production"),
                        )
                        .labelled_by(value.id)
                        .on_hover_text(format!("Value of {name}"));
                    touched.note(&field, &response);
                    if !suggestions.is_empty() {
                        let picked = suggestions_menu_ui(
                            ui,
                            &format!("Existing tags for {name}"),
                            suggestions,
                        );
                        if let Some((key, value)) = picked {
                            filter.key = key;
                            filter.value = value;
                            touched.touch(&field);
                        }
                    }
                    if ui
                        .add(Action::icon_only(
                            icons::ICON_CLOSE,
                            &format!("Remove {name}"),
                        ))
                        .clicked()
                    {
                        remove_row = Some(row);
                    }
                });
                if let Some((_, error)) =
                    row_errors.iter().find(|(at, _)| *at == (group_index, row))
                    && touched.shows(&field)
                {
                    wizard::error_line_ui(ui, error);
                }
            }
            if let Some(row) = remove_row {
                group.remove(row);
            }
            ui.horizontal(|ui| {
                if group.len() < MAX_TAGS_PER_GROUP
                    && ui
                        .add(
                            Action::secondary(&format!("Add a tag to group {}", group_index + 1))
                                .visible("Add a tag")
                                .icon(icons::ICON_ADD)
                                .small(),
                        )
                        .clicked()
                {
                    group.push(TagFilterSpec::default());
                }
                if count > 1
                    && ui
                        .add(
                            Action::secondary(&format!("Remove tag group {}", group_index + 1))
                                .visible("Remove this group")
                                .icon(icons::ICON_DELETE)
                                .small(),
                        )
                        .clicked()
                {
                    remove_group = Some(group_index);
                }
            });
        });
    }
    if let Some(index) = remove_group {
        groups.remove(index);
    }
    if groups.len() < MAX_TAG_SET_GROUPS
        && ui
            .add(Action::secondary("Add a tag group").icon(icons::ICON_ADD))
            .clicked()
    {
        groups.push(vec![TagFilterSpec::default()]);
    }
}

/// A small icon button that opens the account's existing tags to pick one.
/// `name` is its accessible name and tooltip; the button shows only an
/// icon. Returns the tag picked.
fn suggestions_menu_ui(
    ui: &mut egui::Ui,
    name: &str,
    suggestions: &[(String, String)],
) -> Option<(String, String)> {
    let mut picked = None;
    let button = egui::Button::new(icons::ICON_SELL.rich_text().size(18.0)).frame(false);
    let (response, _) = egui::containers::menu::MenuButton::from_button(button).ui(ui, |ui| {
        ui.label(RichText::new("Tags your instances have").weak());
        for (key, value) in suggestions {
            if ui.button(format!("{key}={value}")).clicked() {
                picked = Some((key.clone(), value.clone()));
                ui.close();
            }
        }
    });
    let enabled = ui.is_enabled();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, name));
    response.on_hover_text(name);
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_leaves_out_empty_rows_and_follows_the_chosen_environment() {
        let mut wizard = DeploymentGroupWizard {
            application: " web ".to_owned(),
            group: "prod".to_owned(),
            role_arn: "arn:aws:iam::000000000000:role/R".to_owned(),
            ec2_groups: vec![
                vec![
                    TagFilterSpec {
                        key: "Environment".to_owned(),
                        value: "prod".to_owned(),
                    },
                    TagFilterSpec::default(),
                ],
                vec![TagFilterSpec::default()],
            ],
            ..DeploymentGroupWizard::default()
        };
        let spec = wizard.spec();
        assert_eq!(spec.application, "web");
        assert_eq!(spec.ec2_tag_groups.len(), 1);
        assert_eq!(spec.ec2_tag_groups[0].len(), 1);
        assert!(spec.on_premises_tag_groups.is_empty());
        assert_eq!(spec.problems(), []);
        wizard.environment = Environment::OnPremises;
        assert!(wizard.spec().ec2_tag_groups.is_empty());
        assert!(
            wizard
                .spec()
                .problems()
                .iter()
                .any(|problem| problem.message.starts_with("Add at least one tag"))
        );
    }

    #[test]
    fn a_custom_configuration_is_checked_before_it_is_made() {
        let mut wizard = DeploymentGroupWizard {
            config_kind: ConfigKind::Custom,
            custom_name: "KeepMost".to_owned(),
            custom_value: 100,
            step: 4,
            ..DeploymentGroupWizard::default()
        };
        assert!(
            wizard
                .step_problems()
                .iter()
                .any(|problem| problem.message.contains("99")),
            "{:?}",
            wizard.step_problems()
        );
        wizard.custom_value = 75;
        assert_eq!(wizard.step_problems(), []);
        wizard.custom_name = "CodeDeployDefault.Mine".to_owned();
        assert!(!wizard.step_problems().is_empty());
    }
}
