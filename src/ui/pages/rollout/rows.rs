//! The rows of tiles: which targets are shown (only failed, found by id or
//! `Name`) and how they are grouped (by status, wave, tag or not at all).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::SystemTime;

use crate::cloud::deployments::{Target, TargetStatus};
use crate::cloud::instances::InstanceInfo;
use crate::domain::rollout::{ObservedAttempt, observed_waves};
use crate::ui::widgets::tiles::{TileCaption, TileRow, TileState};
use crate::ui::widgets::time;

use super::RolloutView;

/// How tiles are grouped into rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grouping {
    /// By target status, failed first.
    Status,
    /// By the wave the target ran in.
    Wave,
    /// By the value of an instance tag such as `Environment`.
    Tag,
    /// All in one block, in the order AWS lists them.
    None,
}

impl Grouping {
    pub(super) const ALL: [Self; 4] = [Self::Status, Self::Wave, Self::Tag, Self::None];

    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Status => "By status",
            Self::Wave => "By wave",
            Self::Tag => "By tag",
            Self::None => "In order",
        }
    }
}

/// What the cached rows were built from.
pub(super) struct RowsKey {
    grouping: Grouping,
    only_failed: bool,
    search: String,
    tag_key: String,
    version: u64,
}

impl RolloutView {
    /// Builds the rows again when what they are built from changed.
    pub(super) fn rebuild_rows(&mut self) {
        // Compared field by field: no allocation on frames where nothing changed.
        let unchanged = self.rows_key.as_ref().is_some_and(|key| {
            key.grouping == self.grouping
                && key.only_failed == self.only_failed
                && key.search == self.search
                && key.tag_key == self.tag_key
                && key.version == self.version
        });
        if unchanged {
            return;
        }
        let filter = RowFilter {
            grouping: self.grouping,
            only_failed: self.only_failed,
            search: &self.search,
            tag_key: &self.tag_key,
            instances: &self.instances,
        };
        self.rows = build_rows(&self.targets, &filter);
        self.fleet_rows = self
            .deployment
            .as_ref()
            .is_some_and(|deployment| deployment.blue_green)
            .then(|| build_fleet_rows(&self.targets, &filter));
        self.rows_key = Some(RowsKey {
            grouping: self.grouping,
            only_failed: self.only_failed,
            search: self.search.clone(),
            tag_key: self.tag_key.clone(),
            version: self.version,
        });
    }
}

/// Which tiles to show and how to group them.
pub struct RowFilter<'a> {
    /// How to group.
    pub grouping: Grouping,
    /// Show only failed targets.
    pub only_failed: bool,
    /// Show only targets whose id or `Name` tag contains this.
    pub search: &'a str,
    /// The tag to group by with [`Grouping::Tag`].
    pub tag_key: &'a str,
    /// The targets' tags, as far as they are known.
    pub instances: &'a HashMap<String, InstanceInfo>,
}

/// Groups targets into rows of tiles. A blue/green deployment's original
/// fleet comes first, then the replacement, each row named for its fleet.
pub fn build_rows(targets: &[Target], filter: &RowFilter<'_>) -> Vec<TileRow> {
    let visible = visible(targets, filter);
    let labels: Vec<Option<&str>> = {
        let mut labels: Vec<Option<&str>> = visible
            .iter()
            .map(|&index| targets[index].label.as_deref())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        labels
    };
    let mut rows = Vec::new();
    for label in labels {
        let members: Vec<usize> = visible
            .iter()
            .copied()
            .filter(|&index| targets[index].label.as_deref() == label)
            .collect();
        let prefix = label
            .map(|label| format!("{} · ", fleet_name(label)))
            .unwrap_or_default();
        push_rows(&mut rows, targets, &members, filter, &prefix);
    }
    rows
}

/// The rows of a blue/green deployment's two fleets, to be drawn side by
/// side: the original (Blue) instances' and the replacement (Green) ones'.
/// The fleet is the column's heading, so rows do not repeat it.
pub fn build_fleet_rows(targets: &[Target], filter: &RowFilter<'_>) -> [Vec<TileRow>; 2] {
    let visible = visible(targets, filter);
    [BLUE, GREEN].map(|label| {
        let members: Vec<usize> = visible
            .iter()
            .copied()
            .filter(|&index| targets[index].label.as_deref() == Some(label))
            .collect();
        let mut rows = Vec::new();
        push_rows(&mut rows, targets, &members, filter, "");
        rows
    })
}

/// The label CodeDeploy gives a blue/green deployment's original instances.
pub const BLUE: &str = "Blue";
/// The label CodeDeploy gives a blue/green deployment's replacement instances.
pub const GREEN: &str = "Green";

/// A fleet named for what it is, from CodeDeploy's target label.
pub fn fleet_name(label: &str) -> &str {
    match label {
        BLUE => "Original (Blue)",
        GREEN => "Replacement (Green)",
        other => other,
    }
}

/// The targets the filter lets through, in the order AWS lists them.
fn visible(targets: &[Target], filter: &RowFilter<'_>) -> Vec<usize> {
    let needle = filter.search.trim().to_lowercase();
    let name_of = |index: usize| {
        filter
            .instances
            .get(&targets[index].id)
            .and_then(InstanceInfo::name)
            .map(str::to_lowercase)
    };
    (0..targets.len())
        .filter(|&index| !filter.only_failed || targets[index].status == TargetStatus::Failed)
        .filter(|&index| {
            needle.is_empty()
                || targets[index].id.to_lowercase().contains(&needle)
                || name_of(index).is_some_and(|name| name.contains(&needle))
        })
        .collect()
}

/// Appends the rows of `members` grouped as the filter says, each label
/// starting with `prefix`.
fn push_rows(
    rows: &mut Vec<TileRow>,
    targets: &[Target],
    members: &[usize],
    filter: &RowFilter<'_>,
    prefix: &str,
) {
    match filter.grouping {
        Grouping::Tag => {
            let tag_key = filter.tag_key.trim();
            let value_of = |index: usize| {
                filter
                    .instances
                    .get(&targets[index].id)
                    .and_then(|instance| instance.tags.get(tag_key))
                    .cloned()
            };
            let mut values: Vec<Option<String>> =
                members.iter().map(|&index| value_of(index)).collect();
            values.sort_unstable();
            values.dedup();
            for value in values {
                let items: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&index| value_of(index) == value)
                    .collect();
                let value_text = value.unwrap_or_else(|| format!("no {tag_key}"));
                rows.push(TileRow {
                    label: format!("{prefix}{value_text} ({})", items.len()),
                    items,
                });
            }
        }
        Grouping::None => {
            if !members.is_empty() {
                rows.push(TileRow {
                    label: format!("{prefix}All"),
                    items: members.to_vec(),
                });
            }
        }
        Grouping::Status => {
            for status in [
                TargetStatus::Failed,
                TargetStatus::InProgress,
                TargetStatus::Ready,
                TargetStatus::Pending,
                TargetStatus::Succeeded,
                TargetStatus::Skipped,
                TargetStatus::Unknown,
            ] {
                let items: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&index| targets[index].status == status)
                    .collect();
                if !items.is_empty() {
                    rows.push(TileRow {
                        label: format!("{prefix}{} ({})", capitalized(status.label()), items.len()),
                        items,
                    });
                }
            }
        }
        Grouping::Wave => {
            let waves = waves_of(members.iter().map(|&index| &targets[index]));
            let in_wave = |wave: Option<usize>| -> Vec<usize> {
                members
                    .iter()
                    .zip(&waves)
                    .filter(|(_, of)| **of == wave)
                    .map(|(&index, _)| index)
                    .collect()
            };
            let count = waves.iter().flatten().max().copied().unwrap_or(0);
            for wave in 1..=count {
                rows.push(TileRow {
                    label: format!("{prefix}Wave {wave}"),
                    items: in_wave(Some(wave)),
                });
            }
            let waiting = in_wave(None);
            if !waiting.is_empty() {
                rows.push(TileRow {
                    label: format!("{prefix}Not started"),
                    items: waiting,
                });
            }
        }
    }
}

/// The wave (from 1) each of `targets` ran in, by the rollout's rule that
/// a wave starts once the one before has ended; `None` for a target not
/// started.
pub(super) fn waves_of<'a>(targets: impl Iterator<Item = &'a Target>) -> Vec<Option<usize>> {
    let attempts: Vec<Option<ObservedAttempt<SystemTime>>> = targets.map(attempt_of).collect();
    observed_waves(&attempts)
}

/// A target's attempt as its lifecycle events show it: `None` before its
/// first event started.
fn attempt_of(target: &Target) -> Option<ObservedAttempt<SystemTime>> {
    let started = target
        .events
        .iter()
        .filter_map(|event| event.started)
        .min()?;
    let finished = matches!(
        target.status,
        TargetStatus::Succeeded
            | TargetStatus::Failed
            | TargetStatus::Skipped
            | TargetStatus::Ready
    );
    let ended = target.events.iter().filter_map(|event| event.ended).max();
    Some(ObservedAttempt {
        started,
        ended: ended.filter(|_| finished),
    })
}

pub(super) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether a target failed only because the deployment was stopped while
/// it was being deployed to: CodeDeploy then marks its running event
/// `Failed` with `UnknownError` and no log.
pub fn cut_short(target: &Target, deployment_stopped: bool) -> bool {
    deployment_stopped
        && target.status == TargetStatus::Failed
        && target.events.iter().any(|event| {
            event.status == "Failed"
                && event.diagnostics.as_ref().is_some_and(|diagnostics| {
                    diagnostics.error_code == "UnknownError" && diagnostics.log_tail.is_empty()
                })
        })
}

/// The tile for a target; `deployment_stopped` tells a target stopped
/// mid-way from one that failed.
pub fn tile_state(target: &Target, deployment_stopped: bool) -> TileState {
    if cut_short(target, deployment_stopped) {
        return TileState::Stopped;
    }
    match target.status {
        TargetStatus::Pending | TargetStatus::Unknown => TileState::Pending,
        TargetStatus::InProgress => TileState::InProgress(target.progress()),
        TargetStatus::Ready => TileState::Ready,
        TargetStatus::Succeeded => TileState::Succeeded,
        TargetStatus::Failed => TileState::Failed,
        TargetStatus::Skipped => TileState::Skipped,
    }
}

/// What a target's card says: its `Name` tag (or id), and its current
/// event or status.
pub(super) fn caption_of(
    target: &Target,
    instance: Option<&InstanceInfo>,
    deployment_stopped: bool,
) -> TileCaption {
    let title = instance
        .and_then(InstanceInfo::name)
        .unwrap_or(&target.id)
        .to_owned();
    let stopped = cut_short(target, deployment_stopped);
    let detail = match (target.current_event(), target.status) {
        (Some(event), _) if stopped => format!("stopped during {}", event.name),
        (Some(event), TargetStatus::Failed) => format!("{} failed", event.name),
        (Some(event), _) => event.name.clone(),
        (None, status) => capitalized(status.label()),
    };
    TileCaption { title, detail }
}

pub(super) fn describe_target(
    target: &Target,
    instance: Option<&InstanceInfo>,
    deployment_stopped: bool,
    now: SystemTime,
) -> String {
    let mut text = target.id.clone();
    if let Some(name) = instance.and_then(InstanceInfo::name) {
        let _ = write!(text, " {name}");
    }
    if let Some(label) = &target.label {
        let _ = write!(text, " ({label})");
    }
    text.push('\n');
    let stopped = cut_short(target, deployment_stopped);
    text.push_str(if stopped {
        "stopped"
    } else {
        target.status.label()
    });
    if let Some(event) = target.current_event() {
        let _ = write!(
            text,
            "{} {}",
            if stopped { " during" } else { ":" },
            event.name
        );
        if let Some(started) = event.started {
            let end = event.ended.unwrap_or(now);
            if let Ok(elapsed) = end.duration_since(started) {
                let _ = write!(text, ", {}", time::duration(elapsed));
            }
        }
    }
    text.push_str("\nClick for its lifecycle events.");
    text
}
