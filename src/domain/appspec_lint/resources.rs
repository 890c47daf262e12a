//! The linter's rules for ECS and Lambda `AppSpec` files (YAML or JSON): one
//! resource of the right type with its properties, and hooks that name a
//! Lambda function for an event of the platform.

use yaml_serde::{Mapping, Value};

use super::{LintPlatform, Linter, Step};
use crate::domain::appspec::reader::{scalar_text, shown};

/// Lints an ECS or Lambda AppSpec: its Resources and Hooks.
pub(super) fn lint(linter: &mut Linter<'_>, root: &Mapping, platform: LintPlatform) {
    let (resource_type, what) = if platform == LintPlatform::Ecs {
        (
            "AWS::ECS::Service",
            "the ECS service to deploy (TargetService)",
        )
    } else {
        ("AWS::Lambda::Function", "the Lambda function to deploy")
    };
    for (key, _) in root {
        let key = shown(key);
        if !["version", "Resources", "Hooks"].contains(&key.as_str()) {
            let hint = if ["os", "files", "hooks", "permissions"].contains(&key.as_str()) {
                format!(
                    "\"{key}\" belongs to EC2/on-premises AppSpecs; {} AppSpecs have only version, Resources and Hooks.",
                    platform_name(platform)
                )
            } else {
                format!(
                    "\"{key}\" is not a section of {} AppSpec; it is ignored.",
                    article_name(platform)
                )
            };
            linter.warning(
                &[Step::Key(&key)],
                hint,
                "Remove it; use version, Resources and Hooks.",
            );
        }
    }
    match root.get("Resources") {
        None => linter.error(
            &[],
            format!("The AppSpec has no Resources section naming {what}."),
            format!("Add `Resources:` with one item of Type {resource_type}."),
        ),
        Some(Value::Sequence(resources)) => {
            if resources.is_empty() {
                linter.error(
                    &[Step::Key("Resources")],
                    format!("The Resources section is empty; it must name {what}."),
                    format!("Add one item of Type {resource_type}."),
                );
            } else if resources.len() > 1 {
                linter.error(
                    &[Step::Key("Resources"), Step::Index(1)],
                    format!("The Resources section lists {} resources; a deployment updates exactly one.", resources.len()),
                    "Keep one resource and deploy the others with their own applications.",
                );
            }
            for (index, resource) in resources.iter().enumerate() {
                lint_resource(linter, index, resource, platform);
            }
        }
        Some(_) => linter.error(
            &[Step::Key("Resources")],
            "The Resources section is not a list.",
            format!("Write it as a list with one item: `- TargetService:` (or your resource's name) with Type {resource_type} below it."),
        ),
    }
    if let Some(hooks) = root.get("Hooks") {
        lint_resource_hooks(linter, hooks, platform);
    }
}

/// "ECS" or "Lambda".
fn platform_name(platform: LintPlatform) -> &'static str {
    if platform == LintPlatform::Ecs {
        "ECS"
    } else {
        "Lambda"
    }
}

/// "an ECS" or "a Lambda".
fn article_name(platform: LintPlatform) -> &'static str {
    if platform == LintPlatform::Ecs {
        "an ECS"
    } else {
        "a Lambda"
    }
}

/// One item of Resources: `<name>: {Type, Properties}`.
fn lint_resource(linter: &mut Linter<'_>, index: usize, resource: &Value, platform: LintPlatform) {
    let here = [Step::Key("Resources"), Step::Index(index)];
    let named = resource.as_mapping().filter(|mapping| mapping.len() == 1);
    let Some((name, body)) = named.and_then(|mapping| mapping.iter().next()) else {
        linter.error(
            &here,
            format!("Resource {} is not a single named resource.", index + 1),
            "Write it as `- TargetService:` (any name) with Type and Properties indented below it.",
        );
        return;
    };
    let name = shown(name);
    let base = [Step::Key("Resources"), Step::Index(index), Step::Key(&name)];
    let Value::Mapping(body) = body else {
        linter.error(
            &base,
            format!("The resource {name} has no Type and Properties."),
            "Indent `Type:` and `Properties:` below the resource's name.",
        );
        return;
    };
    let expected = if platform == LintPlatform::Ecs {
        "AWS::ECS::Service"
    } else {
        "AWS::Lambda::Function"
    };
    let with = |key: &'static str| {
        let mut path = base.to_vec();
        path.push(Step::Key(key));
        path
    };
    match body.get("Type").map(shown) {
        Some(kind) if kind == expected => {}
        Some(kind) => linter.error(
            &with("Type"),
            format!(
                "The resource {name} has Type {kind}, but {} deployment needs {expected}.",
                article_name(platform)
            ),
            format!("Write `Type: {expected}`."),
        ),
        None => linter.error(
            &base,
            format!("The resource {name} has no Type."),
            format!("Add `Type: {expected}`."),
        ),
    }
    let Some(Value::Mapping(properties)) = body.get("Properties") else {
        linter.error(
            &base,
            format!("The resource {name} has no Properties."),
            if platform == LintPlatform::Ecs {
                "Add Properties with TaskDefinition and LoadBalancerInfo (ContainerName, ContainerPort)."
            } else {
                "Add Properties with Name, Alias, CurrentVersion and TargetVersion."
            },
        );
        return;
    };
    let property = |key: &'static str| {
        let mut path = base.to_vec();
        path.push(Step::Key("Properties"));
        path.push(Step::Key(key));
        path
    };
    let properties_path = with("Properties");
    let text_of = |key: &str| {
        properties
            .get(key)
            .and_then(scalar_text)
            .filter(|text| !text.is_empty())
    };
    if platform == LintPlatform::Ecs {
        if text_of("TaskDefinition").is_none() {
            linter.error(
                &properties_path,
                format!("The resource {name} names no TaskDefinition."),
                "Add `TaskDefinition:` with the ARN of the task definition to deploy.",
            );
        }
        match properties.get("LoadBalancerInfo") {
            Some(Value::Mapping(info)) => {
                let info_path = property("LoadBalancerInfo");
                if info.get("ContainerName").and_then(scalar_text).is_none_or(|text| text.is_empty()) {
                    linter.error(
                        &info_path,
                        "LoadBalancerInfo names no ContainerName (the container that receives traffic, the target group's target).",
                        "Add `ContainerName:` with the container's name from the task definition.",
                    );
                }
                let port = info.get("ContainerPort").and_then(|port| match port {
                    Value::Number(number) => number.as_u64(),
                    Value::String(text) => text.trim().parse().ok(),
                    _ => None,
                });
                if !port.is_some_and(|port| (1..=65_535).contains(&port)) {
                    linter.error(
                        &info_path,
                        "LoadBalancerInfo has no ContainerPort from 1 to 65535.",
                        "Add `ContainerPort:` with the port the container listens on, such as 80.",
                    );
                }
            }
            _ => linter.error(
                &properties_path,
                format!("The resource {name} has no LoadBalancerInfo, so CodeDeploy cannot tell which container the target group sends traffic to."),
                "Add LoadBalancerInfo with ContainerName and ContainerPort.",
            ),
        }
    } else {
        for key in ["Name", "Alias", "CurrentVersion", "TargetVersion"] {
            if text_of(key).is_none() {
                linter.error(
                    &properties_path,
                    format!("The resource {name} has no {key}."),
                    match key {
                        "Name" => "Add `Name:` with the Lambda function's name.",
                        "Alias" => {
                            "Add `Alias:` with the alias whose traffic shifts, such as live."
                        }
                        "CurrentVersion" => {
                            "Add `CurrentVersion:` with the version the alias points to now."
                        }
                        _ => "Add `TargetVersion:` with the version to shift traffic to.",
                    },
                );
            }
        }
        if let (Some(current), Some(target)) = (text_of("CurrentVersion"), text_of("TargetVersion"))
            && current == target
        {
            linter.error(
                &property("TargetVersion"),
                format!("CurrentVersion and TargetVersion are both {current}, so no traffic would shift."),
                "Set TargetVersion to the newly published version.",
            );
        }
    }
}

/// The Hooks of an ECS or Lambda AppSpec: a list of `Event: function`.
fn lint_resource_hooks(linter: &mut Linter<'_>, hooks: &Value, platform: LintPlatform) {
    let valid = platform.hook_names();
    let Value::Sequence(hooks) = hooks else {
        if !hooks.is_null() {
            linter.error(
                &[Step::Key("Hooks")],
                "The Hooks section is not a list.",
                "Write each hook as a list item: `- BeforeAllowTraffic: <Lambda function name or ARN>`.",
            );
        }
        return;
    };
    for (index, hook) in hooks.iter().enumerate() {
        let here = [Step::Key("Hooks"), Step::Index(index)];
        let Some((name, function)) = hook
            .as_mapping()
            .filter(|mapping| mapping.len() == 1)
            .and_then(|mapping| mapping.iter().next())
        else {
            linter.error(
                &here,
                format!("Hook {} is not one event with its function.", index + 1),
                "Write it as `- BeforeAllowTraffic: <Lambda function name or ARN>`.",
            );
            continue;
        };
        let name = shown(name);
        if !valid.contains(&name.as_str()) {
            linter.error(
                &here,
                format!("{name} is not a hook of {}.", platform.label()),
                format!("Use one of: {}.", valid.join(", ")),
            );
        }
        if scalar_text(function).is_none_or(|function| function.is_empty()) {
            linter.error(
                &here,
                format!("The {name} hook names no Lambda function."),
                "Give the name or ARN of the Lambda function that validates this step.",
            );
        }
    }
}
