//! IAM as the server sees it: the `awsQuery` protocol, API version
//! 2010-05-08, and its operations by name.

use super::common::Context;
use super::state::IamState;
use super::{policies, profiles, roles};
use crate::localcloud::dispatch::Handler::{self, Read, Write};
use crate::localcloud::dispatch::{Call, Operations, Part, Run, Service, Shared};
use crate::localcloud::protocol::query::Params;
use crate::localcloud::protocol::{ApiError, QueryFlavour};

/// The API version the local cloud speaks.
pub const VERSION: &str = "2010-05-08";

/// IAM, registered with the server.
pub static SERVICE: Service = Service::query("iam", "IAM", VERSION, QueryFlavour::Aws, serve);

/// IAM's part of the world.
const PART: Part<IamState> = Part {
    of: |world| &world.iam,
    of_mut: |world| &mut world.iam,
};

/// An operation of IAM.
type IamHandler = Handler<IamState, Context, Params, String>;

/// Every action the local cloud's IAM has.
static OPERATIONS: Operations<IamHandler> = Operations::new(&[
    ("CreateRole", Write(roles::create)),
    ("GetRole", Read(roles::get)),
    ("ListRoles", Read(roles::list)),
    ("DeleteRole", Write(roles::delete)),
    (
        "UpdateAssumeRolePolicy",
        Write(roles::update_assume_role_policy),
    ),
    ("AttachRolePolicy", Write(policies::attach)),
    ("DetachRolePolicy", Write(policies::detach)),
    ("ListAttachedRolePolicies", Read(policies::list_attached)),
    ("CreatePolicy", Write(policies::create)),
    ("GetPolicy", Read(policies::get)),
    ("GetPolicyVersion", Read(policies::get_version)),
    ("ListPolicies", Read(policies::list)),
    ("DeletePolicy", Write(policies::delete)),
    ("PutRolePolicy", Write(policies::put_inline)),
    ("GetRolePolicy", Read(policies::get_inline)),
    ("ListRolePolicies", Read(policies::list_inline)),
    ("DeleteRolePolicy", Write(policies::delete_inline)),
    ("CreateInstanceProfile", Write(profiles::create)),
    ("GetInstanceProfile", Read(profiles::get)),
    ("ListInstanceProfiles", Read(profiles::list)),
    ("DeleteInstanceProfile", Write(profiles::delete)),
    ("AddRoleToInstanceProfile", Write(profiles::add_role)),
    (
        "RemoveRoleFromInstanceProfile",
        Write(profiles::remove_role),
    ),
    ("ListInstanceProfilesForRole", Read(profiles::list_for_role)),
]);

/// Runs the IAM request of `call` whose form is `form`, answering in IAM's
/// XML. A write works on a copy of IAM's state, so that a failure half way
/// changes nothing.
fn serve(shared: &Shared, call: &Call, form: &[u8]) -> Result<String, ApiError> {
    let Some(handler) = OPERATIONS.find(&call.operation) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "Could not find operation {} for version {VERSION}; the local cloud's IAM serves {}.",
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
        request_id: call.request_id.clone(),
        action: call.operation.clone(),
    };
    handler.run(Run::AllOrNothing, &shared.world, &PART, &context, &params)
}
