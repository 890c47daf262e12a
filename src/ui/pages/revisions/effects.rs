//! The Revisions page's effects: its lists loaded, a bundle read and
//! linted off the UI thread, the file dialog, the sample written, an upload
//! with its progress (cancellable), and a GitHub revision registered.

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::cloud::CloudError;
use crate::cloud::codedeploy;
use crate::cloud::s3::UploadProgress;
use crate::cloud::{preflight, publish, revisions, sample, try_local};
use crate::domain::appspec_lint::LintPlatform;
use crate::ui::app::{AppRequest, Effects};

use super::{RevisionsAction, RevisionsEvent, RevisionsPage};

impl RevisionsEvent {
    /// The cloud error the result failed with, if it did: an upload that
    /// failed on a cloud call among them.
    pub(crate) fn error(&self) -> Option<&CloudError> {
        match self {
            Self::Applications(Err(error))
            | Self::Revisions(Err(error))
            | Self::GitHubRegistered(Err(error)) => Some(error),
            Self::Published(Err(error)) => error.cloud_error(),
            _ => None,
        }
    }
}

/// Does what the page asked for; the Deploy dialog is the app's to open.
pub(crate) fn run(
    page: &mut RevisionsPage,
    effects: &Effects,
    action: RevisionsAction,
) -> Option<AppRequest> {
    let session = effects.session()?;
    match action {
        RevisionsAction::LoadApplications => effects
            .spawn("loading the applications", async move {
                RevisionsEvent::Applications(codedeploy::list_applications(&session).await)
            }),
        RevisionsAction::LoadRevisions(application) => {
            effects.spawn("loading the revisions", async move {
                RevisionsEvent::Revisions(revisions::list_revisions(&session, &application).await)
            });
        }
        RevisionsAction::LoadRevisionBuckets => {
            effects.spawn("reading the revision buckets", async move {
                RevisionsEvent::RevisionBuckets(preflight::revision_buckets(&session).await)
            });
        }
        RevisionsAction::Check(path) => effects.spawn("reading the bundle", async move {
            let checked_path = path.clone();
            let result = tokio::task::spawn_blocking(move || {
                publish::check(&checked_path, LintPlatform::SERVER)
                    .map_err(|error| error.to_string())
            })
            .await
            .unwrap_or_else(|problem| Err(format!("Reading the bundle stopped: {problem}.")));
            RevisionsEvent::Checked(path, result)
        }),
        RevisionsAction::Browse { folder } => effects.spawn("choosing a bundle", async move {
            let dialog = rfd::AsyncFileDialog::new().set_title("Choose a revision bundle");
            let picked = if folder {
                dialog.pick_folder().await
            } else {
                dialog
                    .add_filter("Bundles", &["zip", "tar", "gz", "tgz"])
                    .pick_file()
                    .await
            };
            RevisionsEvent::Picked(picked.map(|handle| handle.path().to_path_buf()))
        }),
        RevisionsAction::UseSample => effects.spawn("writing the sample application", async move {
            let written =
                tokio::task::spawn_blocking(|| sample::write_sample(&sample::sample_parent()))
                    .await
                    .map_err(|problem| problem.to_string())
                    .and_then(|written| written.map_err(|problem| problem.to_string()));
            match written {
                Ok(path) => RevisionsEvent::Picked(Some(path)),
                Err(problem) => RevisionsEvent::Checked(
                    PathBuf::new(),
                    Err(format!(
                        "The sample application could not be written: {problem}."
                    )),
                ),
            }
        }),
        RevisionsAction::Publish(publish_request) => {
            let (checked, destination) = *publish_request;
            let cancel = CancellationToken::new();
            page.upload_cancel = Some(cancel.clone());
            let (progress, mut updates) = tokio::sync::watch::channel(UploadProgress::default());
            let sender = effects.sender();
            effects.spawn_task("reporting the upload's progress", async move {
                while updates.changed().await.is_ok() {
                    let now = *updates.borrow_and_update();
                    sender.send(RevisionsEvent::Progress(now));
                    // At most about 20 updates a second reach the UI.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
            effects.spawn("uploading the revision", async move {
                let result =
                    publish::publish(&session, checked.source, &destination, &progress, &cancel)
                        .await;
                RevisionsEvent::Published(result)
            });
        }
        RevisionsAction::CancelUpload => {
            if let Some(cancel) = &page.upload_cancel {
                cancel.cancel();
            }
        }
        RevisionsAction::RegisterGitHub {
            application,
            repository,
            commit,
            description,
        } => effects.spawn("registering the GitHub revision", async move {
            let description = description.trim().to_owned();
            let result = revisions::register_github_revision(
                &session,
                &application,
                &repository,
                &commit,
                (!description.is_empty()).then_some(description.as_str()),
            )
            .await;
            RevisionsEvent::GitHubRegistered(result)
        }),
        RevisionsAction::Deploy {
            application,
            revision,
        } => {
            return Some(AppRequest::OpenDeploy {
                application: Some(application),
                revision: Some(revision),
            });
        }
        RevisionsAction::TryLocally {
            application,
            revision,
        } => {
            page.trying(revision.clone());
            effects.spawn("trying the revision on this machine", async move {
                let result = try_local::try_on_this_machine(&session, &application, revision)
                    .await
                    .map_err(|error| error.to_string());
                RevisionsEvent::TriedLocally(result)
            });
        }
        RevisionsAction::ShowDeployment(deployment_id) => {
            return Some(AppRequest::ShowDeployment(deployment_id));
        }
    }
    None
}

/// Applies a result to the page, and does the follow-up it asks for.
pub(crate) fn apply(
    page: &mut RevisionsPage,
    effects: &Effects,
    event: RevisionsEvent,
) -> Option<AppRequest> {
    let follow_up = page.apply(event)?;
    run(page, effects, follow_up)
}
