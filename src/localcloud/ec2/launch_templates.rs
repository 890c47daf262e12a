//! Launch templates: `CreateLaunchTemplate`, `DescribeLaunchTemplates`,
//! `DescribeLaunchTemplateVersions` and `DeleteLaunchTemplate`.
//!
//! A template keeps what Auto Scaling needs to launch an instance: the
//! image, the instance type, the instance profile and the tags of new
//! instances and volumes. Other launch data is accepted and not kept, as
//! the local cloud has no use for it. `CreateLaunchTemplate` makes version
//! 1, which is the default.

use std::collections::BTreeMap;

use serde::Serialize;

use super::common::Context;
use super::launch_template_state::{
    FindTemplate, LaunchTemplate, LaunchTemplateData, LaunchTemplateError, LaunchTemplateVersion,
    TemplateName,
};
use super::state::{Ec2State, is_resource_id, random_id};
use super::xml::{Items, TagXml};
use super::{filters, iam_profiles, instances, tags};
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::paging::page_or;
use crate::localcloud::protocol::query::{Params, invalid_value, missing};

/// The longest template name.
pub const MAX_NAME_LENGTH: usize = 128;
/// The shortest template name.
pub const MIN_NAME_LENGTH: usize = 3;
/// The longest version description.
pub const MAX_DESCRIPTION_LENGTH: usize = 255;
/// The largest `MaxResults` of the two Describe operations.
pub const MAX_RESULTS: i64 = 200;

/// The resource types a launch template's tag specifications may name.
const TAGGABLE: [&str; 5] = [
    "instance",
    "volume",
    "network-interface",
    "spot-instances-request",
    "elastic-gpu",
];

/// Whether `name` is a valid template name: 3 to 128 letters, digits and
/// `( ) . - / _`.
pub fn is_template_name(name: &str) -> bool {
    (MIN_NAME_LENGTH..=MAX_NAME_LENGTH).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "().-/_".contains(c))
}

/// EC2's error for a template the local cloud does not have.
pub fn not_found(error: &LaunchTemplateError) -> ApiError {
    let code = match error {
        LaunchTemplateError::NoSuchId(_) => "InvalidLaunchTemplateId.NotFound",
        LaunchTemplateError::NoSuchName(_) => "InvalidLaunchTemplateName.NotFoundException",
        LaunchTemplateError::NoSuchVersion { .. } | LaunchTemplateError::BadVersion(_) => {
            "InvalidLaunchTemplateId.VersionNotFound"
        }
    };
    ApiError::new(
        code,
        format!("{error} List templates with DescribeLaunchTemplates."),
    )
}

/// Checks a template name given in `param`.
fn check_name(param: &str, name: &str) -> Result<(), ApiError> {
    if is_template_name(name) {
        Ok(())
    } else {
        Err(ApiError::new(
            "InvalidLaunchTemplateName.MalformedException",
            format!(
                "The value '{name}' of {param} is not valid: a launch template name must be between {MIN_NAME_LENGTH} and {MAX_NAME_LENGTH} characters, and may contain letters, numbers, and the following characters: - ( ) . / _"
            ),
        ))
    }
}

/// Checks a template id given in `param`.
fn check_id(param: &str, id: &str) -> Result<(), ApiError> {
    if is_resource_id(id, "lt-") {
        Ok(())
    } else {
        Err(ApiError::new(
            "InvalidLaunchTemplateId.Malformed",
            format!(
                "The value '{id}' of {param} is not a launch template id; an id is lt- and 17 lowercase hexadecimal digits."
            ),
        ))
    }
}

/// The template named by `LaunchTemplateId` or `LaunchTemplateName`
/// (exactly one of them).
fn named(params: &Params) -> Result<TemplateName<'_>, ApiError> {
    match (
        params.get("LaunchTemplateId").filter(|id| !id.is_empty()),
        params
            .get("LaunchTemplateName")
            .filter(|name| !name.is_empty()),
    ) {
        (Some(id), None) => {
            check_id("LaunchTemplateId", id)?;
            Ok(TemplateName::Id(id))
        }
        (None, Some(name)) => {
            check_name("LaunchTemplateName", name)?;
            Ok(TemplateName::Name(name))
        }
        (Some(_), Some(_)) => Err(ApiError::new(
            "InvalidParameterCombination",
            "Give either LaunchTemplateId or LaunchTemplateName, not both.",
        )),
        (None, None) => Err(missing("LaunchTemplateId or LaunchTemplateName")),
    }
}

/// A template as EC2 shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateXml {
    /// The id.
    launch_template_id: String,
    /// The name.
    launch_template_name: String,
    /// When it was created.
    create_time: String,
    /// Who created it.
    created_by: String,
    /// The default version.
    default_version_number: u64,
    /// The newest version.
    latest_version_number: u64,
    /// Its tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    tag_set: Option<Items<TagXml>>,
}

/// The account's root user, who creates everything in the local cloud.
fn created_by() -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:root")
}

/// `tags` as an EC2 tag set, or nothing when empty.
fn tag_set(tags: &BTreeMap<String, String>) -> Option<Items<TagXml>> {
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(key, value)| TagXml {
                key: key.clone(),
                value: value.clone(),
            })
            .collect()
    })
}

impl From<&LaunchTemplate> for LaunchTemplateXml {
    fn from(template: &LaunchTemplate) -> Self {
        Self {
            launch_template_id: template.id.clone(),
            launch_template_name: template.name.clone(),
            create_time: template.created.to_iso8601(),
            created_by: created_by(),
            default_version_number: template.default_version,
            latest_version_number: template.latest_version(),
            tag_set: tag_set(&template.tags),
        }
    }
}

/// The answer of `CreateLaunchTemplate` and `DeleteLaunchTemplate`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OneTemplateXml {
    /// The template.
    launch_template: LaunchTemplateXml,
}

/// Reads `LaunchTemplateData`.
fn template_data(params: &Params) -> Result<LaunchTemplateData, ApiError> {
    if !params.has("LaunchTemplateData") {
        return Err(missing("LaunchTemplateData"));
    }
    let data = params.nested("LaunchTemplateData");
    let image_id = data.get("ImageId").filter(|id| !id.is_empty());
    if let Some(image_id) = image_id
        && !is_resource_id(image_id, "ami-")
    {
        return Err(ApiError::new(
            "InvalidAMIID.Malformed",
            format!(
                "Invalid id: \"{image_id}\" (expecting \"ami-...\"); an image id is ami- and 8 or 17 lowercase hexadecimal digits."
            ),
        ));
    }
    let instance_type = data.get("InstanceType").filter(|kind| !kind.is_empty());
    if let Some(instance_type) = instance_type
        && !instances::is_instance_type(instance_type)
    {
        return Err(invalid_value(
            "LaunchTemplateData.InstanceType",
            instance_type,
            "Use a type such as t3.micro.",
        ));
    }
    let iam_instance_profile_arn = iam_profiles::profile_arn(&data)?;
    let iam_instance_profile_name = data
        .nested("IamInstanceProfile")
        .get("Name")
        .filter(|name| !name.is_empty())
        .map(str::to_owned);
    let mut instance_tags = BTreeMap::new();
    let mut volume_tags = BTreeMap::new();
    for (position, spec) in data.members("TagSpecification")?.iter().enumerate() {
        let name = format!("LaunchTemplateData.TagSpecification.{}", position + 1);
        let resource_type = spec
            .required("ResourceType")
            .map_err(|_| missing(&format!("{name}.ResourceType")))?;
        if !TAGGABLE.contains(&resource_type) {
            return Err(invalid_value(
                &format!("{name}.ResourceType"),
                resource_type,
                &format!("Expecting one of {}.", TAGGABLE.join(", ")),
            ));
        }
        let set = tags::to_set(
            tags::read(spec, "Tag", &format!("{name}.Tag"))?,
            &format!("{name}.Tag"),
        )?;
        if set.len() > tags::MAX_TAGS {
            return Err(tags::too_many("each new instance", set.len()));
        }
        match resource_type {
            "instance" => instance_tags.extend(set),
            "volume" => volume_tags.extend(set),
            _ => {}
        }
    }
    Ok(LaunchTemplateData {
        image_id: image_id.map(str::to_owned),
        instance_type: instance_type.map(str::to_owned),
        iam_instance_profile_arn,
        iam_instance_profile_name,
        instance_tags,
        volume_tags,
    })
}

/// The template's own tags, from the `TagSpecification.N` whose resource
/// type is `launch-template`.
fn template_tags(params: &Params) -> Result<BTreeMap<String, String>, ApiError> {
    let mut template_tags = BTreeMap::new();
    for (position, spec) in params.members("TagSpecification")?.iter().enumerate() {
        let name = format!("TagSpecification.{}", position + 1);
        let resource_type = spec
            .required("ResourceType")
            .map_err(|_| missing(&format!("{name}.ResourceType")))?;
        if resource_type != "launch-template" {
            return Err(invalid_value(
                &format!("{name}.ResourceType"),
                resource_type,
                "CreateLaunchTemplate tags the template itself: use launch-template, and tag instances in LaunchTemplateData.TagSpecification.",
            ));
        }
        template_tags.extend(tags::to_set(
            tags::read(spec, "Tag", &format!("{name}.Tag"))?,
            &format!("{name}.Tag"),
        )?);
    }
    Ok(template_tags)
}

/// `CreateLaunchTemplate`: a new template whose version 1 is `LaunchTemplateData`.
pub fn create(ec2: &mut Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let name = params.required("LaunchTemplateName")?;
    check_name("LaunchTemplateName", name)?;
    let description = params.get("VersionDescription").map(str::to_owned);
    if let Some(description) = &description
        && description.chars().count() > MAX_DESCRIPTION_LENGTH
    {
        return Err(invalid_value(
            "VersionDescription",
            description,
            &format!("A version description has at most {MAX_DESCRIPTION_LENGTH} characters."),
        ));
    }
    let data = template_data(params)?;
    let template_tags = template_tags(params)?;
    if ec2
        .launch_templates
        .values()
        .any(|template| template.name == name)
    {
        return Err(ApiError::new(
            "InvalidLaunchTemplateName.AlreadyExistsException",
            format!(
                "Launch template name already in use: {name}. Choose another name, or use the existing template."
            ),
        ));
    }
    let mut id = random_id("lt-");
    while ec2.launch_templates.contains_key(&id) {
        id = random_id("lt-");
    }
    let template = LaunchTemplate {
        id: id.clone(),
        name: name.to_owned(),
        created: context.now,
        default_version: 1,
        versions: vec![LaunchTemplateVersion {
            number: 1,
            description,
            created: context.now,
            data,
        }],
        tags: template_tags,
    };
    let answer = OneTemplateXml {
        launch_template: LaunchTemplateXml::from(&template),
    };
    ec2.launch_templates.insert(id, template);
    context.respond(&answer)
}

/// Reads `MaxResults` of the launch template operations: 1 to 200.
fn max_results(params: &Params) -> Result<usize, ApiError> {
    match params.int("MaxResults")? {
        None => Ok(usize::MAX),
        Some(max) if (1..=MAX_RESULTS).contains(&max) => Ok(usize::try_from(max).unwrap_or(1)),
        Some(max) => Err(invalid_value(
            "MaxResults",
            &max.to_string(),
            &format!("Expecting a value from 1 to {MAX_RESULTS}."),
        )),
    }
}

/// The page of `items` the request's `NextToken` and `MaxResults` ask for.
fn page<T>(
    scope: &str,
    items: Vec<(String, T)>,
    params: &Params,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let page = page_or(
        scope,
        items,
        params.get("NextToken"),
        max_results(params)?,
        |token| {
            ApiError::new(
                "InvalidPaginationToken",
                format!(
                    "The pagination token \"{token}\" is not valid for this request; send the NextToken from the previous page, or start again without one."
                ),
            )
        },
    )?;
    Ok((page.items, page.next_token))
}

/// The answer of `DescribeLaunchTemplates`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeTemplatesXml {
    /// The templates on this page.
    launch_templates: Items<LaunchTemplateXml>,
    /// The token for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// `DescribeLaunchTemplates`: the templates named by id or name (all if
/// none), filtered by `launch-template-name` and tags, paged.
pub fn describe(ec2: &Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let ids = params.list("LaunchTemplateId")?;
    let names = params.list("LaunchTemplateName")?;
    let filters = filters::read(params, |name| {
        name.starts_with("tag:") || matches!(name, "launch-template-name" | "tag-key")
    })?;
    for id in &ids {
        check_id("LaunchTemplateId", id)?;
        ec2.launch_templates
            .find(&TemplateName::Id(id))
            .map_err(|error| not_found(&error))?;
    }
    for name in &names {
        check_name("LaunchTemplateName", name)?;
        ec2.launch_templates
            .find(&TemplateName::Name(name))
            .map_err(|_| {
                ApiError::new(
                    "InvalidLaunchTemplateName.NotFoundException",
                    format!(
                        "At least one of the launch templates specified in the request does not exist: {name}. List templates with DescribeLaunchTemplates."
                    ),
                )
            })?;
    }
    let matching: Vec<(String, &LaunchTemplate)> = ec2
        .launch_templates
        .values()
        .filter(|template| ids.is_empty() || ids.contains(&template.id))
        .filter(|template| names.is_empty() || names.contains(&template.name))
        .filter(|template| {
            filters.iter().all(|filter| {
                let values: Vec<&str> = if let Some(key) = filter.name.strip_prefix("tag:") {
                    template
                        .tags
                        .get(key)
                        .map(String::as_str)
                        .into_iter()
                        .collect()
                } else if filter.name == "tag-key" {
                    template.tags.keys().map(String::as_str).collect()
                } else {
                    vec![template.name.as_str()]
                };
                filter.matches_any(values)
            })
        })
        .map(|template| (template.id.clone(), template))
        .collect();
    let (templates, next_token) = page("DescribeLaunchTemplates", matching, params)?;
    context.respond(&DescribeTemplatesXml {
        launch_templates: templates.into_iter().map(LaunchTemplateXml::from).collect(),
        next_token,
    })
}

/// An instance profile as a template shows it.
#[derive(Debug, Serialize)]
struct ProfileSpecXml {
    /// The ARN, if the template names it by ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    /// The name, if the template names it by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// A tag specification as a template shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TagSpecXml {
    /// What it tags.
    resource_type: &'static str,
    /// The tags.
    tag_set: Items<TagXml>,
}

/// A version's launch data as EC2 shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DataXml {
    /// The image.
    #[serde(skip_serializing_if = "Option::is_none")]
    image_id: Option<String>,
    /// The instance type.
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_type: Option<String>,
    /// The instance profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    iam_instance_profile: Option<ProfileSpecXml>,
    /// The tag specifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    tag_specification_set: Option<Items<TagSpecXml>>,
}

impl From<&LaunchTemplateData> for DataXml {
    fn from(data: &LaunchTemplateData) -> Self {
        let specs: Vec<TagSpecXml> = [
            ("instance", &data.instance_tags),
            ("volume", &data.volume_tags),
        ]
        .into_iter()
        .filter_map(|(resource_type, tags)| {
            tag_set(tags).map(|tag_set| TagSpecXml {
                resource_type,
                tag_set,
            })
        })
        .collect();
        let iam_instance_profile = match (
            &data.iam_instance_profile_name,
            &data.iam_instance_profile_arn,
        ) {
            (Some(name), _) => Some(ProfileSpecXml {
                arn: None,
                name: Some(name.clone()),
            }),
            (None, Some(arn)) => Some(ProfileSpecXml {
                arn: Some(arn.clone()),
                name: None,
            }),
            (None, None) => None,
        };
        Self {
            image_id: data.image_id.clone(),
            instance_type: data.instance_type.clone(),
            iam_instance_profile,
            tag_specification_set: (!specs.is_empty()).then_some(Items { item: specs }),
        }
    }
}

/// A version as EC2 shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionXml {
    /// The template's id.
    launch_template_id: String,
    /// The template's name.
    launch_template_name: String,
    /// The version's number.
    version_number: u64,
    /// Its description.
    #[serde(skip_serializing_if = "Option::is_none")]
    version_description: Option<String>,
    /// When it was created.
    create_time: String,
    /// Who created it.
    created_by: String,
    /// Whether it is the default version.
    default_version: bool,
    /// What it launches.
    launch_template_data: DataXml,
}

/// The answer of `DescribeLaunchTemplateVersions`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DescribeVersionsXml {
    /// The versions on this page.
    launch_template_version_set: Items<VersionXml>,
    /// The token for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Reads a version bound `name` (`MinVersion`, `MaxVersion`).
fn version_bound(params: &Params, name: &str) -> Result<Option<u64>, ApiError> {
    params
        .get(name)
        .map(|text| {
            text.parse::<u64>()
                .ok()
                .filter(|number| *number >= 1)
                .ok_or_else(|| invalid_value(name, text, "Expecting a version number from 1."))
        })
        .transpose()
}

/// `DescribeLaunchTemplateVersions`: the versions of one template, all or
/// those named in `LaunchTemplateVersion.N` (numbers, `$Latest`,
/// `$Default`), between `MinVersion` and `MaxVersion`, paged.
pub fn describe_versions(
    ec2: &Ec2State,
    context: &Context,
    params: &Params,
) -> Result<String, ApiError> {
    let template = ec2
        .launch_templates
        .find(&named(params)?)
        .map_err(|error| not_found(&error))?;
    let asked = params.list("LaunchTemplateVersion")?;
    let min = version_bound(params, "MinVersion")?;
    let max = version_bound(params, "MaxVersion")?;
    let mut numbers: Vec<u64> = Vec::new();
    for version in &asked {
        let found = template
            .version(Some(version))
            .map_err(|error| not_found(&error))?;
        if !numbers.contains(&found.number) {
            numbers.push(found.number);
        }
    }
    let versions: Vec<(String, &LaunchTemplateVersion)> = template
        .versions
        .iter()
        .filter(|version| numbers.is_empty() || numbers.contains(&version.number))
        .filter(|version| min.is_none_or(|min| version.number >= min))
        .filter(|version| max.is_none_or(|max| version.number <= max))
        .map(|version| (format!("{:020}", version.number), version))
        .collect();
    let (versions, next_token) = page(
        &format!("DescribeLaunchTemplateVersions/{}", template.id),
        versions,
        params,
    )?;
    context.respond(&DescribeVersionsXml {
        launch_template_version_set: versions
            .into_iter()
            .map(|version| VersionXml {
                launch_template_id: template.id.clone(),
                launch_template_name: template.name.clone(),
                version_number: version.number,
                version_description: version.description.clone(),
                create_time: version.created.to_iso8601(),
                created_by: created_by(),
                default_version: version.number == template.default_version,
                launch_template_data: DataXml::from(&version.data),
            })
            .collect(),
        next_token,
    })
}

/// `DeleteLaunchTemplate`: deletes a template and all its versions.
/// Groups that launch from it can no longer launch, as in AWS.
pub fn delete(ec2: &mut Ec2State, context: &Context, params: &Params) -> Result<String, ApiError> {
    let template = ec2
        .launch_templates
        .find(&named(params)?)
        .map_err(|error| not_found(&error))?;
    let answer = OneTemplateXml {
        launch_template: LaunchTemplateXml::from(template),
    };
    let id = template.id.clone();
    ec2.launch_templates.remove(&id);
    context.respond(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_follow_ec2s_rules() {
        for good in ["web", "web-(1).v2/blue_green", &"a".repeat(128)] {
            assert!(is_template_name(good), "{good}");
        }
        for bad in ["", "ab", "web server", "web:1", &"a".repeat(129)] {
            assert!(!is_template_name(bad), "{bad}");
        }
    }
}
