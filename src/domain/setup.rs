//! What the setup wizards create, as plain data: the IAM documents
//! CodeDeploy's setup guide prescribes, and a [`SetupPlan`] of steps that a
//! review page can show (with the equivalent AWS CLI commands) before
//! anything is called.
//!
//! The documents follow the CodeDeploy user guide:
//! - a service role trusted by `codedeploy.amazonaws.com`, by default with
//!   the `aws:SourceAccount` / `aws:SourceArn` conditions that prevent the
//!   cross-service confused deputy problem, and the AWS managed policy for
//!   its compute platform;
//! - an instance role trusted by `ec2.amazonaws.com` that may read only the
//!   revision buckets the user names (and, if asked, the bucket AWS serves
//!   the CodeDeploy agent from), held by an instance profile.

use serde_json::{Value, json};

use super::config::MinimumHealthyHosts;
use super::group_spec::{ConfigChoice, DeploymentGroupSpec, DeploymentType, TagFilterSpec};
use super::names::{TagError, TagPart, validate_tag, validate_tag_filter};
use super::platform::ComputePlatform;

/// The IAM policy language version every document uses.
pub const POLICY_VERSION: &str = "2012-10-17";
/// The service principal CodeDeploy assumes roles as.
pub const CODEDEPLOY_PRINCIPAL: &str = "codedeploy.amazonaws.com";
/// The service principal EC2 instances assume roles as.
pub const EC2_PRINCIPAL: &str = "ec2.amazonaws.com";
/// The AWS managed policy that lets Systems Manager manage an instance (and
/// so install the CodeDeploy agent).
pub const SSM_CORE_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// The trust policy of a CodeDeploy service role. With `confused_deputy`,
/// CodeDeploy may assume the role only on behalf of `account`, for its
/// resources in `region`.
pub fn service_role_trust_policy(account: &str, region: &str, confused_deputy: bool) -> Value {
    let mut statement = json!({
        "Effect": "Allow",
        "Principal": { "Service": CODEDEPLOY_PRINCIPAL },
        "Action": "sts:AssumeRole",
    });
    if confused_deputy {
        statement["Condition"] = json!({
            "StringEquals": { "aws:SourceAccount": account },
            "ArnLike": { "aws:SourceArn": format!("arn:aws:codedeploy:{region}:{account}:*") },
        });
    }
    json!({ "Version": POLICY_VERSION, "Statement": [statement] })
}

/// The name of the inline policy the service role wizard adds for Auto
/// Scaling groups that launch from launch templates.
pub const LAUNCH_TEMPLATE_POLICY_NAME: &str = "CodeDeployLaunchTemplates";

/// The inline policy CodeDeploy's service role needs, beside the AWS
/// managed policy, to copy an Auto Scaling group that launches from a
/// launch template (a blue/green deployment that copies the group).
pub fn launch_template_policy() -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "LaunchFromTemplates",
            "Effect": "Allow",
            "Action": super::policy::LAUNCH_TEMPLATE_ACTIONS,
            "Resource": "*",
        }],
    })
}

/// The trust policy of a role that EC2 instances assume through an
/// instance profile.
pub fn instance_role_trust_policy() -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": EC2_PRINCIPAL },
            "Action": "sts:AssumeRole",
        }],
    })
}

/// The inline policy that lets an instance download revisions from
/// `buckets` — and only from them — and, with `agent_region`, the
/// CodeDeploy agent from the bucket AWS serves it from in that region.
pub fn revision_read_policy(buckets: &[String], agent_region: Option<&str>) -> Value {
    let objects: Vec<String> = buckets
        .iter()
        .map(|bucket| format!("arn:aws:s3:::{bucket}/*"))
        .collect();
    let listing: Vec<String> = buckets
        .iter()
        .map(|bucket| format!("arn:aws:s3:::{bucket}"))
        .collect();
    let mut statements = vec![
        json!({
            "Sid": "ReadRevisions",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": objects,
        }),
        json!({
            "Sid": "ListRevisionBuckets",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": listing,
        }),
    ];
    if let Some(region) = agent_region {
        statements.push(json!({
            "Sid": "DownloadCodeDeployAgent",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [format!("arn:aws:s3:::aws-codedeploy-{region}/*")],
        }));
    }
    json!({ "Version": POLICY_VERSION, "Statement": statements })
}

/// Whether two policy documents say the same thing, as IAM reads them: a
/// single string and a list holding only it are the same, the order of the
/// items in a list does not matter, and neither does the order of members.
pub fn documents_equivalent(a: &Value, b: &Value) -> bool {
    normalised(a) == normalised(b)
}

/// `value` with every single string that could be a list made a list of one,
/// and every list sorted.
fn normalised(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, member)| {
                    let member = match member {
                        Value::String(_) if key != "Version" && key != "Effect" && key != "Sid" => {
                            Value::Array(vec![member.clone()])
                        }
                        other => other.clone(),
                    };
                    (key.clone(), normalised(&member))
                })
                .collect(),
        ),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalised).collect();
            items.sort_by_key(ToString::to_string);
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// One call a wizard makes, described well enough to show on its review
/// page, to run, and to check whether it has already been done.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupStep {
    /// Create a role with a trust policy.
    CreateRole {
        /// The role's name.
        role: String,
        /// Its trust (assume role) policy.
        trust_policy: Value,
        /// A description shown in the IAM console.
        description: String,
    },
    /// Attach a managed policy to a role.
    AttachRolePolicy {
        /// The role's name.
        role: String,
        /// The policy's ARN.
        policy_arn: String,
    },
    /// Put an inline policy on a role.
    PutRolePolicy {
        /// The role's name.
        role: String,
        /// The inline policy's name.
        policy_name: String,
        /// The policy document.
        document: Value,
    },
    /// Create an instance profile.
    CreateInstanceProfile {
        /// The profile's name.
        profile: String,
    },
    /// Put a role into an instance profile.
    AddRoleToInstanceProfile {
        /// The profile's name.
        profile: String,
        /// The role's name.
        role: String,
    },
    /// Give an EC2 instance an instance profile (replacing the one it has,
    /// if any).
    AssociateInstanceProfile {
        /// The instance's id.
        instance_id: String,
        /// The profile's name.
        profile: String,
    },
    /// Install the CodeDeploy agent (or update it to the latest) on
    /// instances through Systems Manager.
    InstallAgent {
        /// The instances.
        instance_ids: Vec<String>,
    },
    /// Start the installed CodeDeploy agent on instances through Systems
    /// Manager.
    StartAgent {
        /// The instances.
        instance_ids: Vec<String>,
    },
    /// Have Systems Manager install the CodeDeploy agent on the instances
    /// `targets` select and keep it up to date on `schedule`, as the
    /// CodeDeploy console offers for a deployment group.
    CreateAgentAssociation {
        /// The association's name.
        name: String,
        /// Systems Manager's targets: `tag:Key` (or `tag-key`) and values;
        /// an instance must match each.
        targets: Vec<(String, Vec<String>)>,
        /// When to run again, e.g. `rate(14 days)`.
        schedule: String,
    },
    /// Create a CodeDeploy application.
    CreateApplication {
        /// Its name.
        application: String,
        /// Its compute platform.
        platform: ComputePlatform,
    },
    /// Create a custom deployment configuration.
    CreateDeploymentConfig {
        /// Its name.
        name: String,
        /// Its minimum healthy hosts.
        minimum: MinimumHealthyHosts,
    },
    /// Create a deployment group.
    CreateDeploymentGroup {
        /// What it is made of.
        spec: Box<DeploymentGroupSpec>,
        /// The `CreateDeploymentGroup` input the spec makes.
        input: Value,
    },
    /// Change an existing deployment group to match a spec.
    UpdateDeploymentGroup {
        /// Its name now (the spec may rename it).
        current: String,
        /// What it becomes.
        spec: Box<DeploymentGroupSpec>,
        /// The `UpdateDeploymentGroup` input.
        input: Value,
    },
}

/// Systems Manager's document that installs AWS packages.
pub const AGENT_INSTALL_DOCUMENT: &str = "AWS-ConfigureAWSPackage";
/// Systems Manager's document that runs shell commands.
pub const AGENT_SHELL_DOCUMENT: &str = "AWS-RunShellScript";
/// The CodeDeploy agent's package in Systems Manager.
pub const AGENT_PACKAGE: &str = "AWSCodeDeployAgent";
/// The command that starts an installed CodeDeploy agent.
pub const AGENT_START_COMMAND: &str = "sudo service codedeploy-agent start";

/// The parameters of `AWS-ConfigureAWSPackage` that install the agent.
fn agent_install_parameters() -> Value {
    json!({ "action": ["Install"], "name": [AGENT_PACKAGE] })
}

/// How often the agent association installs the latest agent again, as the
/// CodeDeploy console schedules it.
pub const AGENT_UPDATE_SCHEDULE: &str = "rate(14 days)";

/// The steps that have Systems Manager install the CodeDeploy agent on the
/// instances of the group `spec` describes and keep it updated: one
/// association for its EC2 tags (each tag group a target, as CodeDeploy
/// requires an instance to match every group) and one for its Auto Scaling
/// groups. A tag group with several keys cannot be one target, so its keys
/// get an association each; a filter with only a value cannot be a target
/// and is left out.
pub fn agent_association_steps(spec: &DeploymentGroupSpec) -> Vec<SetupStep> {
    let base: String = format!("CodeDeployAgent-{}-{}", spec.application, spec.group)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(120)
        .collect();
    let group_target = |filters: &[TagFilterSpec]| -> Vec<(String, Vec<String>)> {
        let mut by_key: Vec<(String, Vec<String>)> = Vec::new();
        for filter in filters.iter().filter(|filter| !filter.key.is_empty()) {
            let (key, value) = if filter.value.is_empty() {
                ("tag-key".to_owned(), filter.key.clone())
            } else {
                (format!("tag:{}", filter.key), filter.value.clone())
            };
            match by_key.iter_mut().find(|(known, _)| *known == key) {
                Some((_, values)) => values.push(value),
                None => by_key.push((key, vec![value])),
            }
        }
        by_key
    };
    let groups: Vec<Vec<(String, Vec<String>)>> = spec
        .ec2_tag_groups
        .iter()
        .map(|filters| group_target(filters))
        .filter(|targets| !targets.is_empty())
        .collect();
    let mut target_sets: Vec<Vec<(String, Vec<String>)>> = Vec::new();
    if groups.iter().all(|targets| targets.len() == 1) {
        if !groups.is_empty() {
            target_sets.push(groups.into_iter().flatten().collect());
        }
    } else {
        target_sets.extend(groups.into_iter().flatten().map(|target| vec![target]));
    }
    if !spec.auto_scaling_groups.is_empty() {
        target_sets.push(vec![(
            "tag:aws:autoscaling:groupName".to_owned(),
            spec.auto_scaling_groups.clone(),
        )]);
    }
    let count = target_sets.len();
    target_sets
        .into_iter()
        .enumerate()
        .map(|(index, targets)| SetupStep::CreateAgentAssociation {
            name: if count == 1 {
                base.clone()
            } else {
                format!("{base}-{}", index + 1)
            },
            targets,
            schedule: AGENT_UPDATE_SCHEDULE.to_owned(),
        })
        .collect()
}

/// "i-1" for one instance, "3 instances" for more.
fn instances_words(instance_ids: &[String]) -> String {
    match instance_ids {
        [one] => one.clone(),
        several => format!("{} instances", several.len()),
    }
}

impl SetupStep {
    /// For a step that sends a Systems Manager command: its document, its
    /// parameters and its comment.
    pub fn command(&self) -> Option<(&'static str, Value, &'static str)> {
        match self {
            Self::InstallAgent { .. } => Some((
                AGENT_INSTALL_DOCUMENT,
                agent_install_parameters(),
                "Install or update the CodeDeploy agent",
            )),
            Self::StartAgent { .. } => Some((
                AGENT_SHELL_DOCUMENT,
                json!({ "commands": [AGENT_START_COMMAND] }),
                "Start the CodeDeploy agent",
            )),
            _ => None,
        }
    }

    /// The instances a Systems Manager command goes to; empty for other
    /// steps.
    pub fn instance_ids(&self) -> &[String] {
        match self {
            Self::InstallAgent { instance_ids } | Self::StartAgent { instance_ids } => instance_ids,
            _ => &[],
        }
    }

    /// What the step does, in a few words for a checklist.
    pub fn summary(&self) -> String {
        match self {
            Self::CreateRole { role, .. } => format!("Create the role {role}"),
            Self::AttachRolePolicy { role, policy_arn } => {
                let name = policy_arn.rsplit('/').next().unwrap_or(policy_arn);
                format!("Attach {name} to {role}")
            }
            Self::PutRolePolicy {
                role, policy_name, ..
            } => format!("Put the inline policy {policy_name} on {role}"),
            Self::CreateInstanceProfile { profile } => {
                format!("Create the instance profile {profile}")
            }
            Self::AddRoleToInstanceProfile { profile, role } => {
                format!("Put {role} into the instance profile {profile}")
            }
            Self::AssociateInstanceProfile {
                instance_id,
                profile,
            } => format!("Give {instance_id} the instance profile {profile}"),
            Self::InstallAgent { instance_ids } => format!(
                "Install the CodeDeploy agent on {} through Systems Manager",
                instances_words(instance_ids)
            ),
            Self::StartAgent { instance_ids } => format!(
                "Start the CodeDeploy agent on {} through Systems Manager",
                instances_words(instance_ids)
            ),
            Self::CreateAgentAssociation { name, .. } => format!(
                "Have Systems Manager install the CodeDeploy agent and keep it updated ({name})"
            ),
            Self::CreateApplication {
                application,
                platform,
            } => match platform {
                ComputePlatform::Server => format!("Create the application {application}"),
                other => format!("Create the {} application {application}", other.label()),
            },
            Self::CreateDeploymentConfig { name, .. } => {
                format!("Create the deployment configuration {name}")
            }
            Self::CreateDeploymentGroup { spec, .. } => format!(
                "Create the deployment group {} in {}",
                spec.group, spec.application
            ),
            Self::UpdateDeploymentGroup { current, spec, .. } => format!(
                "Update the deployment group {current} in {}",
                spec.application
            ),
        }
    }

    /// Whether a resource of this step that exists but differs can be made
    /// to match the plan (with the person's consent): a role's trust
    /// policy, an inline policy, a profile's role, a deployment group.
    pub fn is_fixable(&self) -> bool {
        matches!(
            self,
            Self::CreateRole { .. }
                | Self::PutRolePolicy { .. }
                | Self::AddRoleToInstanceProfile { .. }
                | Self::CreateDeploymentGroup { .. }
        )
    }

    /// The policy document the step writes, if any, for the review page.
    pub fn document(&self) -> Option<&Value> {
        match self {
            Self::CreateRole { trust_policy, .. } => Some(trust_policy),
            Self::PutRolePolicy { document, .. } => Some(document),
            Self::CreateDeploymentGroup { input, .. }
            | Self::UpdateDeploymentGroup { input, .. } => Some(input),
            _ => None,
        }
    }

    /// The name of the API call the step makes, e.g. `CreateDeploymentGroup`.
    pub fn operation(&self) -> &'static str {
        match self {
            Self::CreateRole { .. } => "CreateRole",
            Self::AttachRolePolicy { .. } => "AttachRolePolicy",
            Self::PutRolePolicy { .. } => "PutRolePolicy",
            Self::CreateInstanceProfile { .. } => "CreateInstanceProfile",
            Self::AddRoleToInstanceProfile { .. } => "AddRoleToInstanceProfile",
            Self::AssociateInstanceProfile { .. } => "AssociateIamInstanceProfile",
            Self::InstallAgent { .. } | Self::StartAgent { .. } => "SendCommand",
            Self::CreateAgentAssociation { .. } => "CreateAssociation",
            Self::CreateApplication { .. } => "CreateApplication",
            Self::CreateDeploymentConfig { .. } => "CreateDeploymentConfig",
            Self::CreateDeploymentGroup { .. } => "CreateDeploymentGroup",
            Self::UpdateDeploymentGroup { .. } => "UpdateDeploymentGroup",
        }
    }

    /// The call's input with the API's member names, as the review page
    /// shows it (documents as JSON objects, not the strings sent).
    pub fn request(&self) -> Value {
        match self {
            Self::CreateRole {
                role,
                trust_policy,
                description,
            } => json!({
                "RoleName": role,
                "Description": description,
                "AssumeRolePolicyDocument": trust_policy,
            }),
            Self::AttachRolePolicy { role, policy_arn } => {
                json!({ "RoleName": role, "PolicyArn": policy_arn })
            }
            Self::PutRolePolicy {
                role,
                policy_name,
                document,
            } => json!({
                "RoleName": role,
                "PolicyName": policy_name,
                "PolicyDocument": document,
            }),
            Self::CreateInstanceProfile { profile } => json!({ "InstanceProfileName": profile }),
            Self::AddRoleToInstanceProfile { profile, role } => {
                json!({ "InstanceProfileName": profile, "RoleName": role })
            }
            Self::AssociateInstanceProfile {
                instance_id,
                profile,
            } => json!({
                "InstanceId": instance_id,
                "IamInstanceProfile": { "Name": profile },
            }),
            Self::CreateAgentAssociation {
                name,
                targets,
                schedule,
            } => json!({
                "Name": AGENT_INSTALL_DOCUMENT,
                "AssociationName": name,
                "Targets": targets
                    .iter()
                    .map(|(key, values)| json!({ "Key": key, "Values": values }))
                    .collect::<Vec<_>>(),
                "ScheduleExpression": schedule,
                "Parameters": agent_install_parameters(),
            }),
            Self::InstallAgent { .. } | Self::StartAgent { .. } => {
                let (document, parameters, comment) = self.command().unwrap_or_default();
                json!({
                    "DocumentName": document,
                    "InstanceIds": self.instance_ids(),
                    "Parameters": parameters,
                    "Comment": comment,
                })
            }
            Self::CreateApplication {
                application,
                platform,
            } => json!({
                "applicationName": application,
                "computePlatform": platform.as_str(),
            }),
            Self::CreateDeploymentConfig { name, minimum } => json!({
                "deploymentConfigName": name,
                "minimumHealthyHosts": { "type": minimum.api_type(), "value": minimum.api_value() },
            }),
            Self::CreateDeploymentGroup { input, .. }
            | Self::UpdateDeploymentGroup { input, .. } => input.clone(),
        }
    }

    /// What the step makes and with which settings, in plain sentences for
    /// the review page (the summary is the headline; these go under it).
    pub fn details(&self) -> Vec<String> {
        match self {
            Self::CreateRole {
                trust_policy,
                description,
                ..
            } => {
                let mut lines = vec![trust_words(trust_policy)];
                if !description.is_empty() {
                    lines.push(format!("Described as: \"{description}\""));
                }
                lines
            }
            Self::AttachRolePolicy { policy_arn, .. } => {
                let name = policy_arn.rsplit('/').next().unwrap_or(policy_arn);
                let why = if policy_arn == SSM_CORE_POLICY_ARN {
                    ", so Systems Manager can manage the instances (and install the CodeDeploy agent)"
                } else if policy_arn.contains("CodeDeploy") {
                    ", what CodeDeploy needs to act on your instances"
                } else {
                    ""
                };
                vec![format!(
                    "It may do what the AWS managed policy {name} allows{why}."
                )]
            }
            Self::PutRolePolicy { policy_name, .. }
                if policy_name == LAUNCH_TEMPLATE_POLICY_NAME =>
            {
                vec![
                    "It may also launch and tag instances and pass their role (ec2:RunInstances, ec2:CreateTags, iam:PassRole): what CodeDeploy needs to copy an Auto Scaling group that launches from a launch template, for blue/green deployments."
                        .to_owned(),
                ]
            }
            Self::PutRolePolicy { document, .. } => revision_policy_words(document),
            Self::CreateInstanceProfile { .. } => {
                vec!["An instance profile is how an EC2 instance gets a role.".to_owned()]
            }
            Self::AddRoleToInstanceProfile { profile, role } => vec![format!(
                "Instances launched with {profile} act as {role}."
            )],
            Self::AssociateInstanceProfile { .. } => vec![
                "An instance that already has another instance profile keeps it; the run reports it."
                    .to_owned(),
            ],
            Self::InstallAgent { instance_ids } => vec![
                format!(
                    "Systems Manager's {AGENT_INSTALL_DOCUMENT} document installs the {AGENT_PACKAGE} package, or updates an older agent to the latest; an instance that has the latest keeps it, so running this twice changes nothing."
                ),
                format!(
                    "On: {}. Each instance's result shows as it comes in; an instance Systems Manager does not manage cannot be reached.",
                    instance_ids.join(", ")
                ),
            ],
            Self::CreateAgentAssociation {
                targets, schedule, ..
            } => {
                let selected: Vec<String> = targets
                    .iter()
                    .map(|(key, values)| match key.strip_prefix("tag:") {
                        Some(tag) => format!("{tag} = {}", values.join(" or ")),
                        None => format!("a tag {}", values.join(" or ")),
                    })
                    .collect();
                vec![
                    format!(
                        "Systems Manager installs the {AGENT_PACKAGE} package now on the instances with {}, then again on the schedule {schedule} so the agent stays current; instances that get those tags later get it too.",
                        selected.join(" and ")
                    ),
                    "Only instances Systems Manager manages are reached: their role needs AmazonSSMManagedInstanceCore (the instance profile wizard's option).".to_owned(),
                ]
            }
            Self::StartAgent { instance_ids } => vec![
                format!(
                    "Runs \"{AGENT_START_COMMAND}\" with Systems Manager's {AGENT_SHELL_DOCUMENT} document; an agent already running keeps running."
                ),
                format!("On: {}.", instance_ids.join(", ")),
            ],
            Self::CreateApplication { .. } => {
                vec!["For EC2 and on-premises instances.".to_owned()]
            }
            Self::CreateDeploymentConfig { minimum, .. } => vec![format!(
                "A deployment keeps at least {minimum} while it runs."
            )],
            Self::CreateDeploymentGroup { spec, .. } => group_words(spec, None),
            Self::UpdateDeploymentGroup { current, spec, .. } => group_words(spec, Some(current)),
        }
    }

    /// The AWS CLI command that does the same, quoted for a POSIX shell.
    pub fn cli_command(&self) -> String {
        let args: Vec<String> = match self {
            Self::CreateRole {
                role,
                trust_policy,
                description,
            } => vec![
                "aws".into(),
                "iam".into(),
                "create-role".into(),
                "--role-name".into(),
                role.clone(),
                "--description".into(),
                description.clone(),
                "--assume-role-policy-document".into(),
                trust_policy.to_string(),
            ],
            Self::AttachRolePolicy { role, policy_arn } => vec![
                "aws".into(),
                "iam".into(),
                "attach-role-policy".into(),
                "--role-name".into(),
                role.clone(),
                "--policy-arn".into(),
                policy_arn.clone(),
            ],
            Self::PutRolePolicy {
                role,
                policy_name,
                document,
            } => vec![
                "aws".into(),
                "iam".into(),
                "put-role-policy".into(),
                "--role-name".into(),
                role.clone(),
                "--policy-name".into(),
                policy_name.clone(),
                "--policy-document".into(),
                document.to_string(),
            ],
            Self::CreateInstanceProfile { profile } => vec![
                "aws".into(),
                "iam".into(),
                "create-instance-profile".into(),
                "--instance-profile-name".into(),
                profile.clone(),
            ],
            Self::AddRoleToInstanceProfile { profile, role } => vec![
                "aws".into(),
                "iam".into(),
                "add-role-to-instance-profile".into(),
                "--instance-profile-name".into(),
                profile.clone(),
                "--role-name".into(),
                role.clone(),
            ],
            Self::AssociateInstanceProfile {
                instance_id,
                profile,
            } => vec![
                "aws".into(),
                "ec2".into(),
                "associate-iam-instance-profile".into(),
                "--instance-id".into(),
                instance_id.clone(),
                "--iam-instance-profile".into(),
                format!("Name={profile}"),
            ],
            Self::CreateAgentAssociation {
                name,
                targets,
                schedule,
            } => {
                let mut args: Vec<String> = vec![
                    "aws".into(),
                    "ssm".into(),
                    "create-association".into(),
                    "--name".into(),
                    AGENT_INSTALL_DOCUMENT.into(),
                    "--association-name".into(),
                    name.clone(),
                ];
                for (key, values) in targets {
                    args.push("--targets".into());
                    args.push(format!("Key={key},Values={}", values.join(",")));
                }
                args.extend([
                    "--schedule-expression".into(),
                    schedule.clone(),
                    "--parameters".into(),
                    agent_install_parameters().to_string(),
                ]);
                args
            }
            Self::InstallAgent { .. } | Self::StartAgent { .. } => {
                let (document, parameters, comment) = self.command().unwrap_or_default();
                let mut args: Vec<String> = vec![
                    "aws".into(),
                    "ssm".into(),
                    "send-command".into(),
                    "--document-name".into(),
                    document.into(),
                    "--instance-ids".into(),
                ];
                args.extend(self.instance_ids().iter().cloned());
                args.extend([
                    "--parameters".into(),
                    parameters.to_string(),
                    "--comment".into(),
                    comment.into(),
                ]);
                args
            }
            Self::CreateApplication {
                application,
                platform,
            } => vec![
                "aws".into(),
                "deploy".into(),
                "create-application".into(),
                "--application-name".into(),
                application.clone(),
                "--compute-platform".into(),
                platform.as_str().into(),
            ],
            Self::CreateDeploymentConfig { name, minimum } => vec![
                "aws".into(),
                "deploy".into(),
                "create-deployment-config".into(),
                "--deployment-config-name".into(),
                name.clone(),
                "--minimum-healthy-hosts".into(),
                format!("type={},value={}", minimum.api_type(), minimum.api_value()),
            ],
            Self::CreateDeploymentGroup { input, .. } => vec![
                "aws".into(),
                "deploy".into(),
                "create-deployment-group".into(),
                "--cli-input-json".into(),
                input.to_string(),
            ],
            Self::UpdateDeploymentGroup { input, .. } => vec![
                "aws".into(),
                "deploy".into(),
                "update-deployment-group".into(),
                "--cli-input-json".into(),
                input.to_string(),
            ],
        };
        shell_words(&args)
    }
}

/// Who may assume a role, in words, read from its trust policy.
fn trust_words(policy: &Value) -> String {
    let statement = &policy["Statement"][0];
    let services: Vec<String> = match &statement["Principal"]["Service"] {
        Value::String(service) => vec![service.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let who: Vec<String> = services
        .iter()
        .map(|service| match service.as_str() {
            CODEDEPLOY_PRINCIPAL => format!("CodeDeploy ({service})"),
            EC2_PRINCIPAL => format!("EC2 instances ({service})"),
            other => other.to_owned(),
        })
        .collect();
    let who = if who.is_empty() {
        "the principals in its trust policy".to_owned()
    } else {
        who.join(" and ")
    };
    let account = statement["Condition"]["StringEquals"]["aws:SourceAccount"].as_str();
    let region = statement["Condition"]["ArnLike"]["aws:SourceArn"]
        .as_str()
        .and_then(|arn| arn.split(':').nth(3));
    match (account, region) {
        (Some(account), Some(region)) => {
            format!("Who may use it: {who}, only on behalf of account {account} in {region}.")
        }
        (Some(account), None) => {
            format!("Who may use it: {who}, only on behalf of account {account}.")
        }
        _ => format!("Who may use it: {who}."),
    }
}

/// What the revision read policy lets instances do, in words.
fn revision_policy_words(document: &Value) -> Vec<String> {
    let statements = document["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let resources = |sid: &str| -> Vec<String> {
        statements
            .iter()
            .filter(|statement| statement["Sid"] == sid)
            .flat_map(|statement| match &statement["Resource"] {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                Value::String(item) => vec![item.clone()],
                _ => Vec::new(),
            })
            .collect()
    };
    let bucket_of = |arn: &str| {
        arn.trim_start_matches("arn:aws:s3:::")
            .trim_end_matches("/*")
            .to_owned()
    };
    let buckets: Vec<String> = resources("ReadRevisions")
        .iter()
        .map(|arn| bucket_of(arn))
        .collect();
    let mut lines = Vec::new();
    if buckets.is_empty() {
        lines.push("The policy document is shown with the calls below.".to_owned());
    } else {
        lines.push(format!(
            "Instances may read revisions from {} {} only; nothing else in S3.",
            if buckets.len() == 1 {
                "the bucket"
            } else {
                "the buckets"
            },
            buckets.join(", ")
        ));
    }
    if let Some(agent) = resources("DownloadCodeDeployAgent").first() {
        lines.push(format!(
            "They may download the CodeDeploy agent from {}.",
            bucket_of(agent)
        ));
    }
    lines
}

/// The tag groups of a deployment group in words: "tagged Environment=prod
/// or Role (any value), and Fleet=demo".
fn tag_groups_words(groups: &[Vec<TagFilterSpec>]) -> String {
    let filter = |filter: &TagFilterSpec| match (filter.key.is_empty(), filter.value.is_empty()) {
        (false, false) => format!("{}={}", filter.key, filter.value),
        (false, true) => format!("{} (any value)", filter.key),
        (true, _) => format!("any tag with the value {}", filter.value),
    };
    groups
        .iter()
        .filter(|group| !group.is_empty())
        .map(|group| {
            let words: Vec<String> = group.iter().map(filter).collect();
            if words.len() > 1 && groups.len() > 1 {
                format!("({})", words.join(" or "))
            } else {
                words.join(" or ")
            }
        })
        .collect::<Vec<_>>()
        .join(", and ")
}

/// A deployment group's settings in words; `current` is its name now when
/// it is updated.
fn group_words(spec: &DeploymentGroupSpec, current: Option<&str>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(current) = current
        && current != spec.group
    {
        lines.push(format!("Renamed from {current} to {}.", spec.group));
    }
    let role = spec
        .service_role_arn
        .rsplit('/')
        .next()
        .unwrap_or(&spec.service_role_arn);
    lines.push(format!("Service role: {role}."));
    if spec.platform == ComputePlatform::Server {
        lines.push(server_type_words(spec));
    } else {
        lines.extend(traffic_words(spec));
    }
    if !spec.ec2_tag_groups.is_empty() {
        lines.push(format!(
            "Deploys to EC2 instances tagged {}.",
            tag_groups_words(&spec.ec2_tag_groups)
        ));
    }
    if !spec.on_premises_tag_groups.is_empty() {
        lines.push(format!(
            "Deploys to on-premises instances tagged {}.",
            tag_groups_words(&spec.on_premises_tag_groups)
        ));
    }
    if !spec.auto_scaling_groups.is_empty() {
        lines.push(format!(
            "Deploys to the instances of the Auto Scaling group{} {}, and to each new one they launch.",
            if spec.auto_scaling_groups.len() == 1 { "" } else { "s" },
            spec.auto_scaling_groups.join(", ")
        ));
    }
    let pace = match &spec.config {
        ConfigChoice::Named(name) if spec.platform != ComputePlatform::Server => {
            match super::traffic::predefined(name) {
                Some(config) => format!("{name}: {}", config.routing),
                None => format!("{name} (the account's own)"),
            }
        }
        ConfigChoice::Named(name) => match super::config::DeploymentConfig::predefined(name) {
            Ok(config) => format!(
                "{name}, which keeps {} while it deploys",
                config.minimum_healthy_hosts
            ),
            Err(_) => name.clone(),
        },
        ConfigChoice::Custom { name, minimum } => {
            format!("{name} (made with the group), which keeps {minimum} while it deploys")
        }
    };
    lines.push(format!("Pace: {pace}."));
    if spec.traffic_control && !spec.target_groups.is_empty() {
        lines.push(format!(
            "Traffic goes through the target groups {}.",
            spec.target_groups.join(", ")
        ));
    }
    if spec.traffic_control && !spec.classic_load_balancers.is_empty() {
        lines.push(format!(
            "Traffic goes through the classic load balancers {}.",
            spec.classic_load_balancers.join(", ")
        ));
    }
    let rollback = match (spec.rollback_on_failure, spec.rollback_on_alarm) {
        (true, true) => "Rolls back when a deployment fails or an alarm stops it.",
        (true, false) => "Rolls back when a deployment fails.",
        (false, true) => "Rolls back when an alarm stops a deployment.",
        (false, false) => "Never rolls back by itself.",
    };
    lines.push(rollback.to_owned());
    if !spec.alarms.is_empty() {
        lines.push(format!("Alarms that stop it: {}.", spec.alarms.join(", ")));
    }
    for trigger in &spec.triggers {
        lines.push(format!(
            "Notifies {} ({}) on {}.",
            trigger
                .topic_arn
                .rsplit(':')
                .next()
                .unwrap_or(&trigger.topic_arn),
            trigger.name,
            trigger.events.join(", ")
        ));
    }
    lines
}

/// How an EC2/on-premises group replaces the application, in words.
fn server_type_words(spec: &DeploymentGroupSpec) -> String {
    match spec.deployment_type {
        DeploymentType::InPlace => {
            "In-place: each instance is stopped, updated and started again.".to_owned()
        }
        DeploymentType::BlueGreen {
            reroute_at_once,
            wait_minutes,
            terminate_original,
            termination_wait_minutes,
            copy_auto_scaling_group,
        } => {
            let reroute = if reroute_at_once {
                "traffic moves as soon as the new instances are ready".to_owned()
            } else {
                format!("traffic waits for you to continue, at most {wait_minutes} minutes")
            };
            let original = if terminate_original {
                format!(
                    "the original instances are terminated after {termination_wait_minutes} minutes"
                )
            } else {
                "the original instances are kept".to_owned()
            };
            let source = if copy_auto_scaling_group {
                "the new instances come from a copy of the Auto Scaling group; "
            } else {
                ""
            };
            format!("Blue/green: {source}{reroute}; {original}.")
        }
    }
}

/// How a Lambda or ECS group shifts traffic, in words: for ECS the
/// service, its target groups and listeners, the wait for Continue and
/// when the original task set goes.
fn traffic_words(spec: &DeploymentGroupSpec) -> Vec<String> {
    let mut lines = Vec::new();
    if spec.platform == ComputePlatform::Lambda {
        lines.push("Blue/green: each deployment shifts a function alias's traffic from its current version to the target version.".to_owned());
        return lines;
    }
    let ecs = &spec.ecs;
    lines.push(format!(
        "Deploys to the ECS service {} in the cluster {}.",
        ecs.service, ecs.cluster
    ));
    lines.push(format!(
        "The original task set serves {}; the replacement starts behind {}.",
        ecs.target_groups[0], ecs.target_groups[1]
    ));
    let listener = |arn: &str| arn.rsplit('/').next().unwrap_or(arn).to_owned();
    lines.push(if ecs.test_listener.trim().is_empty() {
        format!(
            "Production traffic through listener {}; no test listener.",
            listener(&ecs.production_listener)
        )
    } else {
        format!(
            "Production traffic through listener {}, test traffic through listener {}.",
            listener(&ecs.production_listener),
            listener(&ecs.test_listener)
        )
    });
    if let DeploymentType::BlueGreen {
        reroute_at_once,
        wait_minutes,
        terminate_original,
        termination_wait_minutes,
        ..
    } = spec.deployment_type
    {
        lines.push(if reroute_at_once {
            "Traffic is rerouted as soon as the replacement task set is ready.".to_owned()
        } else {
            format!("Traffic waits for you to continue, at most {wait_minutes} minutes, then the deployment stops.")
        });
        lines.push(if terminate_original {
            format!(
                "The original task set is removed {termination_wait_minutes} minutes after success."
            )
        } else {
            "The original task set is kept after success.".to_owned()
        });
    }
    lines
}

/// `args` joined into one POSIX shell command line, each quoted only when
/// it needs to be.
fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|arg| {
            shlex::try_quote(arg).map_or_else(
                // Only a NUL byte cannot be quoted; no argument here has one.
                |_| format!("'{}'", arg.replace('\'', r"'\''")),
                std::borrow::Cow::into_owned,
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The steps of a wizard, in the order they run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetupPlan {
    /// The steps.
    pub steps: Vec<SetupStep>,
}

impl SetupPlan {
    /// Installs (or updates) the CodeDeploy agent on `instance_ids`
    /// through Systems Manager.
    pub fn install_agent(instance_ids: Vec<String>) -> Self {
        Self {
            steps: vec![SetupStep::InstallAgent { instance_ids }],
        }
    }

    /// Starts the installed CodeDeploy agent on `instance_ids` through
    /// Systems Manager.
    pub fn start_agent(instance_ids: Vec<String>) -> Self {
        Self {
            steps: vec![SetupStep::StartAgent { instance_ids }],
        }
    }

    /// The plan of the service role wizard: the role and its managed policy
    /// and, with `launch_templates`, the inline policy that lets CodeDeploy
    /// copy Auto Scaling groups that launch from launch templates.
    pub fn service_role(
        role: &str,
        platform: ComputePlatform,
        account: &str,
        region: &str,
        confused_deputy: bool,
        launch_templates: bool,
    ) -> Self {
        let mut plan = Self {
            steps: vec![
                SetupStep::CreateRole {
                    role: role.to_owned(),
                    trust_policy: service_role_trust_policy(account, region, confused_deputy),
                    description: format!(
                        "Lets CodeDeploy deploy to {} on this account's behalf.",
                        platform.label()
                    ),
                },
                SetupStep::AttachRolePolicy {
                    role: role.to_owned(),
                    policy_arn: platform.managed_policy_arn().to_owned(),
                },
            ],
        };
        if launch_templates && platform == ComputePlatform::Server {
            plan.steps.push(SetupStep::PutRolePolicy {
                role: role.to_owned(),
                policy_name: LAUNCH_TEMPLATE_POLICY_NAME.to_owned(),
                document: launch_template_policy(),
            });
        }
        plan
    }

    /// The plan of the instance profile wizard: the role EC2 assumes, its
    /// read access to the revision buckets, optionally Systems Manager's
    /// policy, the profile holding the role, and the instances to give it.
    pub fn instance_profile(options: &InstanceProfileOptions) -> Self {
        let role = &options.role;
        let mut steps = vec![
            SetupStep::CreateRole {
                role: role.clone(),
                trust_policy: instance_role_trust_policy(),
                description: "Lets EC2 instances download CodeDeploy revisions.".to_owned(),
            },
            SetupStep::PutRolePolicy {
                role: role.clone(),
                policy_name: REVISION_POLICY_NAME.to_owned(),
                document: revision_read_policy(&options.buckets, options.agent_region.as_deref()),
            },
        ];
        if options.ssm {
            steps.push(SetupStep::AttachRolePolicy {
                role: role.clone(),
                policy_arn: SSM_CORE_POLICY_ARN.to_owned(),
            });
        }
        steps.push(SetupStep::CreateInstanceProfile {
            profile: options.profile.clone(),
        });
        steps.push(SetupStep::AddRoleToInstanceProfile {
            profile: options.profile.clone(),
            role: role.clone(),
        });
        steps.extend(options.instances.iter().map(|instance_id| {
            SetupStep::AssociateInstanceProfile {
                instance_id: instance_id.clone(),
                profile: options.profile.clone(),
            }
        }));
        Self { steps }
    }

    /// The plan of the deployment group wizard: the application if it is
    /// new, the custom configuration if one is asked for, and the group —
    /// created, or updated when `editing` names the group being edited.
    pub fn deployment_group(
        spec: &DeploymentGroupSpec,
        new_application: bool,
        editing: Option<&str>,
    ) -> Self {
        let mut steps = Vec::new();
        if new_application {
            steps.push(SetupStep::CreateApplication {
                application: spec.application.clone(),
                platform: spec.platform,
            });
        }
        if let ConfigChoice::Custom { name, minimum } = &spec.config {
            steps.push(SetupStep::CreateDeploymentConfig {
                name: name.clone(),
                minimum: *minimum,
            });
        }
        steps.push(match editing {
            Some(current) => SetupStep::UpdateDeploymentGroup {
                current: current.to_owned(),
                input: spec.update_input(current),
                spec: Box::new(spec.clone()),
            },
            None => SetupStep::CreateDeploymentGroup {
                input: spec.create_input(),
                spec: Box::new(spec.clone()),
            },
        });
        Self { steps }
    }

    /// Every AWS CLI command of the plan, one per line.
    pub fn cli_script(&self) -> String {
        self.steps
            .iter()
            .map(SetupStep::cli_command)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The name of the inline policy the instance profile wizard puts on its
/// role.
pub const REVISION_POLICY_NAME: &str = "ReadCodeDeployRevisions";

/// What the instance profile wizard was told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceProfileOptions {
    /// The role's name.
    pub role: String,
    /// The instance profile's name.
    pub profile: String,
    /// The buckets revisions are read from.
    pub buckets: Vec<String>,
    /// The region whose CodeDeploy agent bucket instances may read, if any.
    pub agent_region: Option<String>,
    /// Whether to attach `AmazonSSMManagedInstanceCore`.
    pub ssm: bool,
    /// The EC2 instances to give the profile.
    pub instances: Vec<String>,
}

/// Why a row of a wizard's tag form (a key field and a value field side by
/// side) is refused. The wizards ask for a key on every row: a row left
/// empty, or holding a value without its key, is a slip to point out at
/// the row rather than a filter or tag to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagRowError {
    /// Neither key nor value.
    #[error("Nothing is typed here: type a tag key (e.g. Environment).")]
    Empty,
    /// A value typed without its key.
    #[error("Type the key that goes with the value \"{0}\" (e.g. Environment).")]
    MissingKey(String),
    /// The key or value breaks the tag rules.
    #[error(transparent)]
    Tag(#[from] TagError),
}

impl TagRowError {
    /// Which field of the row the message is about.
    pub fn part(&self) -> TagPart {
        match self {
            Self::Tag(
                TagError::TooLong { part, .. }
                | TagError::BadCharacter { part, .. }
                | TagError::FilterMissing { part, .. },
            ) => *part,
            Self::Empty | Self::MissingKey(_) | Self::Tag(_) => TagPart::Key,
        }
    }
}

/// Checks the key and value typed on one row, before the tag rules: a row
/// needs a key. Both are trimmed.
fn check_row_has_key(key: &str, value: &str) -> Result<(), TagRowError> {
    match (key.trim().is_empty(), value.trim()) {
        (true, "") => Err(TagRowError::Empty),
        (true, value) => Err(TagRowError::MissingKey(value.to_owned())),
        (false, _) => Ok(()),
    }
}

/// Checks one row of a deployment group's tag filters as the wizard takes
/// them: a key is needed (with or without a value), and key and value keep
/// CodeDeploy's tag filter rules.
pub fn check_tag_filter_row(key: &str, value: &str) -> Result<(), TagRowError> {
    check_row_has_key(key, value)?;
    validate_tag_filter(Some(key.trim()), Some(value.trim()), None)?;
    Ok(())
}

/// Checks one tag typed to be set on instances: a key is needed, and key
/// and value keep the tag rules DeployDesk holds EC2 tags to (see
/// [`validate_tag`]).
pub fn check_tag_row(key: &str, value: &str) -> Result<(), TagRowError> {
    check_row_has_key(key, value)?;
    validate_tag(key.trim(), value.trim())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_role_for_copied_launch_template_groups_gets_the_launch_permissions() {
        let without = SetupPlan::service_role(
            "CodeDeployServiceRole",
            ComputePlatform::Server,
            "111122223333",
            "eu-west-1",
            true,
            false,
        );
        assert_eq!(without.steps.len(), 2);
        let with_templates = SetupPlan::service_role(
            "CodeDeployServiceRole",
            ComputePlatform::Server,
            "111122223333",
            "eu-west-1",
            true,
            true,
        );
        assert_eq!(with_templates.steps.len(), 3);
        assert_eq!(with_templates.steps[2].operation(), "PutRolePolicy");
        let request = with_templates.steps[2].request();
        assert_eq!(request["PolicyName"], LAUNCH_TEMPLATE_POLICY_NAME);
        assert_eq!(
            request["PolicyDocument"]["Statement"][0]["Action"],
            json!(["ec2:RunInstances", "ec2:CreateTags", "iam:PassRole"])
        );
        assert!(with_templates.steps[2].details()[0].contains("copy an Auto Scaling group"));
        // Lambda and ECS deployments copy no Auto Scaling group.
        let lambda = SetupPlan::service_role(
            "CodeDeployLambdaRole",
            ComputePlatform::Lambda,
            "111122223333",
            "eu-west-1",
            true,
            true,
        );
        assert_eq!(lambda.steps.len(), 2);
    }

    #[test]
    fn the_review_names_each_call_and_says_what_it_makes_in_words() {
        let plan = SetupPlan::service_role(
            "CodeDeployServiceRole",
            ComputePlatform::Server,
            "111122223333",
            "eu-west-1",
            true,
            false,
        );
        assert_eq!(plan.steps[0].operation(), "CreateRole");
        assert_eq!(plan.steps[1].operation(), "AttachRolePolicy");
        assert_eq!(
            plan.steps[0].details()[0],
            "Who may use it: CodeDeploy (codedeploy.amazonaws.com), only on behalf of account 111122223333 in eu-west-1."
        );
        assert_eq!(plan.steps[0].request()["RoleName"], "CodeDeployServiceRole");
        assert_eq!(
            &plan.steps[0].request()["AssumeRolePolicyDocument"],
            plan.steps[0].document().expect("a trust policy")
        );
        let profile = SetupPlan::instance_profile(&InstanceProfileOptions {
            role: "R".to_owned(),
            profile: "P".to_owned(),
            buckets: vec!["rev-a".to_owned(), "rev-b".to_owned()],
            agent_region: Some("us-east-2".to_owned()),
            ssm: false,
            instances: Vec::new(),
        });
        assert_eq!(
            profile.steps[1].details(),
            [
                "Instances may read revisions from the buckets rev-a, rev-b only; nothing else in S3.",
                "They may download the CodeDeploy agent from aws-codedeploy-us-east-2."
            ]
        );
        let spec = DeploymentGroupSpec {
            platform: ComputePlatform::Server,
            ecs: crate::domain::group_spec::EcsTrafficSpec::default(),
            application: "web".to_owned(),
            group: "prod".to_owned(),
            service_role_arn: "arn:aws:iam::111122223333:role/DeployRole".to_owned(),
            deployment_type: DeploymentType::InPlace,
            traffic_control: false,
            target_groups: Vec::new(),
            classic_load_balancers: Vec::new(),
            auto_scaling_groups: Vec::new(),
            ec2_tag_groups: vec![
                vec![
                    TagFilterSpec {
                        key: "Environment".to_owned(),
                        value: "prod".to_owned(),
                    },
                    TagFilterSpec {
                        key: "Role".to_owned(),
                        value: String::new(),
                    },
                ],
                vec![TagFilterSpec {
                    key: "Fleet".to_owned(),
                    value: "demo".to_owned(),
                }],
            ],
            on_premises_tag_groups: Vec::new(),
            config: ConfigChoice::Named("CodeDeployDefault.HalfAtATime".to_owned()),
            alarms: Vec::new(),
            rollback_on_failure: true,
            rollback_on_alarm: false,
            triggers: Vec::new(),
        };
        let plan = SetupPlan::deployment_group(&spec, false, None);
        let step = &plan.steps[0];
        assert_eq!(step.operation(), "CreateDeploymentGroup");
        let details = step.details();
        assert!(
            details.contains(&"Service role: DeployRole.".to_owned()),
            "{details:?}"
        );
        assert!(
            details.contains(
                &"Deploys to EC2 instances tagged (Environment=prod or Role (any value)), and Fleet=demo."
                    .to_owned()
            ),
            "{details:?}"
        );
        assert!(
            details.contains(&"Rolls back when a deployment fails.".to_owned()),
            "{details:?}"
        );
        assert!(
            details.iter().any(
                |line| line.starts_with("Pace: CodeDeployDefault.HalfAtATime, which keeps 50%")
            ),
            "{details:?}"
        );
    }

    #[test]
    fn a_tag_row_needs_a_key_and_an_empty_row_is_refused() {
        assert_eq!(check_tag_filter_row("", ""), Err(TagRowError::Empty));
        assert_eq!(check_tag_filter_row("  ", " "), Err(TagRowError::Empty));
        assert_eq!(
            check_tag_filter_row("", "production"),
            Err(TagRowError::MissingKey("production".to_owned()))
        );
        assert_eq!(check_tag_filter_row("Environment", ""), Ok(()));
        assert_eq!(check_tag_filter_row("Environment", "production"), Ok(()));
        assert_eq!(
            check_tag_row("", "web"),
            Err(TagRowError::MissingKey("web".to_owned()))
        );
        assert_eq!(check_tag_row("", ""), Err(TagRowError::Empty));
        assert_eq!(check_tag_row("Role", "web"), Ok(()));
        let reserved = check_tag_row("aws:x", "web").unwrap_err();
        assert_eq!(reserved.part(), TagPart::Key);
        let bad_value = check_tag_filter_row("Role", "a|b").unwrap_err();
        assert_eq!(bad_value.part(), TagPart::Value);
        assert!(
            TagRowError::MissingKey("web".to_owned())
                .to_string()
                .contains("key")
        );
    }

    #[test]
    fn service_role_trusts_codedeploy_with_confused_deputy_conditions() {
        let policy = service_role_trust_policy("111122223333", "eu-west-1", true);
        let statement = &policy["Statement"][0];
        assert_eq!(statement["Principal"]["Service"], CODEDEPLOY_PRINCIPAL);
        assert_eq!(statement["Action"], "sts:AssumeRole");
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceAccount"],
            "111122223333"
        );
        assert_eq!(
            statement["Condition"]["ArnLike"]["aws:SourceArn"],
            "arn:aws:codedeploy:eu-west-1:111122223333:*"
        );
        let plain = service_role_trust_policy("111122223333", "eu-west-1", false);
        assert!(plain["Statement"][0].get("Condition").is_none());
    }

    #[test]
    fn revision_policy_names_only_the_given_buckets() {
        let policy = revision_read_policy(&["rev-a".to_owned(), "rev-b".to_owned()], None);
        let text = policy.to_string();
        assert!(!text.contains("s3:*"), "{text}");
        assert!(!text.contains("\"*\""), "{text}");
        assert_eq!(
            policy["Statement"][0]["Resource"],
            json!(["arn:aws:s3:::rev-a/*", "arn:aws:s3:::rev-b/*"])
        );
        assert_eq!(
            policy["Statement"][1]["Resource"],
            json!(["arn:aws:s3:::rev-a", "arn:aws:s3:::rev-b"])
        );
        let with_agent = revision_read_policy(&["rev-a".to_owned()], Some("us-east-2"));
        assert_eq!(
            with_agent["Statement"][2]["Resource"],
            json!(["arn:aws:s3:::aws-codedeploy-us-east-2/*"])
        );
    }

    #[test]
    fn equivalent_documents_compare_equal() {
        let a = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"},
            "Action": "sts:AssumeRole"}]});
        let b = json!({"Statement": [{
            "Action": ["sts:AssumeRole"], "Effect": "Allow",
            "Principal": {"Service": ["codedeploy.amazonaws.com"]}}], "Version": "2012-10-17"});
        assert!(documents_equivalent(&a, &b));
        let c = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"}]});
        assert!(!documents_equivalent(&a, &c));
        let d = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": {"Service": "codedeploy.amazonaws.com"},
            "Action": "sts:AssumeRole"}]});
        assert!(!documents_equivalent(&a, &d));
        let two = json!({"Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"]});
        let swapped = json!({"Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]});
        assert!(documents_equivalent(&two, &swapped));
    }

    #[test]
    fn plans_list_their_steps_and_cli_commands() {
        let plan = SetupPlan::service_role(
            "CodeDeployServiceRole",
            ComputePlatform::Server,
            "000000000000",
            "us-east-1",
            true,
            false,
        );
        assert_eq!(
            plan.steps
                .iter()
                .map(SetupStep::summary)
                .collect::<Vec<_>>(),
            [
                "Create the role CodeDeployServiceRole",
                "Attach AWSCodeDeployRole to CodeDeployServiceRole"
            ]
        );
        let script = plan.cli_script();
        let lines: Vec<&str> = script.lines().collect();
        assert!(
            lines[0].starts_with("aws iam create-role --role-name CodeDeployServiceRole"),
            "{script}"
        );
        // The policy document is one single-quoted shell word that parses
        // back to the same JSON.
        let words = shlex::split(lines[0]).expect("the command is valid shell");
        let document = words.last().expect("the document is the last word");
        let parsed: Value = serde_json::from_str(document).expect("the document is JSON");
        assert_eq!(&parsed, plan.steps[0].document().expect("a trust policy"));
        assert_eq!(
            lines[1],
            "aws iam attach-role-policy --role-name CodeDeployServiceRole --policy-arn arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole"
        );
    }

    #[test]
    fn instance_profile_plan_adds_ssm_and_instances_when_asked() {
        let options = InstanceProfileOptions {
            role: "CodeDeployInstanceRole".to_owned(),
            profile: "CodeDeployInstanceProfile".to_owned(),
            buckets: vec!["revisions".to_owned()],
            agent_region: None,
            ssm: true,
            instances: vec!["i-0123456789abcdef0".to_owned()],
        };
        let plan = SetupPlan::instance_profile(&options);
        let summaries: Vec<String> = plan.steps.iter().map(SetupStep::summary).collect();
        assert_eq!(
            summaries,
            [
                "Create the role CodeDeployInstanceRole",
                "Put the inline policy ReadCodeDeployRevisions on CodeDeployInstanceRole",
                "Attach AmazonSSMManagedInstanceCore to CodeDeployInstanceRole",
                "Create the instance profile CodeDeployInstanceProfile",
                "Put CodeDeployInstanceRole into the instance profile CodeDeployInstanceProfile",
                "Give i-0123456789abcdef0 the instance profile CodeDeployInstanceProfile",
            ]
        );
        let without = SetupPlan::instance_profile(&InstanceProfileOptions {
            ssm: false,
            instances: Vec::new(),
            ..options
        });
        assert_eq!(without.steps.len(), 4);
    }

    #[test]
    fn the_agent_association_targets_the_groups_tags_as_codedeploy_matches_them() {
        let tag = |key: &str, value: &str| TagFilterSpec {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let mut spec = DeploymentGroupSpec {
            platform: ComputePlatform::Server,
            ecs: crate::domain::group_spec::EcsTrafficSpec::default(),
            application: "web shop".to_owned(),
            group: "prod".to_owned(),
            service_role_arn: String::new(),
            deployment_type: DeploymentType::InPlace,
            traffic_control: false,
            target_groups: Vec::new(),
            classic_load_balancers: Vec::new(),
            auto_scaling_groups: Vec::new(),
            // Every group must match: each is a target of one association.
            ec2_tag_groups: vec![
                vec![tag("Environment", "prod"), tag("Environment", "staging")],
                vec![tag("Role", "")],
            ],
            on_premises_tag_groups: Vec::new(),
            config: ConfigChoice::Named("CodeDeployDefault.OneAtATime".to_owned()),
            alarms: Vec::new(),
            rollback_on_failure: false,
            rollback_on_alarm: false,
            triggers: Vec::new(),
        };
        let steps = agent_association_steps(&spec);
        assert_eq!(
            steps,
            vec![SetupStep::CreateAgentAssociation {
                name: "CodeDeployAgent-web-shop-prod".to_owned(),
                targets: vec![
                    (
                        "tag:Environment".to_owned(),
                        vec!["prod".to_owned(), "staging".to_owned()]
                    ),
                    ("tag-key".to_owned(), vec!["Role".to_owned()]),
                ],
                schedule: AGENT_UPDATE_SCHEDULE.to_owned(),
            }]
        );
        assert!(steps[0].cli_command().starts_with(
            "aws ssm create-association --name AWS-ConfigureAWSPackage --association-name CodeDeployAgent-web-shop-prod --targets 'Key=tag:Environment,Values=prod,staging' --targets 'Key=tag-key,Values=Role' --schedule-expression 'rate(14 days)'"
        ), "{}", steps[0].cli_command());

        // A group whose tags are of two keys (either matches) cannot be one
        // target: each key gets its association; the Auto Scaling groups
        // theirs.
        spec.ec2_tag_groups = vec![vec![tag("Environment", "prod"), tag("Role", "web")]];
        spec.auto_scaling_groups = vec!["web-asg".to_owned()];
        let names: Vec<String> = agent_association_steps(&spec)
            .iter()
            .map(SetupStep::summary)
            .collect();
        assert_eq!(names.len(), 3);
        assert!(
            names[2].ends_with("(CodeDeployAgent-web-shop-prod-3)"),
            "{names:?}"
        );
    }

    #[test]
    fn an_ecs_group_reads_in_words_and_its_cli_command_carries_the_service_and_listeners() {
        use crate::domain::group_spec::EcsTrafficSpec;
        let spec = DeploymentGroupSpec {
            platform: ComputePlatform::Ecs,
            ecs: EcsTrafficSpec {
                cluster: "shop".to_owned(),
                service: "web".to_owned(),
                target_groups: ["web-blue".to_owned(), "web-green".to_owned()],
                production_listener:
                    "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/1/80"
                        .to_owned(),
                test_listener: String::new(),
            },
            application: "shop".to_owned(),
            group: "web".to_owned(),
            service_role_arn: "arn:aws:iam::000000000000:role/CodeDeployServiceRole".to_owned(),
            deployment_type: DeploymentType::BlueGreen {
                reroute_at_once: false,
                wait_minutes: 15,
                terminate_original: true,
                termination_wait_minutes: 5,
                copy_auto_scaling_group: false,
            },
            traffic_control: true,
            target_groups: Vec::new(),
            classic_load_balancers: Vec::new(),
            auto_scaling_groups: Vec::new(),
            ec2_tag_groups: Vec::new(),
            on_premises_tag_groups: Vec::new(),
            config: ConfigChoice::Named("CodeDeployDefault.ECSCanary10Percent5Minutes".to_owned()),
            alarms: Vec::new(),
            rollback_on_failure: true,
            rollback_on_alarm: false,
            triggers: Vec::new(),
        };
        let plan = SetupPlan::deployment_group(&spec, false, None);
        let step = &plan.steps[0];
        let details = step.details();
        for expected in [
            "Deploys to the ECS service web in the cluster shop.",
            "The original task set serves web-blue; the replacement starts behind web-green.",
            "Production traffic through listener 80; no test listener.",
            "Traffic waits for you to continue, at most 15 minutes, then the deployment stops.",
            "The original task set is removed 5 minutes after success.",
        ] {
            assert!(
                details.contains(&expected.to_owned()),
                "{expected} not in {details:?}"
            );
        }
        assert!(
            details.iter().any(
                |line| line.starts_with("Pace: CodeDeployDefault.ECSCanary10Percent5Minutes: ")
            ),
            "{details:?}"
        );
        let command = plan.cli_script();
        assert!(
            command.starts_with("aws deploy create-deployment-group --cli-input-json '{"),
            "{command}"
        );
        let json_text = command
            .strip_prefix("aws deploy create-deployment-group --cli-input-json '")
            .and_then(|rest| rest.strip_suffix('\''))
            .expect("one quoted document");
        let input: Value = serde_json::from_str(json_text).expect("JSON");
        assert_eq!(
            input["ecsServices"],
            serde_json::json!([{"serviceName": "web", "clusterName": "shop"}])
        );
        assert_eq!(
            input["loadBalancerInfo"]["targetGroupPairInfoList"][0]["prodTrafficRoute"]["listenerArns"]
                [0],
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/1/80"
        );
        assert_eq!(input["deploymentStyle"]["deploymentType"], "BLUE_GREEN");
        // A Lambda group says how it shifts and carries no ECS members.
        let lambda = DeploymentGroupSpec {
            platform: ComputePlatform::Lambda,
            ecs: EcsTrafficSpec::default(),
            config: ConfigChoice::Named("CodeDeployDefault.LambdaAllAtOnce".to_owned()),
            ..spec
        };
        let plan = SetupPlan::deployment_group(&lambda, false, None);
        assert!(
            plan.steps[0]
                .details()
                .iter()
                .any(|line| line.contains("function alias's traffic"))
        );
        let command = plan.cli_script();
        assert!(
            !command.contains("ecsServices")
                && !command.contains("blueGreenDeploymentConfiguration"),
            "{command}"
        );
        assert!(
            command.contains(r#""deploymentConfigName":"CodeDeployDefault.LambdaAllAtOnce""#),
            "{command}"
        );
        // A new application is made for the group's platform.
        let plan = SetupPlan::deployment_group(&lambda, true, None);
        assert_eq!(
            plan.steps[0].summary(),
            "Create the AWS Lambda application shop"
        );
        assert_eq!(plan.steps[0].request()["computePlatform"], "Lambda");
        assert!(
            plan.cli_script().starts_with(
                "aws deploy create-application --application-name shop --compute-platform Lambda\n"
            ),
            "{}",
            plan.cli_script()
        );
    }
}
