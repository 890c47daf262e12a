//! What the pages' actions do: each action becomes `cloud` calls run as
//! background jobs.

use std::path::PathBuf;

use crate::cloud::CloudError;
use crate::cloud::codedeploy;
use crate::cloud::deployments;
use crate::cloud::watcher::{self, WatchConfig};
use crate::ui::pages::deploy::{DeployDialog, DeployRequest};
use crate::ui::pages::revisions::{RevisionsAction, RevisionsEvent};
use crate::ui::pages::rollout::RolloutAction;
use crate::ui::pages::setup::run::RunRequest;
use crate::ui::pages::setup::{SetupAction, SetupEvent};
use crate::ui::pages::tour::{Tour, TourAction};
use crate::ui::pages::{ApplicationsAction, DeploymentsAction};
use crate::ui::widgets::loadable::Loadable;

use super::{App, DeployEvent, Event, minimum_from_api};

impl App {
    pub(super) fn stop_watching(&mut self) {
        if let Some(watcher) = self.watcher.take() {
            watcher.abort();
        }
    }

    /// Starts watching a deployment for the open rollout view.
    pub(super) fn watch(&mut self, deployment_id: String) {
        self.stop_watching();
        let Some(session) = self.session() else {
            return;
        };
        let sender = self.jobs.sender();
        let generation = self.generation;
        let session = (*session).clone();
        self.watcher = Some(self.jobs.spawn_task(async move {
            let id = deployment_id.clone();
            watcher::watch(
                session,
                deployment_id,
                WatchConfig::default(),
                move |update| {
                    sender.send(Event::Watch {
                        generation,
                        deployment_id: id.clone(),
                        update: Box::new(update),
                    })
                },
            )
            .await;
        }));
    }

    pub(super) fn run_deployments_action(&mut self, action: DeploymentsAction) {
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        match action {
            DeploymentsAction::Refresh(filter) => {
                self.deployments.loading();
                self.jobs.spawn(async move {
                    let result = deployments::list_deployments(&session, &filter).await;
                    Event::Deployments { generation, result }
                });
            }
            DeploymentsAction::Open(deployment_id) => self.watch(deployment_id),
            DeploymentsAction::Deploy => self.deploy = Some(DeployDialog::new(None, None)),
            DeploymentsAction::Close => self.stop_watching(),
            DeploymentsAction::Rollout(action) => {
                let Some(view) = self.deployments.rollout() else {
                    return;
                };
                let deployment_id = view.deployment_id().to_owned();
                let deployment = view.deployment().cloned();
                match action {
                    RolloutAction::LoadConfig(name) => {
                        self.jobs.spawn(async move {
                            let minimum = codedeploy::get_minimum_healthy_hosts(&session, &name)
                                .await
                                .ok()
                                .flatten()
                                .and_then(|(kind, value)| minimum_from_api(&kind, value));
                            Event::Config {
                                generation,
                                deployment_id,
                                minimum,
                            }
                        });
                    }
                    RolloutAction::LoadTags(ids) => {
                        self.jobs.spawn(async move {
                            let (instances, error) =
                                crate::cloud::instances::describe_targets(&session, &ids).await;
                            Event::Tags {
                                generation,
                                deployment_id,
                                instances,
                                error: error.map(|error| error.to_string()),
                            }
                        });
                    }
                    RolloutAction::LoadHistory { application, group } => {
                        self.jobs.spawn(async move {
                            let filter = deployments::DeploymentFilter {
                                application: Some(application),
                                group: Some(group),
                                statuses: Vec::new(),
                                limit: 20,
                            };
                            // The chart is a nicety: without it the view still works.
                            let deployments = deployments::list_deployments(&session, &filter)
                                .await
                                .unwrap_or_default();
                            Event::History {
                                generation,
                                deployment_id,
                                deployments,
                            }
                        });
                    }
                    RolloutAction::Stop { roll_back } => {
                        self.jobs.spawn(async move {
                            let result =
                                deployments::stop_deployment(&session, &deployment_id, roll_back)
                                    .await
                                    .map(|()| None);
                            Event::RolloutActionDone {
                                generation,
                                deployment_id,
                                result,
                            }
                        });
                    }
                    RolloutAction::Continue => {
                        self.jobs.spawn(async move {
                            let result = deployments::continue_deployment(&session, &deployment_id)
                                .await
                                .map(|()| None);
                            Event::RolloutActionDone {
                                generation,
                                deployment_id,
                                result,
                            }
                        });
                    }
                    RolloutAction::Redeploy => {
                        let Some(deployment) = deployment else { return };
                        self.jobs.spawn(async move {
                            let result =
                                deployments::redeploy(&session, &deployment).await.map(Some);
                            Event::RolloutActionDone {
                                generation,
                                deployment_id,
                                result,
                            }
                        });
                    }
                }
            }
        }
    }

    pub(super) fn run_tour_action(&mut self, action: TourAction) {
        match action {
            TourAction::Done => self.settings.tour_done = true,
            TourAction::ShowMeARollout => {
                let Some(session) = self.session() else {
                    self.tour = Tour::Failed(
                        "Not connected to the demo account yet; try again in a moment.".to_owned(),
                    );
                    return;
                };
                let generation = self.generation;
                let sender = self.jobs.sender();
                self.jobs.spawn(async move {
                    let result = crate::cloud::demo::show_me_a_rollout(&session, |step| {
                        sender.send(Event::DemoStarted { generation, step });
                    })
                    .await;
                    Event::DemoFinished { generation, result }
                });
            }
        }
    }

    pub(super) fn run_revisions_action(&mut self, action: RevisionsAction) {
        use crate::cloud::{publish, revisions, sample};
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        let event = move |event| Event::Revisions { generation, event };
        let text = |error: CloudError| error.to_string();
        match action {
            RevisionsAction::LoadApplications => self.jobs.spawn(async move {
                event(RevisionsEvent::Applications(
                    codedeploy::list_applications(&session).await.map_err(text),
                ))
            }),
            RevisionsAction::LoadRevisions(application) => self.jobs.spawn(async move {
                event(RevisionsEvent::Revisions(
                    revisions::list_revisions(&session, &application)
                        .await
                        .map_err(text),
                ))
            }),
            RevisionsAction::Check(path) => self.jobs.spawn(async move {
                let checked_path = path.clone();
                let result = tokio::task::spawn_blocking(move || {
                    publish::check(
                        &checked_path,
                        crate::domain::appspec_lint::LintPlatform::SERVER,
                    )
                })
                .await
                .unwrap_or_else(|problem| Err(format!("Reading the bundle stopped: {problem}.")));
                event(RevisionsEvent::Checked(path, result))
            }),
            RevisionsAction::Browse { folder } => self.jobs.spawn(async move {
                let dialog = rfd::AsyncFileDialog::new().set_title("Choose a revision bundle");
                let picked = if folder {
                    dialog.pick_folder().await
                } else {
                    dialog
                        .add_filter("Bundles", &["zip", "tar", "gz", "tgz"])
                        .pick_file()
                        .await
                };
                event(RevisionsEvent::Picked(
                    picked.map(|handle| handle.path().to_path_buf()),
                ))
            }),
            RevisionsAction::UseSample => self.jobs.spawn(async move {
                let written =
                    tokio::task::spawn_blocking(|| sample::write_sample(&sample::sample_parent()))
                        .await;
                match written {
                    Ok(Ok(path)) => event(RevisionsEvent::Picked(Some(path))),
                    Ok(Err(problem)) => event(RevisionsEvent::Checked(
                        PathBuf::new(),
                        Err(format!(
                            "The sample application could not be written: {problem}."
                        )),
                    )),
                    Err(problem) => event(RevisionsEvent::Checked(
                        PathBuf::new(),
                        Err(format!(
                            "The sample application could not be written: {problem}."
                        )),
                    )),
                }
            }),
            RevisionsAction::Publish(publish_request) => {
                let (checked, destination) = *publish_request;
                let cancel = tokio_util::sync::CancellationToken::new();
                self.upload_cancel = Some(cancel.clone());
                let (progress, mut updates) =
                    tokio::sync::watch::channel(crate::cloud::s3::UploadProgress::default());
                let sender = self.jobs.sender();
                self.jobs.spawn_task(async move {
                    while updates.changed().await.is_ok() {
                        let now = *updates.borrow_and_update();
                        sender.send(event(RevisionsEvent::Progress(now)));
                        // At most about 20 updates a second reach the UI.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                });
                self.jobs.spawn(async move {
                    let result = publish::publish(
                        &session,
                        checked.source,
                        &destination,
                        &progress,
                        &cancel,
                    )
                    .await;
                    event(RevisionsEvent::Published(result))
                });
            }
            RevisionsAction::CancelUpload => {
                if let Some(cancel) = &self.upload_cancel {
                    cancel.cancel();
                }
            }
            RevisionsAction::RegisterGitHub {
                application,
                repository,
                commit,
                description,
            } => self.jobs.spawn(async move {
                let description = description.trim().to_owned();
                let result = revisions::register_github_revision(
                    &session,
                    &application,
                    &repository,
                    &commit,
                    (!description.is_empty()).then_some(description.as_str()),
                )
                .await
                .map_err(text);
                event(RevisionsEvent::GitHubRegistered(result))
            }),
            RevisionsAction::Deploy {
                application,
                revision,
            } => self.deploy = Some(DeployDialog::new(Some(application), Some(revision))),
        }
    }

    pub(super) fn run_deploy_request(&mut self, request: DeployRequest) {
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        let event = move |event| Event::Deploy { generation, event };
        match request {
            DeployRequest::LoadApplications => {
                if let Some(dialog) = &mut self.deploy {
                    dialog.applications = Loadable::Loading;
                }
                self.jobs.spawn(async move {
                    event(DeployEvent::Applications(
                        codedeploy::list_applications(&session).await,
                    ))
                });
            }
            DeployRequest::LoadGroups(application) => self.jobs.spawn(async move {
                event(DeployEvent::Groups(
                    codedeploy::list_deployment_group_names(&session, &application).await,
                ))
            }),
            DeployRequest::LoadPreflight {
                application,
                group,
                config,
            } => self.jobs.spawn(async move {
                event(DeployEvent::Preflight(
                    crate::cloud::preflight::gather(
                        &session,
                        &application,
                        &group,
                        config.as_deref(),
                    )
                    .await,
                ))
            }),
            DeployRequest::Start(new) => self.jobs.spawn(async move {
                event(DeployEvent::Started(
                    deployments::create_deployment(&session, &new).await,
                ))
            }),
        }
    }

    pub(super) fn run_setup_action(&mut self, action: SetupAction) {
        use crate::cloud::setup;
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        let event = move |event| Event::Setup { generation, event };
        match action {
            SetupAction::LoadAccount => self.jobs.spawn(async move {
                event(SetupEvent::Account(setup::account_id(&session).await))
            }),
            SetupAction::LoadTrustedRoles => self.jobs.spawn(async move {
                let principal = crate::domain::setup::CODEDEPLOY_PRINCIPAL;
                event(SetupEvent::TrustedRoles(
                    setup::roles_trusting(&session, principal).await,
                ))
            }),
            SetupAction::LoadInstances => self.jobs.spawn(async move {
                event(SetupEvent::Instances(
                    setup::instance_choices(&session).await,
                ))
            }),
            SetupAction::LoadApplications => self.jobs.spawn(async move {
                event(SetupEvent::Applications(
                    codedeploy::list_applications(&session).await,
                ))
            }),
            SetupAction::LoadGroups(application) => self.jobs.spawn(async move {
                event(SetupEvent::Groups(
                    codedeploy::list_deployment_group_names(&session, &application).await,
                ))
            }),
            SetupAction::LoadEc2Instances => self.jobs.spawn(async move {
                event(SetupEvent::Ec2Instances(
                    crate::cloud::ec2::list_instances(&session, None).await,
                ))
            }),
            SetupAction::LoadGroupSpec { application, group } => self.jobs.spawn(async move {
                let result =
                    crate::cloud::groups::deployment_group_spec(&session, &application, &group)
                        .await;
                event(SetupEvent::GroupSpec { group, result })
            }),
            SetupAction::Run { run, request } => {
                let sender = self.jobs.sender();
                self.jobs.spawn(async move {
                    let (plan, from, fix_first) = match request {
                        RunRequest::Run { plan, from } => (plan, from, false),
                        RunRequest::Fix { plan, index } => (plan, index, true),
                    };
                    setup::run_plan(&session, &plan, from, fix_first, |progress| {
                        sender.send(event(SetupEvent::Progress { run, progress }));
                    })
                    .await;
                    event(SetupEvent::RunEnded { run })
                });
            }
            SetupAction::Tags(action) => {
                use crate::ui::pages::setup::tag_instances;
                let sender = self.jobs.sender();
                self.jobs.spawn(async move {
                    let report = |progress| {
                        sender.send(event(SetupEvent::Tags(progress)));
                    };
                    event(SetupEvent::Tags(
                        tag_instances::run(&session, action, report).await,
                    ))
                });
            }
        }
    }

    pub(super) fn run_applications_action(&mut self, action: ApplicationsAction) {
        let Some(session) = self.session() else {
            return;
        };
        let generation = self.generation;
        match action {
            ApplicationsAction::Refresh => {
                self.applications.loading();
                self.jobs.spawn(async move {
                    let result = codedeploy::list_applications(&session).await;
                    Event::Applications { generation, result }
                });
            }
            ApplicationsAction::LoadGroups(application) => {
                self.applications.groups_loading();
                self.jobs.spawn(async move {
                    let result = codedeploy::list_deployment_groups(&session, &application).await;
                    Event::Groups {
                        generation,
                        application,
                        result,
                    }
                });
            }
            ApplicationsAction::Create { name, platform } => {
                self.jobs.spawn(async move {
                    let result = codedeploy::create_application(&session, &name, platform).await;
                    Event::Created {
                        generation,
                        name,
                        result,
                    }
                });
            }
            ApplicationsAction::Delete(name) => {
                self.jobs.spawn(async move {
                    let result = codedeploy::delete_application(&session, &name).await;
                    Event::Deleted {
                        generation,
                        name,
                        result,
                    }
                });
            }
        }
    }
}
