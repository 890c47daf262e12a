//! Elastic Load Balancing v2 as the server sees it: the `awsQuery`
//! protocol, API version 2015-12-01, signed for `elasticloadbalancing`,
//! and its operations by name.

use super::common::Context;
use super::state::Elbv2State;
use super::{listeners, load_balancers, tags, target_groups, targets};
use crate::localcloud::dispatch::Handler::{self, Read, ReadWorld, Write, WriteWorld};
use crate::localcloud::dispatch::{Call, Operations, Part, Run, Service, Shared};
use crate::localcloud::protocol::query::Params;
use crate::localcloud::protocol::{ApiError, QueryFlavour};

/// The API version the local cloud speaks.
pub const VERSION: &str = "2015-12-01";

/// The XML namespace of the responses.
pub const NAMESPACE: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

/// Elastic Load Balancing v2, registered with the server.
pub static SERVICE: Service = Service::query_signed_as(
    "elbv2",
    "elasticloadbalancing",
    "Elastic Load Balancing v2",
    VERSION,
    QueryFlavour::Aws,
    serve,
);

/// Elastic Load Balancing v2's part of the world.
const PART: Part<Elbv2State> = Part {
    of: |world| &world.elbv2,
    of_mut: |world| &mut world.elbv2,
};

/// An operation of Elastic Load Balancing v2.
type Elbv2Handler = Handler<Elbv2State, Context, Params, String>;

/// Every action the local cloud's Elastic Load Balancing v2 has.
static OPERATIONS: Operations<Elbv2Handler> = Operations::new(&[
    ("CreateLoadBalancer", Write(load_balancers::create)),
    ("DescribeLoadBalancers", Read(load_balancers::describe)),
    ("DeleteLoadBalancer", Write(load_balancers::delete)),
    ("CreateTargetGroup", Write(target_groups::create)),
    ("DescribeTargetGroups", Read(target_groups::describe)),
    ("ModifyTargetGroup", Write(target_groups::modify)),
    ("DeleteTargetGroup", Write(target_groups::delete)),
    (
        "DescribeTargetGroupAttributes",
        Read(target_groups::describe_attributes),
    ),
    (
        "ModifyTargetGroupAttributes",
        Write(target_groups::modify_attributes),
    ),
    ("CreateListener", Write(listeners::create)),
    ("DescribeListeners", Read(listeners::describe)),
    ("ModifyListener", Write(listeners::modify)),
    ("DeleteListener", Write(listeners::delete)),
    ("RegisterTargets", WriteWorld(targets::register)),
    ("DeregisterTargets", WriteWorld(targets::deregister)),
    ("DescribeTargetHealth", ReadWorld(targets::describe_health)),
    ("AddTags", Write(tags::add)),
    ("DescribeTags", Read(tags::describe)),
    ("RemoveTags", Write(tags::remove)),
]);

/// Runs the request of `call` whose form is `form`. A write works on a
/// copy of the service's state, so that a failure half way changes
/// nothing; the two that also read EC2 check everything before they
/// change anything.
fn serve(shared: &Shared, call: &Call, form: &[u8]) -> Result<String, ApiError> {
    let Some(handler) = OPERATIONS.find(&call.operation) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version {VERSION}; the local cloud's Elastic Load Balancing v2 serves {}.",
                call.operation,
                OPERATIONS.listed()
            ),
        ));
    };
    let params = Params::parse(form)?;
    let context = Context {
        now: call.now,
        region: call.region.clone(),
        request_id: call.request_id.clone(),
        action: call.operation.clone(),
        namespace: NAMESPACE,
    };
    handler.run(Run::AllOrNothing, &shared.world, &PART, &context, &params)
}
