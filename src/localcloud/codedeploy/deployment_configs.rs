//! `CreateDeploymentConfig`, `GetDeploymentConfig`, `ListDeploymentConfigs` and
//! `DeleteDeploymentConfig`, and the predefined configurations that always
//! exist.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::common::{
    Answer, Context, NextTokenInput, compute_platform, list_page, name_error, required_name,
};
use super::shapes::{MinimumHealthyHostsShape, TrafficRoutingConfig, ZonalConfig};
use super::state::{CodeDeployState, CustomDeploymentConfig};
use crate::domain::config::DeploymentConfig;
use crate::domain::names::{self, NameKind, RESERVED_CONFIG_PREFIX};
use crate::domain::traffic::{self, PREDEFINED_TRAFFIC, TrafficRouting, TrafficRoutingError};
use crate::domain::{ComputePlatform, MinimumHealthyHosts};
use crate::localcloud::clock::Timestamp;
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::json::{empty, input, output};

/// When the predefined configurations were created: CodeDeploy's API version date.
const PREDEFINED_CREATE_TIME: Timestamp = Timestamp::from_secs(1_412_553_600);

/// The name of the configuration a new deployment group of `platform` uses
/// when none is given.
pub fn default_for_platform(platform: &str) -> &'static str {
    traffic::default_config(ComputePlatform::parse(platform).unwrap_or_default())
}

/// The API's `TrafficRoutingConfig` for `routing`.
fn routing_shape(routing: TrafficRouting) -> TrafficRoutingConfig {
    let kind = Some(routing.api_type().to_owned());
    match routing {
        TrafficRouting::AllAtOnce => TrafficRoutingConfig {
            kind,
            ..TrafficRoutingConfig::default()
        },
        TrafficRouting::Canary {
            percentage,
            interval_minutes,
        } => TrafficRoutingConfig {
            kind,
            time_based_canary: Some(super::shapes::TimeBasedCanary {
                canary_percentage: Some(i64::from(percentage)),
                canary_interval: Some(i64::from(interval_minutes)),
            }),
            time_based_linear: None,
        },
        TrafficRouting::Linear {
            percentage,
            interval_minutes,
        } => TrafficRoutingConfig {
            kind,
            time_based_canary: None,
            time_based_linear: Some(super::shapes::TimeBasedLinear {
                linear_percentage: Some(i64::from(percentage)),
                linear_interval: Some(i64::from(interval_minutes)),
            }),
        },
    }
}

/// The routing an API `TrafficRoutingConfig` describes, checked by the
/// domain's rules.
pub fn routing_of(config: &TrafficRoutingConfig) -> Result<TrafficRouting, TrafficRoutingError> {
    TrafficRouting::from_api(
        config.kind.as_deref(),
        config
            .time_based_canary
            .as_ref()
            .map(|canary| (canary.canary_percentage, canary.canary_interval)),
        config
            .time_based_linear
            .as_ref()
            .map(|linear| (linear.linear_percentage, linear.linear_interval)),
    )
}

/// `DeploymentConfigInfo` as the API returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeploymentConfigInfo {
    deployment_config_id: String,
    deployment_config_name: String,
    minimum_healthy_hosts: Option<MinimumHealthyHostsShape>,
    create_time: Timestamp,
    compute_platform: String,
    traffic_routing_config: Option<TrafficRoutingConfig>,
    zonal_config: Option<ZonalConfig>,
}

/// The API's shape of a minimum healthy hosts value.
fn minimum_shape(minimum: MinimumHealthyHosts) -> MinimumHealthyHostsShape {
    MinimumHealthyHostsShape {
        kind: Some(minimum.api_type().to_owned()),
        value: Some(minimum.api_value()),
    }
}

/// A fixed id for the predefined configuration at `index`.
fn predefined_id(index: usize) -> String {
    format!("00000000-0000-4000-8000-{index:012}")
}

/// Every predefined configuration.
fn predefined() -> Vec<DeploymentConfigInfo> {
    let server = crate::domain::config::PREDEFINED_SERVER_CONFIGS
        .iter()
        .filter_map(|name| DeploymentConfig::predefined(name).ok())
        .map(|config| DeploymentConfigInfo {
            deployment_config_id: String::new(),
            deployment_config_name: config.name,
            minimum_healthy_hosts: Some(minimum_shape(config.minimum_healthy_hosts)),
            create_time: PREDEFINED_CREATE_TIME,
            compute_platform: ComputePlatform::Server.as_str().to_owned(),
            traffic_routing_config: None,
            zonal_config: None,
        });
    let traffic = PREDEFINED_TRAFFIC
        .iter()
        .map(|config| DeploymentConfigInfo {
            deployment_config_id: String::new(),
            deployment_config_name: config.name.to_owned(),
            minimum_healthy_hosts: None,
            create_time: PREDEFINED_CREATE_TIME,
            compute_platform: config.platform.as_str().to_owned(),
            traffic_routing_config: Some(routing_shape(config.routing)),
            zonal_config: None,
        });
    server
        .chain(traffic)
        .enumerate()
        .map(|(index, mut info)| {
            info.deployment_config_id = predefined_id(index);
            info
        })
        .collect()
}

/// The API's view of a custom configuration.
fn custom_info(config: &CustomDeploymentConfig) -> DeploymentConfigInfo {
    DeploymentConfigInfo {
        deployment_config_id: config.id.clone(),
        deployment_config_name: config.name.clone(),
        minimum_healthy_hosts: config.minimum_healthy_hosts.map(minimum_shape),
        create_time: config.create_time,
        compute_platform: config.compute_platform.clone(),
        traffic_routing_config: config.traffic_routing_config.clone(),
        zonal_config: config.zonal_config.clone(),
    }
}

/// The configuration `name`, predefined or custom, if it exists.
fn find(state: &CodeDeployState, name: &str) -> Option<DeploymentConfigInfo> {
    if name.starts_with(RESERVED_CONFIG_PREFIX) {
        predefined()
            .into_iter()
            .find(|info| info.deployment_config_name == name)
    } else {
        state.deployment_configs.get(name).map(custom_info)
    }
}

/// The compute platform of configuration `name`, or
/// `DeploymentConfigDoesNotExistException`.
pub fn platform_of(state: &CodeDeployState, name: &str) -> Result<String, ApiError> {
    find(state, name)
        .map(|info| info.compute_platform)
        .ok_or_else(|| no_such_config(name))
}

/// The minimum healthy hosts of configuration `name`, for a deployment
/// to EC2 or on-premises instances: `DeploymentConfigDoesNotExistException`
/// if there is no such configuration, `InvalidDeploymentConfigNameException`
/// if it is for another compute platform.
pub fn server_minimum(
    state: &CodeDeployState,
    name: &str,
) -> Result<MinimumHealthyHosts, ApiError> {
    if let Ok(config) = DeploymentConfig::predefined(name) {
        return Ok(config.minimum_healthy_hosts);
    }
    let info = find(state, name).ok_or_else(|| no_such_config(name))?;
    let minimum = state
        .deployment_configs
        .get(name)
        .and_then(|config| config.minimum_healthy_hosts);
    match minimum {
        Some(minimum) if info.compute_platform == ComputePlatform::Server.as_str() => Ok(minimum),
        _ => Err(ApiError::new(
            "InvalidDeploymentConfigNameException",
            format!(
                "The deployment configuration \"{name}\" is for the {} compute platform; choose an EC2/on-premises (Server) configuration such as CodeDeployDefault.OneAtATime.",
                info.compute_platform
            ),
        )),
    }
}

/// How configuration `name` moves traffic, for a deployment of
/// `platform` (Lambda or ECS); refused when it is for another platform.
pub fn traffic_routing(
    state: &CodeDeployState,
    name: &str,
    platform: ComputePlatform,
) -> Result<TrafficRouting, ApiError> {
    let info = find(state, name).ok_or_else(|| no_such_config(name))?;
    if info.compute_platform != platform.as_str() {
        return Err(ApiError::new(
            "InvalidDeploymentConfigNameException",
            format!(
                "The deployment configuration \"{name}\" is for the {} compute platform; choose a {} configuration such as {}.",
                info.compute_platform,
                platform.as_str(),
                traffic::default_config(platform)
            ),
        ));
    }
    match &info.traffic_routing_config {
        None => Ok(TrafficRouting::AllAtOnce),
        Some(config) => routing_of(config).map_err(|error| {
            ApiError::new(
                "InvalidDeploymentConfigNameException",
                format!("The deployment configuration \"{name}\" cannot be used: {error}"),
            )
        }),
    }
}

/// The error for a configuration that does not exist.
fn no_such_config(name: &str) -> ApiError {
    ApiError::new(
        "DeploymentConfigDoesNotExistException",
        format!(
            "No deployment configuration named \"{name}\" exists; use a predefined one such as CodeDeployDefault.OneAtATime, or create it with CreateDeploymentConfig."
        ),
    )
}

/// `CreateDeploymentConfigInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateInput {
    deployment_config_name: Option<String>,
    minimum_healthy_hosts: Option<MinimumHealthyHostsShape>,
    traffic_routing_config: Option<TrafficRoutingConfig>,
    compute_platform: Option<String>,
    zonal_config: Option<ZonalConfig>,
}

/// The exception for a bad minimum healthy hosts value.
fn invalid_minimum(message: impl Into<String>) -> ApiError {
    ApiError::new("InvalidMinimumHealthyHostValueException", message)
}

/// Checks a minimum healthy hosts shape through the domain rules.
fn minimum_from_shape(
    shape: &MinimumHealthyHostsShape,
    what: &str,
) -> Result<MinimumHealthyHosts, String> {
    let kind = shape
        .kind
        .as_deref()
        .ok_or_else(|| format!("The {what} needs a type: HOST_COUNT or FLEET_PERCENT."))?;
    let value = shape
        .value
        .ok_or_else(|| format!("The {what} needs a value: a number of hosts or a percentage."))?;
    MinimumHealthyHosts::from_api(kind, value).map_err(|error| error.to_string())
}

/// Checks a traffic routing configuration.
fn check_traffic_routing(config: &TrafficRoutingConfig) -> Result<(), ApiError> {
    routing_of(config).map(|_| ()).map_err(|error| {
        ApiError::new(
            "InvalidTrafficRoutingConfigurationException",
            error.to_string(),
        )
    })
}

/// Checks a zonal configuration.
fn check_zonal(config: &ZonalConfig) -> Result<(), ApiError> {
    let invalid =
        |message: String| ApiError::new("InvalidZonalDeploymentConfigurationException", message);
    for (member, seconds) in [
        (
            "firstZoneMonitorDurationInSeconds",
            config.first_zone_monitor_duration_in_seconds,
        ),
        (
            "monitorDurationInSeconds",
            config.monitor_duration_in_seconds,
        ),
    ] {
        if let Some(seconds) = seconds
            && seconds < 0
        {
            return Err(invalid(format!(
                "{member} cannot be negative (got {seconds}); use 0 or more seconds."
            )));
        }
    }
    if let Some(per_zone) = &config.minimum_healthy_hosts_per_zone {
        minimum_from_shape(per_zone, "minimum healthy hosts per zone").map_err(invalid)?;
    }
    Ok(())
}

/// Creates a custom deployment configuration.
pub fn create(state: &mut CodeDeployState, context: &Context, body: &Value) -> Answer {
    let request: CreateInput = input(body)?;
    let name = required_name(NameKind::DeploymentConfig, request.deployment_config_name)?;
    names::validate_custom_config_name(&name)
        .map_err(|error| name_error(NameKind::DeploymentConfig, &error))?;
    let platform = compute_platform(request.compute_platform.as_deref())?;
    if state.deployment_configs.contains_key(&name) {
        return Err(ApiError::new(
            "DeploymentConfigAlreadyExistsException",
            format!(
                "A deployment configuration named \"{name}\" already exists; choose another name."
            ),
        ));
    }
    let minimum_healthy_hosts = if platform == ComputePlatform::Server.as_str() {
        let shape = request.minimum_healthy_hosts.ok_or_else(|| {
            invalid_minimum(
                "A Server deployment configuration needs minimumHealthyHosts, e.g. {\"type\": \"FLEET_PERCENT\", \"value\": 75}.",
            )
        })?;
        Some(minimum_from_shape(&shape, "minimum healthy hosts").map_err(invalid_minimum)?)
    } else {
        if request.minimum_healthy_hosts.is_some() {
            return Err(invalid_minimum(format!(
                "Only Server deployment configurations take minimumHealthyHosts; a {platform} configuration uses trafficRoutingConfig."
            )));
        }
        None
    };
    if let Some(routing) = &request.traffic_routing_config {
        check_traffic_routing(routing)?;
        if platform == ComputePlatform::Server.as_str()
            && routing.kind.as_deref() != Some("AllAtOnce")
        {
            return Err(ApiError::new(
                "InvalidTrafficRoutingConfigurationException",
                "Server deployment configurations shift traffic all at once; leave trafficRoutingConfig out or use AllAtOnce.",
            ));
        }
    }
    if let Some(zonal) = &request.zonal_config {
        if platform != ComputePlatform::Server.as_str() {
            return Err(ApiError::new(
                "InvalidZonalDeploymentConfigurationException",
                format!(
                    "Only Server deployment configurations take zonalConfig, not {platform} ones."
                ),
            ));
        }
        check_zonal(zonal)?;
    }
    let id = Uuid::new_v4().to_string();
    state.deployment_configs.insert(
        name.clone(),
        CustomDeploymentConfig {
            id: id.clone(),
            name,
            compute_platform: platform,
            create_time: context.now,
            minimum_healthy_hosts,
            traffic_routing_config: request.traffic_routing_config,
            zonal_config: request.zonal_config,
        },
    );
    Ok(serde_json::json!({ "deploymentConfigId": id }))
}

/// An input with only a configuration name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameInput {
    deployment_config_name: Option<String>,
}

/// Returns one configuration, predefined or custom.
pub fn get(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: NameInput = input(body)?;
    let name = required_name(NameKind::DeploymentConfig, request.deployment_config_name)?;
    let info = find(state, &name).ok_or_else(|| no_such_config(&name))?;
    output(&serde_json::json!({ "deploymentConfigInfo": info }))
}

/// Lists configuration names, predefined and custom, in name order.
pub fn list(state: &CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: NextTokenInput = input(body)?;
    let names = predefined()
        .into_iter()
        .map(|info| info.deployment_config_name)
        .chain(state.deployment_configs.keys().cloned())
        .map(|name| (name.clone(), name))
        .collect();
    list_page(
        "ListDeploymentConfigs",
        names,
        request.next_token.as_deref(),
        "deploymentConfigsList",
    )
}

/// Deletes a custom configuration that no deployment group uses. Deleting
/// one that does not exist succeeds, as in CodeDeploy.
pub fn delete(state: &mut CodeDeployState, _context: &Context, body: &Value) -> Answer {
    let request: NameInput = input(body)?;
    let name = required_name(NameKind::DeploymentConfig, request.deployment_config_name)?;
    if name.starts_with(RESERVED_CONFIG_PREFIX) {
        return Err(ApiError::new(
            "InvalidOperationException",
            format!("\"{name}\" is a predefined deployment configuration and cannot be deleted."),
        ));
    }
    let users: Vec<String> = state
        .applications
        .values()
        .flat_map(|application| {
            application
                .deployment_groups
                .values()
                .filter(|group| group.deployment_config_name == name)
                .map(|group| format!("{}/{}", application.name, group.name))
        })
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            "DeploymentConfigInUseException",
            format!(
                "The deployment configuration \"{name}\" is used by the deployment group(s) {}; point them at another configuration first.",
                users.join(", ")
            ),
        ));
    }
    state.deployment_configs.remove(&name);
    Ok(empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_configs_have_unique_names_and_ids() {
        let all = predefined();
        assert_eq!(all.len(), 17);
        let mut names: Vec<_> = all
            .iter()
            .map(|info| &info.deployment_config_name)
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        let mut ids: Vec<_> = all.iter().map(|info| &info.deployment_config_id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }

    #[test]
    fn one_at_a_time_is_most_concurrency_one() {
        let state = CodeDeployState::default();
        let info = find(&state, "CodeDeployDefault.OneAtATime").unwrap();
        let minimum = info.minimum_healthy_hosts.unwrap();
        assert_eq!(minimum.kind.as_deref(), Some("MOST_CONCURRENCY"));
        assert_eq!(minimum.value, Some(1));
    }

    #[test]
    fn traffic_routing_rules() {
        let canary = |percentage, interval| TrafficRoutingConfig {
            kind: Some("TimeBasedCanary".to_owned()),
            time_based_canary: Some(super::super::shapes::TimeBasedCanary {
                canary_percentage: percentage,
                canary_interval: interval,
            }),
            time_based_linear: None,
        };
        assert!(check_traffic_routing(&canary(Some(10), Some(5))).is_ok());
        assert!(check_traffic_routing(&canary(Some(100), Some(5))).is_err());
        assert!(check_traffic_routing(&canary(Some(10), Some(0))).is_err());
        assert!(check_traffic_routing(&canary(None, Some(5))).is_err());
        let missing = TrafficRoutingConfig {
            kind: Some("TimeBasedLinear".to_owned()),
            ..TrafficRoutingConfig::default()
        };
        let error = check_traffic_routing(&missing).unwrap_err();
        assert_eq!(error.code, "InvalidTrafficRoutingConfigurationException");
        assert!(error.message.contains("timeBasedLinear"));
    }
}
