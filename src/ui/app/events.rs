//! What background jobs send back to the app, and what a page's effects use
//! to start them.
//!
//! A page's work is started through [`Effects`], which stamps every result
//! with the generation of the connection it was started under. The app
//! drops a stamped result whose generation is not the current one in one
//! place ([`super::App::apply`]), so a result for an account the person
//! has since left never reaches a page.

use std::future::Future;
use std::sync::Arc;

use crate::cloud::CloudError;
use crate::cloud::Session;
use crate::cloud::deployments::{DeploymentStatus, Revision};
use crate::cloud::jobs::{JobPanic, JobSender, Spawner};
use crate::cloud::session::{Identity, ProfileInfo};
use crate::ui::pages::applications::effects::ApplicationsEvent;
use crate::ui::pages::deploy::effects::DeployEvent;
use crate::ui::pages::deployments::effects::DeploymentsEvent;
use crate::ui::pages::revisions::RevisionsEvent;
use crate::ui::pages::rollout::effects::{RolloutEvent, RolloutUpdate};
use crate::ui::pages::setup::SetupEvent;
use crate::ui::pages::tour::effects::TourEvent;

/// A result from a background job.
pub(crate) enum Event {
    /// The answer of connection check `check`; only the latest check's
    /// answer counts.
    Connected {
        /// Which check this answers.
        check: u64,
        /// The session and who it signs in as, or why there is none.
        result: Result<(Session, Option<Identity>), CloudError>,
    },
    /// The profiles of the AWS config files.
    Profiles(Result<Vec<ProfileInfo>, CloudError>),
    /// The demo account was reset, or why not.
    DemoReset(Result<(), CloudError>),
    /// The logs folder was opened, or why not.
    LogsFolderOpened(Result<(), crate::ui::logs_folder::OpenFailure>),
    /// A page's result.
    Page(Stamped),
    /// A job stopped by panicking.
    Panicked(JobPanic),
}

impl From<JobPanic> for Event {
    fn from(panic: JobPanic) -> Self {
        Self::Panicked(panic)
    }
}

/// A page's result, stamped with the generation of the connection its work
/// was started under.
pub(crate) struct Stamped {
    /// The connection's generation when the work started.
    pub(crate) generation: u64,
    /// The result.
    pub(crate) event: PageEvent,
}

/// A result for one page (or dialog).
pub(crate) enum PageEvent {
    /// For the Applications page.
    Applications(ApplicationsEvent),
    /// For the Deployments page's list.
    Deployments(DeploymentsEvent),
    /// For the rollout view of one deployment.
    Rollout(RolloutEvent),
    /// For the Deploy dialog.
    Deploy(DeployEvent),
    /// For the Revisions page.
    Revisions(RevisionsEvent),
    /// For the Setup page and its wizards.
    Setup(SetupEvent),
    /// For the guided demo.
    Tour(TourEvent),
}

impl PageEvent {
    /// The cloud error this result failed with, if it carries one: an
    /// expired SSO session among them takes the app to the login message.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Applications(event) => event.error(),
            Self::Deployments(event) => event.error(),
            Self::Rollout(event) => event.error(),
            Self::Deploy(event) => event.error(),
            Self::Revisions(event) => event.error(),
            Self::Setup(event) => event.error(),
            Self::Tour(event) => event.error(),
        }
    }
}

impl PageEvent {
    /// Whether this result says the app itself changed the account: made
    /// or deleted an application, started, stopped, continued or
    /// redeployed a deployment, published a revision, ran a wizard, or set
    /// up the guided demo (each of its steps makes something). Every page
    /// that lists the account is then stale.
    pub(crate) fn changes_account(&self) -> bool {
        match self {
            Self::Applications(event) => matches!(
                event,
                ApplicationsEvent::Created { result: Ok(_), .. }
                    | ApplicationsEvent::Deleted { result: Ok(()), .. }
            ),
            Self::Rollout(event) => matches!(event.update, RolloutUpdate::ActionDone(Ok(_))),
            Self::Deploy(event) => matches!(event, DeployEvent::Started(Ok(_))),
            Self::Revisions(event) => matches!(
                event,
                RevisionsEvent::Published(Ok(_)) | RevisionsEvent::GitHubRegistered(Ok(()))
            ),
            Self::Setup(event) => matches!(event, SetupEvent::RunEnded { .. }),
            Self::Tour(event) => {
                matches!(event, TourEvent::Started(_) | TourEvent::Finished(Ok(_)))
            }
            Self::Deployments(_) => false,
        }
    }
}

impl From<ApplicationsEvent> for PageEvent {
    fn from(event: ApplicationsEvent) -> Self {
        Self::Applications(event)
    }
}

impl From<DeploymentsEvent> for PageEvent {
    fn from(event: DeploymentsEvent) -> Self {
        Self::Deployments(event)
    }
}

impl From<RolloutEvent> for PageEvent {
    fn from(event: RolloutEvent) -> Self {
        Self::Rollout(event)
    }
}

impl From<DeployEvent> for PageEvent {
    fn from(event: DeployEvent) -> Self {
        Self::Deploy(event)
    }
}

impl From<RevisionsEvent> for PageEvent {
    fn from(event: RevisionsEvent) -> Self {
        Self::Revisions(event)
    }
}

impl From<SetupEvent> for PageEvent {
    fn from(event: SetupEvent) -> Self {
        Self::Setup(event)
    }
}

impl From<TourEvent> for PageEvent {
    fn from(event: TourEvent) -> Self {
        Self::Tour(event)
    }
}

/// What a page's work asks of the app itself, beyond the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AppRequest {
    /// Open the Deploy dialog, with the application and revision chosen
    /// when they are given.
    OpenDeploy {
        /// The application.
        application: Option<String>,
        /// The revision.
        revision: Option<Revision>,
    },
    /// Show this deployment in the rollout view, on the Deployments page,
    /// and watch it.
    ShowDeployment(String),
    /// A watched deployment ended with `status`: tell the person.
    DeploymentEnded {
        /// The deployment.
        deployment_id: String,
        /// How it ended, when known.
        status: Option<DeploymentStatus>,
        /// The deployment that rolls it back, if one started.
        rollback: Option<String>,
    },
    /// The person is done with the guided demo.
    TourDone,
}

/// What a page's effects use: the session, and jobs whose results come back
/// stamped with the connection they were started under.
#[derive(Clone)]
pub(crate) struct Effects {
    session: Option<Arc<Session>>,
    generation: u64,
    spawner: Spawner<Event>,
}

impl Effects {
    /// Effects for the connection of `generation`, with `session` once it
    /// is ready.
    pub(crate) fn new(
        session: Option<Arc<Session>>,
        generation: u64,
        spawner: Spawner<Event>,
    ) -> Self {
        Self {
            session,
            generation,
            spawner,
        }
    }

    /// The session, once connected.
    pub(crate) fn session(&self) -> Option<Arc<Session>> {
        self.session.clone()
    }

    /// Runs `job`, which is doing `what` (e.g. "loading the
    /// applications"), in the background; its result comes back to its
    /// page. If it panics, the app says what stopped.
    pub(crate) fn spawn<E: Into<PageEvent>>(
        &self,
        what: &str,
        job: impl Future<Output = E> + Send + 'static,
    ) {
        let generation = self.generation;
        self.spawner.spawn(what, async move {
            Event::Page(Stamped {
                generation,
                event: job.await.into(),
            })
        });
    }

    /// A sender for work that reports more than once.
    pub(crate) fn sender(&self) -> PageSender {
        PageSender {
            sender: self.spawner.sender(),
            generation: self.generation,
        }
    }

    /// Starts a long-running task doing `what`, which reports through a
    /// [`PageSender`]; the handle stops it.
    pub(crate) fn spawn_task(
        &self,
        what: &str,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        self.spawner.spawn_task(what, task)
    }
}

/// Sends a page's results from work that reports more than once, stamped
/// like every other result.
#[derive(Clone)]
pub(crate) struct PageSender {
    sender: JobSender<Event>,
    generation: u64,
}

impl PageSender {
    /// Sends a result; `false` once the app has gone.
    pub(crate) fn send(&self, event: impl Into<PageEvent>) -> bool {
        self.sender.send(Event::Page(Stamped {
            generation: self.generation,
            event: event.into(),
        }))
    }
}
