//! The one STS operation clients need from the local cloud:
//! `GetCallerIdentity`, which tells a client its account (the setup wizards
//! put it in trust policy conditions). Any credentials are the local cloud's
//! one user.

use super::ACCOUNT_ID;
use super::api_error::ApiError;

/// The API version the local cloud speaks.
pub const VERSION: &str = "2011-06-15";

/// The ARN every caller is.
pub fn caller_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:user/local-cloud")
}

/// Runs the STS `action`, answering in STS's XML.
pub fn handle(action: &str, request_id: &str) -> Result<String, ApiError> {
    if action != "GetCallerIdentity" {
        return Err(ApiError::new(
            "InvalidAction",
            format!("The local cloud's STS serves only GetCallerIdentity, not {action}."),
        ));
    }
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/{VERSION}/\"><GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AIDALOCALCLOUDUSER01</UserId><Account>{ACCOUNT_ID}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
        arn = caller_arn(),
    ))
}
