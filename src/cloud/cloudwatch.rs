//! CloudWatch alarms as the app reads them: the state of the alarms a
//! deployment group watches, for the pre-flight plan and the group's
//! details.

use super::error::{CloudResult, sdk_error};
use super::session::Session;

/// The most alarm names one `DescribeAlarms` request takes.
const NAMES_PER_REQUEST: usize = 100;

/// An alarm's state, as CloudWatch spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmStateValue {
    /// Within its threshold.
    Ok,
    /// Beyond its threshold: a deployment watching it stops.
    Alarm,
    /// Not enough data to tell.
    InsufficientData,
}

impl AlarmStateValue {
    /// The state in CloudWatch's words, e.g. `INSUFFICIENT_DATA`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// One alarm a group watches, as CloudWatch has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmStatus {
    /// The alarm's name.
    pub name: String,
    /// Its state; `None` when CloudWatch has no alarm of that name.
    pub state: Option<AlarmStateValue>,
    /// Why it is in that state, in CloudWatch's words.
    pub reason: Option<String>,
}

/// The states of the alarms `names`, in the order given. An alarm
/// CloudWatch does not have comes back with no state.
pub async fn alarm_states(session: &Session, names: &[String]) -> CloudResult<Vec<AlarmStatus>> {
    let mut found = Vec::new();
    for chunk in names.chunks(NAMES_PER_REQUEST) {
        let mut next_token = None;
        loop {
            let page = session
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .set_next_token(next_token)
                .send()
                .await
                .map_err(sdk_error(session, "DescribeAlarms"))?;
            found.extend(page.metric_alarms().iter().cloned());
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
    }
    Ok(names
        .iter()
        .map(|name| {
            let alarm = found
                .iter()
                .find(|alarm| alarm.alarm_name() == Some(name.as_str()));
            AlarmStatus {
                name: name.clone(),
                state: alarm
                    .and_then(|alarm| alarm.state_value())
                    .and_then(state_of),
                reason: alarm.and_then(|alarm| alarm.state_reason().map(str::to_owned)),
            }
        })
        .collect())
}

/// Every alarm of the account with its state, by name, for pickers.
pub async fn list_alarms(session: &Session) -> CloudResult<Vec<AlarmStatus>> {
    let mut alarms = Vec::new();
    let mut next_token = None;
    loop {
        let page = session
            .cloudwatch
            .describe_alarms()
            .set_next_token(next_token)
            .send()
            .await
            .map_err(sdk_error(session, "DescribeAlarms"))?;
        alarms.extend(page.metric_alarms().iter().map(|alarm| AlarmStatus {
            name: alarm.alarm_name().unwrap_or_default().to_owned(),
            state: alarm.state_value().and_then(state_of),
            reason: alarm.state_reason().map(str::to_owned),
        }));
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    alarms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(alarms)
}

/// The SDK's state as the app's.
fn state_of(state: &aws_sdk_cloudwatch::types::StateValue) -> Option<AlarmStateValue> {
    use aws_sdk_cloudwatch::types::StateValue;
    match state {
        StateValue::Ok => Some(AlarmStateValue::Ok),
        StateValue::Alarm => Some(AlarmStateValue::Alarm),
        StateValue::InsufficientData => Some(AlarmStateValue::InsufficientData),
        _ => None,
    }
}

/// A metric alarm to create or replace (`PutMetricAlarm`): it goes into
/// ALARM when the sum of `metric` over one period reaches `threshold`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlarm {
    /// The alarm's name.
    pub name: String,
    /// What it watches for, in words.
    pub description: String,
    /// The metric's namespace, e.g. `AWS/ApplicationELB`.
    pub namespace: String,
    /// The metric's name, e.g. `HTTPCode_Target_5XX_Count`.
    pub metric: String,
    /// The sum per period at which it goes into ALARM.
    pub threshold: f64,
    /// The period, in seconds.
    pub period_seconds: i32,
}

/// Creates the alarm `alarm`, or replaces the one of that name.
pub async fn put_metric_alarm(session: &Session, alarm: &NewAlarm) -> CloudResult<()> {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    session
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm.name)
        .alarm_description(&alarm.description)
        .namespace(&alarm.namespace)
        .metric_name(&alarm.metric)
        .statistic(Statistic::Sum)
        .period(alarm.period_seconds)
        .evaluation_periods(1)
        .threshold(alarm.threshold)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await
        .map_err(sdk_error(session, "PutMetricAlarm"))?;
    Ok(())
}

/// Sets the alarm `name` to `state` for `reason` (`SetAlarmState`), as a
/// test of what watches it; CloudWatch sets it back when it next
/// evaluates its metric.
pub async fn set_alarm_state(
    session: &Session,
    name: &str,
    state: AlarmStateValue,
    reason: &str,
) -> CloudResult<()> {
    session
        .cloudwatch
        .set_alarm_state()
        .alarm_name(name)
        .state_value(aws_sdk_cloudwatch::types::StateValue::from(state.as_str()))
        .state_reason(reason)
        .send()
        .await
        .map_err(sdk_error(session, "SetAlarmState"))?;
    Ok(())
}
