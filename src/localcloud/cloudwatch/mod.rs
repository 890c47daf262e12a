//! CloudWatch alarms in the local cloud (Smithy RPC v2 CBOR, the protocol
//! the AWS SDK for Rust and the AWS CLI speak to CloudWatch; API version
//! 2010-08-01).
//!
//! A request is `POST /service/GraniteServiceVersion20100801/operation/PutMetricAlarm`
//! with a CBOR map as its body. [`service`] registers CloudWatch with the
//! server and maps an operation to its function; [`alarms`] holds the
//! operations (`PutMetricAlarm`, `DescribeAlarms`, `SetAlarmState`,
//! `DeleteAlarms`) over the state in [`state`]; [`common`] reads their
//! inputs and words CloudWatch's errors.
//!
//! Nothing publishes metrics to the local cloud, so alarms are never
//! evaluated: a new alarm is `INSUFFICIENT_DATA`, and only `SetAlarmState`
//! changes its state. The deployment engine reads an alarm's state through
//! [`CloudWatchState::alarm_state`].

pub mod alarms;
pub mod common;
pub mod service;
pub mod state;

pub use state::{AlarmState, CloudWatchState, MetricAlarm, StateValue};
