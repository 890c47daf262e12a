//! "Show me a canary": a Lambda function whose alias a CodeDeploy canary
//! moves, 10 % of the invocations for five minutes and then all of them,
//! while its `AfterAllowTraffic` hook reports a failure, so that the
//! deployment fails and its automatic rollback moves the traffic back.
//!
//! Each step makes what a person would make in the Lambda console or
//! DeployDesk's pages, through the same calls, and reuses what exists, so
//! the scenario can be run again: the rollback leaves the alias where the
//! next canary starts.

use aws_sdk_codedeploy::types as cd;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};

use super::demo::DemoError;
use super::demo_scenarios::ScenarioStep;
use super::error::sdk_error as error;
use super::session::Session;
use super::setup;
use crate::domain::ComputePlatform;
use crate::domain::setup::SetupPlan;

/// The function the canary moves.
pub const FUNCTION: &str = "demo-orders";
/// Its alias.
pub const ALIAS: &str = "live";
/// The hook function, tagged to report a failure.
pub const HOOK: &str = "demo-orders-check";
/// The Lambda application.
pub const APPLICATION: &str = "demo-orders-api";
/// Its deployment group.
pub const GROUP: &str = "live";
/// The service role of Lambda deployments.
pub const SERVICE_ROLE: &str = "DemoCodeDeployLambdaRole";
/// The execution role of the functions.
pub const EXECUTION_ROLE: &str = "DemoLambdaExecutionRole";
/// The configuration of the canary.
pub const CONFIG: &str = "CodeDeployDefault.LambdaCanary10Percent5Minutes";

/// The trust policy of the functions' execution role.
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The AppSpec of the canary: the alias from version 1 to version 2, with
/// the hook after the traffic has moved.
fn appspec() -> String {
    format!(
        "version: 0.0\nResources:\n  - orders:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: {FUNCTION}\n        Alias: {ALIAS}\n        CurrentVersion: \"1\"\n        TargetVersion: \"2\"\nHooks:\n  - AfterAllowTraffic: {HOOK}\n"
    )
}

/// Runs the canary: the function, its versions, alias and failing hook;
/// the Lambda application and group that rolls back failures; then the
/// deployment. Returns its id.
pub async fn canary(
    session: &Session,
    mut started: impl FnMut(ScenarioStep),
) -> Result<String, DemoError> {
    started(ScenarioStep::CanaryFunction);
    functions(session).await?;

    started(ScenarioStep::CanaryGroup);
    let account = setup::account_id(session).await?;
    let region = session.region().to_owned();
    super::demo::run_all(
        session,
        &SetupPlan::service_role(
            SERVICE_ROLE,
            ComputePlatform::Lambda,
            &account,
            &region,
            true,
            false,
        ),
    )
    .await?;
    group(
        session,
        &format!("arn:aws:iam::{account}:role/{SERVICE_ROLE}"),
    )
    .await?;

    started(ScenarioStep::CanaryDeployment);
    let output = session
        .codedeploy
        .create_deployment()
        .application_name(APPLICATION)
        .deployment_group_name(GROUP)
        .deployment_config_name(CONFIG)
        .description("The demo's canary, whose AfterAllowTraffic hook fails")
        .revision(
            cd::RevisionLocation::builder()
                .revision_type(cd::RevisionLocationType::AppSpecContent)
                .app_spec_content(cd::AppSpecContent::builder().content(appspec()).build())
                .build(),
        )
        .send()
        .await
        .map_err(error(session, "CreateDeployment"))?;
    output.deployment_id().map(str::to_owned).ok_or_else(|| {
        DemoError::Scenario("CreateDeployment returned no deployment id.".to_owned())
    })
}

/// The function with versions 1 and 2 and its alias at version 1, and the
/// hook function tagged to report `Failed`, unless they exist.
pub(crate) async fn functions(session: &Session) -> Result<(), DemoError> {
    let lambda = &session.lambda;
    if lambda
        .get_alias()
        .function_name(FUNCTION)
        .name(ALIAS)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let account = setup::account_id(session).await?;
    let role = format!("arn:aws:iam::{account}:role/{EXECUTION_ROLE}");
    if session
        .iam
        .get_role()
        .role_name(EXECUTION_ROLE)
        .send()
        .await
        .is_err()
    {
        session
            .iam
            .create_role()
            .role_name(EXECUTION_ROLE)
            .assume_role_policy_document(LAMBDA_TRUST)
            .description("The demo's Lambda functions run as this role.")
            .send()
            .await
            .map_err(error(session, "CreateRole"))?;
    }
    for (name, tag) in [(FUNCTION, None), (HOOK, Some("Failed"))] {
        if lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .is_ok()
        {
            continue;
        }
        let mut request = lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role(&role)
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(super::sample::lambda_package(name)))
                    .build(),
            );
        if let Some(answer) = tag {
            request = request.tags("deploydesk:simulate", answer);
        }
        request
            .send()
            .await
            .map_err(error(session, "CreateFunction"))?;
    }
    for version in ["1", "2"] {
        lambda
            .update_function_code()
            .function_name(FUNCTION)
            .zip_file(Blob::new(super::sample::lambda_package(&format!(
                "{FUNCTION} version {version}"
            ))))
            .send()
            .await
            .map_err(error(session, "UpdateFunctionCode"))?;
        lambda
            .publish_version()
            .function_name(FUNCTION)
            .description(format!("Version {version}"))
            .send()
            .await
            .map_err(error(session, "PublishVersion"))?;
    }
    lambda
        .create_alias()
        .function_name(FUNCTION)
        .name(ALIAS)
        .function_version("1")
        .send()
        .await
        .map_err(error(session, "CreateAlias"))?;
    Ok(())
}

/// The Lambda application and its group, rolling back failed deployments,
/// unless they exist.
async fn group(session: &Session, service_role: &str) -> Result<(), DemoError> {
    let client = &session.codedeploy;
    if client
        .get_application()
        .application_name(APPLICATION)
        .send()
        .await
        .is_err()
    {
        client
            .create_application()
            .application_name(APPLICATION)
            .compute_platform(cd::ComputePlatform::Lambda)
            .send()
            .await
            .map_err(error(session, "CreateApplication"))?;
    }
    if client
        .get_deployment_group()
        .application_name(APPLICATION)
        .deployment_group_name(GROUP)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    client
        .create_deployment_group()
        .application_name(APPLICATION)
        .deployment_group_name(GROUP)
        .service_role_arn(service_role)
        .deployment_config_name(CONFIG)
        .deployment_style(
            cd::DeploymentStyle::builder()
                .deployment_type(cd::DeploymentType::BlueGreen)
                .deployment_option(cd::DeploymentOption::WithTrafficControl)
                .build(),
        )
        .auto_rollback_configuration(
            cd::AutoRollbackConfiguration::builder()
                .enabled(true)
                .events(cd::AutoRollbackEvent::DeploymentFailure)
                .events(cd::AutoRollbackEvent::DeploymentStopOnRequest)
                .build(),
        )
        .send()
        .await
        .map_err(error(session, "CreateDeploymentGroup"))?;
    Ok(())
}
