//! `DescribeRegions`: the commercial AWS regions the domain knows, as EC2
//! lists them.
//!
//! The local cloud serves every region from one endpoint (a request's
//! region is the one it was signed for), so the list only tells clients
//! which names exist. Regions that an account must opt in to are listed
//! with `AllRegions=true`, as `not-opted-in`.

use serde::Serialize;

use super::common::Context;
use super::filters;
use super::xml::Items;
use crate::domain::regions::{KNOWN_REGIONS, KnownRegion};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::query::{Params, invalid_value};

/// The commercial regions (the `aws` partition) the domain knows, which
/// are the regions this EC2 lists.
fn commercial_regions() -> impl Iterator<Item = &'static KnownRegion> {
    KNOWN_REGIONS
        .iter()
        .filter(|known| known.partition() == "aws")
}

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
    _ec2: &super::state::Ec2State,
    context: &Context,
    params: &Params,
) -> Result<String, ApiError> {
    let names = params.list("RegionName")?;
    let all_regions = params.flag("AllRegions")?;
    let filters = filters::read(params, |name| DESCRIBE_FILTERS.contains(&name))?;
    if let Some(unknown) = names
        .iter()
        .find(|name| commercial_regions().all(|known| known.code != name.as_str()))
    {
        return Err(invalid_value(
            "RegionName",
            unknown,
            "Invalid region name; list the regions without RegionName to see them.",
        ));
    }
    let mut regions: Vec<RegionXml> = commercial_regions()
        .filter(|known| !known.opt_in || all_regions || !names.is_empty())
        .map(|known| {
            let status = if known.opt_in {
                "not-opted-in"
            } else {
                "opt-in-not-required"
            };
            (known.code, status)
        })
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
