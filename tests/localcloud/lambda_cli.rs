//! The local cloud's Lambda driven by the AWS CLI, as a person at a
//! terminal would prepare a function for a CodeDeploy Lambda deployment:
//! an execution role, a function from a zip, two published versions, an
//! alias sending a tenth of the traffic to the second, and an error as the
//! CLI shows it.
//!
//! The CLI must be on PATH (`pip install awscli`). Without it these tests
//! say they were skipped and pass, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case they fail so that CI cannot skip them silently.

// Helpers of this test crate unwrap what a passing test must have.
#![allow(clippy::unwrap_used)]

use crate::support;

use support::{aws, aws_cli_available, aws_ok as ok, start};

#[tokio::test]
async fn a_function_gets_versions_and_a_weighted_alias_with_the_cli() {
    if !aws_cli_available("a_function_gets_versions_and_a_weighted_alias_with_the_cli") {
        return;
    }
    let (cloud, _clock) = start().await;
    let endpoint = cloud.endpoint_url();
    let endpoint = endpoint.as_str();
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("function.zip");
    std::fs::write(
        &zip,
        support::zip_package("def handler(event, context): return 1\n"),
    )
    .unwrap();
    let zip_arg = format!("fileb://{}", zip.display());
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role = ok(
        "iam",
        endpoint,
        &[
            "create-role",
            "--role-name",
            "web-fn",
            "--assume-role-policy-document",
            trust,
        ],
    )
    .await["Role"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = ok(
        "lambda",
        endpoint,
        &[
            "create-function",
            "--function-name",
            "web",
            "--runtime",
            "python3.12",
            "--handler",
            "index.handler",
            "--role",
            &role,
            "--zip-file",
            &zip_arg,
            "--publish",
        ],
    )
    .await;
    assert_eq!(created["Version"], "1");
    std::fs::write(
        &zip,
        support::zip_package("def handler(event, context): return 2\n"),
    )
    .unwrap();
    let updated = ok(
        "lambda",
        endpoint,
        &[
            "update-function-code",
            "--function-name",
            "web",
            "--zip-file",
            &zip_arg,
            "--publish",
        ],
    )
    .await;
    assert_eq!(updated["Version"], "2");
    ok(
        "lambda",
        endpoint,
        &[
            "create-alias",
            "--function-name",
            "web",
            "--name",
            "live",
            "--function-version",
            "1",
            "--routing-config",
            r#"{"AdditionalVersionWeights": {"2": 0.1}}"#,
        ],
    )
    .await;
    let alias = ok(
        "lambda",
        endpoint,
        &["get-alias", "--function-name", "web", "--name", "live"],
    )
    .await;
    assert_eq!(alias["FunctionVersion"], "1");
    assert_eq!(alias["RoutingConfig"]["AdditionalVersionWeights"]["2"], 0.1);
    let versions = ok(
        "lambda",
        endpoint,
        &["list-versions-by-function", "--function-name", "web"],
    )
    .await;
    let names: Vec<&str> = versions["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|version| version["Version"].as_str())
        .collect();
    assert_eq!(names, ["$LATEST", "1", "2"]);

    let missing = aws(
        "lambda",
        endpoint,
        &["get-function", "--function-name", "nothing-here"],
    )
    .await;
    assert!(!missing.success);
    assert!(
        missing.stderr.contains("ResourceNotFoundException")
            && missing.stderr.contains("Function not found"),
        "{missing:?}"
    );
}
