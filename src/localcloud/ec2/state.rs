//! The local cloud's EC2 instances: a registry of instances with their
//! state, tags, launch details and instance profile.
//!
//! CodeDeploy deploys to EC2 instances chosen by their tags, so the
//! deployment engine reads this registry, and a blue/green deployment
//! launches and terminates instances in it. The EC2 API (the other files of
//! this module) shows and changes the same registry, and a demo fleet can be
//! seeded with [`Ec2State::seed_fleet`] (`deploydesk serve --fleet`).
//!
//! States change as in EC2: starting, stopping and terminating go through a
//! transitional state (`pending`, `stopping`, `shutting-down`) that
//! [`Ec2State::settle`] ends once [`STATE_TRANSITION_MILLIS`] have passed on
//! the local cloud's clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::launch_template_state::{LaunchTemplateData, LaunchTemplates};
use crate::domain::simulate::SIMULATE_TAG;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// The tag key EC2 consoles show as an instance's name.
pub const NAME_TAG: &str = "Name";

/// The image of instances launched without one named (the demo fleet and
/// blue/green copies).
pub const DEFAULT_IMAGE_ID: &str = "ami-0123456789abcdef0";

/// The instance type EC2 launches when none is named.
pub const DEFAULT_INSTANCE_TYPE: &str = "m1.small";

/// How long a transitional state (`pending`, `stopping`, `shutting-down`)
/// lasts before [`Ec2State::settle`] ends it.
pub const STATE_TRANSITION_MILLIS: i64 = 2000;

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

    /// The state's code as EC2 sends it with the name: 0 pending, 16
    /// running, 32 shutting-down, 48 terminated, 64 stopping, 80 stopped.
    pub fn code(self) -> i32 {
        match self {
            Self::Pending => 0,
            Self::Running => 16,
            Self::ShuttingDown => 32,
            Self::Terminated => 48,
            Self::Stopping => 64,
            Self::Stopped => 80,
        }
    }

    /// Every state, in code order.
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Running,
        Self::ShuttingDown,
        Self::Terminated,
        Self::Stopping,
        Self::Stopped,
    ];

    /// The state a transitional state ends in, or `None` for a state that
    /// lasts.
    pub fn settled(self) -> Option<Self> {
        match self {
            Self::Pending => Some(Self::Running),
            Self::Stopping => Some(Self::Stopped),
            Self::ShuttingDown => Some(Self::Terminated),
            Self::Running | Self::Stopped | Self::Terminated => None,
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
    /// The image it was launched from.
    #[serde(default = "default_image_id")]
    pub image_id: String,
    /// Its instance type, e.g. `t3.micro`.
    #[serde(default = "default_instance_type")]
    pub instance_type: String,
    /// The reservation it was launched in; `None` for instances saved before
    /// reservations were recorded, which count as their own reservation.
    #[serde(default)]
    pub reservation_id: Option<String>,
    /// Its place among the instances launched with it, from 0.
    #[serde(default)]
    pub launch_index: u32,
    /// The IAM instance profile associated with it, if any.
    #[serde(default)]
    pub iam_instance_profile: Option<ProfileAssociation>,
}

/// An IAM instance profile associated with an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileAssociation {
    /// The association's id, `iip-assoc-` and 17 hexadecimal digits.
    pub association_id: String,
    /// The instance profile's ARN.
    pub arn: String,
    /// The instance profile's id, `AIPA` and 17 characters.
    pub profile_id: String,
    /// When the profile was associated.
    pub associated_at: Timestamp,
}

/// The default for [`Ec2Instance::image_id`].
fn default_image_id() -> String {
    DEFAULT_IMAGE_ID.to_owned()
}

/// The default for [`Ec2Instance::instance_type`].
fn default_instance_type() -> String {
    DEFAULT_INSTANCE_TYPE.to_owned()
}

impl Ec2Instance {
    /// The id of the reservation it was launched in.
    pub fn reservation_id(&self) -> String {
        self.reservation_id.clone().unwrap_or_else(|| {
            let digits = self.instance_id.trim_start_matches("i-");
            format!("r-{digits}")
        })
    }

    /// Its private IPv4 address in `10.0.0.0/8`, worked out from its id so
    /// that it stays the same for the instance's life.
    pub fn private_ip_address(&self) -> String {
        let digits = self.instance_id.trim_start_matches("i-");
        let tail = digits.get(digits.len().saturating_sub(6)..).unwrap_or("");
        let number = u32::from_str_radix(tail, 16).unwrap_or(0);
        let [_, second, third, fourth] = number.to_be_bytes();
        // The last octet avoids 0 and 255, which are not host addresses.
        format!("10.{second}.{third}.{}", fourth % 254 + 1)
    }

    /// Its private DNS name in `region`, as EC2 names it:
    /// `ip-10-1-2-3.ec2.internal` in us-east-1 and
    /// `ip-10-1-2-3.REGION.compute.internal` elsewhere.
    pub fn private_dns_name(&self, region: &str) -> String {
        let host = format!("ip-{}", self.private_ip_address().replace('.', "-"));
        if region == "us-east-1" {
            format!("{host}.ec2.internal")
        } else {
            format!("{host}.{region}.compute.internal")
        }
    }
}

/// What to launch: the parts of `RunInstances` the registry keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchSpec {
    /// The image.
    pub image_id: String,
    /// The instance type.
    pub instance_type: String,
    /// The tags every instance gets.
    pub tags: BTreeMap<String, String>,
    /// The ARN of the instance profile to associate, if any.
    pub iam_instance_profile_arn: Option<String>,
    /// The state the instances start in.
    pub state: InstanceState,
}

impl LaunchSpec {
    /// What a launch template's `data` launches: pending instances with its
    /// image, type, profile and instance tags (EC2's defaults where it names
    /// none).
    pub fn from_template(data: &LaunchTemplateData) -> Self {
        Self {
            image_id: data.image_id.clone().unwrap_or_else(default_image_id),
            instance_type: data
                .instance_type
                .clone()
                .unwrap_or_else(default_instance_type),
            tags: data.instance_tags.clone(),
            iam_instance_profile_arn: data.iam_instance_profile_arn.clone(),
            state: InstanceState::Pending,
        }
    }
}

impl Default for LaunchSpec {
    fn default() -> Self {
        Self {
            image_id: default_image_id(),
            instance_type: default_instance_type(),
            tags: BTreeMap::new(),
            iam_instance_profile_arn: None,
            state: InstanceState::Running,
        }
    }
}

/// EC2's part of the world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ec2State {
    /// Instances by id, terminated ones included (as EC2 keeps showing them
    /// for a while).
    pub instances: Table<String, Ec2Instance>,
    /// Launch templates by id.
    pub launch_templates: LaunchTemplates,
}

impl Ec2State {
    /// Notes the instances changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.instances.take_changes("ec2.instances", changes);
        self.launch_templates
            .take_changes("ec2.launch_templates", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "ec2.instances" => self.instances.apply(change),
            "ec2.launch_templates" => self.launch_templates.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

/// Makes a new id as EC2 makes them: `prefix` and 17 lowercase
/// hexadecimal digits, e.g. `i-0123456789abcdef0`.
pub fn random_id(prefix: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits: String = (0..17)
        .map(|_| char::from(HEX[rand::random_range(0..HEX.len())]))
        .collect();
    format!("{prefix}{digits}")
}

/// Whether `id` has the form of an EC2 instance id: `i-` and 8 or 17
/// lowercase hexadecimal digits.
pub fn is_instance_id(id: &str) -> bool {
    is_resource_id(id, "i-")
}

/// Whether `id` has the form of an EC2 resource id with `prefix` (such as
/// `ami-`): the prefix and 8 or 17 lowercase hexadecimal digits.
pub fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|digits| {
        (digits.len() == 8 || digits.len() == 17)
            && digits
                .chars()
                .all(|digit| digit.is_ascii_digit() || ('a'..='f').contains(&digit))
    })
}

impl Ec2State {
    /// Launches a running instance with `tags` at `now`, from the default
    /// image and type, and returns its id.
    pub fn launch(&mut self, tags: BTreeMap<String, String>, now: Timestamp) -> String {
        let spec = LaunchSpec {
            tags,
            ..LaunchSpec::default()
        };
        let (_, mut ids) = self.run(&spec, 1, now);
        ids.pop().unwrap_or_default()
    }

    /// Launches `count` instances as `spec` says, in one new reservation,
    /// at `now`. Returns the reservation id and the instance ids in launch
    /// order.
    pub fn run(
        &mut self,
        spec: &LaunchSpec,
        count: usize,
        now: Timestamp,
    ) -> (String, Vec<String>) {
        let reservation_id = random_id("r-");
        let mut instance_ids = Vec::with_capacity(count);
        for launch_index in 0..count {
            let mut instance_id = random_id("i-");
            while self.instances.contains_key(&instance_id) {
                instance_id = random_id("i-");
            }
            let iam_instance_profile =
                spec.iam_instance_profile_arn
                    .as_ref()
                    .map(|arn| ProfileAssociation {
                        association_id: random_id("iip-assoc-"),
                        arn: arn.clone(),
                        profile_id: profile_id(arn),
                        associated_at: now,
                    });
            self.instances.insert(
                instance_id.clone(),
                Ec2Instance {
                    instance_id: instance_id.clone(),
                    state: spec.state,
                    tags: spec.tags.clone(),
                    launch_time: now,
                    state_changed: now,
                    image_id: spec.image_id.clone(),
                    instance_type: spec.instance_type.clone(),
                    reservation_id: Some(reservation_id.clone()),
                    launch_index: u32::try_from(launch_index).unwrap_or(u32::MAX),
                    iam_instance_profile,
                },
            );
            instance_ids.push(instance_id);
        }
        (reservation_id, instance_ids)
    }

    /// Associates the instance profile `arn` with instance `instance_id` at
    /// `now` and returns the association, or `None` if there is no such
    /// instance.
    pub fn associate_profile(
        &mut self,
        instance_id: &str,
        arn: &str,
        now: Timestamp,
    ) -> Option<ProfileAssociation> {
        let instance = self.instances.get_mut(instance_id)?;
        let association = ProfileAssociation {
            association_id: random_id("iip-assoc-"),
            arn: arn.to_owned(),
            profile_id: profile_id(arn),
            associated_at: now,
        };
        instance.iam_instance_profile = Some(association.clone());
        Some(association)
    }

    /// Ends every transitional state that began at least
    /// [`STATE_TRANSITION_MILLIS`] before `now`: pending instances are
    /// running, stopping ones stopped and shutting-down ones terminated.
    /// Returns whether any instance changed.
    pub fn settle(&mut self, now: Timestamp) -> bool {
        let due: Vec<String> = self
            .instances
            .iter()
            .filter(|(_, instance)| {
                instance.state.settled().is_some()
                    && instance.state_changed.plus_millis(STATE_TRANSITION_MILLIS) <= now
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &due {
            if let Some(instance) = self.instances.get_mut(id)
                && let Some(settled) = instance.state.settled()
            {
                instance.state = settled;
                instance.state_changed =
                    instance.state_changed.plus_millis(STATE_TRANSITION_MILLIS);
            }
        }
        !due.is_empty()
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

    /// Launches the demo fleet when there are no instances yet: `count`
    /// running instances named `demo-001`…, tagged `Fleet=demo` and split
    /// between `Environment=staging` (the first half, rounded down) and
    /// `Environment=production`, each with the instance profile
    /// `profile_arn`. With `gaps`, two staging instances are not ready to
    /// deploy to, as in a real fleet: the last has no instance profile and
    /// the one before it no CodeDeploy agent (its simulate tag says
    /// `no-agent`). Does nothing when the world already has instances, so a
    /// restarted local cloud keeps its fleet. Returns how many were
    /// launched.
    pub fn seed_fleet(
        &mut self,
        count: usize,
        profile_arn: &str,
        gaps: bool,
        now: Timestamp,
    ) -> usize {
        if count == 0 || !self.instances.is_empty() {
            return 0;
        }
        let staging = count / 2;
        let gaps = gaps && staging >= 2;
        for number in 1..=count {
            let environment = if number <= staging {
                "staging"
            } else {
                "production"
            };
            let mut tags = BTreeMap::from([
                (NAME_TAG.to_owned(), format!("demo-{number:03}")),
                ("Fleet".to_owned(), "demo".to_owned()),
                ("Environment".to_owned(), environment.to_owned()),
            ]);
            if gaps && number + 1 == staging {
                tags.insert(SIMULATE_TAG.to_owned(), "no-agent".to_owned());
            }
            let spec = LaunchSpec {
                tags,
                iam_instance_profile_arn: (!(gaps && number == staging))
                    .then(|| profile_arn.to_owned()),
                ..LaunchSpec::default()
            };
            self.run(&spec, 1, now);
        }
        count
    }
}

/// The id of the instance profile `arn`: `AIPA` and 17 characters worked
/// out from the ARN, so that one profile always has one id. (The local cloud
/// has no IAM to ask.)
fn profile_id(arn: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    // FNV-1a: small, stable across releases and platforms, unlike the
    // standard library's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in arn.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut id = String::from("AIPA");
    for _ in 0..17 {
        id.push(char::from(ALPHABET[(hash % 32) as usize]));
        hash = hash.rotate_right(5) ^ 0x9e37_79b9_7f4a_7c15;
    }
    id
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
        let profile = "arn:aws:iam::000000000000:instance-profile/Fleet";
        assert_eq!(
            ec2.seed_fleet(5, profile, false, Timestamp::from_secs(10)),
            5
        );
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
        assert!(ec2.instances.values().all(|instance| {
            instance
                .iam_instance_profile
                .as_ref()
                .map(|profile| profile.arn.as_str())
                == Some(profile)
                && !instance.tags.contains_key(SIMULATE_TAG)
        }));
        assert_eq!(
            ec2.seed_fleet(5, profile, false, Timestamp::from_secs(20)),
            0
        );
        assert_eq!(ec2.instances.len(), 5);
    }

    #[test]
    fn a_fleet_with_gaps_has_a_staging_instance_without_an_agent_and_one_without_a_profile() {
        let mut ec2 = Ec2State::default();
        let profile = "arn:aws:iam::000000000000:instance-profile/Fleet";
        assert_eq!(
            ec2.seed_fleet(10, profile, true, Timestamp::from_secs(10)),
            10
        );
        let by_name = |name: &str| {
            ec2.instances
                .values()
                .find(|instance| instance.tags[NAME_TAG] == name)
                .unwrap()
        };
        let no_agent = by_name("demo-004");
        assert_eq!(no_agent.tags[SIMULATE_TAG], "no-agent");
        assert_eq!(no_agent.tags["Environment"], "staging");
        assert!(no_agent.iam_instance_profile.is_some());
        let no_profile = by_name("demo-005");
        assert!(no_profile.iam_instance_profile.is_none());
        assert_eq!(no_profile.tags["Environment"], "staging");
        let ready = ec2
            .instances
            .values()
            .filter(|instance| {
                instance.iam_instance_profile.is_some() && !instance.tags.contains_key(SIMULATE_TAG)
            })
            .count();
        assert_eq!(ready, 8);
        // Too small a staging half to spare two: every instance is ready.
        let mut small = Ec2State::default();
        small.seed_fleet(3, profile, true, Timestamp::from_secs(10));
        assert!(small.instances.values().all(|instance| {
            instance.iam_instance_profile.is_some() && !instance.tags.contains_key(SIMULATE_TAG)
        }));
    }

    #[test]
    fn transitional_states_settle_after_the_transition_time() {
        let mut ec2 = Ec2State::default();
        let start = Timestamp::from_secs(100);
        let spec = LaunchSpec {
            state: InstanceState::Pending,
            ..LaunchSpec::default()
        };
        let (reservation, ids) = ec2.run(&spec, 2, start);
        assert!(reservation.starts_with("r-"), "{reservation}");
        assert_eq!(ec2.instances[&ids[1]].launch_index, 1);
        assert!(!ec2.settle(start.plus_millis(STATE_TRANSITION_MILLIS - 1)));
        assert_eq!(ec2.instances[&ids[0]].state, InstanceState::Pending);
        assert!(ec2.settle(start.plus_millis(STATE_TRANSITION_MILLIS)));
        for id in &ids {
            assert_eq!(ec2.instances[id].state, InstanceState::Running);
            assert_eq!(
                ec2.instances[id].state_changed,
                start.plus_millis(STATE_TRANSITION_MILLIS)
            );
        }
        assert!(!ec2.settle(start.plus_millis(10 * STATE_TRANSITION_MILLIS)));
    }

    #[test]
    fn addresses_and_profile_ids_are_stable() {
        let mut ec2 = Ec2State::default();
        let id = ec2.launch(BTreeMap::new(), Timestamp::from_secs(1));
        let instance = ec2.instances[&id].clone();
        let ip = instance.private_ip_address();
        assert!(ip.starts_with("10."), "{ip}");
        assert_eq!(ip, instance.private_ip_address());
        let octets: Vec<u16> = ip.split('.').map(|octet| octet.parse().unwrap()).collect();
        assert!((1..=254).contains(&octets[3]), "{ip}");
        assert_eq!(
            instance.private_dns_name("eu-west-1"),
            format!("ip-{}.eu-west-1.compute.internal", ip.replace('.', "-"))
        );
        assert!(
            instance
                .private_dns_name("us-east-1")
                .ends_with(".ec2.internal")
        );
        let arn = "arn:aws:iam::000000000000:instance-profile/web";
        assert_eq!(profile_id(arn), profile_id(arn));
        assert_ne!(
            profile_id(arn),
            profile_id("arn:aws:iam::000000000000:instance-profile/db")
        );
        assert_eq!(profile_id(arn).len(), 21);
    }

    #[test]
    fn instances_saved_before_launch_details_load_with_defaults() {
        let saved = r#"{"instance_id": "i-0123abcd", "state": "stopped", "tags": {}, "launch_time": 5, "state_changed": 6}"#;
        let instance: Ec2Instance = serde_json::from_str(saved).unwrap();
        assert_eq!(instance.image_id, DEFAULT_IMAGE_ID);
        assert_eq!(instance.instance_type, DEFAULT_INSTANCE_TYPE);
        assert_eq!(instance.reservation_id(), "r-0123abcd");
        assert_eq!(instance.iam_instance_profile, None);
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
