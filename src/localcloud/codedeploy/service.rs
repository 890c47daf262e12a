//! CodeDeploy as the server sees it: the `awsJson1_1` protocol with the
//! target prefix `CodeDeploy_20141006`, and its operations by name.

use serde_json::Value;

use super::common::Context;
use super::state::CodeDeployState;
use super::{
    applications, deployment_configs, deployment_groups, deployments, hooks, on_premises,
    revisions, tags, targets,
};
use crate::localcloud::dispatch::Handler::{self, Read, ReadWorld, Write, WriteWorld};
use crate::localcloud::dispatch::{Call, Operations, Part, Service, Shared};
use crate::localcloud::protocol::ApiError;

/// The `X-Amz-Target` prefix of CodeDeploy requests.
pub const TARGET_PREFIX: &str = "CodeDeploy_20141006";

/// CodeDeploy, registered with the server.
pub static SERVICE: Service = Service::json("codedeploy", "CodeDeploy", TARGET_PREFIX, serve);

/// CodeDeploy's part of the world.
const PART: Part<CodeDeployState> = Part {
    of: |world| &world.codedeploy,
    of_mut: |world| &mut world.codedeploy,
};

/// An operation of CodeDeploy.
type CodeDeployHandler = Handler<CodeDeployState, Context, Value, Value>;

/// Every operation the local cloud's CodeDeploy has.
static OPERATIONS: Operations<CodeDeployHandler> = Operations::new(&[
    ("CreateApplication", Write(applications::create)),
    ("GetApplication", Read(applications::get)),
    ("BatchGetApplications", Read(applications::batch_get)),
    ("ListApplications", Read(applications::list)),
    ("UpdateApplication", Write(applications::update)),
    ("DeleteApplication", Write(applications::delete)),
    (
        "CreateDeploymentGroup",
        WriteWorld(deployment_groups::create),
    ),
    ("GetDeploymentGroup", Read(deployment_groups::get)),
    (
        "BatchGetDeploymentGroups",
        Read(deployment_groups::batch_get),
    ),
    ("ListDeploymentGroups", Read(deployment_groups::list)),
    (
        "UpdateDeploymentGroup",
        WriteWorld(deployment_groups::update),
    ),
    (
        "DeleteDeploymentGroup",
        WriteWorld(deployment_groups::delete),
    ),
    ("CreateDeploymentConfig", Write(deployment_configs::create)),
    ("GetDeploymentConfig", Read(deployment_configs::get)),
    ("ListDeploymentConfigs", Read(deployment_configs::list)),
    ("DeleteDeploymentConfig", Write(deployment_configs::delete)),
    ("RegisterApplicationRevision", Write(revisions::register)),
    ("GetApplicationRevision", ReadWorld(revisions::get)),
    (
        "BatchGetApplicationRevisions",
        ReadWorld(revisions::batch_get),
    ),
    ("ListApplicationRevisions", ReadWorld(revisions::list)),
    ("RegisterOnPremisesInstance", Write(on_premises::register)),
    (
        "DeregisterOnPremisesInstance",
        Write(on_premises::deregister),
    ),
    ("GetOnPremisesInstance", Read(on_premises::get)),
    ("BatchGetOnPremisesInstances", Read(on_premises::batch_get)),
    ("ListOnPremisesInstances", Read(on_premises::list)),
    ("AddTagsToOnPremisesInstances", Write(on_premises::add_tags)),
    (
        "RemoveTagsFromOnPremisesInstances",
        Write(on_premises::remove_tags),
    ),
    ("CreateDeployment", WriteWorld(deployments::create)),
    ("GetDeployment", Read(deployments::get)),
    ("BatchGetDeployments", Read(deployments::batch_get)),
    ("ListDeployments", Read(deployments::list)),
    ("StopDeployment", WriteWorld(deployments::stop)),
    (
        "PutLifecycleEventHookExecutionStatus",
        WriteWorld(hooks::put_status),
    ),
    (
        "ContinueDeployment",
        WriteWorld(deployments::continue_deployment),
    ),
    ("ListDeploymentTargets", Read(targets::list_targets)),
    (
        "BatchGetDeploymentTargets",
        Read(targets::batch_get_targets),
    ),
    ("GetDeploymentTarget", Read(targets::get_target)),
    ("ListDeploymentInstances", Read(targets::list_instances)),
    (
        "BatchGetDeploymentInstances",
        Read(targets::batch_get_instances),
    ),
    ("GetDeploymentInstance", Read(targets::get_instance)),
    ("TagResource", Write(tags::tag_resource)),
    ("UntagResource", Write(tags::untag_resource)),
    ("ListTagsForResource", Read(tags::list_tags_for_resource)),
]);

/// Runs the CodeDeploy operation of `call` with the raw request `body`.
fn serve(shared: &Shared, call: &Call, body: &[u8]) -> Result<Value, ApiError> {
    let context = Context {
        now: call.now,
        region: call.region.clone(),
        engine: shared.engine,
    };
    OPERATIONS.serve_json(&SERVICE, &PART, &shared.world, call, body, &context)
}
