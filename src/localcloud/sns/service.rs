//! SNS as the server sees it: the `awsQuery` protocol, API version
//! 2010-03-31, and its operations by name.

use super::common::{Context, VERSION};
use super::state::SnsState;
use super::{publish, subscriptions, topics};
use crate::localcloud::dispatch::Handler::{self, Read, Write};
use crate::localcloud::dispatch::{Call, Operations, Part, Run, Service, Shared};
use crate::localcloud::protocol::query::Params;
use crate::localcloud::protocol::{ApiError, QueryFlavour};

/// SNS, registered with the server.
pub static SERVICE: Service = Service::query("sns", "SNS", VERSION, QueryFlavour::Aws, serve);

/// SNS's part of the world.
const PART: Part<SnsState> = Part {
    of: |world| &world.sns,
    of_mut: |world| &mut world.sns,
};

/// An operation of SNS.
type SnsHandler = Handler<SnsState, Context, Params, String>;

/// Every action the local cloud's SNS has.
static OPERATIONS: Operations<SnsHandler> = Operations::new(&[
    ("CreateTopic", Write(topics::create)),
    ("DeleteTopic", Write(topics::delete)),
    ("ListTopics", Read(topics::list)),
    ("GetTopicAttributes", Read(topics::get_attributes)),
    ("SetTopicAttributes", Write(topics::set_attributes)),
    ("Subscribe", Write(subscriptions::subscribe)),
    ("ConfirmSubscription", Write(subscriptions::confirm)),
    ("Unsubscribe", Write(subscriptions::unsubscribe)),
    ("ListSubscriptions", Read(subscriptions::list)),
    (
        "ListSubscriptionsByTopic",
        Read(subscriptions::list_by_topic),
    ),
    ("Publish", Write(publish::publish)),
]);

/// Runs the SNS request of `call` whose form is `form`, answering in SNS's
/// XML. A write works on a copy of SNS's state, so that a failure half way
/// changes nothing (and queues no delivery).
fn serve(shared: &Shared, call: &Call, form: &[u8]) -> Result<String, ApiError> {
    let Some(handler) = OPERATIONS.find(&call.operation) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version {VERSION}; the local cloud's SNS serves {}.",
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
    handler.run(Run::AllOrNothing, &shared.world, &PART, &context, &params)
}
