//! AWS regions: the ones DeployDesk knows, which of them an account must
//! opt in to, the partition each belongs to, and the check of a region the
//! user typed, so that a typo is caught before a request goes to an
//! endpoint that does not exist.
//!
//! The local cloud's EC2 lists these regions in `DescribeRegions`, and the
//! app offers them in its region field, so both know the same regions.

use crate::domain::names::closest;

/// A region DeployDesk knows, with the name AWS gives its location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownRegion {
    /// The region code, e.g. `eu-west-1`.
    pub code: &'static str,
    /// Where it is, e.g. "Europe (Ireland)".
    pub location: &'static str,
    /// Whether an account must opt in to it before using it (regions
    /// opened since March 2019).
    pub opt_in: bool,
}

impl KnownRegion {
    /// The partition the region belongs to: `aws`, `aws-cn` or
    /// `aws-us-gov`.
    pub fn partition(&self) -> &'static str {
        partition_of(self.code)
    }
}

/// A region every account may use.
const fn region(code: &'static str, location: &'static str) -> KnownRegion {
    KnownRegion {
        code,
        location,
        opt_in: false,
    }
}

/// A region an account must opt in to.
const fn opt_in_region(code: &'static str, location: &'static str) -> KnownRegion {
    KnownRegion {
        code,
        location,
        opt_in: true,
    }
}

/// The regions DeployDesk knows, in the order the AWS console lists them.
/// AWS opens new regions from time to time: a well-formed code that is not
/// here is still accepted (see [`check_region`]).
pub const KNOWN_REGIONS: &[KnownRegion] = &[
    region("us-east-1", "US East (N. Virginia)"),
    region("us-east-2", "US East (Ohio)"),
    region("us-west-1", "US West (N. California)"),
    region("us-west-2", "US West (Oregon)"),
    opt_in_region("af-south-1", "Africa (Cape Town)"),
    opt_in_region("ap-east-1", "Asia Pacific (Hong Kong)"),
    opt_in_region("ap-east-2", "Asia Pacific (Taipei)"),
    region("ap-south-1", "Asia Pacific (Mumbai)"),
    opt_in_region("ap-south-2", "Asia Pacific (Hyderabad)"),
    region("ap-southeast-1", "Asia Pacific (Singapore)"),
    region("ap-southeast-2", "Asia Pacific (Sydney)"),
    opt_in_region("ap-southeast-3", "Asia Pacific (Jakarta)"),
    opt_in_region("ap-southeast-4", "Asia Pacific (Melbourne)"),
    opt_in_region("ap-southeast-5", "Asia Pacific (Malaysia)"),
    opt_in_region("ap-southeast-6", "Asia Pacific (New Zealand)"),
    opt_in_region("ap-southeast-7", "Asia Pacific (Thailand)"),
    region("ap-northeast-1", "Asia Pacific (Tokyo)"),
    region("ap-northeast-2", "Asia Pacific (Seoul)"),
    region("ap-northeast-3", "Asia Pacific (Osaka)"),
    region("ca-central-1", "Canada (Central)"),
    opt_in_region("ca-west-1", "Canada West (Calgary)"),
    region("eu-central-1", "Europe (Frankfurt)"),
    opt_in_region("eu-central-2", "Europe (Zurich)"),
    region("eu-west-1", "Europe (Ireland)"),
    region("eu-west-2", "Europe (London)"),
    region("eu-west-3", "Europe (Paris)"),
    opt_in_region("eu-south-1", "Europe (Milan)"),
    opt_in_region("eu-south-2", "Europe (Spain)"),
    region("eu-north-1", "Europe (Stockholm)"),
    opt_in_region("il-central-1", "Israel (Tel Aviv)"),
    opt_in_region("me-south-1", "Middle East (Bahrain)"),
    opt_in_region("me-central-1", "Middle East (UAE)"),
    opt_in_region("mx-central-1", "Mexico (Central)"),
    region("sa-east-1", "South America (São Paulo)"),
    region("us-gov-east-1", "AWS GovCloud (US-East)"),
    region("us-gov-west-1", "AWS GovCloud (US-West)"),
    region("cn-north-1", "China (Beijing)"),
    region("cn-northwest-1", "China (Ningxia)"),
];

/// Why a region was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// Nothing was typed.
    #[error(
        "Enter a region code such as us-east-1, or leave the field empty to use the profile's region."
    )]
    Empty,
    /// Not shaped like a region code at all.
    #[error(
        "\"{0}\" is not an AWS region code. Region codes look like us-east-1 or eu-west-2 (lower case, area-direction-number)."
    )]
    Malformed(String),
    /// Shaped like a code, but one letter or two away from a known region.
    #[error("\"{typed}\" is not an AWS region. Did you mean {suggestion} ({location})?")]
    Misspelt {
        /// What was typed.
        typed: String,
        /// The known region it is closest to.
        suggestion: &'static str,
        /// Where that region is.
        location: &'static str,
    },
}

/// The partition of the region `code`: `aws-cn` for China, `aws-us-gov`
/// for `GovCloud`, `aws` for the rest.
pub fn partition_of(code: &str) -> &'static str {
    if code.starts_with("cn-") {
        "aws-cn"
    } else if code.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Whether `name` is shaped like an ARN's partition: `aws`, or `aws-`
/// followed by lower-case letters and hyphens (`aws-cn`, `aws-us-gov`).
pub fn is_partition(name: &str) -> bool {
    name.strip_prefix("aws")
        .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
}

/// The known region with this code, if any.
pub fn known_region(code: &str) -> Option<&'static KnownRegion> {
    KNOWN_REGIONS.iter().find(|known| known.code == code)
}

/// Checks a region code the user typed (surrounding blanks are ignored).
///
/// A known region passes. A code shaped like a region (`area-direction-N`,
/// with an optional `gov` part) that is not known passes too, since AWS
/// opens new regions, unless it is within two edits of a known region,
/// which is far more likely a typo (`eu-wset-1`). Anything else is refused
/// with what a region code looks like.
pub fn check_region(typed: &str) -> Result<&str, RegionError> {
    let code = typed.trim();
    if code.is_empty() {
        return Err(RegionError::Empty);
    }
    if known_region(code).is_some() {
        return Ok(code);
    }
    if !is_region_shaped(code) {
        return Err(match closest_known(code) {
            Some(known) => misspelt(code, known),
            None => RegionError::Malformed(code.to_owned()),
        });
    }
    match closest_known(code) {
        Some(known) => Err(misspelt(code, known)),
        None => Ok(code),
    }
}

fn misspelt(typed: &str, known: &'static KnownRegion) -> RegionError {
    RegionError::Misspelt {
        typed: typed.to_owned(),
        suggestion: known.code,
        location: known.location,
    }
}

/// The known region `code` most likely meant (see [`closest`]), in
/// whatever letter case it was typed.
fn closest_known(code: &str) -> Option<&'static KnownRegion> {
    let codes: Vec<&'static str> = KNOWN_REGIONS.iter().map(|known| known.code).collect();
    let meant = closest(code, &codes).or_else(|| closest(&code.to_ascii_lowercase(), &codes))?;
    KNOWN_REGIONS.iter().find(|known| known.code == meant)
}

/// Whether `code` looks like `us-east-1` or `us-gov-west-1`: two letters,
/// an optional `gov`/`iso…` part, a lower-case word and a number.
fn is_region_shaped(code: &str) -> bool {
    let parts: Vec<&str> = code.split('-').collect();
    let (area, middle, number) = match parts.as_slice() {
        [area, direction, number] => (*area, vec![*direction], *number),
        [area, partition, direction, number] => (*area, vec![*partition, *direction], *number),
        _ => return false,
    };
    let lower_word = |word: &str| !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase());
    area.len() == 2
        && lower_word(area)
        && middle.iter().all(|word| lower_word(word))
        && !number.is_empty()
        && number.len() <= 2
        && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_region_passes_and_is_region_shaped() {
        for known in KNOWN_REGIONS {
            assert_eq!(check_region(known.code), Ok(known.code));
            assert!(is_region_shaped(known.code), "{}", known.code);
        }
    }

    #[test]
    fn regions_know_their_partition_and_opt_in() {
        let partition = |code| known_region(code).map(KnownRegion::partition);
        assert_eq!(partition("eu-west-1"), Some("aws"));
        assert_eq!(partition("cn-north-1"), Some("aws-cn"));
        assert_eq!(partition("us-gov-west-1"), Some("aws-us-gov"));
        assert!(known_region("af-south-1").is_some_and(|known| known.opt_in));
        assert!(known_region("us-east-1").is_some_and(|known| !known.opt_in));
        for name in ["aws", "aws-cn", "aws-us-gov"] {
            assert!(is_partition(name), "{name}");
        }
        for name in ["", "AWS", "azure", "aws_cn", "aws1"] {
            assert!(!is_partition(name), "{name}");
        }
    }

    #[test]
    fn blanks_around_a_region_are_ignored() {
        assert_eq!(check_region("  eu-west-1 "), Ok("eu-west-1"));
    }

    #[test]
    fn a_transposed_letter_suggests_the_region_meant() {
        let error = check_region("eu-wset-1").unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"eu-wset-1\" is not an AWS region. Did you mean eu-west-1 (Europe (Ireland))?"
        );
    }

    #[test]
    fn upper_case_is_caught_as_a_typo_of_the_lower_case_code() {
        assert_eq!(
            check_region("EU-WEST-1"),
            Err(RegionError::Misspelt {
                typed: "EU-WEST-1".to_owned(),
                suggestion: "eu-west-1",
                location: "Europe (Ireland)",
            })
        );
    }

    #[test]
    fn a_location_name_is_not_a_region_code() {
        let error = check_region("Frankfurt").unwrap_err();
        assert_eq!(error, RegionError::Malformed("Frankfurt".to_owned()));
        assert!(error.to_string().contains("look like us-east-1"));
    }

    #[test]
    fn a_new_well_formed_region_is_accepted() {
        assert_eq!(check_region("xy-north-9"), Ok("xy-north-9"));
        assert_eq!(check_region("us-iso-east-1"), Ok("us-iso-east-1"));
    }

    #[test]
    fn an_empty_region_asks_for_one() {
        assert_eq!(check_region("   "), Err(RegionError::Empty));
    }
}
