//! The guided demo's effects: "Show me a rollout" sets the demo account up
//! in the background, step by step, and the deployment it starts is the
//! app's to show; moving on from the first step, or leaving the tour, lets
//! the demo's rollout run at full speed.

use crate::cloud::CloudError;
use crate::cloud::demo::{self, DemoError, DemoStep};
use crate::cloud::demo_canary;
use crate::cloud::demo_scenarios::{self, Scenario, ScenarioStep};
use crate::ui::app::{AppRequest, Effects};

use super::{Stage, Tour, TourAction};

/// A result for the guided demo.
pub(crate) enum TourEvent {
    /// A step of the setup started.
    Started(DemoStep),
    /// The setup finished with the deployment it started, or failed.
    Finished(Result<String, DemoError>),
    /// The demo's instances run at full speed again, or why not.
    PacingEnded(Result<usize, CloudError>),
    /// A step of a scenario started.
    ScenarioStarted(ScenarioStep),
    /// A scenario finished with the deployment to show, or failed.
    ScenarioFinished(Result<String, DemoError>),
}

impl TourEvent {
    /// The cloud error the result failed with, if it did.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Finished(Err(error)) | Self::ScenarioFinished(Err(error)) => error.cloud_error(),
            Self::PacingEnded(Err(error)) => Some(error),
            _ => None,
        }
    }
}

/// Lets the demo's rollout run at full speed, in the background.
fn end_pacing(effects: &Effects) {
    if let Some(session) = effects.session() {
        effects.spawn("letting the demo run at full speed", async move {
            TourEvent::PacingEnded(demo::end_pacing(&session).await)
        });
    }
}

/// Does what the tour asked for; being done with it is the app's to keep.
pub(crate) fn run(tour: &mut Tour, effects: &Effects, action: TourAction) -> Option<AppRequest> {
    match action {
        TourAction::Done => {
            // A tour left on its first step leaves no instance slowed down.
            if tour.paced() {
                end_pacing(effects);
            }
            return Some(AppRequest::TourDone);
        }
        TourAction::EndPacing => end_pacing(effects),
        TourAction::RunScenario(scenario) => {
            let Some(session) = effects.session() else {
                tour.scenario_finished(&Err(DemoError::Scenario(
                    "Not connected to the demo account yet; try again in a moment.".to_owned(),
                )));
                return None;
            };
            let sender = effects.sender();
            effects.spawn("running a demo scenario", async move {
                let started = |step| {
                    sender.send(TourEvent::ScenarioStarted(step));
                };
                let result = match scenario {
                    Scenario::ScaleOut => demo_scenarios::scale_out(&session, started).await,
                    Scenario::AlarmStop => demo_scenarios::alarm_stop(&session, started).await,
                    Scenario::Canary => demo_canary::canary(&session, started).await,
                };
                TourEvent::ScenarioFinished(result)
            });
        }
        TourAction::ShowMeARollout => {
            let Some(session) = effects.session() else {
                tour.stage = Stage::Failed(
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
        TourEvent::ScenarioStarted(step) => {
            tour.scenario_started(step);
            None
        }
        TourEvent::ScenarioFinished(result) => {
            tour.scenario_finished(&result);
            result.ok().map(AppRequest::ShowDeployment)
        }
        TourEvent::PacingEnded(result) => {
            if let Err(error) = &result {
                tracing::warn!("the demo's instances could not be set to full speed: {error}");
            }
            tour.pacing_ended(result.map(|_| ()).map_err(|error| error.to_string()));
            None
        }
    }
}
