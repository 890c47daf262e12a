//! Changing one tag on many EC2 instances at once: the change is sent in
//! batches EC2 accepts ([`RESOURCE_BATCH`] ids a request), with progress
//! reported after each batch, and it stops at the first batch AWS refuses,
//! saying how far it got.

use super::ec2::{self, RESOURCE_BATCH, TagRemoval};
use super::{CloudError, Session};

/// A change to the tags of some instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagChange {
    /// Set `key`=`value` on the instances (replacing another value).
    Add {
        /// The instances.
        instance_ids: Vec<String>,
        /// The key.
        key: String,
        /// The value (may be empty).
        value: String,
    },
    /// Remove the tag `key` from the instances, or only where it has
    /// `value`.
    Remove {
        /// The instances.
        instance_ids: Vec<String>,
        /// The key.
        key: String,
        /// The value the tag must have to be removed; `None` for any.
        value: Option<String>,
    },
}

impl TagChange {
    /// The instances the change is sent for.
    pub fn instance_ids(&self) -> &[String] {
        match self {
            Self::Add { instance_ids, .. } | Self::Remove { instance_ids, .. } => instance_ids,
        }
    }

    /// The tag as a person reads it: `Role=web`, or `Role` for any value.
    pub fn tag_text(&self) -> String {
        match self {
            Self::Add { key, value, .. }
            | Self::Remove {
                key,
                value: Some(value),
                ..
            } => format!("{key}={value}"),
            Self::Remove {
                key, value: None, ..
            } => key.clone(),
        }
    }
}

/// How far a change got.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// Instances changed.
    pub done: usize,
    /// Whether it all went through, or the error of the batch AWS refused.
    pub result: Result<(), CloudError>,
}

/// Makes `change`, batch by batch, calling `progress(done, total)` after
/// each batch but the last.
pub async fn apply_change(
    session: &Session,
    change: &TagChange,
    mut progress: impl FnMut(usize, usize),
) -> Applied {
    let total = change.instance_ids().len();
    let mut done = 0;
    for batch in change.instance_ids().chunks(RESOURCE_BATCH) {
        let result = match change {
            TagChange::Add { key, value, .. } => {
                ec2::create_tags(session, batch, &[(key.clone(), value.clone())]).await
            }
            TagChange::Remove { key, value, .. } => {
                let removal = TagRemoval {
                    key: key.clone(),
                    value: value.clone(),
                };
                ec2::delete_tags(session, batch, &[removal]).await
            }
        };
        if let Err(error) = result {
            return Applied {
                done,
                result: Err(error),
            };
        }
        done += batch.len();
        if done < total {
            progress(done, total);
        }
    }
    Applied {
        done,
        result: Ok(()),
    }
}
