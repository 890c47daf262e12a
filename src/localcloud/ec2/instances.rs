//! `DescribeInstances` and `RunInstances`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::common::{Context, check_instance_ids};
use super::state::{
    DEFAULT_INSTANCE_TYPE, Ec2Instance, Ec2State, InstanceState, LaunchSpec, is_resource_id,
};
use super::xml::{InstanceXml, Items, ReservationXml};
use super::{filters, iam_profiles, paging, tags};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::{Params, invalid_value, missing};

/// The most instances one `RunInstances` call launches.
pub const MAX_LAUNCH: i64 = 1000;

/// The filters `DescribeInstances` takes, besides `tag:KEY`.
const DESCRIBE_FILTERS: [&str; 12] = [
    "instance-id",
    "instance-state-name",
    "instance-state-code",
    "instance-type",
    "image-id",
    "reservation-id",
    "availability-zone",
    "private-ip-address",
    "private-dns-name",
    "tag-key",
    "tag-value",
    "iam-instance-profile.arn",
];

/// The resource types a `TagSpecification` of `RunInstances` may name.
/// Only instances exist in the local cloud; tags for the others are
/// accepted and not kept.
const TAGGABLE_AT_LAUNCH: [&str; 6] = [
    "instance",
    "volume",
    "network-interface",
    "spot-instances-request",
    "elastic-gpu",
    "launch-template",
];

/// An instance's values for the filter `name`, which must be one
/// `DescribeInstances` takes.
fn filter_values(instance: &Ec2Instance, region: &str, name: &str) -> Vec<String> {
    if let Some(key) = name.strip_prefix("tag:") {
        return instance.tags.get(key).cloned().into_iter().collect();
    }
    match name {
        "instance-id" => vec![instance.instance_id.clone()],
        "instance-state-name" => vec![instance.state.name().to_owned()],
        "instance-state-code" => vec![instance.state.code().to_string()],
        "instance-type" => vec![instance.instance_type.clone()],
        "image-id" => vec![instance.image_id.clone()],
        "reservation-id" => vec![instance.reservation_id()],
        "availability-zone" => vec![format!("{region}a")],
        "private-ip-address" => vec![instance.private_ip_address()],
        "private-dns-name" => vec![instance.private_dns_name(region)],
        "tag-key" => instance.tags.keys().cloned().collect(),
        "tag-value" => instance.tags.values().cloned().collect(),
        "iam-instance-profile.arn" => instance
            .iam_instance_profile
            .iter()
            .map(|association| association.arn.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// `DescribeInstances`' output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeInstancesXml {
    /// The instances on this page, by reservation.
    reservation_set: Items<ReservationXml>,
    /// The token for the next page, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Groups instances by reservation, keeping the order in which each
/// reservation first appears.
fn reservations<'a>(
    instances: impl IntoIterator<Item = &'a Ec2Instance>,
    region: &str,
) -> Vec<ReservationXml> {
    let mut reservations: Vec<ReservationXml> = Vec::new();
    let mut positions: HashMap<String, usize> = HashMap::new();
    for instance in instances {
        let reservation_id = instance.reservation_id();
        let position = *positions.entry(reservation_id.clone()).or_insert_with(|| {
            reservations.push(ReservationXml {
                reservation_id,
                owner_id: ACCOUNT_ID,
                group_set: Items { item: Vec::new() },
                instances_set: Items { item: Vec::new() },
            });
            reservations.len() - 1
        });
        if let Some(reservation) = reservations.get_mut(position) {
            reservation
                .instances_set
                .item
                .push(InstanceXml::new(instance, region));
        }
    }
    reservations
}

/// `DescribeInstances`: the instances named by `InstanceId.N` (all of them
/// if none are named) that pass every filter, grouped by reservation, in
/// pages of `MaxResults` instances.
pub fn describe(ec2: &Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let instance_ids = params.list("InstanceId")?;
    paging::not_with_ids(params, "InstanceId")?;
    let max_results = paging::max_results(params)?;
    let filters = filters::read(params, |name| {
        name.starts_with("tag:") || DESCRIBE_FILTERS.contains(&name)
    })?;
    check_instance_ids(ec2, &instance_ids)?;
    let region = context.region.as_str();
    let named: Vec<&Ec2Instance> = if instance_ids.is_empty() {
        ec2.instances.values().collect()
    } else {
        let unique: BTreeSet<&String> = instance_ids.iter().collect();
        unique
            .into_iter()
            .filter_map(|id| ec2.instances.get(id))
            .collect()
    };
    let matching: Vec<(String, &Ec2Instance)> = named
        .into_iter()
        .filter(|instance| {
            filters.iter().all(|filter| {
                filter.matches_any(
                    filter_values(instance, region, &filter.name)
                        .iter()
                        .map(String::as_str),
                )
            })
        })
        .map(|instance| (instance.instance_id.clone(), instance))
        .collect();
    let page = paging::page("DescribeInstances", matching, params, max_results)?;
    context.respond(&DescribeInstancesXml {
        reservation_set: reservations(page.items, region).into_iter().collect(),
        next_token: page.next_token,
    })
}

/// Whether `instance_type` has the form of an instance type, such as
/// `t3.micro` or `u-6tb1.metal`.
pub fn is_instance_type(instance_type: &str) -> bool {
    instance_type.split_once('.').is_some_and(|(family, size)| {
        family.starts_with(|c: char| c.is_ascii_lowercase())
            && family
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !size.is_empty()
            && size
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// Reads `MinCount` and `MaxCount` and returns how many instances to
/// launch.
fn launch_count(params: &Params) -> Result<usize, ApiError> {
    let min = params.int("MinCount")?.ok_or_else(|| missing("MinCount"))?;
    let max = params.int("MaxCount")?.ok_or_else(|| missing("MaxCount"))?;
    if min < 1 {
        return Err(invalid_value(
            "MinCount",
            &min.to_string(),
            "Expecting a value greater than 0.",
        ));
    }
    if max < min {
        return Err(invalid_value(
            "MaxCount",
            &max.to_string(),
            "MaxCount must be at least MinCount.",
        ));
    }
    if min > MAX_LAUNCH {
        return Err(ApiError::new(
            "InstanceLimitExceeded",
            format!(
                "You have requested more instances ({min}) than the local cloud launches at once ({MAX_LAUNCH}); launch them in several calls."
            ),
        ));
    }
    Ok(usize::try_from(max.min(MAX_LAUNCH)).unwrap_or(1))
}

/// Reads the `TagSpecification.N` parameters and returns the tags for
/// instances.
fn instance_tags(params: &Params) -> Result<BTreeMap<String, String>, ApiError> {
    let mut instance_tags = Vec::new();
    for (position, spec) in params.members("TagSpecification")?.iter().enumerate() {
        let name = format!("TagSpecification.{}", position + 1);
        let resource_type = spec
            .required("ResourceType")
            .map_err(|_| missing(&format!("{name}.ResourceType")))?;
        if !TAGGABLE_AT_LAUNCH.contains(&resource_type) {
            return Err(invalid_value(
                &format!("{name}.ResourceType"),
                resource_type,
                &format!("Expecting one of {}.", TAGGABLE_AT_LAUNCH.join(", ")),
            ));
        }
        let spec_tags = tags::read(spec, "Tag", &format!("{name}.Tag"))?;
        if resource_type == "instance" {
            instance_tags.extend(spec_tags);
        }
    }
    let set = tags::to_set(instance_tags, "TagSpecification.N.Tag")?;
    if set.len() > tags::MAX_TAGS {
        return Err(tags::too_many("each new instance", set.len()));
    }
    Ok(set)
}

/// `RunInstances`: launches `MinCount` to `MaxCount` instances of `ImageId`
/// in one reservation, pending at first, with the instance tags of
/// `TagSpecification.N` and the profile of `IamInstanceProfile`.
pub fn run(ec2: &mut Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let image_id = params.required("ImageId")?;
    if !is_resource_id(image_id, "ami-") {
        return Err(ApiError::new(
            "InvalidAMIID.Malformed",
            format!(
                "Invalid id: \"{image_id}\" (expecting \"ami-...\"); an image id is ami- and 8 or 17 lowercase hexadecimal digits."
            ),
        ));
    }
    let count = launch_count(params)?;
    let instance_type = params.get("InstanceType").unwrap_or(DEFAULT_INSTANCE_TYPE);
    if !is_instance_type(instance_type) {
        return Err(ApiError::new(
            "InvalidParameterValue",
            format!(
                "Invalid value '{instance_type}' for InstanceType; use a type such as t3.micro."
            ),
        ));
    }
    let spec = LaunchSpec {
        image_id: image_id.to_owned(),
        instance_type: instance_type.to_owned(),
        tags: instance_tags(params)?,
        iam_instance_profile_arn: iam_profiles::profile_arn(params)?,
        state: InstanceState::Pending,
    };
    let (reservation_id, instance_ids) = ec2.run(&spec, count, context.now);
    let region = context.region.as_str();
    context.respond(&ReservationXml {
        reservation_id,
        owner_id: ACCOUNT_ID,
        group_set: Items { item: Vec::new() },
        instances_set: instance_ids
            .iter()
            .filter_map(|id| ec2.instances.get(id))
            .map(|instance| InstanceXml::new(instance, region))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_types_look_like_ec2s() {
        for good in ["t3.micro", "m5d.2xlarge", "u-6tb1.metal", "c7gn.16xlarge"] {
            assert!(is_instance_type(good), "{good}");
        }
        for bad in [
            "",
            "t3",
            "T3.micro",
            "t3.",
            ".micro",
            "t3.micro large",
            "3t.micro",
        ] {
            assert!(!is_instance_type(bad), "{bad}");
        }
    }

    #[test]
    fn counts_must_make_sense() {
        let count = |min: &str, max: &str| {
            launch_count(&Params::from_pairs([("MinCount", min), ("MaxCount", max)]))
        };
        assert_eq!(count("1", "3").unwrap(), 3);
        assert_eq!(count("2", "5000").unwrap(), 1000);
        assert_eq!(count("0", "1").unwrap_err().code, "InvalidParameterValue");
        assert_eq!(count("3", "2").unwrap_err().code, "InvalidParameterValue");
        assert_eq!(
            count("1001", "2000").unwrap_err().code,
            "InstanceLimitExceeded"
        );
        let error = launch_count(&Params::from_pairs([("MinCount", "1")])).unwrap_err();
        assert_eq!(error.code, "MissingParameter");
        assert!(error.message.contains("MaxCount"));
    }
}
