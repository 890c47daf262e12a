//! IAM in the local cloud, for what the cross-check suite cannot show: the
//! raw error documents on the wire, and roles surviving a restart.

use crate::support;

use deploydesk::cloud::iam as ops;
use deploydesk::cloud::session::Session;
use support::{start, start_with_state};

/// Posts `form` to the local cloud at `addr` and returns the status line
/// and the whole response.
async fn post_form(addr: std::net::SocketAddr, form: &str) -> String {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    let raw = support::send_raw(addr, request.as_bytes()).await;
    String::from_utf8_lossy(&raw).into_owned()
}

#[tokio::test]
async fn errors_are_iams_error_documents_and_the_server_keeps_serving() {
    let (cloud, _clock) = start().await;
    let addr = cloud.local_addr();

    let missing = post_form(addr, "Action=GetRole&Version=2010-05-08&RoleName=ghost").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(
        missing.contains(
            "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name ghost cannot be found."
        ),
        "{missing}"
    );
    assert!(missing.contains("<RequestId>"), "{missing}");

    let no_name = post_form(addr, "Action=CreateRole&Version=2010-05-08").await;
    assert!(no_name.starts_with("HTTP/1.1 400"), "{no_name}");
    assert!(
        no_name.contains("<Code>ValidationError</Code>"),
        "{no_name}"
    );
    assert!(no_name.contains("'roleName'"), "{no_name}");

    // Broken escapes, control characters and odd list indices are refused
    // in IAM's format, not with a crash.
    for form in [
        "Action=CreateRole&Version=2010-05-08&RoleName=a%ff&AssumeRolePolicyDocument=%zz",
        "Action=CreateRole&Version=2010-05-08&RoleName=ok&AssumeRolePolicyDocument=%01%02",
        "Action=CreateRole&Version=2010-05-08&RoleName=ok&AssumeRolePolicyDocument=%7B%7D&Tags.member.0.Key=x",
        "Action=ListRoles&Version=2010-05-08&MaxItems=-1",
        "Action=ListRoles&Version=2010-05-08&Marker=not-a-marker",
    ] {
        let reply = post_form(addr, form).await;
        assert!(reply.starts_with("HTTP/1.1 4"), "{form}: {reply}");
        assert!(
            reply.contains("<ErrorResponse><Error><Type>Sender</Type>"),
            "{form}: {reply}"
        );
    }

    let created = post_form(
        addr,
        "Action=CreateInstanceProfile&Version=2010-05-08&InstanceProfileName=web",
    )
    .await;
    assert!(created.starts_with("HTTP/1.1 200"), "{created}");
    assert!(
        created.contains("<CreateInstanceProfileResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><CreateInstanceProfileResult><InstanceProfile>"),
        "{created}"
    );
    cloud.shutdown().await;
}

#[tokio::test]
async fn roles_profiles_and_attachments_survive_a_restart() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("state.json");
    let (cloud, _clock) = start_with_state(Some(path.clone())).await;
    let session = Session::local(&cloud.endpoint_url()).await;
    ops::create_role(
        &session,
        &ops::NewRole::for_service("web", "ec2.amazonaws.com"),
    )
    .await
    .expect("the role is created");
    ops::attach_policy(
        &session,
        "web",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    )
    .await
    .expect("the policy attaches");
    ops::create_instance_profile(&session, "web")
        .await
        .expect("the profile is created");
    ops::add_role_to_profile(&session, "web", "web")
        .await
        .expect("the role is added");
    cloud.shutdown().await;

    let (cloud, _clock) = start_with_state(Some(path)).await;
    let session = Session::local(&cloud.endpoint_url()).await;
    let role = ops::get_role(&session, "web")
        .await
        .expect("GetRole answers")
        .expect("the role is still there");
    assert!(role.trusts("ec2.amazonaws.com"));
    let attached = ops::list_attached_policies(&session, "web")
        .await
        .expect("policies are listed");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].name, "AmazonSSMManagedInstanceCore");
    let profile = ops::get_instance_profile(&session, "web")
        .await
        .expect("GetInstanceProfile answers")
        .expect("the profile is still there");
    assert_eq!(profile.role_names, ["web"]);
    cloud.shutdown().await;
}
