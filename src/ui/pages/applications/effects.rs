//! The Applications page's effects: what it asks for becomes CodeDeploy
//! calls run in the background, and their results come back to the page.

use crate::cloud::CloudError;
use crate::cloud::codedeploy::{self, Application, DeploymentGroup};
use crate::cloud::live_targets::{self, LiveGroup};
use crate::ui::app::Effects;

use super::{ApplicationsAction, ApplicationsPage};

/// A result for the Applications page.
pub(crate) enum ApplicationsEvent {
    /// The application list.
    Listed(Result<Vec<Application>, CloudError>),
    /// An application's deployment groups.
    Groups {
        /// The application.
        application: String,
        /// Its groups.
        result: Result<Vec<DeploymentGroup>, CloudError>,
    },
    /// An application was created, or why not.
    Created {
        /// Its name.
        name: String,
        /// Its id.
        result: Result<String, CloudError>,
    },
    /// An application was deleted, or why not.
    Deleted {
        /// Its name.
        name: String,
        /// Whether it went.
        result: Result<(), CloudError>,
    },
    /// What an ECS or Lambda application's groups move.
    Live {
        /// The application.
        application: String,
        /// Its groups' services, listeners and aliases.
        result: Result<Vec<LiveGroup>, CloudError>,
    },
}

impl ApplicationsEvent {
    /// The error the result failed with, if it did.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Listed(Err(error))
            | Self::Groups {
                result: Err(error), ..
            }
            | Self::Created {
                result: Err(error), ..
            }
            | Self::Deleted {
                result: Err(error), ..
            }
            | Self::Live {
                result: Err(error), ..
            } => Some(error),
            _ => None,
        }
    }
}

/// Does what the page asked for.
pub(crate) fn run(page: &mut ApplicationsPage, effects: &Effects, action: ApplicationsAction) {
    let Some(session) = effects.session() else {
        return;
    };
    match action {
        ApplicationsAction::Refresh => {
            page.loading();
            effects.spawn("loading the applications", async move {
                ApplicationsEvent::Listed(codedeploy::list_applications(&session).await)
            });
        }
        ApplicationsAction::LoadGroups(application) => {
            page.groups_loading();
            effects.spawn("loading the deployment groups", async move {
                let result = codedeploy::list_deployment_groups(&session, &application).await;
                ApplicationsEvent::Groups {
                    application,
                    result,
                }
            });
        }
        ApplicationsAction::Create { name, platform } => {
            effects.spawn("creating the application", async move {
                let result = codedeploy::create_application(&session, &name, platform).await;
                ApplicationsEvent::Created { name, result }
            });
        }
        ApplicationsAction::Delete(name) => effects.spawn("deleting the application", async move {
            let result = codedeploy::delete_application(&session, &name).await;
            ApplicationsEvent::Deleted { name, result }
        }),
        ApplicationsAction::ReadLive {
            application,
            groups,
            again,
        } => {
            let previous = if again {
                page.live_previous(&application)
            } else {
                Vec::new()
            };
            page.live_reading(&application);
            effects.spawn("reading the groups' services and aliases", async move {
                let result = live_targets::read(&session, &application, &groups, &previous).await;
                ApplicationsEvent::Live {
                    application,
                    result,
                }
            });
        }
    }
}

/// Applies a result to the page, and does the follow-up it asks for.
pub(crate) fn apply(page: &mut ApplicationsPage, effects: &Effects, event: ApplicationsEvent) {
    let follow_up = match event {
        ApplicationsEvent::Listed(result) => page.applications_loaded(result),
        ApplicationsEvent::Groups {
            application,
            result,
        } => page.groups_loaded(&application, result),
        ApplicationsEvent::Live {
            application,
            result,
        } => {
            page.live_read(&application, result);
            None
        }
        ApplicationsEvent::Created { name, result } => {
            page.created(&name, result);
            None
        }
        ApplicationsEvent::Deleted { name, result } => {
            page.deleted(&name, result);
            None
        }
    };
    if let Some(action) = follow_up {
        run(page, effects, action);
    }
}
