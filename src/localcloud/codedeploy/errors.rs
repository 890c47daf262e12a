//! CodeDeploy's exceptions for what does not exist, raised both by the
//! operations and by the deployment engine, which sits below them.

use crate::localcloud::protocol::ApiError;

/// The error for an application that does not exist.
pub fn no_such_application(name: &str) -> ApiError {
    ApiError::new(
        "ApplicationDoesNotExistException",
        format!(
            "No application named \"{name}\" exists in this account; check the name, or create it with CreateApplication."
        ),
    )
}

/// The error for a group that does not exist.
pub fn no_such_group(application: &str, group: &str) -> ApiError {
    ApiError::new(
        "DeploymentGroupDoesNotExistException",
        format!(
            "The application \"{application}\" has no deployment group named \"{group}\"; check the name, or create it with CreateDeploymentGroup."
        ),
    )
}
