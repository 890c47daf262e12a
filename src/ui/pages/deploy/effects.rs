//! The Deploy dialog's effects: its lists and pre-flight plan loaded in the
//! background, and the deployment started.

use crate::cloud::CloudError;
use crate::cloud::codedeploy::{self, Application};
use crate::cloud::deployments;
use crate::cloud::ecs::{self, EcsDeployChoices};
use crate::cloud::lambda::{self, LambdaFunction};
use crate::cloud::preflight::{self, PreflightData};
use crate::cloud::readiness;
use crate::cloud::revisions::{self, RevisionLocation, S3Revision};
use crate::cloud::s3;
use crate::cloud::setup::Progress;
use crate::domain::readiness::Readiness;
use crate::ui::app::{AppRequest, Effects};
use crate::ui::widgets::loadable::{Loadable, loaded};

use super::readiness::ReadinessRequest;
use super::registered::RegisteredLoad;
use super::{AppSpecLoad, DeployDialog, DeployRequest, EcsLoad};

/// A result for the Deploy dialog.
pub(crate) enum DeployEvent {
    /// The applications.
    Applications(Result<Vec<Application>, CloudError>),
    /// The chosen application's group names.
    Groups(Result<Vec<String>, CloudError>),
    /// The pre-flight plan's data.
    Preflight(Result<PreflightData, CloudError>),
    /// The deployment started, with its id.
    Started(Result<String, CloudError>),
    /// The instances' readiness.
    Readiness(Result<Vec<Readiness>, CloudError>),
    /// How a readiness fix is getting on.
    FixProgress {
        /// Which run.
        run: u64,
        /// Its progress.
        progress: Progress,
    },
    /// A readiness fix ended.
    FixEnded {
        /// Which run.
        run: u64,
    },
    /// The account's Lambda functions.
    Functions(Result<Vec<LambdaFunction>, CloudError>),
    /// What an ECS AppSpec is picked from, for an application and group.
    EcsChoices {
        /// The application and group.
        target: (String, String),
        /// The choices.
        result: Result<EcsDeployChoices, CloudError>,
    },
    /// A task definition family's revisions.
    EcsRevisions {
        /// The family.
        family: String,
        /// Its revisions' ARNs, newest first.
        result: Result<Vec<String>, CloudError>,
    },
    /// An application's registered revisions in S3.
    RegisteredRevisions {
        /// The application.
        application: String,
        /// Its revisions in S3.
        result: Result<Vec<S3Revision>, CloudError>,
    },
    /// The AppSpec a registered revision holds.
    RegisteredText {
        /// The revision.
        revision: S3Revision,
        /// Its text.
        result: Result<String, CloudError>,
    },
    /// A revision's containers and ports.
    EcsContainers {
        /// The revision's ARN.
        revision: String,
        /// Its containers and ports.
        result: Result<Vec<(String, i32)>, CloudError>,
    },
}

impl DeployEvent {
    /// The error the result failed with, if it did.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Applications(Err(error))
            | Self::Groups(Err(error))
            | Self::Preflight(Err(error))
            | Self::Readiness(Err(error))
            | Self::FixProgress {
                progress: Progress::Finished(_, Err(error)),
                ..
            }
            | Self::Functions(Err(error))
            | Self::EcsChoices {
                result: Err(error), ..
            }
            | Self::EcsRevisions {
                result: Err(error), ..
            }
            | Self::EcsContainers {
                result: Err(error), ..
            }
            | Self::RegisteredRevisions {
                result: Err(error), ..
            }
            | Self::RegisteredText {
                result: Err(error), ..
            }
            | Self::Started(Err(error)) => Some(error),
            _ => None,
        }
    }
}

/// Does what the dialog asked for.
pub(crate) fn run(dialog: &mut DeployDialog, effects: &Effects, request: DeployRequest) {
    let Some(session) = effects.session() else {
        return;
    };
    match request {
        DeployRequest::LoadApplications => {
            dialog.applications = Loadable::Loading;
            effects.spawn("loading the applications", async move {
                DeployEvent::Applications(codedeploy::list_applications(&session).await)
            });
        }
        DeployRequest::LoadGroups(application) => {
            effects.spawn("loading the deployment groups", async move {
                DeployEvent::Groups(
                    codedeploy::list_deployment_group_names(&session, &application).await,
                )
            });
        }
        DeployRequest::LoadPreflight {
            application,
            group,
            config,
        } => effects.spawn("gathering the pre-flight plan", async move {
            DeployEvent::Preflight(
                preflight::gather(&session, &application, &group, config.as_deref()).await,
            )
        }),
        DeployRequest::Start(new) => effects.spawn("starting the deployment", async move {
            DeployEvent::Started(deployments::create_deployment(&session, &new).await)
        }),
        DeployRequest::Readiness(ReadinessRequest::Check {
            instance_ids,
            revision,
        }) => effects.spawn("checking the instances' readiness", async move {
            DeployEvent::Readiness(
                readiness::check(&session, &instance_ids, revision.as_ref()).await,
            )
        }),
        DeployRequest::Readiness(ReadinessRequest::RunFix { run, request }) => {
            let sender = effects.sender();
            effects.spawn("fixing the instances' readiness", async move {
                request
                    .execute(&session, |progress| {
                        sender.send(DeployEvent::FixProgress { run, progress });
                    })
                    .await;
                DeployEvent::FixEnded { run }
            });
        }
        DeployRequest::Readiness(ReadinessRequest::OpenInstanceProfile { .. }) => {}
        DeployRequest::AppSpec(AppSpecLoad::Functions) => {
            dialog.appspec.functions = Loadable::Loading;
            effects.spawn("reading the Lambda functions", async move {
                DeployEvent::Functions(lambda::list_functions(&session).await)
            });
        }
        DeployRequest::AppSpec(AppSpecLoad::Ecs(EcsLoad::Choices { application, group })) => {
            let picks = &mut dialog.appspec.ecs;
            picks.choices = Loadable::Loading;
            picks.choices_for = Some((application.clone(), group.clone()));
            effects.spawn("reading the group's ECS service", async move {
                let result = ecs::deploy_choices(&session, &application, &group).await;
                DeployEvent::EcsChoices {
                    target: (application, group),
                    result,
                }
            });
        }
        DeployRequest::AppSpec(AppSpecLoad::Registered(RegisteredLoad::Revisions(application))) => {
            let pick = &mut dialog.appspec.registered;
            pick.revisions = Loadable::Loading;
            application.clone_into(&mut pick.revisions_for);
            effects.spawn("reading the registered revisions", async move {
                let result =
                    revisions::list_revisions(&session, &application)
                        .await
                        .map(|registered| {
                            registered
                                .into_iter()
                                .filter_map(|revision| match revision.location {
                                    RevisionLocation::S3(s3) => Some(s3),
                                    _ => None,
                                })
                                .collect()
                        });
                DeployEvent::RegisteredRevisions {
                    application,
                    result,
                }
            });
        }
        DeployRequest::AppSpec(AppSpecLoad::Registered(RegisteredLoad::Text(revision))) => {
            let pick = &mut dialog.appspec.registered;
            pick.text = Loadable::Loading;
            pick.text_for = Some(revision.clone());
            effects.spawn("reading the revision's AppSpec", async move {
                let result = s3::appspec_text(
                    &session,
                    &revision.bucket,
                    &revision.key,
                    revision.version.as_deref(),
                )
                .await;
                DeployEvent::RegisteredText { revision, result }
            });
        }
        DeployRequest::AppSpec(AppSpecLoad::Ecs(EcsLoad::Revisions(family))) => {
            let picks = &mut dialog.appspec.ecs;
            picks.revisions = Loadable::Loading;
            family.clone_into(&mut picks.revisions_for);
            effects.spawn("reading the task definition's revisions", async move {
                let result = ecs::list_task_definition_revisions(&session, &family).await;
                DeployEvent::EcsRevisions { family, result }
            });
        }
        DeployRequest::AppSpec(AppSpecLoad::Ecs(EcsLoad::Containers(revision))) => {
            let picks = &mut dialog.appspec.ecs;
            picks.containers = Loadable::Loading;
            revision.clone_into(&mut picks.containers_for);
            effects.spawn("reading the task definition's containers", async move {
                let result = ecs::container_ports(&session, &revision).await;
                DeployEvent::EcsContainers { revision, result }
            });
        }
    }
}

/// Applies a result to the dialog, if it is open. A started deployment
/// closes it and is the app's to show.
pub(crate) fn apply(dialog: &mut Option<DeployDialog>, event: DeployEvent) -> Option<AppRequest> {
    if let DeployEvent::Started(Ok(deployment_id)) = event {
        *dialog = None;
        return Some(AppRequest::ShowDeployment(deployment_id));
    }
    let dialog = dialog.as_mut()?;
    match event {
        DeployEvent::Applications(result) => dialog.applications = loaded(result),
        DeployEvent::Groups(result) => dialog.groups_loaded(loaded(result)),
        DeployEvent::Preflight(result) => dialog.preflight_loaded(loaded(result)),
        DeployEvent::Started(result) => {
            dialog.started(result.map_err(|error| error.to_string()));
        }
        DeployEvent::Readiness(result) => dialog.readiness_loaded(loaded(result)),
        DeployEvent::FixProgress { run, progress } => {
            dialog.readiness.fix_progress(run, progress);
        }
        DeployEvent::FixEnded { run } => dialog.readiness.fix_ended(run),
        DeployEvent::Functions(result) => dialog.appspec.functions = loaded(result),
        // Results for picks since changed are dropped: the new ones are
        // on their way.
        DeployEvent::EcsChoices { target, result } => {
            let picks = &mut dialog.appspec.ecs;
            if picks.choices_for.as_ref() == Some(&target) {
                picks.choices = loaded(result);
            }
        }
        DeployEvent::EcsRevisions { family, result } => {
            let picks = &mut dialog.appspec.ecs;
            if picks.revisions_for == family {
                picks.revisions = loaded(result);
            }
        }
        DeployEvent::RegisteredRevisions {
            application,
            result,
        } => {
            let pick = &mut dialog.appspec.registered;
            if pick.revisions_for == application {
                pick.revisions = loaded(result);
            }
        }
        DeployEvent::RegisteredText { revision, result } => {
            let pick = &mut dialog.appspec.registered;
            if pick.text_for.as_ref() == Some(&revision) {
                pick.text = loaded(result);
            }
        }
        DeployEvent::EcsContainers { revision, result } => {
            let picks = &mut dialog.appspec.ecs;
            if picks.containers_for == revision {
                picks.containers = loaded(result);
            }
        }
    }
    None
}
