//! What the provider knows of the Terraform process that started it, beyond what the protocol says.

/// Terraform's process, as the plugin found it when it started, so that the plugin can tell when it is gone.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parent {
    id: u32,
    /// When the parent started (seconds since the epoch), which tells it apart from a later process given the
    /// same ID; `None` when the parent could not be found, which is then not watched.
    #[cfg(windows)]
    started: Option<u64>,
}

#[cfg(unix)]
impl Parent {
    /// The parent of this process.
    pub(crate) fn current() -> Parent {
        Parent { id: std::os::unix::process::parent_id() }
    }

    /// The parent's process ID.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// True once the parent has exited: the process has been reparented, so its parent ID changed.
    pub(crate) fn is_gone(&self) -> bool {
        std::os::unix::process::parent_id() != self.id
    }
}

#[cfg(windows)]
impl Parent {
    /// The parent of this process, from the system's process list.
    pub(crate) fn current() -> Parent {
        let me = sysinfo::get_current_pid().ok();
        let id = me.and_then(|me| windows_process(me)).and_then(|process| process.parent);
        let started = id.and_then(windows_process).map(|process| process.started);
        if started.is_none() {
            tracing::debug!(parent = ?id, "the process that started the provider is not in the process list; not watched");
        }
        Parent { id: id.map_or(0, |id| id.as_u32()), started }
    }

    /// The parent's process ID.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// True once the parent has exited: its ID names no process, or one that started at another time.
    pub(crate) fn is_gone(&self) -> bool {
        let Some(started) = self.started else { return false };
        windows_process(sysinfo::Pid::from_u32(self.id)).is_none_or(|process| process.started != started)
    }
}

/// What the system's process list says of one process.
#[cfg(windows)]
struct WindowsProcess {
    parent: Option<sysinfo::Pid>,
    started: u64,
}

#[cfg(windows)]
fn windows_process(pid: sysinfo::Pid) -> Option<WindowsProcess> {
    let mut system = sysinfo::System::new();
    system.refresh_processes_specifics(
        sysinfo::ProcessesToUpdate::Some(&[pid]),
        true,
        sysinfo::ProcessRefreshKind::nothing(),
    );
    system.process(pid).map(|process| WindowsProcess { parent: process.parent(), started: process.start_time() })
}

/// The parent process's ID, whose `/proc` entry shows its command line (on Linux; on other unix systems the
/// reads fail). `None` on Windows, which has no `/proc`: what the functions below learn from it is then unknown,
/// and they answer as for a plain command.
#[cfg(unix)]
fn proc_parent() -> Option<u32> {
    Some(std::os::unix::process::parent_id())
}

/// The parent process's ID, whose `/proc` entry shows its command line; `None` on Windows, which has no `/proc`.
#[cfg(not(unix))]
fn proc_parent() -> Option<u32> {
    None
}

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
        proc_parent()
            .and_then(|parent| std::fs::read(format!("/proc/{parent}/cmdline")).ok())
            .is_some_and(|raw| is_destroy_command(&raw))
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
            let mut arguments: Vec<String> = proc_parent()
                .and_then(|parent| std::fs::read(format!("/proc/{parent}/cmdline")).ok())
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
        proc_parent().and_then(|parent| std::fs::read(format!("/proc/{parent}/cmdline")).ok()).is_some_and(|raw| {
            raw.split(|b| *b == 0)
                .skip(1)
                .any(|a| a.starts_with(b"-generate-config-out") || a.starts_with(b"--generate-config-out"))
        })
    })
}

/// Where this command records the validations its plan walk ran, and where it looks for them (see
/// [`super::interface::Walks`]), from the parent process's command line.
pub(crate) fn walks() -> super::interface::Walks {
    static WALKS: std::sync::OnceLock<super::interface::Walks> = std::sync::OnceLock::new();
    WALKS
        .get_or_init(|| {
            let Some(parent) = proc_parent() else { return Default::default() };
            let Ok(raw) = std::fs::read(format!("/proc/{parent}/cmdline")) else { return Default::default() };
            // The command line ends in a NUL, which leaves an empty last piece.
            let arguments: Vec<String> = raw
                .split(|b| *b == 0)
                .skip(1)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            // The process's start time (field 22 of stat, after the command name in parentheses) tells it apart
            // from a later process that gets the same ID.
            let started = std::fs::read_to_string(format!("/proc/{parent}/stat")).ok().and_then(|stat| {
                stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(19).map(str::to_owned))
            });
            let cwd = std::fs::read_link(format!("/proc/{parent}/cwd")).unwrap_or_default();
            match started {
                Some(started) => walks_of(&arguments, &cwd, &format!("{parent}:{started}")),
                None => Default::default(),
            }
        })
        .clone()
}

/// Terraform's flags that take a value, which may come as the next argument (`-var x=1`).
const VALUE_FLAGS: &[&str] = &[
    "var",
    "var-file",
    "target",
    "exclude",
    "replace",
    "parallelism",
    "state",
    "state-out",
    "backup",
    "lock-timeout",
    "out",
    "generate-config-out",
    "chdir",
];

/// The walks of a command line (`arguments` without the program), run in `cwd` by the process `process`.
fn walks_of(arguments: &[String], cwd: &std::path::Path, process: &str) -> super::interface::Walks {
    let mut command = None;
    let mut out = None;
    let mut positional = Vec::new();
    let mut iter = arguments.iter();
    while let Some(argument) = iter.next() {
        if argument == "--" {
            positional.extend(iter.by_ref().cloned());
            break;
        }
        if let Some(flag) = argument.strip_prefix('-') {
            let flag = flag.strip_prefix('-').unwrap_or(flag);
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None if VALUE_FLAGS.contains(&flag) => (flag, iter.next().cloned()),
                None => (flag, None),
            };
            if name == "out" && command.is_some() {
                out = value;
            }
            continue;
        }
        if command.is_none() {
            command = Some(argument.clone());
        } else {
            positional.push(argument.clone());
        }
    }
    let plan_file = |path: &str| {
        let path: std::path::PathBuf =
            cwd.join(path).components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect();
        format!("planfile:{}", path.display())
    };
    let destroying = arguments.iter().any(|a| a == "-destroy" || a == "--destroy" || a == "-destroy=true");
    match command.as_deref() {
        _ if destroying => Default::default(),
        Some("apply") => match positional.first() {
            Some(file) => super::interface::Walks { record: None, lookup: Some(plan_file(file)) },
            None => {
                let key = format!("process:{process}");
                super::interface::Walks { record: Some(key.clone()), lookup: Some(key) }
            }
        },
        Some("plan") => super::interface::Walks { record: out.as_deref().map(plan_file), lookup: None },
        _ => Default::default(),
    }
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
    fn walks_follow_the_command() {
        use crate::plugin::interface::Walks;
        let of = |line: &str| {
            let args: Vec<String> = line.split(' ').map(str::to_owned).collect();
            walks_of(&args, std::path::Path::new("/work/env"), "42:1000")
        };
        let same = Some("process:42:1000".to_owned());
        assert_eq!(of("apply -auto-approve -var x=1"), Walks { record: same.clone(), lookup: same.clone() });
        assert_eq!(of("-chdir=env apply -parallelism 4 -input=false"), Walks { record: same.clone(), lookup: same });
        let file = Some("planfile:/work/env/tfplan".to_owned());
        assert_eq!(of("plan -out=./tfplan"), Walks { record: file.clone(), lookup: None });
        assert_eq!(of("plan -var-file dev.tfvars -out tfplan"), Walks { record: file.clone(), lookup: None });
        assert_eq!(of("apply -auto-approve tfplan"), Walks { record: None, lookup: file.clone() });
        assert_eq!(of("apply /work/env/tfplan"), Walks { record: None, lookup: file });
        assert_eq!(of("plan"), Walks::default(), "a plan alone always validates");
        assert_eq!(of("apply -destroy"), Walks::default());
        assert_eq!(of("destroy -auto-approve"), Walks::default());
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
