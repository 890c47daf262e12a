//! Metric alarms: `PutMetricAlarm`, `DescribeAlarms`, `SetAlarmState` and
//! `DeleteAlarms`, with CloudWatch's checks.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{
    Answer, Context, check_enum, check_length, empty, input, invalid_combination, invalid_value,
    missing, not_found, output, validation,
};
use super::state::{AlarmState, CloudWatchState, MetricAlarm, StateValue};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::page_or;

/// The statistics an alarm may watch.
pub const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

/// How a statistic may be compared with a threshold. The last three are
/// for anomaly detection bands, which need `ThresholdMetricId`.
pub const COMPARISON_OPERATORS: [&str; 7] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

/// The units a metric may have.
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// How an alarm may treat missing data points.
pub const TREAT_MISSING_DATA: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];

/// The states as the API spells them.
const STATE_VALUES: [&str; 3] = ["OK", "ALARM", "INSUFFICIENT_DATA"];

/// The most actions of one kind an alarm may have.
const MAX_ACTIONS: usize = 5;
/// The most dimensions a metric may have.
const MAX_DIMENSIONS: usize = 30;
/// The most tags an alarm may have.
const MAX_TAGS: usize = 50;
/// The most alarm names one request may give.
const MAX_NAMES: usize = 100;
/// The longest an alarm with a period under an hour may look back: a day.
const MAX_EVALUATION_SHORT: i64 = 86_400;
/// The longest any alarm may look back: seven days.
const MAX_EVALUATION_LONG: i64 = 604_800;
/// `DescribeAlarms` pages of this many alarms when `MaxRecords` is absent.
const DEFAULT_MAX_RECORDS: i64 = 50;

/// A dimension as given.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DimensionInput {
    name: Option<String>,
    value: Option<String>,
}

/// A tag as given.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagInput {
    key: Option<String>,
    value: Option<String>,
}

/// The input of `PutMetricAlarm`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutMetricAlarmInput {
    alarm_name: Option<String>,
    alarm_description: Option<String>,
    actions_enabled: Option<bool>,
    #[serde(rename = "OKActions")]
    ok_actions: Option<Vec<String>>,
    alarm_actions: Option<Vec<String>>,
    insufficient_data_actions: Option<Vec<String>>,
    metric_name: Option<String>,
    namespace: Option<String>,
    statistic: Option<String>,
    extended_statistic: Option<String>,
    dimensions: Option<Vec<DimensionInput>>,
    period: Option<i64>,
    unit: Option<String>,
    evaluation_periods: Option<i64>,
    datapoints_to_alarm: Option<i64>,
    threshold: Option<f64>,
    comparison_operator: Option<String>,
    treat_missing_data: Option<String>,
    evaluate_low_sample_count_percentile: Option<String>,
    metrics: Option<Value>,
    threshold_metric_id: Option<String>,
    tags: Option<Vec<TagInput>>,
}

/// The input of `DescribeAlarms`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeAlarmsInput {
    alarm_names: Option<Vec<String>>,
    alarm_name_prefix: Option<String>,
    alarm_types: Option<Vec<String>>,
    children_of_alarm_name: Option<String>,
    parents_of_alarm_name: Option<String>,
    state_value: Option<String>,
    action_prefix: Option<String>,
    max_records: Option<i64>,
    next_token: Option<String>,
}

/// The input of `SetAlarmState`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SetAlarmStateInput {
    alarm_name: Option<String>,
    state_value: Option<String>,
    state_reason: Option<String>,
    state_reason_data: Option<String>,
}

/// The input of `DeleteAlarms`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteAlarmsInput {
    alarm_names: Option<Vec<String>>,
}

/// A dimension as answers show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DimensionOutput {
    name: String,
    value: String,
}

/// An alarm as `DescribeAlarms` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MetricAlarmOutput {
    alarm_name: String,
    alarm_arn: String,
    alarm_description: Option<String>,
    alarm_configuration_updated_timestamp: f64,
    actions_enabled: bool,
    #[serde(rename = "OKActions")]
    ok_actions: Vec<String>,
    alarm_actions: Vec<String>,
    insufficient_data_actions: Vec<String>,
    state_value: &'static str,
    state_reason: String,
    state_reason_data: Option<String>,
    state_updated_timestamp: f64,
    metric_name: String,
    namespace: String,
    statistic: Option<String>,
    extended_statistic: Option<String>,
    dimensions: Vec<DimensionOutput>,
    period: i64,
    unit: Option<String>,
    evaluation_periods: i64,
    datapoints_to_alarm: Option<i64>,
    threshold: f64,
    comparison_operator: String,
    treat_missing_data: Option<String>,
    evaluate_low_sample_count_percentile: Option<String>,
    state_transitioned_timestamp: f64,
}

impl MetricAlarmOutput {
    /// `alarm` as answers show it.
    fn new(alarm: &MetricAlarm) -> Self {
        Self {
            alarm_name: alarm.name.clone(),
            alarm_arn: alarm.arn.clone(),
            alarm_description: alarm.description.clone(),
            alarm_configuration_updated_timestamp: alarm.configuration_updated.as_secs_f64(),
            actions_enabled: alarm.actions_enabled,
            ok_actions: alarm.ok_actions.clone(),
            alarm_actions: alarm.alarm_actions.clone(),
            insufficient_data_actions: alarm.insufficient_data_actions.clone(),
            state_value: alarm.state.value.as_str(),
            state_reason: alarm.state.reason.clone(),
            state_reason_data: alarm.state.reason_data.clone(),
            state_updated_timestamp: alarm.state.updated.as_secs_f64(),
            metric_name: alarm.metric_name.clone(),
            namespace: alarm.namespace.clone(),
            statistic: alarm.statistic.clone(),
            extended_statistic: alarm.extended_statistic.clone(),
            dimensions: alarm
                .dimensions
                .iter()
                .map(|(name, value)| DimensionOutput {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            period: alarm.period,
            unit: alarm.unit.clone(),
            evaluation_periods: alarm.evaluation_periods,
            datapoints_to_alarm: alarm.datapoints_to_alarm,
            threshold: alarm.threshold,
            comparison_operator: alarm.comparison_operator.clone(),
            treat_missing_data: alarm.treat_missing_data.clone(),
            evaluate_low_sample_count_percentile: alarm
                .evaluate_low_sample_count_percentile
                .clone(),
            state_transitioned_timestamp: alarm.state.transitioned.as_secs_f64(),
        }
    }
}

/// The output of `DescribeAlarms`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeAlarmsOutput {
    metric_alarms: Vec<MetricAlarmOutput>,
    composite_alarms: Vec<Value>,
    next_token: Option<String>,
}

/// Checks an alarm name: 1 to 255 characters.
fn check_alarm_name(member: &str, name: &str) -> Result<(), ApiError> {
    check_length(member, name, 1, 255)
}

/// Checks a list of actions: at most five ARNs.
fn check_actions(member: &str, actions: &[String]) -> Result<(), ApiError> {
    if actions.len() > MAX_ACTIONS {
        return Err(validation(
            member,
            &format!("{actions:?}"),
            &format!(
                "Member must have length less than or equal to {MAX_ACTIONS}; give at most {MAX_ACTIONS} actions."
            ),
        ));
    }
    for action in actions {
        check_length(member, action, 1, 1024)?;
        let parts: Vec<&str> = action.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" || parts[1].is_empty() || parts[2].is_empty() {
            return Err(invalid_value(format!(
                "Invalid arn syntax: {action}. An action is an ARN, such as an SNS topic's arn:aws:sns:us-east-1:{ACCOUNT_ID}:my-topic."
            )));
        }
    }
    Ok(())
}

/// Whether `text` is a percentile statistic, `p0.0` to `p100`, with up to
/// two decimals.
fn is_percentile(text: &str) -> bool {
    let Some(number) = text.strip_prefix('p') else {
        return false;
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((_, "")) => return false,
        Some(parts) => parts,
        None => (number, ""),
    };
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    !whole.is_empty()
        && whole.len() <= 3
        && digits(whole)
        && fraction.len() <= 2
        && digits(fraction)
        && number
            .parse::<f64>()
            .is_ok_and(|value| (0.0..=100.0).contains(&value))
}

/// The dimensions given, checked.
fn dimensions_param(
    dimensions: Option<Vec<DimensionInput>>,
) -> Result<Vec<(String, String)>, ApiError> {
    let dimensions = dimensions.unwrap_or_default();
    if dimensions.len() > MAX_DIMENSIONS {
        return Err(validation(
            "Dimensions",
            &format!("{} dimensions", dimensions.len()),
            &format!("Member must have length less than or equal to {MAX_DIMENSIONS}."),
        ));
    }
    let mut checked: Vec<(String, String)> = Vec::with_capacity(dimensions.len());
    for dimension in dimensions {
        let name = dimension
            .name
            .ok_or_else(|| missing("Dimensions.member.Name"))?;
        let value = dimension
            .value
            .ok_or_else(|| missing("Dimensions.member.Value"))?;
        check_length("Dimensions.member.Name", &name, 1, 255)?;
        check_length("Dimensions.member.Value", &value, 1, 1024)?;
        if checked.iter().any(|(known, _)| *known == name) {
            return Err(invalid_value(format!(
                "The dimension {name} is given twice; give each dimension name once."
            )));
        }
        checked.push((name, value));
    }
    Ok(checked)
}

/// The tags given, checked.
fn tags_param(tags: Option<Vec<TagInput>>) -> Result<Vec<(String, String)>, ApiError> {
    let tags = tags.unwrap_or_default();
    if tags.len() > MAX_TAGS {
        return Err(invalid_value(format!(
            "An alarm may have at most {MAX_TAGS} tags; {} were given.",
            tags.len()
        )));
    }
    let mut checked: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for tag in tags {
        let key = tag.key.ok_or_else(|| missing("Tags.member.Key"))?;
        let value = tag.value.ok_or_else(|| missing("Tags.member.Value"))?;
        check_length("Tags.member.Key", &key, 1, 128)?;
        check_length("Tags.member.Value", &value, 0, 256)?;
        if key.starts_with("aws:") {
            return Err(invalid_value(format!(
                "The tag key {key} starts with aws:, which is reserved for AWS; choose another key."
            )));
        }
        if checked.iter().any(|(known, _)| *known == key) {
            return Err(invalid_value(format!(
                "The tag key {key} is given twice; give each key once."
            )));
        }
        checked.push((key, value));
    }
    Ok(checked)
}

/// Checks the period: 10, 20, 30 or a multiple of 60 seconds.
fn check_period(period: i64) -> Result<(), ApiError> {
    if period < 1 {
        return Err(validation(
            "Period",
            &period.to_string(),
            "Member must have value greater than or equal to 1",
        ));
    }
    if !matches!(period, 10 | 20 | 30) && period % 60 != 0 {
        return Err(invalid_value(format!(
            "The parameter Period must be 10, 20, 30 or a multiple of 60 seconds, not {period}."
        )));
    }
    Ok(())
}

/// `PutMetricAlarm`: creates the alarm, or replaces the configuration of
/// the alarm of that name (its state and tags stay as they were, as in
/// AWS, which ignores the tags of an update).
pub fn put_metric_alarm(
    cloudwatch: &mut CloudWatchState,
    context: &Context,
    value: &Value,
) -> Answer {
    let put: PutMetricAlarmInput = input(value)?;
    let name = put.alarm_name.ok_or_else(|| missing("AlarmName"))?;
    check_alarm_name("AlarmName", &name)?;
    if let Some(description) = &put.alarm_description {
        check_length("AlarmDescription", description, 0, 1024)?;
    }
    if put.metrics.is_some() || put.threshold_metric_id.is_some() {
        return Err(invalid_value(
            "The local cloud's alarms watch one metric: give MetricName, Namespace, Statistic and Period instead of Metrics or ThresholdMetricId.",
        ));
    }
    let metric_name = put.metric_name.ok_or_else(|| missing("MetricName"))?;
    check_length("MetricName", &metric_name, 1, 255)?;
    let namespace = put.namespace.ok_or_else(|| missing("Namespace"))?;
    check_length("Namespace", &namespace, 1, 255)?;
    if namespace.starts_with(':') {
        return Err(validation(
            "Namespace",
            &namespace,
            "Member must satisfy regular expression pattern: [^:].*",
        ));
    }
    if namespace.starts_with("AWS/") && namespace.chars().count() == 4 {
        return Err(invalid_value(
            "The namespace AWS/ names no service; give the full namespace, such as AWS/EC2.",
        ));
    }
    match (&put.statistic, &put.extended_statistic) {
        (Some(_), Some(_)) => {
            return Err(invalid_combination(
                "Statistic and ExtendedStatistic cannot both be given; give one of them.",
            ));
        }
        (None, None) => {
            return Err(ApiError::new(
                "MissingParameter",
                "One of Statistic or ExtendedStatistic must be given, such as Statistic=Average or ExtendedStatistic=p99.",
            ));
        }
        (Some(statistic), None) => check_enum("Statistic", statistic, &STATISTICS)?,
        (None, Some(extended)) => {
            if !is_percentile(extended) {
                return Err(invalid_value(format!(
                    "The value {extended} for parameter ExtendedStatistic is not supported; give a percentile from p0.0 to p100, such as p99 or p99.9."
                )));
            }
        }
    }
    let dimensions = dimensions_param(put.dimensions)?;
    let period = put.period.ok_or_else(|| missing("Period"))?;
    check_period(period)?;
    if let Some(unit) = &put.unit {
        check_enum("Unit", unit, &UNITS)?;
    }
    let evaluation_periods = put
        .evaluation_periods
        .ok_or_else(|| missing("EvaluationPeriods"))?;
    if evaluation_periods < 1 {
        return Err(validation(
            "EvaluationPeriods",
            &evaluation_periods.to_string(),
            "Member must have value greater than or equal to 1",
        ));
    }
    let (limit, words) = if period < 3600 {
        (
            MAX_EVALUATION_SHORT,
            "one day (86400 seconds) for periods under an hour",
        )
    } else {
        (MAX_EVALUATION_LONG, "seven days (604800 seconds)")
    };
    if period.saturating_mul(evaluation_periods) > limit {
        return Err(invalid_value(format!(
            "The evaluation period (Period {period} x EvaluationPeriods {evaluation_periods}) must not exceed {words}; use fewer or shorter periods."
        )));
    }
    if let Some(datapoints) = put.datapoints_to_alarm {
        if datapoints < 1 {
            return Err(validation(
                "DatapointsToAlarm",
                &datapoints.to_string(),
                "Member must have value greater than or equal to 1",
            ));
        }
        if datapoints > evaluation_periods {
            return Err(invalid_value(format!(
                "DatapointsToAlarm ({datapoints}) must be less than or equal to EvaluationPeriods ({evaluation_periods})."
            )));
        }
    }
    let threshold = put.threshold.ok_or_else(|| missing("Threshold"))?;
    let comparison_operator = put
        .comparison_operator
        .ok_or_else(|| missing("ComparisonOperator"))?;
    check_enum(
        "ComparisonOperator",
        &comparison_operator,
        &COMPARISON_OPERATORS,
    )?;
    if COMPARISON_OPERATORS[4..].contains(&comparison_operator.as_str()) {
        return Err(invalid_combination(format!(
            "{comparison_operator} compares with an anomaly detection band, which needs Metrics and ThresholdMetricId; the local cloud's alarms compare one metric with a Threshold, so use GreaterThanThreshold or another of the first four operators."
        )));
    }
    if let Some(treat) = &put.treat_missing_data {
        check_length("TreatMissingData", treat, 1, 255)?;
        if !TREAT_MISSING_DATA.contains(&treat.as_str()) {
            return Err(invalid_value(format!(
                "The value {treat} for parameter TreatMissingData is not supported; use breaching, notBreaching, ignore or missing."
            )));
        }
    }
    if let Some(evaluate) = &put.evaluate_low_sample_count_percentile
        && !matches!(evaluate.as_str(), "evaluate" | "ignore")
    {
        return Err(invalid_value(format!(
            "The value {evaluate} for parameter EvaluateLowSampleCountPercentile is not supported; use evaluate or ignore."
        )));
    }
    let ok_actions = put.ok_actions.unwrap_or_default();
    let alarm_actions = put.alarm_actions.unwrap_or_default();
    let insufficient_data_actions = put.insufficient_data_actions.unwrap_or_default();
    check_actions("OKActions", &ok_actions)?;
    check_actions("AlarmActions", &alarm_actions)?;
    check_actions("InsufficientDataActions", &insufficient_data_actions)?;
    let tags = tags_param(put.tags)?;
    let existing = cloudwatch.alarms.get(&name);
    let state = existing.map_or_else(
        || AlarmState {
            value: StateValue::InsufficientData,
            reason: "Unchecked: Initial alarm creation".to_owned(),
            reason_data: None,
            updated: context.now,
            transitioned: context.now,
        },
        |alarm| alarm.state.clone(),
    );
    let tags = existing.map_or(tags, |alarm| alarm.tags.clone());
    let arn = existing.map_or_else(
        || {
            format!(
                "arn:aws:cloudwatch:{}:{ACCOUNT_ID}:alarm:{name}",
                context.region
            )
        },
        |alarm| alarm.arn.clone(),
    );
    let alarm = MetricAlarm {
        name: name.clone(),
        arn,
        description: put.alarm_description,
        actions_enabled: put.actions_enabled.unwrap_or(true),
        ok_actions,
        alarm_actions,
        insufficient_data_actions,
        metric_name,
        namespace,
        statistic: put.statistic,
        extended_statistic: put.extended_statistic,
        dimensions,
        period,
        unit: put.unit,
        evaluation_periods,
        datapoints_to_alarm: put.datapoints_to_alarm,
        threshold,
        comparison_operator,
        treat_missing_data: put.treat_missing_data,
        evaluate_low_sample_count_percentile: put.evaluate_low_sample_count_percentile,
        tags,
        configuration_updated: context.now,
        state,
    };
    cloudwatch.alarms.insert(name, alarm);
    empty()
}

/// `DescribeAlarms`: by names or a name prefix, a state or an action
/// prefix, in name order, paged with `MaxRecords` and `NextToken`.
pub fn describe_alarms(cloudwatch: &CloudWatchState, _context: &Context, value: &Value) -> Answer {
    let describe: DescribeAlarmsInput = input(value)?;
    let names = describe.alarm_names.unwrap_or_default();
    if names.len() > MAX_NAMES {
        return Err(validation(
            "AlarmNames",
            &format!("{} names", names.len()),
            &format!(
                "Member must have length less than or equal to {MAX_NAMES}; ask for at most {MAX_NAMES} alarms at a time."
            ),
        ));
    }
    for name in &names {
        check_alarm_name("AlarmNames.member", name)?;
    }
    if let Some(prefix) = &describe.alarm_name_prefix {
        check_length("AlarmNamePrefix", prefix, 1, 255)?;
        if !names.is_empty() {
            return Err(invalid_combination(
                "AlarmNames and AlarmNamePrefix cannot be given together; give one of them.",
            ));
        }
    }
    if describe.children_of_alarm_name.is_some() || describe.parents_of_alarm_name.is_some() {
        return Err(invalid_value(
            "ChildrenOfAlarmName and ParentsOfAlarmName name composite alarms, which the local cloud does not have; leave them out.",
        ));
    }
    let state = describe
        .state_value
        .as_deref()
        .map(|text| {
            check_enum("StateValue", text, &STATE_VALUES)?;
            StateValue::parse(text).ok_or_else(|| invalid_value(text.to_owned()))
        })
        .transpose()?;
    if let Some(prefix) = &describe.action_prefix {
        check_length("ActionPrefix", prefix, 1, 1024)?;
    }
    let max_records = describe.max_records.unwrap_or(DEFAULT_MAX_RECORDS);
    if !(1..=100).contains(&max_records) {
        return Err(validation(
            "MaxRecords",
            &max_records.to_string(),
            "Member must have value between 1 and 100.",
        ));
    }
    let types = describe.alarm_types.unwrap_or_default();
    for kind in &types {
        check_enum(
            "AlarmTypes.member",
            kind,
            &["CompositeAlarm", "MetricAlarm"],
        )?;
    }
    let metric_alarms = types.is_empty() || types.iter().any(|kind| kind == "MetricAlarm");
    let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let alarms: Vec<(String, &MetricAlarm)> = cloudwatch
        .alarms
        .iter()
        .filter(|_| metric_alarms)
        .filter(|(name, _)| wanted.is_empty() || wanted.contains(name.as_str()))
        .filter(|(name, _)| {
            describe
                .alarm_name_prefix
                .as_ref()
                .is_none_or(|prefix| name.starts_with(prefix.as_str()))
        })
        .filter(|(_, alarm)| state.is_none_or(|state| alarm.state.value == state))
        .filter(|(_, alarm)| {
            describe.action_prefix.as_ref().is_none_or(|prefix| {
                alarm
                    .ok_actions
                    .iter()
                    .chain(&alarm.alarm_actions)
                    .chain(&alarm.insufficient_data_actions)
                    .any(|action| action.starts_with(prefix.as_str()))
            })
        })
        .map(|(name, alarm)| (name.clone(), alarm))
        .collect();
    let scope = format!(
        "DescribeAlarms/{names:?}/{:?}/{:?}/{:?}",
        describe.alarm_name_prefix, state, describe.action_prefix
    );
    let page = page_or(
        &scope,
        alarms,
        describe.next_token.as_deref(),
        max_records as usize,
        |token| {
            ApiError::new(
                "InvalidNextToken",
                format!(
                    "The NextToken {token} was not returned by DescribeAlarms with these filters; call it again without a NextToken to start from the first page."
                ),
            )
        },
    )?;
    output(&DescribeAlarmsOutput {
        metric_alarms: page.items.into_iter().map(MetricAlarmOutput::new).collect(),
        composite_alarms: Vec::new(),
        next_token: page.next_token,
    })
}

/// `SetAlarmState`: puts an alarm in a state, with a reason, until
/// something sets it again (nothing evaluates alarms in the local cloud).
pub fn set_alarm_state(
    cloudwatch: &mut CloudWatchState,
    context: &Context,
    value: &Value,
) -> Answer {
    let set: SetAlarmStateInput = input(value)?;
    let name = set.alarm_name.ok_or_else(|| missing("AlarmName"))?;
    check_alarm_name("AlarmName", &name)?;
    let text = set.state_value.ok_or_else(|| missing("StateValue"))?;
    check_enum("StateValue", &text, &STATE_VALUES)?;
    let state = StateValue::parse(&text).ok_or_else(|| invalid_value(text.clone()))?;
    let reason = set.state_reason.ok_or_else(|| missing("StateReason"))?;
    check_length("StateReason", &reason, 0, 1023)?;
    if let Some(data) = &set.state_reason_data {
        check_length("StateReasonData", data, 0, 4000)?;
        if serde_json::from_str::<Value>(data).is_err() {
            return Err(ApiError::new(
                "InvalidFormat",
                "StateReasonData is not valid JSON; send a JSON document, such as {\"reason\": \"test\"}, or leave it out.",
            ));
        }
    }
    if !cloudwatch.set_state(&name, state, &reason, set.state_reason_data, context.now) {
        return Err(not_found(format!(
            "Alarm {name} not found. Check the name (alarm names are case sensitive), or list alarms with DescribeAlarms."
        )));
    }
    empty()
}

/// `DeleteAlarms`: deletes the alarms named, all or none: if one of them
/// does not exist, nothing is deleted.
pub fn delete_alarms(
    cloudwatch: &mut CloudWatchState,
    _context: &Context,
    value: &Value,
) -> Answer {
    let delete: DeleteAlarmsInput = input(value)?;
    let names = delete.alarm_names.ok_or_else(|| missing("AlarmNames"))?;
    if names.len() > MAX_NAMES {
        return Err(validation(
            "AlarmNames",
            &format!("{} names", names.len()),
            &format!(
                "Member must have length less than or equal to {MAX_NAMES}; delete at most {MAX_NAMES} alarms at a time."
            ),
        ));
    }
    for name in &names {
        check_alarm_name("AlarmNames.member", name)?;
    }
    let unknown: Vec<&str> = names
        .iter()
        .filter(|name| !cloudwatch.alarms.contains_key(name.as_str()))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(not_found(format!(
            "The following alarms were not found: [{}]. Nothing was deleted; check the names, or list alarms with DescribeAlarms.",
            unknown.join(", ")
        )));
    }
    for name in &names {
        cloudwatch.alarms.remove(name.as_str());
    }
    empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_p0_to_p100_with_two_decimals() {
        for good in ["p0", "p0.0", "p50", "p99", "p99.9", "p99.99", "p100"] {
            assert!(is_percentile(good), "{good}");
        }
        for bad in ["p", "p101", "p99.999", "p-1", "99", "p9.", "pab", "P99"] {
            assert!(!is_percentile(bad), "{bad}");
        }
    }

    #[test]
    fn periods_are_short_or_whole_minutes() {
        for good in [10, 20, 30, 60, 300, 3600] {
            assert!(check_period(good).is_ok(), "{good}");
        }
        assert_eq!(check_period(0).unwrap_err().code, "ValidationError");
        assert_eq!(check_period(45).unwrap_err().code, "InvalidParameterValue");
    }
}
