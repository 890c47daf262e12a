//! The names of Elastic Load Balancing: load balancers (application,
//! network and classic) and target groups share one rule. A name has 1 to
//! 32 letters, digits and hyphens, and neither starts nor ends with a
//! hyphen; a load balancer's name may not start with `internal-`, which AWS
//! puts in front of an internal load balancer's DNS name.

/// The longest name of a load balancer or target group.
pub const MAX_ELB_NAME_LENGTH: usize = 32;

/// What an Elastic Load Balancing name is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElbNameKind {
    /// A load balancer (v2 or classic).
    LoadBalancer,
    /// A target group.
    TargetGroup,
}

impl ElbNameKind {
    /// The kind in words, as AWS's messages start: `Load balancer name`.
    pub fn label(self) -> &'static str {
        match self {
            Self::LoadBalancer => "Load balancer name",
            Self::TargetGroup => "Target group name",
        }
    }
}

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElbNameError {
    /// No name at all.
    #[error("{kind} cannot be empty; give 1 to 32 letters, digits or hyphens.", kind = .0.label())]
    Empty(ElbNameKind),
    /// More than 32 characters.
    #[error("{kind} '{1}' cannot be longer than '32' characters; shorten it.", kind = .0.label())]
    TooLong(ElbNameKind, String),
    /// A character other than a letter, digit or hyphen.
    #[error(
        "{kind} '{1}' can only contain characters that are alphanumeric characters and hyphens(-); remove the others.",
        kind = .0.label()
    )]
    BadCharacter(ElbNameKind, String),
    /// A hyphen first or last.
    #[error("{kind} '{1}' cannot begin or end with '-' character; remove the hyphen.", kind = .0.label())]
    EdgeHyphen(ElbNameKind, String),
    /// A load balancer name starting with `internal-`.
    #[error("{kind} '{1}' cannot begin with 'internal-'; choose another beginning.", kind = .0.label())]
    InternalPrefix(ElbNameKind, String),
}

/// Checks `name` as a name of `kind`.
pub fn validate_elb_name(kind: ElbNameKind, name: &str) -> Result<(), ElbNameError> {
    if name.is_empty() {
        return Err(ElbNameError::Empty(kind));
    }
    if name.chars().count() > MAX_ELB_NAME_LENGTH {
        return Err(ElbNameError::TooLong(kind, name.to_owned()));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ElbNameError::BadCharacter(kind, name.to_owned()));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(ElbNameError::EdgeHyphen(kind, name.to_owned()));
    }
    if kind == ElbNameKind::LoadBalancer && name.to_ascii_lowercase().starts_with("internal-") {
        return Err(ElbNameError::InternalPrefix(kind, name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_and_inner_hyphens_up_to_32_are_names() {
        for name in ["web", "web-blue-1", "A1", &"a".repeat(32)] {
            assert_eq!(validate_elb_name(ElbNameKind::LoadBalancer, name), Ok(()));
            assert_eq!(validate_elb_name(ElbNameKind::TargetGroup, name), Ok(()));
        }
    }

    #[test]
    fn empty_long_odd_and_hyphen_edged_names_are_refused() {
        use ElbNameKind::{LoadBalancer, TargetGroup};
        assert_eq!(
            validate_elb_name(TargetGroup, ""),
            Err(ElbNameError::Empty(TargetGroup))
        );
        assert!(matches!(
            validate_elb_name(TargetGroup, &"a".repeat(33)),
            Err(ElbNameError::TooLong(..))
        ));
        assert!(matches!(
            validate_elb_name(LoadBalancer, "web_1"),
            Err(ElbNameError::BadCharacter(..))
        ));
        assert!(matches!(
            validate_elb_name(LoadBalancer, "-web"),
            Err(ElbNameError::EdgeHyphen(..))
        ));
        assert!(matches!(
            validate_elb_name(TargetGroup, "web-"),
            Err(ElbNameError::EdgeHyphen(..))
        ));
        // Only a load balancer's name may not start with `internal-`.
        assert!(matches!(
            validate_elb_name(LoadBalancer, "internal-web"),
            Err(ElbNameError::InternalPrefix(..))
        ));
        assert_eq!(validate_elb_name(TargetGroup, "internal-web"), Ok(()));
        let message = validate_elb_name(LoadBalancer, &"b".repeat(40))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("cannot be longer than '32' characters"),
            "{message}"
        );
    }
}
