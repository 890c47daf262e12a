//! Auto Scaling as the server sees it: the `awsQuery` protocol, API
//! version 2011-01-01, and its operations by name.
//!
//! Every operation reads EC2's state besides Auto Scaling's own (a group
//! launches from an EC2 launch template), so the table holds Auto
//! Scaling's own kind of operation, which gets both. A write works on a
//! copy of Auto Scaling's state that replaces it only if the operation
//! succeeds, so a failure half way changes nothing; EC2's state is only
//! read, and only the clock changes it (see [`super::state`]).

use super::common::{Answer, Context};
use super::state::AutoScalingState;
use super::{activities, groups, hooks, instances};
use crate::localcloud::dispatch::{Call, Operations, Service, Shared};
use crate::localcloud::ec2::Ec2State;
use crate::localcloud::protocol::query::Params;
use crate::localcloud::protocol::{ApiError, QueryFlavour};

/// The API version the local cloud speaks.
pub const VERSION: &str = "2011-01-01";

/// Auto Scaling, registered with the server.
pub static SERVICE: Service = Service::query(
    "autoscaling",
    "Auto Scaling",
    VERSION,
    QueryFlavour::Aws,
    serve,
);

/// An operation of Auto Scaling, by how it touches the world.
#[derive(Debug)]
enum Operation {
    /// Reads Auto Scaling's state (and EC2's).
    Read(fn(&AutoScalingState, &Ec2State, &Context, &Params) -> Answer),
    /// May change Auto Scaling's state, reading EC2's.
    Write(fn(&mut AutoScalingState, &Ec2State, &Context, &Params) -> Answer),
}

use Operation::{Read, Write};

/// Every action the local cloud's Auto Scaling has.
static OPERATIONS: Operations<Operation> = Operations::new(&[
    ("CreateAutoScalingGroup", Write(groups::create)),
    ("DescribeAutoScalingGroups", Read(groups::describe)),
    ("UpdateAutoScalingGroup", Write(groups::update)),
    ("SetDesiredCapacity", Write(groups::set_desired_capacity)),
    ("DeleteAutoScalingGroup", Write(groups::delete)),
    ("DescribeAutoScalingInstances", Read(instances::describe)),
    (
        "TerminateInstanceInAutoScalingGroup",
        Write(instances::terminate),
    ),
    ("PutLifecycleHook", Write(hooks::put)),
    ("DescribeLifecycleHooks", Read(hooks::describe)),
    ("DeleteLifecycleHook", Write(hooks::delete)),
    ("CompleteLifecycleAction", Write(hooks::complete)),
    ("RecordLifecycleActionHeartbeat", Write(hooks::heartbeat)),
    ("DescribeScalingActivities", Read(activities::describe)),
]);

/// Runs the Auto Scaling request of `call` whose form is `form`, answering
/// in Auto Scaling's XML.
fn serve(shared: &Shared, call: &Call, form: &[u8]) -> Result<String, ApiError> {
    let Some(operation) = OPERATIONS.find(&call.operation) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version {VERSION}; the local cloud's Auto Scaling serves {}.",
                call.operation,
                OPERATIONS.listed()
            ),
        ));
    };
    let params = Params::parse(form)?;
    if let Some(version) = params.get("Version")
        && version != VERSION
    {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version {version}; send Version={VERSION}.",
                call.operation
            ),
        ));
    }
    let context = Context {
        now: call.now,
        region: call.region.clone(),
        request_id: call.request_id.clone(),
        action: call.operation.clone(),
    };
    match operation {
        Read(run) => shared
            .world
            .read(|world| run(&world.autoscaling, &world.ec2, &context, &params)),
        Write(run) => shared.world.write(|world| {
            let mut copy = world.autoscaling.clone();
            let answer = run(&mut copy, &world.ec2, &context, &params)?;
            world.autoscaling = copy;
            Ok(answer)
        }),
    }
}
