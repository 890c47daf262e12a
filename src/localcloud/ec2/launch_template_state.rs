//! EC2 launch templates as the local cloud keeps them: what to launch (an
//! image, an instance type, an instance profile and the tags of new
//! instances), in numbered versions, one of which is the default.
//!
//! Auto Scaling launches its groups' instances from them, naming a version
//! by number or as `$Latest` or `$Default`; [`LaunchTemplates::resolve`]
//! answers both EC2's and Auto Scaling's questions about which version that
//! is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::Table;

/// The version alias for the newest version.
pub const LATEST: &str = "$Latest";
/// The version alias for the default version.
pub const DEFAULT: &str = "$Default";

/// A launch template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTemplate {
    /// The id, `lt-` and 17 hexadecimal digits.
    pub id: String,
    /// The name, unique in the account.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// The default version's number.
    pub default_version: u64,
    /// The versions, oldest first, numbered from 1.
    pub versions: Vec<LaunchTemplateVersion>,
    /// The template's own tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One version of a launch template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTemplateVersion {
    /// Its number, from 1.
    pub number: u64,
    /// What the person who made it said about it.
    #[serde(default)]
    pub description: Option<String>,
    /// When it was created.
    pub created: Timestamp,
    /// What it launches.
    pub data: LaunchTemplateData,
}

/// What a version launches. Absent parts are left to the launch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LaunchTemplateData {
    /// The image.
    pub image_id: Option<String>,
    /// The instance type.
    pub instance_type: Option<String>,
    /// The instance profile's ARN, if one is named.
    pub iam_instance_profile_arn: Option<String>,
    /// The instance profile's name, if it was named by name.
    pub iam_instance_profile_name: Option<String>,
    /// The tags new instances get.
    pub instance_tags: BTreeMap<String, String>,
    /// The tags new volumes get (kept to show them back).
    pub volume_tags: BTreeMap<String, String>,
}

/// Why a template or one of its versions could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchTemplateError {
    /// No template has the id.
    #[error("The specified launch template, with template ID {0}, does not exist.")]
    NoSuchId(String),
    /// No template has the name.
    #[error("The specified launch template, with template name {0}, does not exist.")]
    NoSuchName(String),
    /// The template has no such version.
    #[error(
        "The specified launch template version {version} of template {template} does not exist."
    )]
    NoSuchVersion {
        /// The template's id.
        template: String,
        /// The version as asked for.
        version: String,
    },
    /// The version is neither a number nor an alias.
    #[error("The version {0} is not valid; give a version number or $Latest or $Default.")]
    BadVersion(String),
}

/// How a request names a launch template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateName<'a> {
    /// By its id.
    Id(&'a str),
    /// By its name.
    Name(&'a str),
}

/// The launch templates of the account, by id.
pub type LaunchTemplates = Table<String, LaunchTemplate>;

impl LaunchTemplate {
    /// The version `version` names (a number, `$Latest` or `$Default`;
    /// `None` is the default version).
    pub fn version(
        &self,
        version: Option<&str>,
    ) -> Result<&LaunchTemplateVersion, LaunchTemplateError> {
        let number = match version {
            None | Some(DEFAULT) => self.default_version,
            Some(LATEST) => self.latest_version(),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|number| *number >= 1)
                .ok_or_else(|| LaunchTemplateError::BadVersion(text.to_owned()))?,
        };
        self.versions
            .iter()
            .find(|known| known.number == number)
            .ok_or_else(|| LaunchTemplateError::NoSuchVersion {
                template: self.id.clone(),
                version: version.unwrap_or(DEFAULT).to_owned(),
            })
    }

    /// The newest version's number.
    pub fn latest_version(&self) -> u64 {
        self.versions.last().map_or(1, |version| version.number)
    }
}

/// Finds templates by id or name.
pub trait FindTemplate {
    /// The template `name` names.
    fn find(&self, name: &TemplateName<'_>) -> Result<&LaunchTemplate, LaunchTemplateError>;

    /// The template `name` names and its version `version`.
    fn resolve(
        &self,
        name: &TemplateName<'_>,
        version: Option<&str>,
    ) -> Result<(&LaunchTemplate, &LaunchTemplateVersion), LaunchTemplateError> {
        let template = self.find(name)?;
        Ok((template, template.version(version)?))
    }
}

impl FindTemplate for LaunchTemplates {
    fn find(&self, name: &TemplateName<'_>) -> Result<&LaunchTemplate, LaunchTemplateError> {
        match name {
            TemplateName::Id(id) => self
                .get(*id)
                .ok_or_else(|| LaunchTemplateError::NoSuchId((*id).to_owned())),
            TemplateName::Name(wanted) => self
                .values()
                .find(|template| template.name == *wanted)
                .ok_or_else(|| LaunchTemplateError::NoSuchName((*wanted).to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> LaunchTemplate {
        let version = |number| LaunchTemplateVersion {
            number,
            description: None,
            created: Timestamp::from_secs(1),
            data: LaunchTemplateData {
                image_id: Some(format!("ami-0000000{number}")),
                ..LaunchTemplateData::default()
            },
        };
        LaunchTemplate {
            id: "lt-0123456789abcdef0".to_owned(),
            name: "web".to_owned(),
            created: Timestamp::from_secs(1),
            default_version: 1,
            versions: vec![version(1), version(2)],
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn versions_are_found_by_number_and_alias() {
        let template = template();
        assert_eq!(template.version(None).unwrap().number, 1);
        assert_eq!(template.version(Some(DEFAULT)).unwrap().number, 1);
        assert_eq!(template.version(Some(LATEST)).unwrap().number, 2);
        assert_eq!(template.version(Some("2")).unwrap().number, 2);
        assert!(matches!(
            template.version(Some("3")),
            Err(LaunchTemplateError::NoSuchVersion { .. })
        ));
        assert!(matches!(
            template.version(Some("latest")),
            Err(LaunchTemplateError::BadVersion(_))
        ));
        let mut templates = LaunchTemplates::default();
        templates.insert(template.id.clone(), template);
        assert!(templates.find(&TemplateName::Name("web")).is_ok());
        assert!(
            templates
                .find(&TemplateName::Id("lt-0123456789abcdef0"))
                .is_ok()
        );
        assert_eq!(
            templates.find(&TemplateName::Name("db")).unwrap_err(),
            LaunchTemplateError::NoSuchName("db".to_owned())
        );
        let (_, latest) = templates
            .resolve(&TemplateName::Name("web"), Some(LATEST))
            .unwrap();
        assert_eq!(latest.data.image_id.as_deref(), Some("ami-00000002"));
    }
}
