//! Each rule the app and the local cloud share lives once in `domain/`;
//! these tests prove that both sides refuse the same inputs.
//!
//! For every rule, a table of inputs goes three ways: through the domain
//! function (which the app's wizards and dialogs call to block a field),
//! through the app's own entry points where it has them (the deployment
//! group spec's problems, the EC2 tag check, the readers of what AWS
//! answers), and through the local cloud's handler, reached by the SDK with
//! the app's session or a plain SDK client. Each side must refuse, and the
//! local cloud with the error AWS uses. Inputs the rule accepts are run too,
//! so that a table cannot pass by refusing everything.

mod support;

use aws_sdk_codedeploy::types::{
    BundleType, ComputePlatform as SdkPlatform, MinimumHealthyHosts as SdkMinimum,
    MinimumHealthyHostsType, RevisionLocation, RevisionLocationType, S3Location, Tag as SdkTag,
};
use deploydesk::cloud::codedeploy as app_codedeploy;
use deploydesk::cloud::ec2::{self as app_ec2, InstanceProfile};
use deploydesk::cloud::groups as app_groups;
use deploydesk::cloud::iam::{self as app_iam, NewRole};
use deploydesk::cloud::s3 as app_s3;
use deploydesk::cloud::{CloudError, Session};
use deploydesk::domain::ComputePlatform;
use deploydesk::domain::bundle::BundleKind;
use deploydesk::domain::config::{
    DeploymentConfig, MinimumHealthyHosts, PREDEFINED_SERVER_CONFIGS,
};
use deploydesk::domain::group_spec::{
    ConfigChoice, DeploymentGroupSpec, DeploymentType, TagFilterSpec, TriggerSpec, is_topic_arn,
};
use deploydesk::domain::iam_names::{
    IamNameKind, parse_instance_profile_arn, parse_role_arn, validate_iam_name, validate_iam_path,
};
use deploydesk::domain::names::{validate_bucket_name, validate_ec2_tag, validate_tag};
use deploydesk::domain::policy::PolicyDocument;
use deploydesk::domain::regions::{KNOWN_REGIONS, check_region};
use deploydesk::localcloud::{LocalCloud, LocalCloudOptions};

/// A local cloud with one EC2 instance, the app's session for it and the
/// instance's id.
async fn start() -> (LocalCloud, Session, String) {
    let cloud = LocalCloud::start(LocalCloudOptions {
        port: 0,
        fleet: 1,
        ..LocalCloudOptions::default()
    })
    .await
    .expect("the local cloud starts");
    let session = Session::local(&cloud.endpoint_url()).await;
    let instance_id = app_ec2::list_instances(&session, None)
        .await
        .expect("the instances are listed")
        .first()
        .expect("the fleet has an instance")
        .instance_id
        .clone();
    (cloud, session, instance_id)
}

/// The AWS error code of an error the local cloud answered with.
fn code(error: &CloudError) -> &str {
    match error {
        CloudError::Invalid { code, .. }
        | CloudError::Service { code, .. }
        | CloudError::NotFound { code, .. }
        | CloudError::AlreadyExists { code, .. } => code,
        other => panic!("expected an answer from the local cloud, got {other:?}"),
    }
}

/// The error code a refused call answered with; fails the test if the call
/// was accepted.
fn refused<T: std::fmt::Debug>(result: Result<T, CloudError>, input: &str) -> String {
    match result {
        Ok(value) => panic!("the local cloud accepted {input:?}: {value:?}"),
        Err(error) => code(&error).to_owned(),
    }
}

/// The error code of a refused plain SDK call.
fn sdk_code<T: std::fmt::Debug, E>(result: Result<T, E>, input: &str) -> String
where
    E: aws_sdk_codedeploy::error::ProvideErrorMetadata + std::fmt::Debug,
{
    match result {
        Ok(value) => panic!("the local cloud accepted {input:?}: {value:?}"),
        Err(error) => error.code().unwrap_or("no code").to_owned(),
    }
}

/// A trust policy EC2 may assume.
fn trust() -> PolicyDocument {
    PolicyDocument::trust_for_service("ec2.amazonaws.com")
}

/// A deployment group the app's wizard would accept.
fn spec() -> DeploymentGroupSpec {
    DeploymentGroupSpec {
        platform: ComputePlatform::Server,
        ecs: deploydesk::domain::group_spec::EcsTrafficSpec::default(),
        application: "rules".to_owned(),
        group: "rules-group".to_owned(),
        service_role_arn: "arn:aws:iam::000000000000:role/CodeDeployServiceRole".to_owned(),
        deployment_type: DeploymentType::InPlace,
        traffic_control: false,
        target_groups: Vec::new(),
        classic_load_balancers: Vec::new(),
        auto_scaling_groups: Vec::new(),
        ec2_tag_groups: vec![vec![TagFilterSpec {
            key: "Environment".to_owned(),
            value: "prod".to_owned(),
        }]],
        on_premises_tag_groups: Vec::new(),
        config: ConfigChoice::Named("CodeDeployDefault.OneAtATime".to_owned()),
        alarms: Vec::new(),
        rollback_on_failure: false,
        rollback_on_alarm: false,
        triggers: Vec::new(),
    }
}

/// Whether the app's deployment group wizard reports a problem with `field`.
fn wizard_refuses(spec: &DeploymentGroupSpec, field: &str) -> bool {
    spec.problems().iter().any(|problem| problem.field == field)
}

#[tokio::test]
async fn bucket_names_are_refused_alike_by_the_app_and_by_create_bucket() {
    let (cloud, session, _) = start().await;
    let long = "a".repeat(64);
    for bad in [
        "ab",
        long.as_str(),
        "Revisions",
        "rev_1",
        "-revisions",
        "revisions-",
        "a..b",
        "192.168.1.1",
        "xn--revisions",
        "sthree-revisions",
        "sthree-configurator-x",
        "amzn-s3-demo-revisions",
        "revisions-s3alias",
        "revisions--ol-s3",
        "revisions.mrap",
        "revisions--use1-az4--x-s3",
        "revisions--table-s3",
    ] {
        assert!(validate_bucket_name(bad).is_err(), "the app accepts {bad}");
        // The SDK sends names ending in --x-s3 to S3 Express first, so the
        // handler is also asked directly.
        let (status, answer) = support::exchange(
            cloud.local_addr(),
            &support::request(&format!("PUT /{bad} HTTP/1.1"), b""),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(
            answer.contains("<Code>InvalidBucketName</Code>"),
            "{bad}: {answer}"
        );
        assert!(
            app_s3::create_bucket(&session, bad).await.is_err(),
            "the app created {bad}"
        );
    }
    for good in [
        "revisions",
        "my.revisions-2",
        "xn-revisions",
        "s3alias-revisions",
    ] {
        assert_eq!(validate_bucket_name(good), Ok(()), "{good}");
        app_s3::create_bucket(&session, good)
            .await
            .unwrap_or_else(|error| panic!("{good} was refused: {error}"));
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn iam_names_and_paths_are_refused_alike_by_the_wizards_and_by_iam() {
    let (cloud, session, instance_id) = start().await;
    let long_role = "r".repeat(65);
    let long_profile = "p".repeat(129);
    for bad in [
        "",
        "my role",
        "team/web",
        "naïve",
        "tab\tname",
        long_role.as_str(),
    ] {
        assert!(
            validate_iam_name(IamNameKind::Role, bad).is_err(),
            "the wizard accepts the role {bad}"
        );
        let answer = refused(
            app_iam::create_role(&session, &NewRole::for_service(bad, "ec2.amazonaws.com")).await,
            bad,
        );
        assert_eq!(answer, "ValidationError", "{bad}");
    }
    for bad in ["", "my profile", "a:b", long_profile.as_str()] {
        assert!(
            validate_iam_name(IamNameKind::InstanceProfile, bad).is_err(),
            "the wizard accepts the profile {bad}"
        );
        let answer = refused(app_iam::create_instance_profile(&session, bad).await, bad);
        assert_eq!(answer, "ValidationError", "{bad}");
        if !bad.is_empty() {
            // EC2 reads a profile named on an instance by the same rule.
            let profile = InstanceProfile::Name(bad.to_owned());
            let answer = refused(
                app_ec2::associate_instance_profile(&session, &instance_id, &profile).await,
                bad,
            );
            assert_eq!(answer, "InvalidParameterValue", "{bad}");
        }
    }

    // A profile name too long for a role but not for a profile passes both.
    let roomy = "p".repeat(100);
    assert!(validate_iam_name(IamNameKind::Role, &roomy).is_err());
    assert_eq!(
        validate_iam_name(IamNameKind::InstanceProfile, &roomy),
        Ok(())
    );
    app_iam::create_instance_profile(&session, &roomy)
        .await
        .expect("a 100-character profile name is accepted");
    let role = "CodeDeploy+Role=1,a.b@c_d-e";
    assert_eq!(validate_iam_name(IamNameKind::Role, role), Ok(()));
    app_iam::create_role(&session, &NewRole::for_service(role, "ec2.amazonaws.com"))
        .await
        .expect("every allowed punctuation mark is accepted");

    for bad in ["", "my policy", "a/b", long_profile.as_str()] {
        assert!(
            validate_iam_name(IamNameKind::Policy, bad).is_err(),
            "{bad}"
        );
        let answer = refused(
            app_iam::put_inline_policy(&session, role, bad, &trust()).await,
            bad,
        );
        assert_eq!(answer, "ValidationError", "{bad}");
    }

    for bad in ["a/", "/a", "//", "/a b/", "/é/"] {
        assert!(validate_iam_path(bad).is_err(), "{bad}");
        let mut new = NewRole::for_service("Pathed", "ec2.amazonaws.com");
        new.path = Some(bad.to_owned());
        let answer = refused(app_iam::create_role(&session, &new).await, bad);
        assert_eq!(answer, "ValidationError", "{bad}");
    }
    let mut pathed = NewRole::for_service("Pathed", "ec2.amazonaws.com");
    pathed.path = Some("/service-role/".to_owned());
    assert_eq!(validate_iam_path("/service-role/"), Ok(()));
    app_iam::create_role(&session, &pathed)
        .await
        .expect("a framed path is accepted");
    cloud.shutdown().await;
}

#[tokio::test]
async fn role_arns_are_refused_alike_by_the_group_wizard_and_by_create_deployment_group() {
    let (cloud, session, _) = start().await;
    app_codedeploy::create_application(&session, "rules", ComputePlatform::Server)
        .await
        .expect("the application is created");
    let long_name = format!("arn:aws:iam::000000000000:role/{}", "r".repeat(65));
    for bad in [
        "CodeDeployServiceRole",
        "arn:aws:iam::123:role/CodeDeploy",
        "arn:aws:iam::000000000000:user/bob",
        "arn:aws:iam::000000000000:role/",
        "arn:aws:iam:us-east-1:000000000000:role/CodeDeploy",
        "arn:azure:iam::000000000000:role/CodeDeploy",
        "arn:aws:iam::000000000000:role/has space",
        "arn:aws:iam::000000000000:role/a b/CodeDeploy",
        long_name.as_str(),
    ] {
        assert!(parse_role_arn(bad).is_err(), "{bad}");
        let mut spec = spec();
        spec.service_role_arn = bad.to_owned();
        assert!(wizard_refuses(&spec, "role"), "the wizard accepts {bad}");
        let answer = refused(
            app_groups::create_deployment_group(&session, &spec).await,
            bad,
        );
        assert_eq!(answer, "InvalidRoleException", "{bad}");
    }
    for (index, good) in [
        "arn:aws:iam::000000000000:role/CodeDeployServiceRole",
        "arn:aws:iam::123456789012:role/service-role/CodeDeploy",
        "arn:aws-cn:iam::123456789012:role/Deploy",
    ]
    .into_iter()
    .enumerate()
    {
        let mut spec = spec();
        spec.group = format!("group-{index}");
        spec.service_role_arn = good.to_owned();
        assert!(!wizard_refuses(&spec, "role"), "{good}");
        app_groups::create_deployment_group(&session, &spec)
            .await
            .unwrap_or_else(|error| panic!("{good} was refused: {error}"));
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn instance_profile_arns_are_read_alike_by_the_app_and_by_ec2() {
    let (cloud, session, _) = start().await;
    // The fleet's instance has a profile already: one launched without.
    let launched = session
        .ec2
        .run_instances()
        .image_id("ami-0abcdef1234567890")
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("the instance launches");
    let instance_id = launched.instances()[0]
        .instance_id()
        .expect("an id")
        .to_owned();
    for bad in [
        "arn:aws:iam::123:instance-profile/web",
        "arn:aws:iam::000000000000:role/web",
        "arn:aws:iam::000000000000:instance-profile/",
        "arn:aws:iam::000000000000:instance-profile/has space",
        "arn:aws:s3:::bucket",
    ] {
        assert!(parse_instance_profile_arn(bad).is_err(), "{bad}");
        let profile = InstanceProfile::Arn(bad.to_owned());
        let answer = refused(
            app_ec2::associate_instance_profile(&session, &instance_id, &profile).await,
            bad,
        );
        assert_eq!(answer, "InvalidParameterValue", "{bad}");
    }
    let good = "arn:aws:iam::000000000000:instance-profile/team/web";
    assert_eq!(
        parse_instance_profile_arn(good).map(|arn| arn.name),
        Ok("web")
    );
    let association = app_ec2::associate_instance_profile(
        &session,
        &instance_id,
        &InstanceProfile::Arn(good.to_owned()),
    )
    .await
    .expect("a profile ARN with a path is accepted");
    assert_eq!(association.profile_arn, good);
    cloud.shutdown().await;
}

#[tokio::test]
async fn trigger_topic_arns_are_refused_alike_by_the_group_wizard_and_by_codedeploy() {
    let (cloud, session, _) = start().await;
    app_codedeploy::create_application(&session, "rules", ComputePlatform::Server)
        .await
        .expect("the application is created");
    let trigger = |topic_arn: &str| TriggerSpec {
        name: "notify".to_owned(),
        topic_arn: topic_arn.to_owned(),
        events: vec!["DeploymentFailure".to_owned()],
    };
    for bad in [
        "not-an-arn",
        "arn:aws:sqs:us-east-1:000000000000:queue",
        "arn:aws:sns:us-east-1:123:deployments",
        "arn:aws:sns::000000000000:deployments",
        "arn:aws:sns:us-east-1:000000000000:has space",
        "arn:aws:sns:us-east-1:000000000000:",
    ] {
        assert!(!is_topic_arn(bad), "{bad}");
        let mut spec = spec();
        spec.triggers = vec![trigger(bad)];
        assert!(
            wizard_refuses(&spec, "triggers"),
            "the wizard accepts {bad}"
        );
        let answer = refused(
            app_groups::create_deployment_group(&session, &spec).await,
            bad,
        );
        assert_eq!(answer, "InvalidTriggerConfigException", "{bad}");
    }
    let good = "arn:aws:sns:us-east-1:000000000000:deployments.fifo";
    let mut spec = spec();
    spec.triggers = vec![trigger(good)];
    assert!(!wizard_refuses(&spec, "triggers"));
    app_groups::create_deployment_group(&session, &spec)
        .await
        .expect("an SNS topic ARN is accepted");
    cloud.shutdown().await;
}

#[tokio::test]
async fn deployment_group_limits_are_the_same_on_both_sides() {
    let (cloud, session, _) = start().await;
    app_codedeploy::create_application(&session, "rules", ComputePlatform::Server)
        .await
        .expect("the application is created");
    let filter = |value: &str| TagFilterSpec {
        key: "Environment".to_owned(),
        value: value.to_owned(),
    };

    // Four tag groups: one more than a tag set holds.
    let mut four_groups = spec();
    four_groups.ec2_tag_groups = ["a", "b", "c", "d"]
        .map(|value| vec![filter(value)])
        .to_vec();
    assert!(wizard_refuses(&four_groups, "ec2 tags"));
    let answer = refused(
        app_groups::create_deployment_group(&session, &four_groups).await,
        "four tag groups",
    );
    assert_eq!(answer, "TagSetListLimitExceededException");

    // Eleven alarms: one more than a group watches.
    let mut alarms = spec();
    alarms.alarms = (0..11).map(|n| format!("alarm-{n}")).collect();
    assert!(wizard_refuses(&alarms, "alarms"));
    let answer = refused(
        app_groups::create_deployment_group(&session, &alarms).await,
        "eleven alarms",
    );
    assert_eq!(answer, "AlarmsLimitExceededException");

    // Eleven triggers: one more than a group has.
    let mut triggers = spec();
    triggers.triggers = (0..11)
        .map(|n| TriggerSpec {
            name: format!("trigger-{n}"),
            topic_arn: "arn:aws:sns:us-east-1:000000000000:deployments".to_owned(),
            events: vec!["DeploymentFailure".to_owned()],
        })
        .collect();
    assert!(wizard_refuses(&triggers, "triggers"));
    let answer = refused(
        app_groups::create_deployment_group(&session, &triggers).await,
        "eleven triggers",
    );
    assert_eq!(answer, "TriggerTargetsLimitExceededException");

    // A blue/green wait of one minute more than two days.
    let mut waiting = spec();
    waiting.deployment_type = DeploymentType::BlueGreen {
        reroute_at_once: false,
        wait_minutes: 2881,
        terminate_original: true,
        termination_wait_minutes: 5,
        copy_auto_scaling_group: false,
    };
    waiting.traffic_control = true;
    waiting.target_groups = vec!["web-tg".to_owned()];
    assert!(wizard_refuses(&waiting, "type"));
    let answer = refused(
        app_groups::create_deployment_group(&session, &waiting).await,
        "a wait of 2881 minutes",
    );
    assert_eq!(answer, "InvalidBlueGreenDeploymentConfigurationException");

    // The limits themselves pass both sides.
    let mut full = spec();
    full.group = "full".to_owned();
    full.ec2_tag_groups = ["a", "b", "c"].map(|value| vec![filter(value)]).to_vec();
    full.alarms = (0..10).map(|n| format!("alarm-{n}")).collect();
    full.triggers = triggers.triggers[..10].to_vec();
    assert_eq!(full.problems(), []);
    app_groups::create_deployment_group(&session, &full)
        .await
        .expect("a group at every limit is accepted");
    cloud.shutdown().await;
}

#[tokio::test]
async fn compute_platforms_are_named_alike_by_the_app_and_by_codedeploy() {
    let (cloud, session, _) = start().await;
    let client = support::codedeploy(&cloud, "us-east-1").await;
    for bad in ["Kubernetes", "server", "Ecs", "EC2"] {
        assert!(ComputePlatform::parse(bad).is_err(), "{bad}");
        let answer = sdk_code(
            client
                .create_application()
                .application_name("platformed")
                .compute_platform(SdkPlatform::from(bad))
                .send()
                .await,
            bad,
        );
        assert_eq!(answer, "InvalidComputePlatformException", "{bad}");
    }
    for platform in ComputePlatform::ALL {
        let name = format!("on-{}", platform.as_str());
        app_codedeploy::create_application(&session, &name, platform)
            .await
            .unwrap_or_else(|error| panic!("{platform} was refused: {error}"));
    }
    // An application created without a platform is for Server on both sides.
    client
        .create_application()
        .application_name("unplatformed")
        .send()
        .await
        .expect("an application without a platform is created");
    let listed = app_codedeploy::list_applications(&session)
        .await
        .expect("the applications are listed");
    for application in listed {
        let expected = match application.name.strip_prefix("on-") {
            Some(name) => ComputePlatform::parse(name).expect("a platform this test named"),
            None => ComputePlatform::parse_or_default(None).expect("the default platform"),
        };
        assert_eq!(application.platform, Some(expected), "{}", application.name);
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn most_concurrency_is_one_at_a_time_when_read_and_refused_when_created() {
    let (cloud, session, _) = start().await;
    for name in PREDEFINED_SERVER_CONFIGS {
        let read = app_groups::config_minimum(&session, name)
            .await
            .expect("the configuration is read");
        let expected = DeploymentConfig::predefined(name)
            .expect("a predefined configuration")
            .minimum_healthy_hosts;
        assert_eq!(read, Some(expected), "{name}");
    }
    // A custom configuration cannot be MOST_CONCURRENCY on either side.
    assert!(MinimumHealthyHosts::from_api("MOST_CONCURRENCY", 1).is_err());
    let client = support::codedeploy(&cloud, "us-east-1").await;
    let answer = sdk_code(
        client
            .create_deployment_config()
            .deployment_config_name("Mine.OneAtATime")
            .minimum_healthy_hosts(
                SdkMinimum::builder()
                    .r#type(MinimumHealthyHostsType::from("MOST_CONCURRENCY"))
                    .value(1)
                    .build(),
            )
            .send()
            .await,
        "MOST_CONCURRENCY",
    );
    assert!(answer.starts_with("Invalid"), "{answer}");
    // A custom minimum reads back as it was made.
    let minimum = MinimumHealthyHosts::FleetPercent(75);
    app_groups::create_deployment_config(&session, "Mine.SeventyFive", minimum)
        .await
        .expect("a custom configuration is created");
    assert_eq!(
        app_groups::config_minimum(&session, "Mine.SeventyFive").await,
        Ok(Some(minimum))
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn tags_are_refused_alike_by_the_app_codedeploy_iam_and_ec2() {
    let (cloud, session, instance_id) = start().await;
    let client = support::codedeploy(&cloud, "us-east-1").await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let bad_tags = [
        ("", "x"),
        (long_key.as_str(), "x"),
        ("k", long_value.as_str()),
        ("aws:reserved", "x"),
        ("AWS:Reserved", "x"),
        ("k", "a|b"),
        ("semi;colon", "x"),
    ];
    for (index, (key, value)) in bad_tags.into_iter().enumerate() {
        let input = format!("{key}={value}");
        assert!(validate_tag(key, value).is_err(), "{input}");

        // CodeDeploy's resource tags.
        let answer = sdk_code(
            client
                .create_application()
                .application_name(format!("tagged-{index}"))
                .tags(SdkTag::builder().key(key).value(value).build())
                .send()
                .await,
            &input,
        );
        assert_eq!(answer, "InvalidTagsToAddException", "{input}");

        // IAM's role tags.
        let mut role = NewRole::for_service(&format!("Tagged{index}"), "ec2.amazonaws.com");
        role.tags = vec![(key.to_owned(), value.to_owned())];
        let answer = refused(app_iam::create_role(&session, &role).await, &input);
        assert!(
            answer == "ValidationError" || answer == "InvalidInput",
            "{input}: {answer}"
        );

        // The app refuses to set the tag on an instance before calling EC2;
        // EC2, which allows any character, refuses what its rule refuses.
        let tags = vec![(key.to_owned(), value.to_owned())];
        let answer = refused(
            app_ec2::create_tags(&session, std::slice::from_ref(&instance_id), &tags).await,
            &input,
        );
        assert_eq!(answer, "InvalidParameterValue", "{input}");
        let direct = ec2
            .create_tags()
            .resources(&instance_id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build(),
            )
            .send()
            .await;
        assert_eq!(
            direct.is_err(),
            validate_ec2_tag(key, value).is_err(),
            "EC2 and the domain's EC2 rule disagree on {input}"
        );
    }
    let good = ("team/owner", "web server 1");
    assert_eq!(validate_tag(good.0, good.1), Ok(()));
    client
        .create_application()
        .application_name("tagged-well")
        .tags(SdkTag::builder().key(good.0).value(good.1).build())
        .send()
        .await
        .expect("a good tag is accepted by CodeDeploy");
    let mut role = NewRole::for_service("TaggedWell", "ec2.amazonaws.com");
    role.tags = vec![(good.0.to_owned(), good.1.to_owned())];
    app_iam::create_role(&session, &role)
        .await
        .expect("a good tag is accepted by IAM");
    app_ec2::create_tags(
        &session,
        std::slice::from_ref(&instance_id),
        &[(good.0.to_owned(), good.1.to_owned())],
    )
    .await
    .expect("a good tag is accepted by EC2");
    cloud.shutdown().await;
}

#[tokio::test]
async fn regions_are_known_alike_by_the_region_field_and_by_describe_regions() {
    let (cloud, _session, _) = start().await;
    let ec2 = support::ec2(&cloud, "us-east-1").await;
    let commercial: Vec<&str> = KNOWN_REGIONS
        .iter()
        .filter(|known| known.partition() == "aws")
        .map(|known| known.code)
        .collect();
    for code in &commercial {
        assert_eq!(check_region(code), Ok(*code));
        let described = ec2
            .describe_regions()
            .region_names(*code)
            .send()
            .await
            .unwrap_or_else(|error| panic!("{code} was refused: {error:?}"));
        let region = described.regions().first().expect("the region is listed");
        let opt_in = KNOWN_REGIONS
            .iter()
            .find(|known| known.code == *code)
            .is_some_and(|known| known.opt_in);
        let status = if opt_in {
            "not-opted-in"
        } else {
            "opt-in-not-required"
        };
        assert_eq!(region.opt_in_status(), Some(status), "{code}");
    }
    let everything = ec2
        .describe_regions()
        .all_regions(true)
        .send()
        .await
        .expect("every region is listed");
    assert_eq!(everything.regions().len(), commercial.len());
    for bad in ["eu-wset-1", "EU-WEST-1", "Frankfurt", "us-east"] {
        assert!(check_region(bad).is_err(), "the region field accepts {bad}");
        let answer = ec2.describe_regions().region_names(bad).send().await;
        assert!(answer.is_err(), "DescribeRegions accepts {bad}");
    }
    cloud.shutdown().await;
}

#[tokio::test]
async fn the_bundle_types_the_deploy_dialog_offers_are_the_ones_codedeploy_takes() {
    let (cloud, session, _) = start().await;
    app_codedeploy::create_application(&session, "rules", ComputePlatform::Server)
        .await
        .expect("the application is created");
    let client = support::codedeploy(&cloud, "us-east-1").await;
    let register = |bundle_type: &str| {
        client
            .register_application_revision()
            .application_name("rules")
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::S3)
                    .s3_location(
                        S3Location::builder()
                            .bucket("revisions")
                            .key(format!("web.{bundle_type}"))
                            .bundle_type(BundleType::from(bundle_type))
                            .build(),
                    )
                    .build(),
            )
            .send()
    };
    for kind in BundleKind::ALL {
        register(kind.bundle_type())
            .await
            .unwrap_or_else(|error| panic!("{kind:?} was refused: {error:?}"));
    }
    for bad in ["rar", "Zip", "gz", "tar.gz"] {
        assert_eq!(BundleKind::from_bundle_type(bad), None, "{bad}");
        let answer = sdk_code(register(bad).await, bad);
        assert_eq!(answer, "InvalidRevisionException", "{bad}");
    }
    cloud.shutdown().await;
}

/// The SDK configuration for the local cloud, signing with made-up keys and
/// without retries.
async fn elb_config(cloud: &LocalCloud) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(cloud.endpoint_url())
        .region(aws_sdk_codedeploy::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

#[tokio::test]
async fn load_balancer_and_target_group_names_are_refused_alike_by_the_rule_and_by_elb() {
    use aws_sdk_elasticloadbalancing::types::Listener;
    use aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata as _;
    use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
    use deploydesk::domain::elb_names::{ElbNameKind, validate_elb_name};

    let (cloud, _session, _) = start().await;
    let config = elb_config(&cloud).await;
    let v2 = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let classic = aws_sdk_elasticloadbalancing::Client::new(&config);
    let create_balancer = |name: String| {
        let v2 = v2.clone();
        async move {
            v2.create_load_balancer()
                .name(name)
                .subnets("subnet-0a1b2c3d")
                .subnets("subnet-1a2b3c4d")
                .send()
                .await
        }
    };
    let create_group = |name: String| {
        let v2 = v2.clone();
        async move {
            v2.create_target_group()
                .name(name)
                .protocol(ProtocolEnum::Http)
                .port(80)
                .vpc_id("vpc-0a1b2c3d")
                .send()
                .await
        }
    };
    let create_classic = |name: String| {
        let classic = classic.clone();
        async move {
            classic
                .create_load_balancer()
                .load_balancer_name(name)
                .listeners(
                    Listener::builder()
                        .protocol("HTTP")
                        .load_balancer_port(80)
                        .instance_port(80)
                        .build()
                        .expect("a valid listener"),
                )
                .availability_zones("us-east-1a")
                .send()
                .await
        }
    };
    let long = "a".repeat(33);
    for bad in [
        long.as_str(),
        "web_1",
        "web.1",
        "-web",
        "web-",
        "internal-web",
    ] {
        assert!(
            validate_elb_name(ElbNameKind::LoadBalancer, bad).is_err(),
            "the rule takes {bad}"
        );
        let error = create_balancer(bad.to_owned())
            .await
            .expect_err("ELBv2 refuses the name");
        assert_eq!(error.code(), Some("ValidationError"), "{bad}");
        let error = create_classic(bad.to_owned())
            .await
            .expect_err("classic ELB refuses the name");
        assert_eq!(
            aws_sdk_elasticloadbalancing::error::ProvideErrorMetadata::code(&error),
            Some("ValidationError"),
            "{bad}"
        );
        // A target group may start with `internal-`.
        let group = create_group(bad.to_owned()).await;
        assert_eq!(
            validate_elb_name(ElbNameKind::TargetGroup, bad).is_ok(),
            group.is_ok(),
            "{bad}: {group:?}"
        );
    }
    let longest = "b".repeat(32);
    for (index, good) in ["web", "Web-Blue-1", longest.as_str()].iter().enumerate() {
        assert_eq!(validate_elb_name(ElbNameKind::LoadBalancer, good), Ok(()));
        create_balancer((*good).to_owned())
            .await
            .unwrap_or_else(|error| panic!("{good} was refused: {error:?}"));
        create_group((*good).to_owned())
            .await
            .unwrap_or_else(|error| panic!("{good} was refused: {error:?}"));
        create_classic(format!("{}{index}", &good[..good.len().min(31)]))
            .await
            .unwrap_or_else(|error| panic!("{good} was refused: {error:?}"));
    }
    cloud.shutdown().await;
}
