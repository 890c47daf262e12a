//! One error type for everything the client side does, with messages a
//! person can act on.

use std::error::Error as StdError;
use std::fmt::Write as _;

use aws_sdk_codedeploy::error::{ProvideErrorMetadata, SdkError};

/// What a cloud operation gives back: its answer, or a [`CloudError`].
pub type CloudResult<T> = Result<T, CloudError>;

/// What went wrong talking to AWS (or the local cloud), in words that say
/// what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    /// The SSO session behind a profile has expired.
    #[error(
        "The SSO session for profile \"{profile}\" has expired. Log in again with: aws sso login --profile {profile}"
    )]
    SsoExpired {
        /// The profile whose session expired.
        profile: String,
    },
    /// Credentials are missing, invalid or expired.
    #[error(
        "AWS did not accept the credentials: {detail}. Check the profile's credentials, or log in again."
    )]
    Credentials {
        /// What the SDK said.
        detail: String,
    },
    /// The caller lacks a permission.
    #[error(
        "Permission denied: {message}. Ask an administrator to allow {action} for your role or user."
    )]
    AccessDenied {
        /// The IAM action that was denied, as well as can be told.
        action: String,
        /// AWS's message.
        message: String,
    },
    /// AWS throttled the request.
    #[error(
        "AWS is throttling requests ({operation}); DeployDesk will retry more slowly. Try again in a moment."
    )]
    Throttled {
        /// The operation that was throttled.
        operation: String,
    },
    /// The resource does not exist.
    #[error("{message}")]
    NotFound {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// The resource already exists.
    #[error("{message}")]
    AlreadyExists {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// AWS refused the request's input.
    #[error("{message} ({code})")]
    Invalid {
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// The endpoint could not be reached.
    #[error(
        "Could not reach {endpoint}: {detail}. Check the network connection, the region, or that the endpoint is running."
    )]
    Unreachable {
        /// The endpoint, or "AWS".
        endpoint: String,
        /// What the connection attempt said.
        detail: String,
    },
    /// The local cloud could not start.
    #[error("The local cloud could not start: {0}")]
    LocalCloud(String),
    /// Any other service error.
    #[error("{operation} failed: {message} ({code})")]
    Service {
        /// The operation.
        operation: String,
        /// AWS's error code.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl CloudError {
    /// Whether retrying later may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Unreachable { .. })
    }

    /// Converts an SDK error from `operation`, made with `profile` (for the
    /// SSO message) against `endpoint`.
    pub fn from_sdk<E, R>(error: &SdkError<E, R>, operation: &str, context: &ErrorContext) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
        R: std::fmt::Debug,
    {
        match error {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let code = inner.code().unwrap_or("Unknown").to_owned();
                let message = inner.message().unwrap_or("no message").to_owned();
                Self::from_service_code(sdk_service::<E>(), operation, code, message)
            }
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                let detail = error_chain(error);
                credentials_problem(&detail, context).unwrap_or_else(|| Self::Unreachable {
                    endpoint: context.endpoint.clone(),
                    detail,
                })
            }
            SdkError::ConstructionFailure(_) => {
                let detail = error_chain(error);
                credentials_problem(&detail, context).unwrap_or_else(|| {
                    Self::Other(format!("{operation} could not be sent: {detail}"))
                })
            }
            _ => Self::Other(format!("{operation} failed: {}", error_chain(error))),
        }
    }

    /// Maps an AWS error code and message to the right kind of error.
    pub fn from_code(operation: &str, code: String, message: String) -> Self {
        Self::from_service_code(None, operation, code, message)
    }

    /// Like [`CloudError::from_code`], for an operation of `service` (as
    /// IAM names services, e.g. `s3`), which names the denied action when
    /// AWS's message does not.
    pub fn from_service_code(
        service: Option<&str>,
        operation: &str,
        code: String,
        message: String,
    ) -> Self {
        match code.as_str() {
            "ThrottlingException"
            | "Throttling"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "SlowDown"
            | "RequestThrottled" => Self::Throttled {
                operation: operation.to_owned(),
            },
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "UnauthorizedException" => {
                let action = denied_action(&message).unwrap_or_else(|| match service {
                    Some(service) => crate::domain::policy::iam_action(service, operation),
                    None => format!("the action behind {operation}"),
                });
                let message = message.trim_end().trim_end_matches('.').to_owned();
                Self::AccessDenied { action, message }
            }
            "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "AuthFailure" => Self::Credentials { detail: message },
            _ if code.ends_with("DoesNotExistException")
                || code.starts_with("NoSuch")
                || code.ends_with("NotFound") =>
            {
                Self::NotFound { code, message }
            }
            _ if code.ends_with("AlreadyExistsException") || code.ends_with("AlreadyExists") => {
                Self::AlreadyExists { code, message }
            }
            _ if code.starts_with("Invalid")
                || code.ends_with("RequiredException")
                || code == "ValidationException" =>
            {
                Self::Invalid { code, message }
            }
            _ => Self::Service {
                operation: operation.to_owned(),
                code,
                message,
            },
        }
    }
}

/// What an error needs to know about the session it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorContext {
    /// The profile in use, if any.
    pub profile: Option<String>,
    /// The endpoint, for "could not reach" messages.
    pub endpoint: String,
}

/// The IAM action named in an access-denied message, such as
/// `codedeploy:CreateApplication` in "... is not authorized to perform:
/// codedeploy:CreateApplication on resource ...".
fn denied_action(message: &str) -> Option<String> {
    let after = message.split("perform:").nth(1)?;
    let action = after.split_whitespace().next()?;
    let action = action.trim_end_matches([',', '.', ';']);
    action.contains(':').then(|| action.to_owned())
}

/// The error for a request that failed because its credentials could not
/// be loaded, if `detail` (an SDK error chain) says so: an expired SSO
/// session, or credentials missing or refused. A credential provider that
/// could not reach its own endpoint is a network problem, not this.
fn credentials_problem(detail: &str, context: &ErrorContext) -> Option<CloudError> {
    let lower = detail.to_lowercase();
    let sso_expired =
        lower.contains("sso") && (lower.contains("expired") || lower.contains("token is invalid"));
    if sso_expired {
        return Some(CloudError::SsoExpired {
            profile: context
                .profile
                .clone()
                .unwrap_or_else(|| "default".to_owned()),
        });
    }
    let network = [
        "dns error",
        "connection refused",
        "timed out",
        "timeout",
        "io error",
    ]
    .iter()
    .any(|sign| lower.contains(sign));
    let credentials = lower.contains("loading credentials")
        || lower.contains("no credentials")
        || lower.contains("credentials provider");
    (credentials && !network).then(|| CloudError::Credentials {
        detail: detail.to_owned(),
    })
}

/// The service an SDK error type belongs to, as IAM names it: `s3` for
/// `aws_sdk_s3::operation::put_object::PutObjectError`.
fn sdk_service<E>() -> Option<&'static str> {
    let name = std::any::type_name::<E>();
    let service = name.strip_prefix("aws_sdk_")?.split("::").next()?;
    (!service.is_empty()).then_some(service)
}

/// The error and its sources as one line.
fn error_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            let _ = write!(text, ": {cause_text}");
        }
        source = cause.source();
    }
    text
}

/// Turns SDK errors of `operation` on `session` into [`CloudError`]s, for
/// `map_err`.
pub(crate) fn sdk_error<E, R>(
    session: &super::Session,
    operation: &str,
) -> impl FnOnce(SdkError<E, R>) -> CloudError + use<E, R>
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    let context = session.error_context().clone();
    let operation = operation.to_owned();
    move |sdk_error| CloudError::from_sdk(&sdk_error, &operation, &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_iam_action() {
        let error = CloudError::from_code(
            "CreateApplication",
            "AccessDeniedException".to_owned(),
            "User: arn:aws:iam::1:user/x is not authorized to perform: codedeploy:CreateApplication on resource: app".to_owned(),
        );
        assert_eq!(
            error,
            CloudError::AccessDenied {
                action: "codedeploy:CreateApplication".to_owned(),
                message: "User: arn:aws:iam::1:user/x is not authorized to perform: codedeploy:CreateApplication on resource: app".to_owned(),
            }
        );
        assert!(
            error
                .to_string()
                .contains("allow codedeploy:CreateApplication")
        );
    }

    #[test]
    fn codes_map_to_kinds() {
        let kind = |code: &str| CloudError::from_code("Op", code.to_owned(), "m".to_owned());
        assert!(matches!(
            kind("ThrottlingException"),
            CloudError::Throttled { .. }
        ));
        assert!(matches!(
            kind("ApplicationDoesNotExistException"),
            CloudError::NotFound { .. }
        ));
        assert!(matches!(kind("NoSuchBucket"), CloudError::NotFound { .. }));
        assert!(matches!(
            kind("ApplicationAlreadyExistsException"),
            CloudError::AlreadyExists { .. }
        ));
        assert!(matches!(
            kind("InvalidApplicationNameException"),
            CloudError::Invalid { .. }
        ));
        assert!(matches!(
            kind("ExpiredTokenException"),
            CloudError::Credentials { .. }
        ));
        assert!(matches!(kind("SomethingElse"), CloudError::Service { .. }));
        assert!(kind("ThrottlingException").is_transient());
    }

    #[test]
    fn sso_message_gives_the_login_command() {
        let error = CloudError::SsoExpired {
            profile: "ops".to_owned(),
        };
        assert!(error.to_string().contains("aws sso login --profile ops"));
    }
}
