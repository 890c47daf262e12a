//! Classic Elastic Load Balancing, checked against both backends: load
//! balancers created and described, instances registered with their health
//! described, the health check and connection draining, and the errors.

use aws_sdk_elasticloadbalancing::error::ProvideErrorMetadata;
use aws_sdk_elasticloadbalancing::types::{
    ConnectionDraining, HealthCheck, Instance, Listener, LoadBalancerAttributes,
};

use crate::crosscheck;

/// The image instances are launched from (moto knows this id).
const IMAGE: &str = "ami-12c6146b";

/// The error code of a failed call.
fn code_of<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> String {
    let error = result.expect_err("the call fails");
    error
        .code()
        .unwrap_or_else(|| panic!("the error has a code: {error:?}"))
        .to_owned()
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

crosscheck!(
    classic_load_balancers_register_instances_and_report_their_health,
    |clients: crate::Clients| async move {
        let client = &clients.elb;
        let name = clients.unique("classic");
        let created = client
            .create_load_balancer()
            .load_balancer_name(&name)
            .listeners(http_listener())
            .availability_zones("us-east-1a")
            .send()
            .await
            .expect("the load balancer is created");
        assert!(
            created.dns_name().is_some_and(|dns| dns.starts_with(&name)),
            "{created:?}"
        );
        let described = client
            .describe_load_balancers()
            .load_balancer_names(&name)
            .send()
            .await
            .unwrap();
        let balancer = &described.load_balancer_descriptions()[0];
        assert_eq!(balancer.load_balancer_name(), Some(name.as_str()));
        assert_eq!(balancer.availability_zones(), ["us-east-1a"]);
        let listener = balancer.listener_descriptions()[0].listener().unwrap();
        assert_eq!(listener.load_balancer_port(), 80);
        assert_eq!(listener.instance_port(), 8080);
        assert_eq!(listener.instance_protocol(), Some("HTTP"));

        let configured = client
            .configure_health_check()
            .load_balancer_name(&name)
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
        assert_eq!(configured.health_check().unwrap().interval(), 10);
        let changed = client
            .modify_load_balancer_attributes()
            .load_balancer_name(&name)
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
            .expect("connection draining is turned on");
        let draining = changed
            .load_balancer_attributes()
            .and_then(|attributes| attributes.connection_draining())
            .unwrap();
        assert!(draining.enabled());
        assert_eq!(draining.timeout(), Some(20));

        let instance = clients
            .ec2
            .run_instances()
            .image_id(IMAGE)
            .min_count(1)
            .max_count(1)
            .send()
            .await
            .unwrap()
            .instances()[0]
            .instance_id()
            .unwrap()
            .to_owned();
        let registered = client
            .register_instances_with_load_balancer()
            .load_balancer_name(&name)
            .instances(Instance::builder().instance_id(&instance).build())
            .send()
            .await
            .expect("registered");
        if !clients.moto_differs("moto answers a registration with an empty instance list") {
            assert_eq!(
                registered.instances()[0].instance_id(),
                Some(instance.as_str())
            );
        }
        let listed = client
            .describe_load_balancers()
            .load_balancer_names(&name)
            .send()
            .await
            .unwrap();
        assert_eq!(
            listed.load_balancer_descriptions()[0].instances()[0].instance_id(),
            Some(instance.as_str())
        );
        let health = client
            .describe_instance_health()
            .load_balancer_name(&name)
            .send()
            .await
            .unwrap();
        let state = &health.instance_states()[0];
        assert_eq!(state.instance_id(), Some(instance.as_str()));
        if !clients.moto_differs(
            "moto puts a new instance in service at once; AWS keeps it out of service until its health checks pass",
        ) {
            assert_eq!(state.state(), Some("OutOfService"));
            // Registration is in progress, or the instance is still
            // starting (the local cloud's instances are pending for a
            // moment after launch).
            assert!(
                matches!(
                    (state.reason_code(), state.description()),
                    (Some("ELB"), Some("Instance registration is still in progress."))
                        | (Some("Instance"), Some("Instance is in pending state."))
                ),
                "{state:?}"
            );
        }

        let left = client
            .deregister_instances_from_load_balancer()
            .load_balancer_name(&name)
            .instances(Instance::builder().instance_id(&instance).build())
            .send()
            .await
            .expect("deregistered");
        assert!(left.instances().is_empty());

        // Errors.
        assert_eq!(
            code_of(
                client
                    .create_load_balancer()
                    .load_balancer_name(&name)
                    .listeners(http_listener())
                    .availability_zones("us-east-1a")
                    .send()
                    .await
            ),
            "DuplicateLoadBalancerName"
        );
        assert_eq!(
            code_of(
                client
                    .describe_load_balancers()
                    .load_balancer_names(clients.unique("ghost"))
                    .send()
                    .await
            ),
            "LoadBalancerNotFound"
        );
        client
            .delete_load_balancer()
            .load_balancer_name(&name)
            .send()
            .await
            .expect("deleted");
        assert_eq!(
            code_of(
                client
                    .describe_load_balancers()
                    .load_balancer_names(&name)
                    .send()
                    .await
            ),
            "LoadBalancerNotFound"
        );
        clients.finish().await;
    }
);
