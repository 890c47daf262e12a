//! The EC2 service of the local cloud (the `ec2Query` protocol, API version
//! 2016-11-15): the instance registry in [`state`], and the operations over
//! it that DeployDesk, the SDK and the AWS CLI use.
//!
//! A request is a form (`Action=DescribeInstances&Version=2016-11-15&...`)
//! in a POST body or a GET query string; [`query`] reads it. Each family of
//! operations lives in its own file, which reads its parameters, checks them
//! and applies them to the registry, and answers in EC2's XML ([`xml`]).
//! This file only maps an action to its function and handles what every
//! action shares: the version and `DryRun`.

pub mod filters;
pub mod iam_profiles;
pub mod instances;
pub mod lifecycle;
pub mod paging;
pub mod query;
pub mod regions;
pub mod state;
pub mod tags;
pub mod xml;

use axum::http::StatusCode;

pub use state::{
    DEFAULT_IMAGE_ID, DEFAULT_INSTANCE_TYPE, Ec2Instance, Ec2State, InstanceState, LaunchSpec,
    NAME_TAG, ProfileAssociation, STATE_TRANSITION_MILLIS, is_instance_id, is_resource_id,
};

use super::api_error::ApiError;
use super::clock::Timestamp;
use super::world::SharedWorld;
use query::Params;

/// The API version the local cloud speaks.
pub const VERSION: &str = "2016-11-15";

/// What an operation knows about the request besides its parameters.
#[derive(Debug, Clone)]
pub struct Context {
    /// The time of the request, from the local cloud's clock.
    pub now: Timestamp,
    /// The region the client signed the request for.
    pub region: String,
    /// The request's id, which the response carries.
    pub request_id: String,
    /// The action, e.g. `DescribeInstances`.
    pub action: String,
}

impl Context {
    /// Writes the response to this request with the members of `body`.
    pub fn respond<T: serde::Serialize>(&self, body: &T) -> Result<String, ApiError> {
        xml::response(&self.action, &self.request_id, body)
    }
}

/// An operation that only reads the registry.
type ReadOperation = fn(&Ec2State, &Context, &Params) -> Result<String, ApiError>;
/// An operation that may change the registry. It must check everything
/// before it changes anything, so that a failure leaves the registry as it
/// was.
type WriteOperation = fn(&mut Ec2State, &Context, &Params) -> Result<String, ApiError>;

/// An operation, by how it touches the registry.
enum Operation {
    /// Reads only.
    Read(ReadOperation),
    /// May write.
    Write(WriteOperation),
}

/// The function that implements `action`, if the local cloud has it.
fn operation(action: &str) -> Option<Operation> {
    use Operation::{Read, Write};
    Some(match action {
        "DescribeInstances" => Read(instances::describe),
        "RunInstances" => Write(instances::run),
        "StartInstances" => Write(lifecycle::start),
        "StopInstances" => Write(lifecycle::stop),
        "TerminateInstances" => Write(lifecycle::terminate),
        "CreateTags" => Write(tags::create),
        "DeleteTags" => Write(tags::delete),
        "DescribeTags" => Read(tags::describe),
        "AssociateIamInstanceProfile" => Write(iam_profiles::associate),
        "DescribeIamInstanceProfileAssociations" => Read(iam_profiles::describe),
        "DescribeRegions" => Read(regions::describe),
        _ => return None,
    })
}

/// Runs the EC2 action of `context` with the request's decoded form and
/// returns the XML response body.
pub fn handle(world: &SharedWorld, context: &Context, form: &[u8]) -> Result<String, ApiError> {
    let Some(operation) = operation(&context.action) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "The action {} is not valid for this web service; the local cloud's EC2 serves DescribeInstances, RunInstances, StartInstances, StopInstances, TerminateInstances, CreateTags, DeleteTags, DescribeTags, AssociateIamInstanceProfile, DescribeIamInstanceProfileAssociations and DescribeRegions.",
                context.action
            ),
        ));
    };
    let params = Params::parse(form)?;
    let version = params.required("Version")?;
    if version != VERSION {
        return Err(ApiError::new(
            "NoSuchVersion",
            format!(
                "The requested version ({version}) of service AmazonEC2 is not served by the local cloud; send Version={VERSION}."
            ),
        ));
    }
    if params.flag("DryRun")? {
        // Run the operation on a copy, so that a dry run fails exactly as
        // the real run would and changes nothing when it would succeed.
        world.read(|world| {
            let mut copy = world.ec2.clone();
            match &operation {
                Operation::Read(run) => run(&copy, context, &params),
                Operation::Write(run) => run(&mut copy, context, &params),
            }
        })?;
        return Err(ApiError {
            status: StatusCode::PRECONDITION_FAILED,
            code: "DryRunOperation",
            message: "Request would have succeeded, but DryRun flag is set.".to_owned(),
        });
    }
    match operation {
        Operation::Read(run) => world.read(|world| run(&world.ec2, context, &params)),
        Operation::Write(run) => world.write(|world| run(&mut world.ec2, context, &params)),
    }
}

/// The error for instance ids that are not instance ids.
pub fn malformed_instance_id(instance_id: &str) -> ApiError {
    ApiError::new(
        "InvalidInstanceID.Malformed",
        format!(
            "Invalid id: \"{instance_id}\" (expecting \"i-...\"); an instance id is i- and 8 or 17 lowercase hexadecimal digits."
        ),
    )
}

/// Checks a list of instance ids given as `InstanceId.N`: at least one,
/// each well formed and known. Unknown ids are reported together, as EC2
/// does.
pub fn known_instance_ids(ec2: &Ec2State, params: &Params) -> Result<Vec<String>, ApiError> {
    let instance_ids = params.list("InstanceId")?;
    if instance_ids.is_empty() {
        return Err(query::missing("InstanceId"));
    }
    check_instance_ids(ec2, &instance_ids)?;
    Ok(instance_ids)
}

/// Checks that every id in `instance_ids` is well formed and known.
pub fn check_instance_ids(ec2: &Ec2State, instance_ids: &[String]) -> Result<(), ApiError> {
    if let Some(bad) = instance_ids.iter().find(|id| !is_instance_id(id)) {
        return Err(malformed_instance_id(bad));
    }
    let unknown: Vec<&str> = instance_ids
        .iter()
        .filter(|id| !ec2.instances.contains_key(*id))
        .map(String::as_str)
        .collect();
    match unknown.as_slice() {
        [] => Ok(()),
        [one] => Err(ApiError::new(
            "InvalidInstanceID.NotFound",
            format!(
                "The instance ID '{one}' does not exist; check the id, or list instances with DescribeInstances."
            ),
        )),
        many => Err(ApiError::new(
            "InvalidInstanceID.NotFound",
            format!(
                "The instance IDs '{}' do not exist; check the ids, or list instances with DescribeInstances.",
                many.join(", ")
            ),
        )),
    }
}
