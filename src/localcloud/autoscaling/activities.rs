//! `DescribeScalingActivities`: the launches and terminations of groups,
//! newest first, so a scale-out or scale-in can be followed.

use serde::Serialize;

use super::common::{Answer, Context, Members, find_group, member_list, page};
use super::state::{Activity, AutoScalingState, group_arn};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::ec2::Ec2State;
use crate::localcloud::protocol::query::Params;

/// An activity as AWS shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivityXml {
    activity_id: String,
    auto_scaling_group_name: String,
    #[serde(
        rename = "AutoScalingGroupARN",
        skip_serializing_if = "Option::is_none"
    )]
    auto_scaling_group_arn: Option<String>,
    description: String,
    cause: String,
    start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<String>,
    status_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_message: Option<String>,
    progress: i32,
    details: &'static str,
}

impl ActivityXml {
    /// `activity` of a group in `autoscaling`.
    pub fn new(activity: &Activity, autoscaling: &AutoScalingState) -> Self {
        Self {
            activity_id: activity.id.clone(),
            auto_scaling_group_name: activity.group.clone(),
            auto_scaling_group_arn: autoscaling
                .groups
                .get(&activity.group)
                .map(|group| group_arn(&group.region, &group.id, &group.name)),
            description: activity.description.clone(),
            cause: activity.cause.clone(),
            start_time: activity.started.to_iso8601(),
            end_time: activity.ended.map(Timestamp::to_iso8601),
            status_code: activity.status.clone(),
            status_message: activity.status_message.clone(),
            progress: if activity.ended.is_some() { 100 } else { 50 },
            details: "{}",
        }
    }
}

/// The result of `DescribeScalingActivities`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeActivitiesResult {
    activities: Members<ActivityXml>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// `DescribeScalingActivities`: the activities named, or those of one
/// group, or all, newest first, in pages of `MaxRecords` (at most 100).
pub fn describe(
    autoscaling: &AutoScalingState,
    _: &Ec2State,
    context: &Context,
    params: &Params,
) -> Answer {
    let ids = member_list(params, "ActivityIds")?;
    let group = params
        .get("AutoScalingGroupName")
        .filter(|name| !name.is_empty())
        .map(|given| {
            find_group(autoscaling, given)
                .map_or_else(|| given.to_owned(), |group| group.name.clone())
        });
    let activities: Vec<(String, &Activity)> = autoscaling
        .activities
        .values()
        .filter(|activity| ids.is_empty() || ids.contains(&activity.id))
        .filter(|activity| group.as_ref().is_none_or(|group| activity.group == *group))
        .map(|activity| {
            // Newest first: the key counts down with the start time.
            let key = format!(
                "{:020}/{}",
                i64::MAX - activity.started.as_millis(),
                activity.id
            );
            (key, activity)
        })
        .collect();
    let scope = format!(
        "DescribeScalingActivities/{}",
        group.as_deref().unwrap_or("")
    );
    let (activities, next_token) = page(&scope, activities, params, 100, 100)?;
    context.respond(&DescribeActivitiesResult {
        activities: activities
            .into_iter()
            .map(|activity| ActivityXml::new(activity, autoscaling))
            .collect(),
        next_token,
    })
}
