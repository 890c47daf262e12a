//! A fleet described by how many of its instances are in each health state,
//! as a person types it into the rollout planner.

use serde::{Deserialize, Serialize};

use super::health::{Health, InstanceHealth, RevisionHealth};

/// The largest fleet the planner accepts.
pub const MAX_PLANNED_FLEET: usize = 20_000;

/// Why a fleet description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    /// A count below zero.
    #[error("The number of {what} instances cannot be negative (got {count}); use 0 or more.")]
    NegativeCount {
        /// Which count.
        what: &'static str,
        /// The value given.
        count: i64,
    },
    /// No instances at all.
    #[error("The fleet is empty: add at least one instance.")]
    Empty,
    /// More instances than the planner handles.
    #[error("The planner handles up to {MAX_PLANNED_FLEET} instances (got {0}); use fewer.")]
    TooLarge(u64),
}

/// How many instances of a fleet are in each health state. Instances are
/// listed in CodeDeploy's scheduling order: unhealthy, then healthy with an
/// unknown, an old, and the current revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct FleetComposition {
    /// Instances whose last deployment failed or that were never deployed to.
    pub unhealthy: usize,
    /// Healthy instances whose revision is unknown.
    pub unknown: usize,
    /// Healthy instances with an older revision.
    pub old: usize,
    /// Healthy instances with the group's current revision.
    pub current: usize,
}

impl FleetComposition {
    /// Builds a fleet from counts as typed, refusing negative counts, an
    /// empty fleet and fleets larger than [`MAX_PLANNED_FLEET`].
    pub fn from_counts(
        unhealthy: i64,
        unknown: i64,
        old: i64,
        current: i64,
    ) -> Result<Self, FleetError> {
        let check = |what: &'static str, count: i64| {
            u64::try_from(count).map_err(|_| FleetError::NegativeCount { what, count })
        };
        let counts = [
            check("unhealthy", unhealthy)?,
            check("unknown-revision", unknown)?,
            check("old-revision", old)?,
            check("current-revision", current)?,
        ];
        let total = counts
            .iter()
            .fold(0_u64, |sum, &count| sum.saturating_add(count));
        if total == 0 {
            return Err(FleetError::Empty);
        }
        if total > MAX_PLANNED_FLEET as u64 {
            return Err(FleetError::TooLarge(total));
        }
        // Each count is at most the total, which fits in usize.
        Ok(Self {
            unhealthy: counts[0] as usize,
            unknown: counts[1] as usize,
            old: counts[2] as usize,
            current: counts[3] as usize,
        })
    }

    /// The number of instances.
    pub fn total(&self) -> usize {
        self.unhealthy + self.unknown + self.old + self.current
    }

    /// The health of every instance, in scheduling order.
    pub fn healths(&self) -> Vec<Health> {
        let mut healths = Vec::with_capacity(self.total());
        healths.extend(std::iter::repeat_n(Health::NEW, self.unhealthy));
        for (count, revision) in [
            (self.unknown, RevisionHealth::Unknown),
            (self.old, RevisionHealth::Old),
            (self.current, RevisionHealth::Current),
        ] {
            healths.extend(std::iter::repeat_n(
                Health::new(InstanceHealth::Healthy, revision),
                count,
            ));
        }
        healths
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_count_is_an_error_with_a_message() {
        let error = FleetComposition::from_counts(0, -2, 0, 3).unwrap_err();
        assert_eq!(
            error,
            FleetError::NegativeCount {
                what: "unknown-revision",
                count: -2
            }
        );
        assert!(error.to_string().contains("cannot be negative"));
    }

    #[test]
    fn empty_fleet_is_an_error() {
        assert_eq!(
            FleetComposition::from_counts(0, 0, 0, 0),
            Err(FleetError::Empty)
        );
    }

    #[test]
    fn huge_fleet_is_an_error_not_an_allocation() {
        assert_eq!(
            FleetComposition::from_counts(i64::MAX, i64::MAX, 0, 0),
            Err(FleetError::TooLarge(2 * i64::MAX as u64))
        );
    }

    #[test]
    fn healths_come_in_scheduling_order() {
        let fleet = FleetComposition::from_counts(1, 1, 1, 2).unwrap();
        let healths = fleet.healths();
        assert_eq!(healths.len(), 5);
        assert_eq!(healths[0], Health::NEW);
        assert_eq!(healths[1].revision, RevisionHealth::Unknown);
        assert_eq!(healths[2].revision, RevisionHealth::Old);
        assert_eq!(healths[4].revision, RevisionHealth::Current);
    }
}
