//! Traffic shifting for the AWS Lambda and Amazon ECS compute platforms.
//!
//! A Lambda or ECS deployment does not deploy to instances in waves: it
//! moves traffic from the original version (a Lambda function version, an
//! ECS task set) to the replacement, by the deployment configuration's
//! traffic routing:
//!
//! - `AllAtOnce`: all traffic at once;
//! - `TimeBasedCanary`: the canary percentage first, the rest after the
//!   canary interval (minutes);
//! - `TimeBasedLinear`: the linear percentage at the start of each interval,
//!   until all traffic has moved.
//!
//! [`TrafficRouting::schedule`] turns a routing into the steps the local
//! cloud executes and the app draws: (minute, weight of the replacement).
//! The predefined configurations are [`PREDEFINED_TRAFFIC`].

use std::fmt;

use serde::{Deserialize, Serialize};

use super::platform::ComputePlatform;

/// The API's name of the all-at-once routing type.
pub const ALL_AT_ONCE: &str = "AllAtOnce";
/// The API's name of the canary routing type.
pub const TIME_BASED_CANARY: &str = "TimeBasedCanary";
/// The API's name of the linear routing type.
pub const TIME_BASED_LINEAR: &str = "TimeBasedLinear";

/// How a deployment configuration moves traffic to the replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrafficRouting {
    /// All traffic at once.
    AllAtOnce,
    /// `percentage` first, then the rest after `interval_minutes`.
    Canary {
        /// The share moved first, 1–99.
        percentage: u8,
        /// Minutes before the rest moves, at least 1.
        interval_minutes: u32,
    },
    /// `percentage` more at the start of each `interval_minutes`.
    Linear {
        /// The share moved at each step, 1–99.
        percentage: u8,
        /// Minutes between steps, at least 1.
        interval_minutes: u32,
    },
}

/// One step of a traffic schedule: from `at_minutes` after traffic starts
/// to move, `weight` percent of it goes to the replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TrafficStep {
    /// Minutes after the first shift.
    pub at_minutes: u32,
    /// The replacement's share of the traffic, 0–100.
    pub weight: u8,
}

/// Why a traffic routing was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrafficRoutingError {
    /// No type given.
    #[error(
        "The traffic routing configuration needs a type: TimeBasedCanary, TimeBasedLinear or AllAtOnce."
    )]
    MissingType,
    /// A type that is not one of the three.
    #[error(
        "\"{0}\" is not a traffic routing type; use TimeBasedCanary, TimeBasedLinear or AllAtOnce."
    )]
    UnknownType(String),
    /// The canary or linear settings are missing.
    #[error("A {kind} configuration needs {member}.")]
    MissingSettings {
        /// The routing type.
        kind: &'static str,
        /// The member it needs.
        member: &'static str,
    },
    /// A percentage outside 1–99.
    #[error("The {member} percentage must be between 1 and 99 (got {got}).")]
    Percentage {
        /// The member it is in.
        member: &'static str,
        /// What was given.
        got: String,
    },
    /// An interval below one minute.
    #[error("The {member} interval must be at least 1 minute (got {got}).")]
    Interval {
        /// The member it is in.
        member: &'static str,
        /// What was given.
        got: String,
    },
}

impl TrafficRouting {
    /// Reads a routing from the API's members: its `type`, and the
    /// percentage and interval of `timeBasedCanary` or `timeBasedLinear`
    /// (`None` when the member is absent; each value `None` when unset).
    pub fn from_api(
        kind: Option<&str>,
        canary: Option<(Option<i64>, Option<i64>)>,
        linear: Option<(Option<i64>, Option<i64>)>,
    ) -> Result<Self, TrafficRoutingError> {
        let (kind, member, settings) = match kind.ok_or(TrafficRoutingError::MissingType)? {
            ALL_AT_ONCE => return Ok(Self::AllAtOnce),
            TIME_BASED_CANARY => (TIME_BASED_CANARY, "timeBasedCanary", canary),
            TIME_BASED_LINEAR => (TIME_BASED_LINEAR, "timeBasedLinear", linear),
            other => return Err(TrafficRoutingError::UnknownType(other.to_owned())),
        };
        let (percentage, interval) =
            settings.ok_or(TrafficRoutingError::MissingSettings { kind, member })?;
        let shown = |value: Option<i64>| value.map_or_else(|| "none".to_owned(), |v| v.to_string());
        let percentage = percentage
            .filter(|value| (1..=99).contains(value))
            .and_then(|value| u8::try_from(value).ok())
            .ok_or_else(|| TrafficRoutingError::Percentage {
                member,
                got: shown(percentage),
            })?;
        let interval_minutes = interval
            .filter(|value| *value >= 1)
            .and_then(|value| u32::try_from(value).ok())
            .ok_or_else(|| TrafficRoutingError::Interval {
                member,
                got: shown(interval),
            })?;
        Ok(if kind == TIME_BASED_CANARY {
            Self::Canary {
                percentage,
                interval_minutes,
            }
        } else {
            Self::Linear {
                percentage,
                interval_minutes,
            }
        })
    }

    /// The API's name of the routing's type.
    pub fn api_type(self) -> &'static str {
        match self {
            Self::AllAtOnce => ALL_AT_ONCE,
            Self::Canary { .. } => TIME_BASED_CANARY,
            Self::Linear { .. } => TIME_BASED_LINEAR,
        }
    }

    /// The steps traffic moves by, first at minute 0, the last at 100 %.
    /// A linear routing whose percentage does not divide 100 ends with a
    /// smaller step (30 %: 30, 60, 90, 100).
    pub fn schedule(self) -> Vec<TrafficStep> {
        match self {
            Self::AllAtOnce => vec![TrafficStep {
                at_minutes: 0,
                weight: 100,
            }],
            Self::Canary {
                percentage,
                interval_minutes,
            } => vec![
                TrafficStep {
                    at_minutes: 0,
                    weight: percentage,
                },
                TrafficStep {
                    at_minutes: interval_minutes,
                    weight: 100,
                },
            ],
            Self::Linear {
                percentage,
                interval_minutes,
            } => {
                let steps = 100_u32.div_ceil(u32::from(percentage.max(1)));
                (0..steps)
                    .map(|index| TrafficStep {
                        at_minutes: index.saturating_mul(interval_minutes),
                        weight: u8::try_from((index + 1) * u32::from(percentage))
                            .unwrap_or(100)
                            .min(100),
                    })
                    .collect()
            }
        }
    }

    /// Minutes from the first shift until all traffic has moved (at most
    /// `u32::MAX`: a schedule too long to count stops there).
    pub fn total_minutes(self) -> u32 {
        self.schedule().last().map_or(0, |step| step.at_minutes)
    }
}

impl fmt::Display for TrafficRouting {
    /// The schedule in words: "all at once", "10 % for 5 minutes, then
    /// 100 %", "10 % more every 3 minutes, 100 % after 27 minutes".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let minutes = |count: u32| {
            if count == 1 {
                "1 minute".to_owned()
            } else {
                format!("{count} minutes")
            }
        };
        match *self {
            Self::AllAtOnce => f.write_str("all at once"),
            Self::Canary {
                percentage,
                interval_minutes,
            } => write!(
                f,
                "{percentage} % for {}, then 100 %",
                minutes(interval_minutes)
            ),
            Self::Linear {
                percentage,
                interval_minutes,
            } => write!(
                f,
                "{percentage} % more every {}, 100 % after {}",
                minutes(interval_minutes),
                minutes(self.total_minutes())
            ),
        }
    }
}

/// A predefined configuration of the Lambda or ECS platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredefinedTraffic {
    /// Its name, `CodeDeployDefault.…`.
    pub name: &'static str,
    /// The platform it is for.
    pub platform: ComputePlatform,
    /// How it moves traffic.
    pub routing: TrafficRouting,
}

/// A predefined configuration shifting 10 % first, the rest after
/// `minutes`.
const fn canary(name: &'static str, platform: ComputePlatform, minutes: u32) -> PredefinedTraffic {
    PredefinedTraffic {
        name,
        platform,
        routing: TrafficRouting::Canary {
            percentage: 10,
            interval_minutes: minutes,
        },
    }
}

/// A predefined configuration shifting 10 % more every `minutes`.
const fn linear(name: &'static str, platform: ComputePlatform, minutes: u32) -> PredefinedTraffic {
    PredefinedTraffic {
        name,
        platform,
        routing: TrafficRouting::Linear {
            percentage: 10,
            interval_minutes: minutes,
        },
    }
}

/// A predefined configuration shifting all traffic at once.
const fn all_at_once(name: &'static str, platform: ComputePlatform) -> PredefinedTraffic {
    PredefinedTraffic {
        name,
        platform,
        routing: TrafficRouting::AllAtOnce,
    }
}

/// The predefined Lambda and ECS configurations, as the CodeDeploy user
/// guide lists them.
pub const PREDEFINED_TRAFFIC: [PredefinedTraffic; 14] = [
    all_at_once("CodeDeployDefault.LambdaAllAtOnce", ComputePlatform::Lambda),
    canary(
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        ComputePlatform::Lambda,
        5,
    ),
    canary(
        "CodeDeployDefault.LambdaCanary10Percent10Minutes",
        ComputePlatform::Lambda,
        10,
    ),
    canary(
        "CodeDeployDefault.LambdaCanary10Percent15Minutes",
        ComputePlatform::Lambda,
        15,
    ),
    canary(
        "CodeDeployDefault.LambdaCanary10Percent30Minutes",
        ComputePlatform::Lambda,
        30,
    ),
    linear(
        "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
        ComputePlatform::Lambda,
        1,
    ),
    linear(
        "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
        ComputePlatform::Lambda,
        2,
    ),
    linear(
        "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
        ComputePlatform::Lambda,
        3,
    ),
    linear(
        "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
        ComputePlatform::Lambda,
        10,
    ),
    all_at_once("CodeDeployDefault.ECSAllAtOnce", ComputePlatform::Ecs),
    linear(
        "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        ComputePlatform::Ecs,
        1,
    ),
    linear(
        "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
        ComputePlatform::Ecs,
        3,
    ),
    canary(
        "CodeDeployDefault.ECSCanary10Percent5Minutes",
        ComputePlatform::Ecs,
        5,
    ),
    canary(
        "CodeDeployDefault.ECSCanary10Percent15Minutes",
        ComputePlatform::Ecs,
        15,
    ),
];

/// The predefined Lambda or ECS configuration `name`, if it is one.
pub fn predefined(name: &str) -> Option<PredefinedTraffic> {
    PREDEFINED_TRAFFIC
        .iter()
        .find(|config| config.name == name)
        .copied()
}

/// The configuration a new deployment group of `platform` uses when none
/// is given.
pub fn default_config(platform: ComputePlatform) -> &'static str {
    match platform {
        ComputePlatform::Lambda => "CodeDeployDefault.LambdaAllAtOnce",
        ComputePlatform::Ecs => "CodeDeployDefault.ECSAllAtOnce",
        ComputePlatform::Server => super::config::ONE_AT_A_TIME,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schedule as (minute, weight) pairs.
    fn steps(routing: TrafficRouting) -> Vec<(u32, u8)> {
        routing
            .schedule()
            .into_iter()
            .map(|step| (step.at_minutes, step.weight))
            .collect()
    }

    fn named(name: &str) -> TrafficRouting {
        predefined(name)
            .unwrap_or_else(|| panic!("{name} is predefined"))
            .routing
    }

    /// Linear 10 % every `minutes`: ten steps, the last at nine intervals.
    fn ten_percent_linear(minutes: u32) -> Vec<(u32, u8)> {
        (0..10_u32)
            .map(|index| (index * minutes, u8::try_from(index + 1).unwrap() * 10))
            .collect()
    }

    #[test]
    fn the_all_at_once_configurations_move_everything_at_the_start() {
        for name in [
            "CodeDeployDefault.LambdaAllAtOnce",
            "CodeDeployDefault.ECSAllAtOnce",
        ] {
            assert_eq!(steps(named(name)), [(0, 100)], "{name}");
            assert_eq!(named(name).total_minutes(), 0);
        }
    }

    #[test]
    fn the_canary_configurations_move_ten_percent_then_the_rest_after_their_interval() {
        for (name, minutes) in [
            ("CodeDeployDefault.LambdaCanary10Percent5Minutes", 5),
            ("CodeDeployDefault.LambdaCanary10Percent10Minutes", 10),
            ("CodeDeployDefault.LambdaCanary10Percent15Minutes", 15),
            ("CodeDeployDefault.LambdaCanary10Percent30Minutes", 30),
            ("CodeDeployDefault.ECSCanary10Percent5Minutes", 5),
            ("CodeDeployDefault.ECSCanary10Percent15Minutes", 15),
        ] {
            assert_eq!(steps(named(name)), [(0, 10), (minutes, 100)], "{name}");
            assert_eq!(named(name).total_minutes(), minutes);
        }
    }

    #[test]
    fn the_linear_configurations_move_ten_percent_more_each_interval() {
        for (name, minutes) in [
            ("CodeDeployDefault.LambdaLinear10PercentEvery1Minute", 1),
            ("CodeDeployDefault.LambdaLinear10PercentEvery2Minutes", 2),
            ("CodeDeployDefault.LambdaLinear10PercentEvery3Minutes", 3),
            ("CodeDeployDefault.LambdaLinear10PercentEvery10Minutes", 10),
            ("CodeDeployDefault.ECSLinear10PercentEvery1Minutes", 1),
            ("CodeDeployDefault.ECSLinear10PercentEvery3Minutes", 3),
        ] {
            assert_eq!(steps(named(name)), ten_percent_linear(minutes), "{name}");
            assert_eq!(named(name).total_minutes(), 9 * minutes);
        }
    }

    #[test]
    fn every_predefined_configuration_is_for_lambda_or_ecs_and_named_once() {
        let lambda = PREDEFINED_TRAFFIC
            .iter()
            .filter(|config| config.platform == ComputePlatform::Lambda)
            .count();
        let ecs = PREDEFINED_TRAFFIC
            .iter()
            .filter(|config| config.platform == ComputePlatform::Ecs)
            .count();
        assert_eq!((lambda, ecs), (9, 5));
        for config in PREDEFINED_TRAFFIC {
            let platform = if config.platform == ComputePlatform::Lambda {
                "Lambda"
            } else {
                "ECS"
            };
            assert!(
                config
                    .name
                    .starts_with(&format!("CodeDeployDefault.{platform}")),
                "{}",
                config.name
            );
            assert_eq!(
                PREDEFINED_TRAFFIC
                    .iter()
                    .filter(|other| other.name == config.name)
                    .count(),
                1
            );
        }
        assert!(predefined("CodeDeployDefault.OneAtATime").is_none());
    }

    #[test]
    fn a_linear_percentage_that_does_not_divide_a_hundred_ends_with_a_smaller_step() {
        let routing = TrafficRouting::Linear {
            percentage: 30,
            interval_minutes: 4,
        };
        assert_eq!(steps(routing), [(0, 30), (4, 60), (8, 90), (12, 100)]);
        let routing = TrafficRouting::Linear {
            percentage: 99,
            interval_minutes: 1,
        };
        assert_eq!(steps(routing), [(0, 99), (1, 100)]);
    }

    #[test]
    fn custom_routings_are_read_from_the_api_members_and_checked() {
        assert_eq!(
            TrafficRouting::from_api(Some("AllAtOnce"), None, None),
            Ok(TrafficRouting::AllAtOnce)
        );
        assert_eq!(
            TrafficRouting::from_api(Some("TimeBasedCanary"), Some((Some(20), Some(7))), None),
            Ok(TrafficRouting::Canary {
                percentage: 20,
                interval_minutes: 7
            })
        );
        assert_eq!(
            TrafficRouting::from_api(Some("TimeBasedLinear"), None, Some((Some(25), Some(2)))),
            Ok(TrafficRouting::Linear {
                percentage: 25,
                interval_minutes: 2
            })
        );
        assert_eq!(
            TrafficRouting::from_api(None, None, None),
            Err(TrafficRoutingError::MissingType)
        );
        assert!(matches!(
            TrafficRouting::from_api(Some("Blue"), None, None),
            Err(TrafficRoutingError::UnknownType(_))
        ));
        let missing =
            TrafficRouting::from_api(Some("TimeBasedLinear"), Some((Some(10), Some(1))), None);
        assert_eq!(
            missing.unwrap_err().to_string(),
            "A TimeBasedLinear configuration needs timeBasedLinear."
        );
        for bad in [Some(0), Some(100), None] {
            let refused =
                TrafficRouting::from_api(Some("TimeBasedCanary"), Some((bad, Some(5))), None);
            assert!(
                matches!(refused, Err(TrafficRoutingError::Percentage { .. })),
                "{bad:?}"
            );
        }
        let refused =
            TrafficRouting::from_api(Some("TimeBasedCanary"), Some((Some(10), Some(0))), None);
        assert_eq!(
            refused.unwrap_err().to_string(),
            "The timeBasedCanary interval must be at least 1 minute (got 0)."
        );
    }

    #[test]
    fn a_schedule_reads_as_words() {
        assert_eq!(
            named("CodeDeployDefault.LambdaAllAtOnce").to_string(),
            "all at once"
        );
        assert_eq!(
            named("CodeDeployDefault.LambdaCanary10Percent5Minutes").to_string(),
            "10 % for 5 minutes, then 100 %"
        );
        assert_eq!(
            named("CodeDeployDefault.LambdaLinear10PercentEvery1Minute").to_string(),
            "10 % more every 1 minute, 100 % after 9 minutes"
        );
    }

    #[test]
    fn a_schedule_too_long_to_count_stops_at_the_largest_minute_instead_of_overflowing() {
        let routing = TrafficRouting::Linear {
            percentage: 1,
            interval_minutes: 4_000_000_000,
        };
        let schedule = routing.schedule();
        assert_eq!(schedule.len(), 100);
        assert_eq!(schedule[1].at_minutes, 4_000_000_000);
        assert_eq!(routing.total_minutes(), u32::MAX);
    }
}
