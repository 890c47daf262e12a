//! CodeDeploy's triggers: each configured trigger event of a deployment
//! group publishes the message CodeDeploy publishes to the trigger's SNS
//! topic, in the JSON shape of the user guide's "JSON data formats for
//! CodeDeploy triggers", so it reaches the topic's subscribers.
//!
//! Times travel as epoch seconds with milliseconds in strings, and the
//! deployment overview and error information as JSON within strings, as
//! CodeDeploy sends them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::codedeploy::deployment_state::{
    Deployment, DeploymentStatus, TargetRecord, TargetStatus,
};
use crate::localcloud::world::World;

use super::common::group_of;

/// An event a trigger can be set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerEvent {
    /// The deployment started.
    DeploymentStart,
    /// The deployment succeeded.
    DeploymentSuccess,
    /// The deployment failed.
    DeploymentFailure,
    /// The deployment was stopped.
    DeploymentStop,
    /// The deployment was rolled back.
    DeploymentRollback,
    /// A blue/green deployment's replacement instances are ready.
    DeploymentReady,
    /// The deployment started on an instance.
    InstanceStart,
    /// The deployment succeeded on an instance.
    InstanceSuccess,
    /// The deployment failed on an instance.
    InstanceFailure,
    /// A replacement instance is ready for traffic.
    InstanceReady,
}

impl TriggerEvent {
    /// The event as `triggerEvents` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::DeploymentStart => "DeploymentStart",
            Self::DeploymentSuccess => "DeploymentSuccess",
            Self::DeploymentFailure => "DeploymentFailure",
            Self::DeploymentStop => "DeploymentStop",
            Self::DeploymentRollback => "DeploymentRollback",
            Self::DeploymentReady => "DeploymentReady",
            Self::InstanceStart => "InstanceStart",
            Self::InstanceSuccess => "InstanceSuccess",
            Self::InstanceFailure => "InstanceFailure",
            Self::InstanceReady => "InstanceReady",
        }
    }

    /// The event an instance reaching `status` fires, if any.
    pub fn of_instance(status: TargetStatus) -> Option<Self> {
        match status {
            TargetStatus::InProgress => Some(Self::InstanceStart),
            TargetStatus::Succeeded => Some(Self::InstanceSuccess),
            TargetStatus::Failed => Some(Self::InstanceFailure),
            TargetStatus::Ready => Some(Self::InstanceReady),
            _ => None,
        }
    }

    /// The word the subject and `status` use for a deployment event.
    fn deployment_word(self) -> &'static str {
        match self {
            Self::DeploymentStart => "CREATED",
            Self::DeploymentSuccess => "SUCCEEDED",
            Self::DeploymentFailure => "FAILED",
            Self::DeploymentStop => "STOPPED",
            Self::DeploymentRollback => "ROLLBACK",
            Self::DeploymentReady => "READY",
            Self::InstanceStart => "INSTANCE_START",
            Self::InstanceSuccess => "INSTANCE_SUCCESS",
            Self::InstanceFailure => "INSTANCE_FAILURE",
            Self::InstanceReady => "INSTANCE_READY",
        }
    }
}

/// The event a deployment ending with `status` fires.
pub fn of_ending(status: DeploymentStatus) -> Option<TriggerEvent> {
    match status {
        DeploymentStatus::Succeeded => Some(TriggerEvent::DeploymentSuccess),
        DeploymentStatus::Failed => Some(TriggerEvent::DeploymentFailure),
        DeploymentStatus::Stopped => Some(TriggerEvent::DeploymentStop),
        _ => None,
    }
}

/// A time as CodeDeploy's trigger messages write it: `"1446744188.595"`.
fn seconds(time: Timestamp) -> String {
    let millis = time.as_millis();
    format!("{}.{:03}", millis.div_euclid(1000), millis.rem_euclid(1000))
}

/// Publishes `event` of `deployment` (on `target`, for an instance event)
/// at `at` to the topic of every trigger of its group that is set on it.
/// A topic that no longer exists is skipped, as CodeDeploy cannot publish
/// to it either.
pub fn notify(
    world: &mut World,
    deployment: &Deployment,
    event: TriggerEvent,
    target: Option<&TargetRecord>,
    at: Timestamp,
) {
    let Some(group) = group_of(world, deployment) else {
        return;
    };
    let triggers: Vec<(String, String)> = group
        .trigger_configurations
        .iter()
        .filter(|trigger| {
            trigger
                .trigger_events
                .as_ref()
                .is_some_and(|events| events.iter().any(|name| name == event.name()))
        })
        .filter_map(|trigger| {
            Some((
                trigger.trigger_name.clone().unwrap_or_default(),
                trigger.trigger_target_arn.clone()?,
            ))
        })
        .collect();
    for (name, topic) in triggers {
        let message = match target {
            Some(target) => instance_message(deployment, target, &name, at),
            None => deployment_message(deployment, event, &name),
        };
        let subject = format!(
            "{}: AWS CodeDeploy {} in {} to {}",
            event.deployment_word(),
            deployment.deployment_id,
            deployment.region,
            deployment.application_name
        );
        let published = world.sns.publish(
            &topic,
            Some(&subject),
            &message.to_string(),
            &BTreeMap::new(),
            at,
        );
        if published.is_none() {
            tracing::info!(
                "deployment {}: trigger {name} names the topic {topic}, which does not exist",
                deployment.deployment_id
            );
        }
    }
}

/// The message of a deployment event.
fn deployment_message(deployment: &Deployment, event: TriggerEvent, trigger: &str) -> Value {
    let count = |status: TargetStatus| deployment.count(status).to_string();
    let overview = json!({
        "Failed": count(TargetStatus::Failed),
        "InProgress": count(TargetStatus::InProgress),
        "Pending": count(TargetStatus::Pending),
        "Skipped": count(TargetStatus::Skipped),
        "Succeeded": count(TargetStatus::Succeeded),
    });
    let mut message = Map::new();
    message.insert("region".into(), json!(deployment.region));
    message.insert("accountId".into(), json!(ACCOUNT_ID));
    message.insert("eventTriggerName".into(), json!(trigger));
    message.insert("applicationName".into(), json!(deployment.application_name));
    message.insert("deploymentId".into(), json!(deployment.deployment_id));
    message.insert(
        "deploymentGroupName".into(),
        json!(deployment.deployment_group_name),
    );
    message.insert("createTime".into(), json!(seconds(deployment.create_time)));
    if let Some(complete) = deployment.complete_time {
        message.insert("completeTime".into(), json!(seconds(complete)));
    }
    message.insert("deploymentOverview".into(), json!(overview.to_string()));
    message.insert("status".into(), json!(event.deployment_word()));
    if let Some(error) = &deployment.error_information {
        let error = json!({ "ErrorCode": error.code, "ErrorMessage": error.message });
        message.insert("errorInformation".into(), json!(error.to_string()));
    }
    Value::Object(message)
}

/// The message of an instance event.
fn instance_message(
    deployment: &Deployment,
    target: &TargetRecord,
    trigger: &str,
    at: Timestamp,
) -> Value {
    let events: Vec<Value> = target
        .events
        .iter()
        .filter(|record| record.start_time.is_some())
        .map(|record| {
            let mut event = Map::new();
            event.insert("LifecycleEvent".into(), json!(record.event.name()));
            event.insert("LifecycleEventStatus".into(), json!(record.status.as_str()));
            if let Some(start) = record.start_time {
                event.insert("StartTime".into(), json!(seconds(start)));
            }
            if let Some(end) = record.end_time {
                event.insert("EndTime".into(), json!(seconds(end)));
            }
            Value::Object(event)
        })
        .collect();
    json!({
        "region": deployment.region,
        "accountId": ACCOUNT_ID,
        "eventTriggerName": trigger,
        "deploymentId": deployment.deployment_id,
        "instanceId": target.target_arn,
        "lastUpdatedAt": seconds(target.last_updated_at.max(at)),
        "instanceStatus": target.status.as_str(),
        "lifecycleEvents": events,
    })
}
