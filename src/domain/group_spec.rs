//! A deployment group as the deployment group wizard describes it: every
//! setting with AWS's limits checked before any call, and the exact
//! `CreateDeploymentGroup` / `UpdateDeploymentGroup` input it becomes (which
//! the review page shows and the AWS CLI accepts with `--cli-input-json`).

use serde_json::{Value, json};

use super::ComputePlatform;
use super::config::MinimumHealthyHosts;
use super::iam_names::parse_role_arn;
use super::names::{self, NameKind, TagFilterType};
use super::regions::is_partition;
use super::tags::{self, MAX_TAG_SET_GROUPS, TagFilter};

/// The most filters in one tag group the wizard offers.
pub const MAX_TAGS_PER_GROUP: usize = 10;
/// The most `CloudWatch` alarms a deployment group watches.
pub const MAX_ALARMS: usize = 10;
/// The most triggers a deployment group has.
pub const MAX_TRIGGERS: usize = 10;
/// The longest an Auto Scaling group's name may be.
pub const MAX_AUTO_SCALING_GROUP_NAME_LENGTH: usize = 255;
/// The longest a blue/green deployment waits, in minutes: for a manual
/// reroute, and before the original instances are terminated.
pub const MAX_BLUE_GREEN_WAIT_MINUTES: u32 = 2880;
/// The trigger events CodeDeploy sends notifications for.
pub const TRIGGER_EVENTS: [&str; 10] = [
    "DeploymentStart",
    "DeploymentSuccess",
    "DeploymentFailure",
    "DeploymentStop",
    "DeploymentRollback",
    "DeploymentReady",
    "InstanceStart",
    "InstanceSuccess",
    "InstanceFailure",
    "InstanceReady",
];

/// One tag filter: an instance passes it if it has a tag the filter names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagFilterSpec {
    /// The tag key (empty for a value-only filter).
    pub key: String,
    /// The tag value (empty for a key-only filter).
    pub value: String,
}

impl TagFilterSpec {
    /// The filter's type, read from what it names.
    pub fn kind(&self) -> Result<TagFilterType, names::TagError> {
        names::validate_tag_filter(Some(&self.key), Some(&self.value), None)
    }

    /// The checked filter, as the matching rules take it.
    pub fn to_filter(&self) -> Result<TagFilter, names::TagError> {
        TagFilter::from_api(Some(&self.key), Some(&self.value), None)
    }

    fn to_json(&self) -> Value {
        let mut filter = serde_json::Map::new();
        if !self.key.is_empty() {
            filter.insert("Key".into(), json!(self.key));
        }
        if !self.value.is_empty() {
            filter.insert("Value".into(), json!(self.value));
        }
        if let Ok(kind) = self.kind() {
            filter.insert("Type".into(), json!(kind.api_name()));
        }
        Value::Object(filter)
    }
}

/// Whether an instance with `tags` is in an environment of `groups`: it
/// passes at least one filter in every group (CodeDeploy's tag set rule).
/// No groups match nothing, and a filter that is not valid matches nothing.
pub fn environment_matches(groups: &[Vec<TagFilterSpec>], tags: &[(String, String)]) -> bool {
    let groups: Vec<Vec<TagFilter>> = groups
        .iter()
        .map(|group| {
            group
                .iter()
                .filter_map(|filter| filter.to_filter().ok())
                .collect()
        })
        .collect();
    tags::matches_every_group(
        &groups,
        tags.iter()
            .map(|(key, value)| (key.as_str(), value.as_str())),
    )
}

/// How the deployment replaces the application.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeploymentType {
    /// The revision is installed on the instances where they are.
    #[default]
    InPlace,
    /// A new (green) fleet takes the traffic from the original (blue) one.
    BlueGreen {
        /// Reroute traffic at once when the green fleet is ready, or wait
        /// for someone to continue (stopping after `wait_minutes`).
        reroute_at_once: bool,
        /// How long to wait for a manual reroute.
        wait_minutes: u32,
        /// Whether to terminate the original instances afterwards.
        terminate_original: bool,
        /// How long to keep them before terminating.
        termination_wait_minutes: u32,
        /// The new instances come from a copy of the group's Auto Scaling
        /// group rather than from instances that already exist.
        copy_auto_scaling_group: bool,
    },
}

/// Which deployment configuration the group uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChoice {
    /// A predefined or existing configuration, by name.
    Named(String),
    /// A custom configuration the wizard creates.
    Custom {
        /// Its name.
        name: String,
        /// Its minimum healthy hosts.
        minimum: MinimumHealthyHosts,
    },
}

impl ConfigChoice {
    /// The configuration's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Named(name) | Self::Custom { name, .. } => name,
        }
    }
}

/// An SNS trigger.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TriggerSpec {
    /// The trigger's name.
    pub name: String,
    /// The SNS topic's ARN.
    pub topic_arn: String,
    /// The events it fires on (names from [`TRIGGER_EVENTS`]).
    pub events: Vec<String>,
}

/// The ECS service an ECS deployment group deploys to, with the two
/// target groups its task sets take turns behind and the listeners that
/// move production and test traffic between them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EcsTrafficSpec {
    /// The cluster's name.
    pub cluster: String,
    /// The service's name (its deployment controller is `CODE_DEPLOY`).
    pub service: String,
    /// The target group the service serves now, then the second one the
    /// replacement task set starts behind.
    pub target_groups: [String; 2],
    /// The ARN of the listener that carries production traffic.
    pub production_listener: String,
    /// The ARN of the listener that carries test traffic (empty for none).
    pub test_listener: String,
}

impl EcsTrafficSpec {
    /// What is missing or does not fit, with what to do.
    pub fn problems(&self) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        if self.cluster.trim().is_empty() {
            problems.push(problem(
                "ecs service",
                "Choose the ECS cluster the service runs in.",
            ));
        }
        if self.service.trim().is_empty() {
            problems.push(problem(
                "ecs service",
                "Choose the ECS service to deploy to; its deployment controller must be CODE_DEPLOY.",
            ));
        }
        let [first, second] = &self.target_groups;
        if first.trim().is_empty() || second.trim().is_empty() {
            problems.push(problem(
                "target groups",
                "Choose two target groups: the one the service serves now, and a second one for the replacement task set.",
            ));
        } else if first.trim() == second.trim() {
            problems.push(problem(
                "target groups",
                "The two target groups must differ: the replacement task set starts behind the second one.",
            ));
        }
        if self.production_listener.trim().is_empty() {
            problems.push(problem(
                "listeners",
                "Choose the listener that carries production traffic to the target groups.",
            ));
        } else if !self.production_listener.trim().starts_with("arn:") {
            problems.push(problem(
                "listeners",
                "A listener is named by its ARN, e.g. arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2.",
            ));
        }
        let test = self.test_listener.trim();
        if !test.is_empty() && !test.starts_with("arn:") {
            problems.push(problem(
                "listeners",
                "The test listener is named by its ARN too, or left empty.",
            ));
        }
        if !test.is_empty() && test == self.production_listener.trim() {
            problems.push(problem(
                "listeners",
                "The test listener must differ from the production listener, or be left empty.",
            ));
        }
        problems
    }

    /// The `ecsServices` and `loadBalancerInfo` members of a group's input.
    fn input_members(&self) -> (Value, Value) {
        let mut pair = json!({
            "targetGroups": self.target_groups.iter().map(|name| json!({ "name": name.trim() })).collect::<Vec<_>>(),
            "prodTrafficRoute": { "listenerArns": [self.production_listener.trim()] },
        });
        if !self.test_listener.trim().is_empty() {
            pair["testTrafficRoute"] = json!({ "listenerArns": [self.test_listener.trim()] });
        }
        (
            json!([{ "serviceName": self.service.trim(), "clusterName": self.cluster.trim() }]),
            json!({ "targetGroupPairInfoList": [pair] }),
        )
    }
}

/// Everything the deployment group wizard sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentGroupSpec {
    /// The application's compute platform: which of the fields below the
    /// group uses (tags and load balancers for EC2/on-premises, the ECS
    /// service for ECS, neither for Lambda).
    pub platform: ComputePlatform,
    /// The ECS service and its traffic (empty unless the platform is ECS).
    pub ecs: EcsTrafficSpec,
    /// The application's name.
    pub application: String,
    /// The group's name.
    pub group: String,
    /// The service role's ARN.
    pub service_role_arn: String,
    /// In-place or blue/green.
    pub deployment_type: DeploymentType,
    /// Whether a load balancer's traffic is controlled.
    pub traffic_control: bool,
    /// The ELB target groups traffic goes through.
    pub target_groups: Vec<String>,
    /// The classic load balancers traffic goes through.
    pub classic_load_balancers: Vec<String>,
    /// The Auto Scaling groups whose instances it deploys to (beside the
    /// ones its tags choose).
    pub auto_scaling_groups: Vec<String>,
    /// EC2 tag groups: an instance must pass a filter in every group.
    pub ec2_tag_groups: Vec<Vec<TagFilterSpec>>,
    /// On-premises tag groups, read the same way.
    pub on_premises_tag_groups: Vec<Vec<TagFilterSpec>>,
    /// The deployment configuration.
    pub config: ConfigChoice,
    /// `CloudWatch` alarms that stop a deployment.
    pub alarms: Vec<String>,
    /// Roll back when a deployment fails.
    pub rollback_on_failure: bool,
    /// Roll back when an alarm stops a deployment.
    pub rollback_on_alarm: bool,
    /// SNS triggers.
    pub triggers: Vec<TriggerSpec>,
}

/// A problem with a spec, naming the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecProblem {
    /// The field, as the wizard names it (e.g. `"group"`, `"tags"`).
    pub field: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> SpecProblem {
    SpecProblem {
        field,
        message: message.into(),
    }
}

/// The longest an SNS topic name may be.
pub const MAX_TOPIC_NAME_LENGTH: usize = 256;

/// Whether `arn` is shaped like an SNS topic ARN:
/// `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, with a twelve-digit account and
/// a topic name of 1 to 256 letters, digits, hyphens and underscores (a
/// FIFO topic's ending in `.fifo`).
pub fn is_topic_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let ["arn", partition, "sns", region, account, name] = parts[..] else {
        return false;
    };
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    is_partition(partition)
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && (1..=MAX_TOPIC_NAME_LENGTH).contains(&name.len())
        && !base.is_empty()
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl DeploymentGroupSpec {
    /// Every problem with the spec, in the order of the wizard's steps.
    pub fn problems(&self) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        if let Err(error) = names::validate_name(NameKind::Application, &self.application) {
            problems.push(problem("application", error.to_string()));
        }
        if let Err(error) = names::validate_name(NameKind::DeploymentGroup, &self.group) {
            problems.push(problem("group", error.to_string()));
        }
        if let Err(error) = parse_role_arn(&self.service_role_arn) {
            problems.push(problem("role", format!("Choose a service role. {error}")));
        }
        if self.platform == ComputePlatform::Server {
            problems.extend(self.server_problems());
        } else {
            problems.extend(self.traffic_problems());
        }
        if let DeploymentType::BlueGreen {
            wait_minutes,
            termination_wait_minutes,
            ..
        } = self.deployment_type
            && (wait_minutes > MAX_BLUE_GREEN_WAIT_MINUTES
                || termination_wait_minutes > MAX_BLUE_GREEN_WAIT_MINUTES)
        {
            problems.push(problem(
                "type",
                format!(
                    "Blue/green waits are at most {MAX_BLUE_GREEN_WAIT_MINUTES} minutes (two days)."
                ),
            ));
        }
        if self.alarms.len() > MAX_ALARMS {
            problems.push(problem(
                "alarms",
                format!("A deployment group watches at most {MAX_ALARMS} alarms; remove some."),
            ));
        }
        if self.rollback_on_alarm && self.alarms.is_empty() {
            problems.push(problem(
                "alarms",
                "Rolling back when an alarm stops a deployment needs an alarm: add one or turn that off.",
            ));
        }
        if self.triggers.len() > MAX_TRIGGERS {
            problems.push(problem(
                "triggers",
                format!("A deployment group has at most {MAX_TRIGGERS} triggers; remove some."),
            ));
        }
        for trigger in &self.triggers {
            if trigger.name.trim().is_empty() {
                problems.push(problem("triggers", "Give every trigger a name."));
            }
            if !is_topic_arn(&trigger.topic_arn) {
                problems.push(problem(
                    "triggers",
                    format!(
                        "The trigger \"{}\" needs an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:deployments.",
                        trigger.name
                    ),
                ));
            }
            if trigger.events.is_empty() {
                problems.push(problem(
                    "triggers",
                    format!(
                        "Choose at least one event for the trigger \"{}\".",
                        trigger.name
                    ),
                ));
            }
        }
        problems
    }

    /// The problems of an EC2/on-premises group's environment, load
    /// balancer and configuration.
    fn server_problems(&self) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        problems.extend(tag_group_problems("ec2 tags", "EC2", &self.ec2_tag_groups));
        problems.extend(tag_group_problems(
            "on-premises tags",
            "on-premises",
            &self.on_premises_tag_groups,
        ));
        if self.ec2_tag_groups.iter().all(Vec::is_empty)
            && self.on_premises_tag_groups.iter().all(Vec::is_empty)
            && self.auto_scaling_groups.is_empty()
        {
            problems.push(problem(
                "ec2 tags",
                "Add at least one tag or Auto Scaling group, so the deployment group has instances to deploy to.",
            ));
        }
        for name in &self.auto_scaling_groups {
            if name.trim().is_empty() || name.chars().count() > MAX_AUTO_SCALING_GROUP_NAME_LENGTH {
                problems.push(problem(
                    "auto scaling groups",
                    format!(
                        "An Auto Scaling group's name is 1 to {MAX_AUTO_SCALING_GROUP_NAME_LENGTH} characters; pick the group from the list."
                    ),
                ));
            }
        }
        if matches!(
            self.deployment_type,
            DeploymentType::BlueGreen {
                copy_auto_scaling_group: true,
                ..
            }
        ) && self.auto_scaling_groups.len() != 1
        {
            problems.push(problem(
                "type",
                "Copying an Auto Scaling group needs exactly one Auto Scaling group in the environment: pick one, or use instances that already exist.",
            ));
        }
        if let ConfigChoice::Custom { name, .. } = &self.config
            && let Err(error) = names::validate_custom_config_name(name)
        {
            problems.push(problem("config", error.to_string()));
        }
        if matches!(self.deployment_type, DeploymentType::BlueGreen { .. }) && !self.traffic_control
        {
            problems.push(problem(
                "type",
                "A blue/green deployment on EC2 moves traffic through a load balancer: turn on traffic control and name a target group.",
            ));
        }
        if self.traffic_control
            && self
                .target_groups
                .iter()
                .chain(&self.classic_load_balancers)
                .all(|name| name.trim().is_empty())
        {
            problems.push(problem(
                "load balancer",
                "Choose the target group (or classic load balancer) that sends traffic to the instances, or turn traffic control off.",
            ));
        }
        problems
    }

    /// The problems of a Lambda or ECS group: it shifts traffic, so it is
    /// blue/green with traffic control and has no instances; its
    /// configuration is one of its platform's; an ECS group names its
    /// service, two target groups and a production listener.
    fn traffic_problems(&self) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        let platform = self.platform.as_str();
        if !matches!(self.deployment_type, DeploymentType::BlueGreen { .. })
            || !self.traffic_control
        {
            problems.push(problem(
                "type",
                format!("A {platform} deployment shifts traffic: the group must be blue/green with traffic control."),
            ));
        }
        if self.ec2_tag_groups.iter().any(|group| !group.is_empty())
            || self
                .on_premises_tag_groups
                .iter()
                .any(|group| !group.is_empty())
            || !self.auto_scaling_groups.is_empty()
        {
            problems.push(problem(
                "ec2 tags",
                format!(
                    "A {platform} group has no instances: remove its tags and Auto Scaling groups."
                ),
            ));
        }
        match &self.config {
            ConfigChoice::Custom { .. } => problems.push(problem(
                "config",
                format!("A custom {platform} configuration is made in the rollout planner; pick it here by name once it exists."),
            )),
            ConfigChoice::Named(name) => {
                let trimmed = name.trim();
                let predefined_elsewhere = trimmed.starts_with("CodeDeployDefault.")
                    && super::traffic::predefined(trimmed)
                        .is_none_or(|config| config.platform != self.platform);
                if trimmed.is_empty() || predefined_elsewhere {
                    problems.push(problem(
                        "config",
                        format!("Choose a {platform} configuration, such as {}.", super::traffic::default_config(self.platform)),
                    ));
                }
            }
        }
        if self.platform == ComputePlatform::Ecs {
            problems.extend(self.ecs.problems());
        }
        problems
    }

    /// The `CreateDeploymentGroup` input, with the API's member names.
    pub fn create_input(&self) -> Value {
        let mut input = json!({
            "applicationName": self.application,
            "deploymentGroupName": self.group,
            "serviceRoleArn": self.service_role_arn,
            "deploymentConfigName": self.config.name(),
        });
        let sets = |groups: &[Vec<TagFilterSpec>]| -> Vec<Value> {
            groups
                .iter()
                .filter(|group| !group.is_empty())
                .map(|group| Value::Array(group.iter().map(TagFilterSpec::to_json).collect()))
                .collect()
        };
        let ec2 = sets(&self.ec2_tag_groups);
        if !ec2.is_empty() {
            input["ec2TagSet"] = json!({ "ec2TagSetList": ec2 });
        }
        let on_premises = sets(&self.on_premises_tag_groups);
        if !on_premises.is_empty() {
            input["onPremisesTagSet"] = json!({ "onPremisesTagSetList": on_premises });
        }
        let (style_type, option) = match self.deployment_type {
            DeploymentType::InPlace => ("IN_PLACE", self.traffic_option()),
            DeploymentType::BlueGreen { .. } => ("BLUE_GREEN", "WITH_TRAFFIC_CONTROL"),
        };
        input["deploymentStyle"] =
            json!({ "deploymentType": style_type, "deploymentOption": option });
        if let DeploymentType::BlueGreen {
            reroute_at_once,
            wait_minutes,
            terminate_original,
            termination_wait_minutes,
            copy_auto_scaling_group,
        } = self.deployment_type
            && self.platform != ComputePlatform::Lambda
        {
            let mut ready = json!({
                "actionOnTimeout": if reroute_at_once { "CONTINUE_DEPLOYMENT" } else { "STOP_DEPLOYMENT" },
            });
            if !reroute_at_once {
                ready["waitTimeInMinutes"] = json!(wait_minutes);
            }
            let mut configuration = json!({
                "deploymentReadyOption": ready,
                "terminateBlueInstancesOnDeploymentSuccess": {
                    "action": if terminate_original { "TERMINATE" } else { "KEEP_ALIVE" },
                    "terminationWaitTimeInMinutes": termination_wait_minutes,
                },
            });
            // An ECS group's replacement is a task set, not a fleet.
            if self.platform == ComputePlatform::Server {
                configuration["greenFleetProvisioningOption"] = json!({
                    "action": if copy_auto_scaling_group { "COPY_AUTO_SCALING_GROUP" } else { "DISCOVER_EXISTING" },
                });
            }
            input["blueGreenDeploymentConfiguration"] = configuration;
        }
        if self.platform == ComputePlatform::Ecs {
            let (services, load_balancer) = self.ecs.input_members();
            input["ecsServices"] = services;
            input["loadBalancerInfo"] = load_balancer;
        }
        let named = |names: &[String]| -> Vec<Value> {
            names
                .iter()
                .map(|name| name.trim())
                .filter(|name| !name.is_empty())
                .map(|name| json!({ "name": name }))
                .collect()
        };
        let target_groups = named(&self.target_groups);
        let classic = named(&self.classic_load_balancers);
        if self.platform == ComputePlatform::Server
            && self.traffic_control
            && !(target_groups.is_empty() && classic.is_empty())
        {
            let mut info = serde_json::Map::new();
            if !target_groups.is_empty() {
                info.insert("targetGroupInfoList".into(), Value::Array(target_groups));
            }
            if !classic.is_empty() {
                info.insert("elbInfoList".into(), Value::Array(classic));
            }
            input["loadBalancerInfo"] = Value::Object(info);
        }
        if !self.auto_scaling_groups.is_empty() {
            input["autoScalingGroups"] = json!(self.auto_scaling_groups);
        }
        if !self.alarms.is_empty() {
            input["alarmConfiguration"] = json!({
                "enabled": true,
                "ignorePollAlarmFailure": false,
                "alarms": self.alarms.iter().map(|name| json!({ "name": name })).collect::<Vec<_>>(),
            });
        }
        let mut events = Vec::new();
        if self.rollback_on_failure {
            events.push("DEPLOYMENT_FAILURE");
        }
        if self.rollback_on_alarm {
            events.push("DEPLOYMENT_STOP_ON_ALARM");
        }
        if !events.is_empty() {
            input["autoRollbackConfiguration"] = json!({ "enabled": true, "events": events });
        }
        if !self.triggers.is_empty() {
            input["triggerConfigurations"] = Value::Array(
                self.triggers
                    .iter()
                    .map(|trigger| {
                        json!({
                            "triggerName": trigger.name,
                            "triggerTargetArn": trigger.topic_arn,
                            "triggerEvents": trigger.events,
                        })
                    })
                    .collect(),
            );
        }
        input
    }

    /// The `UpdateDeploymentGroup` input: the same settings, addressed by
    /// the group's current name.
    pub fn update_input(&self, current_name: &str) -> Value {
        let mut input = self.create_input();
        if let Value::Object(members) = &mut input {
            members.remove("deploymentGroupName");
            members.insert("currentDeploymentGroupName".into(), json!(current_name));
            if current_name != self.group {
                members.insert("newDeploymentGroupName".into(), json!(self.group));
            }
            // An update keeps the Auto Scaling groups it is not given; an
            // empty list is how it removes them.
            if self.platform == ComputePlatform::Server {
                members
                    .entry("autoScalingGroups")
                    .or_insert_with(|| json!([]));
            }
        }
        input
    }

    fn traffic_option(&self) -> &'static str {
        if self.traffic_control {
            "WITH_TRAFFIC_CONTROL"
        } else {
            "WITHOUT_TRAFFIC_CONTROL"
        }
    }
}

/// The problems of one kind of tag groups.
fn tag_group_problems(
    field: &'static str,
    what: &str,
    groups: &[Vec<TagFilterSpec>],
) -> Vec<SpecProblem> {
    let mut problems = Vec::new();
    if groups.len() > MAX_TAG_SET_GROUPS {
        problems.push(problem(
            field,
            format!(
                "A deployment group has at most {MAX_TAG_SET_GROUPS} {what} tag groups; remove one."
            ),
        ));
    }
    for (index, group) in groups.iter().enumerate() {
        if group.len() > MAX_TAGS_PER_GROUP {
            problems.push(problem(
                field,
                format!(
                    "{what} tag group {} has {} tags; a group holds at most {MAX_TAGS_PER_GROUP}.",
                    index + 1,
                    group.len()
                ),
            ));
        }
        for filter in group {
            if let Err(error) = filter.kind() {
                problems.push(problem(
                    field,
                    format!("{what} tag group {}: {error}", index + 1),
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> TagFilterSpec {
        TagFilterSpec {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect()
    }

    fn spec() -> DeploymentGroupSpec {
        DeploymentGroupSpec {
            platform: ComputePlatform::Server,
            ecs: EcsTrafficSpec::default(),
            application: "web".to_owned(),
            group: "web-prod".to_owned(),
            service_role_arn: "arn:aws:iam::000000000000:role/CodeDeployServiceRole".to_owned(),
            deployment_type: DeploymentType::InPlace,
            traffic_control: false,
            target_groups: Vec::new(),
            classic_load_balancers: Vec::new(),
            auto_scaling_groups: Vec::new(),
            ec2_tag_groups: vec![vec![tag("Environment", "prod")]],
            on_premises_tag_groups: Vec::new(),
            config: ConfigChoice::Named("CodeDeployDefault.OneAtATime".to_owned()),
            alarms: Vec::new(),
            rollback_on_failure: true,
            rollback_on_alarm: false,
            triggers: Vec::new(),
        }
    }

    #[test]
    fn an_instance_must_pass_a_filter_in_every_group() {
        let groups = vec![
            vec![tag("Environment", "prod"), tag("Environment", "staging")],
            vec![tag("Role", "")],
        ];
        assert!(environment_matches(
            &groups,
            &tags(&[("Environment", "staging"), ("Role", "web")])
        ));
        assert!(!environment_matches(
            &groups,
            &tags(&[("Environment", "prod")])
        ));
        assert!(!environment_matches(&groups, &tags(&[("Role", "web")])));
        // Value-only filters match any key.
        let by_value = vec![vec![tag("", "blue")]];
        assert!(environment_matches(&by_value, &tags(&[("Colour", "blue")])));
        assert!(!environment_matches(&[], &tags(&[("Colour", "blue")])));
    }

    #[test]
    fn the_input_uses_the_api_member_names() {
        let input = spec().create_input();
        assert_eq!(
            input["ec2TagSet"]["ec2TagSetList"],
            json!([[{"Key": "Environment", "Value": "prod", "Type": "KEY_AND_VALUE"}]])
        );
        assert_eq!(
            input["deploymentStyle"],
            json!({"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"})
        );
        assert_eq!(
            input["autoRollbackConfiguration"],
            json!({"enabled": true, "events": ["DEPLOYMENT_FAILURE"]})
        );
        assert!(input.get("blueGreenDeploymentConfiguration").is_none());
        let update = spec().update_input("web-old");
        assert_eq!(update["currentDeploymentGroupName"], "web-old");
        assert_eq!(update["newDeploymentGroupName"], "web-prod");
        assert!(update.get("deploymentGroupName").is_none());
    }

    #[test]
    fn blue_green_needs_traffic_control_and_says_how_to_wait() {
        let mut spec = spec();
        spec.deployment_type = DeploymentType::BlueGreen {
            reroute_at_once: false,
            wait_minutes: 60,
            terminate_original: true,
            termination_wait_minutes: 5,
            copy_auto_scaling_group: false,
        };
        let problems = spec.problems();
        assert!(problems.iter().any(|p| p.field == "type"), "{problems:?}");
        spec.traffic_control = true;
        spec.target_groups = vec!["web-tg".to_owned()];
        assert_eq!(spec.problems(), []);
        let input = spec.create_input();
        assert_eq!(
            input["blueGreenDeploymentConfiguration"]["deploymentReadyOption"],
            json!({"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60})
        );
        assert_eq!(
            input["loadBalancerInfo"],
            json!({"targetGroupInfoList": [{"name": "web-tg"}]})
        );
    }

    #[test]
    fn every_rule_names_its_field_and_says_what_to_do() {
        let mut bad = spec();
        bad.group = "a".repeat(101);
        bad.service_role_arn = "CodeDeployServiceRole".to_owned();
        bad.ec2_tag_groups = vec![
            vec![tag("aws:reserved", "x")],
            vec![tag("A", "1")],
            vec![tag("B", "2")],
            vec![tag("C", "3")],
        ];
        bad.alarms = (0..11).map(|n| format!("alarm-{n}")).collect();
        bad.triggers = vec![TriggerSpec {
            name: "notify".to_owned(),
            topic_arn: "not-an-arn".to_owned(),
            events: Vec::new(),
        }];
        let problems = bad.problems();
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        for field in ["group", "role", "ec2 tags", "alarms", "triggers"] {
            assert!(fields.contains(&field), "{field} missing from {problems:?}");
        }
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("at most 3 EC2 tag groups")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("aws:")), "{messages:?}");
        assert!(
            messages.iter().any(|m| m.contains("SNS topic ARN")),
            "{messages:?}"
        );
        let mut empty = spec();
        empty.ec2_tag_groups = vec![Vec::new()];
        assert!(
            empty
                .problems()
                .iter()
                .any(|p| p.message.starts_with("Add at least one tag"))
        );
    }

    #[test]
    fn auto_scaling_groups_are_an_environment_and_can_be_copied_for_blue_green() {
        let mut spec = spec();
        spec.ec2_tag_groups = Vec::new();
        assert!(spec.problems().iter().any(|p| {
            p.message
                .starts_with("Add at least one tag or Auto Scaling group")
        }));
        spec.auto_scaling_groups = vec!["web-asg".to_owned()];
        assert_eq!(spec.problems(), []);
        let input = spec.create_input();
        assert_eq!(input["autoScalingGroups"], json!(["web-asg"]));
        assert!(input.get("ec2TagSet").is_none());
        // Copying is for blue/green, from exactly one group.
        spec.deployment_type = DeploymentType::BlueGreen {
            reroute_at_once: true,
            wait_minutes: 0,
            terminate_original: true,
            termination_wait_minutes: 5,
            copy_auto_scaling_group: true,
        };
        spec.traffic_control = true;
        spec.classic_load_balancers = vec!["web-elb".to_owned()];
        assert_eq!(spec.problems(), []);
        let input = spec.create_input();
        assert_eq!(
            input["blueGreenDeploymentConfiguration"]["greenFleetProvisioningOption"],
            json!({"action": "COPY_AUTO_SCALING_GROUP"})
        );
        assert_eq!(
            input["loadBalancerInfo"],
            json!({"elbInfoList": [{"name": "web-elb"}]})
        );
        spec.auto_scaling_groups.push("api-asg".to_owned());
        assert!(
            spec.problems()
                .iter()
                .any(|p| p.message.contains("exactly one Auto Scaling group"))
        );
        spec.auto_scaling_groups = vec![String::new()];
        assert!(
            spec.problems()
                .iter()
                .any(|p| p.field == "auto scaling groups")
        );
    }

    #[test]
    fn an_update_without_auto_scaling_groups_removes_them() {
        let mut spec = spec();
        assert_eq!(
            spec.update_input("web-prod")["autoScalingGroups"],
            json!([])
        );
        assert!(spec.create_input().get("autoScalingGroups").is_none());
        spec.auto_scaling_groups = vec!["web-asg".to_owned()];
        assert_eq!(
            spec.update_input("web-prod")["autoScalingGroups"],
            json!(["web-asg"])
        );
    }

    #[test]
    fn topic_arns_are_checked_for_shape() {
        for good in [
            "arn:aws:sns:us-east-1:123456789012:deployments",
            "arn:aws-cn:sns:cn-north-1:123456789012:deploy_events-1",
            "arn:aws:sns:eu-west-1:123456789012:orders.fifo",
        ] {
            assert!(is_topic_arn(good), "{good}");
        }
        for bad in [
            "arn:aws:sqs:us-east-1:123456789012:queue",
            "arn:aws:sns:us-east-1:123:deployments",
            "arn:aws:sns::123456789012:deployments",
            "arn:aws:sns:us-east-1:123456789012:",
            "arn:aws:sns:us-east-1:123456789012:.fifo",
            "arn:aws:sns:us-east-1:123456789012:has space",
            "arn:aws:sns:us-east-1:123456789012:a:b",
            "arn:gcp:sns:us-east-1:123456789012:deployments",
            "not-an-arn",
        ] {
            assert!(!is_topic_arn(bad), "{bad}");
        }
        let long = format!("arn:aws:sns:us-east-1:123456789012:{}", "t".repeat(257));
        assert!(!is_topic_arn(&long));
    }

    #[test]
    fn a_bad_role_arn_is_a_problem_that_shows_an_example() {
        let mut bad = spec();
        bad.service_role_arn = "arn:aws:iam::123:role/CodeDeploy".to_owned();
        let problems = bad.problems();
        let role = problems
            .iter()
            .find(|problem| problem.field == "role")
            .expect("the role is a problem");
        assert!(
            role.message
                .contains("arn:aws:iam::123456789012:role/CodeDeployServiceRole"),
            "{role:?}"
        );
    }

    fn traffic_spec(platform: ComputePlatform, config: &str) -> DeploymentGroupSpec {
        DeploymentGroupSpec {
            platform,
            deployment_type: DeploymentType::BlueGreen {
                reroute_at_once: true,
                wait_minutes: 0,
                terminate_original: true,
                termination_wait_minutes: 5,
                copy_auto_scaling_group: false,
            },
            traffic_control: true,
            ec2_tag_groups: Vec::new(),
            config: ConfigChoice::Named(config.to_owned()),
            ..spec()
        }
    }

    fn ecs_traffic() -> EcsTrafficSpec {
        EcsTrafficSpec {
            cluster: "shop".to_owned(),
            service: "web".to_owned(),
            target_groups: ["web-blue".to_owned(), "web-green".to_owned()],
            production_listener:
                "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/1/80"
                    .to_owned(),
            test_listener:
                "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/1/8080"
                    .to_owned(),
        }
    }

    #[test]
    fn a_lambda_group_shifts_traffic_with_a_lambda_configuration_and_no_instances() {
        let mut lambda = traffic_spec(
            ComputePlatform::Lambda,
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        );
        assert_eq!(lambda.problems(), []);
        let input = lambda.create_input();
        assert_eq!(
            input["deploymentStyle"],
            json!({"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"})
        );
        for absent in [
            "blueGreenDeploymentConfiguration",
            "loadBalancerInfo",
            "ec2TagSet",
            "ecsServices",
            "autoScalingGroups",
        ] {
            assert!(input.get(absent).is_none(), "{absent} in {input}");
        }
        assert!(
            lambda
                .update_input("web-prod")
                .get("autoScalingGroups")
                .is_none()
        );
        // An EC2 or ECS configuration, a custom one, tags and in-place are refused.
        for wrong in [
            "CodeDeployDefault.OneAtATime",
            "CodeDeployDefault.ECSAllAtOnce",
            "",
        ] {
            lambda.config = ConfigChoice::Named(wrong.to_owned());
            assert!(
                lambda.problems().iter().any(|p| p.field == "config"
                    && p.message.contains("CodeDeployDefault.LambdaAllAtOnce")),
                "{wrong}"
            );
        }
        lambda.config = ConfigChoice::Named("MyLambdaCanary".to_owned());
        assert_eq!(lambda.problems(), []);
        lambda.ec2_tag_groups = vec![vec![tag("Environment", "prod")]];
        lambda.deployment_type = DeploymentType::InPlace;
        let fields: Vec<&str> = lambda.problems().iter().map(|p| p.field).collect();
        assert_eq!(fields, ["type", "ec2 tags"]);
    }

    #[test]
    fn an_ecs_group_names_its_service_target_group_pair_and_listeners() {
        let mut ecs = traffic_spec(ComputePlatform::Ecs, "CodeDeployDefault.ECSAllAtOnce");
        assert_eq!(
            ecs.problems().iter().map(|p| p.field).collect::<Vec<_>>(),
            ["ecs service", "ecs service", "target groups", "listeners"]
        );
        ecs.ecs = ecs_traffic();
        ecs.deployment_type = DeploymentType::BlueGreen {
            reroute_at_once: false,
            wait_minutes: 30,
            terminate_original: true,
            termination_wait_minutes: 10,
            copy_auto_scaling_group: false,
        };
        assert_eq!(ecs.problems(), []);
        let input = ecs.create_input();
        assert_eq!(
            input["ecsServices"],
            json!([{"serviceName": "web", "clusterName": "shop"}])
        );
        assert_eq!(
            input["loadBalancerInfo"],
            json!({"targetGroupPairInfoList": [{
                "targetGroups": [{"name": "web-blue"}, {"name": "web-green"}],
                "prodTrafficRoute": {"listenerArns": [ecs_traffic().production_listener]},
                "testTrafficRoute": {"listenerArns": [ecs_traffic().test_listener]},
            }]})
        );
        assert_eq!(
            input["blueGreenDeploymentConfiguration"],
            json!({
                "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 10},
            })
        );
        // Without a test listener the route is left out.
        ecs.ecs.test_listener = String::new();
        assert!(
            ecs.create_input()["loadBalancerInfo"]["targetGroupPairInfoList"][0]
                .get("testTrafficRoute")
                .is_none()
        );
        // Bad picks are named with what to do.
        ecs.ecs.target_groups[1] = "web-blue".to_owned();
        ecs.ecs.test_listener = ecs.ecs.production_listener.clone();
        ecs.config = ConfigChoice::Named("CodeDeployDefault.LambdaAllAtOnce".to_owned());
        let messages: Vec<String> = ecs.problems().into_iter().map(|p| p.message).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("must differ: the replacement")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("test listener must differ")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("CodeDeployDefault.ECSAllAtOnce")),
            "{messages:?}"
        );
        ecs.ecs.production_listener = "port 80".to_owned();
        assert!(
            ecs.problems()
                .iter()
                .any(|p| p.message.starts_with("A listener is named by its ARN"))
        );
    }
}
