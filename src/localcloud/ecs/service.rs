//! ECS as the server sees it: the `awsJson1_1` protocol with the target
//! prefix `AmazonEC2ContainerServiceV20141113`, and its operations by name.

use serde_json::Value;

use super::common::Context;
use super::state::EcsState;
use super::{clusters, services, tags, task_definitions, task_sets};
use crate::localcloud::dispatch::Handler::{self, Read, Write, WriteWorld};
use crate::localcloud::dispatch::{Call, Operations, Part, Service, Shared};
use crate::localcloud::protocol::ApiError;

/// The `X-Amz-Target` prefix of ECS requests.
pub const TARGET_PREFIX: &str = "AmazonEC2ContainerServiceV20141113";

/// ECS, registered with the server.
pub static SERVICE: Service = Service::json("ecs", "ECS", TARGET_PREFIX, serve);

/// ECS's part of the world.
const PART: Part<EcsState> = Part {
    of: |world| &world.ecs,
    of_mut: |world| &mut world.ecs,
};

/// An operation of ECS.
type EcsHandler = Handler<EcsState, Context, Value, Value>;

/// Every operation the local cloud's ECS has.
static OPERATIONS: Operations<EcsHandler> = Operations::new(&[
    ("CreateCluster", Write(clusters::create)),
    ("DescribeClusters", Read(clusters::describe)),
    ("ListClusters", Read(clusters::list)),
    ("DeleteCluster", Write(clusters::delete)),
    ("RegisterTaskDefinition", Write(task_definitions::register)),
    ("DescribeTaskDefinition", Read(task_definitions::describe)),
    ("ListTaskDefinitions", Read(task_definitions::list)),
    (
        "ListTaskDefinitionFamilies",
        Read(task_definitions::list_families),
    ),
    (
        "DeregisterTaskDefinition",
        Write(task_definitions::deregister),
    ),
    ("CreateService", WriteWorld(services::create)),
    ("DescribeServices", Read(services::describe)),
    ("ListServices", Read(services::list)),
    ("UpdateService", Write(services::update)),
    ("DeleteService", Write(services::delete)),
    ("CreateTaskSet", WriteWorld(task_sets::create)),
    ("DescribeTaskSets", Read(task_sets::describe)),
    ("UpdateTaskSet", Write(task_sets::update)),
    (
        "UpdateServicePrimaryTaskSet",
        Write(task_sets::update_primary),
    ),
    ("DeleteTaskSet", Write(task_sets::delete)),
    ("TagResource", Write(tags::tag)),
    ("UntagResource", Write(tags::untag)),
    ("ListTagsForResource", Read(tags::list)),
]);

/// Runs the ECS operation of `call` with the raw request `body`.
fn serve(shared: &Shared, call: &Call, body: &[u8]) -> Result<Value, ApiError> {
    let context = Context {
        now: call.now,
        region: call.region.clone(),
    };
    OPERATIONS.serve_json(&SERVICE, &PART, &shared.world, call, body, &context)
}
