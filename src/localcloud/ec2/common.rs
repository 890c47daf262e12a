//! What the operations of EC2 share: the request's context, and checking
//! the instance ids a request names.

use super::state::{Ec2State, is_instance_id};
use super::xml;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::{Params, missing};

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
        return Err(missing("InstanceId"));
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
