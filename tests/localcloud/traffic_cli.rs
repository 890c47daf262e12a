//! An in-place deployment behind a target group, driven end to end by the
//! AWS CLI against `deploydesk serve`: `aws elbv2` sets up the target group
//! and its load balancer, `aws deploy` deploys, and `aws elbv2
//! describe-target-health` sees the instance drain during the deployment
//! and serve again, healthy, once it is over.
//!
//! The AWS CLI must be on PATH (`pip install awscli`). Without it the test
//! says it was skipped and passes, unless `DEPLOYDESK_REQUIRE_AWSCLI=1` is
//! set, in which case it fails so that CI cannot skip it silently.

use crate::support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::serve::Serve;
use support::{aws_cli, aws_cli_available};

/// The target group's deregistration delay, in seconds.
const DRAIN_SECONDS: i64 = 5;
/// How long a registered instance takes to turn healthy: two checks five
/// seconds apart.
const HEALTHY_SECONDS: i64 = 10;

/// Runs `aws SERVICE ARGS` against `endpoint`; returns its JSON output (or
/// `Null` when it prints none), failing the test if the command fails.
fn aws(service: &str, endpoint: &str, args: &[&str]) -> Value {
    let output = aws_cli(service, endpoint, args)
        .output()
        .expect("the AWS CLI runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "aws {service} {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).expect("the CLI prints JSON")
    }
}

/// The state `describe-target-health` gives instance `id` in the target
/// group `group`: `None` when it is not listed (not registered).
fn target_state(endpoint: &str, group: &str, id: &str) -> Option<String> {
    let described = aws(
        "elbv2",
        endpoint,
        &["describe-target-health", "--target-group-arn", group],
    );
    described["TargetHealthDescriptions"]
        .as_array()
        .expect("descriptions")
        .iter()
        .find(|description| description["Target"]["Id"] == id)
        .map(|description| {
            description["TargetHealth"]["State"]
                .as_str()
                .expect("a state")
                .to_owned()
        })
}

/// Asks `describe-target-health` every 200 ms until instance `id` of
/// `group` is in `state` (`None`: not listed), for at most a minute.
fn wait_for_state(endpoint: &str, group: &str, id: &str, state: Option<&str>) {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let seen = target_state(endpoint, group, id);
        if seen.as_deref() == state {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never got to {state:?} in {group}; last seen {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Milliseconds since the epoch of a CLI timestamp (seconds, with a
/// fraction).
fn millis(time: &Value) -> i64 {
    let seconds = time.as_f64().expect("a timestamp in seconds");
    #[allow(clippy::cast_possible_truncation)]
    let millis = (seconds * 1000.0).round() as i64;
    millis
}

#[test]
fn an_in_place_deployment_behind_a_target_group_drains_and_registers_the_instance() {
    if !aws_cli_available(
        "an_in_place_deployment_behind_a_target_group_drains_and_registers_the_instance",
    ) {
        return;
    }
    // Two demo instances: one staging, one production.
    let serve = Serve::start(&["--event-ms", "10", "--fleet", "2"]);
    let endpoint = serve.endpoint.as_str();

    let group = aws(
        "elbv2",
        endpoint,
        &[
            "create-target-group",
            "--name",
            "web-tg",
            "--protocol",
            "HTTP",
            "--port",
            "80",
            "--vpc-id",
            "vpc-0a1b2c3d",
            "--health-check-interval-seconds",
            "5",
            "--health-check-timeout-seconds",
            "2",
            "--healthy-threshold-count",
            "2",
        ],
    );
    let group = group["TargetGroups"][0]["TargetGroupArn"]
        .as_str()
        .expect("an ARN")
        .to_owned();
    aws(
        "elbv2",
        endpoint,
        &[
            "modify-target-group-attributes",
            "--target-group-arn",
            &group,
            "--attributes",
            &format!("Key=deregistration_delay.timeout_seconds,Value={DRAIN_SECONDS}"),
        ],
    );
    let balancer = aws(
        "elbv2",
        endpoint,
        &[
            "create-load-balancer",
            "--name",
            "web",
            "--subnets",
            "subnet-0a1b2c3d",
            "subnet-1a2b3c4d",
        ],
    );
    let balancer = balancer["LoadBalancers"][0]["LoadBalancerArn"]
        .as_str()
        .expect("an ARN")
        .to_owned();
    aws(
        "elbv2",
        endpoint,
        &[
            "create-listener",
            "--load-balancer-arn",
            &balancer,
            "--protocol",
            "HTTP",
            "--port",
            "80",
            "--default-actions",
            &format!("Type=forward,TargetGroupArn={group}"),
        ],
    );
    let instances = aws(
        "ec2",
        endpoint,
        &[
            "describe-instances",
            "--filters",
            "Name=tag:Environment,Values=production",
        ],
    );
    let instance = instances["Reservations"][0]["Instances"][0]["InstanceId"]
        .as_str()
        .expect("a production instance")
        .to_owned();
    aws(
        "elbv2",
        endpoint,
        &[
            "register-targets",
            "--target-group-arn",
            &group,
            "--targets",
            &format!("Id={instance}"),
        ],
    );
    wait_for_state(endpoint, &group, &instance, Some("healthy"));

    aws(
        "deploy",
        endpoint,
        &["create-application", "--application-name", "shop"],
    );
    aws(
        "deploy",
        endpoint,
        &[
            "create-deployment-group",
            "--application-name",
            "shop",
            "--deployment-group-name",
            "production",
            "--service-role-arn",
            "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
            "--ec2-tag-filters",
            "Key=Environment,Value=production,Type=KEY_AND_VALUE",
            "--deployment-style",
            "deploymentType=IN_PLACE,deploymentOption=WITH_TRAFFIC_CONTROL",
            "--load-balancer-info",
            "targetGroupInfoList=[{name=web-tg}]",
        ],
    );
    let created = aws(
        "deploy",
        endpoint,
        &[
            "create-deployment",
            "--application-name",
            "shop",
            "--deployment-group-name",
            "production",
            "--github-location",
            "repository=deploydesk/sample-app,commitId=0123456789abcdef0123456789abcdef01234567",
        ],
    );
    let deployment_id = created["deploymentId"].as_str().expect("an id").to_owned();

    // The deployment takes the instance out of the target group: it
    // drains.
    wait_for_state(endpoint, &group, &instance, Some("draining"));
    aws(
        "deploy",
        endpoint,
        &[
            "wait",
            "deployment-successful",
            "--deployment-id",
            &deployment_id,
        ],
    );
    assert_eq!(
        target_state(endpoint, &group, &instance).as_deref(),
        Some("healthy")
    );

    let got = aws(
        "deploy",
        endpoint,
        &[
            "get-deployment-instance",
            "--deployment-id",
            &deployment_id,
            "--instance-id",
            &instance,
        ],
    );
    let events = got["instanceSummary"]["lifecycleEvents"]
        .as_array()
        .expect("events");
    let event = |name: &str| {
        events
            .iter()
            .find(|event| event["lifecycleEventName"] == name)
            .unwrap_or_else(|| panic!("{name} in {events:?}"))
    };
    assert!(
        events.iter().all(|event| event["status"] == "Succeeded"),
        "{events:?}"
    );
    // The traffic events last as long as the target group took: its
    // deregistration delay, then two health checks five seconds apart.
    let block = event("BlockTraffic");
    assert_eq!(
        millis(&block["endTime"]) - millis(&block["startTime"]),
        DRAIN_SECONDS * 1000
    );
    let allow = event("AllowTraffic");
    assert_eq!(
        millis(&allow["endTime"]) - millis(&allow["startTime"]),
        HEALTHY_SECONDS * 1000
    );
}
