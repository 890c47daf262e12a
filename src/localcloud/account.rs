//! The one account the local cloud has, and the one user every caller is:
//! any credentials are accepted and act as that user.

/// The one account the local cloud has.
pub const ACCOUNT_ID: &str = "000000000000";

/// The ARN every caller is, as `GetCallerIdentity` names it and as denied
/// actions quote it.
pub fn caller_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:user/local-cloud")
}
