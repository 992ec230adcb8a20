//! What the provider knows of the Terraform process that started it, beyond what the protocol says.

/// True when the Terraform command that started this provider is a destroy (`terraform destroy`, or `apply` /
/// `plan` with `-destroy`).
///
/// Before planning a destroy, Terraform runs an ordinary plan of the whole configuration to refresh the state,
/// and that plan asks the provider to plan the creation of resources that do not exist yet. Nothing will be
/// created, so Azure validation must not block the destroy (an environment whose first apply failed validation
/// must still be destroyable). The plugin protocol does not say which command is running; the parent process's
/// command line does, where the platform shows it (`/proc` on Linux). Elsewhere this says false, and validation
/// runs as in any plan.
pub(crate) fn terraform_is_destroying() -> bool {
    static DESTROYING: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DESTROYING.get_or_init(|| {
        let parent = std::os::unix::process::parent_id();
        std::fs::read(format!("/proc/{parent}/cmdline")).is_ok_and(|raw| is_destroy_command(&raw))
    })
}

/// Reads a NUL-separated command line: is it a Terraform destroy?
fn is_destroy_command(raw: &[u8]) -> bool {
    let arguments: Vec<&[u8]> = raw.split(|b| *b == 0).skip(1).collect();
    arguments
        .iter()
        .any(|a| matches!(*a, b"destroy" | b"-destroy" | b"--destroy" | b"-destroy=true" | b"--destroy=true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destroy_commands_are_recognised() {
        assert!(is_destroy_command(b"terraform\0destroy\0-auto-approve\0"));
        assert!(is_destroy_command(b"/usr/bin/terraform\0-chdir=env\0apply\0-destroy\0"));
        assert!(is_destroy_command(b"terraform\0plan\0-destroy=true\0"));
        assert!(!is_destroy_command(b"terraform\0apply\0-auto-approve\0"));
        assert!(!is_destroy_command(b"terraform\0plan\0-var\0destroy_me=1\0"));
        assert!(!is_destroy_command(b"destroy"));
    }
}
