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

/// The addresses the Terraform command that started this provider was asked to replace (`-replace=ADDRESS`, on
/// its command line or in `TF_CLI_ARGS`, `TF_CLI_ARGS_plan`, `TF_CLI_ARGS_apply`). Terraform plans such a
/// replacement without telling the provider that it was forced, and it drops the warnings of the plan that follows
/// (the create half's), so this is the only way a provider can learn of it in time to say what it costs.
pub(crate) fn replace_targets() -> Vec<String> {
    static TARGETS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TARGETS
        .get_or_init(|| {
            let parent = std::os::unix::process::parent_id();
            let mut arguments: Vec<String> = std::fs::read(format!("/proc/{parent}/cmdline"))
                .map(|raw| raw.split(|b| *b == 0).skip(1).map(|a| String::from_utf8_lossy(a).into_owned()).collect())
                .unwrap_or_default();
            for name in ["TF_CLI_ARGS", "TF_CLI_ARGS_plan", "TF_CLI_ARGS_apply"] {
                if let Ok(value) = std::env::var(name) {
                    arguments.extend(value.split_whitespace().map(str::to_owned));
                }
            }
            replace_arguments(&arguments)
        })
        .clone()
}

/// The values of `-replace` (`-replace=A`, `--replace=A`, or `-replace A`) among `arguments`.
fn replace_arguments(arguments: &[String]) -> Vec<String> {
    let mut targets = Vec::new();
    let mut iter = arguments.iter();
    while let Some(argument) = iter.next() {
        let flag = argument.trim_start_matches('-');
        if !argument.starts_with('-') {
            continue;
        }
        if let Some(address) = flag.strip_prefix("replace=") {
            targets.push(address.trim_matches(['"', '\'']).to_owned());
        } else if flag == "replace"
            && let Some(address) = iter.next()
        {
            targets.push(address.trim_matches(['"', '\'']).to_owned());
        }
    }
    targets
}

/// True when the Terraform command that started this provider writes configuration for imported objects
/// (`-generate-config-out`): the state a read returns then becomes the user's configuration.
pub(crate) fn terraform_generates_config() -> bool {
    static GENERATES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *GENERATES.get_or_init(|| {
        let parent = std::os::unix::process::parent_id();
        std::fs::read(format!("/proc/{parent}/cmdline")).is_ok_and(|raw| {
            raw.split(|b| *b == 0)
                .skip(1)
                .any(|a| a.starts_with(b"-generate-config-out") || a.starts_with(b"--generate-config-out"))
        })
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

    #[test]
    fn replace_targets_are_found_in_each_spelling() {
        let args = |line: &str| line.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            replace_arguments(&args("plan -replace=dataprotection_backup_instance.a --replace module.m.x.b[\"k\"]")),
            vec!["dataprotection_backup_instance.a".to_owned(), "module.m.x.b[\"k\"]".to_owned()]
        );
        assert_eq!(replace_arguments(&args("plan -replace='x.y'")), vec!["x.y".to_owned()]);
        assert!(replace_arguments(&args("plan -var replace=1 -out replace")).is_empty());
    }
}
