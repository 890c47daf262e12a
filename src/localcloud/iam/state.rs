//! What IAM remembers: roles with their attached and inline policies,
//! customer managed policies and instance profiles, plus the AWS managed
//! policies a CodeDeploy setup uses, which exist in every account.
//!
//! IAM names are unique without regard to case, so every map is keyed by
//! the lower-cased name (or ARN) and the item keeps its name as given.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::domain::policy::PolicyDocument;
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// IAM's roles, policies and instance profiles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IamState {
    /// Roles by lower-cased name.
    pub roles: Table<String, Role>,
    /// Customer managed policies by lower-cased name.
    pub policies: Table<String, ManagedPolicy>,
    /// Instance profiles by lower-cased name.
    pub instance_profiles: Table<String, InstanceProfile>,
}

impl IamState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.roles.take_changes("iam.roles", changes);
        self.policies.take_changes("iam.policies", changes);
        self.instance_profiles
            .take_changes("iam.instance_profiles", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "iam.roles" => self.roles.apply(change),
            "iam.policies" => self.policies.apply(change),
            "iam.instance_profiles" => self.instance_profiles.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

/// A role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// The name as created.
    pub name: String,
    /// The path, `/` or `/a/b/`.
    pub path: String,
    /// The id, `AROA` and 17 characters.
    pub role_id: String,
    /// When it was created.
    pub created: Timestamp,
    /// The trust policy, as the client sent it.
    pub assume_role_policy: String,
    /// The description, if any.
    #[serde(default)]
    pub description: Option<String>,
    /// The longest session, in seconds.
    pub max_session_duration: u32,
    /// Tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The ARNs of the managed policies attached, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Inline policies by name, as the client sent them.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
}

impl Role {
    /// The role's ARN.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT_ID}:role{}{}", self.path, self.name)
    }
}

/// A customer managed policy (one version, the default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// The name as created.
    pub name: String,
    /// The path.
    pub path: String,
    /// The id, `ANPA` and 17 characters.
    pub policy_id: String,
    /// The description, if any.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was created.
    pub created: Timestamp,
    /// The document, as the client sent it.
    pub document: String,
    /// Tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl ManagedPolicy {
    /// The policy's ARN.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT_ID}:policy{}{}", self.path, self.name)
    }
}

/// An instance profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceProfile {
    /// The name as created.
    pub name: String,
    /// The path.
    pub path: String,
    /// The id, `AIPA` and 17 characters.
    pub profile_id: String,
    /// When it was created.
    pub created: Timestamp,
    /// The lower-cased names of its roles (at most one).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl InstanceProfile {
    /// The profile's ARN.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{ACCOUNT_ID}:instance-profile{}{}",
            self.path, self.name
        )
    }
}

/// An AWS managed policy, as AWS publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AwsPolicy {
    /// The name.
    pub policy_name: String,
    /// The path.
    pub path: String,
    /// The default version's id, e.g. `v11`.
    pub default_version_id: String,
    /// When AWS created it (ISO 8601).
    pub create_date: String,
    /// When AWS last changed it (ISO 8601).
    pub update_date: String,
    /// What it is for.
    pub description: String,
    /// The default version's document.
    pub document: String,
}

impl AwsPolicy {
    /// The policy's ARN, `arn:aws:iam::aws:policy/PATH/NAME`.
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.policy_name)
    }

    /// A stable id for the policy, `ANPA` and 17 characters derived from
    /// its name.
    pub fn policy_id(&self) -> String {
        stable_id("ANPA", &self.policy_name)
    }
}

/// The AWS managed policies the local cloud knows: the ones a CodeDeploy
/// setup attaches, with the documents AWS publishes.
pub fn aws_policies() -> &'static [AwsPolicy] {
    static POLICIES: OnceLock<Vec<AwsPolicy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        // The file is part of the build and checked by a test; a broken
        // file would only leave the list empty.
        serde_json::from_str(include_str!("aws_policies.json")).unwrap_or_default()
    })
}

/// The AWS managed policy with the ARN `arn`, if the local cloud has it.
pub fn aws_policy(arn: &str) -> Option<&'static AwsPolicy> {
    aws_policies().iter().find(|policy| policy.arn() == arn)
}

/// The characters of IAM's unique ids after their prefix.
const ID_ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A new unique id as IAM makes them: `prefix` and 17 upper-case letters
/// or digits, e.g. `AROA1234567890ABCDEFG`.
pub fn random_id(prefix: &str) -> String {
    let rest: String = (0..17)
        .map(|_| char::from(ID_ALPHABET[rand::random_range(0..ID_ALPHABET.len())]))
        .collect();
    format!("{prefix}{rest}")
}

/// An id of IAM's form that is always the same for `seed`.
fn stable_id(prefix: &str, seed: &str) -> String {
    // FNV-1a, stepped once per character of the id.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    let rest: String = (0..17)
        .map(|_| {
            hash = (hash ^ 0x5f).wrapping_mul(0x0100_0000_01b3);
            char::from(ID_ALPHABET[(hash >> 33) as usize % ID_ALPHABET.len()])
        })
        .collect();
    format!("{prefix}{rest}")
}

/// The role of the demo fleet's instance profile.
pub const FLEET_ROLE: &str = "DemoFleetRole";
/// The instance profile the demo fleet's instances are launched with.
pub const FLEET_PROFILE: &str = "DemoFleetProfile";
/// The managed policies of [`FLEET_ROLE`]: Systems Manager may manage the
/// instances, and they may read any bucket.
pub const FLEET_POLICIES: [&str; 2] = [
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
];

impl IamState {
    /// Makes the demo fleet's role and instance profile ([`FLEET_ROLE`],
    /// [`FLEET_PROFILE`]) unless they exist. Returns the profile's ARN.
    pub fn seed_fleet_profile(&mut self, now: Timestamp) -> String {
        let role_key = FLEET_ROLE.to_lowercase();
        if self.roles.get(&role_key).is_none() {
            self.roles.insert(
                role_key.clone(),
                Role {
                    name: FLEET_ROLE.to_owned(),
                    path: "/".to_owned(),
                    role_id: stable_id("AROA", FLEET_ROLE),
                    created: now,
                    assume_role_policy: PolicyDocument::trust_for_service("ec2.amazonaws.com")
                        .to_json(),
                    description: Some(
                        "The demo fleet's instances: managed by Systems Manager, may read S3"
                            .to_owned(),
                    ),
                    max_session_duration: 3600,
                    tags: Vec::new(),
                    attached_policies: FLEET_POLICIES.iter().map(|arn| (*arn).to_owned()).collect(),
                    inline_policies: BTreeMap::new(),
                },
            );
        }
        let profile_key = FLEET_PROFILE.to_lowercase();
        if self.instance_profiles.get(&profile_key).is_none() {
            self.instance_profiles.insert(
                profile_key.clone(),
                InstanceProfile {
                    name: FLEET_PROFILE.to_owned(),
                    path: "/".to_owned(),
                    profile_id: stable_id("AIPA", FLEET_PROFILE),
                    created: now,
                    roles: vec![role_key],
                    tags: Vec::new(),
                },
            );
        }
        self.instance_profiles
            .get(&profile_key)
            .map(InstanceProfile::arn)
            .unwrap_or_default()
    }

    /// The role named `name` (any case).
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(&name.to_lowercase())
    }

    /// The managed policy (AWS or customer) with the ARN `arn`, as its
    /// name, path and document.
    pub fn managed_policy(&self, arn: &str) -> Option<PolicyView> {
        if let Some(policy) = aws_policy(arn) {
            return Some(PolicyView::Aws(policy));
        }
        let name = arn
            .strip_prefix(&format!("arn:aws:iam::{ACCOUNT_ID}:policy/"))?
            .rsplit('/')
            .next()?;
        self.policies
            .get(&name.to_lowercase())
            .filter(|policy| policy.arn() == arn)
            .map(|policy| PolicyView::Local(policy.clone()))
    }

    /// How many roles have the policy `arn` attached.
    pub fn attachment_count(&self, arn: &str) -> usize {
        self.roles
            .values()
            .filter(|role| role.attached_policies.iter().any(|known| known == arn))
            .count()
    }
}

/// A managed policy of either kind.
#[derive(Debug, Clone)]
pub enum PolicyView {
    /// Published by AWS.
    Aws(&'static AwsPolicy),
    /// Created in the account.
    Local(ManagedPolicy),
}

impl PolicyView {
    /// The policy's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Aws(policy) => &policy.policy_name,
            Self::Local(policy) => &policy.name,
        }
    }

    /// The policy's ARN.
    pub fn arn(&self) -> String {
        match self {
            Self::Aws(policy) => policy.arn(),
            Self::Local(policy) => policy.arn(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::{PolicyKind, parse};

    #[test]
    fn the_aws_policies_a_codedeploy_setup_uses_are_there_with_valid_documents() {
        let arns: Vec<String> = aws_policies().iter().map(AwsPolicy::arn).collect();
        for arn in [
            "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole",
            "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS",
            "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ] {
            assert!(arns.iter().any(|known| known == arn), "{arn} missing");
        }
        for policy in aws_policies() {
            parse(&policy.document, PolicyKind::Identity).unwrap();
            let id = policy.policy_id();
            assert_eq!(id.len(), 21);
            assert_eq!(id, policy.policy_id());
        }
    }

    #[test]
    fn ids_have_iams_form() {
        let id = random_id("AROA");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AROA"));
        assert!(
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
    }
}
