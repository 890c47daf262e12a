//! Every service of the local cloud, registered with the server: one line
//! each in [`SERVICES`].
//!
//! A new service is a new folder that copies an existing one (see
//! `ARCHITECTURE.md` at the top of the repository) and one more line here.
//! The server finds a request's service through the functions below, by
//! protocol: the target prefix, the name a query request was signed for or
//! the version it names, or the REST service that claims it.

use axum::http::request::Parts;

use super::dispatch::{CborApi, JsonApi, Protocol, QueryApi, RestApi, Service, listed};
use super::{
    autoscaling, cloudwatch, codedeploy, ec2, ecs, elb, elbv2, iam, lambda, s3, sns, ssm, sso, sts,
};

/// Every service. REST services are asked in this order whether a request
/// is theirs, so a narrower claim comes before a wider one: the SSO
/// portal's one path and Lambda's paths before S3, which takes every request
/// addressed by its path.
pub static SERVICES: [&Service; 14] = [
    &codedeploy::service::SERVICE,
    &ec2::service::SERVICE,
    &iam::service::SERVICE,
    &elbv2::service::SERVICE,
    &elb::service::SERVICE,
    &sts::SERVICE,
    &autoscaling::service::SERVICE,
    &cloudwatch::service::SERVICE,
    &sns::service::SERVICE,
    &ssm::service::SERVICE,
    &ecs::service::SERVICE,
    &sso::SERVICE,
    &lambda::service::SERVICE,
    &s3::service::SERVICE,
];

/// The `awsJson1_1` service whose target prefix is `prefix`.
pub fn by_target_prefix(prefix: &str) -> Option<(&'static Service, &'static JsonApi)> {
    SERVICES.iter().find_map(|service| match &service.protocol {
        Protocol::AwsJson(api) if api.target_prefix == prefix => Some((*service, api)),
        _ => None,
    })
}

/// The Smithy RPC v2 CBOR service whose name in the path is `name`.
pub fn by_cbor_name(name: &str) -> Option<(&'static Service, &'static CborApi)> {
    SERVICES.iter().find_map(|service| match &service.protocol {
        Protocol::RpcV2Cbor(api) if api.service_name == name => Some((*service, api)),
        _ => None,
    })
}

/// The query service a request is for: the one it was signed for, if it
/// was signed, or else the one whose API version it names. When services
/// share a signing name (Elastic Load Balancing v2 and classic), the
/// version tells them apart.
pub fn query(
    signed_for: Option<&str>,
    version: Option<&str>,
) -> Option<(&'static Service, &'static QueryApi)> {
    let apis = || {
        SERVICES
            .iter()
            .filter_map(|service| match &service.protocol {
                Protocol::Query(api) => Some((*service, api)),
                _ => None,
            })
    };
    let Some(signed_for) = signed_for else {
        return apis().find(|(_, api)| version == Some(api.version));
    };
    let mut signed = apis().filter(|(_, api)| api.signing_name == signed_for);
    let first = signed.next()?;
    match signed.next() {
        None => Some(first),
        Some(second) => [first, second]
            .into_iter()
            .chain(signed)
            .find(|(_, api)| version == Some(api.version)),
    }
}

/// The REST service that claims the request whose head is `parts`.
pub fn claiming(parts: &Parts) -> Option<(&'static Service, &'static RestApi)> {
    SERVICES.iter().find_map(|service| match &service.protocol {
        Protocol::Rest(api) if (api.claims)(parts) => Some((*service, api)),
        _ => None,
    })
}

/// The JSON APIs served, for messages: `CodeDeploy (CodeDeploy_20141006)`.
pub fn json_apis() -> String {
    let apis: Vec<String> = SERVICES
        .iter()
        .filter_map(|service| match &service.protocol {
            Protocol::AwsJson(api) => Some(format!("{} ({})", service.title, api.target_prefix)),
            _ => None,
        })
        .collect();
    listed(&apis.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Every service's title, for messages: `CodeDeploy, EC2, ... and S3`.
pub fn titles() -> String {
    listed(
        &SERVICES
            .iter()
            .map(|service| service.title)
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::Request;

    use super::*;
    use crate::localcloud::faults;

    /// The head of a request to `uri` with `headers`.
    fn head(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).expect("a valid request").into_parts().0
    }

    #[test]
    fn names_prefixes_and_versions_are_unique() {
        let names: BTreeSet<&str> = SERVICES.iter().map(|service| service.name).collect();
        assert_eq!(names.len(), SERVICES.len());
        let versions: Vec<&str> = SERVICES
            .iter()
            .filter_map(|service| match &service.protocol {
                Protocol::Query(api) => Some(api.version),
                _ => None,
            })
            .collect();
        assert_eq!(
            versions.iter().collect::<BTreeSet<_>>().len(),
            versions.len()
        );
        for name in faults::SERVICES {
            assert!(
                names.contains(name),
                "fault specs name {name}, which is not registered"
            );
        }
    }

    #[test]
    fn query_requests_go_to_the_service_they_were_signed_for_or_by_version() {
        let name =
            |signed_for, version| query(signed_for, version).map(|(service, _)| service.name);
        assert_eq!(name(None, Some("2016-11-15")), Some("ec2"));
        assert_eq!(name(None, Some("2010-05-08")), Some("iam"));
        assert_eq!(name(None, Some("2011-06-15")), Some("sts"));
        assert_eq!(name(None, Some("2010-03-31")), Some("sns"));
        assert_eq!(name(None, Some("2012-11-05")), None);
        assert_eq!(name(None, None), None);
        // The signature wins over the version, even for a service the
        // local cloud does not have.
        assert_eq!(name(Some("iam"), Some("2016-11-15")), Some("iam"));
        assert_eq!(name(Some("sqs"), Some("2016-11-15")), None);
        assert_eq!(name(Some("codedeploy"), None), None);
    }

    #[test]
    fn both_elastic_load_balancing_apis_sign_alike_and_are_told_apart_by_version() {
        let name =
            |signed_for, version| query(signed_for, version).map(|(service, _)| service.name);
        let signed = Some("elasticloadbalancing");
        assert_eq!(name(signed, Some("2015-12-01")), Some("elbv2"));
        assert_eq!(name(signed, Some("2012-06-01")), Some("elb"));
        // Unsigned, the version alone names them.
        assert_eq!(name(None, Some("2015-12-01")), Some("elbv2"));
        assert_eq!(name(None, Some("2012-06-01")), Some("elb"));
        // Signed for the shared name with a version neither speaks, or
        // none, the request names no service.
        assert_eq!(name(signed, Some("2016-11-15")), None);
        assert_eq!(name(signed, None), None);
        // The unique names are not signing names.
        assert_eq!(name(Some("elbv2"), Some("2015-12-01")), None);
        // A service with a signing name of its own still goes by it alone.
        assert_eq!(name(Some("ec2"), Some("2015-12-01")), Some("ec2"));
    }

    #[test]
    fn json_requests_go_by_target_prefix() {
        let (service, _) = by_target_prefix("CodeDeploy_20141006").expect("CodeDeploy");
        assert_eq!(service.name, "codedeploy");
        let (service, _) = by_target_prefix("AmazonEC2ContainerServiceV20141113").expect("ECS");
        assert_eq!(service.name, "ecs");
        assert!(by_target_prefix("AmazonEC2ContainerServiceV20141114").is_none());
        assert_eq!(
            json_apis(),
            "CodeDeploy (CodeDeploy_20141006), Systems Manager (AmazonSSM) and ECS (AmazonEC2ContainerServiceV20141113)"
        );
        let (service, _) = by_target_prefix("AmazonSSM").expect("Systems Manager");
        assert_eq!(service.name, "ssm");
        assert!(titles().starts_with("CodeDeploy, EC2, IAM"), "{}", titles());
    }

    #[test]
    fn the_sso_portal_claims_its_path_before_s3_takes_the_rest() {
        let claimed = |parts: &Parts| claiming(parts).map(|(service, _)| service.name);
        let credentials = head(
            "GET",
            "/federation/credentials?role_name=r&account_id=1",
            &[("x-amz-sso_bearer_token", "token")],
        );
        assert_eq!(claimed(&credentials), Some("sso"));
        assert_eq!(
            claimed(&head("GET", "/federation/credentials", &[])),
            Some("s3")
        );
        assert_eq!(claimed(&head("PUT", "/bucket/key", &[])), Some("s3"));
        assert_eq!(claimed(&head("GET", "/?Action=DescribeRegions", &[])), None);
        assert_eq!(
            claimed(&head(
                "POST",
                "/",
                &[("x-amz-target", "CodeDeploy_20141006.ListApplications")]
            )),
            None
        );
        let signed_for_s3 = head(
            "POST",
            "/bucket?delete",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0f",
                ),
            ],
        );
        assert_eq!(claimed(&signed_for_s3), Some("s3"));
    }
}
