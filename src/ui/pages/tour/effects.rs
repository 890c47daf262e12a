//! The guided demo's effects: "Show me a rollout" sets the demo account up
//! in the background, step by step, and the deployment it starts is the
//! app's to show.

use crate::cloud::CloudError;
use crate::cloud::demo::{self, DemoError, DemoStep};
use crate::ui::app::{AppRequest, Effects};

use super::{Tour, TourAction};

/// A result for the guided demo.
pub(crate) enum TourEvent {
    /// A step of the setup started.
    Started(DemoStep),
    /// The setup finished with the deployment it started, or failed.
    Finished(Result<String, DemoError>),
}

impl TourEvent {
    /// The cloud error the result failed with, if it did.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Finished(Err(error)) => error.cloud_error(),
            _ => None,
        }
    }
}

/// Does what the tour asked for; being done with it is the app's to keep.
pub(crate) fn run(tour: &mut Tour, effects: &Effects, action: TourAction) -> Option<AppRequest> {
    match action {
        TourAction::Done => return Some(AppRequest::TourDone),
        TourAction::ShowMeARollout => {
            let Some(session) = effects.session() else {
                *tour = Tour::Failed(
                    "Not connected to the demo account yet; try again in a moment.".to_owned(),
                );
                return None;
            };
            let sender = effects.sender();
            effects.spawn("setting up the demo", async move {
                let result = demo::show_me_a_rollout(&session, |step| {
                    sender.send(TourEvent::Started(step));
                })
                .await;
                TourEvent::Finished(result)
            });
        }
    }
    None
}

/// Applies a result to the tour; the deployment the demo started is the
/// app's to show.
pub(crate) fn apply(tour: &mut Tour, event: TourEvent) -> Option<AppRequest> {
    match event {
        TourEvent::Started(step) => {
            tour.started(step);
            None
        }
        TourEvent::Finished(result) => {
            tour.finished(&result);
            result.ok().map(AppRequest::ShowDeployment)
        }
    }
}
