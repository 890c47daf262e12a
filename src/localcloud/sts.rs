//! The one STS operation clients need from the local cloud:
//! `GetCallerIdentity`, which tells a client its account (the setup wizards
//! put it in trust policy conditions). Any credentials are the local cloud's
//! one user. STS is small enough to be one file: its registration with the
//! server and its operation.

use serde::Serialize;

use super::account::{ACCOUNT_ID, caller_arn};
use super::dispatch::{Call, Operations, Service, Shared};
use super::protocol::query::aws_query_response;
use super::protocol::{ApiError, QueryFlavour};

/// The API version the local cloud speaks.
pub const VERSION: &str = "2011-06-15";
/// The XML namespace of STS's responses.
const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// STS, registered with the server.
pub static SERVICE: Service = Service::query("sts", "STS", VERSION, QueryFlavour::Aws, serve);

/// An operation of STS: it needs nothing but the call.
type StsHandler = fn(&Call) -> Result<String, ApiError>;

/// Every action the local cloud's STS has.
static OPERATIONS: Operations<StsHandler> =
    Operations::new(&[("GetCallerIdentity", get_caller_identity)]);

/// Runs the STS action of `call`, answering in STS's XML.
fn serve(_shared: &Shared, call: &Call, _form: &[u8]) -> Result<String, ApiError> {
    let Some(handler) = OPERATIONS.find(&call.operation) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!(
                "The local cloud's STS serves only {}, not {}.",
                OPERATIONS.listed(),
                call.operation
            ),
        ));
    };
    handler(call)
}

/// `<GetCallerIdentityResult>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CallerIdentity {
    arn: String,
    user_id: &'static str,
    account: &'static str,
}

/// `GetCallerIdentity`: the local cloud's one user, in its one account.
fn get_caller_identity(call: &Call) -> Result<String, ApiError> {
    let identity = CallerIdentity {
        arn: caller_arn(),
        user_id: "AIDALOCALCLOUDUSER01",
        account: ACCOUNT_ID,
    };
    aws_query_response(&call.operation, NAMESPACE, &call.request_id, &identity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::localcloud::clock::Timestamp;

    #[test]
    fn the_caller_is_the_one_user_in_the_one_account() {
        let call = Call {
            now: Timestamp::from_secs(0),
            region: "us-east-1".to_owned(),
            request_id: "req-1".to_owned(),
            operation: "GetCallerIdentity".to_owned(),
        };
        assert_eq!(
            get_caller_identity(&call).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:user/local-cloud</Arn><UserId>AIDALOCALCLOUDUSER01</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
    }
}
