//! EC2, checked against both backends.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::crosscheck;

/// The image every test launches (moto knows this id).
const IMAGE: &str = "ami-12c6146b";

crosscheck!(
    tagged_instances_are_found_by_tag_filter,
    |clients: crate::Clients| async move {
        let role = clients.unique("web");
        let launched = clients
            .ec2
            .run_instances()
            .image_id(IMAGE)
            .min_count(2)
            .max_count(2)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Instance)
                    .tags(Tag::builder().key("Role").value(&role).build())
                    .build(),
            )
            .send()
            .await
            .expect("instances launch");
        let mut ids: Vec<String> = launched
            .instances()
            .iter()
            .filter_map(|instance| instance.instance_id().map(str::to_owned))
            .collect();
        ids.sort();
        assert_eq!(ids.len(), 2);

        let found = clients
            .ec2
            .describe_instances()
            .filters(Filter::builder().name("tag:Role").values(&role).build())
            .send()
            .await
            .expect("instances are described");
        let mut found: Vec<String> = found
            .reservations()
            .iter()
            .flat_map(aws_sdk_ec2::types::Reservation::instances)
            .filter_map(|instance| instance.instance_id().map(str::to_owned))
            .collect();
        found.sort();
        assert_eq!(found, ids);
        clients.finish().await;
    }
);
