//! The local cloud's EC2 instances: a registry of instances with their
//! state, tags and launch time.
//!
//! CodeDeploy deploys to EC2 instances chosen by their tags, so the
//! deployment engine reads this registry, and a blue/green deployment
//! launches and terminates instances in it. The EC2 protocol itself (a later
//! part of the local cloud) will expose the same registry; until then the
//! fleet is seeded with [`Ec2State::seed_fleet`] (`deploydesk serve --fleet`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::clock::Timestamp;

/// The tag key EC2 consoles show as an instance's name.
pub const NAME_TAG: &str = "Name";

/// The state of an EC2 instance, as EC2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    /// Starting up.
    Pending,
    /// Running.
    Running,
    /// Being terminated.
    ShuttingDown,
    /// Gone for good.
    Terminated,
    /// Being stopped.
    Stopping,
    /// Stopped; it can be started again.
    Stopped,
}

impl InstanceState {
    /// The state's name as EC2 spells it, e.g. `shutting-down`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::ShuttingDown => "shutting-down",
            Self::Terminated => "terminated",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
        }
    }

    /// Whether the instance still exists as far as a deployment is
    /// concerned: anything but terminated or shutting down.
    pub fn exists(self) -> bool {
        !matches!(self, Self::Terminated | Self::ShuttingDown)
    }
}

/// One EC2 instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ec2Instance {
    /// The instance id, `i-` and 17 hexadecimal digits.
    pub instance_id: String,
    /// Its state.
    pub state: InstanceState,
    /// Its tags, by key (EC2 allows one value per key).
    pub tags: BTreeMap<String, String>,
    /// When it was launched.
    pub launch_time: Timestamp,
    /// When its state last changed.
    pub state_changed: Timestamp,
}

/// EC2's part of the world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ec2State {
    /// Instances by id, terminated ones included (as EC2 keeps showing them
    /// for a while).
    pub instances: BTreeMap<String, Ec2Instance>,
}

/// Makes a new instance id: `i-` and 17 lowercase hexadecimal digits.
fn random_instance_id() -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits: String = (0..17)
        .map(|_| char::from(HEX[rand::random_range(0..HEX.len())]))
        .collect();
    format!("i-{digits}")
}

/// Whether `id` has the form of an EC2 instance id.
pub fn is_instance_id(id: &str) -> bool {
    id.strip_prefix("i-").is_some_and(|digits| {
        (digits.len() == 8 || digits.len() == 17)
            && digits
                .chars()
                .all(|digit| digit.is_ascii_digit() || ('a'..='f').contains(&digit))
    })
}

impl Ec2State {
    /// Launches a running instance with `tags` at `now` and returns its id.
    pub fn launch(&mut self, tags: BTreeMap<String, String>, now: Timestamp) -> String {
        let mut instance_id = random_instance_id();
        while self.instances.contains_key(&instance_id) {
            instance_id = random_instance_id();
        }
        self.instances.insert(
            instance_id.clone(),
            Ec2Instance {
                instance_id: instance_id.clone(),
                state: InstanceState::Running,
                tags,
                launch_time: now,
                state_changed: now,
            },
        );
        instance_id
    }

    /// Sets the state of instance `instance_id`, if it exists and is not
    /// already terminated. Returns whether it changed.
    pub fn set_state(&mut self, instance_id: &str, state: InstanceState, now: Timestamp) -> bool {
        match self.instances.get_mut(instance_id) {
            Some(instance) if instance.state != InstanceState::Terminated => {
                let changed = instance.state != state;
                instance.state = state;
                if changed {
                    instance.state_changed = now;
                }
                changed
            }
            _ => false,
        }
    }

    /// Terminates instance `instance_id`; see [`Ec2State::set_state`].
    pub fn terminate(&mut self, instance_id: &str, now: Timestamp) -> bool {
        self.set_state(instance_id, InstanceState::Terminated, now)
    }

    /// Seeds a demo fleet of `count` running instances tagged
    /// `Name=demo-001` and on, `Fleet=demo`, and `Environment=staging` for
    /// the first half (rounded down) and `Environment=production` for the
    /// rest. Does nothing when the world already has instances, so a
    /// restarted local cloud keeps its fleet. Returns how many were launched.
    pub fn seed_fleet(&mut self, count: usize, now: Timestamp) -> usize {
        if count == 0 || !self.instances.is_empty() {
            return 0;
        }
        let staging = count / 2;
        for number in 1..=count {
            let environment = if number <= staging {
                "staging"
            } else {
                "production"
            };
            let tags = BTreeMap::from([
                (NAME_TAG.to_owned(), format!("demo-{number:03}")),
                ("Fleet".to_owned(), "demo".to_owned()),
                ("Environment".to_owned(), environment.to_owned()),
            ]);
            self.launch(tags, now);
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_look_like_ec2s() {
        let mut ec2 = Ec2State::default();
        let id = ec2.launch(BTreeMap::new(), Timestamp::from_secs(1));
        assert!(is_instance_id(&id), "{id}");
        assert_eq!(id.len(), 19);
        assert!(!is_instance_id("i-XYZ"));
        assert!(is_instance_id("i-0123abcd"));
    }

    #[test]
    fn a_fleet_is_split_between_staging_and_production_and_seeded_once() {
        let mut ec2 = Ec2State::default();
        assert_eq!(ec2.seed_fleet(5, Timestamp::from_secs(10)), 5);
        let mut names: Vec<(String, String)> = ec2
            .instances
            .values()
            .map(|instance| {
                assert_eq!(instance.state, InstanceState::Running);
                assert_eq!(instance.tags["Fleet"], "demo");
                (
                    instance.tags[NAME_TAG].clone(),
                    instance.tags["Environment"].clone(),
                )
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                ("demo-001", "staging"),
                ("demo-002", "staging"),
                ("demo-003", "production"),
                ("demo-004", "production"),
                ("demo-005", "production"),
            ]
            .map(|(name, environment)| (name.to_owned(), environment.to_owned()))
        );
        assert_eq!(ec2.seed_fleet(5, Timestamp::from_secs(20)), 0);
        assert_eq!(ec2.instances.len(), 5);
    }

    #[test]
    fn terminated_instances_stay_terminated() {
        let mut ec2 = Ec2State::default();
        let id = ec2.launch(BTreeMap::new(), Timestamp::from_secs(1));
        assert!(ec2.terminate(&id, Timestamp::from_secs(2)));
        assert!(!ec2.set_state(&id, InstanceState::Running, Timestamp::from_secs(3)));
        assert_eq!(ec2.instances[&id].state, InstanceState::Terminated);
        assert_eq!(ec2.instances[&id].state_changed, Timestamp::from_secs(2));
        assert_eq!(InstanceState::ShuttingDown.name(), "shutting-down");
    }
}
