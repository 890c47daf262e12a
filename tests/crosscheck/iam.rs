//! IAM, checked against both backends: through the SDK and through
//! DeployDesk's own operations in `deploydesk::cloud::iam`.

use aws_sdk_iam::error::ProvideErrorMetadata;
use deploydesk::cloud::CloudError;
use deploydesk::cloud::iam as ops;
use deploydesk::domain::policy::{PolicyDocument, allows_service};

use crate::crosscheck;

/// The trust policy of a CodeDeploy service role, written with spaces and
/// slashes so that the URL-encoding round trip is visible.
const CODEDEPLOY_TRUST: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;

/// AWS's managed policy for CodeDeploy service roles.
const CODEDEPLOY_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole";
/// AWS's managed policy for instances managed by Systems Manager.
const SSM_POLICY: &str = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

/// A small permissions policy.
const READ_BUNDLES: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bundles/*"}]}"#;

/// The error code of an SDK error.
fn code<E: ProvideErrorMetadata>(error: &E) -> String {
    error.code().unwrap_or("none").to_owned()
}

crosscheck!(
    roles_are_created_listed_in_pages_and_deleted,
    |clients: crate::Clients| async move {
        let path = format!("/{}/", clients.unique("paging"));
        let mut names = Vec::new();
        for i in 0..5 {
            let name = clients.unique(&format!("role{i}"));
            let created = clients
                .iam
                .create_role()
                .role_name(&name)
                .path(&path)
                .assume_role_policy_document(CODEDEPLOY_TRUST)
                .description("for paging")
                .send()
                .await
                .expect("the role is created");
            let role = created.role().expect("a role");
            assert_eq!(role.role_name(), name);
            assert_eq!(role.path(), path);
            assert_eq!(
                role.arn(),
                format!(
                    "arn:aws:iam::{}:role{path}{name}",
                    role.arn().split(':').nth(4).unwrap()
                )
            );
            assert!(role.role_id().starts_with("AROA"), "{}", role.role_id());
            assert_eq!(role.role_id().len(), 21);
            names.push(name);
        }
        names.sort();

        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = clients
                .iam
                .list_roles()
                .path_prefix(&path)
                .max_items(2)
                .set_marker(marker.clone())
                .send()
                .await
                .expect("roles are listed");
            pages += 1;
            assert!(page.roles().len() <= 2);
            seen.extend(page.roles().iter().map(|role| role.role_name().to_owned()));
            if page.is_truncated() {
                marker = Some(page.marker().expect("a marker when truncated").to_owned());
            } else {
                assert!(page.marker().is_none());
                break;
            }
        }
        assert_eq!(pages, 3);
        seen.sort();
        assert_eq!(seen, names);

        // DeployDesk's own operation reads every page.
        let listed = ops::list_roles_under(&clients.session, &path)
            .await
            .expect("roles are listed");
        assert_eq!(
            listed
                .iter()
                .map(|role| role.name.clone())
                .collect::<Vec<_>>(),
            names
        );
        assert!(
            listed
                .iter()
                .all(|role| role.trusts("codedeploy.amazonaws.com"))
        );

        for name in &names {
            ops::delete_role(&clients.session, name)
                .await
                .expect("the role is deleted");
        }
        assert!(
            ops::get_role(&clients.session, &names[0])
                .await
                .expect("GetRole answers")
                .is_none()
        );
        let error = clients
            .iam
            .delete_role()
            .role_name(&names[0])
            .send()
            .await
            .expect_err("a deleted role cannot be deleted again");
        assert_eq!(code(&error), "NoSuchEntity");
        clients.finish().await;
    }
);

crosscheck!(
    trust_policies_round_trip_url_encoded,
    |clients: crate::Clients| async move {
        let name = clients.unique("trust");
        clients
            .iam
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(CODEDEPLOY_TRUST)
            .send()
            .await
            .expect("the role is created");
        let got = clients
            .iam
            .get_role()
            .role_name(&name)
            .send()
            .await
            .expect("the role is read");
        let raw = got
            .role()
            .and_then(|role| role.assume_role_policy_document())
            .expect("a trust policy");
        // IAM sends documents percent-encoded; decoded they are the text sent.
        assert!(raw.starts_with("%7B"), "{raw}");
        assert_eq!(ops::decode_document(raw), CODEDEPLOY_TRUST);

        let role = ops::get_role(&clients.session, &name)
            .await
            .expect("GetRole answers")
            .expect("the role exists");
        assert_eq!(role.trust_policy_json, CODEDEPLOY_TRUST);
        assert!(role.trusts("codedeploy.amazonaws.com"));
        assert!(!role.trusts("ec2.amazonaws.com"));

        ops::update_trust_policy(
            &clients.session,
            &name,
            &PolicyDocument::trust_for_service("ec2.amazonaws.com"),
        )
        .await
        .expect("the trust policy is replaced");
        let role = ops::get_role(&clients.session, &name)
            .await
            .expect("GetRole answers")
            .expect("the role exists");
        let document = role.trust_policy.expect("a typed trust policy");
        assert!(allows_service(&document, "ec2.amazonaws.com"));
        assert!(!allows_service(&document, "codedeploy.amazonaws.com"));
        ops::delete_role(&clients.session, &name)
            .await
            .expect("the role is deleted");
        clients.finish().await;
    }
);

crosscheck!(
    managed_and_inline_policies_on_a_role,
    |clients: crate::Clients| async move {
        let name = clients.unique("service");
        let role = ops::create_role(
            &clients.session,
            &ops::NewRole::for_service(&name, "codedeploy.amazonaws.com"),
        )
        .await
        .expect("the role is created");
        assert_eq!(role.name, name);

        // A customer managed policy, on both backends.
        let created = clients
            .iam
            .create_policy()
            .policy_name(clients.unique("bundles"))
            .policy_document(READ_BUNDLES)
            .send()
            .await
            .expect("the policy is created");
        let own_arn = created
            .policy()
            .and_then(|policy| policy.arn())
            .expect("an ARN")
            .to_owned();
        ops::attach_policy(&clients.session, &name, &own_arn)
            .await
            .expect("the customer policy attaches");
        let mut expected = vec![own_arn.clone()];
        let aws_policies = !clients.moto_differs(
            "moto's server only knows AWS managed policies when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true",
        );
        if aws_policies {
            for arn in [CODEDEPLOY_POLICY, SSM_POLICY] {
                ops::attach_policy(&clients.session, &name, arn)
                    .await
                    .expect("the AWS managed policy attaches");
                expected.push(arn.to_owned());
            }
        }
        let mut attached: Vec<String> = ops::list_attached_policies(&clients.session, &name)
            .await
            .expect("attached policies are listed")
            .into_iter()
            .map(|policy| policy.arn)
            .collect();
        attached.sort();
        expected.sort();
        assert_eq!(attached, expected);

        if aws_policies {
            // The managed policy's document is AWS's own.
            let policy = clients
                .iam
                .get_policy()
                .policy_arn(CODEDEPLOY_POLICY)
                .send()
                .await
                .expect("the policy is read");
            let version = policy
                .policy()
                .and_then(|policy| policy.default_version_id())
                .expect("a default version")
                .to_owned();
            let document = clients
                .iam
                .get_policy_version()
                .policy_arn(CODEDEPLOY_POLICY)
                .version_id(&version)
                .send()
                .await
                .expect("the version is read");
            let text = ops::decode_document(
                document
                    .policy_version()
                    .and_then(|version| version.document())
                    .expect("a document"),
            );
            assert!(
                text.contains("autoscaling:CompleteLifecycleAction"),
                "{text}"
            );
        }

        let missing = "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere";
        let error = ops::attach_policy(&clients.session, &name, missing)
            .await
            .expect_err("a missing policy cannot be attached");
        assert!(matches!(error, CloudError::NotFound { .. }), "{error:?}");

        let read = deploydesk::domain::policy::parse(
            READ_BUNDLES,
            deploydesk::domain::policy::PolicyKind::Identity,
        )
        .expect("the policy parses");
        ops::put_inline_policy(&clients.session, &name, "read-bundles", &read)
            .await
            .expect("the inline policy is put");
        assert_eq!(
            ops::list_inline_policies(&clients.session, &name)
                .await
                .expect("inline policies are listed"),
            ["read-bundles"]
        );
        let text = ops::get_inline_policy(&clients.session, &name, "read-bundles")
            .await
            .expect("GetRolePolicy answers")
            .expect("the inline policy exists");
        assert_eq!(text, read.to_json());
        assert!(
            ops::get_inline_policy(&clients.session, &name, "other")
                .await
                .expect("GetRolePolicy answers")
                .is_none()
        );

        // A role with policies cannot be deleted.
        let error = clients
            .iam
            .delete_role()
            .role_name(&name)
            .send()
            .await
            .expect_err("the role still has policies");
        assert_eq!(code(&error), "DeleteConflict");

        for arn in &expected {
            ops::detach_policy(&clients.session, &name, arn)
                .await
                .expect("the policy detaches");
        }
        let error = clients
            .iam
            .detach_role_policy()
            .role_name(&name)
            .policy_arn(&own_arn)
            .send()
            .await
            .expect_err("a detached policy cannot be detached again");
        assert_eq!(code(&error), "NoSuchEntity");
        let error = clients
            .iam
            .delete_role()
            .role_name(&name)
            .send()
            .await
            .expect_err("the role still has an inline policy");
        assert_eq!(code(&error), "DeleteConflict");
        ops::delete_inline_policy(&clients.session, &name, "read-bundles")
            .await
            .expect("the inline policy is deleted");
        ops::delete_role(&clients.session, &name)
            .await
            .expect("the role is deleted");
        clients
            .iam
            .delete_policy()
            .policy_arn(&own_arn)
            .send()
            .await
            .expect("the policy is deleted");
        clients.finish().await;
    }
);

crosscheck!(
    aws_managed_policies_are_listed_by_scope,
    |clients: crate::Clients| async move {
        if clients.moto_differs(
            "moto's server only knows AWS managed policies when started with MOTO_IAM_LOAD_MANAGED_POLICIES=true",
        ) {
            return;
        }
        let mut arns = Vec::new();
        let mut pages = clients
            .iam
            .list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Aws)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("policies are listed");
            arns.extend(
                page.policies()
                    .iter()
                    .filter_map(|policy| policy.arn().map(str::to_owned)),
            );
        }
        for arn in [
            CODEDEPLOY_POLICY,
            "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS",
            "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda",
            SSM_POLICY,
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ] {
            assert!(arns.iter().any(|known| known == arn), "{arn} is not listed");
        }
        clients.finish().await;
    }
);

crosscheck!(
    instance_profiles_hold_one_role,
    |clients: crate::Clients| async move {
        let profile_name = clients.unique("profile");
        let first = clients.unique("instance");
        let second = clients.unique("instance");
        for role in [&first, &second] {
            ops::create_role(
                &clients.session,
                &ops::NewRole::for_service(role, "ec2.amazonaws.com"),
            )
            .await
            .expect("the role is created");
        }
        let profile = ops::create_instance_profile(&clients.session, &profile_name)
            .await
            .expect("the profile is created");
        if !clients
            .moto_differs("moto's instance profile ids are random lower-case text, not AIPA ids")
        {
            assert!(profile.profile_id.starts_with("AIPA"), "{profile:?}");
            assert_eq!(profile.profile_id.len(), 21);
        }
        assert!(
            profile
                .arn
                .ends_with(&format!(":instance-profile/{profile_name}"))
        );
        assert!(profile.role_names.is_empty());

        ops::add_role_to_profile(&clients.session, &profile_name, &first)
            .await
            .expect("the role is added");
        let error = clients
            .iam
            .add_role_to_instance_profile()
            .instance_profile_name(&profile_name)
            .role_name(&second)
            .send()
            .await
            .expect_err("a profile holds one role");
        assert_eq!(code(&error), "LimitExceeded");

        let got = ops::get_instance_profile(&clients.session, &profile_name)
            .await
            .expect("GetInstanceProfile answers")
            .expect("the profile exists");
        assert_eq!(got.role_names, std::slice::from_ref(&first));
        let listed = ops::list_instance_profiles(&clients.session)
            .await
            .expect("profiles are listed");
        assert!(listed.iter().any(|profile| profile.name == profile_name));
        let for_role = clients
            .iam
            .list_instance_profiles_for_role()
            .role_name(&first)
            .send()
            .await
            .expect("profiles for the role are listed");
        assert_eq!(
            for_role
                .instance_profiles()
                .iter()
                .map(aws_sdk_iam::types::InstanceProfile::instance_profile_name)
                .collect::<Vec<_>>(),
            [profile_name.as_str()]
        );

        let error = clients
            .iam
            .delete_role()
            .role_name(&first)
            .send()
            .await
            .expect_err("the role is in a profile");
        assert_eq!(code(&error), "DeleteConflict");
        let error = clients
            .iam
            .delete_instance_profile()
            .instance_profile_name(&profile_name)
            .send()
            .await
            .expect_err("the profile holds a role");
        assert_eq!(code(&error), "DeleteConflict");

        ops::remove_role_from_profile(&clients.session, &profile_name, &first)
            .await
            .expect("the role is removed");
        ops::delete_instance_profile(&clients.session, &profile_name)
            .await
            .expect("the profile is deleted");
        assert!(
            ops::get_instance_profile(&clients.session, &profile_name)
                .await
                .expect("GetInstanceProfile answers")
                .is_none()
        );
        for role in [&first, &second] {
            ops::delete_role(&clients.session, role)
                .await
                .expect("the role is deleted");
        }
        clients.finish().await;
    }
);

crosscheck!(
    duplicates_missing_names_and_bad_input_get_iams_errors,
    |clients: crate::Clients| async move {
        let name = clients.unique("dup");
        clients
            .iam
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(CODEDEPLOY_TRUST)
            .send()
            .await
            .expect("the role is created");
        let error = clients
            .iam
            .create_role()
            .role_name(&name)
            .assume_role_policy_document(CODEDEPLOY_TRUST)
            .send()
            .await
            .expect_err("the name is taken");
        assert_eq!(code(&error), "EntityAlreadyExists");
        let error = ops::create_role(
            &clients.session,
            &ops::NewRole::for_service(&name, "codedeploy.amazonaws.com"),
        )
        .await
        .expect_err("the name is taken");
        assert!(
            matches!(error, CloudError::AlreadyExists { .. }),
            "{error:?}"
        );

        let profile = clients.unique("dup-profile");
        ops::create_instance_profile(&clients.session, &profile)
            .await
            .expect("the profile is created");
        let error = clients
            .iam
            .create_instance_profile()
            .instance_profile_name(&profile)
            .send()
            .await
            .expect_err("the profile name is taken");
        assert_eq!(code(&error), "EntityAlreadyExists");

        let ghost = clients.unique("ghost");
        let error = clients
            .iam
            .get_role()
            .role_name(&ghost)
            .send()
            .await
            .expect_err("no such role");
        assert_eq!(code(&error), "NoSuchEntity");
        let error = clients
            .iam
            .attach_role_policy()
            .role_name(&ghost)
            .policy_arn(CODEDEPLOY_POLICY)
            .send()
            .await
            .expect_err("no such role");
        assert_eq!(code(&error), "NoSuchEntity");
        let error = clients
            .iam
            .get_instance_profile()
            .instance_profile_name(&ghost)
            .send()
            .await
            .expect_err("no such profile");
        assert_eq!(code(&error), "NoSuchEntity");

        let trust_checked = !clients
            .moto_differs("moto's server stores any AssumeRolePolicyDocument without checking it");
        for document in [
            "not json",
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
        ]
        .into_iter()
        .filter(|_| trust_checked)
        {
            let error = clients
                .iam
                .create_role()
                .role_name(clients.unique("malformed"))
                .assume_role_policy_document(document)
                .send()
                .await
                .expect_err("the trust policy is malformed");
            assert_eq!(code(&error), "MalformedPolicyDocument", "{document}");
        }
        let error = clients
            .iam
            .put_role_policy()
            .role_name(&name)
            .policy_name("broken")
            .policy_document(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}"#)
            .send()
            .await
            .expect_err("a permissions policy needs a resource");
        assert_eq!(code(&error), "MalformedPolicyDocument");

        let names_checked = !clients
            .moto_differs("moto's server accepts any role name, path and instance profile name");
        let too_long = "x".repeat(65);
        let bad_names = if names_checked {
            vec!["has space", "slash/inside", too_long.as_str()]
        } else {
            Vec::new()
        };
        for bad in bad_names {
            let error = clients
                .iam
                .create_role()
                .role_name(bad)
                .assume_role_policy_document(CODEDEPLOY_TRUST)
                .send()
                .await
                .expect_err("the name is not valid");
            assert_eq!(code(&error), "ValidationError", "{bad}");
        }
        if names_checked {
            let error = clients
                .iam
                .create_role()
                .role_name(clients.unique("badpath"))
                .path("no-slashes")
                .assume_role_policy_document(CODEDEPLOY_TRUST)
                .send()
                .await
                .expect_err("the path is not valid");
            assert_eq!(code(&error), "ValidationError");
            let error = ops::create_instance_profile(&clients.session, &"p".repeat(129))
                .await
                .expect_err("the profile name is too long");
            assert!(matches!(error, CloudError::Invalid { .. }), "{error:?}");
        }

        ops::delete_instance_profile(&clients.session, &profile)
            .await
            .expect("the profile is deleted");
        ops::delete_role(&clients.session, &name)
            .await
            .expect("the role is deleted");
        clients.finish().await;
    }
);
