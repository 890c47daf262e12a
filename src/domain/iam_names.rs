//! IAM's rules for the names, paths and ARNs of roles, instance profiles
//! and policies.
//!
//! From the IAM API reference: a role name matches `[\w+=,.@-]+` with 1 to
//! 64 characters, an instance profile or policy name the same pattern with
//! 1 to 128 (`\w` is ASCII letters, digits and `_`). A path is `/` or
//! starts and ends with `/` with printable ASCII between (`\u0021` to
//! `\u007E`), 1 to 512 characters. A role's ARN is
//! `arn:PARTITION:iam::ACCOUNT:role/PATH-WITHOUT-LEADING-SLASH NAME`, with a
//! partition such as `aws` or `aws-cn` and a twelve-digit account, and an
//! instance profile's the same with `instance-profile`.
//!
//! The local cloud's IAM and EC2 refuse what these functions refuse, in
//! AWS's words; the setup wizards and the deployment group wizard show the
//! messages here, which say what to change.

use std::fmt;

use super::regions::is_partition;

/// The longest role name IAM accepts.
pub const MAX_ROLE_NAME_LENGTH: usize = 64;
/// The longest instance profile or policy name IAM accepts.
pub const MAX_PROFILE_NAME_LENGTH: usize = 128;
/// The punctuation IAM allows in role, profile and policy names.
pub const IAM_NAME_PUNCTUATION: &str = "+=,.@_-";
/// The longest IAM path.
pub const MAX_PATH_LENGTH: usize = 512;

/// What an IAM name names, so that messages say which name is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IamNameKind {
    /// A role name (up to 64 characters).
    Role,
    /// An instance profile name (up to 128 characters).
    InstanceProfile,
    /// A policy name (up to 128 characters).
    Policy,
}

impl IamNameKind {
    /// The longest name of this kind.
    pub fn max_length(self) -> usize {
        match self {
            Self::Role => MAX_ROLE_NAME_LENGTH,
            Self::InstanceProfile | Self::Policy => MAX_PROFILE_NAME_LENGTH,
        }
    }

    /// The resource type this kind has in an ARN (`role`,
    /// `instance-profile`, `policy`).
    pub fn arn_resource_type(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::InstanceProfile => "instance-profile",
            Self::Policy => "policy",
        }
    }

    /// An ARN of this kind, to show what one looks like.
    pub fn example_arn(self) -> &'static str {
        match self {
            Self::Role => "arn:aws:iam::123456789012:role/CodeDeployServiceRole",
            Self::InstanceProfile => {
                "arn:aws:iam::123456789012:instance-profile/CodeDeployInstanceProfile"
            }
            Self::Policy => "arn:aws:iam::123456789012:policy/ReadCodeDeployRevisions",
        }
    }
}

impl fmt::Display for IamNameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Role => "role",
            Self::InstanceProfile => "instance profile",
            Self::Policy => "policy",
        })
    }
}

/// Why IAM would refuse a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamNameError {
    /// The name is empty.
    #[error("The {kind} name is empty; give a name of 1 to {max} characters.", max = .kind.max_length())]
    Empty {
        /// What the name names.
        kind: IamNameKind,
    },
    /// The name is too long.
    #[error("The {kind} name is {length} characters long; shorten it to at most {max} characters.", max = .kind.max_length())]
    TooLong {
        /// What the name names.
        kind: IamNameKind,
        /// Its length in characters.
        length: usize,
    },
    /// The name contains a character IAM does not allow.
    #[error(
        "The {kind} name contains the character {character:?}; use only letters, digits and + = , . @ _ -"
    )]
    BadCharacter {
        /// What the name names.
        kind: IamNameKind,
        /// The first character refused.
        character: char,
    },
}

/// Checks `name` against IAM's rules for `kind`: 1 to 64 (roles) or 128
/// (profiles, policies) ASCII letters, digits and `+=,.@_-`.
pub fn validate_iam_name(kind: IamNameKind, name: &str) -> Result<(), IamNameError> {
    if name.is_empty() {
        return Err(IamNameError::Empty { kind });
    }
    if let Some(character) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || IAM_NAME_PUNCTUATION.contains(*c)))
    {
        return Err(IamNameError::BadCharacter { kind, character });
    }
    let length = name.chars().count();
    if length > kind.max_length() {
        return Err(IamNameError::TooLong { kind, length });
    }
    Ok(())
}

/// Why IAM would refuse a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The path \"{0}\" is not an IAM path; a path is / or starts and ends with a slash, such as /service-role/, with up to 512 printable characters and no spaces."
)]
pub struct IamPathError(pub String);

/// Checks an IAM path: `/`, or `/` followed by printable ASCII (no space)
/// and ending in `/`, at most 512 characters.
pub fn validate_iam_path(path: &str) -> Result<(), IamPathError> {
    let printable = path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    let framed = path == "/" || (path.len() > 2 && path.starts_with('/') && path.ends_with('/'));
    if printable && framed && path.len() <= MAX_PATH_LENGTH {
        Ok(())
    } else {
        Err(IamPathError(path.to_owned()))
    }
}

/// The parts of a role or instance profile ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IamArn<'a> {
    /// The partition, e.g. `aws` or `aws-cn`.
    pub partition: &'a str,
    /// The twelve-digit account.
    pub account: &'a str,
    /// The path, `/` or `/a/b/`.
    pub path: &'a str,
    /// The name.
    pub name: &'a str,
}

/// Why an ARN is not the ARN of a role or instance profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamArnError {
    /// The ARN is not shaped like an IAM ARN of this kind.
    #[error("\"{arn}\" is not an IAM {kind} ARN; give one like {example}.", example = .kind.example_arn())]
    Shape {
        /// What the ARN should name.
        kind: IamNameKind,
        /// The ARN as given.
        arn: String,
    },
    /// The path in the ARN is not an IAM path.
    #[error(transparent)]
    Path(#[from] IamPathError),
    /// The name in the ARN is not an IAM name of this kind.
    #[error(transparent)]
    Name(#[from] IamNameError),
}

/// Reads the ARN of an IAM resource of `kind`:
/// `arn:aws[-a-z]*:iam::<12 digits>:<type>/<path><name>`, with a path and a
/// name that IAM accepts.
pub fn parse_iam_arn(kind: IamNameKind, arn: &str) -> Result<IamArn<'_>, IamArnError> {
    let shape = || IamArnError::Shape {
        kind,
        arn: arn.to_owned(),
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", partition, "iam", "", account, resource] = parts[..] else {
        return Err(shape());
    };
    let partition_ok = is_partition(partition);
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let Some(path_and_name) = resource
        .strip_prefix(kind.arn_resource_type())
        .filter(|rest| rest.starts_with('/'))
    else {
        return Err(shape());
    };
    if !partition_ok || !account_ok {
        return Err(shape());
    }
    // A name has no slash, so the path ends at the last one.
    let split = path_and_name.rfind('/').map_or(0, |slash| slash + 1);
    let (path, name) = path_and_name.split_at(split);
    validate_iam_path(path)?;
    validate_iam_name(kind, name)?;
    Ok(IamArn {
        partition,
        account,
        path,
        name,
    })
}

/// Reads a role ARN, as a deployment group's service role must be.
pub fn parse_role_arn(arn: &str) -> Result<IamArn<'_>, IamArnError> {
    parse_iam_arn(IamNameKind::Role, arn)
}

/// Reads an instance profile ARN, as EC2 takes one.
pub fn parse_instance_profile_arn(arn: &str) -> Result<IamArn<'_>, IamArnError> {
    parse_iam_arn(IamNameKind::InstanceProfile, arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_names_follow_iam_rules() {
        assert_eq!(
            validate_iam_name(IamNameKind::Role, "CodeDeploy+Role=1,a.b@c_d-e"),
            Ok(())
        );
        assert_eq!(
            validate_iam_name(IamNameKind::Role, ""),
            Err(IamNameError::Empty {
                kind: IamNameKind::Role
            })
        );
        let long = "r".repeat(65);
        let error = validate_iam_name(IamNameKind::Role, &long).unwrap_err();
        assert_eq!(
            error.to_string(),
            "The role name is 65 characters long; shorten it to at most 64 characters."
        );
        assert_eq!(
            validate_iam_name(IamNameKind::InstanceProfile, &long),
            Ok(())
        );
        let error = validate_iam_name(IamNameKind::Role, "my role").unwrap_err();
        assert_eq!(
            error.to_string(),
            "The role name contains the character ' '; use only letters, digits and + = , . @ _ -"
        );
        assert!(validate_iam_name(IamNameKind::Policy, "naïve").is_err());
    }

    #[test]
    fn profile_and_policy_names_may_have_a_hundred_and_twenty_eight_characters() {
        for kind in [IamNameKind::InstanceProfile, IamNameKind::Policy] {
            assert_eq!(validate_iam_name(kind, &"p".repeat(128)), Ok(()));
            assert_eq!(
                validate_iam_name(kind, &"p".repeat(129)),
                Err(IamNameError::TooLong { kind, length: 129 })
            );
        }
    }

    #[test]
    fn paths_start_and_end_with_a_slash() {
        for good in ["/", "/service-role/", "/a/b/", "///"] {
            assert_eq!(validate_iam_path(good), Ok(()), "{good}");
        }
        let long = format!("/{}/", "a".repeat(511));
        for bad in ["", "a/", "/a", "//", "/a b/", "/é/", long.as_str()] {
            assert!(validate_iam_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arns_have_a_partition_an_account_a_path_and_a_name() {
        let arn = parse_role_arn("arn:aws:iam::123456789012:role/service-role/CodeDeploy")
            .expect("a role ARN with a path");
        assert_eq!(
            arn,
            IamArn {
                partition: "aws",
                account: "123456789012",
                path: "/service-role/",
                name: "CodeDeploy",
            }
        );
        let plain = parse_role_arn("arn:aws-us-gov:iam::123456789012:role/Deploy")
            .expect("a role ARN in another partition");
        assert_eq!((plain.path, plain.name), ("/", "Deploy"));
    }

    #[test]
    fn malformed_role_arns_are_refused_with_an_example() {
        for bad in [
            "CodeDeployServiceRole",
            "arn:aws:iam::123:role/CodeDeploy",
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:roles/CodeDeploy",
            "arn:aws:iam:us-east-1:123456789012:role/CodeDeploy",
            "arn:azure:iam::123456789012:role/CodeDeploy",
            "arn:AWS:iam::123456789012:role/CodeDeploy",
            "arn:aws:s3::123456789012:role/CodeDeploy",
            "arn:aws:iam::123456789012:role/my role",
            "arn:aws:iam::123456789012:role/a b/CodeDeploy",
        ] {
            assert!(parse_role_arn(bad).is_err(), "{bad}");
        }
        let error = parse_role_arn("CodeDeployServiceRole").unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"CodeDeployServiceRole\" is not an IAM role ARN; give one like arn:aws:iam::123456789012:role/CodeDeployServiceRole."
        );
        let long = format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65));
        assert!(matches!(
            parse_role_arn(&long),
            Err(IamArnError::Name(IamNameError::TooLong { length: 65, .. }))
        ));
    }

    #[test]
    fn instance_profile_arns_name_their_profile() {
        let arn = parse_instance_profile_arn("arn:aws:iam::000000000000:instance-profile/team/Web")
            .expect("a profile ARN");
        assert_eq!((arn.path, arn.name), ("/team/", "Web"));
        assert!(parse_instance_profile_arn("arn:aws:iam::000000000000:role/Web").is_err());
        // A role ARN may not name a profile of 65 to 128 characters; a
        // profile ARN may.
        let long = "p".repeat(100);
        assert!(
            parse_instance_profile_arn(&format!(
                "arn:aws:iam::000000000000:instance-profile/{long}"
            ))
            .is_ok()
        );
        assert!(parse_role_arn(&format!("arn:aws:iam::000000000000:role/{long}")).is_err());
    }
}
