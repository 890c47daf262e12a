//! Classic Elastic Load Balancing in the local cloud, driven by the
//! official SDK: load balancers created, described in pages and deleted,
//! instances registered and deregistered, their health moving on the clock
//! (`OutOfService` while registration is in progress, then `InService`),
//! connection draining, the health check, and the errors.

use crate::support;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_elasticloadbalancing::Client;
use aws_sdk_elasticloadbalancing::config::Region;
use aws_sdk_elasticloadbalancing::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancing::types::{
    ConnectionDraining, HealthCheck, Instance, Listener, LoadBalancerAttributes,
};
use deploydesk::localcloud::LocalCloud;
use deploydesk::localcloud::ec2::STATE_TRANSITION_MILLIS;

/// A classic ELB client for the local cloud, without retries.
async fn elb(cloud: &LocalCloud) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(cloud.endpoint_url())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    Client::new(&config)
}

/// The error code and message of a failed call.
fn error_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> (String, String) {
    let error = result.expect_err("the call fails");
    (
        error
            .code()
            .unwrap_or_else(|| panic!("the error has a code: {error:?}"))
            .to_owned(),
        error.message().unwrap_or_default().to_owned(),
    )
}

/// An HTTP listener from port 80 to the instances' port 8080.
fn http_listener() -> Listener {
    Listener::builder()
        .protocol("HTTP")
        .load_balancer_port(80)
        .instance_port(8080)
        .build()
        .expect("a valid listener")
}

/// Creates a load balancer named `name` in us-east-1a and returns its DNS
/// name.
async fn create(client: &Client, name: &str) -> String {
    client
        .create_load_balancer()
        .load_balancer_name(name)
        .listeners(http_listener())
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("the load balancer is created")
        .dns_name()
        .expect("a DNS name")
        .to_owned()
}

/// The instance `id`.
fn instance(id: &str) -> Instance {
    Instance::builder().instance_id(id).build()
}

/// Each instance's `(id, state, reason code, description)`, sorted.
async fn health(
    client: &Client,
    name: &str,
    named: &[&str],
) -> Vec<(String, String, String, String)> {
    let mut request = client.describe_instance_health().load_balancer_name(name);
    for id in named {
        request = request.instances(instance(id));
    }
    let mut found: Vec<(String, String, String, String)> = request
        .send()
        .await
        .expect("the health is described")
        .instance_states()
        .iter()
        .map(|state| {
            (
                state.instance_id().unwrap_or_default().to_owned(),
                state.state().unwrap_or_default().to_owned(),
                state.reason_code().unwrap_or_default().to_owned(),
                state.description().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// `(id, state, reason code, description)`, for comparing.
fn row(id: &str, state: &str, code: &str, description: &str) -> (String, String, String, String) {
    (
        id.to_owned(),
        state.to_owned(),
        code.to_owned(),
        description.to_owned(),
    )
}

#[tokio::test]
async fn classic_load_balancers_are_created_described_in_pages_and_deleted() {
    let (cloud, _clock) = support::start().await;
    let client = elb(&cloud).await;
    let dns = create(&client, "web").await;
    assert!(
        dns.starts_with("web-") && dns.ends_with(".us-east-1.elb.amazonaws.com"),
        "{dns}"
    );
    create(&client, "api").await;
    let internal = client
        .create_load_balancer()
        .load_balancer_name("back")
        .listeners(http_listener())
        .subnets("subnet-0a1b2c3d")
        .scheme("internal")
        .send()
        .await
        .expect("an internal load balancer in a subnet");
    assert!(internal.dns_name().unwrap().starts_with("internal-back-"));

    let described = client
        .describe_load_balancers()
        .load_balancer_names("web")
        .send()
        .await
        .unwrap();
    let web = &described.load_balancer_descriptions()[0];
    assert_eq!(web.load_balancer_name(), Some("web"));
    assert_eq!(web.dns_name(), Some(dns.as_str()));
    assert_eq!(web.availability_zones(), ["us-east-1a"]);
    assert_eq!(web.scheme(), Some("internet-facing"));
    let listener = web.listener_descriptions()[0].listener().unwrap();
    assert_eq!(listener.protocol(), "HTTP");
    assert_eq!(listener.load_balancer_port(), 80);
    assert_eq!(listener.instance_protocol(), Some("HTTP"));
    assert_eq!(listener.instance_port(), 8080);
    let check = web.health_check().unwrap();
    assert_eq!(check.target(), "TCP:8080");
    assert_eq!(check.interval(), 30);
    assert_eq!(check.healthy_threshold(), 10);
    assert!(web.instances().is_empty());

    let mut names = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .describe_load_balancers()
            .page_size(2)
            .set_marker(marker.take())
            .send()
            .await
            .unwrap();
        names.extend(
            page.load_balancer_descriptions()
                .iter()
                .map(|balancer| balancer.load_balancer_name().unwrap().to_owned()),
        );
        match page.next_marker() {
            Some(next) => marker = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["api", "back", "web"]);

    // Errors.
    let (code, _) = error_of(
        client
            .create_load_balancer()
            .load_balancer_name("web")
            .listeners(http_listener())
            .availability_zones("us-east-1a")
            .send()
            .await,
    );
    assert_eq!(code, "DuplicateLoadBalancerName");
    let (code, message) = error_of(
        client
            .create_load_balancer()
            .load_balancer_name("nowhere")
            .listeners(http_listener())
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("AvailabilityZones or SubnetIds"),
        "{message}"
    );
    let (code, _) = error_of(
        client
            .create_load_balancer()
            .load_balancer_name("web.1")
            .listeners(http_listener())
            .availability_zones("us-east-1a")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, _) = error_of(
        client
            .create_load_balancer()
            .load_balancer_name("secure")
            .listeners(
                Listener::builder()
                    .protocol("HTTPS")
                    .load_balancer_port(443)
                    .instance_port(8080)
                    .build()
                    .unwrap(),
            )
            .availability_zones("us-east-1a")
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    let (code, message) = error_of(
        client
            .describe_load_balancers()
            .load_balancer_names("ghost")
            .send()
            .await,
    );
    assert_eq!(code, "LoadBalancerNotFound");
    assert!(message.contains("'ghost'"), "{message}");

    client
        .delete_load_balancer()
        .load_balancer_name("web")
        .send()
        .await
        .expect("deleted");
    client
        .delete_load_balancer()
        .load_balancer_name("web")
        .send()
        .await
        .expect("deleting again succeeds");
    assert_eq!(
        client
            .describe_load_balancers()
            .send()
            .await
            .unwrap()
            .load_balancer_descriptions()
            .len(),
        2
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn instances_come_in_service_on_the_clock_and_drain_when_deregistered() {
    let (cloud, clock) = support::start().await;
    let client = elb(&cloud).await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let ids: Vec<String> = ec2
        .run_instances()
        .image_id("ami-0abcdef1234567890")
        .min_count(2)
        .max_count(2)
        .send()
        .await
        .unwrap()
        .instances()
        .iter()
        .map(|instance| instance.instance_id().unwrap().to_owned())
        .collect();
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    let (first, second) = (&ids[0], &ids[1]);
    create(&client, "web").await;

    // A health check every 10 seconds, in service after 3 passes.
    let configured = client
        .configure_health_check()
        .load_balancer_name("web")
        .health_check(
            HealthCheck::builder()
                .target("HTTP:8080/health")
                .interval(10)
                .timeout(5)
                .unhealthy_threshold(2)
                .healthy_threshold(3)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("the health check is configured");
    assert_eq!(
        configured.health_check().unwrap().target(),
        "HTTP:8080/health"
    );
    let (code, _) = error_of(
        client
            .configure_health_check()
            .load_balancer_name("web")
            .health_check(
                HealthCheck::builder()
                    .target("HTTP:8080")
                    .interval(10)
                    .timeout(5)
                    .unhealthy_threshold(2)
                    .healthy_threshold(3)
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");

    // Connection draining for 20 seconds.
    let attributes = client
        .modify_load_balancer_attributes()
        .load_balancer_name("web")
        .load_balancer_attributes(
            LoadBalancerAttributes::builder()
                .connection_draining(
                    ConnectionDraining::builder()
                        .enabled(true)
                        .timeout(20)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("the attributes change");
    let draining = attributes
        .load_balancer_attributes()
        .and_then(|attributes| attributes.connection_draining())
        .unwrap();
    assert!(draining.enabled());
    assert_eq!(draining.timeout(), Some(20));
    let described = client
        .describe_load_balancer_attributes()
        .load_balancer_name("web")
        .send()
        .await
        .unwrap();
    let attributes = described.load_balancer_attributes().unwrap();
    assert!(!attributes.cross_zone_load_balancing().unwrap().enabled());
    assert_eq!(attributes.connection_settings().unwrap().idle_timeout(), 60);

    let registered = client
        .register_instances_with_load_balancer()
        .load_balancer_name("web")
        .instances(instance(first))
        .instances(instance(second))
        .send()
        .await
        .expect("registered");
    assert_eq!(registered.instances().len(), 2);
    let progress = "Instance registration is still in progress.";
    let mut rows = vec![
        row(first, "OutOfService", "ELB", progress),
        row(second, "OutOfService", "ELB", progress),
    ];
    rows.sort();
    assert_eq!(health(&client, "web", &[]).await, rows);
    clock.advance_millis(29_999);
    assert_eq!(
        health(&client, "web", &[first]).await,
        [row(first, "OutOfService", "ELB", progress)]
    );
    clock.advance_millis(1);
    let mut rows = vec![
        row(first, "InService", "N/A", "N/A"),
        row(second, "InService", "N/A", "N/A"),
    ];
    rows.sort();
    assert_eq!(health(&client, "web", &[]).await, rows);

    // A stopped instance is out of service for its state.
    ec2.stop_instances()
        .instance_ids(second)
        .send()
        .await
        .unwrap();
    clock.advance_millis(STATE_TRANSITION_MILLIS);
    assert_eq!(
        health(&client, "web", &[second]).await,
        [row(
            second,
            "OutOfService",
            "Instance",
            "Instance is in stopped state."
        )]
    );

    // Deregistered: draining, then not registered.
    let left = client
        .deregister_instances_from_load_balancer()
        .load_balancer_name("web")
        .instances(instance(first))
        .send()
        .await
        .expect("deregistered");
    assert_eq!(left.instances().len(), 1);
    assert_eq!(
        health(&client, "web", &[first]).await,
        [row(
            first,
            "OutOfService",
            "ELB",
            "Instance deregistration currently in progress."
        )]
    );
    clock.advance_millis(20_000);
    assert_eq!(
        health(&client, "web", &[first]).await,
        [row(
            first,
            "OutOfService",
            "ELB",
            "Instance is not currently registered with the LoadBalancer."
        )]
    );

    // Errors; a failed registration registers nothing.
    let (code, _) = error_of(
        client
            .register_instances_with_load_balancer()
            .load_balancer_name("web")
            .instances(instance(first))
            .instances(instance("i-0123456789abcdef0"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidInstance");
    let still = client
        .describe_load_balancers()
        .load_balancer_names("web")
        .send()
        .await
        .unwrap();
    assert_eq!(still.load_balancer_descriptions()[0].instances().len(), 1);
    let (code, _) = error_of(
        client
            .deregister_instances_from_load_balancer()
            .load_balancer_name("web")
            .instances(instance(first))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidInstance");
    let (code, _) = error_of(
        client
            .describe_instance_health()
            .load_balancer_name("web")
            .instances(instance("i-0123456789abcdef0"))
            .send()
            .await,
    );
    assert_eq!(code, "InvalidInstance");
    let (code, _) = error_of(
        client
            .register_instances_with_load_balancer()
            .load_balancer_name("ghost")
            .instances(instance(first))
            .send()
            .await,
    );
    assert_eq!(code, "LoadBalancerNotFound");
    let (code, _) = error_of(
        client
            .modify_load_balancer_attributes()
            .load_balancer_name("web")
            .load_balancer_attributes(
                LoadBalancerAttributes::builder()
                    .connection_draining(
                        ConnectionDraining::builder()
                            .enabled(true)
                            .timeout(4000)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationError");
    cloud.shutdown().await;
}
