//! EC2 operations as small async functions that return our own types: the
//! instances a deployment group's tags select, tagging instances, launching
//! and stopping them, their instance profiles, and the regions.
//!
//! Which instances a CodeDeploy tag selection matches is decided by
//! [`crate::domain::tags`], the same rules the local cloud's deployment
//! engine follows. What EC2's own filters can express is sent to EC2, so
//! that a large account does not list every instance; the rest is checked
//! here.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_sdk_ec2::types::{
    self as ec2, Filter, IamInstanceProfileSpecification, InstanceType, Reservation, ResourceType,
    Tag, TagSpecification,
};

use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::describe_instances::builders::DescribeInstancesFluentBuilder;

use super::error::{CloudError, CloudResult, sdk_error as error};
use super::session::Session;
use super::to_system_time;
use crate::domain::names::{MAX_TAGS_PER_RESOURCE, TagFilterType, validate_tag, validate_tags};
use crate::domain::tags::{TagFilter, TagSelection};

/// The most resource ids one `CreateTags` or `DeleteTags` call takes, and
/// the most instance ids one state change is sent with.
pub const RESOURCE_BATCH: usize = 1000;
/// The most instance ids one `DescribeInstances` call is sent with.
const DESCRIBE_BATCH: usize = 200;
/// The page size asked of paged Describe operations.
const PAGE_SIZE: i32 = 1000;

/// An EC2 instance as the wizards and the demo show it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ec2InstanceSummary {
    /// The instance id, e.g. `i-0123456789abcdef0`.
    pub instance_id: String,
    /// The `Name` tag, if it has one.
    pub name: Option<String>,
    /// The state as EC2 spells it (`pending`, `running`, `stopped`, ...).
    pub state: String,
    /// The instance type, e.g. `t3.micro`.
    pub instance_type: String,
    /// The private IPv4 address, if it has one.
    pub private_ip: Option<String>,
    /// When it was launched.
    pub launch_time: Option<SystemTime>,
    /// Its tags by key.
    pub tags: BTreeMap<String, String>,
    /// The ARN of its IAM instance profile, if it has one.
    pub instance_profile_arn: Option<String>,
}

impl Ec2InstanceSummary {
    /// Whether the instance exists, in the sense CodeDeploy deploys to it:
    /// not terminated and not on its way there.
    pub fn is_live(&self) -> bool {
        !matches!(self.state.as_str(), "shutting-down" | "terminated")
    }

    /// Whether `selection` selects this instance by its tags.
    pub fn is_selected_by(&self, selection: &TagSelection) -> bool {
        selection.selects(
            self.tags
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str())),
        )
    }

    fn from_sdk(instance: &ec2::Instance) -> Self {
        let tags = tag_map(instance.tags());
        Self {
            instance_id: instance.instance_id().unwrap_or_default().to_owned(),
            name: tags.get("Name").cloned(),
            state: instance
                .state()
                .and_then(|state| state.name())
                .map(|name| name.as_str().to_owned())
                .unwrap_or_default(),
            instance_type: instance
                .instance_type()
                .map(|kind| kind.as_str().to_owned())
                .unwrap_or_default(),
            private_ip: instance.private_ip_address().map(str::to_owned),
            launch_time: to_system_time(instance.launch_time()),
            tags,
            instance_profile_arn: instance
                .iam_instance_profile()
                .and_then(|profile| profile.arn())
                .map(str::to_owned),
        }
    }
}

/// EC2 tags as a map by key (a tag without a key is left out).
pub(crate) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|tag| {
            Some((
                tag.key()?.to_owned(),
                tag.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

/// Whether `text` holds one of the characters EC2 filters read as
/// wildcards or escapes; such a filter is checked here rather than sent.
fn has_wildcards(text: &str) -> bool {
    text.contains(['*', '?', '\\'])
}

/// The one EC2 filter that selects exactly what `group` (any of its
/// filters) selects, if there is one: `tag:KEY` when every filter names
/// the same key and a value, `tag-key` when every filter is `KEY_ONLY`,
/// `tag-value` when every filter is `VALUE_ONLY`.
fn server_filter(group: &[TagFilter]) -> Option<Filter> {
    let first = group.first()?;
    if group
        .iter()
        .any(|filter| has_wildcards(&filter.key) || has_wildcards(&filter.value))
    {
        return None;
    }
    let all = |kind: TagFilterType| group.iter().all(|filter| filter.kind == kind);
    let (name, values): (String, Vec<String>) =
        if all(TagFilterType::KeyAndValue) && group.iter().all(|filter| filter.key == first.key) {
            (
                format!("tag:{}", first.key),
                group.iter().map(|filter| filter.value.clone()).collect(),
            )
        } else if all(TagFilterType::KeyOnly) {
            (
                "tag-key".to_owned(),
                group.iter().map(|filter| filter.key.clone()).collect(),
            )
        } else if all(TagFilterType::ValueOnly) {
            (
                "tag-value".to_owned(),
                group.iter().map(|filter| filter.value.clone()).collect(),
            )
        } else {
            return None;
        };
    Some(
        Filter::builder()
            .name(name)
            .set_values(Some(values))
            .build(),
    )
}

/// The EC2 filters that narrow the listing for `selection` without leaving
/// out anything it selects: one per group EC2 can express (EC2 ANDs its
/// filters, as a tag set ANDs its groups).
pub fn server_filters(selection: &TagSelection) -> Vec<Filter> {
    selection
        .groups()
        .into_iter()
        .filter(|group| !group.is_empty())
        .filter_map(server_filter)
        .collect()
}

/// Lists every instance (all pages) that passes the EC2 `filters`.
pub async fn describe_instances(
    session: &Session,
    filters: Vec<Filter>,
) -> Result<Vec<Ec2InstanceSummary>, CloudError> {
    let request = session.ec2.describe_instances();
    let request = request.set_filters((!filters.is_empty()).then_some(filters));
    every_instance(session, request.max_results(PAGE_SIZE)).await
}

/// Every instance that `request` describes, over all its pages.
async fn every_instance(
    session: &Session,
    request: DescribeInstancesFluentBuilder,
) -> CloudResult<Vec<Ec2InstanceSummary>> {
    let pages = request.into_paginator().send().try_collect().await;
    let pages = pages.map_err(error(session, "DescribeInstances"))?;
    Ok(pages
        .iter()
        .flat_map(DescribeInstancesOutput::reservations)
        .flat_map(Reservation::instances)
        .map(Ec2InstanceSummary::from_sdk)
        .collect())
}

/// Lists instances, all of them or those `selection` selects by
/// CodeDeploy's rules, in instance id order. Terminated instances are
/// listed too ([`Ec2InstanceSummary::is_live`] tells them apart).
pub async fn list_instances(
    session: &Session,
    selection: Option<&TagSelection>,
) -> Result<Vec<Ec2InstanceSummary>, CloudError> {
    let filters = selection.map(server_filters).unwrap_or_default();
    let mut instances = describe_instances(session, filters).await?;
    if let Some(selection) = selection {
        instances.retain(|instance| instance.is_selected_by(selection));
    }
    instances.sort_by(|left, right| left.instance_id.cmp(&right.instance_id));
    Ok(instances)
}

/// Describes the instances `instance_ids`, in batches. An unknown id fails
/// the call with `InvalidInstanceID.NotFound`.
pub async fn describe_instances_by_id(
    session: &Session,
    instance_ids: &[String],
) -> Result<Vec<Ec2InstanceSummary>, CloudError> {
    let mut instances = Vec::with_capacity(instance_ids.len());
    for batch in instance_ids.chunks(DESCRIBE_BATCH) {
        let request = session.ec2.describe_instances();
        let request = request.set_instance_ids(Some(batch.to_vec()));
        instances.extend(every_instance(session, request).await?);
    }
    Ok(instances)
}

/// The error for a tag our rules refuse, before anything is sent.
fn bad_tag(key: &str, problem: &dyn std::fmt::Display) -> CloudError {
    CloudError::Invalid {
        code: "InvalidParameterValue".to_owned(),
        message: format!("The tag \"{key}\" cannot be used: {problem}"),
    }
}

/// Checks tags to set: each key and value, no key twice, at most as many
/// as one resource carries.
fn check_tags(tags: &[(String, String)]) -> Result<(), CloudError> {
    for (key, value) in tags {
        validate_tag(key, value).map_err(|problem| bad_tag(key, &problem))?;
    }
    validate_tags(
        tags.iter()
            .map(|(key, value)| (key.as_str(), value.as_str())),
        MAX_TAGS_PER_RESOURCE,
    )
    .map_err(|problem| CloudError::Invalid {
        code: "InvalidParameterValue".to_owned(),
        message: problem.to_string(),
    })
}

fn sdk_tags(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect()
}

/// Sets `tags` on every instance of `instance_ids` (in batches of
/// [`RESOURCE_BATCH`]), replacing the values of keys they already have.
/// The tags are checked first; a bad one is named in the error and nothing
/// is sent.
pub async fn create_tags(
    session: &Session,
    instance_ids: &[String],
    tags: &[(String, String)],
) -> Result<(), CloudError> {
    if tags.is_empty() {
        return Err(CloudError::Other(
            "No tags were given; add at least one tag to set.".to_owned(),
        ));
    }
    check_tags(tags)?;
    for batch in instance_ids.chunks(RESOURCE_BATCH) {
        session
            .ec2
            .create_tags()
            .set_resources(Some(batch.to_vec()))
            .set_tags(Some(sdk_tags(tags)))
            .send()
            .await
            .map_err(error(session, "CreateTags"))?;
    }
    Ok(())
}

/// A tag to remove: by key whatever its value, or only where it has the
/// given value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRemoval {
    /// The key.
    pub key: String,
    /// The value it must have to be removed; `None` removes any value.
    pub value: Option<String>,
}

/// Removes tags from every instance of `instance_ids`, in batches of
/// [`RESOURCE_BATCH`]. At least one tag must be named: EC2 reads an empty
/// list as "remove every tag", which a person rarely means.
pub async fn delete_tags(
    session: &Session,
    instance_ids: &[String],
    tags: &[TagRemoval],
) -> Result<(), CloudError> {
    if tags.is_empty() {
        return Err(CloudError::Other(
            "No tags were named for removal; name the keys to remove.".to_owned(),
        ));
    }
    for tag in tags {
        validate_tag(&tag.key, tag.value.as_deref().unwrap_or_default())
            .map_err(|problem| bad_tag(&tag.key, &problem))?;
    }
    let sdk_tags: Vec<Tag> = tags
        .iter()
        .map(|tag| {
            Tag::builder()
                .key(&tag.key)
                .set_value(tag.value.clone())
                .build()
        })
        .collect();
    for batch in instance_ids.chunks(RESOURCE_BATCH) {
        session
            .ec2
            .delete_tags()
            .set_resources(Some(batch.to_vec()))
            .set_tags(Some(sdk_tags.clone()))
            .send()
            .await
            .map_err(error(session, "DeleteTags"))?;
    }
    Ok(())
}

/// An IAM instance profile, by name or by ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceProfile {
    /// The profile's name.
    Name(String),
    /// The profile's ARN.
    Arn(String),
}

impl InstanceProfile {
    /// A profile from what a person typed: an ARN if it looks like one,
    /// a name otherwise.
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        if text.starts_with("arn:") {
            Self::Arn(text.to_owned())
        } else {
            Self::Name(text.to_owned())
        }
    }

    fn to_sdk(&self) -> IamInstanceProfileSpecification {
        match self {
            Self::Name(name) => IamInstanceProfileSpecification::builder()
                .name(name)
                .build(),
            Self::Arn(arn) => IamInstanceProfileSpecification::builder().arn(arn).build(),
        }
    }
}

/// What to launch with [`run_instances`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchRequest {
    /// The image (`ami-...`).
    pub image_id: String,
    /// The instance type, e.g. `t3.micro`.
    pub instance_type: String,
    /// How many instances, all or none.
    pub count: i32,
    /// Tags for the new instances.
    pub tags: Vec<(String, String)>,
    /// The instance profile to give them, if any.
    pub instance_profile: Option<InstanceProfile>,
}

/// Launches `request.count` instances (all or none) and returns them as
/// launched, in instance id order.
pub async fn run_instances(
    session: &Session,
    request: &LaunchRequest,
) -> Result<Vec<Ec2InstanceSummary>, CloudError> {
    check_tags(&request.tags)?;
    let tag_specifications = (!request.tags.is_empty()).then(|| {
        vec![
            TagSpecification::builder()
                .resource_type(ResourceType::Instance)
                .set_tags(Some(sdk_tags(&request.tags)))
                .build(),
        ]
    });
    let output = session
        .ec2
        .run_instances()
        .image_id(&request.image_id)
        .instance_type(InstanceType::from(request.instance_type.as_str()))
        .min_count(request.count)
        .max_count(request.count)
        .set_tag_specifications(tag_specifications)
        .set_iam_instance_profile(
            request
                .instance_profile
                .as_ref()
                .map(InstanceProfile::to_sdk),
        )
        .send()
        .await
        .map_err(error(session, "RunInstances"))?;
    let mut instances: Vec<Ec2InstanceSummary> = output
        .instances()
        .iter()
        .map(Ec2InstanceSummary::from_sdk)
        .collect();
    instances.sort_by(|left, right| left.instance_id.cmp(&right.instance_id));
    Ok(instances)
}

/// One instance's change of state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The instance.
    pub instance_id: String,
    /// Its state before the request.
    pub previous: String,
    /// Its state just after the request (often a transitional one such as
    /// `stopping`).
    pub current: String,
}

fn state_changes(changes: &[ec2::InstanceStateChange]) -> Vec<StateChange> {
    let name = |state: Option<&ec2::InstanceState>| {
        state
            .and_then(|state| state.name())
            .map(|name| name.as_str().to_owned())
            .unwrap_or_default()
    };
    changes
        .iter()
        .map(|change| StateChange {
            instance_id: change.instance_id().unwrap_or_default().to_owned(),
            previous: name(change.previous_state()),
            current: name(change.current_state()),
        })
        .collect()
}

/// Sends `send` once per batch of at most [`RESOURCE_BATCH`] instance ids
/// and gathers the state changes it reports.
async fn in_batches(
    instance_ids: &[String],
    send: impl AsyncFn(Vec<String>) -> Result<Vec<StateChange>, CloudError>,
) -> Result<Vec<StateChange>, CloudError> {
    let mut changes = Vec::with_capacity(instance_ids.len());
    for batch in instance_ids.chunks(RESOURCE_BATCH) {
        changes.extend(send(batch.to_vec()).await?);
    }
    Ok(changes)
}

/// Asks EC2 to change the state of the instances `$ids`, in batches, with
/// the request `$request` (the operation `$operation`), and gathers the
/// state changes its answer lists under `$changes`.
macro_rules! change_state {
    ($session:expr, $ids:expr, $request:ident, $operation:literal, $changes:ident) => {
        in_batches($ids, async |batch| {
            let request = $session.ec2.$request().set_instance_ids(Some(batch));
            let output = request.send().await;
            let output = output.map_err(error($session, $operation))?;
            Ok(state_changes(output.$changes()))
        })
        .await
    };
}

/// Starts stopped instances.
pub async fn start_instances(session: &Session, ids: &[String]) -> CloudResult<Vec<StateChange>> {
    change_state!(
        session,
        ids,
        start_instances,
        "StartInstances",
        starting_instances
    )
}

/// Stops running instances.
pub async fn stop_instances(session: &Session, ids: &[String]) -> CloudResult<Vec<StateChange>> {
    change_state!(
        session,
        ids,
        stop_instances,
        "StopInstances",
        stopping_instances
    )
}

/// Terminates instances; they stay listed as terminated for a while.
pub async fn terminate_instances(
    session: &Session,
    ids: &[String],
) -> CloudResult<Vec<StateChange>> {
    change_state!(
        session,
        ids,
        terminate_instances,
        "TerminateInstances",
        terminating_instances
    )
}

/// An instance profile associated with an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileAssociation {
    /// The association's id.
    pub association_id: String,
    /// The instance.
    pub instance_id: String,
    /// The profile's ARN.
    pub profile_arn: String,
    /// `associating`, `associated`, `disassociating` or `disassociated`.
    pub state: String,
}

impl ProfileAssociation {
    fn from_sdk(association: &ec2::IamInstanceProfileAssociation) -> Self {
        Self {
            association_id: association.association_id().unwrap_or_default().to_owned(),
            instance_id: association.instance_id().unwrap_or_default().to_owned(),
            profile_arn: association
                .iam_instance_profile()
                .and_then(|profile| profile.arn())
                .unwrap_or_default()
                .to_owned(),
            state: association
                .state()
                .map(|state| state.as_str().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// Associates `profile` with an instance that has none.
pub async fn associate_instance_profile(
    session: &Session,
    instance_id: &str,
    profile: &InstanceProfile,
) -> Result<ProfileAssociation, CloudError> {
    let output = session
        .ec2
        .associate_iam_instance_profile()
        .instance_id(instance_id)
        .iam_instance_profile(profile.to_sdk())
        .send()
        .await
        .map_err(error(session, "AssociateIamInstanceProfile"))?;
    output
        .iam_instance_profile_association()
        .map(ProfileAssociation::from_sdk)
        .ok_or_else(|| {
            CloudError::Other(
                "AssociateIamInstanceProfile answered without the association; list the associations to see whether it was made.".to_owned(),
            )
        })
}

/// Lists the instance profile associations of `instance_ids`, or of every
/// instance when the list is empty (all pages).
pub async fn list_profile_associations(
    session: &Session,
    instance_ids: &[String],
) -> Result<Vec<ProfileAssociation>, CloudError> {
    let filters = (!instance_ids.is_empty()).then(|| {
        vec![
            Filter::builder()
                .name("instance-id")
                .set_values(Some(instance_ids.to_vec()))
                .build(),
        ]
    });
    let mut associations = Vec::new();
    let mut pages = session
        .ec2
        .describe_iam_instance_profile_associations()
        .set_filters(filters)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(error(session, "DescribeIamInstanceProfileAssociations"))?;
        associations.extend(
            page.iam_instance_profile_associations()
                .iter()
                .map(ProfileAssociation::from_sdk),
        );
    }
    Ok(associations)
}

/// A region the account can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Its name, e.g. `eu-west-1`.
    pub name: String,
    /// Its EC2 endpoint host.
    pub endpoint: Option<String>,
}

/// Lists the regions enabled for the account, by name.
pub async fn describe_regions(session: &Session) -> Result<Vec<Region>, CloudError> {
    let output = session
        .ec2
        .describe_regions()
        .send()
        .await
        .map_err(error(session, "DescribeRegions"))?;
    let mut regions: Vec<Region> = output
        .regions()
        .iter()
        .filter_map(|region| {
            Some(Region {
                name: region.region_name()?.to_owned(),
                endpoint: region.endpoint().map(str::to_owned),
            })
        })
        .collect();
    regions.sort_by(|left, right| left.name.cmp(&right.name));
    Ok(regions)
}

/// The names of the account's EC2 launch templates.
pub async fn launch_template_names(session: &Session) -> CloudResult<Vec<String>> {
    let mut names = Vec::new();
    let mut next_token = None;
    loop {
        let page = session
            .ec2
            .describe_launch_templates()
            .set_next_token(next_token)
            .send()
            .await
            .map_err(error(session, "DescribeLaunchTemplates"))?;
        names.extend(
            page.launch_templates()
                .iter()
                .filter_map(|template| template.launch_template_name().map(str::to_owned)),
        );
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    names.sort();
    Ok(names)
}

/// Creates the launch template `name`: instances of the image `image_id`
/// that carry `tags` from launch. The tags are checked first.
pub async fn create_launch_template(
    session: &Session,
    name: &str,
    image_id: &str,
    instance_profile: Option<&str>,
    tags: &[(String, String)],
) -> CloudResult<()> {
    use aws_sdk_ec2::types::{
        LaunchTemplateIamInstanceProfileSpecificationRequest,
        LaunchTemplateTagSpecificationRequest, RequestLaunchTemplateData,
    };
    check_tags(tags)?;
    session
        .ec2
        .create_launch_template()
        .launch_template_name(name)
        .launch_template_data(
            RequestLaunchTemplateData::builder()
                .image_id(image_id)
                .set_iam_instance_profile(instance_profile.map(|name| {
                    LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                        .name(name)
                        .build()
                }))
                .tag_specifications(
                    LaunchTemplateTagSpecificationRequest::builder()
                        .resource_type(ResourceType::Instance)
                        .set_tags(Some(sdk_tags(tags)))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .map_err(error(session, "CreateLaunchTemplate"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter_text(filter: &Filter) -> (String, Vec<String>) {
        (
            filter.name().unwrap_or_default().to_owned(),
            filter.values().to_vec(),
        )
    }

    #[test]
    fn groups_ec2_can_express_become_server_filters() {
        let same_key = TagSelection::AnyOf(vec![
            TagFilter::key_and_value("Env", "prod"),
            TagFilter::key_and_value("Env", "test"),
        ]);
        let filters: Vec<_> = server_filters(&same_key).iter().map(filter_text).collect();
        assert_eq!(
            filters,
            [(
                "tag:Env".to_owned(),
                vec!["prod".to_owned(), "test".to_owned()]
            )]
        );
        let keys = TagSelection::AnyOf(vec![TagFilter::key_only("A"), TagFilter::key_only("B")]);
        assert_eq!(
            filter_text(&server_filters(&keys)[0]),
            ("tag-key".to_owned(), vec!["A".to_owned(), "B".to_owned()])
        );
        let values = TagSelection::AnyOf(vec![TagFilter::value_only("web")]);
        assert_eq!(
            filter_text(&server_filters(&values)[0]),
            ("tag-value".to_owned(), vec!["web".to_owned()])
        );
    }

    #[test]
    fn groups_ec2_cannot_express_are_left_to_local_matching() {
        // Two keys in one any-of list: no single EC2 filter says "A=1 or B=2".
        let mixed = TagSelection::AnyOf(vec![
            TagFilter::key_and_value("A", "1"),
            TagFilter::key_and_value("B", "2"),
        ]);
        assert!(server_filters(&mixed).is_empty());
        let kinds = TagSelection::AnyOf(vec![TagFilter::key_only("A"), TagFilter::value_only("x")]);
        assert!(server_filters(&kinds).is_empty());
        let wildcard = TagSelection::AnyOf(vec![TagFilter::key_and_value("A", "p*")]);
        assert!(server_filters(&wildcard).is_empty());
        // A tag set sends the groups it can and checks the others here.
        let set = TagSelection::tag_set(vec![
            vec![TagFilter::key_and_value("Env", "prod")],
            mixed_group(),
            Vec::new(),
        ])
        .unwrap();
        let filters: Vec<_> = server_filters(&set).iter().map(filter_text).collect();
        assert_eq!(filters, [("tag:Env".to_owned(), vec!["prod".to_owned()])]);
    }

    fn mixed_group() -> Vec<TagFilter> {
        vec![TagFilter::key_only("A"), TagFilter::value_only("x")]
    }

    #[test]
    fn profiles_are_read_as_arns_or_names() {
        assert_eq!(
            InstanceProfile::parse(" arn:aws:iam::123456789012:instance-profile/web "),
            InstanceProfile::Arn("arn:aws:iam::123456789012:instance-profile/web".to_owned())
        );
        assert_eq!(
            InstanceProfile::parse("web"),
            InstanceProfile::Name("web".to_owned())
        );
    }

    #[test]
    fn bad_tags_are_named_in_the_error() {
        let long = "k".repeat(129);
        for (key, value, expected) in [
            ("aws:owner", "x", "aws:owner"),
            (long.as_str(), "x", "kkkk"),
            ("Env", "semi;colon", "Env"),
        ] {
            let error = check_tags(&[(key.to_owned(), value.to_owned())]).unwrap_err();
            assert!(matches!(error, CloudError::Invalid { .. }), "{error:?}");
            assert!(error.to_string().contains(expected), "{error}");
        }
        let twice = [
            ("Env".to_owned(), "a".to_owned()),
            ("Env".to_owned(), "b".to_owned()),
        ];
        assert!(check_tags(&twice).unwrap_err().to_string().contains("Env"));
        assert!(check_tags(&[("Env".to_owned(), String::new())]).is_ok());
    }
}
