//! `DescribeRegions`: the commercial AWS regions, as EC2 lists them.
//!
//! The local cloud serves every region from one endpoint (a request's
//! region is the one it was signed for), so the list only tells clients
//! which names exist. Regions that an account must opt in to are listed
//! with `AllRegions=true`, as `not-opted-in`.

use serde::Serialize;

use super::query::{Params, invalid_value};
use super::xml::Items;
use super::{Context, filters};
use crate::localcloud::api_error::ApiError;

/// The regions every account has.
const DEFAULT_REGIONS: [&str; 17] = [
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The regions an account must opt in to.
const OPT_IN_REGIONS: [&str; 12] = [
    "af-south-1",
    "ap-east-1",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
];

/// The filters `DescribeRegions` takes.
const DESCRIBE_FILTERS: [&str; 3] = ["region-name", "endpoint", "opt-in-status"];

/// A region as `DescribeRegions` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionXml {
    /// The region's name.
    region_name: &'static str,
    /// Its EC2 endpoint's host name.
    region_endpoint: String,
    /// Whether the account must opt in to it.
    opt_in_status: &'static str,
}

/// `DescribeRegions`' output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeRegionsXml {
    /// The regions.
    region_info: Items<RegionXml>,
}

/// `DescribeRegions`: the regions named by `RegionName.N` (all if none),
/// with the opt-in ones only if `AllRegions` is true, that pass the filters.
pub fn describe(
    _ec2: &super::Ec2State,
    context: &Context,
    params: &Params,
) -> Result<String, ApiError> {
    let names = params.list("RegionName")?;
    let all_regions = params.flag("AllRegions")?;
    let filters = filters::read(params, |name| DESCRIBE_FILTERS.contains(&name))?;
    if let Some(unknown) = names.iter().find(|name| {
        !DEFAULT_REGIONS.contains(&name.as_str()) && !OPT_IN_REGIONS.contains(&name.as_str())
    }) {
        return Err(invalid_value(
            "RegionName",
            unknown,
            "Invalid region name; list the regions without RegionName to see them.",
        ));
    }
    let opt_in = OPT_IN_REGIONS
        .iter()
        .filter(|_| all_regions || !names.is_empty())
        .map(|name| (*name, "not-opted-in"));
    let mut regions: Vec<RegionXml> = DEFAULT_REGIONS
        .iter()
        .map(|name| (*name, "opt-in-not-required"))
        .chain(opt_in)
        .filter(|(name, _)| names.is_empty() || names.iter().any(|named| named == name))
        .map(|(name, status)| RegionXml {
            region_name: name,
            region_endpoint: format!("ec2.{name}.amazonaws.com"),
            opt_in_status: status,
        })
        .filter(|region| {
            filters.iter().all(|filter| {
                let value = match filter.name.as_str() {
                    "region-name" => region.region_name,
                    "endpoint" => region.region_endpoint.as_str(),
                    _ => region.opt_in_status,
                };
                filter.matches_any([value])
            })
        })
        .collect();
    regions.sort_by_key(|region| region.region_name);
    context.respond(&DescribeRegionsXml {
        region_info: regions.into_iter().collect(),
    })
}
