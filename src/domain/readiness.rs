//! Is an instance ready to be deployed to? CodeDeploy's prerequisites for
//! an EC2 instance are the CodeDeploy agent installed and running, an
//! instance profile (the agent reaches CodeDeploy and downloads the
//! revision with its role's credentials), a role that may read the
//! revision's bucket, and the instance running. Systems Manager is how the
//! agent is seen and installed without logging in: an instance it manages
//! can be asked whether the agent runs, and be given one.
//!
//! This module turns what could be read about an instance into a verdict,
//! the reasons in words, and the fixes that apply. Reading is the `cloud`
//! layer's job; fixing is the wizards'.

/// The CodeDeploy agent version the local cloud installs and
/// Systems Manager's `AWSCodeDeployAgent` package offers as the latest; an
/// older running agent is marked for an update.
pub const LATEST_AGENT_VERSION: &str = "1.7.1";

/// What Systems Manager says about an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsmStatus {
    /// Managed and reporting (`PingStatus` `Online`).
    Online,
    /// Managed, but its Systems Manager agent stopped reporting
    /// (`ConnectionLost`), as a stopped instance does.
    ConnectionLost,
    /// Not among Systems Manager's managed instances: no instance profile,
    /// a role without Systems Manager's permissions, or no SSM agent.
    NotManaged,
    /// Systems Manager could not be asked; why.
    Unknown(String),
}

/// The CodeDeploy agent on an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentStatus {
    /// Installed and running, at this version (empty when not told).
    Running(String),
    /// Installed, not running.
    Stopped,
    /// Not installed.
    NotInstalled,
    /// Not known: why (Systems Manager cannot reach the instance, or the
    /// check has not run).
    Unknown(String),
}

/// Whether the instance's role may read the revision's bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketAccess {
    /// It may.
    Allowed,
    /// It may not: the buckets it may read instead.
    Refused {
        /// The bucket the revision is in.
        bucket: String,
        /// The buckets the role lets it read.
        readable: Vec<String>,
    },
    /// Not known: no revision in S3 chosen, or the role's policies could
    /// not all be read.
    Unknown,
}

/// What could be read about one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFacts {
    /// The instance id.
    pub id: String,
    /// Its `Name` tag.
    pub name: Option<String>,
    /// Whether EC2 says it is stopped (or stopping).
    pub stopped: bool,
    /// Its instance profile's name; `None` without one.
    pub profile: Option<String>,
    /// Whether the profile's role may read the revision's bucket.
    pub bucket: BucketAccess,
    /// What Systems Manager says about it.
    pub ssm: SsmStatus,
    /// Its CodeDeploy agent.
    pub agent: AgentStatus,
}

/// Something that keeps an instance from being deployed to, or may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The instance is stopped.
    Stopped,
    /// No instance profile: the agent has no credentials.
    NoProfile,
    /// The profile's role may not read the revision's bucket.
    CannotReadBucket {
        /// The bucket the revision is in.
        bucket: String,
        /// The buckets the role may read.
        readable: Vec<String>,
    },
    /// The CodeDeploy agent is not installed.
    AgentNotInstalled,
    /// The CodeDeploy agent is installed but stopped.
    AgentStopped,
    /// The CodeDeploy agent runs an older version than the latest.
    AgentOld(String),
    /// Whether the agent runs cannot be told: why.
    AgentUnknown(String),
}

/// A fix DeployDesk can make for a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fix {
    /// Start the instance (EC2 `StartInstances`).
    StartInstance,
    /// Attach an instance profile (the instance profile wizard with the
    /// instances chosen).
    AttachProfile,
    /// Let the role read the revision's bucket (the instance profile
    /// wizard).
    GrantBucket,
    /// Install or update the agent through Systems Manager
    /// (`AWS-ConfigureAWSPackage`).
    InstallAgent,
    /// Start the agent through Systems Manager (`AWS-RunShellScript`).
    StartAgent,
    /// Let Systems Manager manage the instance: its role needs
    /// `AmazonSSMManagedInstanceCore` (the instance profile wizard's
    /// Systems Manager option).
    ManageWithSsm,
}

impl Fix {
    /// The fix as a button says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::StartInstance => "Start the instance",
            Self::AttachProfile => "Attach an instance profile…",
            Self::GrantBucket => "Let the role read the bucket…",
            Self::InstallAgent => "Install the agent…",
            Self::StartAgent => "Start the agent…",
            Self::ManageWithSsm => "Let Systems Manager manage it…",
        }
    }
}

impl Problem {
    /// Whether a deployment to the instance will fail because of it (rather
    /// than only may).
    pub fn fails_deployment(&self) -> bool {
        !matches!(self, Self::AgentOld(_) | Self::AgentUnknown(_))
    }

    /// The problem in words, as a sentence about the instance.
    pub fn words(&self) -> String {
        match self {
            Self::Stopped => "It is stopped: CodeDeploy counts it as failed.".to_owned(),
            Self::NoProfile => "It has no instance profile, so the CodeDeploy agent has no credentials to reach CodeDeploy or download the revision.".to_owned(),
            Self::CannotReadBucket { bucket, readable } => match readable.as_slice() {
                [] => format!("Its role may read no S3 bucket, so it cannot download the revision from {bucket}."),
                _ => format!(
                    "Its role may read only {}, so it cannot download the revision from {bucket}.",
                    readable.join(", ")
                ),
            },
            Self::AgentNotInstalled => "It has no CodeDeploy agent.".to_owned(),
            Self::AgentStopped => "Its CodeDeploy agent is installed but stopped.".to_owned(),
            Self::AgentOld(version) => format!(
                "Its CodeDeploy agent is version {version}; {LATEST_AGENT_VERSION} is the latest."
            ),
            Self::AgentUnknown(why) => format!("Whether its CodeDeploy agent runs is not known: {why}"),
        }
    }

    /// What fixes it, if DeployDesk can.
    pub fn fix(&self) -> Option<Fix> {
        match self {
            Self::Stopped => Some(Fix::StartInstance),
            Self::NoProfile => Some(Fix::AttachProfile),
            Self::CannotReadBucket { .. } => Some(Fix::GrantBucket),
            Self::AgentNotInstalled | Self::AgentOld(_) => Some(Fix::InstallAgent),
            Self::AgentStopped => Some(Fix::StartAgent),
            Self::AgentUnknown(_) => None,
        }
    }
}

/// The readiness of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// What was read.
    pub facts: InstanceFacts,
    /// What keeps it from being deployed to, most serious first.
    pub problems: Vec<Problem>,
}

impl Readiness {
    /// Whether a deployment to it will fail.
    pub fn will_fail(&self) -> bool {
        self.problems.iter().any(Problem::fails_deployment)
    }

    /// Whether nothing at all is in the way.
    pub fn ready(&self) -> bool {
        self.problems.is_empty()
    }

    /// The fixes that apply, in the order to make them.
    pub fn fixes(&self) -> Vec<Fix> {
        let mut fixes: Vec<Fix> = self.problems.iter().filter_map(Problem::fix).collect();
        // Systems Manager can only install on an instance it manages.
        if fixes
            .iter()
            .any(|fix| matches!(fix, Fix::InstallAgent | Fix::StartAgent))
            && self.facts.ssm != SsmStatus::Online
            && self.facts.profile.is_some()
        {
            fixes.push(Fix::ManageWithSsm);
        }
        fixes.sort_unstable();
        fixes.dedup();
        fixes
    }

    /// The agent in a few words, for a table cell.
    pub fn agent_words(&self) -> String {
        match &self.facts.agent {
            AgentStatus::Running(version) if version.is_empty() => "running".to_owned(),
            AgentStatus::Running(version) => format!("running {version}"),
            AgentStatus::Stopped => "stopped".to_owned(),
            AgentStatus::NotInstalled => "not installed".to_owned(),
            AgentStatus::Unknown(_) => "unknown".to_owned(),
        }
    }

    /// Systems Manager's view in a few words, for a table cell.
    pub fn ssm_words(&self) -> &'static str {
        match &self.facts.ssm {
            SsmStatus::Online => "online",
            SsmStatus::ConnectionLost => "connection lost",
            SsmStatus::NotManaged => "not managed",
            SsmStatus::Unknown(_) => "unknown",
        }
    }
}

/// Whether version `running` is older than `latest`, comparing their
/// numbers part by part (`1.6.0-49` is older than `1.7.1`). A version that
/// is not numbers is not called old.
pub fn is_older(running: &str, latest: &str) -> bool {
    let parts = |version: &str| -> Option<Vec<u64>> {
        version
            .split(['.', '-'])
            .map(|part| part.parse::<u64>().ok())
            .collect()
    };
    match (parts(running), parts(latest)) {
        (Some(running), Some(latest)) => running < latest,
        _ => false,
    }
}

/// The readiness of an instance from what was read about it.
pub fn assess(facts: InstanceFacts) -> Readiness {
    let mut problems = Vec::new();
    if facts.stopped {
        problems.push(Problem::Stopped);
    }
    if facts.profile.is_none() {
        problems.push(Problem::NoProfile);
    }
    match &facts.agent {
        AgentStatus::NotInstalled => problems.push(Problem::AgentNotInstalled),
        AgentStatus::Stopped => problems.push(Problem::AgentStopped),
        AgentStatus::Running(version) if is_older(version, LATEST_AGENT_VERSION) => {
            problems.push(Problem::AgentOld(version.clone()));
        }
        AgentStatus::Running(_) => {}
        AgentStatus::Unknown(why) => {
            // A stopped instance, or one without a profile, is already
            // said: its agent cannot answer.
            if !facts.stopped && facts.profile.is_some() {
                problems.push(Problem::AgentUnknown(why.clone()));
            }
        }
    }
    if let BucketAccess::Refused { bucket, readable } = &facts.bucket
        && facts.profile.is_some()
    {
        problems.push(Problem::CannotReadBucket {
            bucket: bucket.clone(),
            readable: readable.clone(),
        });
    }
    Readiness { facts, problems }
}

/// Why the agent of an instance is not known from what Systems Manager
/// says about it, in words; `None` when Systems Manager manages it.
pub fn agent_unknown_reason(ssm: &SsmStatus, has_profile: bool) -> Option<String> {
    match ssm {
        SsmStatus::Online => None,
        SsmStatus::ConnectionLost => Some(
            "Systems Manager lost its connection to the instance (is it stopped?).".to_owned(),
        ),
        SsmStatus::NotManaged if has_profile => Some(
            "Systems Manager does not manage the instance: its role needs the AmazonSSMManagedInstanceCore policy.".to_owned(),
        ),
        SsmStatus::NotManaged => Some(
            "Systems Manager does not manage the instance: it has no instance profile.".to_owned(),
        ),
        SsmStatus::Unknown(why) => Some(format!("Systems Manager could not be asked: {why}")),
    }
}

/// A summary of a fleet's readiness in one sentence, such as "2 of 5
/// instances have no CodeDeploy agent; 1 has no instance profile.";
/// `None` when every instance is ready.
pub fn summary(fleet: &[Readiness]) -> Option<String> {
    summary_of(fleet, fleet.len(), |_| true)
}

/// Like [`summary`], for the problems that fail a deployment only, out of
/// `total` instances (some of which may not be in `fleet`).
pub fn failing_summary(fleet: &[&Readiness], total: usize) -> Option<String> {
    let fleet: Vec<Readiness> = fleet.iter().map(|&readiness| readiness.clone()).collect();
    summary_of(&fleet, total, Problem::fails_deployment)
}

fn summary_of(fleet: &[Readiness], total: usize, counted: fn(&Problem) -> bool) -> Option<String> {
    let count = |wanted: fn(&Problem) -> bool| {
        fleet
            .iter()
            .filter(|readiness| {
                readiness
                    .problems
                    .iter()
                    .any(|problem| counted(problem) && wanted(problem))
            })
            .count()
    };
    let mut parts = Vec::new();
    let mut push = |count: usize, singular: &str, plural: &str| {
        if count > 0 {
            let verb = if count == 1 { singular } else { plural };
            let lead = if parts.is_empty() {
                let instances = if total == 1 { "instance" } else { "instances" };
                format!("{count} of {total} {instances} {verb}")
            } else {
                format!("{count} {verb}")
            };
            parts.push(lead);
        }
    };
    push(
        count(|problem| *problem == Problem::AgentNotInstalled),
        "has no CodeDeploy agent",
        "have no CodeDeploy agent",
    );
    push(
        count(|problem| *problem == Problem::AgentStopped),
        "has its CodeDeploy agent stopped",
        "have their CodeDeploy agent stopped",
    );
    push(
        count(|problem| *problem == Problem::NoProfile),
        "has no instance profile",
        "have no instance profile",
    );
    push(
        count(|problem| matches!(problem, Problem::CannotReadBucket { .. })),
        "may not read the revision's bucket",
        "may not read the revision's bucket",
    );
    push(
        count(|problem| *problem == Problem::Stopped),
        "is stopped",
        "are stopped",
    );
    push(
        count(|problem| matches!(problem, Problem::AgentOld(_))),
        "runs an old CodeDeploy agent",
        "run an old CodeDeploy agent",
    );
    push(
        count(|problem| matches!(problem, Problem::AgentUnknown(_))),
        "has an agent Systems Manager cannot see",
        "have an agent Systems Manager cannot see",
    );
    if parts.is_empty() {
        None
    } else {
        Some(format!("{}.", parts.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str) -> InstanceFacts {
        InstanceFacts {
            id: id.to_owned(),
            name: None,
            stopped: false,
            profile: Some("WebProfile".to_owned()),
            bucket: BucketAccess::Allowed,
            ssm: SsmStatus::Online,
            agent: AgentStatus::Running(LATEST_AGENT_VERSION.to_owned()),
        }
    }

    #[test]
    fn a_managed_instance_with_a_running_agent_and_a_profile_is_ready() {
        let readiness = assess(facts("i-1"));
        assert!(readiness.ready());
        assert!(!readiness.will_fail());
        assert!(readiness.fixes().is_empty());
        assert_eq!(readiness.agent_words(), "running 1.7.1");
    }

    #[test]
    fn no_agent_and_no_profile_fail_and_say_their_fix() {
        let mut no_agent = facts("i-1");
        no_agent.agent = AgentStatus::NotInstalled;
        let readiness = assess(no_agent);
        assert!(readiness.will_fail());
        assert_eq!(readiness.problems, vec![Problem::AgentNotInstalled]);
        assert_eq!(readiness.fixes(), vec![Fix::InstallAgent]);

        let mut no_profile = facts("i-2");
        no_profile.profile = None;
        no_profile.ssm = SsmStatus::NotManaged;
        no_profile.agent =
            AgentStatus::Unknown(agent_unknown_reason(&SsmStatus::NotManaged, false).unwrap());
        let readiness = assess(no_profile);
        assert!(readiness.will_fail());
        assert_eq!(
            readiness.problems,
            vec![Problem::NoProfile],
            "the agent nobody can see is not said twice"
        );
        assert_eq!(readiness.fixes(), vec![Fix::AttachProfile]);
    }

    #[test]
    fn an_unmanaged_instance_with_a_profile_is_offered_systems_manager() {
        let mut stopped_agent = facts("i-1");
        stopped_agent.agent = AgentStatus::Stopped;
        stopped_agent.ssm = SsmStatus::NotManaged;
        assert_eq!(
            assess(stopped_agent).fixes(),
            vec![Fix::StartAgent, Fix::ManageWithSsm]
        );
        let mut unknown = facts("i-2");
        unknown.ssm = SsmStatus::NotManaged;
        unknown.agent =
            AgentStatus::Unknown(agent_unknown_reason(&SsmStatus::NotManaged, true).unwrap());
        let readiness = assess(unknown);
        assert!(!readiness.will_fail(), "not known is not a failure");
        assert!(!readiness.ready());
        assert!(
            readiness.problems[0]
                .words()
                .contains("its role needs the AmazonSSMManagedInstanceCore policy")
        );
    }

    #[test]
    fn versions_compare_by_their_numbers() {
        assert!(is_older("1.6.0-49", "1.7.1"));
        assert!(is_older("1.7.0", "1.7.1"));
        assert!(!is_older("1.7.1", "1.7.1"));
        assert!(!is_older("1.10.0", "1.7.1"));
        assert!(!is_older("dev", "1.7.1"));
        let mut old = facts("i-1");
        old.agent = AgentStatus::Running("1.6.0".to_owned());
        let readiness = assess(old);
        assert_eq!(
            readiness.problems,
            vec![Problem::AgentOld("1.6.0".to_owned())]
        );
        assert!(!readiness.will_fail());
        assert_eq!(readiness.fixes(), vec![Fix::InstallAgent]);
    }

    #[test]
    fn a_refused_bucket_names_the_buckets_the_role_may_read() {
        let mut refused = facts("i-1");
        refused.bucket = BucketAccess::Refused {
            bucket: "releases".to_owned(),
            readable: vec!["staging-releases".to_owned()],
        };
        let readiness = assess(refused);
        assert!(readiness.will_fail());
        assert_eq!(
            readiness.problems[0].words(),
            "Its role may read only staging-releases, so it cannot download the revision from releases."
        );
        assert_eq!(readiness.fixes(), vec![Fix::GrantBucket]);
    }

    #[test]
    fn the_summary_counts_each_problem() {
        let mut fleet: Vec<Readiness> = (0..5).map(|n| assess(facts(&format!("i-{n}")))).collect();
        assert_eq!(summary(&fleet), None);
        for index in [0, 1] {
            let mut no_agent = fleet[index].facts.clone();
            no_agent.agent = AgentStatus::NotInstalled;
            fleet[index] = assess(no_agent);
        }
        let mut no_profile = fleet[2].facts.clone();
        no_profile.profile = None;
        fleet[2] = assess(no_profile);
        assert_eq!(
            summary(&fleet).as_deref(),
            Some("2 of 5 instances have no CodeDeploy agent; 1 has no instance profile.")
        );
    }
}
