//! Applying a `permissions` entry to an installed path: the mode always,
//! the owner and group where this user may set them.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::domain::appspec::Permission;
use crate::domain::local_run;

/// Applies `permission` to `path` (shown as the instance path `target`).
/// Returns notes for what could not be applied on this machine; fails
/// when the mode is not a number.
pub fn apply(path: &Path, permission: &Permission, target: &Path) -> Result<Vec<String>, String> {
    let shown = local_run::instance_absolute(target);
    if let Some(mode) = &permission.mode {
        let bits = local_run::parse_mode(mode).ok_or_else(|| {
            format!(
                "The deployment failed because the mode {mode} for {} is not an octal number such as 644 or \"0755\". Correct the permissions section of the AppSpec file.",
                permission.object
            )
        })?;
        fs::set_permissions(path, fs::Permissions::from_mode(bits))
            .map_err(|error| format!("Could not set the mode of {shown}: {error}."))?;
    }
    let mut notes = Vec::new();
    if permission.owner.is_none() && permission.group.is_none() {
        return Ok(notes);
    }
    let mut id_of = |name: &Option<String>, file: &str, what: &str| {
        let name = name.as_ref()?;
        let id = lookup(file, name);
        if id.is_none() {
            notes.push(format!(
                "The {what} of {shown} is left as it is: there is no {what} {name} on this machine."
            ));
        }
        id
    };
    let owner = id_of(&permission.owner, "/etc/passwd", "owner");
    let group = id_of(&permission.group, "/etc/group", "group");
    if owner.is_some() || group.is_some() {
        match std::os::unix::fs::lchown(path, owner, group) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::PermissionDenied => notes.push(format!(
                "The owner and group of {shown} are left as they are: only root may give a file to another user. Run as root to apply them."
            )),
            Err(error) => return Err(format!("Could not set the owner of {shown}: {error}.")),
        }
    }
    Ok(notes)
}

/// The ID of `name` in a passwd- or group-style file.
fn lookup(file: &str, name: &str) -> Option<u32> {
    let text = fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name).then_some(())?;
        fields.nth(1)?.parse().ok()
    })
}

/// The name of the user this process runs as, from the owner of
/// `/proc/self`.
pub fn current_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = fs::metadata("/proc/self").ok()?.uid();
    let text = fs::read_to_string("/etc/passwd").ok()?;
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| fields[0].to_owned())
    })
}
