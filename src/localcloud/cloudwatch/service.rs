//! CloudWatch as the server sees it: Smithy RPC v2 CBOR under the service
//! name `GraniteServiceVersion20100801` (and the same operations in
//! `awsJson1_0`, with that name as the target prefix, as the AWS CLI v1
//! sends them), and its operations by name.

use serde_json::Value;

use super::alarms;
use super::common::{Context, TIMESTAMPS, error_type};
use super::state::CloudWatchState;
use crate::localcloud::dispatch::Handler::{self, Read, Write};
use crate::localcloud::dispatch::{Call, CborApi, Operations, Part, Run, Service, Shared};
use crate::localcloud::protocol::ApiError;

/// CloudWatch's name in the paths of its requests.
pub const SERVICE_NAME: &str = "GraniteServiceVersion20100801";

/// CloudWatch, registered with the server. Its requests are signed for
/// `monitoring`, and IAM's actions are `cloudwatch:...`.
pub static SERVICE: Service = Service::rpc_v2_cbor(
    "cloudwatch",
    "CloudWatch",
    CborApi {
        service_name: SERVICE_NAME,
        timestamps: TIMESTAMPS,
        error_type,
        serve,
    },
);

/// CloudWatch's part of the world.
const PART: Part<CloudWatchState> = Part {
    of: |world| &world.cloudwatch,
    of_mut: |world| &mut world.cloudwatch,
};

/// An operation of CloudWatch.
type CloudWatchHandler = Handler<CloudWatchState, Context, Value, Value>;

/// Every operation the local cloud's CloudWatch has.
static OPERATIONS: Operations<CloudWatchHandler> = Operations::new(&[
    ("PutMetricAlarm", Write(alarms::put_metric_alarm)),
    ("DescribeAlarms", Read(alarms::describe_alarms)),
    ("SetAlarmState", Write(alarms::set_alarm_state)),
    ("DeleteAlarms", Write(alarms::delete_alarms)),
]);

/// Runs the CloudWatch request of `call` whose input is `input`. A write
/// works on a copy of CloudWatch's state, so that a failure half way
/// changes nothing.
fn serve(shared: &Shared, call: &Call, input: &Value) -> Result<Value, ApiError> {
    let Some(handler) = OPERATIONS.find(&call.operation) else {
        return Err(ApiError::new(
            "UnknownOperationException",
            format!(
                "The local cloud does not implement CloudWatch operation {} yet; it serves {}.",
                call.operation,
                OPERATIONS.listed()
            ),
        ));
    };
    let context = Context {
        now: call.now,
        region: call.region.clone(),
    };
    handler.run(Run::AllOrNothing, &shared.world, &PART, &context, input)
}
