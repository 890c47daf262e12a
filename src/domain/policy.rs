//! IAM policy documents: the JSON grammar IAM accepts, a typed
//! [`PolicyDocument`] for building and reading them, and the question a
//! setup wizard asks of a role's trust policy, [`allows_service`].
//!
//! Two kinds of document share the grammar. Identity policies (managed and
//! inline) say which actions are allowed on which resources and name no
//! principal; trust policies (a role's `AssumeRolePolicyDocument`) say who
//! may assume the role and name no resource. [`parse`] checks a document
//! the way IAM does and explains what is wrong in words a person can act on.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The current policy language version.
pub const VERSION_2012: &str = "2012-10-17";
/// The older policy language version, still accepted.
pub const VERSION_2008: &str = "2008-10-17";
/// The action a trust policy must allow for a service to assume a role.
pub const ASSUME_ROLE: &str = "sts:AssumeRole";

/// Which kind of document is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A permissions policy: actions on resources, no principal.
    Identity,
    /// A role's trust policy: principals that may act, no resource.
    Trust,
}

/// Why a policy document is not one IAM would accept. The message is IAM's
/// own wording where it has one, followed by what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

fn malformed(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

/// One value or a list of them, as policy documents allow for actions,
/// resources and principals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single string.
    One(String),
    /// A list of strings.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a slice-like list.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::One(value) => vec![value.as_str()],
            Self::Many(values) => values.iter().map(String::as_str).collect(),
        }
    }
}

impl From<&str> for OneOrMany {
    fn from(value: &str) -> Self {
        Self::One(value.to_owned())
    }
}

/// Who a statement applies to: `"*"` (everyone) or principals by type
/// (`Service`, `AWS`, `Federated`, `CanonicalUser`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Principal {
    /// `"*"`: anyone.
    Anyone(String),
    /// Principals by type, e.g. `{"Service": "codedeploy.amazonaws.com"}`.
    ByType(BTreeMap<String, OneOrMany>),
}

impl Principal {
    /// The principal `{"Service": service}`.
    pub fn service(service: &str) -> Self {
        Self::ByType(BTreeMap::from([("Service".to_owned(), service.into())]))
    }

    /// Whether this principal names the service `service` (or anyone).
    pub fn includes_service(&self, service: &str) -> bool {
        match self {
            Self::Anyone(any) => any == "*",
            Self::ByType(types) => types.iter().any(|(kind, values)| {
                (kind == "Service" && values.values().contains(&service))
                    || (kind == "AWS" && values.values().contains(&"*"))
            }),
        }
    }
}

/// Whether a statement allows or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Allows what the statement names.
    Allow,
    /// Denies what the statement names, whatever else allows it.
    Deny,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// The statement's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow or deny.
    pub effect: Effect,
    /// Who it applies to (trust policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// Everyone but these (trust policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_principal: Option<Principal>,
    /// The actions it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<OneOrMany>,
    /// Every action but these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<OneOrMany>,
    /// The resources it covers (identity policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<OneOrMany>,
    /// Every resource but these (identity policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_resource: Option<OneOrMany>,
    /// When it applies: operator → key → value(s). Not evaluated here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<BTreeMap<String, BTreeMap<String, Value>>>,
}

impl Statement {
    /// Whether the statement's actions cover `action` (wildcards allowed,
    /// case-insensitive, as IAM matches actions).
    pub fn covers_action(&self, action: &str) -> bool {
        match (&self.action, &self.not_action) {
            (Some(actions), _) => actions
                .values()
                .iter()
                .any(|pattern| wildcard_match(pattern, action)),
            (None, Some(excluded)) => !excluded
                .values()
                .iter()
                .any(|pattern| wildcard_match(pattern, action)),
            (None, None) => false,
        }
    }

    /// Whether the statement applies to the service principal `service`.
    pub fn covers_service(&self, service: &str) -> bool {
        match (&self.principal, &self.not_principal) {
            (Some(principal), _) => principal.includes_service(service),
            (None, Some(excluded)) => !excluded.includes_service(service),
            (None, None) => false,
        }
    }
}

/// Statements as documents write them: one object or a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum Statements {
    /// `"Statement": {...}`.
    One(Box<Statement>),
    /// `"Statement": [...]`.
    Many(Vec<Statement>),
}

fn statements<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Statement>, D::Error> {
    Ok(match Statements::deserialize(deserializer)? {
        Statements::One(statement) => vec![*statement],
        Statements::Many(statements) => statements,
    })
}

/// A policy document. Reading accepts one statement or a list; writing
/// always writes a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// The policy language version, normally [`VERSION_2012`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The policy's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The statements.
    #[serde(deserialize_with = "statements")]
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    /// The trust policy that lets the service `service` (for example
    /// `codedeploy.amazonaws.com` or `ec2.amazonaws.com`) assume a role.
    pub fn trust_for_service(service: &str) -> Self {
        Self {
            version: Some(VERSION_2012.to_owned()),
            id: None,
            statement: vec![Statement {
                sid: None,
                effect: Effect::Allow,
                principal: Some(Principal::service(service)),
                not_principal: None,
                action: Some(ASSUME_ROLE.into()),
                not_action: None,
                resource: None,
                not_resource: None,
                condition: None,
            }],
        }
    }

    /// The document as pretty-printed JSON, ready to send to IAM.
    pub fn to_json(&self) -> String {
        // A document of strings and maps always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Whether the trust policy `document` lets the service principal
/// `service` assume the role: some statement allows `sts:AssumeRole` to it
/// and none denies it. Conditions are not evaluated: a conditional allow
/// counts as an allow, a conditional deny as a deny.
pub fn allows_service(document: &PolicyDocument, service: &str) -> bool {
    let applies = |statement: &&Statement| {
        statement.covers_service(service) && statement.covers_action(ASSUME_ROLE)
    };
    let mut applicable = document.statement.iter().filter(applies);
    let mut allowed = false;
    for statement in &mut applicable {
        match statement.effect {
            Effect::Deny => return false,
            Effect::Allow => allowed = true,
        }
    }
    allowed
}

/// The Auto Scaling actions CodeDeploy's service role needs for a
/// deployment group that names Auto Scaling groups: to install and remove
/// its launch hook, read the groups, and answer and keep alive the
/// lifecycle actions of the instances it deploys to.
pub const CODEDEPLOY_AUTOSCALING_ACTIONS: [&str; 6] = [
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeLifecycleHooks",
    "autoscaling:PutLifecycleHook",
    "autoscaling:DeleteLifecycleHook",
    "autoscaling:CompleteLifecycleAction",
    "autoscaling:RecordLifecycleActionHeartbeat",
];

/// What CodeDeploy's service role needs beyond the AWS managed policy to
/// copy an Auto Scaling group that launches from a launch template, as a
/// blue/green deployment with `COPY_AUTO_SCALING_GROUP` does: launch and
/// tag the instances, and pass their instance profile's role.
pub const LAUNCH_TEMPLATE_ACTIONS: [&str; 3] =
    ["ec2:RunInstances", "ec2:CreateTags", "iam:PassRole"];

/// Whether identity policies `policies` allow `action` on some resource:
/// some statement allows it and none denies it. Resources and conditions
/// are not evaluated: a conditional or resource-bound allow counts as an
/// allow, and likewise a deny.
pub fn allows_action(policies: &[PolicyDocument], action: &str) -> bool {
    let mut allowed = false;
    for statement in policies
        .iter()
        .flat_map(|policy| &policy.statement)
        .filter(|statement| statement.covers_action(action))
    {
        match statement.effect {
            Effect::Deny => return false,
            Effect::Allow => allowed = true,
        }
    }
    allowed
}

/// The actions of `actions` that `policies` do not allow (see
/// [`allows_action`]).
pub fn missing_actions<'a>(policies: &[PolicyDocument], actions: &[&'a str]) -> Vec<&'a str> {
    actions
        .iter()
        .copied()
        .filter(|action| !allows_action(policies, action))
        .collect()
}

/// Matches `text` against `pattern` with `*` (any run) and `?` (any one
/// character), ignoring ASCII case.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let text: Vec<char> = text.to_ascii_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// The members a document may have.
const DOCUMENT_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
/// The members a statement may have.
const STATEMENT_KEYS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
/// The principal types IAM knows.
const PRINCIPAL_TYPES: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

/// Checks `text` as a policy document of `kind`, as IAM does, and returns
/// it typed. Errors carry IAM's `MalformedPolicyDocument` message.
pub fn parse(text: &str, kind: PolicyKind) -> Result<PolicyDocument, PolicyError> {
    let value: Value = serde_json::from_str(text).map_err(|error| {
        malformed(format!(
            "This policy contains invalid Json: {error}. Check the quotes, commas and brackets of the document."
        ))
    })?;
    let Value::Object(document) = &value else {
        return Err(malformed(
            "Syntax errors in policy: the document must be a JSON object with Version and Statement.",
        ));
    };
    if let Some(key) = document
        .keys()
        .find(|key| !DOCUMENT_KEYS.contains(&key.as_str()))
    {
        return Err(malformed(format!(
            "Syntax errors in policy: unknown field {key}; a policy has Version, Id and Statement."
        )));
    }
    match document.get("Version") {
        None => {}
        Some(Value::String(version)) if version == VERSION_2012 || version == VERSION_2008 => {}
        Some(other) => {
            return Err(malformed(format!(
                "The policy failed legacy parsing: Version {other} is not a policy language version; use \"{VERSION_2012}\"."
            )));
        }
    }
    if document.get("Id").is_some_and(|id| !id.is_string()) {
        return Err(malformed("Syntax errors in policy: Id must be a string."));
    }
    let statements: Vec<&Value> = match document.get("Statement") {
        None => return Err(malformed("Missing required field Statement")),
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        Some(_) => {
            return Err(malformed(
                "Syntax errors in policy: Statement must be an object or a list of objects.",
            ));
        }
    };
    if statements.is_empty() {
        return Err(malformed(
            "Missing required field Statement: the list of statements is empty.",
        ));
    }
    let mut sids = BTreeSet::new();
    for statement in statements {
        let Value::Object(statement) = statement else {
            return Err(malformed(
                "Syntax errors in policy: each statement must be a JSON object.",
            ));
        };
        check_statement(statement, kind)?;
        if let Some(Value::String(sid)) = statement.get("Sid")
            && !sids.insert(sid.clone())
        {
            return Err(malformed(format!(
                "Statement IDs (SID) in a single policy must be unique: {sid} is used twice."
            )));
        }
    }
    serde_json::from_value(value)
        .map_err(|error| malformed(format!("Syntax errors in policy: {error}.")))
}

/// Checks one statement of a document of `kind`.
fn check_statement(statement: &Map<String, Value>, kind: PolicyKind) -> Result<(), PolicyError> {
    if let Some(key) = statement
        .keys()
        .find(|key| !STATEMENT_KEYS.contains(&key.as_str()))
    {
        return Err(malformed(format!(
            "Syntax errors in policy: unknown field {key} in a statement."
        )));
    }
    match statement.get("Sid") {
        None => {}
        Some(Value::String(sid))
            if kind == PolicyKind::Trust || sid.chars().all(|c| c.is_ascii_alphanumeric()) => {}
        Some(Value::String(sid)) => {
            return Err(malformed(format!(
                "Statement IDs (SID) must be alpha-numeric: \"{sid}\" has other characters."
            )));
        }
        Some(_) => return Err(malformed("Syntax errors in policy: Sid must be a string.")),
    }
    match statement.get("Effect") {
        None => return Err(malformed("Missing required field Effect")),
        Some(Value::String(effect)) if effect == "Allow" || effect == "Deny" => {}
        Some(other) => {
            return Err(malformed(format!(
                "Invalid effect: {other}; Effect must be \"Allow\" or \"Deny\"."
            )));
        }
    }
    let actions = one_of(statement, "Action", "NotAction")?;
    for action in actions {
        check_action(action)?;
    }
    let has_principal =
        statement.contains_key("Principal") || statement.contains_key("NotPrincipal");
    let has_resource = statement.contains_key("Resource") || statement.contains_key("NotResource");
    match kind {
        PolicyKind::Identity => {
            if has_principal {
                return Err(malformed(
                    "Policy document should not specify a principal: permissions policies apply to whoever they are attached to.",
                ));
            }
            let resources = one_of(statement, "Resource", "NotResource")?;
            for resource in resources {
                check_resource(resource)?;
            }
        }
        PolicyKind::Trust => {
            if has_resource {
                return Err(malformed(
                    "Has prohibited field Resource: a trust policy names who may assume the role, not resources.",
                ));
            }
            match (statement.get("Principal"), statement.get("NotPrincipal")) {
                (None, None) => return Err(malformed("Missing required field Principal")),
                (Some(_), Some(_)) => {
                    return Err(malformed(
                        "Syntax errors in policy: give Principal or NotPrincipal, not both.",
                    ));
                }
                (Some(principal), None) | (None, Some(principal)) => check_principal(principal)?,
            }
        }
    }
    if let Some(condition) = statement.get("Condition") {
        check_condition(condition)?;
    }
    Ok(())
}

/// The strings of exactly one of the members `name` and `not_name`.
fn one_of<'a>(
    statement: &'a Map<String, Value>,
    name: &str,
    not_name: &str,
) -> Result<Vec<&'a str>, PolicyError> {
    let value = match (statement.get(name), statement.get(not_name)) {
        (None, None) => {
            return Err(malformed(format!(
                "Policy statement must contain {}",
                if name == "Action" {
                    "actions."
                } else {
                    "resources."
                }
            )));
        }
        (Some(_), Some(_)) => {
            return Err(malformed(format!(
                "Syntax errors in policy: a statement has {name} or {not_name}, not both."
            )));
        }
        (Some(value), None) => (name, value),
        (None, Some(value)) => (not_name, value),
    };
    strings(value.0, value.1)
}

/// The strings of a member that is a string or a non-empty list of them.
fn strings<'a>(name: &str, value: &'a Value) -> Result<Vec<&'a str>, PolicyError> {
    match value {
        Value::String(one) => Ok(vec![one.as_str()]),
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(|item| {
                item.as_str().ok_or_else(|| {
                    malformed(format!(
                        "Syntax errors in policy: every {name} must be a string."
                    ))
                })
            })
            .collect(),
        _ => Err(malformed(format!(
            "Syntax errors in policy: {name} must be a string or a non-empty list of strings."
        ))),
    }
}

/// Checks an action: `*` or `vendor:Action` with wildcards.
fn check_action(action: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    let Some((vendor, name)) = action.split_once(':') else {
        return Err(malformed(format!(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.: write \"{action}\" as service:Action, for example s3:GetObject."
        )));
    };
    let vendor_ok = !vendor.is_empty()
        && vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '?' | '-' | '_'));
    if vendor_ok && name_ok {
        Ok(())
    } else {
        Err(malformed(format!(
            "Action vendors must not contain special characters: \"{action}\" is not an action such as s3:GetObject."
        )))
    }
}

/// Checks a resource: `*` or an ARN.
fn check_resource(resource: &str) -> Result<(), PolicyError> {
    if resource == "*" || (resource.starts_with("arn:") && resource.split(':').count() >= 6) {
        Ok(())
    } else {
        Err(malformed(format!(
            "Resource {resource} must be in ARN format or \"*\"."
        )))
    }
}

/// Checks a principal: `"*"` or an object of known principal types.
fn check_principal(principal: &Value) -> Result<(), PolicyError> {
    match principal {
        Value::String(any) if any == "*" => Ok(()),
        Value::Object(types) if !types.is_empty() => {
            for (kind, value) in types {
                if !PRINCIPAL_TYPES.contains(&kind.as_str()) {
                    return Err(malformed(format!(
                        "Invalid principal in policy: unknown principal type {kind}; use AWS, Service, Federated or CanonicalUser."
                    )));
                }
                for name in strings(kind, value)? {
                    if name.is_empty() {
                        return Err(malformed(
                            "Invalid principal in policy: a principal name is empty.",
                        ));
                    }
                }
            }
            Ok(())
        }
        _ => Err(malformed(
            "Invalid principal in policy: give \"*\" or an object such as {\"Service\": \"codedeploy.amazonaws.com\"}.",
        )),
    }
}

/// Checks a condition block: operator → key → string, number, boolean or
/// a list of them.
fn check_condition(condition: &Value) -> Result<(), PolicyError> {
    let Value::Object(operators) = condition else {
        return Err(malformed(
            "Syntax errors in policy: Condition must be an object of operators.",
        ));
    };
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(malformed(format!(
                "Syntax errors in policy: the condition {operator} must map keys to values."
            )));
        };
        for (key, value) in keys {
            let scalar = |value: &Value| {
                matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
            };
            let ok = match value {
                Value::Array(list) => list.iter().all(scalar),
                other => scalar(other),
            };
            if !ok {
                return Err(malformed(format!(
                    "Syntax errors in policy: the condition {operator} on {key} must be a string, number, boolean or a list of them."
                )));
            }
        }
    }
    Ok(())
}

/// The IAM action that allows `operation` of `service` (a service prefix as
/// IAM writes it: `codedeploy`, `ec2`, `iam`, `s3`, `sts`), such as
/// `codedeploy:CreateDeployment`. Both Elastic Load Balancing APIs, which
/// the local cloud names `elbv2` and `elb`, share the prefix
/// `elasticloadbalancing`.
///
/// Most operations are allowed by the action of the same name. S3 is the
/// exception: several of its operations are allowed by another action
/// (`HeadObject` by `s3:GetObject`, `ListObjectsV2` by `s3:ListBucket`, the
/// parts of a multipart upload by `s3:PutObject`).
pub fn iam_action(service: &str, operation: &str) -> String {
    let operation = if service == "s3" {
        match operation {
            "HeadObject" => "GetObject",
            "HeadBucket" | "ListObjectsV2" | "ListObjects" => "ListBucket",
            "CreateMultipartUpload"
            | "UploadPart"
            | "UploadPartCopy"
            | "CompleteMultipartUpload"
            | "CopyObject" => "PutObject",
            "ListParts" => "ListMultipartUploadParts",
            "ListMultipartUploads" => "ListBucketMultipartUploads",
            "DeleteObjects" => "DeleteObject",
            other => other,
        }
    } else {
        operation
    };
    let service = match service {
        "elbv2" | "elb" => "elasticloadbalancing",
        other => other,
    };
    format!("{service}:{operation}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(text: &str) -> PolicyDocument {
        parse(text, PolicyKind::Identity).unwrap()
    }

    #[test]
    fn a_role_needs_every_auto_scaling_action_codedeploy_uses_and_a_deny_wins() {
        let everything = identity(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "autoscaling:*", "Resource": "*"}]}"#,
        );
        let allowed = missing_actions(
            std::slice::from_ref(&everything),
            &CODEDEPLOY_AUTOSCALING_ACTIONS,
        );
        assert!(allowed.is_empty());
        let some = identity(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["autoscaling:Describe*", "autoscaling:PutLifecycleHook"], "Resource": "*"}]}"#,
        );
        assert_eq!(
            missing_actions(&[some], &CODEDEPLOY_AUTOSCALING_ACTIONS),
            [
                "autoscaling:DeleteLifecycleHook",
                "autoscaling:CompleteLifecycleAction",
                "autoscaling:RecordLifecycleActionHeartbeat",
            ]
        );
        let deny = identity(
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "autoscaling:PutLifecycleHook", "Resource": "*"}]}"#,
        );
        assert_eq!(
            missing_actions(&[everything, deny], &CODEDEPLOY_AUTOSCALING_ACTIONS),
            ["autoscaling:PutLifecycleHook"]
        );
        assert!(!allows_action(&[], "autoscaling:PutLifecycleHook"));
    }

    const CODEDEPLOY_TRUST: &str = r#"{
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "",
            "Effect": "Allow",
            "Principal": {"Service": ["codedeploy.amazonaws.com"]},
            "Action": "sts:AssumeRole"
        }]
    }"#;

    #[test]
    fn the_codedeploy_trust_policy_lets_codedeploy_assume_the_role() {
        let document = parse(CODEDEPLOY_TRUST, PolicyKind::Trust).unwrap();
        assert!(allows_service(&document, "codedeploy.amazonaws.com"));
        assert!(!allows_service(&document, "ec2.amazonaws.com"));
    }

    #[test]
    fn a_built_trust_policy_round_trips_and_reads_as_a_single_statement_too() {
        let built = PolicyDocument::trust_for_service("ec2.amazonaws.com");
        let parsed = parse(&built.to_json(), PolicyKind::Trust).unwrap();
        assert_eq!(parsed, built);
        assert!(allows_service(&parsed, "ec2.amazonaws.com"));
        let single = r#"{"Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}}"#;
        let parsed = parse(single, PolicyKind::Trust).unwrap();
        assert_eq!(parsed.statement.len(), 1);
        assert!(allows_service(&parsed, "ec2.amazonaws.com"));
    }

    #[test]
    fn a_deny_or_a_different_action_does_not_let_the_service_in() {
        let denied = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:Assume*"}
        ]}"#;
        let document = parse(denied, PolicyKind::Trust).unwrap();
        assert!(!allows_service(&document, "codedeploy.amazonaws.com"));
        assert!(allows_service(&document, "lambda.amazonaws.com"));
        let tagging = r#"{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:TagSession"}
        ]}"#;
        let document = parse(tagging, PolicyKind::Trust).unwrap();
        assert!(!allows_service(&document, "codedeploy.amazonaws.com"));
    }

    #[test]
    fn an_identity_policy_with_conditions_and_not_resource_is_accepted() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadBundles", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "arn:aws:s3:::bundles/*"},
            {"Effect": "Deny", "NotAction": "s3:*", "NotResource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": false}, "StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}
        ]}"#;
        let document = parse(text, PolicyKind::Identity).unwrap();
        assert_eq!(document.statement.len(), 2);
        assert!(document.statement[0].covers_action("S3:GetObject"));
        assert!(!document.statement[0].covers_action("s3:PutObject"));
        assert!(document.statement[1].covers_action("ec2:RunInstances"));
    }

    fn error_of(text: &str, kind: PolicyKind) -> String {
        parse(text, kind).unwrap_err().0
    }

    #[test]
    fn broken_documents_are_explained() {
        let identity = PolicyKind::Identity;
        assert!(error_of("{not json", identity).contains("invalid Json"));
        assert!(error_of("[]", identity).contains("Syntax errors"));
        assert!(error_of(r#"{"Version": "2012-10-17"}"#, identity).contains("Statement"));
        assert!(
            error_of(r#"{"Version": "2020-01-01", "Statement": []}"#, identity)
                .contains("legacy parsing")
        );
        assert!(
            error_of(
                r#"{"Statement": [{"Action": "s3:*", "Resource": "*"}]}"#,
                identity
            )
            .contains("Effect")
        );
        assert!(
            error_of(
                r#"{"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}"#,
                identity
            )
            .contains("Invalid effect")
        );
        assert!(
            error_of(
                r#"{"Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}"#,
                identity
            )
            .contains("vendor")
        );
        assert!(
            error_of(
                r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}"#,
                identity
            )
            .contains("resources")
        );
        assert!(
            error_of(
                r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}"#,
                identity
            )
            .contains("ARN")
        );
        assert!(
            error_of(r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#, identity)
                .contains("principal")
        );
        assert!(
            error_of(r#"{"Statement": [{"Sid": "a b", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}"#, identity)
                .contains("alpha-numeric")
        );
        assert!(
            error_of(r#"{"Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#, identity)
                .contains("unique")
        );
        assert!(
            error_of(r#"{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Extra": 1}]}"#, identity)
                .contains("Extra")
        );
    }

    #[test]
    fn trust_policies_need_a_principal_and_no_resource() {
        let trust = PolicyKind::Trust;
        assert!(
            error_of(
                r#"{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}"#,
                trust
            )
            .contains("Principal")
        );
        assert!(
            error_of(r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}]}"#, trust)
                .contains("prohibited field Resource")
        );
        assert!(
            error_of(r#"{"Statement": [{"Effect": "Allow", "Principal": {"Robot": "x"}, "Action": "sts:AssumeRole"}]}"#, trust)
                .contains("principal type")
        );
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("sts:*", "sts:AssumeRole"));
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("sts:Assume?ole", "STS:ASSUMEROLE"));
        assert!(wildcard_match("s3:*Object*", "s3:GetObjectVersion"));
        assert!(!wildcard_match("s3:Get*", "s3:PutObject"));
        assert!(!wildcard_match("sts:AssumeRole", "sts:AssumeRoleWithSAML"));
    }

    #[test]
    fn iam_actions_follow_operation_names_except_where_s3_differs() {
        assert_eq!(
            iam_action("codedeploy", "CreateDeployment"),
            "codedeploy:CreateDeployment"
        );
        assert_eq!(
            iam_action("ec2", "DescribeInstances"),
            "ec2:DescribeInstances"
        );
        assert_eq!(iam_action("s3", "PutObject"), "s3:PutObject");
        assert_eq!(iam_action("s3", "HeadObject"), "s3:GetObject");
        assert_eq!(iam_action("s3", "ListObjectsV2"), "s3:ListBucket");
        assert_eq!(iam_action("s3", "UploadPart"), "s3:PutObject");
        assert_eq!(iam_action("s3", "ListParts"), "s3:ListMultipartUploadParts");
    }

    #[test]
    fn both_load_balancing_apis_share_one_iam_prefix() {
        assert_eq!(
            iam_action("elbv2", "RegisterTargets"),
            "elasticloadbalancing:RegisterTargets"
        );
        assert_eq!(
            iam_action("elb", "DescribeInstanceHealth"),
            "elasticloadbalancing:DescribeInstanceHealth"
        );
    }
}
