//! How a service's tasks start on the clock, and the task set API the
//! deployment engine drives an ECS blue/green deployment through.
//!
//! A task set (under `CODE_DEPLOY`) or a deployment (under `ECS`) keeps
//! its tasks as launches: so many tasks started at such a time. A task is
//! `PENDING` for [`TASK_START_MS`] after its launch, then `RUNNING`. When
//! the service's desired count or the task set's scale changes, the tasks
//! are brought to the new computed desired count at once: new ones are
//! launched, or the newest ones stop. Nothing runs in the background: the
//! counts are worked out from the stored times at each request's time, as
//! Elastic Load Balancing's target health is.

use serde_json::Value;
use uuid::Uuid;

use super::state::{
    ACTIVE, CONTROLLER_ECS, Deployment, EcsService, EcsState, INACTIVE, Launch, LoadBalancer,
    TaskDefinition, TaskSet, Tasks,
};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;

/// How long a task is `PENDING` before it is `RUNNING`, in milliseconds of
/// the local cloud's clock.
pub const TASK_START_MS: i64 = 20_000;
/// `status` of the task set (or deployment) that serves production traffic.
pub const PRIMARY: &str = "PRIMARY";
/// `status` of a task set that is being deleted.
pub const DRAINING: &str = "DRAINING";

/// A task set's (or deployment's) tasks at one time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskCounts {
    /// How many tasks it should have.
    pub computed_desired: i64,
    /// How many are starting.
    pub pending: i64,
    /// How many are running.
    pub running: i64,
    /// Since when `running` has been `computed_desired`, if it is.
    pub steady_since: Option<Timestamp>,
}

impl TaskCounts {
    /// `stabilityStatus`: `STEADY_STATE` or `STABILIZING`.
    pub fn stability_status(&self) -> &'static str {
        if self.steady_since.is_some() {
            "STEADY_STATE"
        } else {
            "STABILIZING"
        }
    }
}

impl Tasks {
    /// `count` tasks launched at `now`.
    pub fn launched(count: i64, now: Timestamp) -> Self {
        let mut tasks = Self {
            launches: Vec::new(),
            changed: now,
        };
        tasks.reconcile(count, now);
        tasks
    }

    /// How many tasks there are, pending or running.
    pub fn total(&self) -> i64 {
        self.launches.iter().map(|launch| launch.count).sum()
    }

    /// Brings the tasks to `target` at `now`: launches the missing ones or
    /// stops the newest.
    pub fn reconcile(&mut self, target: i64, now: Timestamp) {
        let target = target.max(0);
        let total = self.total();
        if total < target {
            self.launches.push(Launch {
                count: target - total,
                at: now,
            });
        }
        let mut excess = total - target;
        while excess > 0 {
            let Some(newest) = self.launches.last_mut() else {
                break;
            };
            let stopped = newest.count.min(excess);
            newest.count -= stopped;
            excess -= stopped;
            if newest.count == 0 {
                self.launches.pop();
            }
        }
        if total != target {
            self.changed = now;
        }
    }

    /// The counts at `now`, for `computed_desired` tasks wanted.
    pub fn counts(&self, computed_desired: i64, now: Timestamp) -> TaskCounts {
        let running: i64 = self
            .launches
            .iter()
            .filter(|launch| launch.at.plus_millis(TASK_START_MS) <= now)
            .map(|launch| launch.count)
            .sum();
        let pending = self.total() - running;
        let steady_since = (pending == 0 && running == computed_desired).then(|| {
            self.launches
                .iter()
                .map(|launch| launch.at.plus_millis(TASK_START_MS))
                .fold(self.changed, Timestamp::max)
        });
        TaskCounts {
            computed_desired,
            pending,
            running,
            steady_since,
        }
    }
}

/// The tasks `scale_percent` of `service_desired` makes, rounded up.
pub fn computed_desired(service_desired: i64, scale_percent: f64) -> i64 {
    // A hair is taken off so that 3 × 33.34 % is not 1.0002, hence 2.
    let exact = service_desired as f64 * scale_percent / 100.0;
    (exact - 1e-9).ceil().max(0.0) as i64
}

impl TaskSet {
    /// Its tasks at `now`, when the service wants `service_desired`.
    pub fn counts(&self, service_desired: i64, now: Timestamp) -> TaskCounts {
        self.tasks
            .counts(computed_desired(service_desired, self.scale_percent), now)
    }
}

/// A task set to create, as `CreateTaskSet` takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTaskSet {
    /// The task definition's ARN (or family, or family:revision).
    pub task_definition_arn: String,
    /// The CodeDeploy deployment's id, if CodeDeploy creates it.
    pub external_id: Option<String>,
    /// Its load balancers.
    pub load_balancers: Vec<LoadBalancer>,
    /// Its share of the service's desired count, in percent.
    pub scale_percent: f64,
    /// `EC2`, `FARGATE` or `EXTERNAL`; the service's when `None`.
    pub launch_type: Option<String>,
}

/// A new id for a task set or deployment: `ecs-svc/` and 19 digits.
pub fn new_task_set_id() -> String {
    let digits = Uuid::new_v4().as_u128() % 10_u128.pow(19);
    format!("ecs-svc/{digits:019}")
}

/// `ClientException`, ECS's error for a request it cannot do.
pub fn client_error(message: impl Into<String>) -> ApiError {
    ApiError::new("ClientException", message)
}

/// `InvalidParameterException`.
pub fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidParameterException", message)
}

/// Checks that every load balancer names a container of `definition` and
/// one of its container ports, as ECS does.
pub fn check_containers(
    definition: &TaskDefinition,
    load_balancers: &[LoadBalancer],
) -> Result<(), ApiError> {
    for load_balancer in load_balancers {
        let name = &load_balancer.container_name;
        let container = definition.container(name).ok_or_else(|| {
            invalid_parameter(format!(
                "The container {name} does not exist in the task definition."
            ))
        })?;
        let port = load_balancer.container_port;
        if !container
            .port_mappings
            .iter()
            .any(|mapping| mapping.container_port == port)
        {
            return Err(invalid_parameter(format!(
                "The container {name} did not have a container port {port} defined."
            )));
        }
    }
    Ok(())
}

/// Checks a task set's scale: a percentage from 0 to 100.
pub fn check_scale(scale_percent: f64) -> Result<(), ApiError> {
    if (0.0..=100.0).contains(&scale_percent) {
        Ok(())
    } else {
        Err(invalid_parameter(format!(
            "The scale value {scale_percent} is out of range; give a percentage from 0 to 100."
        )))
    }
}

/// `ServiceNotFoundException`.
pub fn service_not_found() -> ApiError {
    ApiError::new("ServiceNotFoundException", "Service not found.")
}

/// `TaskSetNotFoundException` for `task_set`.
pub fn task_set_not_found(task_set: &str) -> ApiError {
    ApiError::new(
        "TaskSetNotFoundException",
        format!(
            "The specified task set {task_set} does not exist; list the service's task sets with DescribeTaskSets."
        ),
    )
}

impl EcsService {
    /// Whether the service is deleted (draining or inactive).
    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }

    /// `ACTIVE`; once deleted, `DRAINING` while its tasks stop (as long
    /// as tasks take to start), then `INACTIVE`.
    pub fn status(&self, now: Timestamp) -> &'static str {
        match self.deleted {
            None => ACTIVE,
            Some(deleted) if now < deleted.plus_millis(TASK_START_MS) => DRAINING,
            Some(_) => INACTIVE,
        }
    }

    /// The deployments shown at `now`, with their counts: the primary, and
    /// the ones it replaces until its tasks all run.
    pub fn deployments_at(&self, now: Timestamp) -> Vec<(&Deployment, TaskCounts)> {
        let mut shown = Vec::new();
        let mut primary_steady = false;
        for deployment in &self.deployments {
            if deployment.status == PRIMARY {
                let counts = deployment.tasks.counts(self.desired_count, now);
                primary_steady = counts.steady_since.is_some();
                shown.push((deployment, counts));
            } else if !primary_steady {
                let counts = deployment.tasks.counts(deployment.tasks.total(), now);
                shown.push((deployment, counts));
            }
        }
        shown
    }

    /// The service's tasks at `now`: `(pending, running)`, summed over its
    /// task sets or deployments.
    pub fn task_counts(&self, now: Timestamp) -> (i64, i64) {
        let counts: Vec<TaskCounts> = if self.has_task_sets() {
            self.task_sets
                .iter()
                .map(|task_set| task_set.counts(self.desired_count, now))
                .collect()
        } else {
            self.deployments_at(now)
                .into_iter()
                .map(|(_, counts)| counts)
                .collect()
        };
        counts.iter().fold((0, 0), |(pending, running), counts| {
            (pending + counts.pending, running + counts.running)
        })
    }

    /// Sets the desired count at `now`: every task set (or the primary
    /// deployment) starts or stops tasks to match.
    pub fn set_desired_count(&mut self, desired_count: i64, now: Timestamp) {
        self.desired_count = desired_count;
        for task_set in &mut self.task_sets {
            let target = computed_desired(desired_count, task_set.scale_percent);
            task_set.tasks.reconcile(target, now);
        }
        if let Some(primary) = self
            .deployments
            .iter_mut()
            .find(|deployment| deployment.status == PRIMARY)
        {
            primary.tasks.reconcile(desired_count, now);
        }
    }

    /// Starts a new `PRIMARY` deployment of `task_definition` at `now`; the
    /// deployments it replaces turn `ACTIVE` and keep running until it is
    /// steady. Those already replaced by a steady primary are dropped.
    pub fn deploy(&mut self, task_definition: String, now: Timestamp) {
        let shown: Vec<String> = self
            .deployments_at(now)
            .into_iter()
            .map(|(deployment, _)| deployment.id.clone())
            .collect();
        self.deployments
            .retain(|deployment| shown.contains(&deployment.id));
        for deployment in &mut self.deployments {
            if deployment.status == PRIMARY {
                ACTIVE.clone_into(&mut deployment.status);
                deployment.updated = now;
            }
        }
        let (launch_type, network_configuration) =
            (self.launch_type.clone(), self.network_configuration.clone());
        self.deployments.insert(
            0,
            Deployment {
                id: new_task_set_id(),
                status: PRIMARY.to_owned(),
                task_definition: task_definition.clone(),
                launch_type,
                network_configuration,
                created: now,
                updated: now,
                tasks: Tasks::launched(self.desired_count, now),
            },
        );
        self.task_definition = task_definition;
    }

    /// Adds a task set as `CreateTaskSet` does, after checking it, and
    /// returns its id. The task definition, load balancers and scale must
    /// have been checked.
    pub fn add_task_set(
        &mut self,
        new: NewTaskSet,
        network_configuration: Option<Value>,
        now: Timestamp,
    ) -> String {
        let id = new_task_set_id();
        let arn = format!("{}/{id}", self.arn.replacen(":service/", ":task-set/", 1));
        let target = computed_desired(self.desired_count, new.scale_percent);
        let status = if self.task_sets.is_empty() {
            PRIMARY
        } else {
            ACTIVE
        };
        if status == PRIMARY {
            self.task_definition.clone_from(&new.task_definition_arn);
        }
        self.task_sets.push(TaskSet {
            id: id.clone(),
            arn,
            service_arn: self.arn.clone(),
            cluster_arn: self.cluster_arn.clone(),
            status: status.to_owned(),
            task_definition: new.task_definition_arn,
            external_id: new.external_id,
            started_by: None,
            load_balancers: new.load_balancers,
            network_configuration: network_configuration
                .or_else(|| self.network_configuration.clone()),
            launch_type: new.launch_type.or_else(|| self.launch_type.clone()),
            scale_percent: new.scale_percent,
            created: now,
            updated: now,
            tasks: Tasks::launched(target, now),
        });
        id
    }
}

impl EcsState {
    /// The service `service` of `cluster`, able to have task sets, or
    /// ECS's error.
    fn task_set_service(&self, cluster: &str, service: &str) -> Result<EcsService, ApiError> {
        if self.cluster(cluster).is_none() {
            return Err(ApiError::new(
                "ClusterNotFoundException",
                "Cluster not found.",
            ));
        }
        let found = self
            .service(cluster, service)
            .filter(|found| !found.is_deleted())
            .ok_or_else(service_not_found)?;
        if found.deployment_controller == CONTROLLER_ECS {
            return Err(invalid_parameter(
                "Amazon ECS only supports task set management on services configured to use external deployment controllers.",
            ));
        }
        Ok(found.clone())
    }

    /// Creates a task set as `CreateTaskSet` does, with ECS's errors; the
    /// task definition may be named by family, family:revision or ARN.
    /// Returns the task set's id.
    pub fn create_task_set_checked(
        &mut self,
        cluster: &str,
        service: &str,
        mut new: NewTaskSet,
        network_configuration: Option<Value>,
        now: Timestamp,
    ) -> Result<String, ApiError> {
        let mut found = self.task_set_service(cluster, service)?;
        let definition = self
            .task_definition(&new.task_definition_arn)
            .ok_or_else(|| client_error("Unable to describe task definition."))?;
        check_containers(definition, &new.load_balancers)?;
        check_scale(new.scale_percent)?;
        new.task_definition_arn.clone_from(&definition.arn);
        let id = found.add_task_set(new, network_configuration, now);
        self.put_service(found);
        Ok(id)
    }

    /// Creates a task set as `CreateTaskSet` does (scale in percent),
    /// returning its id.
    pub fn create_task_set(
        &mut self,
        cluster: &str,
        service: &str,
        new: NewTaskSet,
        now: Timestamp,
    ) -> Result<String, String> {
        self.create_task_set_checked(cluster, service, new, None, now)
            .map_err(|error| error.message)
    }

    /// Makes `task_set_id` (id or ARN) the service's `PRIMARY` task set,
    /// with ECS's errors; the old primary turns `ACTIVE`, and the
    /// service's task definition follows the new one.
    pub fn set_primary_task_set_checked(
        &mut self,
        cluster: &str,
        service: &str,
        task_set_id: &str,
        now: Timestamp,
    ) -> Result<TaskSet, ApiError> {
        let mut found = self.task_set_service(cluster, service)?;
        let primary = found
            .task_set(task_set_id)
            .cloned()
            .ok_or_else(|| task_set_not_found(task_set_id))?;
        for task_set in &mut found.task_sets {
            let status = if task_set.id == primary.id {
                PRIMARY
            } else {
                ACTIVE
            };
            if task_set.status != status {
                status.clone_into(&mut task_set.status);
                task_set.updated = now;
            }
        }
        found.task_definition.clone_from(&primary.task_definition);
        let answer = found.task_set(&primary.id).cloned();
        self.put_service(found);
        answer.ok_or_else(|| task_set_not_found(task_set_id))
    }

    /// Makes `task_set_id` the service's PRIMARY task set.
    pub fn set_primary_task_set(
        &mut self,
        cluster: &str,
        service: &str,
        task_set_id: &str,
        now: Timestamp,
    ) -> Result<(), String> {
        self.set_primary_task_set_checked(cluster, service, task_set_id, now)
            .map(|_| ())
            .map_err(|error| error.message)
    }

    /// Deletes a task set (its tasks stop), with ECS's errors; unless
    /// `force`, only one scaled down to no tasks. Returns it as it was.
    pub fn delete_task_set_checked(
        &mut self,
        cluster: &str,
        service: &str,
        task_set_id: &str,
        force: bool,
    ) -> Result<TaskSet, ApiError> {
        let mut found = self.task_set_service(cluster, service)?;
        let deleted = found
            .task_set(task_set_id)
            .cloned()
            .ok_or_else(|| task_set_not_found(task_set_id))?;
        let computed = computed_desired(found.desired_count, deleted.scale_percent);
        if !force && computed > 0 {
            return Err(invalid_parameter(format!(
                "The task set {} cannot be deleted while it is scaled above 0 ({computed} tasks); scale it to 0 with UpdateTaskSet, or pass force.",
                deleted.id
            )));
        }
        found.task_sets.retain(|task_set| task_set.id != deleted.id);
        self.put_service(found);
        Ok(deleted)
    }

    /// Deletes a task set (its tasks stop).
    pub fn delete_task_set(
        &mut self,
        cluster: &str,
        service: &str,
        task_set_id: &str,
        _now: Timestamp,
    ) -> Result<(), String> {
        self.delete_task_set_checked(cluster, service, task_set_id, true)
            .map(|_| ())
            .map_err(|error| error.message)
    }

    /// Scales a task set to `scale_percent` at `now`, with ECS's errors.
    pub fn scale_task_set(
        &mut self,
        cluster: &str,
        service: &str,
        task_set_id: &str,
        scale_percent: f64,
        now: Timestamp,
    ) -> Result<TaskSet, ApiError> {
        check_scale(scale_percent)?;
        let mut found = self.task_set_service(cluster, service)?;
        let desired = found.desired_count;
        let task_set = found
            .task_sets
            .iter_mut()
            .find(|task_set| task_set.id == task_set_id || task_set.arn == task_set_id)
            .ok_or_else(|| task_set_not_found(task_set_id))?;
        task_set.scale_percent = scale_percent;
        task_set.updated = now;
        task_set
            .tasks
            .reconcile(computed_desired(desired, scale_percent), now);
        let answer = task_set.clone();
        self.put_service(found);
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn at(seconds: i64) -> Timestamp {
        START.plus_millis(seconds * 1000)
    }

    #[test]
    fn the_computed_desired_count_rounds_up() {
        assert_eq!(computed_desired(3, 100.0), 3);
        assert_eq!(computed_desired(3, 50.0), 2);
        assert_eq!(computed_desired(10, 12.0), 2);
        assert_eq!(computed_desired(3, 100.0 / 3.0), 1);
        assert_eq!(computed_desired(4, 0.0), 0);
        assert_eq!(computed_desired(0, 100.0), 0);
    }

    #[test]
    fn new_tasks_are_pending_until_they_have_started() {
        let tasks = Tasks::launched(3, START);
        let counts = tasks.counts(3, at(5));
        assert_eq!((counts.pending, counts.running), (3, 0));
        assert_eq!(counts.stability_status(), "STABILIZING");
        let just_before = tasks.counts(3, START.plus_millis(TASK_START_MS - 1));
        assert_eq!(just_before.running, 0);
        let started = tasks.counts(3, START.plus_millis(TASK_START_MS));
        assert_eq!((started.pending, started.running), (0, 3));
        assert_eq!(started.steady_since, Some(START.plus_millis(TASK_START_MS)));
        assert_eq!(started.stability_status(), "STEADY_STATE");
    }

    #[test]
    fn scaling_up_starts_only_the_new_tasks_and_scaling_down_stops_the_newest() {
        let mut tasks = Tasks::launched(2, START);
        tasks.reconcile(5, at(30));
        let counts = tasks.counts(5, at(31));
        assert_eq!((counts.pending, counts.running), (3, 2));
        assert_eq!(counts.steady_since, None);
        tasks.reconcile(1, at(35));
        assert_eq!(
            tasks.launches,
            vec![Launch {
                count: 1,
                at: START
            }]
        );
        let counts = tasks.counts(1, at(35));
        assert_eq!((counts.pending, counts.running), (0, 1));
        // Steady from the change that stopped the extra tasks.
        assert_eq!(counts.steady_since, Some(at(35)));
    }

    #[test]
    fn no_tasks_wanted_is_steady_at_once() {
        let tasks = Tasks::launched(0, START);
        let counts = tasks.counts(0, START);
        assert_eq!((counts.pending, counts.running), (0, 0));
        assert_eq!(counts.steady_since, Some(START));
    }

    #[test]
    fn a_task_set_counts_its_share_of_the_service() {
        let task_set = TaskSet {
            id: new_task_set_id(),
            arn: String::new(),
            service_arn: String::new(),
            cluster_arn: String::new(),
            status: PRIMARY.to_owned(),
            task_definition: String::new(),
            external_id: None,
            started_by: None,
            load_balancers: Vec::new(),
            network_configuration: None,
            launch_type: None,
            scale_percent: 50.0,
            created: START,
            updated: START,
            tasks: Tasks::launched(computed_desired(3, 50.0), START),
        };
        assert!(task_set.id.starts_with("ecs-svc/"));
        assert_eq!(task_set.id.len(), "ecs-svc/".len() + 19);
        let counts = task_set.counts(3, at(25));
        assert_eq!(counts.computed_desired, 2);
        assert_eq!(counts.running, 2);
        // Were the service to want more, the task set would not be steady.
        assert_eq!(task_set.counts(6, at(25)).steady_since, None);
    }
}
