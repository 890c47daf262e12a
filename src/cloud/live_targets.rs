//! What a Lambda or ECS deployment group moves, read live for the
//! Applications page.
//!
//! A group's settings say only part of where its traffic goes. An ECS group
//! names its service, its two target groups and the listeners in front of
//! them; what runs and where each listener forwards is ECS's and Elastic
//! Load Balancing's to say. A Lambda group names no function at all: each
//! deployment's AppSpec names the function and alias it shifts, so the
//! group's last deployment's target says which alias to ask Lambda about.
//!
//! The page reads again every few seconds while a deployment of a group
//! runs, so [`read`] is kept cheap: a group whose last deployment neither
//! runs nor changed keeps what was read before, and a Lambda group's alias
//! is looked up in its deployment's targets once per deployment. A live
//! read of an application costs one `BatchGetDeploymentGroups`, one
//! `BatchGetDeployments` for the running deployments' statuses (a group's
//! summary of its last deployment may lag behind), and per running group
//! `DescribeServices` and `DescribeListeners` (ECS) or `GetAlias` (Lambda).

use std::collections::HashMap;
use std::time::SystemTime;

use aws_sdk_codedeploy::types as cd;
use aws_sdk_ecs::types as ecs;
use aws_sdk_elasticloadbalancingv2::types as elb;

use super::codedeploy::{LastDeployment, last_deployment};
use super::deployments::{self, Traffic};
use super::error::{CloudError, CloudResult, sdk_error};
use super::session::Session;

/// The most names `BatchGetDeploymentGroups` takes.
const GROUP_BATCH: usize = 100;

/// The most services `DescribeServices` takes at once.
const SERVICE_BATCH: usize = 10;

/// The most targets `BatchGetDeploymentTargets` takes.
const TARGET_BATCH: usize = 25;

/// What one Lambda or ECS group moves, as read now.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveGroup {
    /// The group's name.
    pub name: String,
    /// Its last attempted deployment, read with the rest.
    pub last_attempted: Option<LastDeployment>,
    /// What it moves.
    pub targets: LiveTargets,
}

impl LiveGroup {
    /// Whether a deployment of the group runs, so that what it moves may
    /// change any moment.
    pub fn is_running(&self) -> bool {
        self.last_attempted
            .as_ref()
            .is_some_and(|last| is_running(&last.status))
    }
}

/// Whether a deployment with this status (as CodeDeploy spells it) still
/// runs: queued, moving, waiting to reroute, or rerouting.
pub fn is_running(status: &str) -> bool {
    matches!(
        status,
        "Created" | "Queued" | "InProgress" | "Ready" | "Baking"
    )
}

/// What a group moves.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveTargets {
    /// An ECS group's services (CodeDeploy allows one; each is shown).
    Ecs(Vec<EcsLive>),
    /// A Lambda group's alias.
    Lambda(LambdaLive),
}

/// An ECS service of a group with the listeners in front of it.
#[derive(Debug, Clone, PartialEq)]
pub struct EcsLive {
    /// The cluster's name.
    pub cluster: String,
    /// The service's name.
    pub service: String,
    /// The service as ECS reports it, or why it could not be read.
    pub state: Result<ServiceState, String>,
    /// The group's target groups, as it names them (original first).
    pub target_groups: Vec<String>,
    /// The group's production and test listeners, or why they could not
    /// be read.
    pub listeners: Result<Vec<ListenerState>, String>,
}

/// An ECS service's counts, task definition and task sets.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceState {
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: String,
    /// The tasks it should run.
    pub desired: i32,
    /// The tasks running.
    pub running: i32,
    /// The tasks starting.
    pub pending: i32,
    /// Its task definition as `family:revision` (empty when ECS gives none,
    /// as for a service of task sets).
    pub task_definition: String,
    /// Its task sets, the primary one first; none for a service ECS deploys
    /// itself.
    pub task_sets: Vec<TaskSetState>,
}

/// A task set of a service that CodeDeploy deploys.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSetState {
    /// Its id.
    pub id: String,
    /// `PRIMARY` (the one production traffic goes to), `ACTIVE` or
    /// `DRAINING`.
    pub status: String,
    /// Its task definition as `family:revision`.
    pub task_definition: String,
    /// The tasks it should run.
    pub desired: i32,
    /// The tasks starting.
    pub pending: i32,
    /// The tasks running.
    pub running: i32,
    /// Its scale: the share of the service's desired count it runs.
    pub scale_percent: Option<f64>,
    /// `STEADY_STATE` or `STABILIZING`.
    pub stability: String,
    /// The target groups its tasks are registered with, by name.
    pub target_groups: Vec<String>,
}

impl TaskSetState {
    /// Whether production traffic goes to it.
    pub fn is_primary(&self) -> bool {
        self.status == "PRIMARY"
    }
}

/// Which traffic a listener carries for a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerRole {
    /// Production traffic.
    Production,
    /// Test traffic, which reaches the replacement before production does.
    Test,
}

impl ListenerRole {
    /// The role in words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Production => "Production",
            Self::Test => "Test",
        }
    }
}

/// A listener of a group and where it forwards now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerState {
    /// Production or test.
    pub role: ListenerRole,
    /// Its ARN.
    pub arn: String,
    /// Its port.
    pub port: Option<i32>,
    /// The target groups its default action forwards to, by name, each with
    /// its share of the traffic in percent.
    pub forwards: Vec<(String, u32)>,
}

impl ListenerState {
    /// Where it forwards, in words: "web-blue 90 %, web-green 10 %".
    pub fn forwards_text(&self) -> String {
        let shares: Vec<String> = self
            .forwards
            .iter()
            .filter(|(_, percent)| *percent > 0)
            .map(|(name, percent)| format!("{name} {percent} %"))
            .collect();
        if shares.is_empty() {
            "nowhere (every weight is 0)".to_owned()
        } else {
            shares.join(", ")
        }
    }
}

/// A Lambda group's alias.
#[derive(Debug, Clone, PartialEq)]
pub enum LambdaLive {
    /// The group has never been deployed: nothing says which function it
    /// moves yet.
    NeverDeployed,
    /// Its deployments name no function (none has reached its targets).
    NoFunction {
        /// The deployment looked at.
        deployment_id: String,
    },
    /// Its deployments' targets could not be read.
    Unread(String),
    /// The alias the group's last deployment moves.
    Alias {
        /// The deployment that named it.
        deployment_id: String,
        /// The function.
        function: String,
        /// The alias.
        alias: String,
        /// Where the alias points now, or why Lambda could not say.
        state: Result<AliasState, String>,
    },
}

/// Where an alias points: its version, and the other version that gets a
/// share while traffic shifts.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasState {
    /// The version it points at.
    pub version: String,
    /// The versions with a share of the invocations, with that share in
    /// percent: the alias's own version first.
    pub weights: Vec<(String, f64)>,
}

impl AliasState {
    /// The weights in words: "version 1 90 %, version 2 10 %".
    pub fn weights_text(&self) -> String {
        self.weights
            .iter()
            .map(|(version, percent)| format!("version {version} {}", percent_text(*percent)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A percentage without a needless fraction: "10 %", "12.5 %".
fn percent_text(percent: f64) -> String {
    let rounded = (percent * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} %")
    } else {
        format!("{rounded:.1} %")
    }
}

/// Reads what the Lambda and ECS groups `groups` of `application` move.
/// Groups of other platforms are left out. A group in `previous` whose
/// last deployment neither runs nor changed keeps what was read before;
/// pass nothing to read everything afresh. An error of one group's service,
/// listeners or alias is that group's; only when CodeDeploy cannot say
/// what the groups are does the whole read fail.
pub async fn read(
    session: &Session,
    application: &str,
    groups: &[String],
    previous: &[LiveGroup],
) -> CloudResult<Vec<LiveGroup>> {
    let mut infos = Vec::with_capacity(groups.len());
    for chunk in groups.chunks(GROUP_BATCH) {
        let output = session
            .codedeploy
            .batch_get_deployment_groups()
            .application_name(application)
            .set_deployment_group_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(sdk_error(session, "BatchGetDeploymentGroups"))?;
        infos.extend(output.deployment_groups_info().iter().cloned());
    }
    let running = running_statuses(session, &infos).await?;
    let mut live = Vec::with_capacity(infos.len());
    for info in &infos {
        let name = info.deployment_group_name().unwrap_or_default().to_owned();
        let last_attempted = info.last_attempted_deployment().map(|last| {
            let mut last = last_deployment(last);
            if let Some((status, ended)) = running.get(&last.deployment_id) {
                last.status.clone_from(status);
                last.ended = *ended;
            }
            last
        });
        let before = previous.iter().find(|group| group.name == name);
        if let Some(before) = before
            && before.last_attempted == last_attempted
            && !before.is_running()
        {
            live.push(before.clone());
            continue;
        }
        let targets = match info.compute_platform() {
            Some(cd::ComputePlatform::Ecs) => LiveTargets::Ecs(read_ecs(session, info).await),
            Some(cd::ComputePlatform::Lambda) => {
                let known = before.and_then(|group| match &group.targets {
                    LiveTargets::Lambda(LambdaLive::Alias {
                        deployment_id,
                        function,
                        alias,
                        ..
                    }) => Some((deployment_id.clone(), function.clone(), alias.clone())),
                    _ => None,
                });
                LiveTargets::Lambda(read_lambda(session, info, known).await)
            }
            _ => continue,
        };
        live.push(LiveGroup {
            name,
            last_attempted,
            targets,
        });
    }
    live.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(live)
}

/// The status now of the groups' last deployments that the groups say
/// still run, by deployment id, with when each ended: a group's summary may
/// lag behind its deployment (one `BatchGetDeployments`, and none while no
/// deployment runs).
async fn running_statuses(
    session: &Session,
    infos: &[cd::DeploymentGroupInfo],
) -> CloudResult<HashMap<String, (String, Option<SystemTime>)>> {
    let ids: Vec<String> = infos
        .iter()
        .filter_map(cd::DeploymentGroupInfo::last_attempted_deployment)
        .filter(|last| {
            last.status()
                .is_some_and(|status| is_running(status.as_str()))
        })
        .filter_map(|last| last.deployment_id().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(deployments::get_deployments(session, &ids)
        .await?
        .into_iter()
        .map(|deployment| {
            (
                deployment.id,
                (deployment.status.as_str().to_owned(), deployment.completed),
            )
        })
        .collect())
}

/// The name a target group's ARN carries
/// (`arn:aws:elasticloadbalancing:…:targetgroup/NAME/ID`).
fn target_group_name(arn: &str) -> String {
    arn.split('/').nth(1).unwrap_or(arn).to_owned()
}

/// A task definition's `family:revision` from its ARN (or the name given).
fn family_revision(task_definition: &str) -> String {
    task_definition
        .rsplit('/')
        .next()
        .unwrap_or(task_definition)
        .to_owned()
}

/// An ECS group's services and listeners. The services of one cluster are
/// described together, the listeners of the group together.
async fn read_ecs(session: &Session, info: &cd::DeploymentGroupInfo) -> Vec<EcsLive> {
    let pairs = info
        .load_balancer_info()
        .map(cd::LoadBalancerInfo::target_group_pair_info_list)
        .unwrap_or_default();
    let target_groups: Vec<String> = pairs
        .iter()
        .flat_map(cd::TargetGroupPairInfo::target_groups)
        .filter_map(cd::TargetGroupInfo::name)
        .map(str::to_owned)
        .collect();
    let listeners = read_listeners(session, pairs).await;
    let mut clusters: Vec<&str> = info
        .ecs_services()
        .iter()
        .map(|service| service.cluster_name().unwrap_or_default())
        .collect();
    clusters.sort_unstable();
    clusters.dedup();
    let mut live = Vec::new();
    for cluster in clusters {
        let names: Vec<String> = info
            .ecs_services()
            .iter()
            .filter(|service| service.cluster_name().unwrap_or_default() == cluster)
            .filter_map(|service| service.service_name().map(str::to_owned))
            .collect();
        for batch in names.chunks(SERVICE_BATCH) {
            let described = session
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(batch.to_vec()))
                .send()
                .await
                .map_err(sdk_error(session, "DescribeServices"));
            for service in batch {
                let state = match &described {
                    Ok(output) => service_state(output, cluster, service),
                    Err(error) => Err(format!("ECS could not be asked: {error}")),
                };
                live.push(EcsLive {
                    cluster: cluster.to_owned(),
                    service: service.clone(),
                    state,
                    target_groups: target_groups.clone(),
                    listeners: listeners.clone(),
                });
            }
        }
    }
    live
}

/// The service `name` of `cluster` in a `DescribeServices` answer, or in
/// words why it is not there.
fn service_state(
    output: &aws_sdk_ecs::operation::describe_services::DescribeServicesOutput,
    cluster: &str,
    name: &str,
) -> Result<ServiceState, String> {
    let named = |candidate: Option<&str>| {
        candidate
            .is_some_and(|candidate| candidate == name || candidate.ends_with(&format!("/{name}")))
    };
    if let Some(service) = output
        .services()
        .iter()
        .find(|service| named(service.service_name()))
    {
        let deleted = match service.status() {
            Some("INACTIVE") => Some("was deleted"),
            Some("DRAINING") => Some("is being deleted"),
            _ => None,
        };
        if let (Some(deleted), Some(status)) = (deleted, service.status()) {
            return Err(format!(
                "The service \"{name}\" of cluster \"{cluster}\" {deleted} ({status}). Create it again, or give the group another service."
            ));
        }
        return Ok(service_from_sdk(service));
    }
    let reason = output
        .failures()
        .iter()
        .find(|failure| named(failure.arn()))
        .and_then(ecs::Failure::reason)
        .unwrap_or("MISSING");
    Err(format!(
        "ECS has no service \"{name}\" in cluster \"{cluster}\" ({reason}): it may have been deleted. Create it again, or give the group another service."
    ))
}

/// A described service in our own terms, its primary task set first.
fn service_from_sdk(service: &ecs::Service) -> ServiceState {
    let mut task_sets: Vec<TaskSetState> = service
        .task_sets()
        .iter()
        .map(|task_set| TaskSetState {
            id: task_set.id().unwrap_or_default().to_owned(),
            status: task_set.status().unwrap_or_default().to_owned(),
            task_definition: family_revision(task_set.task_definition().unwrap_or_default()),
            desired: task_set.computed_desired_count(),
            pending: task_set.pending_count(),
            running: task_set.running_count(),
            scale_percent: task_set.scale().map(ecs::Scale::value),
            stability: task_set
                .stability_status()
                .map_or_else(String::new, |status| status.as_str().to_owned()),
            target_groups: task_set
                .load_balancers()
                .iter()
                .filter_map(ecs::LoadBalancer::target_group_arn)
                .map(target_group_name)
                .collect(),
        })
        .collect();
    task_sets.sort_by_key(|task_set| !task_set.is_primary());
    ServiceState {
        status: service.status().unwrap_or_default().to_owned(),
        desired: service.desired_count(),
        running: service.running_count(),
        pending: service.pending_count(),
        task_definition: family_revision(service.task_definition().unwrap_or_default()),
        task_sets,
    }
}

/// The production and test listeners of a group's target group pairs, in
/// one `DescribeListeners`.
async fn read_listeners(
    session: &Session,
    pairs: &[cd::TargetGroupPairInfo],
) -> Result<Vec<ListenerState>, String> {
    let mut roles: Vec<(ListenerRole, String)> = Vec::new();
    for pair in pairs {
        for (role, route) in [
            (ListenerRole::Production, pair.prod_traffic_route()),
            (ListenerRole::Test, pair.test_traffic_route()),
        ] {
            for arn in route
                .map(cd::TrafficRoute::listener_arns)
                .unwrap_or_default()
            {
                if !roles.iter().any(|(_, known)| known == arn) {
                    roles.push((role, arn.clone()));
                }
            }
        }
    }
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let output = session
        .elbv2
        .describe_listeners()
        .set_listener_arns(Some(roles.iter().map(|(_, arn)| arn.clone()).collect()))
        .send()
        .await
        .map_err(sdk_error(session, "DescribeListeners"))
        .map_err(|error| listeners_error(&error))?;
    Ok(roles
        .into_iter()
        .filter_map(|(role, arn)| {
            let listener = output
                .listeners()
                .iter()
                .find(|listener| listener.listener_arn() == Some(arn.as_str()))?;
            Some(ListenerState {
                role,
                port: listener.port(),
                forwards: forwards(listener),
                arn,
            })
        })
        .collect())
}

/// Why the listeners could not be read, with what to do.
fn listeners_error(error: &CloudError) -> String {
    match error {
        CloudError::NotFound { message, .. } => format!(
            "A listener the group names is gone ({message}). Give the group its production and test listeners again."
        ),
        other => format!("Elastic Load Balancing could not be asked: {other}"),
    }
}

/// The target groups a listener's default action forwards to, by name,
/// with their share of the traffic in percent (rounded; the weights of a
/// `ForwardConfig` are relative).
fn forwards(listener: &elb::Listener) -> Vec<(String, u32)> {
    let Some(action) = listener
        .default_actions()
        .iter()
        .find(|action| action.r#type() == Some(&elb::ActionTypeEnum::Forward))
    else {
        return Vec::new();
    };
    let weighted: Vec<(String, i32)> = action
        .forward_config()
        .map(elb::ForwardActionConfig::target_groups)
        .unwrap_or_default()
        .iter()
        .filter_map(|group| {
            let arn = group.target_group_arn()?;
            Some((target_group_name(arn), group.weight().unwrap_or(1).max(0)))
        })
        .collect();
    if weighted.is_empty() {
        return action
            .target_group_arn()
            .map(|arn| vec![(target_group_name(arn), 100)])
            .unwrap_or_default();
    }
    let total: i32 = weighted.iter().map(|(_, weight)| weight).sum();
    weighted
        .into_iter()
        .map(|(name, weight)| {
            let percent = if total == 0 {
                0
            } else {
                u32::try_from((i64::from(weight) * 100 + i64::from(total) / 2) / i64::from(total))
                    .unwrap_or(0)
            };
            (name, percent)
        })
        .collect()
}

/// A Lambda group's alias: the one its last deployment (or, when that one
/// named none, its last successful one) moves, and where it points now.
/// `known` is the deployment, function and alias found before, so that
/// the targets are read once per deployment.
async fn read_lambda(
    session: &Session,
    info: &cd::DeploymentGroupInfo,
    known: Option<(String, String, String)>,
) -> LambdaLive {
    let candidates: Vec<&str> = [
        info.last_attempted_deployment(),
        info.last_successful_deployment(),
    ]
    .into_iter()
    .flatten()
    .filter_map(cd::LastDeploymentInfo::deployment_id)
    .collect();
    let Some(first) = candidates.first() else {
        return LambdaLive::NeverDeployed;
    };
    let mut found = known.filter(|(deployment_id, ..)| deployment_id == first);
    if found.is_none() {
        for deployment_id in &candidates {
            match alias_of(session, deployment_id).await {
                Ok(Some((function, alias))) => {
                    found = Some(((*deployment_id).to_owned(), function, alias));
                    break;
                }
                Ok(None) => {}
                Err(error) => {
                    return LambdaLive::Unread(format!(
                        "The targets of deployment {deployment_id} could not be read: {error}"
                    ));
                }
            }
        }
    }
    let Some((deployment_id, function, alias)) = found else {
        return LambdaLive::NoFunction {
            deployment_id: (*first).to_owned(),
        };
    };
    let state = read_alias(session, &function, &alias).await;
    LambdaLive::Alias {
        deployment_id,
        function,
        alias,
        state,
    }
}

/// The function and alias a Lambda deployment's target names, if it has
/// one yet.
async fn alias_of(session: &Session, deployment_id: &str) -> CloudResult<Option<(String, String)>> {
    let ids = deployments::list_target_ids(session, deployment_id).await?;
    for chunk in ids.chunks(TARGET_BATCH) {
        let targets = deployments::get_targets(session, deployment_id, chunk).await?;
        if let Some((function, alias)) = targets.iter().find_map(|target| match &target.traffic {
            Some(Traffic::Lambda {
                function, alias, ..
            }) if !function.is_empty() && !alias.is_empty() => {
                Some((function.clone(), alias.clone()))
            }
            _ => None,
        }) {
            return Ok(Some((function, alias)));
        }
    }
    Ok(None)
}

/// Where `alias` of `function` points, with its routing weights, or in
/// words why Lambda could not say.
async fn read_alias(session: &Session, function: &str, alias: &str) -> Result<AliasState, String> {
    let output = session
        .lambda
        .get_alias()
        .function_name(function)
        .name(alias)
        .send()
        .await
        .map_err(sdk_error(session, "GetAlias"))
        .map_err(|error| match error {
            CloudError::NotFound { message, .. } => format!(
                "Lambda has no alias \"{alias}\" of function \"{function}\" ({message}). Create the alias again, or deploy with an AppSpec that names one that exists."
            ),
            other => format!("Lambda could not be asked: {other}"),
        })?;
    let version = output.function_version().unwrap_or_default().to_owned();
    let mut others: Vec<(String, f64)> = output
        .routing_config()
        .and_then(|routing| routing.additional_version_weights())
        .map(|weights| {
            weights
                .iter()
                .map(|(version, weight)| (version.clone(), weight * 100.0))
                .collect()
        })
        .unwrap_or_default();
    others.sort_by(|a, b| a.0.cmp(&b.0));
    let shifted: f64 = others.iter().map(|(_, percent)| percent).sum();
    let mut weights = vec![(version.clone(), (100.0 - shifted).max(0.0))];
    weights.extend(others);
    Ok(AliasState { version, weights })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener(action: elb::Action) -> elb::Listener {
        elb::Listener::builder()
            .listener_arn(
                "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/1/2",
            )
            .port(80)
            .default_actions(action)
            .build()
    }

    const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-blue/1";
    const GREEN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-green/2";

    #[test]
    fn a_listener_forwarding_to_one_group_sends_it_everything() {
        let single = listener(
            elb::Action::builder()
                .r#type(elb::ActionTypeEnum::Forward)
                .target_group_arn(BLUE)
                .build(),
        );
        assert_eq!(forwards(&single), [("web-blue".to_owned(), 100)]);
    }

    #[test]
    fn weighted_forwarding_is_told_as_shares_of_the_traffic() {
        let weighted = listener(
            elb::Action::builder()
                .r#type(elb::ActionTypeEnum::Forward)
                .forward_config(
                    elb::ForwardActionConfig::builder()
                        .target_groups(
                            elb::TargetGroupTuple::builder()
                                .target_group_arn(BLUE)
                                .weight(90)
                                .build(),
                        )
                        .target_groups(
                            elb::TargetGroupTuple::builder()
                                .target_group_arn(GREEN)
                                .weight(10)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
        let shares = forwards(&weighted);
        assert_eq!(
            shares,
            [("web-blue".to_owned(), 90), ("web-green".to_owned(), 10)]
        );
        let state = ListenerState {
            role: ListenerRole::Test,
            arn: String::new(),
            port: Some(8080),
            forwards: vec![("web-blue".to_owned(), 0), ("web-green".to_owned(), 100)],
        };
        assert_eq!(state.forwards_text(), "web-green 100 %");
    }

    #[test]
    fn an_alias_shifting_traffic_tells_both_versions_with_their_shares() {
        let state = AliasState {
            version: "1".to_owned(),
            weights: vec![("1".to_owned(), 90.0), ("2".to_owned(), 10.0)],
        };
        assert_eq!(state.weights_text(), "version 1 90 %, version 2 10 %");
        assert_eq!(percent_text(12.5), "12.5 %");
        assert_eq!(percent_text(33.333_333), "33.3 %");
    }

    #[test]
    fn names_come_from_arns() {
        assert_eq!(target_group_name(GREEN), "web-green");
        assert_eq!(
            family_revision("arn:aws:ecs:us-east-1:000000000000:task-definition/web:2"),
            "web:2"
        );
        assert_eq!(family_revision("web:3"), "web:3");
    }

    #[test]
    fn queued_moving_and_waiting_deployments_run_and_ended_ones_do_not() {
        for status in ["Created", "Queued", "InProgress", "Ready", "Baking"] {
            assert!(is_running(status), "{status}");
        }
        for status in ["Succeeded", "Failed", "Stopped", ""] {
            assert!(!is_running(status), "{status}");
        }
    }

    #[test]
    fn a_deleted_service_says_what_to_do() {
        let output = aws_sdk_ecs::operation::describe_services::DescribeServicesOutput::builder()
            .failures(
                ecs::Failure::builder()
                    .arn("arn:aws:ecs:us-east-1:000000000000:service/shop/web")
                    .reason("MISSING")
                    .build(),
            )
            .build();
        let error = service_state(&output, "shop", "web").expect_err("missing");
        assert!(
            error.contains("no service \"web\" in cluster \"shop\" (MISSING)"),
            "{error}"
        );
        assert!(error.contains("Create it again"), "{error}");
    }
}
