//! CodeDeploy's structures as they travel on the wire, with the API's member
//! names. Requests are read into these and stored as they are, so that what
//! a client sets is what it reads back.
//!
//! Every member is optional here, as it is in the API model; the operations
//! check what they require. Absent members are left out of responses (the
//! server drops `null`s before sending).

use serde::{Deserialize, Serialize};

/// A tag: `{"Key": .., "Value": ..}` (capitalised, as the API spells it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Tag {
    /// The tag's key.
    #[serde(rename = "Key")]
    pub key: Option<String>,
    /// The tag's value.
    #[serde(rename = "Value")]
    pub value: Option<String>,
}

/// A tag filter, used both for EC2 instances (`EC2TagFilter`) and for
/// on-premises instances (`TagFilter`); the two shapes are the same.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TagFilter {
    /// The tag key to match.
    #[serde(rename = "Key")]
    pub key: Option<String>,
    /// The tag value to match.
    #[serde(rename = "Value")]
    pub value: Option<String>,
    /// `KEY_ONLY`, `VALUE_ONLY` or `KEY_AND_VALUE`.
    #[serde(rename = "Type")]
    pub filter_type: Option<String>,
}

/// `EC2TagSet`: groups of EC2 tag filters; an instance must match every group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ec2TagSet {
    /// The groups, each a list of filters of which any may match.
    pub ec2_tag_set_list: Option<Vec<Vec<TagFilter>>>,
}

/// `OnPremisesTagSet`: groups of on-premises tag filters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnPremisesTagSet {
    /// The groups, each a list of filters of which any may match.
    pub on_premises_tag_set_list: Option<Vec<Vec<TagFilter>>>,
}

/// `TriggerConfig`: a notification sent on deployment or instance events.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerConfig {
    /// The trigger's name.
    pub trigger_name: Option<String>,
    /// The SNS topic the notifications go to.
    pub trigger_target_arn: Option<String>,
    /// The events that fire the trigger.
    pub trigger_events: Option<Vec<String>>,
}

/// `Alarm`: a `CloudWatch` alarm by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Alarm {
    /// The alarm's name.
    pub name: Option<String>,
}

/// `AlarmConfiguration`: alarms that stop a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmConfiguration {
    /// Whether the alarms are watched.
    pub enabled: Option<bool>,
    /// Whether a deployment goes on when alarm states cannot be read.
    pub ignore_poll_alarm_failure: Option<bool>,
    /// The alarms.
    pub alarms: Option<Vec<Alarm>>,
}

/// `AutoRollbackConfiguration`: when a failed deployment is rolled back.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoRollbackConfiguration {
    /// Whether automatic rollback is on.
    pub enabled: Option<bool>,
    /// The events that roll back.
    pub events: Option<Vec<String>>,
}

/// `DeploymentStyle`: in-place or blue/green, with or without a load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStyle {
    /// `IN_PLACE` or `BLUE_GREEN`.
    pub deployment_type: Option<String>,
    /// `WITH_TRAFFIC_CONTROL` or `WITHOUT_TRAFFIC_CONTROL`.
    pub deployment_option: Option<String>,
}

/// `BlueInstanceTerminationOption`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlueInstanceTerminationOption {
    /// `TERMINATE` or `KEEP_ALIVE`.
    pub action: Option<String>,
    /// Minutes to wait before terminating the original instances.
    pub termination_wait_time_in_minutes: Option<i64>,
}

/// `DeploymentReadyOption`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentReadyOption {
    /// `CONTINUE_DEPLOYMENT` or `STOP_DEPLOYMENT`.
    pub action_on_timeout: Option<String>,
    /// Minutes to wait for traffic to be rerouted by hand.
    pub wait_time_in_minutes: Option<i64>,
}

/// `GreenFleetProvisioningOption`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GreenFleetProvisioningOption {
    /// `DISCOVER_EXISTING` or `COPY_AUTO_SCALING_GROUP`.
    pub action: Option<String>,
}

/// `BlueGreenDeploymentConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreenDeploymentConfiguration {
    /// What happens to the original instances after success.
    pub terminate_blue_instances_on_deployment_success: Option<BlueInstanceTerminationOption>,
    /// When traffic is rerouted to the replacement instances.
    pub deployment_ready_option: Option<DeploymentReadyOption>,
    /// How the replacement instances are provisioned.
    pub green_fleet_provisioning_option: Option<GreenFleetProvisioningOption>,
}

/// A structure holding only a name (`ELBInfo`, `TargetGroupInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NamedItem {
    /// The name.
    pub name: Option<String>,
}

/// `TrafficRoute`: the listeners that route traffic.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRoute {
    /// Listener ARNs.
    pub listener_arns: Option<Vec<String>>,
}

/// `TargetGroupPairInfo`, used by ECS blue/green deployments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupPairInfo {
    /// The two target groups.
    pub target_groups: Option<Vec<NamedItem>>,
    /// The production traffic route.
    pub prod_traffic_route: Option<TrafficRoute>,
    /// The optional test traffic route.
    pub test_traffic_route: Option<TrafficRoute>,
}

/// `LoadBalancerInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerInfo {
    /// Classic load balancers.
    pub elb_info_list: Option<Vec<NamedItem>>,
    /// Target groups of application or network load balancers.
    pub target_group_info_list: Option<Vec<NamedItem>>,
    /// Target group pairs for ECS.
    pub target_group_pair_info_list: Option<Vec<TargetGroupPairInfo>>,
}

/// `ECSService`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcsService {
    /// The service's name.
    pub service_name: Option<String>,
    /// The cluster's name.
    pub cluster_name: Option<String>,
}

/// `S3Location`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Location {
    /// The bucket.
    pub bucket: Option<String>,
    /// The object key.
    pub key: Option<String>,
    /// `tar`, `tgz`, `zip`, `YAML` or `JSON`.
    pub bundle_type: Option<String>,
    /// The object version.
    pub version: Option<String>,
    /// The object's `ETag`.
    #[serde(rename = "eTag")]
    pub e_tag: Option<String>,
}

/// `GitHubLocation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitHubLocation {
    /// `owner/repository`.
    pub repository: Option<String>,
    /// The commit.
    pub commit_id: Option<String>,
}

/// `RawString` and `AppSpecContent`: an AppSpec given inline.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InlineContent {
    /// The AppSpec text.
    pub content: Option<String>,
    /// Its SHA-256.
    pub sha256: Option<String>,
}

/// `RevisionLocation`: where an application revision lives.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevisionLocation {
    /// `S3`, `GitHub`, `String` or `AppSpecContent`.
    pub revision_type: Option<String>,
    /// The S3 location.
    pub s3_location: Option<S3Location>,
    /// The GitHub location.
    pub git_hub_location: Option<GitHubLocation>,
    /// An inline AppSpec (deprecated form).
    pub string: Option<InlineContent>,
    /// An inline AppSpec.
    pub app_spec_content: Option<InlineContent>,
}

impl RevisionLocation {
    /// Whether `other` points at the same revision: the same bucket, key,
    /// version and `ETag` in S3, or the same repository and commit on
    /// GitHub.
    pub fn is_same_revision(&self, other: &RevisionLocation) -> bool {
        if self.revision_type != other.revision_type {
            return false;
        }
        match (&self.s3_location, &other.s3_location) {
            (Some(a), Some(b)) => {
                return a.bucket == b.bucket
                    && a.key == b.key
                    && a.version == b.version
                    && a.e_tag == b.e_tag;
            }
            (None, None) => {}
            _ => return false,
        }
        match (&self.git_hub_location, &other.git_hub_location) {
            (Some(a), Some(b)) => a.repository == b.repository && a.commit_id == b.commit_id,
            _ => false,
        }
    }
}

/// `MinimumHealthyHosts` (and `MinimumHealthyHostsPerZone`, the same shape).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MinimumHealthyHostsShape {
    /// `HOST_COUNT`, `FLEET_PERCENT` (or `MOST_CONCURRENCY` for OneAtATime).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The count or percentage.
    pub value: Option<i64>,
}

/// `TimeBasedCanary`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeBasedCanary {
    /// Percentage of traffic shifted first.
    pub canary_percentage: Option<i64>,
    /// Minutes before the rest is shifted.
    pub canary_interval: Option<i64>,
}

/// `TimeBasedLinear`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeBasedLinear {
    /// Percentage of traffic shifted at each step.
    pub linear_percentage: Option<i64>,
    /// Minutes between steps.
    pub linear_interval: Option<i64>,
}

/// `TrafficRoutingConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRoutingConfig {
    /// `TimeBasedCanary`, `TimeBasedLinear` or `AllAtOnce`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The canary settings.
    pub time_based_canary: Option<TimeBasedCanary>,
    /// The linear settings.
    pub time_based_linear: Option<TimeBasedLinear>,
}

/// `ZonalConfig`: deploy one Availability Zone at a time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZonalConfig {
    /// Seconds to watch the first zone.
    pub first_zone_monitor_duration_in_seconds: Option<i64>,
    /// Seconds to watch each further zone.
    pub monitor_duration_in_seconds: Option<i64>,
    /// The minimum healthy hosts in each zone.
    pub minimum_healthy_hosts_per_zone: Option<MinimumHealthyHostsShape>,
}
