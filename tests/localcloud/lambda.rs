//! The local cloud's Lambda driven by the official SDK: functions whose
//! code is stored as its size and SHA-256, published versions (publishing
//! unchanged code returns the last version, as Lambda does), aliases with a
//! weighted second version — what a CodeDeploy Lambda deployment moves —,
//! tags, paging, and Lambda's errors for bad input.

// Helpers of this test crate unwrap what a passing test must have.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::collections::HashMap;

use aws_config::retry::RetryConfig;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{AliasRoutingConfiguration, FunctionCode, Runtime};
use base64::Engine as _;
use deploydesk::localcloud::LocalCloud;
use sha2::{Digest as _, Sha256};

/// The trust policy of a function's execution role.
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// The trust policy of an instance role, which Lambda may not assume.
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The local cloud with SDK clients for Lambda and IAM.
struct Fixture {
    _cloud: LocalCloud,
    lambda: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
}

impl Fixture {
    async fn start() -> Self {
        let (cloud, _clock) = support::start().await;
        let config =
            support::config_at(&cloud.endpoint_url(), "us-east-1", RetryConfig::disabled()).await;
        Self {
            lambda: aws_sdk_lambda::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            _cloud: cloud,
        }
    }

    /// Makes role `name` with `trust`; returns its ARN.
    async fn role(&self, name: &str, trust: &str) -> String {
        self.iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust)
            .send()
            .await
            .unwrap()
            .role()
            .unwrap()
            .arn()
            .to_owned()
    }

    /// Creates function `name` with `code` as its package.
    async fn function(
        &self,
        name: &str,
        role: &str,
        code: &[u8],
    ) -> Result<
        aws_sdk_lambda::operation::create_function::CreateFunctionOutput,
        aws_sdk_lambda::error::SdkError<
            aws_sdk_lambda::operation::create_function::CreateFunctionError,
        >,
    > {
        self.lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python312)
            .role(role)
            .handler("index.handler")
            .code(FunctionCode::builder().zip_file(Blob::new(code)).build())
            .tags("team", "web")
            .send()
            .await
    }
}

/// The base64 SHA-256 of `bytes`, as Lambda gives a package's.
fn sha(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

/// The error code of a refused call.
fn code<E: ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn versions_and_an_alias_with_a_weighted_second_version() {
    let fixture = Fixture::start().await;
    let role = fixture.role("web-fn", LAMBDA_TRUST).await;
    let created = fixture.function("web", &role, b"v1 package").await.unwrap();
    assert_eq!(created.version(), Some("$LATEST"));
    assert_eq!(
        created.function_arn(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:web")
    );
    assert_eq!(created.code_sha256(), Some(sha(b"v1 package").as_str()));
    assert_eq!(created.code_size(), 10);
    assert_eq!(created.timeout(), Some(3));

    let one = fixture
        .lambda
        .publish_version()
        .function_name("web")
        .description("first")
        .send()
        .await
        .unwrap();
    assert_eq!(one.version(), Some("1"));
    assert_eq!(
        one.function_arn(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:web:1")
    );
    // Nothing changed: Lambda hands back the same version.
    let again = fixture
        .lambda
        .publish_version()
        .function_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(again.version(), Some("1"));

    let updated = fixture
        .lambda
        .update_function_code()
        .function_name("web")
        .zip_file(Blob::new(b"v2 package, longer".to_vec()))
        .publish(true)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.version(), Some("2"));
    assert_eq!(
        updated.code_sha256(),
        Some(sha(b"v2 package, longer").as_str())
    );

    let versions = fixture
        .lambda
        .list_versions_by_function()
        .function_name("web")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|version| version.version())
        .collect();
    assert_eq!(names, ["$LATEST", "1", "2"]);

    // The alias points at 1 and sends a tenth of the traffic to 2, as a
    // canary's first step does.
    fixture
        .lambda
        .create_alias()
        .function_name("web")
        .name("live")
        .function_version("1")
        .send()
        .await
        .unwrap();
    let weights = HashMap::from([("2".to_owned(), 0.1)]);
    let shifted = fixture
        .lambda
        .update_alias()
        .function_name("web")
        .name("live")
        .routing_config(
            AliasRoutingConfiguration::builder()
                .set_additional_version_weights(Some(weights.clone()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(shifted.function_version(), Some("1"));
    let alias = fixture
        .lambda
        .get_alias()
        .function_name("web")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(
        alias
            .routing_config()
            .and_then(AliasRoutingConfiguration::additional_version_weights),
        Some(&weights)
    );
    assert_eq!(
        alias.alias_arn(),
        Some("arn:aws:lambda:us-east-1:000000000000:function:web:live")
    );
    // Then all of it: the alias moves to 2 and the split ends.
    let done = fixture
        .lambda
        .update_alias()
        .function_name("web")
        .name("live")
        .function_version("2")
        .routing_config(
            AliasRoutingConfiguration::builder()
                .set_additional_version_weights(Some(HashMap::new()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(done.function_version(), Some("2"));
    assert!(done.routing_config().is_none());
    // The alias is read through GetFunction's qualifier too.
    let through_alias = fixture
        .lambda
        .get_function()
        .function_name("web")
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(
        through_alias.configuration().and_then(|c| c.version()),
        Some("2")
    );
    assert_eq!(
        through_alias.tags().and_then(|tags| tags.get("team")),
        Some(&"web".to_owned())
    );

    let aliases = fixture
        .lambda
        .list_aliases()
        .function_name("web")
        .function_version("1")
        .send()
        .await
        .unwrap();
    assert!(aliases.aliases().is_empty());

    // Tags by ARN.
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:web";
    fixture
        .lambda
        .tag_resource()
        .resource(arn)
        .tags("stage", "prod")
        .send()
        .await
        .unwrap();
    fixture
        .lambda
        .untag_resource()
        .resource(arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let tags = fixture
        .lambda
        .list_tags()
        .resource(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags(),
        Some(&HashMap::from([("stage".to_owned(), "prod".to_owned())]))
    );

    fixture
        .lambda
        .delete_function()
        .function_name("web")
        .send()
        .await
        .unwrap();
    let gone = fixture
        .lambda
        .get_function()
        .function_name("web")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&gone), "ResourceNotFoundException");
}

#[tokio::test]
async fn functions_are_listed_in_pages() {
    let fixture = Fixture::start().await;
    let role = fixture.role("web-fn", LAMBDA_TRUST).await;
    for index in 0..5 {
        fixture
            .function(&format!("fn-{index}"), &role, b"package")
            .await
            .unwrap();
    }
    let mut names = Vec::new();
    let mut marker = None;
    loop {
        let page = fixture
            .lambda
            .list_functions()
            .max_items(2)
            .set_marker(marker.take())
            .send()
            .await
            .unwrap();
        assert!(page.functions().len() <= 2);
        names.extend(
            page.functions()
                .iter()
                .filter_map(|function| function.function_name().map(str::to_owned)),
        );
        match page.next_marker() {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["fn-0", "fn-1", "fn-2", "fn-3", "fn-4"]);
}

#[tokio::test]
async fn bad_requests_get_lambdas_errors() {
    let fixture = Fixture::start().await;
    let role = fixture.role("web-fn", LAMBDA_TRUST).await;
    let ec2_role = fixture.role("instance", EC2_TRUST).await;

    // A role Lambda may not assume, or that does not exist.
    for bad in [ec2_role.as_str(), "arn:aws:iam::000000000000:role/missing"] {
        let refused = fixture.function("web", bad, b"package").await.unwrap_err();
        assert_eq!(code(&refused), "InvalidParameterValueException", "{bad}");
        assert_eq!(
            refused.message(),
            Some("The role defined for the function cannot be assumed by Lambda.")
        );
    }
    fixture.function("web", &role, b"package").await.unwrap();
    let twice = fixture
        .function("web", &role, b"package")
        .await
        .unwrap_err();
    assert_eq!(code(&twice), "ResourceConflictException");
    let bad_name = fixture
        .function("no spaces", &role, b"package")
        .await
        .unwrap_err();
    assert_eq!(code(&bad_name), "InvalidParameterValueException");

    // An alias to a version that does not exist.
    let missing = fixture
        .lambda
        .create_alias()
        .function_name("web")
        .name("live")
        .function_version("7")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");

    fixture
        .lambda
        .publish_version()
        .function_name("web")
        .send()
        .await
        .unwrap();
    // $LATEST cannot share traffic.
    let latest = fixture
        .lambda
        .create_alias()
        .function_name("web")
        .name("live")
        .function_version("$LATEST")
        .routing_config(
            AliasRoutingConfiguration::builder()
                .additional_version_weights("1", 0.5)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&latest), "InvalidParameterValueException");
    let alias = fixture
        .lambda
        .create_alias()
        .function_name("web")
        .name("live")
        .function_version("1")
        .send()
        .await
        .unwrap();
    // A weight above 1.
    let heavy = fixture
        .lambda
        .update_alias()
        .function_name("web")
        .name("live")
        .routing_config(
            AliasRoutingConfiguration::builder()
                .additional_version_weights("1", 1.5)
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&heavy), "InvalidParameterValueException");
    // A revision id that is not the alias's.
    let stale = fixture
        .lambda
        .update_alias()
        .function_name("web")
        .name("live")
        .description("new")
        .revision_id("not-the-revision")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&stale), "PreconditionFailedException");
    fixture
        .lambda
        .update_alias()
        .function_name("web")
        .name("live")
        .description("new")
        .revision_id(alias.revision_id().unwrap())
        .send()
        .await
        .unwrap();
    // A version an alias uses cannot be deleted.
    let in_use = fixture
        .lambda
        .delete_function()
        .function_name("web")
        .qualifier("1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&in_use), "ResourceConflictException");
    // A function that does not exist.
    let nothing = fixture
        .lambda
        .get_alias()
        .function_name("other")
        .name("live")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&nothing), "ResourceNotFoundException");
    assert_eq!(
        nothing.message(),
        Some("Function not found: arn:aws:lambda:us-east-1:000000000000:function:other")
    );
}
