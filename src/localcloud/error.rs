//! Why the local cloud could not start, or could not do what was asked of
//! it as a whole (reset, save its state). Errors of single requests are
//! [`ApiError`](super::protocol::ApiError)s instead.

use std::path::PathBuf;

/// Why the local cloud could not start or do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum LocalCloudError {
    /// The port could not be bound.
    #[error(
        "Could not listen on 127.0.0.1:{port} ({source}); choose another port, or 0 for any free port."
    )]
    Bind {
        /// The port asked for.
        port: u16,
        /// What the system said.
        source: std::io::Error,
    },
    /// The state file exists but could not be read.
    #[error(
        "Could not read the saved state {} ({source}); check the file's permissions, or start without a state path.",
        .path.display()
    )]
    ReadState {
        /// The state file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The state file is damaged and could not be moved out of the way.
    #[error(
        "The saved state {} is damaged and could not be moved aside ({source}); move or delete it by hand.",
        .path.display()
    )]
    MoveAside {
        /// The state file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The state file could not be written or opened for appending.
    #[error(
        "Could not write the saved state {} ({source}); check the permissions of the state directory and the free space on its disk.",
        .path.display()
    )]
    WriteState {
        /// The state file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The state could not be encoded.
    #[error("Could not encode the local cloud's state ({0}); please report this as a bug.")]
    Encode(serde_json::Error),
    /// The directory for S3 object bodies could not be made.
    #[error(
        "Could not create the directory for S3 objects {} ({source}); check the permissions of the state directory.",
        .path.display()
    )]
    ObjectStore {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The folder for local instances could not be made.
    #[error(
        "Could not create the folder for local instances in {} ({source}); check that it is writable.",
        .path.display()
    )]
    LocalInstances {
        /// The directory it goes in.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}
