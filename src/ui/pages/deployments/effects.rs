//! The Deployments page's effects: the list loaded in the background, the
//! rollout view's watcher started and stopped, and the rollout view's
//! results routed to it.

use crate::cloud::CloudError;
use crate::cloud::deployments::{self, Deployment};
use crate::ui::app::{AppRequest, Effects};
use crate::ui::pages::rollout::RolloutAction;
use crate::ui::pages::rollout::effects::{self as rollout, FollowUp, RolloutEvent};

use super::{DeploymentsAction, DeploymentsPage};

/// A result for the Deployments page's list.
pub(crate) enum DeploymentsEvent {
    /// The deployments that match the filter.
    Listed(Result<Vec<Deployment>, CloudError>),
}

impl DeploymentsEvent {
    /// The error the result failed with, if it did.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Listed(Err(error)) => Some(error),
            Self::Listed(Ok(_)) => None,
        }
    }
}

/// The watcher of the deployment on screen; dropping it stops the watch.
pub(crate) struct Watcher(tokio::task::AbortHandle);

impl Drop for Watcher {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Does what the page asked for; the Deploy dialog is the app's to open.
pub(crate) fn run(
    page: &mut DeploymentsPage,
    effects: &Effects,
    action: DeploymentsAction,
) -> Option<AppRequest> {
    let session = effects.session()?;
    match action {
        DeploymentsAction::Refresh(filter) => {
            page.loading();
            effects.spawn("loading the deployments", async move {
                DeploymentsEvent::Listed(deployments::list_deployments(&session, &filter).await)
            });
        }
        DeploymentsAction::Open(deployment_id) => watch(page, effects, deployment_id),
        // The Deploy dialog opened on the deployment shown, whose
        // readiness check has the fix.
        DeploymentsAction::Deploy | DeploymentsAction::Rollout(RolloutAction::CheckReadiness) => {
            return Some(AppRequest::OpenDeploy {
                application: None,
                revision: None,
            });
        }
        DeploymentsAction::Close => page.watcher = None,
        DeploymentsAction::Rollout(RolloutAction::Show(deployment_id)) => {
            show(page, effects, deployment_id);
        }
        DeploymentsAction::Rollout(action) => {
            if let Some(view) = page.rollout() {
                rollout::run(view, effects, action);
            }
        }
    }
    None
}

/// Applies a result to the list.
pub(crate) fn apply(page: &mut DeploymentsPage, event: DeploymentsEvent) {
    match event {
        DeploymentsEvent::Listed(result) => page.loaded(result),
    }
}

/// Opens the rollout view of `deployment_id` and watches it.
pub(crate) fn show(page: &mut DeploymentsPage, effects: &Effects, deployment_id: String) {
    page.open(&deployment_id);
    watch(page, effects, deployment_id);
}

/// Applies a result to the rollout view it is for, if that view is still
/// open. A deployment that ended is the app's to announce.
pub(crate) fn apply_rollout(
    page: &mut DeploymentsPage,
    effects: &Effects,
    event: RolloutEvent,
) -> Option<AppRequest> {
    let view = page
        .rollout_mut()
        .filter(|view| view.deployment_id() == event.deployment_id)?;
    match rollout::apply(view, event.update)? {
        FollowUp::Show(new_deployment) => {
            show(page, effects, new_deployment);
            None
        }
        FollowUp::Ended => {
            let deployment = page.rollout().and_then(|view| view.deployment());
            Some(AppRequest::DeploymentEnded {
                deployment_id: event.deployment_id,
                status: deployment.map(|deployment| deployment.status),
                rollback: deployment
                    .and_then(|deployment| deployment.rolled_back_by())
                    .map(str::to_owned),
            })
        }
    }
}

/// Watches `deployment_id` for the rollout view, instead of the deployment
/// watched before.
fn watch(page: &mut DeploymentsPage, effects: &Effects, deployment_id: String) {
    page.watcher = None;
    page.watcher = rollout::watch(effects, deployment_id).map(Watcher);
}
