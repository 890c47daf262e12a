//! The per-frame logic that runs before anything is drawn (also while the
//! window is hidden): background results are applied, refreshes and
//! connection checks are scheduled, and the settings are saved.
//!
//! Pages stay fresh by one rule, kept by [`Freshness`]: a result that says
//! the app itself changed the account (the guided demo, a deploy, a stop, a
//! rollback, a wizard's create) marks every listing page stale, and a page
//! reloads its lists when it is on screen and stale. A page shown again
//! (after another page, or the Deployments list after a rollout view) is
//! stale by definition, so it refreshes itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cloud::deployments::DeploymentStatus;
use crate::cloud::session::Identity;
use crate::cloud::{CloudError, Session};
use crate::settings::Page;
use crate::ui::connection::Connection;
use crate::ui::pages::deploy::readiness::ReadinessRequest;
use crate::ui::pages::deploy::{self, DeployDialog, DeployRequest};
use crate::ui::pages::revisions::{self, RevisionsAction};
use crate::ui::pages::setup::{self, SetupAction};
use crate::ui::pages::tour::{self, Tour, TourAction};
use crate::ui::pages::{ApplicationsAction, DeploymentsAction, applications, deployments};

use super::{App, AppRequest, Event, PageEvent, Stamped};

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

/// The pages that list what is in the account, and so may show less than
/// it holds once the app has changed it.
const LISTING_PAGES: [Page; 3] = [Page::Applications, Page::Deployments, Page::Revisions];

/// Which listing pages are stale, and which one was on screen last frame.
#[derive(Debug, Default)]
pub(super) struct Freshness {
    /// Pages to reload when next shown.
    stale: Vec<Page>,
    /// The listing page on screen last frame; the Deployments page counts
    /// only while its list (not a rollout view) is shown.
    shown: Option<Page>,
}

impl Freshness {
    /// The app changed the account: every listing page is stale.
    pub(super) fn changed(&mut self) {
        self.stale = LISTING_PAGES.to_vec();
    }

    /// Notes the listing page on screen this frame (`None` for another
    /// page or view), and says which page to reload now: the one on screen,
    /// when it is stale or was not on screen last frame.
    fn due(&mut self, showing: Option<Page>, connected: bool) -> Option<Page> {
        if showing != self.shown {
            self.shown = showing;
            if let Some(page) = showing
                && !self.stale.contains(&page)
            {
                self.stale.push(page);
            }
        }
        let page = showing.filter(|page| connected && self.stale.contains(page))?;
        self.stale.retain(|stale| *stale != page);
        Some(page)
    }
}

/// An action from a page (or dialog), for that page's effects.
pub(super) enum PageAction {
    /// From the Applications page.
    Applications(ApplicationsAction),
    /// From the Deployments page or its rollout view.
    Deployments(DeploymentsAction),
    /// From the Revisions page.
    Revisions(RevisionsAction),
    /// From the Deploy dialog.
    Deploy(DeployRequest),
    /// From the Setup page.
    Setup(SetupAction),
    /// From the guided demo.
    Tour(TourAction),
}

impl App {
    /// Applies one background result.
    pub(super) fn apply(&mut self, event: Event) {
        match event {
            Event::Connected { check, result } => {
                // Only the latest check's answer counts.
                if check == self.connection_generation {
                    self.connected(result);
                }
            }
            Event::Profiles(result) => match result {
                Ok(profiles) => self.profiles = profiles,
                Err(error) => tracing::warn!("{error}"),
            },
            Event::LogsFolderOpened(result) => {
                if let Err(failure) = result {
                    tracing::warn!("{}: {}", failure.message(), failure.detail);
                    self.logs_failure = Some(failure);
                }
            }
            Event::DemoReset(result) => match result {
                Ok(()) => {
                    // The guided demo starts afresh with the account.
                    self.settings.tour_done = false;
                    self.tour = Tour::default();
                    self.connect();
                }
                Err(error) => {
                    self.notice = Some(format!("The demo account could not be reset: {error}"));
                    // The account is as it was: check it again rather than
                    // stay "connecting".
                    self.check_connection();
                }
            },
            Event::Panicked(panic) => self.notice = Some(panic.to_string()),
            // A result of work for a connection that is no longer active
            // is dropped: it belongs to an account no longer on screen.
            Event::Page(Stamped { generation, event }) if generation == self.generation => {
                self.apply_page_event(event);
            }
            Event::Page(_) => {}
        }
    }

    /// Puts the answer of the latest connection check in place.
    fn connected(&mut self, result: Result<(Session, Option<Identity>), CloudError>) {
        let connection = match result {
            Ok((session, identity)) => {
                if matches!(self.connection, Connection::Failed(_)) {
                    // A login outside the app fixed it: load afresh.
                    self.applications.clear();
                }
                Connection::Ready(Arc::new(session), identity)
            }
            Err(error) => {
                // Checking again every few seconds logs a failure once, not
                // at every check.
                let same = matches!(
                    &self.connection,
                    Connection::Failed(before) if *before == error
                );
                if !same {
                    tracing::warn!("could not connect to {}: {error}", self.backend.label());
                }
                Connection::Failed(error)
            }
        };
        self.set_connection(connection);
    }

    /// Applies a page's result, for the connection on screen.
    fn apply_page_event(&mut self, event: PageEvent) {
        if let Some(error @ CloudError::SsoExpired { .. }) = event.error()
            && matches!(self.connection, Connection::Ready(..))
        {
            // The SSO session ran out while the app was in use: say so in
            // place of the pages, which keep what they show, and look for
            // a new login every few seconds.
            tracing::warn!("{error}");
            self.set_connection(Connection::Failed(error.clone()));
        }
        if event.changes_account() {
            self.freshness.changed();
        }
        let effects = self.effects();
        let request = match event {
            PageEvent::Applications(event) => {
                applications::effects::apply(&mut self.applications, &effects, event);
                None
            }
            PageEvent::Deployments(event) => {
                deployments::effects::apply(&mut self.deployments, event);
                None
            }
            PageEvent::Rollout(event) => {
                deployments::effects::apply_rollout(&mut self.deployments, &effects, event)
            }
            PageEvent::Deploy(event) => deploy::effects::apply(&mut self.deploy, event),
            PageEvent::Revisions(event) => {
                revisions::effects::apply(&mut self.revisions, &effects, event)
            }
            PageEvent::Setup(event) => {
                self.setup.apply(event);
                None
            }
            PageEvent::Tour(event) => tour::effects::apply(&mut self.tour, event),
        };
        if let Some(request) = request {
            self.run_request(request);
        }
    }

    /// Runs a page's action through that page's effects.
    pub(super) fn run_action(&mut self, action: PageAction) {
        let effects = self.effects();
        let request = match action {
            PageAction::Applications(action) => {
                applications::effects::run(&mut self.applications, &effects, action);
                None
            }
            PageAction::Deployments(action) => {
                deployments::effects::run(&mut self.deployments, &effects, action)
            }
            PageAction::Revisions(action) => {
                revisions::effects::run(&mut self.revisions, &effects, action)
            }
            PageAction::Deploy(DeployRequest::Readiness(
                ReadinessRequest::OpenInstanceProfile { instances, ssm },
            )) => {
                // The dialog waits, with everything typed, until the
                // wizard is done.
                self.parked_deploy = self.deploy.take();
                self.settings.last_page = Page::Setup;
                self.setup.open_instance_profile_for(instances, ssm);
                None
            }
            PageAction::Deploy(request) => {
                if let Some(dialog) = &mut self.deploy {
                    deploy::effects::run(dialog, &effects, request);
                }
                None
            }
            PageAction::Setup(action) => setup::effects::run(&effects, action),
            PageAction::Tour(action) => tour::effects::run(&mut self.tour, &effects, action),
        };
        if let Some(request) = request {
            self.run_request(request);
        }
    }

    /// Does what a page's work asks of the app itself.
    fn run_request(&mut self, request: AppRequest) {
        match request {
            AppRequest::OpenDeploy {
                application: None,
                revision: None,
            } => self.deploy = Some(self.deploy_dialog_here()),
            AppRequest::OpenDeploy {
                application,
                revision,
            } => self.deploy = Some(DeployDialog::new(application, revision)),
            AppRequest::ShowDeployment(deployment_id) => {
                // A deployment just started uses its revision.
                self.revisions.deployments_changed();
                self.settings.last_page = Page::Deployments;
                let effects = self.effects();
                deployments::effects::show(&mut self.deployments, &effects, deployment_id);
            }
            AppRequest::DeploymentEnded {
                deployment_id,
                status,
                rollback,
            } => {
                // Its status, and a rollback it started, are news to every
                // list.
                self.freshness.changed();
                self.revisions.deployments_changed();
                self.deployment_finished(&deployment_id, status, rollback.as_deref());
            }
            AppRequest::TourDone => self.settings.tour_done = true,
        }
    }

    /// Tells the person a watched deployment ended, in words: how, and
    /// the rollback it started.
    fn deployment_finished(
        &mut self,
        deployment_id: &str,
        status: Option<DeploymentStatus>,
        rollback: Option<&str>,
    ) {
        let text = ended_text(deployment_id, status, rollback);
        if self.settings.notify_on_finish {
            // Desktop notifications talk to the session bus: never in a frame.
            let word = status.map_or("ended", |status| {
                if status == DeploymentStatus::Succeeded {
                    "succeeded"
                } else {
                    "ended"
                }
            });
            let summary = format!("DeployDesk: deployment {word}");
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

    /// Reloads the listing page on screen when it is stale or shown again
    /// (see [`Freshness`]), or when it has never been loaded.
    fn refresh_if_stale(&mut self) {
        let page = self.settings.last_page;
        let showing = match page {
            Page::Deployments if self.deployments.rollout().is_some() => None,
            page if LISTING_PAGES.contains(&page) => Some(page),
            _ => None,
        };
        let connected = self.session().is_some();
        match self.freshness.due(showing, connected) {
            Some(Page::Applications) => {
                self.run_action(PageAction::Applications(ApplicationsAction::Refresh));
            }
            Some(Page::Deployments) => {
                let filter = self.deployments.filter();
                self.run_action(PageAction::Deployments(DeploymentsAction::Refresh(filter)));
            }
            Some(Page::Revisions) => {
                let action = self.revisions.refresh();
                self.run_action(PageAction::Revisions(action));
            }
            Some(_) | None => {
                if page == Page::Applications && connected && self.applications.needs_load() {
                    self.run_action(PageAction::Applications(ApplicationsAction::Refresh));
                }
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
        self.refresh_if_stale();
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
                self.run_action(PageAction::Revisions(action));
            }
        }
        if self.settings.last_page == Page::Deployments && self.session().is_some() {
            let now = Instant::now();
            if self.deployments.rollout().is_none() && self.deployments.wants_refresh(now) {
                let filter = self.deployments.filter();
                self.run_action(PageAction::Deployments(DeploymentsAction::Refresh(filter)));
            }
            if self.deployments.rollout().is_none() && self.deployments.has_active() {
                // Active deployments in the list refresh by themselves.
                ctx.request_repaint_after(deployments::ACTIVE_REFRESH);
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

/// What the notice says when a watched deployment ends: "Deployment d-1
/// stopped; rolling back with d-2."
fn ended_text(
    deployment_id: &str,
    status: Option<DeploymentStatus>,
    rollback: Option<&str>,
) -> String {
    let how = match status {
        Some(DeploymentStatus::Succeeded) => "succeeded",
        Some(DeploymentStatus::Failed) => "failed",
        Some(DeploymentStatus::Stopped) => "stopped",
        _ => "ended",
    };
    match rollback {
        Some(rollback) => {
            format!("Deployment {deployment_id} {how}; rolling back with {rollback}.")
        }
        None => format!("Deployment {deployment_id} {how}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_deployment_is_told_in_words_with_its_rollback() {
        assert_eq!(
            ended_text("d-1", Some(DeploymentStatus::Stopped), Some("d-2")),
            "Deployment d-1 stopped; rolling back with d-2."
        );
        assert_eq!(
            ended_text("d-1", Some(DeploymentStatus::Succeeded), None),
            "Deployment d-1 succeeded."
        );
    }

    #[test]
    fn a_page_shown_again_or_after_a_change_is_due_once() {
        let mut freshness = Freshness::default();
        // Shown for the first time, before the connection: due once connected.
        assert_eq!(freshness.due(Some(Page::Applications), false), None);
        assert_eq!(
            freshness.due(Some(Page::Applications), true),
            Some(Page::Applications)
        );
        assert_eq!(freshness.due(Some(Page::Applications), true), None);
        // A change made by the app: the page on screen reloads now, the
        // others when shown.
        freshness.changed();
        assert_eq!(
            freshness.due(Some(Page::Applications), true),
            Some(Page::Applications)
        );
        assert_eq!(freshness.due(None, true), None);
        assert_eq!(
            freshness.due(Some(Page::Deployments), true),
            Some(Page::Deployments)
        );
        assert_eq!(freshness.due(Some(Page::Deployments), true), None);
        // Shown again after another view.
        assert_eq!(freshness.due(None, true), None);
        assert_eq!(
            freshness.due(Some(Page::Deployments), true),
            Some(Page::Deployments)
        );
    }

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
