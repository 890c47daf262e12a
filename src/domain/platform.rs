//! CodeDeploy's compute platforms: what an application, a deployment
//! configuration and a service role are for.
//!
//! The API names them `Server` (EC2 and on-premises instances), `Lambda` and
//! `ECS`; an application created without one is for `Server`. The local
//! cloud reads and writes these names, and the app shows the labels a person
//! knows them by.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A compute platform CodeDeploy deploys to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ComputePlatform {
    /// EC2 and on-premises instances (`Server`).
    #[default]
    Server,
    /// AWS Lambda functions (`Lambda`).
    Lambda,
    /// Amazon ECS services (`ECS`).
    #[serde(rename = "ECS")]
    Ecs,
}

/// Why a compute platform name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a compute platform CodeDeploy knows; use Server, Lambda or ECS.")]
pub struct UnknownPlatform(pub String);

impl ComputePlatform {
    /// Every platform, in the order a picker lists them.
    pub const ALL: [Self; 3] = [Self::Server, Self::Lambda, Self::Ecs];

    /// The platform the API names `name` (`Server`, `Lambda` or `ECS`, as
    /// the API spells them: the match is exact).
    pub fn parse(name: &str) -> Result<Self, UnknownPlatform> {
        Self::ALL
            .into_iter()
            .find(|platform| platform.as_str() == name)
            .ok_or_else(|| UnknownPlatform(name.to_owned()))
    }

    /// The platform named by an optional API member: `Server` when it is
    /// absent, as CodeDeploy reads a missing `computePlatform`.
    pub fn parse_or_default(name: Option<&str>) -> Result<Self, UnknownPlatform> {
        name.map_or(Ok(Self::default()), Self::parse)
    }

    /// The API's name for the platform.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Server => "Server",
            Self::Lambda => "Lambda",
            Self::Ecs => "ECS",
        }
    }

    /// How a person names the platform.
    pub fn label(self) -> &'static str {
        match self {
            Self::Server => "EC2/On-premises",
            Self::Lambda => "AWS Lambda",
            Self::Ecs => "Amazon ECS",
        }
    }

    /// The ARN of the AWS managed policy a service role for this platform
    /// needs.
    pub fn managed_policy_arn(self) -> &'static str {
        match self {
            Self::Server => "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole",
            Self::Lambda => "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
            Self::Ecs => "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS",
        }
    }

    /// A role name suggested for a service role of this platform.
    pub fn suggested_role_name(self) -> &'static str {
        match self {
            Self::Server => "CodeDeployServiceRole",
            Self::Lambda => "CodeDeployServiceRoleForLambda",
            Self::Ecs => "CodeDeployServiceRoleForECS",
        }
    }
}

impl fmt::Display for ComputePlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_platform_reads_back_from_its_api_name() {
        for platform in ComputePlatform::ALL {
            assert_eq!(ComputePlatform::parse(platform.as_str()), Ok(platform));
        }
        assert_eq!(ComputePlatform::Ecs.as_str(), "ECS");
    }

    #[test]
    fn names_the_api_does_not_know_are_refused_exactly() {
        for name in ["Kubernetes", "server", "Ecs", "ecs", "", " Server"] {
            let error = ComputePlatform::parse(name).unwrap_err();
            assert_eq!(error, UnknownPlatform(name.to_owned()));
            assert!(error.to_string().contains("use Server, Lambda or ECS"));
        }
    }

    #[test]
    fn a_missing_platform_is_server() {
        assert_eq!(
            ComputePlatform::parse_or_default(None),
            Ok(ComputePlatform::Server)
        );
        assert_eq!(
            ComputePlatform::parse_or_default(Some("Lambda")),
            Ok(ComputePlatform::Lambda)
        );
        assert!(ComputePlatform::parse_or_default(Some("EC2")).is_err());
    }

    #[test]
    fn serde_uses_the_api_names() {
        assert_eq!(
            serde_json::to_string(&ComputePlatform::Ecs).expect("serialises"),
            "\"ECS\""
        );
        let read: ComputePlatform = serde_json::from_str("\"Server\"").expect("deserialises");
        assert_eq!(read, ComputePlatform::Server);
    }
}
