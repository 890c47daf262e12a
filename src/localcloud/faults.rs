//! Fault injection: throttling, internal errors and added latency, per
//! service or per operation, so that clients (the GUI's watcher, a user's
//! scripts, tests) meet the failures AWS can give.
//!
//! A fault spec is a list of rules separated by `;`. Each rule is
//! `TARGET=EFFECT,EFFECT,...`:
//!
//! - `TARGET` is a service (`codedeploy`, `ec2`, `iam`, `s3`) or a service
//!   and an operation, `codedeploy:GetDeployment`.
//! - `EFFECT` is `throttle:RATE` (the request is refused as throttled),
//!   `error:RATE` (it fails with an internal error, HTTP 500) or
//!   `latency:DURATION` (the answer is delayed), or `deny` (the request is
//!   refused as IAM refuses an action the caller has no permission for,
//!   naming the action). A rate is a fraction from 0 to 1; a duration has a
//!   unit, `ms` or `s` (`200ms`, `1.5s`).
//!
//! An operation's rule takes each effect it names from itself and every
//! other effect from its service's rule. For example
//! `codedeploy:BatchGetDeploymentTargets=throttle:0.3,latency:200ms;codedeploy=error:0.05`
//! throttles 30% of `BatchGetDeploymentTargets` calls and delays each by
//! 200 ms, and fails 5% of every CodeDeploy call, that one included.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The services a fault rule may name.
pub const SERVICES: [&str; 12] = [
    "codedeploy",
    "ec2",
    "elb",
    "elbv2",
    "iam",
    "s3",
    "autoscaling",
    "cloudwatch",
    "sns",
    "ssm",
    "lambda",
    "ecs",
];

/// The longest latency a rule may add.
pub const MAX_LATENCY: Duration = Duration::from_mins(10);

/// Why a fault spec was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultSpecError {
    /// A rule without `=`.
    #[error(
        "The fault rule \"{0}\" has no \"=\"; write TARGET=EFFECT,..., e.g. codedeploy:GetDeployment=throttle:0.3."
    )]
    MissingEquals(String),
    /// A service that the local cloud does not know.
    #[error(
        "\"{0}\" is not a service of the local cloud; use one of {services}.",
        services = SERVICES.join(", ")
    )]
    UnknownService(String),
    /// An empty operation name after `service:`.
    #[error(
        "The fault target \"{0}\" names no operation after the colon; write service:Operation, e.g. codedeploy:GetDeployment."
    )]
    EmptyOperation(String),
    /// An operation name with characters no operation has.
    #[error(
        "\"{0}\" is not an operation name; operation names are letters and digits, e.g. GetDeployment."
    )]
    BadOperation(String),
    /// A rule with no effects.
    #[error(
        "The fault rule for \"{0}\" lists no effects; add throttle:RATE, error:RATE, latency:DURATION or deny."
    )]
    NoEffects(String),
    /// An effect that is not one of the three.
    #[error(
        "\"{0}\" is not a fault effect; use throttle:RATE, error:RATE, latency:DURATION or deny."
    )]
    UnknownEffect(String),
    /// A rate that is not a number from 0 to 1.
    #[error("The rate in \"{0}\" must be a number from 0 to 1, such as 0.25.")]
    BadRate(String),
    /// A duration that cannot be read.
    #[error(
        "The duration in \"{0}\" must be a number with a unit, ms or s (such as 200ms or 1.5s), of at most 10 minutes."
    )]
    BadDuration(String),
    /// The same target twice, or the same effect twice in a rule.
    #[error("\"{0}\" is given twice; give each target once and each effect once per target.")]
    Duplicate(String),
}

/// The faults that apply to one request, or that one rule sets. `None`
/// means not set.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// The share of requests refused as throttled, 0–1.
    pub throttle: Option<f64>,
    /// The share of requests that fail with an internal error, 0–1.
    pub error: Option<f64>,
    /// Delay added before the answer.
    pub latency: Option<Duration>,
    /// Whether the caller is refused the action, as IAM refuses it.
    pub deny: Option<bool>,
}

impl Faults {
    /// These faults, with each effect not set here taken from `fallback`.
    #[must_use]
    pub fn or(self, fallback: Faults) -> Faults {
        Faults {
            throttle: self.throttle.or(fallback.throttle),
            error: self.error.or(fallback.error),
            latency: self.latency.or(fallback.latency),
            deny: self.deny.or(fallback.deny),
        }
    }

    /// Whether no effect is set.
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}

/// What a fault rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Target {
    service: String,
    operation: Option<String>,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(operation) => write!(f, "{}:{operation}", self.service),
            None => f.write_str(&self.service),
        }
    }
}

/// A parsed fault spec; the default injects nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultSpec {
    rules: BTreeMap<Target, Faults>,
}

impl FaultSpec {
    /// Parses a spec such as `codedeploy:GetDeployment=throttle:0.3;ec2=latency:50ms`.
    /// An empty spec injects nothing.
    pub fn parse(spec: &str) -> Result<Self, FaultSpecError> {
        let mut rules = BTreeMap::new();
        for rule in spec
            .split(';')
            .map(str::trim)
            .filter(|rule| !rule.is_empty())
        {
            let (target, effects) = rule
                .split_once('=')
                .ok_or_else(|| FaultSpecError::MissingEquals(rule.to_owned()))?;
            let target = parse_target(target.trim())?;
            let faults = parse_effects(&target, effects)?;
            if rules.insert(target.clone(), faults).is_some() {
                return Err(FaultSpecError::Duplicate(target.to_string()));
            }
        }
        Ok(Self { rules })
    }

    /// Whether the spec injects nothing at all.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The faults for `operation` of `service` (a service name as in
    /// [`SERVICES`]).
    pub fn for_operation(&self, service: &str, operation: &str) -> Faults {
        if self.rules.is_empty() {
            return Faults::default();
        }
        let service_rule = self
            .rules
            .get(&Target {
                service: service.to_owned(),
                operation: None,
            })
            .copied()
            .unwrap_or_default();
        self.rules
            .get(&Target {
                service: service.to_owned(),
                operation: Some(operation.to_owned()),
            })
            .copied()
            .unwrap_or_default()
            .or(service_rule)
    }
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        Self::parse(spec)
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first_rule = true;
        for (target, faults) in &self.rules {
            if !first_rule {
                f.write_str(";")?;
            }
            first_rule = false;
            write!(f, "{target}=")?;
            let mut effects = Vec::new();
            if let Some(rate) = faults.throttle {
                effects.push(format!("throttle:{rate}"));
            }
            if let Some(rate) = faults.error {
                effects.push(format!("error:{rate}"));
            }
            if let Some(latency) = faults.latency {
                effects.push(format!("latency:{}ms", latency.as_millis()));
            }
            if faults.deny == Some(true) {
                effects.push("deny".to_owned());
            }
            f.write_str(&effects.join(","))?;
        }
        Ok(())
    }
}

/// Reads `service` or `service:Operation`.
fn parse_target(text: &str) -> Result<Target, FaultSpecError> {
    let (service, operation) = match text.split_once(':') {
        Some((service, operation)) => (service.trim(), Some(operation.trim())),
        None => (text, None),
    };
    let service = service.to_ascii_lowercase();
    if !SERVICES.contains(&service.as_str()) {
        return Err(FaultSpecError::UnknownService(service));
    }
    let operation = match operation {
        None => None,
        Some("") => return Err(FaultSpecError::EmptyOperation(text.to_owned())),
        Some(operation) if !operation.chars().all(|c| c.is_ascii_alphanumeric()) => {
            return Err(FaultSpecError::BadOperation(operation.to_owned()));
        }
        Some(operation) => Some(operation.to_owned()),
    };
    Ok(Target { service, operation })
}

/// Reads `EFFECT,EFFECT,...` for `target`.
fn parse_effects(target: &Target, effects: &str) -> Result<Faults, FaultSpecError> {
    let mut faults = Faults::default();
    for effect in effects.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (kind, value) = effect
            .split_once(':')
            .map_or((effect, ""), |(kind, value)| (kind.trim(), value.trim()));
        let duplicate = || FaultSpecError::Duplicate(format!("{target}: {kind}"));
        match kind {
            "throttle" => {
                if faults
                    .throttle
                    .replace(parse_rate(effect, value)?)
                    .is_some()
                {
                    return Err(duplicate());
                }
            }
            "error" => {
                if faults.error.replace(parse_rate(effect, value)?).is_some() {
                    return Err(duplicate());
                }
            }
            "latency" => {
                if faults
                    .latency
                    .replace(parse_duration(effect, value)?)
                    .is_some()
                {
                    return Err(duplicate());
                }
            }
            "deny" if value.is_empty() => {
                if faults.deny.replace(true).is_some() {
                    return Err(duplicate());
                }
            }
            _ => return Err(FaultSpecError::UnknownEffect(effect.to_owned())),
        }
    }
    if faults.is_none() {
        return Err(FaultSpecError::NoEffects(target.to_string()));
    }
    Ok(faults)
}

/// Reads a rate from 0 to 1.
fn parse_rate(effect: &str, value: &str) -> Result<f64, FaultSpecError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| FaultSpecError::BadRate(effect.to_owned()))
}

/// Reads a duration such as `200ms` or `1.5s`.
fn parse_duration(effect: &str, value: &str) -> Result<Duration, FaultSpecError> {
    let bad = || FaultSpecError::BadDuration(effect.to_owned());
    let (number, scale) = if let Some(number) = value.strip_suffix("ms") {
        (number, 0.001)
    } else if let Some(number) = value.strip_suffix('s') {
        (number, 1.0)
    } else {
        return Err(bad());
    };
    let seconds = number.trim().parse::<f64>().map_err(|_| bad())? * scale;
    if !seconds.is_finite() || seconds < 0.0 || seconds > MAX_LATENCY.as_secs_f64() {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_rules_fall_back_to_their_service_rule() {
        let spec = FaultSpec::parse(
            "codedeploy:BatchGetDeploymentTargets=throttle:0.3,latency:200ms;codedeploy=error:0.05",
        )
        .unwrap();
        assert_eq!(
            spec.for_operation("codedeploy", "BatchGetDeploymentTargets"),
            Faults {
                throttle: Some(0.3),
                error: Some(0.05),
                latency: Some(Duration::from_millis(200)),
                deny: None,
            }
        );
        assert_eq!(
            spec.for_operation("codedeploy", "GetDeployment"),
            Faults {
                error: Some(0.05),
                ..Faults::default()
            }
        );
        assert!(spec.for_operation("ec2", "DescribeInstances").is_none());
    }

    #[test]
    fn durations_take_milliseconds_or_seconds() {
        let spec = FaultSpec::parse("ec2=latency:1.5s; s3 = latency:20ms").unwrap();
        assert_eq!(
            spec.for_operation("ec2", "RunInstances").latency,
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            spec.for_operation("s3", "GET").latency,
            Some(Duration::from_millis(20))
        );
        assert!(FaultSpec::parse("").unwrap().is_empty());
    }

    #[test]
    fn bad_specs_say_what_to_write() {
        let cases = [
            ("codedeploy", "has no \"=\""),
            ("kinesis=throttle:0.1", "not a service"),
            ("codedeploy:=throttle:0.1", "names no operation"),
            (
                "codedeploy:Get-Deployment=throttle:0.1",
                "not an operation name",
            ),
            ("codedeploy=", "lists no effects"),
            ("codedeploy=explode:1", "not a fault effect"),
            ("codedeploy=throttle:1.5", "from 0 to 1"),
            ("codedeploy=throttle:lots", "from 0 to 1"),
            ("codedeploy=latency:200", "with a unit"),
            ("codedeploy=latency:-5ms", "with a unit"),
            ("codedeploy=latency:11000s", "at most 10 minutes"),
            ("codedeploy=error:0.1;codedeploy=error:0.2", "given twice"),
            ("codedeploy=error:0.1,error:0.2", "given twice"),
        ];
        for (spec, expected) in cases {
            let error = FaultSpec::parse(spec).unwrap_err().to_string();
            assert!(error.contains(expected), "{spec}: {error}");
        }
    }

    #[test]
    fn deny_is_an_effect_without_a_value() {
        let spec = FaultSpec::parse("iam:AttachRolePolicy=deny;codedeploy=latency:5ms").unwrap();
        assert_eq!(
            spec.for_operation("iam", "AttachRolePolicy").deny,
            Some(true)
        );
        assert_eq!(spec.for_operation("iam", "CreateRole").deny, None);
        assert_eq!(
            spec.to_string(),
            "codedeploy=latency:5ms;iam:AttachRolePolicy=deny"
        );
        assert!(
            FaultSpec::parse("iam=deny:0.5")
                .unwrap_err()
                .to_string()
                .contains("not a fault effect")
        );
    }

    #[test]
    fn a_spec_prints_back_as_it_parses() {
        let spec = FaultSpec::parse("codedeploy:GetDeployment=throttle:0.5,latency:30ms").unwrap();
        assert_eq!(
            spec.to_string(),
            "codedeploy:GetDeployment=throttle:0.5,latency:30ms"
        );
        assert_eq!(FaultSpec::parse(&spec.to_string()).unwrap(), spec);
    }
}
