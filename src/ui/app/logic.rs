//! The per-frame logic that runs before anything is drawn (also while the
//! window is hidden): background results are applied, refreshes and
//! connection checks are scheduled, and the settings are saved.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cloud::CloudError;
use crate::settings::Page;
use crate::ui::widgets::loadable::loaded;

use super::{
    App, ApplicationsAction, Connection, DeployEvent, DeploymentsAction, Event, RevisionsEvent,
    Tour,
};

/// How long a frame may spend applying background results; what is left
/// waits for the next frame.
const DRAIN_BUDGET: Duration = Duration::from_millis(10);

/// Whether [`drain_within`] applied everything that had arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drained {
    /// Nothing is left.
    Everything,
    /// The budget was spent; results may be left.
    BudgetSpent,
}

/// Applies to `state` what `next` yields, until nothing is left or
/// `budget` is spent. At least one result is applied when one is there.
fn drain_within<S, M>(
    state: &mut S,
    budget: Duration,
    next: impl Fn(&mut S) -> Option<M>,
    apply: impl Fn(&mut S, M),
) -> Drained {
    let start = Instant::now();
    while let Some(message) = next(state) {
        apply(state, message);
        if start.elapsed() >= budget {
            return Drained::BudgetSpent;
        }
    }
    Drained::Everything
}

impl App {
    /// Applies one background result.
    pub(super) fn apply(&mut self, event: Event) {
        let current = self.generation;
        if let Some(error @ CloudError::SsoExpired { .. }) = event.error()
            && matches!(self.connection, Connection::Ready(..))
        {
            // The SSO session ran out while the app was in use: say so in
            // place of the pages, which keep what they show, and look for
            // a new login every few seconds.
            tracing::warn!("{error}");
            self.set_connection(Connection::Failed(error.clone()));
        }
        match event {
            Event::Connected { generation, result } if generation == self.connection_generation => {
                let connection = match result {
                    Ok((session, identity)) => {
                        if matches!(self.connection, Connection::Failed(_)) {
                            // A login outside the app fixed it: load afresh.
                            self.applications.clear();
                        }
                        Connection::Ready(Arc::new(session), identity)
                    }
                    Err(error) => {
                        // Checking again every few seconds logs a failure
                        // once, not at every check.
                        let same = matches!(
                            &self.connection,
                            Connection::Failed(before) if *before == error
                        );
                        if !same {
                            tracing::warn!(
                                "could not connect to {}: {error}",
                                self.backend.label()
                            );
                        }
                        Connection::Failed(error)
                    }
                };
                self.set_connection(connection);
            }
            Event::Profiles(result) => match result {
                Ok(profiles) => self.profiles = profiles,
                Err(error) => tracing::warn!("{error}"),
            },
            Event::Applications { generation, result } if generation == current => {
                if let Some(action) = self.applications.applications_loaded(result) {
                    self.run_applications_action(action);
                }
            }
            Event::Groups {
                generation,
                application,
                result,
            } if generation == current => self.applications.groups_loaded(&application, result),
            Event::Created {
                generation,
                name,
                result,
            } if generation == current => {
                if let Some(action) = self.applications.created(&name, result) {
                    self.run_applications_action(action);
                }
            }
            Event::Deleted {
                generation,
                name,
                result,
            } if generation == current => {
                if let Some(action) = self.applications.deleted(&name, result) {
                    self.run_applications_action(action);
                }
            }
            Event::LogsFolderOpened(result) => {
                if let Err(text) = result {
                    self.notice = Some(text);
                }
            }
            Event::DemoReset(result) => match result {
                Ok(()) => {
                    // The guided demo starts afresh with the account.
                    self.settings.tour_done = false;
                    self.tour = Tour::Welcome;
                    self.connect();
                }
                Err(error) => {
                    self.notice = Some(format!("The demo account could not be reset: {error}"));
                }
            },
            Event::Deployments { generation, result } if generation == current => {
                self.deployments.loaded(result);
            }
            Event::Watch {
                generation,
                deployment_id,
                update,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.apply(*update);
                    if view.take_just_finished() {
                        self.deployment_finished(&deployment_id);
                    }
                }
            }
            Event::Config {
                generation,
                deployment_id,
                minimum,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.config_loaded(minimum);
                }
            }
            Event::History {
                generation,
                deployment_id,
                deployments,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.history_loaded(deployments);
                }
            }
            Event::Tags {
                generation,
                deployment_id,
                instances,
                error,
            } if generation == current => {
                if let Some(view) = self.rollout_for(&deployment_id) {
                    view.tags_loaded(instances, error);
                }
            }
            Event::RolloutActionDone {
                generation,
                deployment_id,
                result,
            } if generation == current => match result {
                Ok(Some(new_deployment)) => {
                    self.deployments.open(&new_deployment);
                    self.watch(new_deployment);
                }
                Ok(None) => {
                    if let Some(view) = self.rollout_for(&deployment_id) {
                        view.action_done(Ok(()));
                    }
                }
                Err(error) => {
                    if let Some(view) = self.rollout_for(&deployment_id) {
                        view.action_done(Err(error.to_string()));
                    }
                }
            },
            Event::Setup { generation, event } if generation == current => self.setup.apply(event),
            Event::Deploy { generation, event } if generation == current => {
                self.deploy_event(event);
            }
            Event::Revisions { generation, event } if generation == current => {
                if matches!(event, RevisionsEvent::Published(_)) {
                    self.upload_cancel = None;
                }
                if let Some(action) = self.revisions.apply(event) {
                    self.run_revisions_action(action);
                }
            }
            Event::DemoStarted { generation, step } if generation == current => {
                self.tour.started(step);
            }
            Event::DemoFinished { generation, result } if generation == current => {
                self.tour.finished(&result);
                if let Ok(deployment_id) = result {
                    self.settings.last_page = Page::Deployments;
                    self.deployments.open(&deployment_id);
                    self.watch(deployment_id);
                }
            }
            // A result for a backend that is no longer active.
            Event::DemoStarted { .. }
            | Event::DemoFinished { .. }
            | Event::Revisions { .. }
            | Event::Deploy { .. }
            | Event::Setup { .. }
            | Event::Connected { .. }
            | Event::Applications { .. }
            | Event::Groups { .. }
            | Event::Created { .. }
            | Event::Deleted { .. }
            | Event::Deployments { .. }
            | Event::Watch { .. }
            | Event::Config { .. }
            | Event::History { .. }
            | Event::Tags { .. }
            | Event::RolloutActionDone { .. } => {}
        }
    }

    /// The open rollout view, if it shows this deployment.
    fn rollout_for(
        &mut self,
        deployment_id: &str,
    ) -> Option<&mut crate::ui::pages::rollout::RolloutView> {
        self.deployments
            .rollout_mut()
            .filter(|view| view.deployment_id() == deployment_id)
    }

    /// Tells the person a watched deployment ended.
    fn deployment_finished(&mut self, deployment_id: &str) {
        let status = self
            .deployments
            .rollout()
            .and_then(|view| view.deployment())
            .map_or("ended", |deployment| deployment.status.as_str());
        let text = format!("Deployment {deployment_id} finished: {status}.");
        if self.settings.notify_on_finish {
            // Desktop notifications talk to the session bus: never in a frame.
            let summary = format!("DeployDesk: deployment {status}");
            let body = text.clone();
            self.runtime.spawn_blocking(move || {
                if let Err(error) = notify_rust::Notification::new()
                    .summary(&summary)
                    .body(&body)
                    .appname("DeployDesk")
                    .show()
                {
                    tracing::info!("no desktop notification: {error}");
                }
            });
        }
        self.notice = Some(text);
    }

    /// Applies a result to the Deploy dialog; a started deployment opens
    /// in the rollout view.
    fn deploy_event(&mut self, event: DeployEvent) {
        if let DeployEvent::Started(Ok(deployment_id)) = &event {
            self.deploy = None;
            self.settings.last_page = Page::Deployments;
            self.deployments.open(deployment_id);
            self.watch(deployment_id.clone());
            return;
        }
        let Some(dialog) = &mut self.deploy else {
            return;
        };
        match event {
            DeployEvent::Applications(result) => dialog.applications = loaded(result),
            DeployEvent::Groups(result) => dialog.groups_loaded(loaded(result)),
            DeployEvent::Preflight(result) => dialog.preflight = loaded(result),
            DeployEvent::Started(result) => {
                dialog.started(result.map_err(|error| error.to_string()));
            }
        }
    }

    /// Applies what arrived and schedules what is due. Called by eframe
    /// before each frame is drawn.
    pub(super) fn run_logic(&mut self, ctx: &egui::Context) {
        if drain_within(self, DRAIN_BUDGET, |app| app.jobs.try_recv(), Self::apply)
            == Drained::BudgetSpent
        {
            // The rest is applied next frame, so that a burst of results
            // never holds a frame up.
            ctx.request_repaint();
        }
        if let Some(at) = self.recheck_at {
            // An expired SSO session or missing credentials: a login in a
            // terminal fixes it, so look again now and then.
            let now = Instant::now();
            if now >= at {
                self.check_connection();
            } else {
                ctx.request_repaint_after(at - now);
            }
        }
        if let Some(host) = &self.local_cloud {
            let notices = host.take_notices();
            if !notices.is_empty() {
                let mut text = self
                    .notice
                    .take()
                    .map(|notice| vec![notice])
                    .unwrap_or_default();
                text.extend(notices);
                self.notice = Some(text.join(" "));
            }
        }
        if self.settings.last_page == Page::Applications
            && self.session().is_some()
            && self.applications.needs_load()
        {
            self.run_applications_action(ApplicationsAction::Refresh);
        }
        if self.settings.last_page == Page::Revisions && self.session().is_some() {
            // A folder or archive dropped on the window is the bundle.
            let dropped = ctx.input(|input| {
                input
                    .raw
                    .dropped_files
                    .iter()
                    .map(|file| file.path().to_path_buf())
                    .find(|path| !path.as_os_str().is_empty())
            });
            if let Some(path) = dropped {
                let action = self.revisions.dropped(path);
                self.run_revisions_action(action);
            }
        }
        if self.settings.last_page == Page::Deployments && self.session().is_some() {
            let now = Instant::now();
            if self.deployments.rollout().is_none() && self.deployments.wants_refresh(now) {
                let filter = self.deployments.filter();
                self.run_deployments_action(DeploymentsAction::Refresh(filter));
            }
            if self.deployments.rollout().is_none() && self.deployments.has_active() {
                // Active deployments in the list refresh by themselves.
                ctx.request_repaint_after(crate::ui::pages::deployments::ACTIVE_REFRESH);
            }
        }
        // Remember the window size; the store writes on its own thread.
        if let Some(rect) = ctx.input(|input| input.viewport().inner_rect) {
            let size = [rect.width().round(), rect.height().round()];
            if size[0] > 0.0 && size[1] > 0.0 {
                self.settings.window_size = size;
            }
        }
        self.settings.backend = self.backend.clone();
        self.store.save(&self.settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draining_stops_when_the_budget_is_spent_and_goes_on_next_time() {
        let mut queue = vec![3, 2, 1];
        let mut applied = Vec::new();
        let mut state = (&mut queue, &mut applied);
        let next = |(queue, _): &mut (&mut Vec<i32>, &mut Vec<i32>)| queue.pop();
        let apply = |(_, applied): &mut (&mut Vec<i32>, &mut Vec<i32>), value| applied.push(value);
        // A spent budget still lets one result through, so every frame
        // makes progress.
        assert_eq!(
            drain_within(&mut state, Duration::ZERO, next, apply),
            Drained::BudgetSpent
        );
        assert_eq!(*state.1, [1]);
        assert_eq!(
            drain_within(&mut state, Duration::from_hours(1), next, apply),
            Drained::Everything
        );
        assert_eq!(*state.1, [1, 2, 3]);
    }
}
