//! The query protocols: `ec2Query` (EC2) and `awsQuery` (IAM and STS, and
//! the query services to come).
//!
//! A request is a form (`Action=CreateRole&Version=2010-05-08&...`) in a
//! POST body or a GET query string, with lists and structures flattened
//! into numbered names (`InstanceId.1`, `Filter.1.Name`,
//! `Filter.1.Value.1`, `Tags.member.1.Key`, `IamInstanceProfile.Name`);
//! [`Params`] reads it. Answers are XML documents; the two protocols write
//! their errors differently ([`QueryFlavour`]).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;
use super::with_request_id;
use super::xml::{ErrorXml, error_document, xml_text};

/// The parameters of one query request, or of one member of a list in it,
/// by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// The decoded values by name.
    values: BTreeMap<String, String>,
}

/// The error for a parameter whose value the service would not accept.
pub fn invalid_value(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError::new(
        "InvalidParameterValue",
        format!("Value ({value}) for parameter {name} is invalid. {expected}"),
    )
}

/// The error for a required parameter that was not given.
pub fn missing(name: &str) -> ApiError {
    ApiError::new(
        "MissingParameter",
        format!(
            "The request must contain the parameter {name}; add it and send the request again."
        ),
    )
}

impl Params {
    /// Decodes a form (`a=1&b=2`, percent-encoded). A name given twice is
    /// refused with `InvalidParameter`, since the service could not tell
    /// which value was meant.
    pub fn parse(form: &[u8]) -> Result<Self, ApiError> {
        let mut values = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(form) {
            if name.is_empty() {
                continue;
            }
            if values
                .insert(name.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(ApiError::new(
                    "InvalidParameter",
                    format!(
                        "The parameter {name} was given more than once; give each parameter once."
                    ),
                ));
            }
        }
        Ok(Self { values })
    }

    /// Parameters from `(name, value)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `name`, which must be given and not empty
    /// (`MissingParameter` otherwise).
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| missing(name))
    }

    /// Whether any parameter is `name` or starts with `name.`.
    pub fn has(&self, name: &str) -> bool {
        self.values.keys().any(|key| {
            key.strip_prefix(name)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// The whole number `name`, if given (`InvalidParameterValue` if it is
    /// not one).
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|value| {
                value
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| invalid_value(name, value, "Expecting a whole number."))
            })
            .transpose()
    }

    /// The boolean `name`: `true` or `false`, `false` when absent.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(false),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(value) => Err(invalid_value(name, value, "Expecting true or false.")),
        }
    }

    /// The structure `name`: the parameters named `name.MEMBER`, by
    /// `MEMBER` (e.g. `IamInstanceProfile.Name` as `Name`).
    #[must_use]
    pub fn nested(&self, name: &str) -> Params {
        let prefix = format!("{name}.");
        Params {
            values: self
                .values
                .iter()
                .filter_map(|(key, value)| {
                    key.strip_prefix(&prefix)
                        .map(|member| (member.to_owned(), value.clone()))
                })
                .collect(),
        }
    }

    /// The list of strings `name.1`, `name.2`, ... in index order.
    pub fn list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        self.indexed(name)?
            .into_iter()
            .map(|(index, members)| {
                members.get("").map(str::to_owned).ok_or_else(|| {
                    unknown_parameter(&format!(
                        "{name}.{index}.{}",
                        members.values.keys().next().map_or("", String::as_str)
                    ))
                })
            })
            .collect()
    }

    /// The list of structures `name.1.MEMBER`, `name.2.MEMBER`, ... in index
    /// order, each as its own parameters by `MEMBER`.
    pub fn members(&self, name: &str) -> Result<Vec<Params>, ApiError> {
        self.indexed(name)?
            .into_iter()
            .map(|(index, members)| {
                if members.values.contains_key("") {
                    Err(unknown_parameter(&format!("{name}.{index}")))
                } else {
                    Ok(members)
                }
            })
            .collect()
    }

    /// The parameters under `name.N`, grouped by `N`, with what follows
    /// `name.N.` as their names (`""` for `name.N` itself). An index that is
    /// not a whole number from 1 makes the parameter unknown, as in AWS.
    fn indexed(&self, name: &str) -> Result<BTreeMap<u32, Params>, ApiError> {
        let prefix = format!("{name}.");
        let mut groups: BTreeMap<u32, Params> = BTreeMap::new();
        for (key, value) in &self.values {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            let (index_text, member) = rest.split_once('.').unwrap_or((rest, ""));
            // Only the plain spelling of a number from 1 is an index: not
            // `0`, `01` or `+1`, and not an index followed by an empty name.
            let index = index_text
                .parse::<u32>()
                .ok()
                .filter(|index| *index >= 1 && index.to_string() == index_text)
                .filter(|_| !rest.ends_with('.'))
                .ok_or_else(|| unknown_parameter(key))?;
            groups
                .entry(index)
                .or_default()
                .values
                .insert(member.to_owned(), value.clone());
        }
        Ok(groups)
    }
}

/// The error for a parameter the service does not know.
fn unknown_parameter(name: &str) -> ApiError {
    ApiError::new(
        "UnknownParameter",
        format!(
            "The parameter {name} is not recognized; members of a list are numbered from 1, as in {}.1.",
            name.split('.').next().unwrap_or(name)
        ),
    )
}

/// The two query protocols, which write their errors differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryFlavour {
    /// `ec2Query`: errors in `<Response><Errors><Error>`.
    Ec2,
    /// `awsQuery`: errors in `<ErrorResponse><Error>` with a `<Type>`, and
    /// answers in `<ActionResponse><ActionResult>`.
    Aws,
}

/// EC2's error document: `<Response><Errors><Error>..</Error></Errors>`.
#[derive(Serialize)]
struct Ec2ErrorXml<'a> {
    /// The one error, wrapped.
    #[serde(rename = "Errors")]
    errors: Ec2ErrorsXml<'a>,
    /// The request id.
    #[serde(rename = "RequestID")]
    request_id: &'a str,
}

/// The `<Errors>` list of EC2's error document.
#[derive(Serialize)]
struct Ec2ErrorsXml<'a> {
    /// The error.
    #[serde(rename = "Error")]
    error: ErrorXml<'a>,
}

/// The `awsQuery` error document: `<ErrorResponse><Error>..</Error>`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QueryErrorXml<'a> {
    /// The error.
    error: ErrorXml<'a>,
    /// The request id.
    request_id: &'a str,
}

/// A successful query protocol response with the XML `body`.
pub fn xml_response(body: String, request_id: &str) -> Response {
    let response = (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/xml;charset=UTF-8")],
        body,
    )
        .into_response();
    with_request_id(response, request_id)
}

/// A query protocol error in the document of `flavour`.
pub fn query_error(flavour: QueryFlavour, error: &ApiError, request_id: &str) -> Response {
    let message = xml_text(&error.message);
    let body = match flavour {
        QueryFlavour::Ec2 => {
            let document = Ec2ErrorXml {
                errors: Ec2ErrorsXml {
                    error: ErrorXml {
                        r#type: None,
                        code: error.code,
                        message,
                    },
                },
                request_id,
            };
            error_document("Response", &document, error)
        }
        QueryFlavour::Aws => {
            let document = QueryErrorXml {
                error: ErrorXml {
                    r#type: Some("Sender"),
                    code: error.code,
                    message,
                },
                request_id,
            };
            error_document("ErrorResponse", &document, error)
        }
    };
    let response = (error.status, [(CONTENT_TYPE, "text/xml")], body).into_response();
    with_request_id(response, request_id)
}

/// The `awsQuery` answer to `action` whose result is `result`, written as
/// `<ActionResult>` in `<ActionResponse xmlns="namespace">` with the
/// request id.
pub fn aws_query_response<T: Serialize>(
    action: &str,
    namespace: &str,
    request_id: &str,
    result: &T,
) -> Result<String, ApiError> {
    let result = quick_xml::se::to_string_with_root(&format!("{action}Result"), result)
        .map_err(|error| {
            ApiError::internal(format!(
                "The local cloud could not write its answer to {action} ({error}); please report this as a bug."
            ))
        })?;
    Ok(aws_query_envelope(action, namespace, request_id, &result))
}

/// The `awsQuery` answer to `action` that carries nothing but its request
/// id.
pub fn aws_query_empty_response(action: &str, namespace: &str, request_id: &str) -> String {
    aws_query_envelope(action, namespace, request_id, "")
}

/// `<ActionResponse>` around the written `result`.
fn aws_query_envelope(action: &str, namespace: &str, request_id: &str, result: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{namespace}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_structures_come_back_in_index_order() {
        let params = Params::parse(
            b"Action=DescribeInstances&InstanceId.2=i-2&InstanceId.10=i-10&InstanceId.1=i-1\
              &Filter.1.Name=tag%3AEnvironment&Filter.1.Value.1=production&Filter.1.Value.2=staging\
              &Filter.2.Name=instance-state-name&Filter.2.Value.1=running\
              &IamInstanceProfile.Name=web",
        )
        .unwrap();
        assert_eq!(params.get("Action"), Some("DescribeInstances"));
        assert_eq!(params.list("InstanceId").unwrap(), ["i-1", "i-2", "i-10"]);
        let filters = params.members("Filter").unwrap();
        assert_eq!(filters.len(), 2);
        assert_eq!(filters[0].get("Name"), Some("tag:Environment"));
        assert_eq!(filters[0].list("Value").unwrap(), ["production", "staging"]);
        assert_eq!(filters[1].list("Value").unwrap(), ["running"]);
        assert_eq!(params.nested("IamInstanceProfile").get("Name"), Some("web"));
        assert!(params.list("Nothing").unwrap().is_empty());
        assert!(params.has("Filter"));
        assert!(!params.has("Filt"));
    }

    #[test]
    fn bad_indices_and_repeated_names_are_refused() {
        for form in [
            "InstanceId.0=i-1",
            "InstanceId.x=i-1",
            "InstanceId.01=i-1",
            "InstanceId.-1=i-1",
            "InstanceId.1.Extra=i-1",
        ] {
            let error = Params::parse(form.as_bytes())
                .unwrap()
                .list("InstanceId")
                .unwrap_err();
            assert_eq!(error.code, "UnknownParameter", "{form}");
        }
        let error = Params::parse(b"Filter.1=x")
            .unwrap()
            .members("Filter")
            .unwrap_err();
        assert_eq!(error.code, "UnknownParameter");
        let error = Params::parse(b"InstanceId.1=a&InstanceId.1=b").unwrap_err();
        assert_eq!(error.code, "InvalidParameter");
    }

    #[test]
    fn numbers_flags_and_required_values_are_checked() {
        let params =
            Params::parse(b"MinCount=2&MaxCount=lots&DryRun=true&Force=maybe&ImageId=").unwrap();
        assert_eq!(params.int("MinCount").unwrap(), Some(2));
        assert_eq!(params.int("Absent").unwrap(), None);
        assert_eq!(
            params.int("MaxCount").unwrap_err().code,
            "InvalidParameterValue"
        );
        assert!(params.flag("DryRun").unwrap());
        assert!(!params.flag("Absent").unwrap());
        assert_eq!(
            params.flag("Force").unwrap_err().code,
            "InvalidParameterValue"
        );
        let error = params.required("ImageId").unwrap_err();
        assert_eq!(error.code, "MissingParameter");
        assert!(error.message.contains("ImageId"));
    }

    #[test]
    fn malformed_escapes_and_bytes_decode_without_failing() {
        let params = Params::parse(b"Name=100%&Value=%zz&Other=%ff%fe&=skipped").unwrap();
        assert_eq!(params.get("Name"), Some("100%"));
        assert_eq!(params.get("Value"), Some("%zz"));
        assert_eq!(params.get("Other"), Some("\u{fffd}\u{fffd}"));
    }
}
