//! Classic Elastic Load Balancing as the server sees it: the `awsQuery`
//! protocol, API version 2012-06-01, signed for `elasticloadbalancing`,
//! and its operations by name.

use super::state::ElbState;
use super::{attributes, instances, load_balancers};
use crate::localcloud::dispatch::Handler::{self, Read, ReadWorld, Write, WriteWorld};
use crate::localcloud::dispatch::{Call, Operations, Part, Run, Service, Shared};
use crate::localcloud::elbv2::common::Context;
use crate::localcloud::protocol::query::Params;
use crate::localcloud::protocol::{ApiError, QueryFlavour};

/// The API version the local cloud speaks.
pub const VERSION: &str = "2012-06-01";

/// The XML namespace of the responses.
pub const NAMESPACE: &str = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/";

/// Classic Elastic Load Balancing, registered with the server.
pub static SERVICE: Service = Service::query_signed_as(
    "elb",
    "elasticloadbalancing",
    "Elastic Load Balancing (classic)",
    VERSION,
    QueryFlavour::Aws,
    serve,
);

/// Classic Elastic Load Balancing's part of the world.
const PART: Part<ElbState> = Part {
    of: |world| &world.elb,
    of_mut: |world| &mut world.elb,
};

/// An operation of classic Elastic Load Balancing.
type ElbHandler = Handler<ElbState, Context, Params, String>;

/// Every action the local cloud's classic Elastic Load Balancing has.
static OPERATIONS: Operations<ElbHandler> = Operations::new(&[
    ("CreateLoadBalancer", Write(load_balancers::create)),
    ("DescribeLoadBalancers", Read(load_balancers::describe)),
    ("DeleteLoadBalancer", Write(load_balancers::delete)),
    (
        "ConfigureHealthCheck",
        Write(load_balancers::configure_health_check),
    ),
    (
        "RegisterInstancesWithLoadBalancer",
        WriteWorld(instances::register),
    ),
    (
        "DeregisterInstancesFromLoadBalancer",
        WriteWorld(instances::deregister),
    ),
    (
        "DescribeInstanceHealth",
        ReadWorld(instances::describe_health),
    ),
    ("DescribeLoadBalancerAttributes", Read(attributes::describe)),
    ("ModifyLoadBalancerAttributes", Write(attributes::modify)),
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
                "Could not find operation {} for version {VERSION}; the local cloud's classic Elastic Load Balancing serves {}.",
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
