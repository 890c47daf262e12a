//! What CloudWatch remembers: metric alarms by name, with their state.
//!
//! The seam for the deployment engine is [`CloudWatchState::alarm_state`]:
//! the state of an alarm by name, which CodeDeploy's alarm monitoring
//! reads. Nothing else changes an alarm's state than `SetAlarmState` (or
//! [`CloudWatchState::set_state`], which it uses).

use serde::{Deserialize, Serialize};

use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// CloudWatch's alarms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CloudWatchState {
    /// Metric alarms by name (alarm names are case sensitive).
    pub alarms: Table<String, MetricAlarm>,
}

impl CloudWatchState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.alarms.take_changes("cloudwatch.alarms", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "cloudwatch.alarms" => self.alarms.apply(change),
            _ => Err(change.unknown()),
        }
    }

    /// The state of the alarm named `name`, or `None` if there is no such
    /// alarm. This is what CodeDeploy's alarm monitoring reads.
    pub fn alarm_state(&self, name: &str) -> Option<StateValue> {
        self.alarms.get(name).map(|alarm| alarm.state.value)
    }

    /// Puts the alarm named `name` in the state `value` for `reason` at
    /// `now`, as `SetAlarmState` does. Returns `false` if there is no such
    /// alarm.
    pub fn set_state(
        &mut self,
        name: &str,
        value: StateValue,
        reason: &str,
        reason_data: Option<String>,
        now: Timestamp,
    ) -> bool {
        let Some(alarm) = self.alarms.get_mut(name) else {
            return false;
        };
        if alarm.state.value != value {
            alarm.state.transitioned = now;
        }
        alarm.state.value = value;
        reason.clone_into(&mut alarm.state.reason);
        alarm.state.reason_data = reason_data;
        alarm.state.updated = now;
        true
    }
}

/// The state of an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum StateValue {
    /// The metric is within the threshold.
    #[serde(rename = "OK")]
    Ok,
    /// The metric is beyond the threshold.
    #[serde(rename = "ALARM")]
    Alarm,
    /// There is not enough data to tell (where every alarm starts).
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl StateValue {
    /// Every state, in the order AWS documents them.
    pub const ALL: [StateValue; 3] = [Self::Ok, Self::Alarm, Self::InsufficientData];

    /// The state as the API spells it, e.g. `INSUFFICIENT_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    /// The state spelled `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

/// Where an alarm stands and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmState {
    /// The state.
    pub value: StateValue,
    /// Why, in words.
    pub reason: String,
    /// Why, as JSON, if given.
    #[serde(default)]
    pub reason_data: Option<String>,
    /// When the state was last set.
    pub updated: Timestamp,
    /// When the state last changed to another value.
    pub transitioned: Timestamp,
}

/// A metric alarm, as `PutMetricAlarm` configured it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricAlarm {
    /// The name.
    pub name: String,
    /// The ARN, `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`.
    pub arn: String,
    /// The description, if any.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether actions run on state changes.
    pub actions_enabled: bool,
    /// What to do on entering `OK`.
    #[serde(default)]
    pub ok_actions: Vec<String>,
    /// What to do on entering `ALARM`.
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    /// What to do on entering `INSUFFICIENT_DATA`.
    #[serde(default)]
    pub insufficient_data_actions: Vec<String>,
    /// The metric's name.
    pub metric_name: String,
    /// The metric's namespace.
    pub namespace: String,
    /// The statistic (`Average`, ...), or `None` with an extended one.
    #[serde(default)]
    pub statistic: Option<String>,
    /// The percentile statistic (`p99`), if that is what it watches.
    #[serde(default)]
    pub extended_statistic: Option<String>,
    /// The metric's dimensions, as name and value, in the order given.
    #[serde(default)]
    pub dimensions: Vec<(String, String)>,
    /// The period, in seconds.
    pub period: i64,
    /// The unit, if given.
    #[serde(default)]
    pub unit: Option<String>,
    /// How many periods are compared with the threshold.
    pub evaluation_periods: i64,
    /// How many of them must breach, if not all.
    #[serde(default)]
    pub datapoints_to_alarm: Option<i64>,
    /// The threshold.
    pub threshold: f64,
    /// How the statistic is compared with the threshold.
    pub comparison_operator: String,
    /// How missing data is treated, if set.
    #[serde(default)]
    pub treat_missing_data: Option<String>,
    /// Whether low sample counts evaluate percentiles, if set.
    #[serde(default)]
    pub evaluate_low_sample_count_percentile: Option<String>,
    /// Tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// When the configuration last changed.
    pub configuration_updated: Timestamp,
    /// The state.
    pub state: AlarmState,
}
