//! EC2 as the server sees it: the `ec2Query` protocol, API version
//! 2016-11-15, and its operations by name. What every action shares is
//! handled here: the version and `DryRun`.

use axum::http::StatusCode;

use super::common::Context;
use super::state::Ec2State;
use super::{iam_profiles, instances, launch_templates, lifecycle, regions, tags};
use crate::localcloud::dispatch::Handler::{self, Read, Write};
use crate::localcloud::dispatch::{Call, Operations, Part, Run, Service, Shared};
use crate::localcloud::protocol::query::Params;
use crate::localcloud::protocol::{ApiError, QueryFlavour};

/// The API version the local cloud speaks.
pub const VERSION: &str = "2016-11-15";

/// EC2, registered with the server.
pub static SERVICE: Service = Service::query("ec2", "EC2", VERSION, QueryFlavour::Ec2, serve);

/// EC2's part of the world: the instance registry.
const PART: Part<Ec2State> = Part {
    of: |world| &world.ec2,
    of_mut: |world| &mut world.ec2,
};

/// An operation of EC2. One that may write must check everything before it
/// changes anything, so that a failure leaves the registry as it was.
type Ec2Handler = Handler<Ec2State, Context, Params, String>;

/// Every action the local cloud's EC2 has.
static OPERATIONS: Operations<Ec2Handler> = Operations::new(&[
    ("DescribeInstances", Read(instances::describe)),
    ("RunInstances", Write(instances::run)),
    ("StartInstances", Write(lifecycle::start)),
    ("StopInstances", Write(lifecycle::stop)),
    ("TerminateInstances", Write(lifecycle::terminate)),
    ("CreateTags", Write(tags::create)),
    ("DeleteTags", Write(tags::delete)),
    ("DescribeTags", Read(tags::describe)),
    (
        "AssociateIamInstanceProfile",
        Write(iam_profiles::associate),
    ),
    (
        "DescribeIamInstanceProfileAssociations",
        Read(iam_profiles::describe),
    ),
    ("DescribeRegions", Read(regions::describe)),
    ("CreateLaunchTemplate", Write(launch_templates::create)),
    ("DescribeLaunchTemplates", Read(launch_templates::describe)),
    (
        "DescribeLaunchTemplateVersions",
        Read(launch_templates::describe_versions),
    ),
    ("DeleteLaunchTemplate", Write(launch_templates::delete)),
]);

/// Runs the EC2 action of `call` with the request's form and returns the
/// XML response body.
fn serve(shared: &Shared, call: &Call, form: &[u8]) -> Result<String, ApiError> {
    let Some(handler) = OPERATIONS.find(&call.operation) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "The action {} is not valid for this web service; the local cloud's EC2 serves {}.",
                call.operation,
                OPERATIONS.listed()
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
    let context = Context {
        now: call.now,
        region: call.region.clone(),
        request_id: call.request_id.clone(),
        action: call.operation.clone(),
    };
    if params.flag("DryRun")? {
        // Run the operation on a copy, so that a dry run fails exactly as
        // the real run would and changes nothing when it would succeed.
        handler.run(Run::OnCopy, &shared.world, &PART, &context, &params)?;
        return Err(ApiError::with_status(
            StatusCode::PRECONDITION_FAILED,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    handler.run(Run::Plain, &shared.world, &PART, &context, &params)
}
