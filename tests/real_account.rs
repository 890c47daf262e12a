//! Connecting to a real account through the standard AWS config files:
//! an expired SSO session, a denied permission, no network and a misspelt
//! region, each with the message the user gets.
//!
//! The SDK reads the AWS config files, the SSO token cache (under `HOME`)
//! and credentials from the process environment. So that no test sees the
//! machine's own AWS setup, and no test changes the environment of another,
//! each test runs again in a child process of this binary whose
//! environment holds nothing but a temporary home with its own config
//! files. The profiles send their requests to a local cloud through the
//! standard `endpoint_url` setting, the SSO portal included.

mod ui_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use deploydesk::cloud::{CloudError, Session};
use deploydesk::localcloud::{FaultSpec, LocalCloud, LocalCloudOptions};
use deploydesk::settings::BackendChoice;
use deploydesk::ui::{App, AppOptions};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ui_support::{app_harness, has_text, run_until, settle};

/// Set in the child process: the temporary home it runs in.
const CHILD_HOME: &str = "DEPLOYDESK_TEST_AWS_HOME";

/// The environment variables through which the machine's own AWS setup
/// could reach a test.
const AWS_VARIABLES: [&str; 12] = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
];

/// In the child process, its temporary home. In the parent, `None` after
/// the test named `test` has run in a child and passed.
fn isolated_home(test: &str) -> Option<PathBuf> {
    if let Some(home) = std::env::var_os(CHILD_HOME) {
        return Some(PathBuf::from(home));
    }
    let home = tempfile::tempdir().expect("a temporary home");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).expect("the .aws folder");
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_HOME, home.path())
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", aws.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", aws.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for variable in AWS_VARIABLES {
        command.env_remove(variable);
    }
    let output = command.output().expect("the test binary runs again");
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{test} failed in its child process:\n{printed}"
    );
    assert!(
        printed.contains(&format!("test {test} ... ok")),
        "{test} did not run in its child process:\n{printed}"
    );
    None
}

/// A local cloud on a free port, served by its own runtime.
struct Cloud {
    cloud: LocalCloud,
    _runtime: tokio::runtime::Runtime,
}

impl Cloud {
    fn start(faults: &str) -> Self {
        Self::start_with(
            faults,
            LocalCloudOptions::default().sso_credentials_lifetime,
        )
    }

    fn start_with(faults: &str, sso_credentials_lifetime: Duration) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let cloud = runtime
            .block_on(LocalCloud::start(LocalCloudOptions {
                port: 0,
                fleet: 2,
                faults: FaultSpec::parse(faults).expect("a fault spec"),
                sso_credentials_lifetime,
                ..LocalCloudOptions::default()
            }))
            .expect("the local cloud starts");
        Self {
            cloud,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        self.cloud.endpoint_url()
    }

    fn requests(&self, operation: &str) -> u64 {
        self.cloud
            .request_counts()
            .get(operation)
            .copied()
            .unwrap_or_default()
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("a file in the temporary home");
}

/// A profile with access keys that sends everything to `endpoint`.
fn keys_profile(home: &Path, profile: &str, endpoint: &str) {
    write(
        &home.join(".aws/config"),
        &format!("[profile {profile}]\nregion = us-east-1\nendpoint_url = {endpoint}\n"),
    );
    write(
        &home.join(".aws/credentials"),
        &format!(
            "[{profile}]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        ),
    );
}

/// A profile that signs in through the SSO session of the same name and
/// sends everything, the SSO portal included, to `endpoint`.
fn sso_profile(home: &Path, profile: &str, endpoint: &str) {
    write(
        &home.join(".aws/config"),
        &format!(
            "[profile {profile}]\nsso_session = {profile}\nsso_account_id = 111122223333\nsso_role_name = Deployer\nregion = eu-west-1\nendpoint_url = {endpoint}\n\n[sso-session {profile}]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n",
        ),
    );
}

/// The app, on `backend`, with settings that keep nothing on disk.
fn app(backend: BackendChoice) -> Harness<'static, App> {
    let options = AppOptions {
        settings_path: None,
        backend_override: Some(backend),
        local_cloud: None,
    };
    let mut harness = app_harness(options, egui::vec2(1280.0, 800.0));
    settle(&mut harness);
    harness
}

fn profile(name: &str) -> BackendChoice {
    BackendChoice::Profile {
        profile: name.to_owned(),
        region: None,
    }
}

/// The SSO token cache file for the session `session`, where
/// `aws sso login` writes it.
fn token_cache(home: &Path, session: &str) -> PathBuf {
    use sha1::{Digest, Sha1};
    let name = hex::encode(Sha1::digest(session.as_bytes()));
    home.join(".aws/sso/cache").join(format!("{name}.json"))
}

fn write_token(home: &Path, session: &str, expires: SystemTime) {
    let expires = time::OffsetDateTime::from(expires)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a timestamp");
    let path = token_cache(home, session);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("the cache folder");
    write(
        &path,
        &format!(
            r#"{{"accessToken": "token-from-sso-login", "expiresAt": "{expires}", "region": "eu-west-1", "startUrl": "https://example.awsapps.com/start"}}"#
        ),
    );
}

#[test]
fn an_expired_sso_session_gives_the_login_command_and_a_new_login_is_picked_up() {
    let test = "an_expired_sso_session_gives_the_login_command_and_a_new_login_is_picked_up";
    let Some(home) = isolated_home(test) else {
        return;
    };
    // Role credentials that run out at once, so that every request signs in
    // again from the token cache, as it does once a session's credentials
    // have run out.
    let cloud = Cloud::start_with("", Duration::from_secs(1));
    sso_profile(&home, "work", &cloud.url());
    write_token(&home, "work", SystemTime::now() - Duration::from_hours(1));

    // The client layer tells an expired session apart from other failures.
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let error = runtime
        .block_on(async {
            let session = Session::connect(&profile("work")).await?;
            session.verify().await
        })
        .expect_err("the session has expired");
    assert_eq!(
        error,
        CloudError::SsoExpired {
            profile: "work".to_owned()
        }
    );

    // The app says so, with the exact command, and keeps checking.
    let mut harness = app(profile("work"));
    let message = "The SSO session for profile \"work\" has expired";
    run_until(&mut harness, "the expired session message", |harness| {
        has_text(harness, message)
    });
    assert!(has_text(&harness, "aws sso login --profile work"));
    assert!(harness.state().session().is_none());

    // The switcher lists the profile from the config file, with its region
    // and how it signs in.
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "Switch account")
        .click();
    settle(&mut harness);
    assert!(has_text(&harness, "work (eu-west-1, SSO)"));
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert_eq!(cloud.requests("sso:GetRoleCredentials"), 0);

    // `aws sso login` writes a new token; the app picks it up by itself.
    // This login lasts a few seconds only, to see it run out below.
    write_token(&home, "work", SystemTime::now() + Duration::from_secs(8));
    run_until(&mut harness, "the new login to be picked up", |harness| {
        harness.state().session().is_some()
    });
    assert!(!has_text(&harness, message));
    assert!(cloud.requests("sso:GetRoleCredentials") >= 1);
    run_until(&mut harness, "the account to be shown", |harness| {
        has_text(harness, "000000000000")
    });
    run_until(&mut harness, "the applications", |harness| {
        has_text(harness, "No applications yet")
    });

    // The session runs out while the app is in use: the next request says
    // so, in place of the page, and a new login brings the page back.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !has_text(&harness, message) {
        assert!(
            std::time::Instant::now() < deadline,
            "the session never ran out"
        );
        if let Some(refresh) =
            harness.query_by_role_and_label(egui::accesskit::Role::Button, "Refresh")
        {
            refresh.click();
        }
        for _ in 0..20 {
            harness.step();
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(has_text(&harness, "aws sso login --profile work"));
    // The whole app knows, not just the page: it waits for a login.
    assert!(harness.state().session().is_none());
    assert!(has_text(&harness, "Your SSO session has expired"));
    write_token(&home, "work", SystemTime::now() + Duration::from_hours(1));
    run_until(&mut harness, "the applications again", |harness| {
        has_text(harness, "No applications yet") && !has_text(harness, message)
    });
    assert!(harness.state().session().is_some());
}

#[test]
fn an_sso_session_that_runs_out_before_an_upload_gives_the_login_command() {
    use deploydesk::settings::Page;
    use egui::accesskit::Role;
    let test = "an_sso_session_that_runs_out_before_an_upload_gives_the_login_command";
    let Some(home) = isolated_home(test) else {
        return;
    };
    // Role credentials that run out at once, so that every request signs in
    // again from the token cache; the login lasts long enough to get the
    // bundle checked, then runs out.
    let cloud = Cloud::start_with("", Duration::from_secs(1));
    sso_profile(&home, "work", &cloud.url());
    let login_ends = SystemTime::now() + Duration::from_secs(20);
    write_token(&home, "work", login_ends);
    let mut harness = app(profile("work"));
    run_until(&mut harness, "the connection", |harness| {
        harness.state().session().is_some()
    });
    ui_support::web_application(&harness);

    // The sample is picked and checked while the login holds.
    harness
        .get_by_role_and_label(Role::Button, "Revisions")
        .click();
    run_until(&mut harness, "the Revisions page", |harness| {
        harness.state().page() == Page::Revisions
    });
    run_until(&mut harness, "the applications", |harness| {
        harness.query_all_by_label("Application").any(|node| {
            egui_kittest::kittest::NodeT::accesskit_node(&node).role() == Role::ComboBox
        })
    });
    ui_support::choose(&mut harness, "Application", "web");
    harness
        .get_by_label("Bundle path")
        .set_text_value_accesskit(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sample-app"));
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, "Check")
        .click_accesskit();
    run_until(&mut harness, "the lint", |harness| {
        has_text(harness, "AppSpec checked: no problems found.")
    });
    assert!(harness.state().session().is_some());

    // The login runs out; the upload's first request says so, and the
    // whole app shows the login command in place of the page.
    run_until(&mut harness, "the login to run out", |_| {
        SystemTime::now() > login_ends
    });
    harness
        .get_by_role_and_label(Role::Button, "Upload and register")
        .click_accesskit();
    run_until(&mut harness, "the expired session message", |harness| {
        has_text(harness, "Your SSO session has expired")
    });
    assert!(has_text(&harness, "aws sso login --profile work"));
    assert!(harness.state().session().is_none());
    assert!(!has_text(&harness, "Registered s3://"));
}

#[test]
fn a_denied_permission_names_the_iam_action_to_ask_for() {
    let test = "a_denied_permission_names_the_iam_action_to_ask_for";
    let Some(home) = isolated_home(test) else {
        return;
    };
    let cloud = Cloud::start("codedeploy:ListApplications=deny;s3:PutObject=deny");
    keys_profile(&home, "limited", &cloud.url());

    let mut harness = app(profile("limited"));
    let expected =
        "Ask an administrator to allow codedeploy:ListApplications for your role or user.";
    run_until(&mut harness, "the permission message", |harness| {
        has_text(harness, expected)
    });
    assert!(has_text(
        &harness,
        "Permission denied: User: arn:aws:iam::000000000000:user/local-cloud is not authorized to perform: codedeploy:ListApplications"
    ));
    // The session itself is fine: only the one action is denied.
    assert!(harness.state().session().is_some());

    // An upload names s3:PutObject, the action a policy must allow.
    let session = harness.state().session().expect("connected");
    let error = ui_support::call(&harness, async {
        session
            .s3
            .create_bucket()
            .bucket("limited-bucket")
            .send()
            .await
            .expect("the bucket is made");
        session
            .s3
            .put_object()
            .bucket("limited-bucket")
            .key("app.zip")
            .body(Vec::from(&b"zip"[..]).into())
            .send()
            .await
            .map_err(|error| CloudError::from_sdk(&error, "PutObject", session.error_context()))
    })
    .expect_err("the upload is denied");
    assert!(
        error
            .to_string()
            .ends_with("Ask an administrator to allow s3:PutObject for your role or user."),
        "{error}"
    );
}

#[test]
fn no_network_says_the_endpoint_cannot_be_reached() {
    let test = "no_network_says_the_endpoint_cannot_be_reached";
    let Some(home) = isolated_home(test) else {
        return;
    };
    // A port nothing listens on: the connection is refused, as it is when
    // the network is down or the endpoint is not running.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    keys_profile(&home, "offline", &endpoint);

    let mut harness = app(profile("offline"));
    run_until(&mut harness, "the unreachable message", |harness| {
        has_text(
            harness,
            "Check the network connection, the region, or that the endpoint is running.",
        )
    });
    assert!(has_text(&harness, &format!("Could not reach {endpoint}")));
    assert!(has_text(&harness, "Not connected"));
    assert!(harness.state().session().is_none());
}

#[test]
fn a_misspelt_region_is_refused_at_the_field_with_the_region_meant() {
    let test = "a_misspelt_region_is_refused_at_the_field_with_the_region_meant";
    let Some(home) = isolated_home(test) else {
        return;
    };
    let cloud = Cloud::start("");
    keys_profile(&home, "local", &cloud.url());
    let mut harness = app(profile("local"));
    run_until(&mut harness, "the connection", |harness| {
        harness.state().session().is_some()
    });

    let enter_region = |harness: &mut Harness<'static, App>, region: &str| {
        let field = harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Region");
        field.focus();
        field.type_text(region);
        harness.step();
        harness.key_press(egui::Key::Enter);
        settle(harness);
    };
    enter_region(&mut harness, "eu-wset-1");
    assert!(has_text(
        &harness,
        "\"eu-wset-1\" is not an AWS region. Did you mean eu-west-1 (Europe (Ireland))?"
    ));
    // Nothing was switched, and what was typed is still there to correct.
    assert_eq!(harness.state().backend(), &profile("local"));
    assert_eq!(
        harness
            .state()
            .session()
            .map(|session| session.region().to_owned())
            .as_deref(),
        Some("us-east-1")
    );
    let field = harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Region");
    assert_eq!(
        egui_kittest::kittest::NodeT::accesskit_node(&field)
            .value()
            .as_deref(),
        Some("eu-wset-1")
    );

    // Select all and type the right region: the app switches to it.
    field.focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    enter_region(&mut harness, "eu-west-1");
    assert!(!has_text(&harness, "Did you mean"));
    assert_eq!(
        harness.state().backend(),
        &BackendChoice::Profile {
            profile: "local".to_owned(),
            region: Some("eu-west-1".to_owned()),
        }
    );
    run_until(&mut harness, "the connection in eu-west-1", |harness| {
        harness
            .state()
            .session()
            .is_some_and(|session| session.region() == "eu-west-1")
    });
}

#[test]
fn a_misspelt_region_on_the_command_line_is_refused_before_the_window_opens() {
    let output = Command::new(env!("CARGO_BIN_EXE_deploydesk"))
        .args(["--profile", "work", "--region", "eu-wset-1"])
        .output()
        .expect("deploydesk runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "invalid value 'eu-wset-1' for '--region <REGION>': \"eu-wset-1\" is not an AWS region. Did you mean eu-west-1 (Europe (Ireland))?"
        ),
        "{stderr}"
    );
}
