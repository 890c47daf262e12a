//! Amazon ECS as the deployment group wizard and the Deploy dialog read
//! it: the account's clusters, the services of a cluster with their
//! deployment controller and target groups, the listeners that forward to
//! those target groups, and a task definition family's revisions with
//! their container ports.

use aws_sdk_ecs::types::{DeploymentControllerType, Service};
use aws_sdk_elasticloadbalancingv2::types::{Action, Listener, TargetGroup};

use super::error::{CloudResult, sdk_error};
use super::session::Session;

/// The most services `DescribeServices` takes at once.
const DESCRIBE_SERVICES_BATCH: usize = 10;

/// An ECS service as the wizard offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsServiceChoice {
    /// The service's name.
    pub name: String,
    /// The cluster's name.
    pub cluster: String,
    /// Its deployment controller as ECS spells it (`ECS` when none is
    /// set): only `CODE_DEPLOY` services can be in a deployment group.
    pub controller: String,
    /// The names of the target groups it serves.
    pub target_groups: Vec<String>,
}

impl EcsServiceChoice {
    /// Whether CodeDeploy deploys this service.
    pub fn is_code_deploy(&self) -> bool {
        self.controller == DeploymentControllerType::CodeDeploy.as_str()
    }
}

/// A listener that forwards to some of the account's target groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerChoice {
    /// Its ARN.
    pub arn: String,
    /// Its port.
    pub port: Option<i32>,
    /// The names of the target groups its default action forwards to.
    pub forwards_to: Vec<String>,
}

impl ListenerChoice {
    /// The listener in words: its port and where it forwards.
    pub fn label(&self) -> String {
        let port = self
            .port
            .map_or_else(|| "a listener".to_owned(), |port| format!("port {port}"));
        format!("{port} forwards to {}", self.forwards_to.join(", "))
    }
}

/// The names of the account's ECS clusters, sorted.
pub async fn cluster_names(session: &Session) -> CloudResult<Vec<String>> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = session
            .ecs
            .list_clusters()
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error(session, "ListClusters"))?;
        names.extend(
            page.cluster_arns()
                .iter()
                .map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_owned()),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    names.sort();
    Ok(names)
}

/// Every service of `cluster`, with its controller and target groups,
/// sorted by name. The wizard offers the `CODE_DEPLOY` ones and says why
/// the others are not offered.
pub async fn services(session: &Session, cluster: &str) -> CloudResult<Vec<EcsServiceChoice>> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = session
            .ecs
            .list_services()
            .cluster(cluster)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error(session, "ListServices"))?;
        arns.extend(page.service_arns().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut described: Vec<Service> = Vec::new();
    for batch in arns.chunks(DESCRIBE_SERVICES_BATCH) {
        let page = session
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            .send()
            .await
            .map_err(sdk_error(session, "DescribeServices"))?;
        described.extend(page.services().iter().cloned());
    }
    let target_group_arns: Vec<String> = described
        .iter()
        .flat_map(Service::load_balancers)
        .filter_map(|balancer| balancer.target_group_arn().map(str::to_owned))
        .collect();
    let groups = target_groups_by_arn(session, &target_group_arns).await?;
    let mut services: Vec<EcsServiceChoice> = described
        .iter()
        .map(|service| EcsServiceChoice {
            name: service.service_name().unwrap_or_default().to_owned(),
            cluster: cluster.to_owned(),
            controller: service
                .deployment_controller()
                .map_or(DeploymentControllerType::Ecs.as_str(), |controller| {
                    controller.r#type().as_str()
                })
                .to_owned(),
            target_groups: service
                .load_balancers()
                .iter()
                .filter_map(|balancer| balancer.target_group_arn())
                .map(|arn| name_of(&groups, arn))
                .collect(),
        })
        .collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(services)
}

/// The target groups `arns` name (none asked, none read).
async fn target_groups_by_arn(session: &Session, arns: &[String]) -> CloudResult<Vec<TargetGroup>> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let mut unique = arns.to_vec();
    unique.sort();
    unique.dedup();
    let page = session
        .elbv2
        .describe_target_groups()
        .set_target_group_arns(Some(unique))
        .send()
        .await
        .map_err(sdk_error(session, "DescribeTargetGroups"))?;
    Ok(page.target_groups().to_vec())
}

/// The name of the target group `arn` among `groups`, or the name its
/// ARN carries.
fn name_of(groups: &[TargetGroup], arn: &str) -> String {
    groups
        .iter()
        .find(|group| group.target_group_arn() == Some(arn))
        .and_then(TargetGroup::target_group_name)
        .map_or_else(
            || arn.split('/').nth(1).unwrap_or(arn).to_owned(),
            str::to_owned,
        )
}

/// The target group ARNs a listener's default actions forward to, each
/// once (an action may name a group both alone and in its weights).
fn forwarded_arns(listener: &Listener) -> Vec<String> {
    let mut arns: Vec<String> = listener
        .default_actions()
        .iter()
        .flat_map(|action: &Action| {
            let weighted = action
                .forward_config()
                .map(|forward| {
                    forward
                        .target_groups()
                        .iter()
                        .filter_map(|group| group.target_group_arn().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            action
                .target_group_arn()
                .map(str::to_owned)
                .into_iter()
                .chain(weighted)
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    arns.retain(|arn| seen.insert(arn.clone()));
    arns
}

/// The listeners of the load balancers in front of the target groups
/// `names` that forward to at least one of them, by port.
pub async fn listeners_for(
    session: &Session,
    names: &[String],
) -> CloudResult<Vec<ListenerChoice>> {
    let names: Vec<String> = names
        .iter()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let groups = session
        .elbv2
        .describe_target_groups()
        .set_names(Some(names))
        .send()
        .await
        .map_err(sdk_error(session, "DescribeTargetGroups"))?
        .target_groups()
        .to_vec();
    let mut balancers: Vec<String> = groups
        .iter()
        .flat_map(TargetGroup::load_balancer_arns)
        .cloned()
        .collect();
    balancers.sort();
    balancers.dedup();
    let mut choices = Vec::new();
    for balancer in balancers {
        let page = session
            .elbv2
            .describe_listeners()
            .load_balancer_arn(&balancer)
            .send()
            .await
            .map_err(sdk_error(session, "DescribeListeners"))?;
        for listener in page.listeners() {
            let forwards_to: Vec<String> = forwarded_arns(listener)
                .iter()
                .filter(|arn| {
                    groups
                        .iter()
                        .any(|group| group.target_group_arn() == Some(arn.as_str()))
                })
                .map(|arn| name_of(&groups, arn))
                .collect();
            if let (Some(arn), false) = (listener.listener_arn(), forwards_to.is_empty()) {
                choices.push(ListenerChoice {
                    arn: arn.to_owned(),
                    port: listener.port(),
                    forwards_to,
                });
            }
        }
    }
    choices.sort_by_key(|choice| (choice.port, choice.arn.clone()));
    Ok(choices)
}

/// The ARNs of the active revisions of the task definition `family`,
/// newest first.
pub async fn list_task_definition_revisions(
    session: &Session,
    family: &str,
) -> CloudResult<Vec<String>> {
    let mut arns = Vec::new();
    let mut token = None;
    loop {
        let page = session
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .sort(aws_sdk_ecs::types::SortOrder::Desc)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error(session, "ListTaskDefinitions"))?;
        arns.extend(page.task_definition_arns().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    Ok(arns)
}

/// The containers of the task definition `task_definition_arn` with the
/// container ports each maps, as `(container, port)` pairs.
pub async fn container_ports(
    session: &Session,
    task_definition_arn: &str,
) -> CloudResult<Vec<(String, i32)>> {
    let described = session
        .ecs
        .describe_task_definition()
        .task_definition(task_definition_arn)
        .send()
        .await
        .map_err(sdk_error(session, "DescribeTaskDefinition"))?;
    Ok(described
        .task_definition()
        .map(|definition| {
            definition
                .container_definitions()
                .iter()
                .flat_map(|container| {
                    let name = container.name().unwrap_or_default().to_owned();
                    container.port_mappings().iter().filter_map(move |mapping| {
                        mapping.container_port().map(|port| (name.clone(), port))
                    })
                })
                .collect()
        })
        .unwrap_or_default())
}

/// What the Deploy dialog offers for an ECS deployment to a group: the
/// group's service, the task definition it runs, and the account's task
/// definition families.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EcsDeployChoices {
    /// The group's cluster and service, when the group names one.
    pub service: Option<(String, String)>,
    /// The ARN of the task definition the service runs now (its primary
    /// task set's, under CodeDeploy), when it could be read.
    pub running: Option<String>,
    /// The container and port the service's load balancer sends traffic
    /// to, when it could be read.
    pub container: Option<(String, i32)>,
    /// The account's active task definition families, sorted.
    pub families: Vec<String>,
}

impl EcsDeployChoices {
    /// The family of the task definition the service runs, which a
    /// deployment most likely moves to a new revision of.
    pub fn running_family(&self) -> Option<&str> {
        family_of(self.running.as_deref()?)
    }
}

/// The family of a task definition ARN or `family:revision` reference.
pub fn family_of(reference: &str) -> Option<&str> {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    name.split(':').next().filter(|family| !family.is_empty())
}

/// The revision number of a task definition ARN or `family:revision`.
pub fn revision_of(reference: &str) -> Option<&str> {
    reference
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once(':'))
        .map(|(_, revision)| revision)
}

/// Reads what the Deploy dialog offers for a deployment to `group` of
/// `application`: its service, what the service runs, and the families.
/// A service that cannot be described leaves `running` empty: the person
/// still picks from the families.
pub async fn deploy_choices(
    session: &Session,
    application: &str,
    group: &str,
) -> CloudResult<EcsDeployChoices> {
    let spec = super::groups::deployment_group_spec(session, application, group).await?;
    let service = spec
        .map(|spec| (spec.ecs.cluster, spec.ecs.service))
        .filter(|(cluster, service)| !cluster.is_empty() && !service.is_empty());
    let described = match &service {
        Some((cluster, name)) => session
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(name)
            .send()
            .await
            .ok()
            .and_then(|output| output.services().first().cloned()),
        None => None,
    };
    let running = described.as_ref().and_then(|service| {
        service
            .task_sets()
            .iter()
            .find(|set| set.status() == Some("PRIMARY"))
            .and_then(|set| set.task_definition())
            .or_else(|| service.task_definition())
            .map(str::to_owned)
    });
    let container = described.as_ref().and_then(|service| {
        let balancer = service.load_balancers().first()?;
        Some((
            balancer.container_name()?.to_owned(),
            balancer.container_port()?,
        ))
    });
    let mut families = Vec::new();
    let mut token = None;
    loop {
        let page = session
            .ecs
            .list_task_definition_families()
            .status(aws_sdk_ecs::types::TaskDefinitionFamilyStatus::Active)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_error(session, "ListTaskDefinitionFamilies"))?;
        families.extend(page.families().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    families.sort();
    families.dedup();
    Ok(EcsDeployChoices {
        service,
        running,
        container,
        families,
    })
}
