//! The rollout view's effects: the watcher that keeps it live, and what it
//! asks for (the configuration's minimum, instance tags, the group's
//! history, Stop, Continue, Redeploy) as calls run in the background.

use std::collections::HashMap;

use crate::cloud::CloudError;
use crate::cloud::codedeploy;
use crate::cloud::deployments::{self, Deployment, DeploymentFilter};
use crate::cloud::instances::{self, InstanceInfo};
use crate::cloud::watcher::{self, WatchConfig, WatchUpdate};
use crate::domain::MinimumHealthyHosts;
use crate::ui::app::Effects;

use super::{RolloutAction, RolloutView};

/// A result for the rollout view of one deployment.
pub(crate) struct RolloutEvent {
    /// The deployment the view shows.
    pub(crate) deployment_id: String,
    /// What arrived.
    pub(crate) update: RolloutUpdate,
}

/// What arrived for a rollout view.
pub(crate) enum RolloutUpdate {
    /// What the watcher saw.
    Watched(Box<WatchUpdate>),
    /// The minimum of the deployment's configuration (`None` for one
    /// without), or why it could not be read.
    Config(Result<Option<MinimumHealthyHosts>, CloudError>),
    /// The group's recent deployments, newest first.
    History(Result<Vec<Deployment>, CloudError>),
    /// Instance tags, and why some could not be read.
    Tags {
        /// The instances read, by id.
        instances: HashMap<String, InstanceInfo>,
        /// Why some could not be read.
        error: Option<CloudError>,
    },
    /// An action finished: a redeploy gives the new deployment's id.
    ActionDone(Result<Option<String>, CloudError>),
}

impl RolloutEvent {
    /// A result for the view of `deployment_id`.
    pub(crate) fn new(deployment_id: String, update: RolloutUpdate) -> Self {
        Self {
            deployment_id,
            update,
        }
    }

    /// The error the result failed with, if it did.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match &self.update {
            RolloutUpdate::ActionDone(Err(error))
            | RolloutUpdate::Config(Err(error))
            | RolloutUpdate::History(Err(error))
            | RolloutUpdate::Tags {
                error: Some(error), ..
            } => Some(error),
            _ => None,
        }
    }
}

/// What the deployments page does after a rollout result.
pub(crate) enum FollowUp {
    /// Show this new deployment instead (a redeploy started it).
    Show(String),
    /// The deployment on screen ended.
    Ended,
}

/// Starts watching `deployment_id` for its rollout view; the handle stops
/// the watcher.
pub(crate) fn watch(effects: &Effects, deployment_id: String) -> Option<tokio::task::AbortHandle> {
    let session = effects.session()?;
    let sender = effects.sender();
    Some(effects.spawn_task("watching the deployment", async move {
        let watched = deployment_id.clone();
        watcher::watch(
            (*session).clone(),
            deployment_id,
            WatchConfig::default(),
            move |update| {
                sender.send(RolloutEvent::new(
                    watched.clone(),
                    RolloutUpdate::Watched(Box::new(update)),
                ))
            },
        )
        .await;
    }))
}

/// Does what the view asked for.
pub(crate) fn run(view: &RolloutView, effects: &Effects, action: RolloutAction) {
    let Some(session) = effects.session() else {
        return;
    };
    let deployment_id = view.deployment_id().to_owned();
    match action {
        // Showing another deployment is the page's to do.
        RolloutAction::Show(_) | RolloutAction::CheckReadiness => {}
        RolloutAction::LoadConfig(name) => {
            effects.spawn("reading the deployment configuration", async move {
                let minimum = codedeploy::get_minimum_healthy_hosts(&session, &name)
                    .await
                    .map(|found| {
                        found.and_then(|(kind, value)| {
                            MinimumHealthyHosts::from_described(&kind, value).ok()
                        })
                    });
                RolloutEvent::new(deployment_id, RolloutUpdate::Config(minimum))
            });
        }
        RolloutAction::LoadTags(ids) => effects.spawn("reading the instances' tags", async move {
            let (instances, error) = instances::describe_targets(&session, &ids).await;
            RolloutEvent::new(deployment_id, RolloutUpdate::Tags { instances, error })
        }),
        RolloutAction::LoadHistory { application, group } => {
            effects.spawn("loading the group's recent deployments", async move {
                let filter = DeploymentFilter {
                    application: Some(application),
                    group: Some(group),
                    statuses: Vec::new(),
                    limit: 20,
                };
                let history = deployments::list_deployments(&session, &filter).await;
                RolloutEvent::new(deployment_id, RolloutUpdate::History(history))
            });
        }
        RolloutAction::Stop { roll_back } => effects.spawn("stopping the deployment", async move {
            let result = deployments::stop_deployment(&session, &deployment_id, roll_back)
                .await
                .map(|()| None);
            RolloutEvent::new(deployment_id, RolloutUpdate::ActionDone(result))
        }),
        RolloutAction::Continue => effects.spawn("continuing the deployment", async move {
            let result = deployments::continue_deployment(&session, &deployment_id)
                .await
                .map(|()| None);
            RolloutEvent::new(deployment_id, RolloutUpdate::ActionDone(result))
        }),
        RolloutAction::Redeploy => {
            let Some(deployment) = view.deployment().cloned() else {
                return;
            };
            effects.spawn("redeploying", async move {
                let result = deployments::redeploy(&session, &deployment).await.map(Some);
                RolloutEvent::new(deployment_id, RolloutUpdate::ActionDone(result))
            });
        }
    }
}

/// Applies a result to the view; says what the page does next, if anything.
pub(crate) fn apply(view: &mut RolloutView, update: RolloutUpdate) -> Option<FollowUp> {
    match update {
        RolloutUpdate::Watched(update) => {
            view.apply(*update);
            view.take_just_finished().then_some(FollowUp::Ended)
        }
        RolloutUpdate::Config(result) => {
            view.config_loaded(result.map_err(|error| error.to_string()));
            None
        }
        RolloutUpdate::History(result) => {
            view.history_loaded(result.map_err(|error| error.to_string()));
            None
        }
        RolloutUpdate::Tags { instances, error } => {
            view.tags_loaded(instances, error.map(|error| error.to_string()));
            None
        }
        RolloutUpdate::ActionDone(Ok(Some(new_deployment))) => Some(FollowUp::Show(new_deployment)),
        RolloutUpdate::ActionDone(result) => {
            view.action_done(result.map(|_| ()).map_err(|error| error.to_string()));
            None
        }
    }
}
