//! The AppSpec of an AWS Lambda or Amazon ECS deployment: which function
//! alias moves between which versions, or which task definition, container
//! and port the replacement task set runs, and the Lambda functions that
//! act as hooks.
//!
//! ```yaml
//! version: 0.0
//! Resources:
//!   - myFunction:
//!       Type: AWS::Lambda::Function
//!       Properties:
//!         Name: orders
//!         Alias: live
//!         CurrentVersion: "1"
//!         TargetVersion: "2"
//! Hooks:
//!   - BeforeAllowTraffic: checkOrders
//! ```
//!
//! The same text may be written as JSON. [`parse_lambda`] and [`parse_ecs`]
//! refuse the first thing CodeDeploy would refuse, with a message that says
//! what to change.

use yaml_serde::{Mapping, Value};

use super::reader::{read_root, read_version, scalar_text, shown};
use crate::domain::lifecycle::{ECS_EVENTS, LAMBDA_EVENTS, LifecycleEvent};

/// A Lambda deployment's AppSpec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaAppSpec {
    /// The function's name (or ARN).
    pub function: String,
    /// The alias whose traffic moves.
    pub alias: String,
    /// The version the alias points at now.
    pub current_version: String,
    /// The version it is to point at.
    pub target_version: String,
    /// The hook function of each event that has one, in the file's order.
    pub hooks: Vec<(LifecycleEvent, String)>,
}

/// An ECS deployment's AppSpec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsAppSpec {
    /// The task definition the replacement task set runs (ARN or
    /// `family:revision`).
    pub task_definition: String,
    /// The container the load balancer sends traffic to.
    pub container_name: String,
    /// Its port.
    pub container_port: u16,
    /// The Fargate platform version, if given.
    pub platform_version: Option<String>,
    /// The hook function of each event that has one, in the file's order.
    pub hooks: Vec<(LifecycleEvent, String)>,
}

/// Reads the text of a Lambda deployment's AppSpec.
pub fn parse_lambda(text: &str) -> Result<LambdaAppSpec, String> {
    let root = root(text)?;
    let properties = resource(&root, "AWS::Lambda::Function")?;
    let field = |name: &str| required(properties, name, "AWS::Lambda::Function");
    let spec = LambdaAppSpec {
        function: field("Name")?,
        alias: field("Alias")?,
        current_version: field("CurrentVersion")?,
        target_version: field("TargetVersion")?,
        hooks: hooks(&root, &LAMBDA_EVENTS)?,
    };
    if spec.current_version == spec.target_version {
        return Err(format!(
            "The AppSpec's CurrentVersion and TargetVersion are both {}; a deployment moves the alias to another version.",
            spec.current_version
        ));
    }
    Ok(spec)
}

/// Reads the text of an ECS deployment's AppSpec.
pub fn parse_ecs(text: &str) -> Result<EcsAppSpec, String> {
    let root = root(text)?;
    let properties = resource(&root, "AWS::ECS::Service")?;
    let task_definition = required(properties, "TaskDefinition", "AWS::ECS::Service")?;
    let balancer = match properties.get("LoadBalancerInfo") {
        Some(Value::Mapping(balancer)) => balancer,
        Some(other) => {
            return Err(format!(
                "LoadBalancerInfo must be a mapping with ContainerName and ContainerPort, not {}.",
                shown(other)
            ));
        }
        None => {
            return Err(
                "The AWS::ECS::Service resource needs LoadBalancerInfo with the ContainerName and ContainerPort that take the load balancer's traffic.".to_owned(),
            );
        }
    };
    let container_name = required(balancer, "ContainerName", "LoadBalancerInfo")?;
    let port_text = required(balancer, "ContainerPort", "LoadBalancerInfo")?;
    let container_port = port_text
        .parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| {
            format!("ContainerPort must be a port number from 1 to 65535, not \"{port_text}\".")
        })?;
    Ok(EcsAppSpec {
        task_definition,
        container_name,
        container_port,
        platform_version: properties.get("PlatformVersion").and_then(scalar_text),
        hooks: hooks(&root, &ECS_EVENTS)?,
    })
}

/// The text's top-level mapping, with `version: 0.0`.
fn root(text: &str) -> Result<Mapping, String> {
    let root = read_root(text).map_err(|violation| violation.agent_message())?;
    read_version(&root).map_err(|violation| violation.agent_message())?;
    Ok(root)
}

/// The properties of the one resource of type `kind` in `Resources`.
fn resource<'a>(root: &'a Mapping, kind: &str) -> Result<&'a Mapping, String> {
    let missing = || {
        format!(
            "The AppSpec needs a Resources list with one resource of Type {kind} and its Properties."
        )
    };
    let Some(Value::Sequence(resources)) = root.get("Resources") else {
        return Err(missing());
    };
    if resources.len() != 1 {
        return Err(format!(
            "The AppSpec's Resources list has {} entries; a deployment takes exactly one {kind}.",
            resources.len()
        ));
    }
    let Some(Value::Mapping(named)) = resources.first() else {
        return Err(missing());
    };
    let Some((_, Value::Mapping(resource))) = named.iter().next() else {
        return Err(missing());
    };
    match resource.get("Type").and_then(scalar_text) {
        Some(found) if found == kind => {}
        Some(found) => {
            return Err(format!(
                "The resource's Type is {found}; a deployment of this compute platform takes {kind}."
            ));
        }
        None => return Err(missing()),
    }
    match resource.get("Properties") {
        Some(Value::Mapping(properties)) => Ok(properties),
        _ => Err(missing()),
    }
}

/// The non-empty scalar `name` of `mapping`.
fn required(mapping: &Mapping, name: &str, within: &str) -> Result<String, String> {
    mapping
        .get(name)
        .and_then(scalar_text)
        .filter(|text| !text.is_empty())
        .ok_or_else(|| format!("{within} needs a {name}."))
}

/// The `Hooks` section: a list of `Event: function` entries (or one
/// mapping of them), each event one of `allowed` at most once.
fn hooks(
    root: &Mapping,
    allowed: &[LifecycleEvent],
) -> Result<Vec<(LifecycleEvent, String)>, String> {
    let entries: Vec<(&Value, &Value)> = match root.get("Hooks") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(list)) => {
            let mut entries = Vec::new();
            for item in list {
                let Value::Mapping(entry) = item else {
                    return Err(format!(
                        "Each Hooks entry is an event and the Lambda function it runs (BeforeAllowTraffic: myHook), not {}.",
                        shown(item)
                    ));
                };
                entries.extend(entry.iter());
            }
            entries
        }
        Some(Value::Mapping(entry)) => entry.iter().collect(),
        Some(other) => {
            return Err(format!(
                "Hooks must be a list of events and their Lambda functions, not {}.",
                shown(other)
            ));
        }
    };
    let names = || {
        allowed
            .iter()
            .filter(|event| event.is_scriptable())
            .map(|event| event.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut hooks: Vec<(LifecycleEvent, String)> = Vec::new();
    for (key, value) in entries {
        let name = scalar_text(key).unwrap_or_default();
        let event = allowed
            .iter()
            .copied()
            .find(|event| event.is_scriptable() && event.name() == name)
            .ok_or_else(|| {
                format!(
                    "\"{name}\" is not a hook of this deployment; use {}.",
                    names()
                )
            })?;
        let function = scalar_text(value)
            .filter(|text| !text.is_empty())
            .ok_or_else(|| format!("The {name} hook needs the name of a Lambda function."))?;
        if hooks.iter().any(|(seen, _)| *seen == event) {
            return Err(format!(
                "The {name} hook is given twice; an event runs one function."
            ));
        }
        hooks.push((event, function));
    }
    Ok(hooks)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAMBDA: &str = "version: 0.0
Resources:
  - myFunction:
      Type: AWS::Lambda::Function
      Properties:
        Name: orders
        Alias: live
        CurrentVersion: 1
        TargetVersion: \"2\"
Hooks:
  - BeforeAllowTraffic: checkBefore
  - AfterAllowTraffic: checkAfter
";

    #[test]
    fn a_lambda_appspec_names_the_alias_its_versions_and_hooks() {
        let spec = parse_lambda(LAMBDA).unwrap();
        assert_eq!(spec.function, "orders");
        assert_eq!(spec.alias, "live");
        assert_eq!(spec.current_version, "1");
        assert_eq!(spec.target_version, "2");
        assert_eq!(
            spec.hooks,
            [
                (LifecycleEvent::BeforeAllowTraffic, "checkBefore".to_owned()),
                (LifecycleEvent::AfterAllowTraffic, "checkAfter".to_owned())
            ]
        );
    }

    #[test]
    fn the_same_appspec_in_json_reads_the_same() {
        let json = r#"{"version": 0.0, "Resources": [{"f": {"Type": "AWS::Lambda::Function",
            "Properties": {"Name": "orders", "Alias": "live", "CurrentVersion": "1", "TargetVersion": "2"}}}],
            "Hooks": [{"BeforeAllowTraffic": "checkBefore"}, {"AfterAllowTraffic": "checkAfter"}]}"#;
        assert_eq!(parse_lambda(json).unwrap(), parse_lambda(LAMBDA).unwrap());
    }

    #[test]
    fn an_ecs_appspec_names_the_task_definition_container_and_port() {
        let text = "version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: web:3
        LoadBalancerInfo:
          ContainerName: app
          ContainerPort: 8080
Hooks:
  - AfterAllowTestTraffic: smokeTest
";
        let spec = parse_ecs(text).unwrap();
        assert_eq!(spec.task_definition, "web:3");
        assert_eq!(spec.container_name, "app");
        assert_eq!(spec.container_port, 8080);
        assert_eq!(
            spec.hooks,
            [(
                LifecycleEvent::AfterAllowTestTraffic,
                "smokeTest".to_owned()
            )]
        );
    }

    #[test]
    fn mistakes_are_refused_with_what_to_change() {
        let cases = [
            (
                LAMBDA.replace("TargetVersion: \"2\"", "TargetVersion: 1"),
                "both 1",
            ),
            (LAMBDA.replace("        Alias: live\n", ""), "needs a Alias"),
            (
                LAMBDA.replace("AWS::Lambda::Function", "AWS::ECS::Service"),
                "takes AWS::Lambda::Function",
            ),
            (
                LAMBDA.replace("BeforeAllowTraffic: checkBefore", "BeforeInstall: x"),
                "\"BeforeInstall\" is not a hook",
            ),
            (
                LAMBDA.replace("AfterAllowTraffic: checkAfter", "BeforeAllowTraffic: x"),
                "given twice",
            ),
            (LAMBDA.replace("version: 0.0", "version: 1.0"), "version"),
            ("just text".to_owned(), ""),
        ];
        for (text, expected) in cases {
            let error = parse_lambda(&text).unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
        let ecs = "version: 0.0\nResources:\n  - s:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: web:1\n        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 99999\n";
        assert!(parse_ecs(ecs).unwrap_err().contains("port number"));
        assert!(
            parse_ecs(&ecs.replace("        LoadBalancerInfo:\n          ContainerName: app\n          ContainerPort: 99999\n", ""))
                .unwrap_err()
                .contains("LoadBalancerInfo")
        );
    }
}
