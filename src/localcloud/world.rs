//! The world: everything the local cloud remembers, shared by all requests
//! behind one lock.
//!
//! The lock is a plain mutex that is only taken inside synchronous code, so
//! it is never held across an `.await` (the compiler would refuse: its guard
//! cannot be sent between threads). After an operation changes the world,
//! the new state is encoded while the lock is held and handed to the saver,
//! which writes it to disk on its own task; no disk I/O ever happens under
//! the lock.

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use super::LocalCloudError;
use super::codedeploy::CodeDeployState;
use super::ec2::Ec2State;
use super::iam::IamState;
use super::persist::{Notices, Saver};
use super::s3::S3State;

/// Everything the local cloud remembers, one part per service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    /// CodeDeploy's applications, groups, configurations, revisions and
    /// on-premises instances.
    pub codedeploy: CodeDeployState,
    /// EC2's instances.
    pub ec2: Ec2State,
    /// IAM's roles, policies and instance profiles.
    pub iam: IamState,
    /// S3's buckets and object metadata (the bodies are in the blob store).
    pub s3: S3State,
}

/// The world behind its lock, with the saver that keeps it on disk.
#[derive(Debug)]
pub struct SharedWorld {
    /// The world itself.
    world: Mutex<World>,
    /// The saver, when the state is kept on disk; `None` in memory only or
    /// after shutdown.
    saver: Mutex<Option<Saver>>,
    /// Where problems with saving are reported.
    notices: Notices,
}

/// Takes a lock, recovering the data if a thread panicked while holding it:
/// every change to the world is made on a copy or completed in one step, so
/// the data is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SharedWorld {
    /// Shares `world`, saving changes through `saver` if there is one.
    pub fn new(world: World, saver: Option<Saver>, notices: Notices) -> Self {
        Self {
            world: Mutex::new(world),
            saver: Mutex::new(saver),
            notices,
        }
    }

    /// Runs `read` with the world.
    pub fn read<R>(&self, read: impl FnOnce(&World) -> R) -> R {
        read(&lock(&self.world))
    }

    /// Runs `change` with the world and, if it succeeds, queues the changed
    /// world to be saved. A change that fails must leave the world as it was.
    pub fn write<R, E>(&self, change: impl FnOnce(&mut World) -> Result<R, E>) -> Result<R, E> {
        let mut world = lock(&self.world);
        let result = change(&mut world);
        if result.is_ok()
            && let Err(error) = self.queue_save(&world)
        {
            tracing::warn!("{error}");
            self.notices.push_once(error.to_string());
        }
        result
    }

    /// Runs `change`, which says whether it changed the world, and queues
    /// the world to be saved only if it did. Returns what `change` said.
    pub fn update(&self, change: impl FnOnce(&mut World) -> bool) -> bool {
        let mut world = lock(&self.world);
        let changed = change(&mut world);
        if changed && let Err(error) = self.queue_save(&world) {
            tracing::warn!("{error}");
            self.notices.push_once(error.to_string());
        }
        changed
    }

    /// Replaces the whole world, as "Reset demo account" does, and queues
    /// the new world to be saved.
    pub fn replace(&self, new_world: World) -> Result<(), LocalCloudError> {
        let mut world = lock(&self.world);
        *world = new_world;
        self.queue_save(&world)
    }

    /// Hands the encoded world to the saver, if there is one. Called with
    /// the world locked, so saves are queued in the order of the changes.
    fn queue_save(&self, world: &World) -> Result<(), LocalCloudError> {
        match lock(&self.saver).as_ref() {
            Some(saver) => saver.queue(world),
            None => Ok(()),
        }
    }

    /// Stops queueing saves and returns the saver so the caller can wait for
    /// the last write.
    pub fn take_saver(&self) -> Option<Saver> {
        lock(&self.saver).take()
    }
}
