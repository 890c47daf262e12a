//! Auto Scaling groups as the app reads them: the groups of the account
//! with their instances, for the deployment group wizard's environment and
//! the pre-flight plan.

use super::error::{CloudResult, sdk_error};
use super::session::Session;

/// An instance of an Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The EC2 instance id.
    pub instance_id: String,
    /// Its lifecycle state in Auto Scaling's words, e.g. `InService` or
    /// `Pending:Wait`.
    pub lifecycle_state: String,
    /// `Healthy` or `Unhealthy`.
    pub health_status: String,
}

impl GroupMember {
    /// Whether a deployment goes to it now: CodeDeploy deploys to the
    /// `InService` instances of a group.
    pub fn in_service(&self) -> bool {
        self.lifecycle_state == "InService"
    }
}

/// An Auto Scaling group of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoScalingGroupSummary {
    /// The group's name.
    pub name: String,
    /// How many instances it wants.
    pub desired_capacity: i32,
    /// Its instances.
    pub instances: Vec<GroupMember>,
}

impl AutoScalingGroupSummary {
    /// How many of its instances are `InService`.
    pub fn in_service(&self) -> usize {
        self.instances
            .iter()
            .filter(|member| member.in_service())
            .count()
    }

    /// How many of its instances are `Unhealthy`.
    pub fn unhealthy(&self) -> usize {
        self.instances
            .iter()
            .filter(|member| member.health_status == "Unhealthy")
            .count()
    }

    /// Whether a scale-out is under way: an instance is still on its way
    /// in service, or the group wants more instances than it has.
    pub fn scaling_out(&self) -> bool {
        let pending = self
            .instances
            .iter()
            .any(|member| member.lifecycle_state.starts_with("Pending"));
        let live = self
            .instances
            .iter()
            .filter(|member| !member.lifecycle_state.starts_with("Terminat"))
            .count();
        pending || usize::try_from(self.desired_capacity).is_ok_and(|desired| desired > live)
    }

    /// Its size in words, e.g. "3 instances, 2 in service".
    pub fn size_words(&self) -> String {
        let count = self.instances.len();
        let mut words = format!(
            "{count} instance{}, {} in service",
            if count == 1 { "" } else { "s" },
            self.in_service()
        );
        let unhealthy = self.unhealthy();
        if unhealthy > 0 {
            words = format!("{words}, {unhealthy} unhealthy");
        }
        words
    }
}

/// Every Auto Scaling group of the account in the session's region (or
/// only those named in `names`, when given), sorted by name.
pub async fn list_groups(
    session: &Session,
    names: Option<&[String]>,
) -> CloudResult<Vec<AutoScalingGroupSummary>> {
    let mut groups = Vec::new();
    let mut next_token = None;
    loop {
        let page = session
            .autoscaling
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(names.map(<[String]>::to_vec))
            .set_next_token(next_token)
            .send()
            .await
            .map_err(sdk_error(session, "DescribeAutoScalingGroups"))?;
        groups.extend(page.auto_scaling_groups().iter().map(|group| {
            AutoScalingGroupSummary {
                name: group
                    .auto_scaling_group_name()
                    .unwrap_or_default()
                    .to_owned(),
                desired_capacity: group.desired_capacity().unwrap_or_default(),
                instances: group
                    .instances()
                    .iter()
                    .map(|instance| GroupMember {
                        instance_id: instance.instance_id().unwrap_or_default().to_owned(),
                        lifecycle_state: instance
                            .lifecycle_state()
                            .map(|state| state.as_str().to_owned())
                            .unwrap_or_default(),
                        health_status: instance.health_status().unwrap_or_default().to_owned(),
                    })
                    .collect(),
            }
        }));
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(groups)
}

/// An Auto Scaling group to create, launched from an EC2 launch template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAutoScalingGroup {
    /// The group's name.
    pub name: String,
    /// The launch template its instances are launched from (its latest
    /// version).
    pub launch_template: String,
    /// The fewest instances it keeps.
    pub min_size: i32,
    /// The most instances it may have.
    pub max_size: i32,
    /// How many instances it starts with.
    pub desired_capacity: i32,
    /// The Availability Zones it launches into.
    pub availability_zones: Vec<String>,
}

/// Creates the Auto Scaling group `group` (`CreateAutoScalingGroup`).
pub async fn create_group(session: &Session, group: &NewAutoScalingGroup) -> CloudResult<()> {
    session
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(&group.name)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_name(&group.launch_template)
                .version("$Latest")
                .build(),
        )
        .min_size(group.min_size)
        .max_size(group.max_size)
        .desired_capacity(group.desired_capacity)
        .set_availability_zones(Some(group.availability_zones.clone()))
        .send()
        .await
        .map_err(sdk_error(session, "CreateAutoScalingGroup"))?;
    Ok(())
}

/// Sets how many instances the Auto Scaling group `name` wants
/// (`SetDesiredCapacity`); Auto Scaling launches or terminates instances
/// to match.
pub async fn set_desired_capacity(session: &Session, name: &str, desired: i32) -> CloudResult<()> {
    session
        .autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name(name)
        .desired_capacity(desired)
        .send()
        .await
        .map_err(sdk_error(session, "SetDesiredCapacity"))?;
    Ok(())
}
