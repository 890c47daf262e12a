//! The log file: our events reach it, credentials never do, and the SDK's
//! and HTTP crates' debug output stays out of it whatever `RUST_LOG` says.
//!
//! A process can install its global logger once, so only
//! `init_writes_our_events_and_no_credentials` calls `logging::init`; the
//! other tests install the file layer for their own thread only.

use std::path::Path;

use deploydesk::logging;
use tracing_subscriber::layer::SubscriberExt;

/// A secret access key in the shape AWS documents as an example.
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// An access key id in the shape AWS documents as an example.
const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
/// A session token's opening, as STS hands them out.
const SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";
/// A signature version 4 signature.
const SIGNATURE: &str = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

/// A signature version 4 `Authorization` header line as the SDK's signer could log it.
fn authorization_line() -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20250131/us-east-1/codedeploy/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={SIGNATURE}"
    )
}

/// The text of every log file in `dir`, which must hold at least one.
fn read_log_files(dir: &Path) -> String {
    let mut text = String::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir).expect("the log folder exists") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        assert!(
            name.starts_with("deploydesk.log."),
            "unexpected file in the log folder: {name}"
        );
        text.push_str(&std::fs::read_to_string(&path).expect("the log file reads"));
        files += 1;
    }
    assert_eq!(files, 1, "one daily file");
    text
}

/// Asserts that no credential appears in `text`.
fn assert_no_credentials(text: &str) {
    for secret in [SECRET_KEY, ACCESS_KEY_ID, SESSION_TOKEN, SIGNATURE] {
        assert!(
            !text.contains(secret),
            "{secret} leaked into the log:\n{text}"
        );
    }
}

#[test]
fn init_writes_our_events_and_no_credentials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_dir = dir.path().join("logs");
    // As if RUST_LOG=trace: everything of ours, the SDK capped at info.
    let guard = logging::init(Some(&log_dir), "trace");

    tracing::debug!(
        target: "deploydesk::cloud::session",
        "connected as {ACCESS_KEY_ID} with aws_secret_access_key={SECRET_KEY} aws_session_token={SESSION_TOKEN}"
    );
    tracing::trace!(
        target: "deploydesk::cloud::session",
        header = %authorization_line(),
        "signed the request"
    );
    tracing::info!(target: "deploydesk::ui", "the window opened");
    tracing::debug!(target: "aws_sigv4::http_request::sign", "{}", authorization_line());
    tracing::trace!(
        target: "aws_smithy_runtime::client::orchestrator",
        "request headers: {{\"x-amz-security-token\": \"{SESSION_TOKEN}\"}}"
    );
    tracing::info!(
        target: "aws_config::profile",
        "loaded credentials: aws_secret_access_key = {SECRET_KEY}"
    );
    drop(guard);

    let text = read_log_files(&log_dir);
    assert_no_credentials(&text);
    // Our events are there at every level, masked.
    assert!(text.contains("connected as <redacted> with aws_secret_access_key=<redacted>"));
    assert!(text.contains("signed the request"), "{text}");
    assert!(text.contains("header=Authorization: <redacted>"), "{text}");
    assert!(text.contains("the window opened"));
    // The SDK's debug and trace events are not written at all; its info
    // events are, masked.
    assert!(!text.contains("aws_sigv4"), "{text}");
    assert!(!text.contains("aws_smithy_runtime"), "{text}");
    assert!(text.contains("loaded credentials: aws_secret_access_key = <redacted>"));
    // No colour codes in the file.
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn rust_log_cannot_lift_the_cap_on_sdk_and_http_targets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (layer, guard) = logging::file_layer(
        dir.path(),
        "trace,aws_sigv4=trace,aws_smithy_runtime=trace,hyper_util=trace,h2=trace",
    )
    .expect("the log file opens");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::debug!(target: "aws_sigv4::http_request::sign", "{}", authorization_line());
        tracing::trace!(target: "aws_smithy_runtime::client", "debug of the request");
        tracing::debug!(target: "hyper_util::client::legacy", "sending headers");
        tracing::trace!(target: "h2::codec", "frame with headers");
        tracing::info!(target: "aws_sigv4", "the signer is ready");
        tracing::debug!(target: "deploydesk::cloud::watcher", "poll 3 found no change");
    });
    drop(guard);

    let text = read_log_files(dir.path());
    assert_no_credentials(&text);
    assert!(text.contains("poll 3 found no change"), "{text}");
    assert!(text.contains("the signer is ready"), "{text}");
    for absent in [
        "debug of the request",
        "sending headers",
        "frame with headers",
    ] {
        assert!(!text.contains(absent), "{absent} should be capped:\n{text}");
    }
}

#[test]
fn a_log_folder_that_cannot_be_created_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").expect("write");
    let result = logging::file_layer::<tracing_subscriber::Registry>(&file.join("logs"), "info");
    assert!(result.is_err());
}
