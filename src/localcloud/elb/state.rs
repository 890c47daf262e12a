//! What classic Elastic Load Balancing remembers: load balancers by name,
//! each with its listeners, health check, registered instances,
//! connection draining and tags.
//!
//! An instance's health moves on the clock: [`instance_health`] works it
//! out from when the instance was registered, how it is doing in EC2 and
//! the health check; [`ElbState::settle`], called from the server's
//! `Shared::advance_to`, ends the connection draining of deregistered
//! instances once its timeout has passed.
//!
//! # The seam for CodeDeploy
//!
//! CodeDeploy's `BlockTraffic`/`AllowTraffic` take instances out of a
//! classic load balancer and put them back without a request:
//! [`ElbState::register_instance`], [`ElbState::deregister_instance`],
//! [`ElbState::health`] (is it `InService`), [`in_service_at`] (when it
//! will be) and [`ElbState::is_drained`] (deregistered and no longer
//! draining), with [`ClassicLoadBalancer::draining`] saying until when.

use serde::{Deserialize, Serialize};

use crate::localcloud::clock::Timestamp;
use crate::localcloud::elbv2::Liveness;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// Classic Elastic Load Balancing's load balancers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ElbState {
    /// Load balancers by name.
    pub load_balancers: Table<String, ClassicLoadBalancer>,
}

impl ElbState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.load_balancers
            .take_changes("elb.load_balancers", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "elb.load_balancers" => self.load_balancers.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

/// A listener of a classic load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicListener {
    /// The front-end protocol: `HTTP`, `HTTPS`, `TCP` or `SSL`.
    pub protocol: String,
    /// The front-end port.
    pub load_balancer_port: u16,
    /// The back-end protocol.
    pub instance_protocol: String,
    /// The back-end port.
    pub instance_port: u16,
    /// The certificate, for `HTTPS` and `SSL`.
    pub certificate: Option<String>,
}

/// A classic load balancer's health check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicHealthCheck {
    /// What is checked, e.g. `TCP:80` or `HTTP:80/health`.
    pub target: String,
    /// Seconds between checks.
    pub interval: i64,
    /// Seconds before a check times out.
    pub timeout: i64,
    /// Failing checks in a row before an instance is out of service.
    pub unhealthy_threshold: i64,
    /// Passing checks in a row before an instance is in service.
    pub healthy_threshold: i64,
}

/// A registered instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The instance id.
    pub instance_id: String,
    /// When it was registered.
    pub registered: Timestamp,
}

/// A classic load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassicLoadBalancer {
    /// Its name.
    pub name: String,
    /// Its DNS name.
    pub dns_name: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// When it was created.
    pub created: Timestamp,
    /// Its listeners.
    pub listeners: Vec<ClassicListener>,
    /// Its Availability Zones.
    pub availability_zones: Vec<String>,
    /// Its subnets, if it was created in subnets.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// Its security groups.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// The VPC it is in.
    pub vpc_id: String,
    /// The health check.
    pub health_check: ClassicHealthCheck,
    /// Its registered instances, in registration order.
    #[serde(default)]
    pub instances: Vec<Member>,
    /// Deregistered instances still draining, with when draining ends.
    #[serde(default)]
    pub draining: Vec<(String, Timestamp)>,
    /// Whether connection draining is on.
    pub connection_draining: bool,
    /// How long connections drain, in seconds.
    pub connection_draining_timeout: i64,
    /// Whether cross-zone load balancing is on.
    pub cross_zone: bool,
    /// The idle timeout of connections, in seconds.
    pub idle_timeout: i64,
    /// Its tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// An instance's health as `DescribeInstanceHealth` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceHealth {
    /// `InService` or `OutOfService`.
    pub state: &'static str,
    /// `ELB`, `Instance` or `N/A`.
    pub reason_code: &'static str,
    /// AWS's description, or `N/A`.
    pub description: &'static str,
}

impl InstanceHealth {
    /// Whether the instance takes traffic.
    pub fn in_service(&self) -> bool {
        self.state == "InService"
    }

    /// Out of service for `reason_code` with `description`.
    fn out(reason_code: &'static str, description: &'static str) -> Self {
        Self {
            state: "OutOfService",
            reason_code,
            description,
        }
    }

    /// The instance is not registered.
    pub fn not_registered() -> Self {
        Self::out(
            "ELB",
            "Instance is not currently registered with the LoadBalancer.",
        )
    }

    /// The instance's connections are draining.
    pub fn deregistering() -> Self {
        Self::out("ELB", "Instance deregistration currently in progress.")
    }
}

/// The health of the registered `member` of `balancer` at `now`, for an
/// instance doing as `liveness` says: out of service while registration
/// is in progress, that is until the health check has passed
/// `HealthyThreshold` times one `Interval` apart (counted from the later
/// of its registration and its start), then in service; out of service
/// with the instance's state when it is not running.
pub fn instance_health(
    balancer: &ClassicLoadBalancer,
    member: &Member,
    liveness: Liveness,
    now: Timestamp,
) -> InstanceHealth {
    match liveness {
        Liveness::Starting => InstanceHealth::out("Instance", "Instance is in pending state."),
        Liveness::Stopped => InstanceHealth::out("Instance", "Instance is in stopped state."),
        Liveness::Terminated => InstanceHealth::out("Instance", "Instance is in terminated state."),
        Liveness::Running { .. } => {
            if in_service_at(balancer, member, liveness).is_some_and(|at| now >= at) {
                InstanceHealth {
                    state: "InService",
                    reason_code: "N/A",
                    description: "N/A",
                }
            } else {
                InstanceHealth::out("ELB", "Instance registration is still in progress.")
            }
        }
    }
}

/// When the registered `member` of `balancer` comes `InService` by the
/// rules of [`instance_health`], for an instance doing as `liveness` says;
/// `None` when it is not running.
pub fn in_service_at(
    balancer: &ClassicLoadBalancer,
    member: &Member,
    liveness: Liveness,
) -> Option<Timestamp> {
    let Liveness::Running { since } = liveness else {
        return None;
    };
    let check = &balancer.health_check;
    let from = member.registered.max(since);
    Some(from.plus_millis(check.healthy_threshold * check.interval * 1000))
}

/// Why the engine's change to a classic load balancer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassicSeamError {
    /// No load balancer has the name.
    #[error("There is no ACTIVE Load Balancer named '{0}'.")]
    NoLoadBalancer(String),
}

impl ElbState {
    /// Ends the connection draining that is over at `now`. Returns whether
    /// anything changed.
    pub fn settle(&mut self, now: Timestamp) -> bool {
        let due: Vec<String> = self
            .load_balancers
            .iter()
            .filter(|(_, balancer)| balancer.draining.iter().any(|(_, until)| *until <= now))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &due {
            if let Some(balancer) = self.load_balancers.get_mut(name) {
                balancer.draining.retain(|(_, until)| *until > now);
            }
        }
        !due.is_empty()
    }

    /// Registers the instance `id` with the load balancer `name` at `now`,
    /// as `RegisterInstancesWithLoadBalancer` does: a registered instance
    /// stays as it is, a draining one stops draining and starts over.
    pub fn register_instance(
        &mut self,
        name: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<(), ClassicSeamError> {
        let balancer = self
            .load_balancers
            .get(name)
            .ok_or_else(|| ClassicSeamError::NoLoadBalancer(name.to_owned()))?;
        if balancer
            .instances
            .iter()
            .any(|member| member.instance_id == id)
        {
            return Ok(());
        }
        if let Some(balancer) = self.load_balancers.get_mut(name) {
            balancer.draining.retain(|(draining, _)| draining != id);
            balancer.instances.push(Member {
                instance_id: id.to_owned(),
                registered: now,
            });
        }
        Ok(())
    }

    /// Deregisters the instance `id` from the load balancer `name` at
    /// `now`: with connection draining on, it drains for the timeout.
    /// Returns whether it was registered.
    pub fn deregister_instance(
        &mut self,
        name: &str,
        id: &str,
        now: Timestamp,
    ) -> Result<bool, ClassicSeamError> {
        let balancer = self
            .load_balancers
            .get_mut(name)
            .ok_or_else(|| ClassicSeamError::NoLoadBalancer(name.to_owned()))?;
        let Some(index) = balancer
            .instances
            .iter()
            .position(|member| member.instance_id == id)
        else {
            return Ok(false);
        };
        balancer.instances.remove(index);
        if balancer.connection_draining && balancer.connection_draining_timeout > 0 {
            let until = now.plus_millis(balancer.connection_draining_timeout * 1000);
            balancer.draining.push((id.to_owned(), until));
        }
        Ok(true)
    }

    /// The health of the instance `id` in the load balancer `name` at
    /// `now`, for an instance doing as `liveness` says; `None` when there
    /// is no such load balancer.
    pub fn health(
        &self,
        name: &str,
        id: &str,
        liveness: Liveness,
        now: Timestamp,
    ) -> Option<InstanceHealth> {
        let balancer = self.load_balancers.get(name)?;
        Some(
            match balancer
                .instances
                .iter()
                .find(|member| member.instance_id == id)
            {
                Some(member) => instance_health(balancer, member, liveness, now),
                None if balancer.draining.iter().any(|(draining, _)| draining == id) => {
                    InstanceHealth::deregistering()
                }
                None => InstanceHealth::not_registered(),
            },
        )
    }

    /// Whether the instance `id` is out of the load balancer `name`: not
    /// registered and not draining (also when there is no such load
    /// balancer).
    pub fn is_drained(&self, name: &str, id: &str) -> bool {
        self.load_balancers.get(name).is_none_or(|balancer| {
            !balancer
                .instances
                .iter()
                .any(|member| member.instance_id == id)
                && !balancer.draining.iter().any(|(draining, _)| draining == id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Timestamp = Timestamp::from_secs(1_714_564_800);
    const RUNNING: Liveness = Liveness::Running {
        since: Timestamp::from_secs(0),
    };

    fn with_balancer(draining: bool) -> ElbState {
        let mut state = ElbState::default();
        state.load_balancers.insert(
            "web".to_owned(),
            ClassicLoadBalancer {
                name: "web".to_owned(),
                dns_name: "web-1.us-east-1.elb.amazonaws.com".to_owned(),
                scheme: "internet-facing".to_owned(),
                created: START,
                listeners: Vec::new(),
                availability_zones: vec!["us-east-1a".to_owned()],
                subnets: Vec::new(),
                security_groups: Vec::new(),
                vpc_id: "vpc-1".to_owned(),
                health_check: ClassicHealthCheck {
                    target: "TCP:80".to_owned(),
                    interval: 10,
                    timeout: 5,
                    unhealthy_threshold: 2,
                    healthy_threshold: 3,
                },
                instances: Vec::new(),
                draining: Vec::new(),
                connection_draining: draining,
                connection_draining_timeout: 60,
                cross_zone: false,
                idle_timeout: 60,
                tags: Vec::new(),
            },
        );
        state
    }

    #[test]
    fn an_instance_comes_in_service_after_threshold_times_interval() {
        let mut state = with_balancer(false);
        state.register_instance("web", "i-1", START).unwrap();
        let health = |state: &ElbState, at: i64| {
            state
                .health("web", "i-1", RUNNING, START.plus_millis(at))
                .unwrap()
        };
        assert_eq!(
            health(&state, 29_999).description,
            "Instance registration is still in progress."
        );
        assert!(health(&state, 30_000).in_service());
        let balancer = &state.load_balancers["web"];
        assert_eq!(
            in_service_at(balancer, &balancer.instances[0], RUNNING),
            Some(START.plus_millis(30_000))
        );
        assert_eq!(
            in_service_at(balancer, &balancer.instances[0], Liveness::Stopped),
            None
        );
        assert_eq!(
            state
                .health("web", "i-1", Liveness::Stopped, START)
                .unwrap()
                .description,
            "Instance is in stopped state."
        );
        assert!(state.health("nope", "i-1", RUNNING, START).is_none());
    }

    #[test]
    fn deregistered_instances_drain_only_with_connection_draining() {
        let mut state = with_balancer(true);
        state.register_instance("web", "i-1", START).unwrap();
        assert_eq!(state.deregister_instance("web", "i-1", START), Ok(true));
        assert!(!state.is_drained("web", "i-1"));
        assert_eq!(
            state.health("web", "i-1", RUNNING, START).unwrap(),
            InstanceHealth::deregistering()
        );
        assert!(!state.settle(START.plus_millis(59_999)));
        assert!(state.settle(START.plus_millis(60_000)));
        assert!(state.is_drained("web", "i-1"));
        assert_eq!(
            state.health("web", "i-1", RUNNING, START).unwrap(),
            InstanceHealth::not_registered()
        );

        let mut state = with_balancer(false);
        state.register_instance("web", "i-1", START).unwrap();
        assert_eq!(state.deregister_instance("web", "i-1", START), Ok(true));
        assert!(state.is_drained("web", "i-1"));
        assert_eq!(state.deregister_instance("web", "i-1", START), Ok(false));
    }
}
