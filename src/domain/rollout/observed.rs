//! A deployment as the API shows it, read with the rollout's rules: the
//! error code a failed deployment reports, and the waves its instances ran
//! in.
//!
//! The local cloud's engine writes the error code with
//! [`FailureReason::code`]; the app reads it back with
//! [`FailureCode::from_error_code`], so both sides speak of the same
//! failures. The API says nothing of waves, but it gives the times of each
//! instance's lifecycle events, and waves are synchronous (see the module
//! documentation of [`super`]): the next wave starts only once every
//! instance of the one before has finished. [`observed_waves`] applies that
//! rule to the times.

use super::FailureReason;

/// The `errorInformation.code` of a deployment that failed by the rollout's
/// rules, or because its instances had no agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureCode {
    /// There were no instances to deploy to (`NO_INSTANCES`).
    NoInstances,
    /// The minimum healthy hosts could not be met even before the first
    /// instance (`HEALTH_CONSTRAINTS_INVALID`).
    HealthConstraintsInvalid,
    /// Too many instances failed for the minimum or the successes needed
    /// (`HEALTH_CONSTRAINTS`).
    HealthConstraints,
    /// Every instance that failed had no running agent (`AGENT_ISSUE`).
    AgentIssue,
}

impl FailureCode {
    /// Every code.
    pub const ALL: [Self; 4] = [
        Self::NoInstances,
        Self::HealthConstraintsInvalid,
        Self::HealthConstraints,
        Self::AgentIssue,
    ];

    /// The code as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoInstances => "NO_INSTANCES",
            Self::HealthConstraintsInvalid => "HEALTH_CONSTRAINTS_INVALID",
            Self::HealthConstraints => "HEALTH_CONSTRAINTS",
            Self::AgentIssue => "AGENT_ISSUE",
        }
    }

    /// The failure a deployment's error code names; `None` for codes of
    /// other failures (a revision that could not be read, a timeout, ...).
    pub fn from_error_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == code)
    }
}

impl FailureReason {
    /// The error code CodeDeploy reports for this failure.
    pub fn code(&self) -> FailureCode {
        match self {
            Self::NoInstances => FailureCode::NoInstances,
            Self::MinimumUnreachableAtStart { .. } => FailureCode::HealthConstraintsInvalid,
            Self::HealthyCountReachedMinimum { .. }
            | Self::TooFewCanSucceed { .. }
            | Self::NoInstanceSucceeded { .. } => FailureCode::HealthConstraints,
        }
    }
}

/// One instance's attempt as its lifecycle events show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservedAttempt<T> {
    /// When its first lifecycle event started.
    pub started: T,
    /// When its last lifecycle event ended; `None` while it runs.
    pub ended: Option<T>,
}

/// The wave (numbered from 1) each instance ran in, `None` for an instance
/// not attempted. An instance that started before every instance of the
/// current wave had ended belongs to that wave; one that started once all of
/// them had ended begins the next.
pub fn observed_waves<T: Ord + Copy>(
    attempts: &[Option<ObservedAttempt<T>>],
) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..attempts.len())
        .filter(|&index| attempts[index].is_some())
        .collect();
    order.sort_by_key(|&index| attempts[index].map(|attempt| attempt.started));
    let mut waves = vec![None; attempts.len()];
    let mut wave = 0;
    // When the current wave ended so far: `None` while one of its
    // instances still runs.
    let mut wave_end: Option<Option<T>> = None;
    for index in order {
        let Some(attempt) = attempts[index] else {
            continue;
        };
        let starts_next = match wave_end {
            None => true,
            Some(ended) => ended.is_some_and(|ended| attempt.started >= ended),
        };
        if starts_next {
            wave += 1;
            wave_end = Some(attempt.ended);
        } else if let Some(ended) = &mut wave_end {
            *ended = ended
                .zip(attempt.ended)
                .map(|(left, right)| left.max(right));
        }
        waves[index] = Some(wave);
    }
    waves
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(started: u64, ended: Option<u64>) -> ObservedAttempt<u64> {
        ObservedAttempt { started, ended }
    }

    #[test]
    fn every_failure_reads_back_from_the_code_it_reports() {
        let reasons = [
            FailureReason::NoInstances,
            FailureReason::MinimumUnreachableAtStart {
                minimum: 10,
                total: 10,
            },
            FailureReason::HealthyCountReachedMinimum {
                healthy: 9,
                minimum: 9,
                failed: 1,
                after_wave: 2,
            },
            FailureReason::TooFewCanSucceed {
                succeeded: 1,
                remaining: 2,
                needed: 5,
                failed: 3,
                after_wave: 1,
            },
            FailureReason::NoInstanceSucceeded { failed: 3 },
        ];
        for reason in reasons {
            assert_eq!(
                FailureCode::from_error_code(reason.error_code()),
                Some(reason.code()),
                "{reason:?}"
            );
        }
        for code in FailureCode::ALL {
            assert_eq!(FailureCode::from_error_code(code.as_str()), Some(code));
        }
        assert_eq!(FailureCode::from_error_code("REVISION_MISSING"), None);
        assert_eq!(FailureCode::from_error_code(""), None);
    }

    #[test]
    fn a_wave_starts_once_every_instance_of_the_one_before_has_ended() {
        // Half at a time over four instances: two, then two more once both
        // have ended. The second of the first wave starts a little later,
        // as on AWS, and still belongs to it.
        let waves = observed_waves(&[
            Some(ran(100, Some(160))),
            Some(ran(101, Some(170))),
            Some(ran(170, Some(230))),
            Some(ran(172, None)),
            None,
        ]);
        assert_eq!(waves, [Some(1), Some(1), Some(2), Some(2), None]);
    }

    #[test]
    fn an_instance_that_starts_while_the_wave_runs_belongs_to_it() {
        // The first instance is still running: whatever starts now is in
        // the same wave, whatever the start times.
        let waves = observed_waves(&[
            Some(ran(10, None)),
            Some(ran(50, Some(60))),
            Some(ran(70, None)),
        ]);
        assert_eq!(waves, [Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn nothing_attempted_means_no_waves() {
        assert_eq!(observed_waves::<u64>(&[None, None]), [None, None]);
        assert!(observed_waves::<u64>(&[]).is_empty());
    }
}
