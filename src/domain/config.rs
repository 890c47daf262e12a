//! Deployment configurations for the EC2/on-premises compute platform.
//!
//! A deployment configuration says how many instances must stay healthy while
//! a deployment runs. CodeDeploy ships three predefined ones and lets users
//! create their own with a minimum given as a host count or a fleet percentage.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The name of the predefined one-at-a-time configuration.
pub const ONE_AT_A_TIME: &str = "CodeDeployDefault.OneAtATime";
/// The name of the predefined half-at-a-time configuration.
pub const HALF_AT_A_TIME: &str = "CodeDeployDefault.HalfAtATime";
/// The name of the predefined all-at-once configuration.
pub const ALL_AT_ONCE: &str = "CodeDeployDefault.AllAtOnce";

/// The names of the predefined EC2/on-premises configurations, in the order a
/// person would meet them.
pub const PREDEFINED_SERVER_CONFIGS: [&str; 3] = [ONE_AT_A_TIME, HALF_AT_A_TIME, ALL_AT_ONCE];

/// The largest `FLEET_PERCENT` CodeDeploy accepts.
pub const MAX_FLEET_PERCENT: i64 = 99;

/// Why a minimum-healthy-hosts value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A host count below zero.
    #[error("The minimum number of healthy hosts cannot be negative (got {0}); use 0 or more.")]
    NegativeHostCount(i64),
    /// A percentage outside 0–99.
    #[error(
        "A fleet percentage must be between 0 and 99 (got {0}); 100% would leave no instance free to deploy to."
    )]
    PercentOutOfRange(i64),
    /// A type name that is neither `HOST_COUNT` nor `FLEET_PERCENT`.
    #[error("Unknown minimum healthy hosts type \"{0}\"; use HOST_COUNT or FLEET_PERCENT.")]
    UnknownType(String),
    /// A name that is not one of the predefined configurations.
    #[error("\"{0}\" is not a predefined deployment configuration.")]
    UnknownPredefined(String),
}

/// How many instances must stay healthy during a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MinimumHealthyHosts {
    /// An absolute number of instances (`HOST_COUNT`).
    HostCount(u32),
    /// A percentage of the deployment's instances, 0–99, rounded up to a whole
    /// instance when the deployment starts (`FLEET_PERCENT`).
    FleetPercent(u8),
    /// Deploy to one instance at a time and keep all but one healthy
    /// (`MOST_CONCURRENCY` with value 1). Only `CodeDeployDefault.OneAtATime`
    /// uses it; custom configurations cannot.
    OneAtATime,
}

impl MinimumHealthyHosts {
    /// Builds a host-count minimum, refusing negative counts.
    pub fn host_count(value: i64) -> Result<Self, ConfigError> {
        u32::try_from(value)
            .map(Self::HostCount)
            .map_err(|_| ConfigError::NegativeHostCount(value))
    }

    /// Builds a fleet-percent minimum, refusing values outside 0–99.
    pub fn fleet_percent(value: i64) -> Result<Self, ConfigError> {
        if (0..=MAX_FLEET_PERCENT).contains(&value) {
            Ok(Self::FleetPercent(value as u8))
        } else {
            Err(ConfigError::PercentOutOfRange(value))
        }
    }

    /// Builds a minimum from the API's `type` and `value` members, as a custom
    /// configuration would be created.
    pub fn from_api(kind: &str, value: i64) -> Result<Self, ConfigError> {
        match kind {
            "HOST_COUNT" => Self::host_count(value),
            "FLEET_PERCENT" => Self::fleet_percent(value),
            other => Err(ConfigError::UnknownType(other.to_owned())),
        }
    }

    /// Reads a minimum as `GetDeploymentConfig` describes an existing
    /// configuration: like [`MinimumHealthyHosts::from_api`], and
    /// `MOST_CONCURRENCY` (which only the predefined
    /// `CodeDeployDefault.OneAtATime` has) as one at a time.
    pub fn from_described(kind: &str, value: i64) -> Result<Self, ConfigError> {
        if kind == Self::OneAtATime.api_type() {
            return Ok(Self::OneAtATime);
        }
        Self::from_api(kind, value)
    }

    /// The API's `type` member for this minimum.
    pub fn api_type(self) -> &'static str {
        match self {
            Self::HostCount(_) => "HOST_COUNT",
            Self::FleetPercent(_) => "FLEET_PERCENT",
            Self::OneAtATime => "MOST_CONCURRENCY",
        }
    }

    /// The API's `value` member for this minimum.
    pub fn api_value(self) -> i64 {
        match self {
            Self::HostCount(count) => i64::from(count),
            Self::FleetPercent(percent) => i64::from(percent),
            Self::OneAtATime => 1,
        }
    }

    /// The minimum as a number of instances for a deployment to `total`
    /// instances. A percentage is rounded up, as CodeDeploy does at the start
    /// of a deployment; one-at-a-time keeps all instances but one healthy.
    pub fn resolve(self, total: usize) -> usize {
        match self {
            Self::HostCount(count) => count as usize,
            Self::FleetPercent(percent) => (total * usize::from(percent)).div_ceil(100),
            Self::OneAtATime => total.saturating_sub(1),
        }
    }
}

impl fmt::Display for MinimumHealthyHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HostCount(count) => write!(f, "{count} healthy hosts"),
            Self::FleetPercent(percent) => write!(f, "{percent}% of the fleet healthy"),
            Self::OneAtATime => f.write_str("all hosts but one healthy"),
        }
    }
}

/// A deployment configuration for the EC2/on-premises compute platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeploymentConfig {
    /// The configuration's name, e.g. `CodeDeployDefault.HalfAtATime`.
    pub name: String,
    /// How many instances must stay healthy.
    pub minimum_healthy_hosts: MinimumHealthyHosts,
}

impl DeploymentConfig {
    /// `CodeDeployDefault.OneAtATime`: one instance at a time, all but one kept healthy.
    pub fn one_at_a_time() -> Self {
        Self {
            name: ONE_AT_A_TIME.to_owned(),
            minimum_healthy_hosts: MinimumHealthyHosts::OneAtATime,
        }
    }

    /// `CodeDeployDefault.HalfAtATime`: a minimum of 50% healthy.
    pub fn half_at_a_time() -> Self {
        Self {
            name: HALF_AT_A_TIME.to_owned(),
            minimum_healthy_hosts: MinimumHealthyHosts::FleetPercent(50),
        }
    }

    /// `CodeDeployDefault.AllAtOnce`: a minimum of 0 healthy hosts.
    pub fn all_at_once() -> Self {
        Self {
            name: ALL_AT_ONCE.to_owned(),
            minimum_healthy_hosts: MinimumHealthyHosts::HostCount(0),
        }
    }

    /// Looks up a predefined EC2/on-premises configuration by name.
    pub fn predefined(name: &str) -> Result<Self, ConfigError> {
        match name {
            ONE_AT_A_TIME => Ok(Self::one_at_a_time()),
            HALF_AT_A_TIME => Ok(Self::half_at_a_time()),
            ALL_AT_ONCE => Ok(Self::all_at_once()),
            other => Err(ConfigError::UnknownPredefined(other.to_owned())),
        }
    }

    /// A custom configuration. The name is not validated here; the minimum
    /// already is, by construction of [`MinimumHealthyHosts`].
    pub fn custom(name: impl Into<String>, minimum_healthy_hosts: MinimumHealthyHosts) -> Self {
        Self {
            name: name.into(),
            minimum_healthy_hosts,
        }
    }

    /// Whether this is one of CodeDeploy's predefined configurations.
    pub fn is_predefined(&self) -> bool {
        PREDEFINED_SERVER_CONFIGS.contains(&self.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_rounded_up_to_whole_instances() {
        assert_eq!(MinimumHealthyHosts::FleetPercent(95).resolve(10), 10);
        assert_eq!(MinimumHealthyHosts::FleetPercent(85).resolve(10), 9);
        assert_eq!(MinimumHealthyHosts::FleetPercent(50).resolve(9), 5);
        assert_eq!(MinimumHealthyHosts::FleetPercent(40).resolve(9), 4);
        assert_eq!(MinimumHealthyHosts::FleetPercent(0).resolve(9), 0);
        assert_eq!(MinimumHealthyHosts::FleetPercent(1).resolve(1), 1);
    }

    #[test]
    fn one_at_a_time_keeps_all_but_one() {
        assert_eq!(MinimumHealthyHosts::OneAtATime.resolve(10), 9);
        assert_eq!(MinimumHealthyHosts::OneAtATime.resolve(1), 0);
        assert_eq!(MinimumHealthyHosts::OneAtATime.resolve(0), 0);
    }

    #[test]
    fn fleet_percent_of_100_is_refused() {
        let error = MinimumHealthyHosts::from_api("FLEET_PERCENT", 100).unwrap_err();
        assert_eq!(error, ConfigError::PercentOutOfRange(100));
        assert!(error.to_string().contains("between 0 and 99"));
    }

    #[test]
    fn negative_values_are_refused() {
        assert_eq!(
            MinimumHealthyHosts::from_api("HOST_COUNT", -1),
            Err(ConfigError::NegativeHostCount(-1))
        );
        assert_eq!(
            MinimumHealthyHosts::from_api("FLEET_PERCENT", -5),
            Err(ConfigError::PercentOutOfRange(-5))
        );
    }

    #[test]
    fn most_concurrency_cannot_be_chosen_for_a_custom_config() {
        assert!(matches!(
            MinimumHealthyHosts::from_api("MOST_CONCURRENCY", 1),
            Err(ConfigError::UnknownType(_))
        ));
    }

    #[test]
    fn described_minimums_read_back_for_every_predefined_config() {
        for name in PREDEFINED_SERVER_CONFIGS {
            let minimum = DeploymentConfig::predefined(name)
                .expect("a predefined configuration")
                .minimum_healthy_hosts;
            assert_eq!(
                MinimumHealthyHosts::from_described(minimum.api_type(), minimum.api_value()),
                Ok(minimum),
                "{name}"
            );
        }
        assert_eq!(
            MinimumHealthyHosts::from_described("FLEET_PERCENT", 75),
            Ok(MinimumHealthyHosts::FleetPercent(75))
        );
        assert_eq!(
            MinimumHealthyHosts::from_described("HOST_COUNT", -1),
            Err(ConfigError::NegativeHostCount(-1))
        );
        assert!(matches!(
            MinimumHealthyHosts::from_described("SOME_DAY", 1),
            Err(ConfigError::UnknownType(_))
        ));
    }

    #[test]
    fn predefined_configs_report_the_api_shapes() {
        let one = DeploymentConfig::predefined(ONE_AT_A_TIME).unwrap();
        assert_eq!(one.minimum_healthy_hosts.api_type(), "MOST_CONCURRENCY");
        assert_eq!(one.minimum_healthy_hosts.api_value(), 1);
        let half = DeploymentConfig::predefined(HALF_AT_A_TIME).unwrap();
        assert_eq!(half.minimum_healthy_hosts.api_type(), "FLEET_PERCENT");
        assert_eq!(half.minimum_healthy_hosts.api_value(), 50);
        let all = DeploymentConfig::predefined(ALL_AT_ONCE).unwrap();
        assert_eq!(all.minimum_healthy_hosts.api_type(), "HOST_COUNT");
        assert_eq!(all.minimum_healthy_hosts.api_value(), 0);
        assert!(all.is_predefined());
        assert!(DeploymentConfig::predefined("Custom.Thing").is_err());
    }
}
