//! Writing EC2's XML responses, and the shapes several operations share.
//!
//! Every response is `<ActionResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">`
//! with a `requestId` and the operation's members; lists are wrapped, each
//! member in an `<item>` (`<tagSet><item>...</item></tagSet>`). Members that
//! are `None` are left out, as EC2 leaves them out.

use serde::Serialize;

use super::state::{Ec2Instance, InstanceState, ProfileAssociation};
use crate::localcloud::protocol::ApiError;
use crate::localcloud::protocol::xml::xml_document;

/// The XML namespace of EC2's 2016-11-15 API.
pub const NAMESPACE: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";

/// A response: the operation's members inside the envelope.
#[derive(Serialize)]
struct Envelope<'a, T> {
    /// The namespace attribute.
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    /// The request's id.
    #[serde(rename = "requestId")]
    request_id: &'a str,
    /// The operation's own members.
    #[serde(flatten)]
    body: &'a T,
}

/// Writes the response to `action` with the members of `body`.
pub fn response<T: Serialize>(
    action: &str,
    request_id: &str,
    body: &T,
) -> Result<String, ApiError> {
    let envelope = Envelope {
        xmlns: NAMESPACE,
        request_id,
        body,
    };
    xml_document(&format!("{action}Response"), &envelope).map_err(|error| {
        ApiError::internal(format!(
            "The local cloud could not write its answer to {action} ({error}); please report this as a bug."
        ))
    })
}

/// A list as EC2 writes one: each member in an `<item>`.
#[derive(Debug, Serialize)]
pub struct Items<T> {
    /// The members.
    pub item: Vec<T>,
}

impl<T> FromIterator<T> for Items<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self {
            item: iter.into_iter().collect(),
        }
    }
}

/// The `return` member of operations that only say they succeeded.
#[derive(Debug, Serialize)]
pub struct Return {
    /// Always `true`: failures are errors.
    #[serde(rename = "return")]
    pub value: bool,
}

/// An instance's state: `{code, name}`.
#[derive(Debug, Serialize)]
pub struct StateXml {
    /// The state's code.
    pub code: i32,
    /// The state's name.
    pub name: &'static str,
}

impl From<InstanceState> for StateXml {
    fn from(state: InstanceState) -> Self {
        Self {
            code: state.code(),
            name: state.name(),
        }
    }
}

/// A tag on a resource: `{key, value}`.
#[derive(Debug, Serialize)]
pub struct TagXml {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// An instance profile as instances show it: `{arn, id}`.
#[derive(Debug, Serialize)]
pub struct ProfileXml {
    /// The profile's ARN.
    pub arn: String,
    /// The profile's id.
    pub id: String,
}

impl From<&ProfileAssociation> for ProfileXml {
    fn from(association: &ProfileAssociation) -> Self {
        Self {
            arn: association.arn.clone(),
            id: association.profile_id.clone(),
        }
    }
}

/// An instance's placement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementXml {
    /// The availability zone.
    pub availability_zone: String,
    /// The tenancy, always `default`.
    pub tenancy: &'static str,
}

/// Whether detailed monitoring is on.
#[derive(Debug, Serialize)]
pub struct MonitoringXml {
    /// Always `disabled`.
    pub state: &'static str,
}

/// An instance as `DescribeInstances` and `RunInstances` show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceXml {
    /// The instance id.
    pub instance_id: String,
    /// The image it was launched from.
    pub image_id: String,
    /// Its state.
    pub instance_state: StateXml,
    /// Its private DNS name.
    pub private_dns_name: String,
    /// Why its state last changed, for stopped and terminated instances.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its place among the instances launched with it.
    pub ami_launch_index: u32,
    /// Its instance type.
    pub instance_type: String,
    /// When it was launched.
    pub launch_time: String,
    /// Where it runs.
    pub placement: PlacementXml,
    /// Its monitoring.
    pub monitoring: MonitoringXml,
    /// Its private IPv4 address.
    pub private_ip_address: String,
    /// Its architecture.
    pub architecture: &'static str,
    /// Its root device type.
    pub root_device_type: &'static str,
    /// Its root device name.
    pub root_device_name: &'static str,
    /// Its virtualisation type.
    pub virtualization_type: &'static str,
    /// Its hypervisor.
    pub hypervisor: &'static str,
    /// Its tags; EC2 leaves the member out when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_set: Option<Items<TagXml>>,
    /// Its instance profile, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iam_instance_profile: Option<ProfileXml>,
}

/// Writes a time as EC2's `stateTransitionReason` does.
fn reason_time(instance: &Ec2Instance) -> String {
    let iso = instance.state_changed.to_iso8601();
    // `2024-05-01T12:00:00.000Z` becomes `2024-05-01 12:00:00 GMT`.
    let date = iso.get(..10).unwrap_or_default();
    let time = iso.get(11..19).unwrap_or_default();
    format!("{date} {time} GMT")
}

impl InstanceXml {
    /// The instance `instance` as it is seen from `region`.
    pub fn new(instance: &Ec2Instance, region: &str) -> Self {
        let reason = match instance.state {
            InstanceState::Pending | InstanceState::Running => None,
            InstanceState::Stopping
            | InstanceState::Stopped
            | InstanceState::ShuttingDown
            | InstanceState::Terminated => {
                Some(format!("User initiated ({})", reason_time(instance)))
            }
        };
        Self {
            instance_id: instance.instance_id.clone(),
            image_id: instance.image_id.clone(),
            instance_state: instance.state.into(),
            private_dns_name: instance.private_dns_name(region),
            reason,
            ami_launch_index: instance.launch_index,
            instance_type: instance.instance_type.clone(),
            launch_time: instance.launch_time.to_iso8601(),
            placement: PlacementXml {
                availability_zone: format!("{region}a"),
                tenancy: "default",
            },
            monitoring: MonitoringXml { state: "disabled" },
            private_ip_address: instance.private_ip_address(),
            architecture: "x86_64",
            root_device_type: "ebs",
            root_device_name: "/dev/xvda",
            virtualization_type: "hvm",
            hypervisor: "xen",
            tag_set: (!instance.tags.is_empty()).then(|| {
                instance
                    .tags
                    .iter()
                    .map(|(key, value)| TagXml {
                        key: key.clone(),
                        value: value.clone(),
                    })
                    .collect()
            }),
            iam_instance_profile: instance.iam_instance_profile.as_ref().map(ProfileXml::from),
        }
    }
}

/// A reservation: instances launched together.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationXml {
    /// The reservation's id.
    pub reservation_id: String,
    /// The account that owns it.
    pub owner_id: &'static str,
    /// Its security groups (none in the local cloud).
    pub group_set: Items<()>,
    /// Its instances.
    pub instances_set: Items<InstanceXml>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        tag_set: Items<TagXml>,
        empty_set: Items<TagXml>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
        note: String,
    }

    #[test]
    fn responses_have_the_namespace_the_request_id_and_item_lists() {
        let body = Sample {
            tag_set: [("Name", "web & <db>"), ("Env", "prod")]
                .into_iter()
                .map(|(key, value)| TagXml {
                    key: key.to_owned(),
                    value: value.to_owned(),
                })
                .collect(),
            empty_set: Items { item: Vec::new() },
            next_token: None,
            note: "it's \"quoted\"".to_owned(),
        };
        let xml = response("DescribeTags", "req-1", &body).unwrap();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <DescribeTagsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\
             <requestId>req-1</requestId>\
             <tagSet><item><key>Name</key><value>web &amp; &lt;db&gt;</value></item>\
             <item><key>Env</key><value>prod</value></item></tagSet>\
             <emptySet/>\
             <note>it's \"quoted\"</note>\
             </DescribeTagsResponse>"
        );
    }
}
