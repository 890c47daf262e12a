//! A CodeDeploy Lambda canary driven by the AWS CLI, as a person at a
//! terminal runs one: the function's versions and alias, a Lambda
//! application and group, a deployment with an inline AppSpec, the alias's
//! weights read with `aws lambda get-alias` as the canary moves, and the
//! `BeforeAllowTraffic` hook answered with
//! `aws deploy put-lifecycle-event-hook-execution-status`.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

#![allow(clippy::unwrap_used)]

use crate::support;

use support::{aws, aws_cli_available, aws_ok as ok, start};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const APPSPEC: &str = "version: 0.0
Resources:
  - orders:
      Type: AWS::Lambda::Function
      Properties:
        Name: orders
        Alias: live
        CurrentVersion: \"1\"
        TargetVersion: \"2\"
Hooks:
  - BeforeAllowTraffic: checkOrders
";

#[tokio::test]
async fn a_lambda_canary_is_deployed_watched_and_its_hook_answered_with_the_cli() {
    if !aws_cli_available("a_lambda_canary_is_deployed_watched_and_its_hook_answered_with_the_cli")
    {
        return;
    }
    let (cloud, clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let endpoint = endpoint.as_str();
    let advance = |millis: i64| {
        clock.advance_millis(millis);
        cloud.tick();
    };
    let dir = tempfile::tempdir().unwrap();
    let role = ok(
        "iam",
        endpoint,
        &[
            "create-role",
            "--role-name",
            "orders",
            "--assume-role-policy-document",
            TRUST,
        ],
    )
    .await["Role"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    for (name, code) in [("orders", "v1"), ("checkOrders", "hook")] {
        let zip = dir.path().join(format!("{name}.zip"));
        std::fs::write(&zip, support::zip_package(code)).unwrap();
        ok(
            "lambda",
            endpoint,
            &[
                "create-function",
                "--function-name",
                name,
                "--runtime",
                "python3.12",
                "--handler",
                "index.handler",
                "--role",
                &role,
                "--zip-file",
                &format!("fileb://{}", zip.display()),
            ],
        )
        .await;
    }
    for code in ["v1", "v2"] {
        let zip = dir.path().join("orders.zip");
        std::fs::write(&zip, support::zip_package(code)).unwrap();
        ok(
            "lambda",
            endpoint,
            &[
                "update-function-code",
                "--function-name",
                "orders",
                "--zip-file",
                &format!("fileb://{}", zip.display()),
            ],
        )
        .await;
        ok(
            "lambda",
            endpoint,
            &["publish-version", "--function-name", "orders"],
        )
        .await;
    }
    ok(
        "lambda",
        endpoint,
        &[
            "create-alias",
            "--function-name",
            "orders",
            "--name",
            "live",
            "--function-version",
            "1",
        ],
    )
    .await;
    ok(
        "deploy",
        endpoint,
        &[
            "create-application",
            "--application-name",
            "orders",
            "--compute-platform",
            "Lambda",
        ],
    )
    .await;
    ok(
        "deploy",
        endpoint,
        &[
            "create-deployment-group",
            "--application-name",
            "orders",
            "--deployment-group-name",
            "live",
            "--service-role-arn",
            "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
            "--deployment-style",
            "deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL",
        ],
    )
    .await;
    let revision = serde_json::json!({
        "revisionType": "AppSpecContent",
        "appSpecContent": { "content": APPSPEC },
    })
    .to_string();
    let id = ok(
        "deploy",
        endpoint,
        &[
            "create-deployment",
            "--application-name",
            "orders",
            "--deployment-group-name",
            "live",
            "--deployment-config-name",
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "--revision",
            &revision,
        ],
    )
    .await["deploymentId"]
        .as_str()
        .unwrap()
        .to_owned();
    advance(1);

    // The hook waits for its report; the test reports for it.
    let target = ok(
        "deploy",
        endpoint,
        &[
            "get-deployment-target",
            "--deployment-id",
            &id,
            "--target-id",
            "orders:live",
        ],
    )
    .await;
    let lambda = &target["deploymentTarget"]["lambdaTarget"];
    assert_eq!(lambda["lambdaFunctionInfo"]["functionAlias"], "live");
    let before = &lambda["lifecycleEvents"][0];
    assert_eq!(before["lifecycleEventName"], "BeforeAllowTraffic");
    assert_eq!(before["status"], "InProgress");
    let payload: serde_json::Value =
        serde_json::from_str(before["diagnostics"]["logTail"].as_str().unwrap()).unwrap();
    let execution = payload["LifecycleEventHookExecutionId"].as_str().unwrap();
    let wrong = aws(
        "deploy",
        endpoint,
        &[
            "put-lifecycle-event-hook-execution-status",
            "--deployment-id",
            &id,
            "--lifecycle-event-hook-execution-id",
            "made-up",
            "--status",
            "Succeeded",
        ],
    )
    .await;
    assert!(!wrong.success);
    assert!(
        wrong
            .stderr
            .contains("InvalidLifecycleEventHookExecutionIdException"),
        "{wrong:?}"
    );
    ok(
        "deploy",
        endpoint,
        &[
            "put-lifecycle-event-hook-execution-status",
            "--deployment-id",
            &id,
            "--lifecycle-event-hook-execution-id",
            execution,
            "--status",
            "Succeeded",
        ],
    )
    .await;

    let alias = ok(
        "lambda",
        endpoint,
        &["get-alias", "--function-name", "orders", "--name", "live"],
    )
    .await;
    assert_eq!(alias["FunctionVersion"], "1");
    assert_eq!(alias["RoutingConfig"]["AdditionalVersionWeights"]["2"], 0.1);

    advance(5 * 60_000);
    let alias = ok(
        "lambda",
        endpoint,
        &["get-alias", "--function-name", "orders", "--name", "live"],
    )
    .await;
    assert_eq!(alias["FunctionVersion"], "2");
    assert!(
        alias["RoutingConfig"]["AdditionalVersionWeights"].is_null()
            || alias["RoutingConfig"].is_null(),
        "{alias}"
    );
    let deployment = ok(
        "deploy",
        endpoint,
        &["get-deployment", "--deployment-id", &id],
    )
    .await;
    assert_eq!(deployment["deploymentInfo"]["status"], "Succeeded");
    assert_eq!(deployment["deploymentInfo"]["computePlatform"], "Lambda");
}
