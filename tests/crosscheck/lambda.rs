//! Lambda, checked against both backends through the SDK: a function from
//! a zip, published versions, an alias that sends a weighted share of the
//! traffic to a second version and then all of it (what a CodeDeploy
//! Lambda deployment does), tags, and errors.
//!
//! Where moto (5.x) departs from AWS, the check runs on the local cloud
//! only and says why: moto accepts any existing role as a function's
//! execution role, whichever service its trust policy names.

use std::collections::HashMap;
use std::io::Write as _;

use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{AliasRoutingConfiguration, FunctionCode, Runtime};

use crate::Clients;
use crate::crosscheck;

/// The trust policy of a function's execution role.
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// The trust policy of an instance role.
const EC2_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// A zip holding `index.py` with `body`.
fn package(body: &str) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("index.py", zip::write::SimpleFileOptions::default())
        .expect("a zip entry");
    writer
        .write_all(body.as_bytes())
        .expect("the entry is written");
    writer.finish().expect("the zip is written").into_inner()
}

/// Makes a role named after `prefix` with `trust`; returns its ARN.
async fn role(clients: &Clients, prefix: &str, trust: &str) -> String {
    clients
        .iam
        .create_role()
        .role_name(clients.unique(prefix))
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("the role is made")
        .role()
        .expect("a role")
        .arn()
        .to_owned()
}

/// Creates function `name` running as `role` from a package saying `body`.
async fn function(
    clients: &Clients,
    name: &str,
    role: &str,
    body: &str,
) -> Result<
    aws_sdk_lambda::operation::create_function::CreateFunctionOutput,
    aws_sdk_lambda::error::SdkError<
        aws_sdk_lambda::operation::create_function::CreateFunctionError,
    >,
> {
    clients
        .lambda
        .create_function()
        .function_name(name)
        .runtime(Runtime::Python312)
        .role(role)
        .handler("index.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(package(body)))
                .build(),
        )
        .send()
        .await
}

/// The error code of a refused call.
fn code<E: ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or("none").to_owned()
}

crosscheck!(
    an_alias_moves_from_one_version_to_the_next_through_weights,
    |clients: Clients| async move {
        let role = role(&clients, "fn", LAMBDA_TRUST).await;
        let name = clients.unique("web");
        let created = function(&clients, &name, &role, "v1")
            .await
            .expect("created");
        assert_eq!(created.version(), Some("$LATEST"));
        let arn = created.function_arn().expect("an ARN").to_owned();
        let one = clients
            .lambda
            .publish_version()
            .function_name(&name)
            .send()
            .await
            .expect("published");
        assert_eq!(one.version(), Some("1"));
        assert_eq!(one.function_arn(), Some(format!("{arn}:1").as_str()));
        let again = clients
            .lambda
            .publish_version()
            .function_name(&name)
            .send()
            .await
            .expect("published again");
        // Nothing changed: Lambda hands back the same version.
        assert_eq!(again.version(), Some("1"));
        clients
            .lambda
            .update_function_code()
            .function_name(&name)
            .zip_file(Blob::new(package("v2")))
            .send()
            .await
            .expect("new code");
        let two = clients
            .lambda
            .publish_version()
            .function_name(&name)
            .send()
            .await
            .expect("published");
        let two = two.version().expect("a version").to_owned();
        assert_ne!(two, "1");

        clients
            .lambda
            .create_alias()
            .function_name(&name)
            .name("live")
            .function_version("1")
            .send()
            .await
            .expect("the alias");
        let weights = HashMap::from([(two.clone(), 0.1)]);
        clients
            .lambda
            .update_alias()
            .function_name(&name)
            .name("live")
            .routing_config(
                AliasRoutingConfiguration::builder()
                    .set_additional_version_weights(Some(weights.clone()))
                    .build(),
            )
            .send()
            .await
            .expect("a tenth to the new version");
        let alias = clients
            .lambda
            .get_alias()
            .function_name(&name)
            .name("live")
            .send()
            .await
            .expect("the alias");
        assert_eq!(alias.function_version(), Some("1"));
        assert_eq!(
            alias
                .routing_config()
                .and_then(AliasRoutingConfiguration::additional_version_weights),
            Some(&weights)
        );
        assert_eq!(alias.alias_arn(), Some(format!("{arn}:live").as_str()));

        let moved = clients
            .lambda
            .update_alias()
            .function_name(&name)
            .name("live")
            .function_version(&two)
            .routing_config(
                AliasRoutingConfiguration::builder()
                    .set_additional_version_weights(Some(HashMap::new()))
                    .build(),
            )
            .send()
            .await
            .expect("all of it");
        assert_eq!(moved.function_version(), Some(two.as_str()));
        let aliases = clients
            .lambda
            .list_aliases()
            .function_name(&name)
            .send()
            .await
            .expect("the aliases");
        let names: Vec<&str> = aliases.aliases().iter().filter_map(|a| a.name()).collect();
        assert_eq!(names, ["live"]);

        clients
            .lambda
            .tag_resource()
            .resource(&arn)
            .tags("stage", "prod")
            .send()
            .await
            .expect("tagged");
        let tags = clients
            .lambda
            .list_tags()
            .resource(&arn)
            .send()
            .await
            .expect("the tags");
        assert_eq!(
            tags.tags().and_then(|tags| tags.get("stage")),
            Some(&"prod".to_owned())
        );
        clients
            .lambda
            .delete_function()
            .function_name(&name)
            .send()
            .await
            .expect("deleted");
        let gone = clients
            .lambda
            .get_function()
            .function_name(&name)
            .send()
            .await
            .expect_err("the function is gone");
        assert_eq!(code(&gone), "ResourceNotFoundException");
    }
);

crosscheck!(
    functions_and_aliases_refuse_what_lambda_refuses,
    |clients: Clients| async move {
        let role = role(&clients, "fn", LAMBDA_TRUST).await;
        let name = clients.unique("web");
        let missing_role = function(
            &clients,
            &clients.unique("nobody"),
            "arn:aws:iam::123456789012:role/does-not-exist",
            "v1",
        )
        .await
        .expect_err("no such role");
        assert_eq!(code(&missing_role), "InvalidParameterValueException");
        let ec2_role = role_for_instances(&clients).await;
        let untrusted = function(&clients, &clients.unique("ec2"), &ec2_role, "v1").await;
        if !clients.moto_differs("moto accepts a role whose trust policy does not name Lambda") {
            assert_eq!(
                code(&untrusted.expect_err("Lambda may not assume it")),
                "InvalidParameterValueException"
            );
        }
        function(&clients, &name, &role, "v1")
            .await
            .expect("created");
        let twice = function(&clients, &name, &role, "v1")
            .await
            .expect_err("it exists");
        assert_eq!(code(&twice), "ResourceConflictException");
        let no_version = clients
            .lambda
            .create_alias()
            .function_name(&name)
            .name("live")
            .function_version("42")
            .send()
            .await
            .expect_err("no version 42");
        assert_eq!(code(&no_version), "ResourceNotFoundException");
        let no_function = clients
            .lambda
            .get_alias()
            .function_name(clients.unique("nothing"))
            .name("live")
            .send()
            .await
            .expect_err("no such function");
        assert_eq!(code(&no_function), "ResourceNotFoundException");
    }
);

/// A role only EC2 may assume; returns its ARN.
async fn role_for_instances(clients: &Clients) -> String {
    role(clients, "instance", EC2_TRUST).await
}
