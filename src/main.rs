//! The `deploydesk` binary: the desktop app, and `deploydesk serve`, the
//! local cloud without a window.

use std::sync::Arc;

use clap::{Parser, Subcommand};
use deploydesk::embedded::EmbeddedLocalCloud;
use deploydesk::localcloud::serve::{self, ServeArgs};
use deploydesk::settings::{self, BackendChoice};
use deploydesk::ui::{App, AppOptions};

/// DeployDesk: a desktop console for AWS CodeDeploy.
///
/// With no command it opens the window on the demo account, which runs on the
/// built-in local cloud (or on the account chosen last). Give a profile, a
/// region or an endpoint to talk to AWS or any AWS-compatible endpoint.
#[derive(Debug, Parser)]
#[command(name = "deploydesk", version, about, long_about)]
struct Cli {
    /// An AWS profile from the standard AWS config files.
    #[arg(long)]
    profile: Option<String>,
    /// The AWS region, e.g. eu-west-1.
    #[arg(long)]
    region: Option<String>,
    /// A custom AWS-compatible endpoint, such as `http://127.0.0.1:4566`.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local cloud headless: an AWS-compatible CodeDeploy and EC2
    /// endpoint on 127.0.0.1 for the AWS CLI, SDKs and tests. Prints its endpoint URL on
    /// the first line; stops on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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
        Box::new(move |cc| Ok(Box::new(App::with_settings(cc, loaded, notice, options)))),
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
