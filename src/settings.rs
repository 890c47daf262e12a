//! Persisted user settings: window size, last page and backend choice.
//!
//! Settings live as JSON in the platform's config directory and are written
//! atomically (a temporary file, then a rename) on a background thread, so the
//! UI never waits for the disk. A file that cannot be read never stops the
//! app: it is moved aside, the app starts with defaults, and the caller gets a
//! notice to show once. Credentials are never part of the settings.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use serde::{Deserialize, Serialize};

/// The settings file's name inside the config directory.
pub const SETTINGS_FILE: &str = "settings.json";

/// The pages of the app, in the order the navigation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Page {
    /// Applications and their deployment groups.
    #[default]
    Applications,
    /// Deployments and the live rollout view.
    Deployments,
    /// Application revisions and bundles.
    Revisions,
    /// Setup wizards.
    Setup,
    /// The rollout planner.
    RolloutPlanner,
}

impl Page {
    /// Every page, in navigation order.
    pub const ALL: [Self; 5] = [
        Self::Applications,
        Self::Deployments,
        Self::Revisions,
        Self::Setup,
        Self::RolloutPlanner,
    ];

    /// The page's title as the navigation shows it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Applications => "Applications",
            Self::Deployments => "Deployments",
            Self::Revisions => "Revisions",
            Self::Setup => "Setup",
            Self::RolloutPlanner => "Rollout planner",
        }
    }
}

/// The colour theme the person chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Theme {
    /// Follow the operating system's light or dark mode.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// Which AWS the app talks to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackendChoice {
    /// The built-in local cloud; no account needed.
    #[default]
    Demo,
    /// A named profile from the standard AWS config files.
    Profile {
        /// The profile's name.
        profile: String,
        /// The region, or `None` for the profile's own.
        region: Option<String>,
    },
    /// Any AWS-compatible endpoint.
    Endpoint {
        /// The endpoint URL.
        url: String,
        /// The region to sign requests for.
        region: Option<String>,
    },
}

impl BackendChoice {
    /// A short description for the top bar.
    pub fn label(&self) -> String {
        match self {
            Self::Demo => "Demo — local cloud".to_owned(),
            Self::Profile { profile, region } => match region {
                Some(region) => format!("AWS profile {profile} · {region}"),
                None => format!("AWS profile {profile}"),
            },
            Self::Endpoint { url, region } => match region {
                Some(region) => format!("Endpoint {url} · {region}"),
                None => format!("Endpoint {url}"),
            },
        }
    }
}

/// Everything DeployDesk remembers between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The window's inner size in points.
    pub window_size: [f32; 2],
    /// The page that was open last.
    pub last_page: Page,
    /// The backend chosen last.
    pub backend: BackendChoice,
    /// Whether a desktop notification says when a watched deployment ends.
    pub notify_on_finish: bool,
    /// Whether the guided demo was taken or dismissed, so its welcome is
    /// not offered again (until the demo account is reset).
    pub tour_done: bool,
    /// The colour theme. A name this version does not know (one from a
    /// newer version, say) is read as the system's theme.
    #[serde(deserialize_with = "theme_or_system")]
    pub theme: Theme,
    /// How much larger (or smaller) than normal text and controls are drawn;
    /// 1.0 is normal size.
    pub text_scale: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            window_size: [1280.0, 800.0],
            last_page: Page::default(),
            backend: BackendChoice::default(),
            notify_on_finish: true,
            tour_done: false,
            theme: Theme::default(),
            text_scale: 1.0,
        }
    }
}

impl Settings {
    /// The smallest window size that is restored; anything smaller (or not a
    /// finite number) is replaced by the default.
    const MIN_WINDOW: [f32; 2] = [480.0, 320.0];

    /// The smallest text scale offered.
    pub const MIN_TEXT_SCALE: f32 = 0.5;
    /// The largest text scale offered.
    pub const MAX_TEXT_SCALE: f32 = 3.0;
    /// How much one step (Ctrl+Plus, Ctrl+Minus) changes the text scale.
    pub const TEXT_SCALE_STEP: f32 = 1.0 / Self::TEXT_SCALE_STEPS_PER_UNIT;
    /// Steps per 100%; dividing by this keeps 1.3 from coming out 1.3000001.
    const TEXT_SCALE_STEPS_PER_UNIT: f32 = 10.0;

    /// A text scale that can be used: within the limits and rounded to
    /// whole steps; anything that is not a finite number is normal size.
    pub fn usable_text_scale(scale: f32) -> f32 {
        if !scale.is_finite() {
            return 1.0;
        }
        let steps = (scale * Self::TEXT_SCALE_STEPS_PER_UNIT).round();
        (steps / Self::TEXT_SCALE_STEPS_PER_UNIT).clamp(Self::MIN_TEXT_SCALE, Self::MAX_TEXT_SCALE)
    }

    /// Returns the settings with values that could not be used replaced.
    fn sanitized(mut self) -> Self {
        let [width, height] = self.window_size;
        if !(width.is_finite() && height.is_finite())
            || width < Self::MIN_WINDOW[0]
            || height < Self::MIN_WINDOW[1]
        {
            self.window_size = Self::default().window_size;
        }
        self.text_scale = Self::usable_text_scale(self.text_scale);
        self
    }
}

/// Reads a theme by name; a name that is not known is the system's theme.
fn theme_or_system<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Theme, D::Error> {
    let name = String::deserialize(deserializer)?;
    Ok(match name.as_str() {
        "Light" => Theme::Light,
        "Dark" => Theme::Dark,
        _ => Theme::System,
    })
}

/// The platform's config directory for DeployDesk, if the platform has one.
pub fn default_config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("dev", "DeployDesk", "DeployDesk")
        .map(|dirs| dirs.config_dir().to_path_buf())
}

/// Loads settings from `path`. A missing file gives defaults quietly; a file
/// that cannot be read or parsed gives defaults and a notice to show once,
/// and is moved aside (to `*.unreadable`) so the next start is quiet and the
/// old content is not lost.
pub fn load(path: &Path) -> (Settings, Option<String>) {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return (Settings::default(), None);
        }
        Err(error) => {
            let notice = format!(
                "Could not read the settings file {} ({error}); starting with default settings.",
                path.display()
            );
            return (Settings::default(), Some(notice));
        }
    };
    match serde_json::from_str::<Settings>(&text) {
        Ok(settings) => (settings.sanitized(), None),
        Err(error) => {
            let aside = path.with_extension("json.unreadable");
            let moved = fs::rename(path, &aside).is_ok();
            let where_now = if moved {
                format!(" The old file was kept as {}.", aside.display())
            } else {
                String::new()
            };
            let notice = format!(
                "The settings file {} was damaged ({error}); starting with default settings.{where_now}",
                path.display()
            );
            (Settings::default(), Some(notice))
        }
    }
}

/// Writes `settings` to `path` atomically: into a temporary file in the same
/// directory, flushed to disk, then renamed over the old file.
pub fn save(path: &Path, settings: &Settings) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("the settings path has no directory"))?;
    fs::create_dir_all(dir)?;
    let json = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?;
    let temporary = path.with_extension("json.tmp");
    {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(&json)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)
}

/// Saves settings on a background thread so that the UI never touches the
/// disk. Only the newest pending settings are written.
pub struct SettingsStore {
    path: Option<PathBuf>,
    sender: Option<mpsc::Sender<Settings>>,
    writer: Option<thread::JoinHandle<()>>,
    last_sent: Option<Settings>,
}

impl SettingsStore {
    /// A store that writes to `path`, or keeps nothing when `path` is `None`.
    pub fn new(path: Option<PathBuf>) -> Self {
        let Some(target) = path.clone() else {
            return Self {
                path,
                sender: None,
                writer: None,
                last_sent: None,
            };
        };
        let (sender, receiver) = mpsc::channel::<Settings>();
        let writer = thread::Builder::new()
            .name("settings-writer".to_owned())
            .spawn(move || {
                while let Ok(mut settings) = receiver.recv() {
                    // Skip to the newest settings if several are queued.
                    while let Ok(newer) = receiver.try_recv() {
                        settings = newer;
                    }
                    if let Err(error) = save(&target, &settings) {
                        tracing::warn!("could not save settings to {}: {error}", target.display());
                    }
                }
            })
            .ok();
        Self {
            path,
            sender: Some(sender),
            writer,
            last_sent: None,
        }
    }

    /// Where the settings are written, if anywhere.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Queues `settings` to be written if they differ from the last ones.
    pub fn save(&mut self, settings: &Settings) {
        if self.last_sent.as_ref() == Some(settings) {
            return;
        }
        if let Some(sender) = &self.sender
            && sender.send(settings.clone()).is_ok()
        {
            self.last_sent = Some(settings.clone());
        }
    }

    /// Writes everything queued and waits for the writer to finish.
    pub fn flush(&mut self) {
        self.sender = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Drop for SettingsStore {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_without_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let (settings, notice) = load(&dir.path().join(SETTINGS_FILE));
        assert_eq!(settings, Settings::default());
        assert!(notice.is_none());
    }

    #[test]
    fn saved_settings_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(SETTINGS_FILE);
        let settings = Settings {
            window_size: [900.0, 700.0],
            last_page: Page::RolloutPlanner,
            backend: BackendChoice::Profile {
                profile: "ops".to_owned(),
                region: Some("eu-west-1".to_owned()),
            },
            notify_on_finish: false,
            tour_done: true,
            theme: Theme::Dark,
            text_scale: 1.3,
        };
        save(&path, &settings).unwrap();
        assert_eq!(load(&path), (settings, None));
        assert!(!path.with_extension("json.tmp").exists());
    }

    #[test]
    fn damaged_file_gives_defaults_and_one_notice_and_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        fs::write(&path, b"{ this is not json").unwrap();
        let (settings, notice) = load(&path);
        assert_eq!(settings, Settings::default());
        let notice = notice.unwrap();
        assert!(notice.contains("damaged"), "{notice}");
        assert!(path.with_extension("json.unreadable").exists());
        // The second start is quiet.
        assert_eq!(load(&path), (Settings::default(), None));
    }

    #[test]
    fn unusable_window_size_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        fs::write(
            &path,
            br#"{"window_size":[-5.0, 10.0],"last_page":"Setup"}"#,
        )
        .unwrap();
        let (settings, notice) = load(&path);
        assert!(notice.is_none());
        assert_eq!(
            settings,
            Settings {
                last_page: Page::Setup,
                ..Settings::default()
            }
        );
        assert_eq!(settings.last_page, Page::Setup);
    }

    #[test]
    fn text_scale_out_of_range_is_clamped_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        for (saved, loaded) in [
            ("0.1", 0.5),
            ("-2", 0.5),
            ("12.5", 3.0),
            ("1.26", 1.3),
            ("2.0", 2.0),
        ] {
            fs::write(&path, format!(r#"{{"text_scale":{saved}}}"#)).unwrap();
            let (settings, notice) = load(&path);
            assert!(notice.is_none(), "{saved}: {notice:?}");
            assert!(
                (settings.text_scale - loaded).abs() < 1e-4,
                "{saved} loads as {}, not {loaded}",
                settings.text_scale
            );
        }
    }

    #[test]
    fn text_scale_that_is_not_a_number_is_normal_size() {
        assert!((Settings::usable_text_scale(f32::NAN) - 1.0).abs() < f32::EPSILON);
        assert!((Settings::usable_text_scale(f32::INFINITY) - 1.0).abs() < f32::EPSILON);
        // JSON has no NaN: a null is a damaged file, not a silent default.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        fs::write(&path, br#"{"text_scale":null}"#).unwrap();
        assert!(load(&path).1.is_some());
    }

    #[test]
    fn older_settings_without_theme_or_scale_get_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        fs::write(&path, br#"{"last_page":"Revisions","tour_done":true}"#).unwrap();
        let (settings, notice) = load(&path);
        assert!(notice.is_none());
        assert_eq!(settings.theme, Theme::System);
        assert!((settings.text_scale - 1.0).abs() < f32::EPSILON);
        assert!(settings.tour_done);
    }

    #[test]
    fn unknown_theme_is_the_system_theme_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        fs::write(&path, br#"{"theme":"HighContrast","tour_done":true}"#).unwrap();
        let (settings, notice) = load(&path);
        assert!(notice.is_none());
        assert_eq!(settings.theme, Theme::System);
        assert!(settings.tour_done);
        fs::write(&path, br#"{"theme":"Light"}"#).unwrap();
        assert_eq!(load(&path).0.theme, Theme::Light);
    }

    #[test]
    fn store_writes_in_the_background_and_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        let mut store = SettingsStore::new(Some(path.clone()));
        let settings = Settings {
            last_page: Page::Revisions,
            ..Settings::default()
        };
        store.save(&settings);
        store.flush();
        assert_eq!(load(&path).0, settings);
    }

    #[test]
    fn settings_never_hold_credentials() {
        let json = serde_json::to_string(&Settings {
            backend: BackendChoice::Profile {
                profile: "p".to_owned(),
                region: None,
            },
            ..Settings::default()
        })
        .unwrap();
        for word in ["secret", "access_key", "session_token", "password"] {
            assert!(!json.to_lowercase().contains(word), "{json}");
        }
    }
}
