//! `deploydesk serve`'s entry point: the endpoint line comes first, the
//! state directory keeps the state, and a stop request ends it cleanly.

use crate::support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use deploydesk::localcloud::serve::{STATE_FILE, ServeArgs, run_until};
use support::{codedeploy_at, eventually};
use tokio::sync::oneshot;

/// Output that the test can read while `serve` writes it.
#[derive(Clone, Default)]
struct SharedOutput(Arc<Mutex<Vec<u8>>>);

impl SharedOutput {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }
}

impl Write for SharedOutput {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts `serve` in the background; returns its output, the endpoint it
/// printed, a way to stop it, and its task.
async fn serve(
    args: ServeArgs,
) -> (
    SharedOutput,
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let output = SharedOutput::default();
    let (stop, stopped) = oneshot::channel::<()>();
    let writer = output.clone();
    let task = tokio::spawn(run_until(
        args,
        async move {
            let _ = stopped.await;
        },
        writer,
    ));
    eventually("serve prints its endpoint", || output.text().contains('\n')).await;
    let text = output.text();
    let first = text.lines().next().expect("a first line");
    let endpoint = first
        .strip_prefix("endpoint: ")
        .unwrap_or_else(|| panic!("the first line is the endpoint: {text:?}"))
        .to_owned();
    (output, endpoint, stop, task)
}

#[tokio::test]
async fn serve_prints_the_endpoint_first_and_keeps_state_in_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let args = ServeArgs {
        port: 0,
        state_dir: Some(dir.path().to_owned()),
        event_ms: 50,
        minute_ms: 1000,
        fleet: 0,
        fleet_gaps: false,
        faults: None,
    };
    let (_output, endpoint, stop, task) = serve(args.clone()).await;
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let client = codedeploy_at(&endpoint, "us-east-1").await;
    client
        .create_application()
        .application_name("from-serve")
        .send()
        .await
        .unwrap();
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert!(
        std::fs::read_to_string(dir.path().join(STATE_FILE))
            .unwrap()
            .contains("from-serve")
    );

    // A second run sees the state, and a damaged file is reported on stdout.
    let (_output, endpoint, stop, task) = serve(args.clone()).await;
    let client = codedeploy_at(&endpoint, "us-east-1").await;
    let names = client.list_applications().send().await.unwrap();
    assert_eq!(names.applications(), ["from-serve"]);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    std::fs::write(dir.path().join(STATE_FILE), "garbage").unwrap();
    let (output, _endpoint, stop, task) = serve(args).await;
    eventually("serve prints the notice", || {
        output.text().contains("notice:")
    })
    .await;
    let text = output.text();
    assert!(
        text.lines().nth(1).unwrap().contains("was damaged"),
        "{text}"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn serve_without_a_state_dir_keeps_nothing_on_disk() {
    let args = ServeArgs::default();
    assert_eq!(args.options().state_path, None);
    let (_output, endpoint, stop, task) = serve(args).await;
    let client = codedeploy_at(&endpoint, "us-east-1").await;
    assert!(support::application_names(&client).await.is_empty());
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[test]
fn serve_arguments_parse_as_documented() {
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }
    let parsed = Cli::parse_from(["serve", "--port", "4566", "--state-dir", "/tmp/cloud"]);
    assert_eq!(parsed.serve.port, 4566);
    assert_eq!(
        parsed.serve.options().state_path,
        Some(std::path::Path::new("/tmp/cloud").join(STATE_FILE))
    );
    let defaults = Cli::parse_from(["serve"]);
    assert_eq!(defaults.serve, ServeArgs::default());
    assert_eq!(
        defaults.serve.options().minute,
        std::time::Duration::from_mins(1)
    );
    let fast = Cli::parse_from(["serve", "--minute-ms", "500"]);
    assert_eq!(
        fast.serve.options().minute,
        std::time::Duration::from_millis(500)
    );
    assert!(Cli::try_parse_from(["serve", "--minute-ms", "0"]).is_err());
}
