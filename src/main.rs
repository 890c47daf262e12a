//! The `deploydesk` binary: the desktop app, and `deploydesk serve`, the
//! local cloud without a window.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::serve::{self, ServeArgs};
use deploydesk::logging;
use deploydesk::settings::{self, BackendChoice};
use deploydesk::ui::frame_report::{self, FrameReport};
use deploydesk::ui::{App, AppOptions};

/// DeployDesk: a desktop console for AWS CodeDeploy.
///
/// With no command it opens the window on the demo account, which runs on the
/// built-in local cloud (or on the account chosen last). Give a profile, a
/// region or an endpoint to talk to AWS or any AWS-compatible endpoint.
///
/// The window logs to the terminal and to daily files
/// `deploydesk.log.YYYY-MM-DD` in the app's data folder (on Linux
/// `~/.local/share/deploydesk/logs`; Settings > Open logs folder), keeping
/// the last seven. Credentials are masked in both. `RUST_LOG` sets the
/// level (default info).
///
/// With `DEPLOYDESK_REPORT_FRAMES=1` the window prints `first-frame-ms N` when
/// its first frame is on screen and `frames N` every second, for the
/// start-up benchmark.
#[derive(Debug, Parser)]
#[command(name = "deploydesk", version, about, long_about)]
struct Cli {
    /// An AWS profile from the standard AWS config files.
    #[arg(long)]
    profile: Option<String>,
    /// The AWS region, e.g. eu-west-1. A misspelt region is refused with
    /// the region it is closest to.
    #[arg(long, value_parser = parse_region)]
    region: Option<String>,
    /// A custom AWS-compatible endpoint, such as `http://127.0.0.1:4566`.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Write daily log files into DIR. The window logs there instead of its
    /// data folder; `serve` logs to the terminal only unless given this.
    #[arg(long, value_name = "DIR", global = true)]
    log_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local cloud headless: an AWS-compatible CodeDeploy and EC2
    /// endpoint on 127.0.0.1 for the AWS CLI, SDKs and tests. Prints its endpoint URL on
    /// the first line; stops on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Deploy a bundle on this machine as the CodeDeploy agent would, with
    /// every hook run for real inside a sandbox (bubblewrap) whose `/` is
    /// the instance folder. Prints each event as it ends; exits non-zero
    /// with the failing script's log tail when one fails.
    RunLocal(deploydesk::runner::cli::RunLocalArgs),
}

/// Checks a region given on the command line.
fn parse_region(text: &str) -> Result<String, String> {
    deploydesk::domain::regions::check_region(text)
        .map(str::to_owned)
        .map_err(|error| error.to_string())
}

impl Cli {
    /// The backend the command line asks for, if any.
    fn backend(&self) -> Option<BackendChoice> {
        if let Some(url) = &self.endpoint_url {
            return Some(BackendChoice::Endpoint {
                url: url.clone(),
                region: self.region.clone(),
            });
        }
        if self.profile.is_some() || self.region.is_some() {
            return Some(BackendChoice::Profile {
                profile: self.profile.clone().unwrap_or_else(|| "default".to_owned()),
                region: self.region.clone(),
            });
        }
        None
    }
}

fn main() -> anyhow::Result<()> {
    frame_report::mark_process_start();
    let cli = Cli::parse();
    // The headless server logs to the terminal only unless asked; the
    // window also logs to its data folder. The guard lives until `main`
    // returns, so the last lines reach the file.
    let log_dir = match (&cli.log_dir, &cli.command) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(Command::Serve(_) | Command::RunLocal(_))) => None,
        (None, None) => logging::default_log_dir(),
    };
    let log_guard = logging::init(log_dir.as_deref(), &logging::directives_from_env());
    if let Some(Command::RunLocal(args)) = &cli.command {
        // A bundle in S3 comes from the account asked for, or else the one
        // the app used last.
        let backend = cli.backend().or_else(|| {
            AppOptions::from_platform(None, None)
                .settings_path
                .map(|path| settings::load(&path).0.backend)
        });
        let code = deploydesk::runner::cli::run_local_from(args, backend.as_ref());
        drop(log_guard);
        std::process::exit(code);
    }
    if let Some(Command::Serve(args)) = cli.command {
        let runtime = tokio::runtime::Runtime::new()?;
        return runtime.block_on(serve::run(args));
    }
    run_app(&cli)
}

/// The window icon: the 256 px rendering of `assets/icon.svg`.
const WINDOW_ICON_PNG: &[u8] = include_bytes!("../assets/icon-256.png");

fn run_app(cli: &Cli) -> anyhow::Result<()> {
    let local_cloud = Arc::new(EmbeddedLocalCloud::new(
        EmbeddedLocalCloud::default_state_path(),
    ));
    let options = AppOptions::from_platform(cli.backend(), Some(local_cloud));
    let (loaded, notice) = match &options.settings_path {
        Some(path) => settings::load(path),
        None => (settings::Settings::default(), None),
    };
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("DeployDesk")
        .with_app_id("deploydesk")
        .with_inner_size(loaded.window_size)
        .with_min_inner_size([720.0, 480.0]);
    // The same artwork as the installed desktop icon. The PNG is built into the
    // binary, so a decoding failure is a packaging bug: keep eframe's default
    // icon rather than refuse to start.
    match eframe::icon_data::from_png_bytes(WINDOW_ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(error) => tracing::warn!("could not decode the window icon: {error}"),
    }
    let native_options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "DeployDesk",
        native_options,
        Box::new(move |cc| {
            let app = App::with_settings(cc, loaded, notice, options);
            Ok(Box::new(FrameReport::new(
                app,
                frame_report::report_requested(),
            )))
        }),
    )
    .map_err(|error| anyhow::anyhow!("could not open the DeployDesk window: {error}"))
}

#[cfg(test)]
mod tests {
    use super::WINDOW_ICON_PNG;

    #[test]
    fn window_icon_decodes_to_an_opaque_256_pixel_square() {
        let icon = eframe::icon_data::from_png_bytes(WINDOW_ICON_PNG).expect("icon decodes");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
        // The centre of the icon is inside the dark rounded square, so it is opaque.
        let centre = ((128 * 256 + 128) * 4) as usize;
        assert_eq!(icon.rgba[centre + 3], 255);
    }
}
