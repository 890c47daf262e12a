//! "Try on this machine": a revision deployed through the demo account's
//! CodeDeploy to a local instance, an on-premises instance whose hooks run
//! for real on this machine, in a sandbox (see [`crate::runner`]). It
//! answers "will my bundle work?" before the bundle goes anywhere.
//!
//! Each step makes what a person would make by hand — the service role,
//! the registered on-premises instance with its tags, a deployment group
//! that selects it — and reuses what exists, so trying again is one
//! deployment.

use aws_sdk_codedeploy::types as cd;

use super::demo::{self, DemoError};
use super::deployments::{self, NewDeployment, Revision};
use super::error::sdk_error as error;
use super::session::Session;
use super::setup;
use crate::domain::ComputePlatform;
use crate::domain::setup::SetupPlan;
use crate::domain::simulate::SIMULATE_TAG;

/// The local instance's name, and the value of its `Name` tag.
pub const INSTANCE: &str = "this-machine";
/// The deployment group over it, made in the revision's application.
pub const GROUP: &str = "this-machine";
/// The `deploydesk:simulate` directive that makes an instance local.
pub const LOCAL: &str = "local";
/// How the local instance's scripts deploy: one instance, one at a time.
const CONFIG: &str = "CodeDeployDefault.OneAtATime";

/// Deploys `revision` of `application` (an EC2/on-premises application)
/// to the local instance and returns the deployment's id.
pub async fn try_on_this_machine(
    session: &Session,
    application: &str,
    revision: Revision,
) -> Result<String, DemoError> {
    let account = setup::account_id(session).await?;
    let region = session.region().to_owned();
    demo::run_all(
        session,
        &SetupPlan::service_role(
            demo::SERVICE_ROLE,
            ComputePlatform::Server,
            &account,
            &region,
            true,
            false,
        ),
    )
    .await?;
    local_instance(session, &account).await?;
    group(
        session,
        application,
        &format!("arn:aws:iam::{account}:role/{}", demo::SERVICE_ROLE),
    )
    .await?;
    let id = deployments::create_deployment(
        session,
        &NewDeployment {
            application: application.to_owned(),
            group: GROUP.to_owned(),
            revision: Some(revision),
            config_override: None,
            description: "Tried on this machine".to_owned(),
            ignore_application_stop_failures: false,
            file_exists_behavior: Some("OVERWRITE".to_owned()),
            update_outdated_instances_only: false,
        },
    )
    .await?;
    Ok(id)
}

/// The local instance, registered and tagged, unless it is.
async fn local_instance(session: &Session, account: &str) -> Result<(), DemoError> {
    let client = &session.codedeploy;
    if client
        .get_on_premises_instance()
        .instance_name(INSTANCE)
        .send()
        .await
        .is_err()
    {
        client
            .register_on_premises_instance()
            .instance_name(INSTANCE)
            .iam_session_arn(format!(
                "arn:aws:sts::{account}:assumed-role/DeployDeskLocalInstance/{INSTANCE}"
            ))
            .send()
            .await
            .map_err(error(session, "RegisterOnPremisesInstance"))?;
    }
    client
        .add_tags_to_on_premises_instances()
        .instance_names(INSTANCE)
        .tags(cd::Tag::builder().key("Name").value(INSTANCE).build())
        .tags(cd::Tag::builder().key(SIMULATE_TAG).value(LOCAL).build())
        .send()
        .await
        .map_err(error(session, "AddTagsToOnPremisesInstances"))?;
    Ok(())
}

/// The group over the local instance in `application`, unless it exists.
async fn group(session: &Session, application: &str, service_role: &str) -> Result<(), DemoError> {
    let client = &session.codedeploy;
    if client
        .get_deployment_group()
        .application_name(application)
        .deployment_group_name(GROUP)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    client
        .create_deployment_group()
        .application_name(application)
        .deployment_group_name(GROUP)
        .service_role_arn(service_role)
        .deployment_config_name(CONFIG)
        .on_premises_instance_tag_filters(
            cd::TagFilter::builder()
                .key("Name")
                .value(INSTANCE)
                .r#type(cd::TagFilterType::KeyAndValue)
                .build(),
        )
        .send()
        .await
        .map_err(error(session, "CreateDeploymentGroup"))?;
    Ok(())
}
