//! Which instances a deployment goes to: EC2 instances chosen by a group's
//! EC2 tag filters or tag set, the `InService` instances of its Auto
//! Scaling groups, and registered on-premises instances chosen by its
//! on-premises tag filters or tag set. An instance chosen more than one way
//! is a target once.
//!
//! With a list of tag filters, an instance matches if any filter matches
//! one of its tags. With a tag set, it must match at least one filter of
//! every group in the set. The matching itself is the domain's
//! ([`crate::domain::tags`]), which the GUI's preview shares.

use crate::domain::tags;
use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::codedeploy::CodeDeployState;
use crate::localcloud::codedeploy::deployment_state::TargetKind;
use crate::localcloud::codedeploy::shapes::{Ec2TagSet, OnPremisesTagSet, TagFilter};
use crate::localcloud::codedeploy::state::DeploymentGroup;
use crate::localcloud::ec2::Ec2State;
use crate::localcloud::world::World;

/// An instance a deployment may go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The instance id or on-premises name.
    pub target_id: String,
    /// Its ARN.
    pub target_arn: String,
    /// EC2 or on-premises.
    pub kind: TargetKind,
}

/// The ARN of EC2 instance `instance_id` in `region`.
pub fn ec2_arn(region: &str, instance_id: &str) -> String {
    format!("arn:aws:ec2:{region}:{ACCOUNT_ID}:instance/{instance_id}")
}

/// The domain's filters for the API's `filters`. A filter that breaks the
/// rules (which the API does not let in) is left out, so it matches
/// nothing.
fn checked(filters: &[TagFilter]) -> Vec<tags::TagFilter> {
    filters
        .iter()
        .filter_map(|filter| {
            tags::TagFilter::from_api(
                filter.key.as_deref(),
                filter.value.as_deref(),
                filter.filter_type.as_deref(),
            )
            .ok()
        })
        .collect()
}

/// Whether `tags` pass a list of filters (any) or, when the list is empty,
/// a tag set (every non-empty group), by the rules of [`tags`]. No filters
/// and no set match nothing.
fn selected<'a>(
    filters: &[TagFilter],
    set: Option<&[Vec<TagFilter>]>,
    instance_tags: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> bool {
    if !filters.is_empty() {
        return tags::matches_any(&checked(filters), instance_tags);
    }
    let groups: Vec<Vec<tags::TagFilter>> = set
        .unwrap_or_default()
        .iter()
        .filter(|group| !group.is_empty())
        .map(|group| checked(group))
        .collect();
    // A group whose filters were all invalid still has to match, and
    // cannot.
    groups.iter().all(|group| !group.is_empty())
        && tags::matches_every_group(&groups, instance_tags)
}

/// The EC2 instances (not terminated) that `filters` or `set` select.
pub fn ec2_instances(
    ec2: &Ec2State,
    filters: &[TagFilter],
    set: Option<&Ec2TagSet>,
    region: &str,
) -> Vec<Candidate> {
    let set = set.and_then(|set| set.ec2_tag_set_list.as_deref());
    ec2.instances
        .values()
        .filter(|instance| instance.state.exists())
        .filter(|instance| {
            selected(
                filters,
                set,
                instance
                    .tags
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            )
        })
        .map(|instance| Candidate {
            target_id: instance.instance_id.clone(),
            target_arn: ec2_arn(region, &instance.instance_id),
            kind: TargetKind::Ec2,
        })
        .collect()
}

/// The registered on-premises instances that `filters` or `set` select.
pub fn on_premises_instances(
    state: &CodeDeployState,
    filters: &[TagFilter],
    set: Option<&OnPremisesTagSet>,
) -> Vec<Candidate> {
    let set = set.and_then(|set| set.on_premises_tag_set_list.as_deref());
    state
        .on_premises_instances
        .values()
        .filter(|instance| instance.deregister_time.is_none())
        .filter(|instance| {
            selected(
                filters,
                set,
                instance.tags.iter().map(|tag| {
                    (
                        tag.key.as_deref().unwrap_or_default(),
                        tag.value.as_deref().unwrap_or_default(),
                    )
                }),
            )
        })
        .map(|instance| Candidate {
            target_id: instance.name.clone(),
            target_arn: instance.instance_arn.clone(),
            kind: TargetKind::OnPremises,
        })
        .collect()
}

/// The EC2 instances (not terminated) among `instance_ids`.
pub fn ec2_candidates(ec2: &Ec2State, instance_ids: &[String], region: &str) -> Vec<Candidate> {
    let mut candidates: Vec<Candidate> = instance_ids
        .iter()
        .filter(|id| ec2.instances.get(*id).is_some_and(|i| i.state.exists()))
        .map(|id| Candidate {
            target_id: id.clone(),
            target_arn: ec2_arn(region, id),
            kind: TargetKind::Ec2,
        })
        .collect();
    sort_and_dedup(&mut candidates);
    candidates
}

/// Every instance of deployment group `group`, in target id order.
pub fn group_instances(world: &World, group: &DeploymentGroup, region: &str) -> Vec<Candidate> {
    let mut candidates = ec2_instances(
        &world.ec2,
        &group.ec2_tag_filters,
        group.ec2_tag_set.as_ref(),
        region,
    );
    let scaled: Vec<String> = group
        .auto_scaling_groups
        .iter()
        .flat_map(|name| world.autoscaling.in_service_instances(name))
        .collect();
    candidates.extend(ec2_candidates(&world.ec2, &scaled, region));
    candidates.extend(on_premises_instances(
        &world.codedeploy,
        &group.on_premises_instance_tag_filters,
        group.on_premises_tag_set.as_ref(),
    ));
    sort_and_dedup(&mut candidates);
    candidates
}

/// Puts candidates in target id order, each once.
pub fn sort_and_dedup(candidates: &mut Vec<Candidate>) {
    candidates.sort_by(|left, right| left.target_id.cmp(&right.target_id));
    candidates.dedup_by(|left, right| left.target_id == right.target_id);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::localcloud::clock::Timestamp;
    use crate::localcloud::ec2::InstanceState;

    fn filter(key: &str, value: &str) -> TagFilter {
        TagFilter {
            key: Some(key.to_owned()),
            value: Some(value.to_owned()),
            filter_type: Some("KEY_AND_VALUE".to_owned()),
        }
    }

    fn fleet() -> (Ec2State, Vec<String>) {
        let mut ec2 = Ec2State::default();
        let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect()
        };
        let now = Timestamp::from_secs(1);
        let ids = vec![
            ec2.launch(tags(&[("Env", "prod"), ("Role", "web")]), now),
            ec2.launch(tags(&[("Env", "prod"), ("Role", "db")]), now),
            ec2.launch(tags(&[("Env", "test"), ("Role", "web")]), now),
            ec2.launch(tags(&[("Env", "prod"), ("Role", "web")]), now),
        ];
        (ec2, ids)
    }

    fn ids(candidates: &[Candidate]) -> Vec<&str> {
        let mut ids: Vec<&str> = candidates.iter().map(|c| c.target_id.as_str()).collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn any_filter_in_a_list_selects_an_instance() {
        let (ec2, all) = fleet();
        let chosen = ec2_instances(
            &ec2,
            &[filter("Role", "db"), filter("Env", "test")],
            None,
            "us-east-1",
        );
        let mut expected = vec![all[1].as_str(), all[2].as_str()];
        expected.sort_unstable();
        assert_eq!(ids(&chosen), expected);
        assert!(chosen[0].target_arn.starts_with("arn:aws:ec2:us-east-1:"));
    }

    #[test]
    fn a_tag_set_needs_a_match_in_every_group_and_skips_terminated_instances() {
        let (mut ec2, all) = fleet();
        ec2.set_state(&all[3], InstanceState::Terminated, Timestamp::from_secs(2));
        let set = Ec2TagSet {
            ec2_tag_set_list: Some(vec![
                vec![filter("Env", "prod")],
                vec![filter("Role", "web")],
            ]),
        };
        let chosen = ec2_instances(&ec2, &[], Some(&set), "us-east-1");
        assert_eq!(ids(&chosen), vec![all[0].as_str()]);
        assert!(ec2_instances(&ec2, &[], None, "us-east-1").is_empty());
    }

    #[test]
    fn key_only_and_value_only_filters_match_by_their_type() {
        let (ec2, all) = fleet();
        let key_only = TagFilter {
            key: Some("Role".to_owned()),
            value: None,
            filter_type: Some("KEY_ONLY".to_owned()),
        };
        assert_eq!(ec2_instances(&ec2, &[key_only], None, "r").len(), all.len());
        let value_only = TagFilter {
            key: None,
            value: Some("test".to_owned()),
            filter_type: Some("VALUE_ONLY".to_owned()),
        };
        assert_eq!(
            ids(&ec2_instances(&ec2, &[value_only], None, "r")),
            vec![all[2].as_str()]
        );
    }
}
