//! Keeping the world on disk: loading it at start, moving a damaged file
//! aside, and saving after each change on a task of its own.
//!
//! The state file is JSON: `{"format": 1, "world": {...}}`. It is written
//! atomically: into a temporary file in the same directory, flushed, then
//! renamed over the old file, so a crash leaves either the old or the new
//! state, never half of one. When changes come faster than the disk, only
//! the newest state is written.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::LocalCloudError;
use super::world::World;

/// The version of the state file's layout.
pub const STATE_FORMAT: u32 = 1;

/// Messages for the person running the local cloud, such as a damaged state
/// file that was moved aside. Shared between the saver and the cloud.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    messages: Arc<Mutex<Vec<String>>>,
}

impl Notices {
    /// Adds a notice.
    pub fn push(&self, message: String) {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message);
    }

    /// Adds a notice unless the same one is already there, so that a problem
    /// that repeats on every request is reported once.
    pub fn push_once(&self, message: String) {
        let mut messages = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
        if !messages.contains(&message) {
            messages.push(message);
        }
    }

    /// Every notice so far, oldest first.
    pub fn all(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The state file as written.
#[derive(Debug, Serialize, Deserialize)]
struct StateFile {
    format: u32,
    world: World,
}

/// Borrowed form of [`StateFile`] for writing without a copy.
#[derive(Serialize)]
struct StateFileRef<'a> {
    format: u32,
    world: &'a World,
}

/// Encodes the world as the state file's bytes.
pub fn encode(world: &World) -> Result<Vec<u8>, LocalCloudError> {
    serde_json::to_vec(&StateFileRef {
        format: STATE_FORMAT,
        world,
    })
    .map_err(LocalCloudError::Encode)
}

/// Reads the world from `path`. A missing file gives an empty world. A file
/// that cannot be understood is moved aside to `<file>.damaged-<unix time>`
/// and an empty world is returned with a notice saying so.
pub fn load(path: &Path) -> Result<(World, Option<String>), LocalCloudError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok((World::default(), None));
        }
        Err(source) => {
            return Err(LocalCloudError::ReadState {
                path: path.to_owned(),
                source,
            });
        }
    };
    let problem = match serde_json::from_slice::<StateFile>(&bytes) {
        Ok(state) if state.format == STATE_FORMAT => return Ok((state.world, None)),
        Ok(state) => format!(
            "it has format {} and this version of DeployDesk reads format {STATE_FORMAT}",
            state.format
        ),
        Err(error) => error.to_string(),
    };
    let aside = damaged_path(path);
    fs::rename(path, &aside).map_err(|source| LocalCloudError::MoveAside {
        path: path.to_owned(),
        source,
    })?;
    let notice = format!(
        "The saved state in {} was damaged ({problem}) and was moved to {}; starting empty.",
        path.display(),
        aside.display()
    );
    Ok((World::default(), Some(notice)))
}

/// A free name beside `path` for a damaged state file.
fn damaged_path(path: &Path) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let base = format!("{}.damaged-{seconds}", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut counter = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}-{counter}"));
        counter += 1;
    }
    candidate
}

/// Writes `bytes` to `path` atomically, creating its directory if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(directory) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(directory)?;
    }
    let mut temporary_name = path.as_os_str().to_owned();
    temporary_name.push(".saving");
    let temporary = PathBuf::from(temporary_name);
    {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path)
}

/// The sending side of the saver task: queues states to be written.
#[derive(Debug)]
pub struct Saver {
    sender: watch::Sender<Option<Arc<[u8]>>>,
    task: JoinHandle<()>,
}

impl Saver {
    /// Starts the saver task on the current runtime, writing to `path` and
    /// reporting failures in `notices`.
    pub fn spawn(path: PathBuf, notices: Notices) -> Self {
        let (sender, mut receiver) = watch::channel::<Option<Arc<[u8]>>>(None);
        let task = tokio::spawn(async move {
            let mut failing = false;
            // `changed` still reports a state queued just before the sender
            // was dropped, so the last change is always written.
            while receiver.changed().await.is_ok() {
                let Some(bytes) = receiver.borrow_and_update().clone() else {
                    continue;
                };
                let target = path.clone();
                let written =
                    tokio::task::spawn_blocking(move || write_atomically(&target, &bytes)).await;
                match written {
                    Ok(Ok(())) => failing = false,
                    Ok(Err(error)) if !failing => {
                        failing = true;
                        let message = format!(
                            "Could not save the local cloud's state to {} ({error}); changes are kept in memory and saving is tried again on the next change.",
                            path.display()
                        );
                        tracing::warn!("{message}");
                        notices.push(message);
                    }
                    Ok(Err(_)) => {}
                    Err(error) => tracing::warn!("the state writer stopped: {error}"),
                }
            }
        });
        Self { sender, task }
    }

    /// Queues `world` to be written.
    pub fn queue(&self, world: &World) -> Result<(), LocalCloudError> {
        if self.sender.is_closed() {
            return Err(LocalCloudError::SaverStopped);
        }
        let bytes = encode(world)?;
        self.sender.send_replace(Some(Arc::from(bytes)));
        Ok(())
    }

    /// Waits until everything queued is written, then stops the task.
    pub async fn finish(self) {
        drop(self.sender);
        if let Err(error) = self.task.await {
            tracing::warn!("the state saver stopped abnormally: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_an_empty_world_without_notice() {
        let dir = tempfile::tempdir().unwrap();
        let (world, notice) = load(&dir.path().join("state.json")).unwrap();
        assert_eq!(world, World::default());
        assert_eq!(notice, None);
    }

    #[test]
    fn written_state_loads_back_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.json");
        let mut world = World::default();
        world.codedeploy.revision_sequence = 7;
        write_atomically(&path, &encode(&world).unwrap()).unwrap();
        assert_eq!(load(&path).unwrap(), (world, None));
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn damaged_file_is_moved_aside_with_a_notice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"{\"format\": 1, \"world\": ").unwrap();
        let (world, notice) = load(&path).unwrap();
        assert_eq!(world, World::default());
        let notice = notice.unwrap();
        assert!(notice.contains("damaged"), "{notice}");
        assert!(notice.contains("starting empty"), "{notice}");
        assert!(!path.exists());
        let aside: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(aside.len(), 1);
        assert!(aside[0].starts_with("state.json.damaged-"), "{aside:?}");
        assert!(notice.contains(&aside[0]), "{notice}");
    }

    #[test]
    fn a_newer_format_is_not_read_as_this_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, b"{\"format\": 99, \"world\": {}}").unwrap();
        let (_, notice) = load(&path).unwrap();
        assert!(notice.unwrap().contains("format 99"));
    }

    #[tokio::test]
    async fn saver_writes_the_last_queued_state_before_finishing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let saver = Saver::spawn(path.clone(), Notices::default());
        let mut world = World::default();
        for sequence in 1..=20 {
            world.codedeploy.revision_sequence = sequence;
            saver.queue(&world).unwrap();
        }
        saver.finish().await;
        assert_eq!(load(&path).unwrap().0.codedeploy.revision_sequence, 20);
    }

    #[tokio::test]
    async fn a_failing_disk_gives_one_notice() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be makes every write fail.
        let path = dir.path().join("state.json");
        fs::create_dir(&path).unwrap();
        let notices = Notices::default();
        let saver = Saver::spawn(path, notices.clone());
        saver.queue(&World::default()).unwrap();
        saver.finish().await;
        let all = notices.all();
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(all[0].contains("Could not save"), "{all:?}");
    }
}
