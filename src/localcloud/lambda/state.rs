//! What Lambda remembers: functions, with their published versions, their
//! aliases and their tags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::localcloud::account::ACCOUNT_ID;
use crate::localcloud::clock::Timestamp;
use crate::localcloud::store::{Change, Changes, ReplayError, Table};

/// The name Lambda gives the unpublished version.
pub const LATEST: &str = "$LATEST";

/// Lambda's part of the world.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LambdaState {
    /// Functions by name.
    pub functions: Table<String, LambdaFunction>,
}

impl LambdaState {
    /// Notes the records changed since the last call.
    pub fn take_changes(&mut self, changes: &mut Changes) {
        self.functions.take_changes("lambda.functions", changes);
    }

    /// Applies a change read back from the journal.
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change.table.as_str() {
            "lambda.functions" => self.functions.apply(change),
            _ => Err(change.unknown()),
        }
    }
}

/// One version of a function: `$LATEST` or a published one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionVersion {
    /// `$LATEST`, or the version number.
    pub version: String,
    /// The runtime, e.g. `python3.12`.
    pub runtime: Option<String>,
    /// The execution role's ARN.
    pub role: String,
    /// The handler, e.g. `index.handler`.
    pub handler: Option<String>,
    /// The description.
    pub description: String,
    /// Seconds a run may last.
    pub timeout: i64,
    /// Memory, in MB.
    pub memory_size: i64,
    /// The size of the code's package, in bytes.
    pub code_size: i64,
    /// The base64 SHA-256 of the code's package.
    pub code_sha256: String,
    /// When the version was last changed.
    pub last_modified: Timestamp,
    /// Changes whenever the version does.
    pub revision_id: String,
}

/// An alias: a name for a version, and optionally a second version that
/// takes a share of the invocations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alias {
    /// The alias's name.
    pub name: String,
    /// The version it points at.
    pub function_version: String,
    /// The description.
    pub description: String,
    /// The other versions and the share of invocations each takes, 0–1.
    pub additional_version_weights: BTreeMap<String, f64>,
    /// Changes whenever the alias does.
    pub revision_id: String,
}

/// A function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaFunction {
    /// The name as created.
    pub name: String,
    /// `$LATEST`, which code updates change.
    pub latest: FunctionVersion,
    /// The published versions, by number.
    pub versions: BTreeMap<u64, FunctionVersion>,
    /// The number the next published version gets.
    pub next_version: u64,
    /// Aliases by name.
    pub aliases: BTreeMap<String, Alias>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

impl LambdaFunction {
    /// The function's ARN in `region`, without a qualifier.
    pub fn arn(&self, region: &str) -> String {
        function_arn(region, &self.name)
    }

    /// The version `qualifier` names: `$LATEST` or a published number.
    pub fn version(&self, qualifier: &str) -> Option<&FunctionVersion> {
        if qualifier == LATEST {
            return Some(&self.latest);
        }
        qualifier
            .parse::<u64>()
            .ok()
            .and_then(|number| self.versions.get(&number))
    }
}

impl LambdaState {
    /// The alias `alias` of function `function`, if both exist.
    pub fn alias(&self, function: &str, alias: &str) -> Option<&Alias> {
        self.functions.get(function)?.aliases.get(alias)
    }

    /// Points the alias `alias` of `function` at `version`, with
    /// `weights` (version to share of invocations, 0–1) going to others,
    /// as `UpdateAlias` does. Returns whether the alias exists.
    pub fn route_alias(
        &mut self,
        function: &str,
        alias: &str,
        version: &str,
        weights: BTreeMap<String, f64>,
    ) -> bool {
        let Some(found) = self
            .functions
            .get_mut(function)
            .and_then(|function| function.aliases.get_mut(alias))
        else {
            return false;
        };
        if found.function_version != version || found.additional_version_weights != weights {
            version.clone_into(&mut found.function_version);
            found.additional_version_weights = weights;
            found.revision_id = uuid::Uuid::new_v4().to_string();
        }
        true
    }
}

/// The ARN of function `name` in `region`.
pub fn function_arn(region: &str, name: &str) -> String {
    format!("arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}")
}
