//! The Setup page's effects: the wizards' lists loaded, their plans run
//! step by step, and instances tagged in batches, all in the background.

use crate::cloud::codedeploy;
use crate::cloud::setup::Progress;
use crate::cloud::tagging::{self, Applied};
use crate::cloud::{
    CloudError, autoscaling, cloudwatch, ec2, ecs, groups, load_balancers, readiness, setup, sns,
};
use crate::domain::setup::CODEDEPLOY_PRINCIPAL;
use crate::ui::app::{AppRequest, Effects};
use crate::ui::pages::deploy::readiness::ReadinessRequest;

use super::tag_instances::{TagsAction, TagsEvent};
use super::traffic_groups::{TrafficEvent, TrafficRequest};
use super::{SetupAction, SetupEvent};

impl SetupEvent {
    /// The cloud error the result failed with, if it did: a wizard's step
    /// among them.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Account(Err(error))
            | Self::TrustedRoles(Err(error))
            | Self::Instances(Err(error))
            | Self::Buckets(Err(error))
            | Self::Applications(Err(error))
            | Self::Groups(Err(error))
            | Self::Ec2Instances(Err(error))
            | Self::GroupSpec {
                result: Err(error), ..
            }
            | Self::Progress {
                progress: Progress::Finished(_, Err(error)),
                ..
            }
            | Self::Tags(
                TagsEvent::Loaded(Err(error))
                | TagsEvent::Readiness(Err(error))
                | TagsEvent::FixProgress {
                    progress: Progress::Finished(_, Err(error)),
                    ..
                }
                | TagsEvent::Applied {
                    result: Err(error), ..
                },
            ) => Some(error),
            Self::GroupTraffic(event) => event.error(),
            _ => None,
        }
    }
}

/// Does what the page asked for; opening the Deploy dialog is asked of
/// the app.
pub(crate) fn run(effects: &Effects, action: SetupAction) -> Option<AppRequest> {
    if let SetupAction::Deploy { application } = action {
        return Some(AppRequest::OpenDeploy {
            application: Some(application),
            revision: None,
        });
    }
    let session = effects.session()?;
    match action {
        // Asked of the app, or (the instance profile wizard a readiness
        // fix opens) of the page itself.
        SetupAction::Deploy { .. }
        | SetupAction::Tags(TagsAction::Readiness(ReadinessRequest::OpenInstanceProfile {
            ..
        })) => {}
        SetupAction::LoadAccount => {
            effects.spawn("finding the account", async move {
                SetupEvent::Account(setup::account_id(&session).await)
            });
        }
        SetupAction::LoadTrustedRoles => effects.spawn("loading the roles", async move {
            SetupEvent::TrustedRoles(setup::roles_trusting(&session, CODEDEPLOY_PRINCIPAL).await)
        }),
        SetupAction::LoadInstances => effects.spawn("loading the instances", async move {
            SetupEvent::Instances(setup::instance_choices(&session).await)
        }),
        SetupAction::LoadStatus => effects.spawn("looking at what is set up", async move {
            SetupEvent::Status(setup::setup_status(&session).await)
        }),
        SetupAction::LoadBuckets => effects.spawn("loading the buckets", async move {
            SetupEvent::Buckets(setup::bucket_choices(&session).await)
        }),
        SetupAction::LoadApplications => effects.spawn("loading the applications", async move {
            SetupEvent::Applications(codedeploy::list_applications(&session).await)
        }),
        SetupAction::LoadGroups(application) => {
            effects.spawn("loading the deployment groups", async move {
                SetupEvent::Groups(
                    codedeploy::list_deployment_group_names(&session, &application).await,
                )
            });
        }
        SetupAction::LoadEc2Instances => effects.spawn("loading the instances", async move {
            SetupEvent::Ec2Instances(ec2::list_instances(&session, None).await)
        }),
        SetupAction::LoadAlarmsAndTopics => {
            effects.spawn("loading the alarms and topics", async move {
                let (alarms, topics) = tokio::join!(
                    cloudwatch::list_alarms(&session),
                    sns::list_topics(&session)
                );
                SetupEvent::AlarmsAndTopics { alarms, topics }
            });
        }
        SetupAction::LoadFleetChoices => {
            effects.spawn(
                "listing the Auto Scaling groups and load balancers",
                async move {
                    let (auto_scaling, target_groups, classic) = tokio::join!(
                        autoscaling::list_groups(&session, None),
                        load_balancers::target_group_names(&session),
                        load_balancers::classic_names(&session)
                    );
                    SetupEvent::FleetChoices {
                        auto_scaling,
                        target_groups,
                        classic,
                    }
                },
            );
        }
        SetupAction::GroupTraffic(request) => {
            effects.spawn("listing what the group picks from", async move {
                SetupEvent::GroupTraffic(Box::new(match request {
                    TrafficRequest::LoadClusters => {
                        TrafficEvent::Clusters(ecs::cluster_names(&session).await)
                    }
                    TrafficRequest::LoadServices(cluster) => {
                        let result = ecs::services(&session, &cluster).await;
                        TrafficEvent::Services { cluster, result }
                    }
                    TrafficRequest::LoadListeners(target_groups) => {
                        let result = ecs::listeners_for(&session, &target_groups).await;
                        TrafficEvent::Listeners {
                            target_groups,
                            result,
                        }
                    }
                    TrafficRequest::LoadConfigs(platform) => TrafficEvent::Configs {
                        platform,
                        result: groups::custom_config_names(&session, platform).await,
                    },
                }))
            });
        }
        SetupAction::LoadGroupSpec { application, group } => {
            effects.spawn("loading the deployment group's settings", async move {
                let result = groups::deployment_group_spec(&session, &application, &group)
                    .await
                    .map(|spec| spec.map(Box::new));
                SetupEvent::GroupSpec { group, result }
            });
        }
        SetupAction::Run { run, request } => {
            let sender = effects.sender();
            effects.spawn("running the setup", async move {
                request
                    .execute(&session, |progress| {
                        sender.send(SetupEvent::Progress { run, progress });
                    })
                    .await;
                SetupEvent::RunEnded { run }
            });
        }
        SetupAction::Tags(TagsAction::Load) => effects.spawn("listing the instances", async move {
            SetupEvent::Tags(TagsEvent::Loaded(ec2::list_instances(&session, None).await))
        }),
        SetupAction::Tags(TagsAction::Readiness(ReadinessRequest::Check {
            instance_ids,
            revision,
        })) => effects.spawn("checking the instances' readiness", async move {
            SetupEvent::Tags(TagsEvent::Readiness(
                readiness::check(&session, &instance_ids, revision.as_ref()).await,
            ))
        }),
        SetupAction::Tags(TagsAction::Readiness(ReadinessRequest::RunFix { run, request })) => {
            let sender = effects.sender();
            effects.spawn("fixing the instances' readiness", async move {
                request
                    .execute(&session, |progress| {
                        sender.send(SetupEvent::Tags(TagsEvent::FixProgress { run, progress }));
                    })
                    .await;
                SetupEvent::Tags(TagsEvent::FixEnded { run })
            });
        }
        SetupAction::Tags(TagsAction::Apply(change)) => {
            let sender = effects.sender();
            effects.spawn("tagging the instances", async move {
                let progress = |done, total| {
                    sender.send(SetupEvent::Tags(TagsEvent::Progress { done, total }));
                };
                let Applied { done, result } =
                    tagging::apply_change(&session, &change, progress).await;
                SetupEvent::Tags(TagsEvent::Applied { done, result })
            });
        }
    }
    None
}
