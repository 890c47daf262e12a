//! Systems Manager as the server sees it: the `awsJson1_1` protocol with
//! the target prefix `AmazonSSM`, and its operations by name.

use serde_json::Value;

use super::common::Context;
use super::state::SsmState;
use super::{associations, commands, instances};
use crate::localcloud::dispatch::Handler::{self, ReadWorld, WriteWorld};
use crate::localcloud::dispatch::{Call, Operations, Part, Service, Shared};
use crate::localcloud::protocol::ApiError;

/// The `X-Amz-Target` prefix of Systems Manager requests.
pub const TARGET_PREFIX: &str = "AmazonSSM";

/// Systems Manager, registered with the server.
pub static SERVICE: Service = Service::json("ssm", "Systems Manager", TARGET_PREFIX, serve);

/// Systems Manager's part of the world.
const PART: Part<SsmState> = Part {
    of: |world| &world.ssm,
    of_mut: |world| &mut world.ssm,
};

/// An operation of Systems Manager.
type SsmHandler = Handler<SsmState, Context, Value, Value>;

/// Every operation the local cloud's Systems Manager has.
static OPERATIONS: Operations<SsmHandler> = Operations::new(&[
    (
        "DescribeInstanceInformation",
        ReadWorld(instances::describe),
    ),
    ("SendCommand", WriteWorld(commands::send)),
    ("ListCommands", ReadWorld(commands::list)),
    (
        "ListCommandInvocations",
        ReadWorld(commands::list_invocations),
    ),
    ("GetCommandInvocation", ReadWorld(commands::get_invocation)),
    ("CreateAssociation", WriteWorld(associations::create)),
    ("DescribeAssociation", ReadWorld(associations::describe)),
    ("ListAssociations", ReadWorld(associations::list)),
    ("DeleteAssociation", WriteWorld(associations::delete)),
]);

/// Runs the Systems Manager operation of `call` with the raw request `body`.
fn serve(shared: &Shared, call: &Call, body: &[u8]) -> Result<Value, ApiError> {
    let context = Context {
        now: call.now,
        region: call.region.clone(),
    };
    OPERATIONS.serve_json(&SERVICE, &PART, &shared.world, call, body, &context)
}
