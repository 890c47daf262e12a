//! The Deploy dialog's effects: its lists and pre-flight plan loaded in the
//! background, and the deployment started.

use crate::cloud::CloudError;
use crate::cloud::codedeploy::{self, Application};
use crate::cloud::deployments;
use crate::cloud::preflight::{self, PreflightData};
use crate::ui::app::{AppRequest, Effects};
use crate::ui::widgets::loadable::{Loadable, loaded};

use super::{DeployDialog, DeployRequest};

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
}

impl DeployEvent {
    /// The error the result failed with, if it did.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Applications(Err(error))
            | Self::Groups(Err(error))
            | Self::Preflight(Err(error))
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
    }
    None
}
