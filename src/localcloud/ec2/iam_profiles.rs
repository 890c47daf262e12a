//! IAM instance profiles on instances: `AssociateIamInstanceProfile`,
//! `DescribeIamInstanceProfileAssociations`, and the `IamInstanceProfile`
//! parameter that `RunInstances` shares.
//!
//! A profile is named by `Name` or `Arn`. The local cloud has no IAM to
//! look profiles up in, so any well-formed name or ARN is accepted; a name
//! stands for `arn:aws:iam::ACCOUNT:instance-profile/NAME`.

use serde::Serialize;

use super::common::{Context, check_instance_ids};
use super::state::{Ec2State, InstanceState, ProfileAssociation};
use super::xml::{Items, ProfileXml};
use super::{filters, paging};
use crate::domain::iam_names::{
    IAM_NAME_PUNCTUATION, IamNameKind, MAX_PROFILE_NAME_LENGTH, parse_instance_profile_arn,
    validate_iam_name,
};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::{Params, invalid_value, missing};

/// Reads the `IamInstanceProfile.Name` / `IamInstanceProfile.Arn` of
/// `params` and returns the profile's ARN, or `None` if neither is given.
pub fn profile_arn(params: &Params) -> Result<Option<String>, ApiError> {
    let profile = params.nested("IamInstanceProfile");
    let name = profile.get("Name").filter(|name| !name.is_empty());
    let arn = profile.get("Arn").filter(|arn| !arn.is_empty());
    match (arn, name) {
        (None, None) => Ok(None),
        (Some(arn), name) => {
            let arn_name = parse_instance_profile_arn(arn)
                .map_err(|_| {
                    invalid_value(
                        "IamInstanceProfile.Arn",
                        arn,
                        "Expecting an instance profile ARN such as arn:aws:iam::000000000000:instance-profile/NAME.",
                    )
                })?
                .name;
            if name.is_some_and(|name| name != arn_name) {
                return Err(ApiError::new(
                    "InvalidParameterCombination",
                    format!(
                        "IamInstanceProfile.Name and IamInstanceProfile.Arn name different profiles ({} and {arn}); give one of them.",
                        name.unwrap_or_default()
                    ),
                ));
            }
            Ok(Some(arn.to_owned()))
        }
        (None, Some(name)) => {
            if validate_iam_name(IamNameKind::InstanceProfile, name).is_err() {
                return Err(invalid_value(
                    "IamInstanceProfile.Name",
                    name,
                    &format!(
                        "An instance profile name has 1 to {MAX_PROFILE_NAME_LENGTH} letters, digits and {IAM_NAME_PUNCTUATION}"
                    ),
                ));
            }
            Ok(Some(format!(
                "arn:aws:iam::{ACCOUNT_ID}:instance-profile/{name}"
            )))
        }
    }
}

/// An association as the two operations show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AssociationXml {
    /// The association's id.
    association_id: String,
    /// The instance.
    instance_id: String,
    /// The profile.
    iam_instance_profile: ProfileXml,
    /// `associating` just after the request, `associated` later.
    state: &'static str,
    /// When it was made.
    timestamp: String,
}

impl AssociationXml {
    /// The association of `instance_id`, in state `state`.
    fn new(instance_id: &str, association: &ProfileAssociation, state: &'static str) -> Self {
        Self {
            association_id: association.association_id.clone(),
            instance_id: instance_id.to_owned(),
            iam_instance_profile: association.into(),
            state,
            timestamp: association.associated_at.to_iso8601(),
        }
    }
}

/// `AssociateIamInstanceProfile`'s output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AssociateXml {
    /// The new association.
    iam_instance_profile_association: AssociationXml,
}

/// `AssociateIamInstanceProfile`: gives an instance without a profile the
/// profile named by `IamInstanceProfile.Name` or `.Arn`.
pub fn associate(
    ec2: &mut Ec2State,
    context: &Context,
    params: &Params,
) -> Result<String, ApiError> {
    let instance_id = params.required("InstanceId")?.to_owned();
    let arn = profile_arn(params)?.ok_or_else(|| missing("IamInstanceProfile"))?;
    check_instance_ids(ec2, std::slice::from_ref(&instance_id))?;
    if let Some(instance) = ec2.instances.get(&instance_id) {
        if !instance.state.exists() {
            return Err(ApiError::new(
                "IncorrectInstanceState",
                format!(
                    "The instance '{instance_id}' is {}; profiles can only be associated with instances that are not terminated.",
                    instance.state.name()
                ),
            ));
        }
        if let Some(existing) = &instance.iam_instance_profile {
            return Err(ApiError::new(
                "IncorrectState",
                format!(
                    "There is an existing association ({}) for instance {instance_id}; replace it with ReplaceIamInstanceProfileAssociation or disassociate it first.",
                    existing.association_id
                ),
            ));
        }
    }
    let association = ec2
        .associate_profile(&instance_id, &arn, context.now)
        .ok_or_else(|| {
            ApiError::internal(
                "The instance vanished while its profile was being associated; retry the request.",
            )
        })?;
    context.respond(&AssociateXml {
        iam_instance_profile_association: AssociationXml::new(
            &instance_id,
            &association,
            "associating",
        ),
    })
}

/// `DescribeIamInstanceProfileAssociations`' output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeXml {
    /// The associations on this page.
    iam_instance_profile_association_set: Items<AssociationXml>,
    /// The token for the next page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// `DescribeIamInstanceProfileAssociations`: the associations of instances
/// that are not terminated, chosen by `AssociationId.N` or filtered by
/// `instance-id` and `state`, in pages.
pub fn describe(ec2: &Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let association_ids = params.list("AssociationId")?;
    paging::not_with_ids(params, "AssociationId")?;
    let max_results = paging::max_results(params)?;
    let filters = filters::read(params, |name| name == "instance-id" || name == "state")?;
    let all: Vec<AssociationXml> = ec2
        .instances
        .values()
        .filter(|instance| instance.state != InstanceState::Terminated)
        .filter_map(|instance| {
            instance.iam_instance_profile.as_ref().map(|association| {
                AssociationXml::new(&instance.instance_id, association, "associated")
            })
        })
        .collect();
    if let Some(unknown) = association_ids.iter().find(|id| {
        !all.iter()
            .any(|association| association.association_id == **id)
    }) {
        return Err(ApiError::new(
            "InvalidAssociationID.NotFound",
            format!(
                "An association ID '{unknown}' does not exist; list associations without ids to see them."
            ),
        ));
    }
    let associations: Vec<(String, AssociationXml)> = all
        .into_iter()
        .filter(|association| {
            association_ids.is_empty() || association_ids.contains(&association.association_id)
        })
        .filter(|association| {
            filters.iter().all(|filter| {
                let value = if filter.name == "state" {
                    association.state
                } else {
                    association.instance_id.as_str()
                };
                filter.matches_any([value])
            })
        })
        .map(|association| (association.association_id.clone(), association))
        .collect();
    let page = paging::page(
        "DescribeIamInstanceProfileAssociations",
        associations,
        params,
        max_results,
    )?;
    context.respond(&DescribeXml {
        iam_instance_profile_association_set: page.items.into_iter().collect(),
        next_token: page.next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_named_by_name_or_arn() {
        let arn = |pairs: &[(&str, &str)]| profile_arn(&Params::from_pairs(pairs.iter().copied()));
        assert_eq!(arn(&[]).unwrap(), None);
        assert_eq!(
            arn(&[("IamInstanceProfile.Name", "CodeDeployDemo-EC2")])
                .unwrap()
                .as_deref(),
            Some("arn:aws:iam::000000000000:instance-profile/CodeDeployDemo-EC2")
        );
        let by_arn = "arn:aws:iam::123456789012:instance-profile/team/web";
        assert_eq!(
            arn(&[("IamInstanceProfile.Arn", by_arn)])
                .unwrap()
                .as_deref(),
            Some(by_arn)
        );
        assert_eq!(
            arn(&[
                ("IamInstanceProfile.Arn", by_arn),
                ("IamInstanceProfile.Name", "web")
            ])
            .unwrap()
            .as_deref(),
            Some(by_arn)
        );
        let error = arn(&[
            ("IamInstanceProfile.Arn", by_arn),
            ("IamInstanceProfile.Name", "db"),
        ])
        .unwrap_err();
        assert_eq!(error.code, "InvalidParameterCombination");
        for bad in [
            "arn:aws:iam::123:instance-profile/web",
            "arn:aws:iam::123456789012:role/web",
            "arn:aws:s3:::bucket",
            "not an arn",
        ] {
            assert_eq!(
                arn(&[("IamInstanceProfile.Arn", bad)]).unwrap_err().code,
                "InvalidParameterValue",
                "{bad}"
            );
        }
        assert_eq!(
            arn(&[("IamInstanceProfile.Name", "has space")])
                .unwrap_err()
                .code,
            "InvalidParameterValue"
        );
    }
}
