//! Validations a Terraform command already ran, so that `terraform apply` asks Azure's validateForBackup once per
//! new backup instance, not twice.
//!
//! Terraform plans every change twice in one apply: in the plan walk, and again in the apply walk just before it
//! applies it, each time in a new provider process. For a create, the second plan gets no prior state and no
//! private data (Terraform passes the private data of the object in state, and a new object has none), so nothing
//! in the protocol tells the provider that the first plan validated this very instance minutes earlier. Azure's
//! validation takes tens of seconds, so a second one costs a real apply about as much again.
//!
//! What carries the fact across is a record in a private folder of the user's temporary directory
//! (`$TMPDIR/terraform-provider-dataprotection-<uid>/validated`, mode 0700, checked before use). A record is a
//! file whose name is a SHA-256 of the command it belongs to and of what was validated (the resource manager
//! endpoint and the validateForBackup request body), and whose content is when it was validated. It holds no
//! secret. Records are written only where an apply walk follows in another process: the plan walk of
//! `terraform apply` (the command is the Terraform process, by its ID and start time) and `terraform plan -out`
//! (the command is the plan file's path, which `terraform apply <file>` names). The apply walk's plan takes the
//! record (reading it removes it) and skips the call when the record is younger than [`LIFETIME`]; a plain
//! `terraform plan` never skips. Records older than [`LIFETIME`] are removed when the folder is next written.
//!
//! Skipping never hides a failure: Azure checks the same things again when the instance is created, and a create
//! whose validation went stale fails there with Azure's error, with the instance in state as any failed create.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::plugin::interface::Walks;

/// How long a validation counts for a later walk of the same command.
pub(crate) const LIFETIME: Duration = Duration::from_secs(60 * 60);

/// The private folder of records; `None` when it cannot be made or is not this user's alone.
#[cfg(unix)]
fn folder() -> Option<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let base = std::env::temp_dir().join(format!("terraform-provider-dataprotection-{uid}"));
    let folder = base.join("validated");
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&folder).ok()?;
    for path in [&base, &folder] {
        let meta = std::fs::symlink_metadata(path).ok()?;
        if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
            tracing::debug!(path = %path.display(), "validation records folder is not private; not used");
            return None;
        }
    }
    Some(folder)
}

/// No records where the command's walks are not known (Windows: see `crate::plugin::interface::Walks`).
#[cfg(not(unix))]
fn folder() -> Option<PathBuf> {
    None
}

/// The record's file name for `subject` in the command `walk`.
fn name(walk: &str, subject: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("{walk}\n{subject}").as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// When `subject` was validated earlier in this command, within [`LIFETIME`]. The record is removed: a walk
/// takes it once.
pub(crate) fn take(walks: &Walks, subject: &str) -> Option<SystemTime> {
    let walk = walks.lookup.as_deref()?;
    let path = folder()?.join(name(walk, subject));
    let text = std::fs::read_to_string(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(text.trim().parse().ok()?);
    let age = SystemTime::now().duration_since(when).ok()?;
    (age <= LIFETIME).then_some(when)
}

/// Records that `subject` passed validation now, for the walk of this command that follows.
pub(crate) fn record(walks: &Walks, subject: &str) {
    let Some(walk) = walks.record.as_deref() else { return };
    let Some(folder) = folder() else { return };
    let now = SystemTime::now();
    if let Ok(entries) = std::fs::read_dir(&folder) {
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| now.duration_since(modified).is_ok_and(|age| age > LIFETIME));
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let seconds = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let path = folder.join(name(walk, subject));
    let temporary = folder.join(format!(".{}.{}", name(walk, subject), std::process::id()));
    if std::fs::write(&temporary, seconds.to_string()).is_ok() && std::fs::rename(&temporary, &path).is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walks(record: Option<&str>, lookup: Option<&str>) -> Walks {
        Walks { record: record.map(str::to_owned), lookup: lookup.map(str::to_owned) }
    }

    #[test]
    fn a_record_is_taken_once_by_the_same_command_and_for_the_same_body_only() {
        let subject = format!("test-subject-{}-{:?}", std::process::id(), std::thread::current().id());
        let apply = walks(Some("process:1:2"), Some("process:1:2"));
        assert!(take(&apply, &subject).is_none(), "nothing recorded yet");
        record(&apply, &subject);
        assert!(take(&walks(None, Some("process:9:9")), &subject).is_none(), "another command");
        assert!(take(&apply, &format!("{subject}-other")).is_none(), "another body");
        assert!(take(&apply, &subject).is_some(), "the apply walk finds it");
        assert!(take(&apply, &subject).is_none(), "and takes it: once");
        record(&walks(None, Some("process:1:2")), &subject);
        assert!(take(&apply, &subject).is_none(), "a plain plan records nothing");
    }

    #[test]
    fn an_old_record_does_not_count() {
        let subject = format!("old-subject-{}", std::process::id());
        let plan = walks(Some("planfile:/x/tfplan"), None);
        let apply = walks(None, Some("planfile:/x/tfplan"));
        let folder = folder().expect("a private folder");
        let old = SystemTime::now() - LIFETIME - Duration::from_secs(5);
        let seconds = old.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        std::fs::write(folder.join(name("planfile:/x/tfplan", &subject)), seconds.to_string()).unwrap();
        assert!(take(&apply, &subject).is_none(), "older than the lifetime");
        record(&plan, &subject);
        assert!(take(&apply, &subject).is_some());
    }
}
