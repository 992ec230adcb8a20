//! `make bench`: the provider measured against the limits Terraform itself sets, side by side in one run.
//!
//! Every figure is a median of several runs and is shown as a ratio against a baseline measured in the same run:
//! the binary's size, start-up to the handshake line, `terraform plan` of 100 applied backup instances against 100
//! `terraform_data` resources, `terraform apply` of 200 instances against the floor the emulator's delays impose,
//! HTTP requests per created instance against the protocol's minimum, the provider's peak memory while applying
//! 1,000 instances, and the PlanResourceChange round trip through the plugin layer. It prints a table and writes
//! `target/bench/results.json`. docs/performance.md explains each figure and records a run.
//!
//! `BENCH_QUICK=1` runs everything with small counts (a check that the bench works, not a measurement);
//! `BENCH_ONLY=size,startup,configure,plan,refresh_scale,apply,recorded,rss,rtt,emulator_scale` runs some figures
//! only.

#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/support/terraform.rs"]
mod terraform;
#[path = "../tests/support/terraform_version.rs"]
mod terraform_version;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use dataprotection::plugin::codec;
use dataprotection::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use dataprotection::plugin::proto::health::HealthCheckRequest;
use dataprotection::plugin::proto::tfplugin6 as pb;
use dataprotection::plugin::schema::{Block, Nesting};
use dataprotection::plugin::value::Value;
use dataprotection::resources::ProviderConfiguration;
use dataprotection_emulator::default_world as world;
use dataprotection_emulator::journal::JournalEntry;
use dataprotection_emulator::scenario::{DiskSeed, RoleAssignmentSeed, Scenario};
use dataprotection_emulator::settings::{LroTiming, OperationKind, ThrottleSettings};
use rustls::pki_types::CertificateDer;
use serde_json::json;
use tempfile::TempDir;

use common::ClientIdentity;
use terraform::{PROVIDER, Workspace, instance_block};

/// azurerm v3.65.0 linux_amd64, as cited in PRIOR-ART.md §4 (Azure/aztfexport#461); not measured here.
const AZURERM_BYTES: u64 = 194_940_928;

// ---------------------------------------------------------------------------------------------------------------
// Settings

/// The counts of one bench run.
#[derive(Clone, Debug)]
struct Counts {
    startup_runs: usize,
    configure_runs: usize,
    plan_instances: usize,
    plan_runs: usize,
    apply_instances: usize,
    apply_runs: usize,
    parallelism: usize,
    rss_instances: usize,
    rss_runs: usize,
    rtt_calls: usize,
    /// Instances in the large vault of the emulator's scale figure.
    scale_instances: usize,
    /// The states refreshed under ARM's default throttling, and runs of each.
    refresh_instances: [usize; 2],
    refresh_runs: usize,
    /// Instances in the wave applied against the recorded operation durations.
    recorded_wave: usize,
    /// The recorded durations are divided by this (1 for a measurement).
    recorded_divisor: u64,
}

impl Counts {
    fn full() -> Counts {
        Counts {
            startup_runs: 31,
            configure_runs: 11,
            plan_instances: 100,
            plan_runs: 5,
            apply_instances: 200,
            apply_runs: 3,
            parallelism: 10,
            rss_instances: 1000,
            rss_runs: 3,
            rtt_calls: 2000,
            scale_instances: 10_000,
            refresh_instances: [100, 1000],
            refresh_runs: 3,
            recorded_wave: 10,
            recorded_divisor: 1,
        }
    }

    fn quick() -> Counts {
        Counts {
            startup_runs: 5,
            configure_runs: 3,
            plan_instances: 10,
            plan_runs: 2,
            apply_instances: 20,
            apply_runs: 1,
            parallelism: 10,
            rss_instances: 30,
            rss_runs: 1,
            rtt_calls: 200,
            scale_instances: 500,
            refresh_instances: [10, 50],
            refresh_runs: 1,
            recorded_wave: 3,
            recorded_divisor: 10,
        }
    }
}

/// The emulator's schedule for the apply figure: every poll is asked to wait `RETRY_MS`, and each operation
/// runs a fixed time, a whole number of those delays.
const RETRY_MS: u64 = 200;
/// validateForBackup runs 400 ms: two polls.
const VALIDATE_MS: u64 = 400;
/// The create PUT's operation runs 800 ms: four polls.
const CREATE_MS: u64 = 800;
/// After the operation, protection is configured for 400 ms: two more GETs of the instance.
const CONFIGURE_MS: u64 = 400;

fn timing(ms: u64) -> LroTiming {
    LroTiming::with_delays(0, ms, 1, Some(RETRY_MS))
}

/// Operations that end at once (the provider still polls once, after 1 ms): for setting up worlds quickly.
fn instant_timing() -> LroTiming {
    LroTiming::with_delays(0, 0, 1, Some(1))
}

// ---------------------------------------------------------------------------------------------------------------
// Figures and statistics

/// One line of the table.
#[derive(Clone, Debug, serde::Serialize)]
struct Figure {
    key: String,
    figure: String,
    value: f64,
    unit: String,
    baseline: String,
    baseline_value: Option<f64>,
    ratio: Option<f64>,
    target: String,
    met: bool,
    runs: usize,
    samples: Vec<f64>,
    baseline_samples: Vec<f64>,
    notes: Vec<String>,
}

fn median(samples: &[f64]) -> f64 {
    percentile(samples, 50.0)
}

/// Nearest-rank percentile.
fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/// The release provider, started the way Terraform starts it.
struct Plugin {
    child: std::process::Child,
    socket: PathBuf,
    certificate: CertificateDer<'static>,
    startup: Duration,
    _dir: TempDir,
}

impl Plugin {
    fn start(client: &ClientIdentity, extra_env: &[(&str, &str)]) -> Plugin {
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut command = std::process::Command::new(PROVIDER);
        command
            .env_clear()
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_CLIENT_CERT", &client.pem)
            .env("PLUGIN_UNIX_SOCKET_DIR", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let begun = Instant::now();
        let mut child = command.spawn().expect("the provider starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("handshake line");
        let startup = begun.elapsed();
        let fields: Vec<&str> = line.trim_end().split('|').collect();
        assert_eq!(fields.len(), 6, "handshake line {line:?}");
        let der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5]).expect("certificate");
        Plugin { child, socket: PathBuf::from(fields[3]), certificate: CertificateDer::from(der), startup, _dir: dir }
    }

    fn stop(mut self) {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// Time from exec to the first line of a process that prints one line and exits: the cost of starting any
/// process here.
fn exec_floor() -> Duration {
    let begun = Instant::now();
    let mut child = std::process::Command::new("/bin/echo")
        .arg("1|6|unix|/tmp/x|grpc|x")
        .stdout(Stdio::piped())
        .spawn()
        .expect("echo");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("line");
    let elapsed = begun.elapsed();
    let _ = child.wait();
    elapsed
}

/// A terraform working folder without the emulator: `count` built-in `terraform_data` resources (Terraform's own
/// cost, no provider process), or `count` resources of a do-nothing provider served by this very binary through
/// the same plugin layer (Terraform's cost of any provider process, and of the plugin protocol).
struct Baseline {
    dir: TempDir,
}

impl Baseline {
    fn new(count: usize) -> Baseline {
        let mut body = String::new();
        for i in 0..count {
            body.push_str(&format!("resource \"terraform_data\" \"d{i}\" {{\n  input = \"value-{i:04}\"\n}}\n"));
        }
        Baseline::with(&body, "")
    }

    /// `count` `test_thing` resources of the do-nothing provider `test` (tests/common/mod.rs), whose plugin is
    /// this benchmark's own executable, started by Terraform through a `terraform-provider-test` link.
    fn do_nothing_provider(count: usize) -> Baseline {
        let mut body = String::new();
        for i in 0..count {
            body.push_str(&format!("resource \"test_thing\" \"t{i}\" {{\n  name = \"thing-{i:04}\"\n}}\n"));
        }
        Baseline::served_by_this_executable(&body)
    }

    /// `count` `test_backup_instance` resources of the do-nothing provider: this provider's backup instance
    /// schema and the same arguments as the instances measured, with nothing behind them.
    fn do_nothing_provider_same_schema(count: usize) -> Baseline {
        let body = instances_config(count)
            .replace("resource \"dataprotection_backup_instance\"", "resource \"test_backup_instance\"");
        Baseline::served_by_this_executable(&body)
    }

    fn served_by_this_executable(resources: &str) -> Baseline {
        let body = format!(
            "terraform {{\n  required_providers {{\n    test = {{ source = \"example.local/bench/test\" }}\n  }}\n}}\n\n\
             provider \"test\" {{}}\n\n{resources}"
        );
        let baseline = Baseline::with(&body, "");
        let plugins = baseline.dir.path().join("plugins");
        std::fs::create_dir_all(&plugins).expect("plugins folder");
        let link = plugins.join("terraform-provider-test");
        std::os::unix::fs::symlink(std::env::current_exe().expect("this executable"), link).expect("link");
        let cli = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"example.local/bench/test\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
            plugins.display()
        );
        std::fs::write(baseline.dir.path().join("terraform.rc"), cli).expect("CLI configuration");
        baseline
    }

    fn with(body: &str, cli_config: &str) -> Baseline {
        let dir = tempfile::tempdir().expect("temporary folder");
        for sub in ["work", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("folder");
        }
        std::fs::write(dir.path().join("terraform.rc"), cli_config).expect("CLI configuration");
        std::fs::write(dir.path().join("work/main.tf"), body).expect("main.tf");
        Baseline { dir }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("terraform");
        command
            .args(args)
            .arg("-no-color")
            .current_dir(self.dir.path().join("work"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path().join("home"))
            .env("TMPDIR", self.dir.path())
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("terraform.rc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str], expect: i32) -> Duration {
        let begun = Instant::now();
        let output = self.command(args).output().await.expect("terraform runs (it must be on PATH)");
        let elapsed = begun.elapsed();
        assert_eq!(
            output.status.code(),
            Some(expect),
            "terraform {args:?} (terraform_data):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        elapsed
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The do-nothing provider: the test provider's `test_thing`, plus `test_backup_instance`, which has this provider's
// backup instance schema and does nothing with it (Terraform's cost of a resource that wide, with no Azure).

use dataprotection::plugin::diagnostics::Diagnostics;
use dataprotection::plugin::interface::{
    ApplyRequest, ApplyResponse, ConfigureRequest, Context, DataSource, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, Provider, ReadRequest, ReadResponse, Resource,
};
use dataprotection::plugin::schema::Schema;

struct DoNothing {
    inner: common::TestProvider,
}

#[async_trait::async_trait]
impl Provider for DoNothing {
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::default()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        let mut resources = self.inner.resources();
        let configuration = Arc::new(ProviderConfiguration::default());
        let schema = dataprotection::resources::all(&configuration)
            .into_iter()
            .find(|r| r.type_name() == "dataprotection_backup_instance")
            .expect("the backup instance resource")
            .schema();
        resources.push(Arc::new(SameSchema { schema }));
        resources
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    async fn configure(&self, ctx: &Context, request: ConfigureRequest) -> Diagnostics {
        self.inner.configure(ctx, request).await
    }
}

/// A resource with the backup instance's schema that plans what it is given and reads back what it has.
struct SameSchema {
    schema: Schema,
}

#[async_trait::async_trait]
impl Resource for SameSchema {
    fn type_name(&self) -> &'static str {
        "test_backup_instance"
    }
    fn schema(&self) -> Schema {
        self.schema.clone()
    }
    async fn plan(&self, _: &Context, request: PlanRequest) -> PlanResponse {
        let mut planned = request.proposed_new_state;
        if request.prior_state.is_null() && !planned.is_null() {
            planned.set_attr("id", Value::Unknown);
        }
        PlanResponse { planned_state: planned, ..PlanResponse::default() }
    }
    async fn apply(&self, _: &Context, request: ApplyRequest) -> ApplyResponse {
        let mut state = request.planned_state;
        if state.is_null() {
            return ApplyResponse::default();
        }
        for attribute in &self.schema.block.attributes {
            if state.attr(&attribute.name).is_unknown() {
                state.set_attr(&attribute.name, Value::Null);
            }
        }
        let name = state.attr("name").as_str().unwrap_or_default().to_owned();
        state.set_attr("id", Value::from(format!("/same-schema/{name}")));
        ApplyResponse { new_state: state, ..ApplyResponse::default() }
    }
    async fn read(&self, _: &Context, request: ReadRequest) -> ReadResponse {
        ReadResponse { new_state: request.current_state, private: request.private, ..ReadResponse::default() }
    }
    async fn import(&self, _: &Context, _: ImportRequest) -> ImportResponse {
        ImportResponse::default()
    }
}

/// Runs terraform in `ws` and times it; the exit code must be `expect`.
async fn timed(ws: &Workspace, args: &[&str], expect: i32) -> Duration {
    let begun = Instant::now();
    let run = ws.terraform(args).await;
    let elapsed = begun.elapsed();
    assert_eq!(run.code, expect, "terraform {args:?}:\n{}", run.output());
    elapsed
}

/// The default world plus `count` disks in the workload group, with the vault identity holding Disk Backup
/// Reader on that resource group (one assignment covers them all).
fn scenario_with_disks(count: usize) -> Scenario {
    let mut scenario = Scenario::default_world();
    for i in 0..count {
        scenario.disks.push(DiskSeed {
            subscription_id: None,
            resource_group: world::WORKLOAD_RESOURCE_GROUP.to_owned(),
            name: disk_name(i),
            location: None,
            disk_size_gb: None,
        });
    }
    scenario.role_assignments.push(RoleAssignmentSeed {
        name: None,
        scope: world::resource_group_id(world::WORKLOAD_RESOURCE_GROUP),
        role: "Disk Backup Reader".to_owned(),
        principal_id: world::VAULT_PRINCIPAL_ID.to_owned(),
        principal_type: Some("ServicePrincipal".to_owned()),
    });
    scenario
}

fn disk_name(i: usize) -> String {
    format!("bench-disk-{i:04}")
}

fn instance_name(i: usize) -> String {
    format!("bench-bi-{i:04}")
}

fn instances_config(count: usize) -> String {
    (0..count)
        .map(|i| instance_block(&format!("bi{i}"), &instance_name(i), &disk_name(i), world::POLICY_DAILY))
        .collect()
}

/// A workspace over `count` disks, throttling off, every operation kind on `lro`.
async fn workspace(count: usize, lro: LroTiming) -> Workspace {
    let ws = Workspace::with_scenario(scenario_with_disks(count)).await;
    let state = ws.emulator.state();
    state.set_throttling(ThrottleSettings { enabled: false, ..ThrottleSettings::default() });
    state.set_default_lro_timing(lro.clone());
    state.set_lro_timing(OperationKind::ProtectionConfiguration, lro);
    state.update_settings(|s| s.journal_capacity = 200_000);
    ws
}

// ---------------------------------------------------------------------------------------------------------------
// Peak memory, from /proc

#[derive(Default, Debug, Clone)]
struct Peaks {
    /// Peak resident set (VmHWM) per provider process, kB.
    providers: BTreeMap<u32, u64>,
    /// Peak resident set of terraform itself, kB.
    terraform: u64,
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields after it start past the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Samples VmHWM of terraform (`root`) and of its provider children every 10 ms until `done`.
fn watch_memory(root: u32, done: Arc<AtomicBool>) -> std::thread::JoinHandle<Peaks> {
    let provider = std::fs::canonicalize(PROVIDER).expect("provider path");
    std::thread::spawn(move || {
        let mut peaks = Peaks::default();
        while !done.load(Ordering::Relaxed) {
            if let Some(kb) = status_field(root, "VmHWM:") {
                peaks.terraform = peaks.terraform.max(kb);
            }
            if let Ok(entries) = std::fs::read_dir("/proc") {
                for entry in entries.flatten() {
                    let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
                    if parent_of(pid) != Some(root) {
                        continue;
                    }
                    if std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_deref() != Some(provider.as_path()) {
                        continue;
                    }
                    if let Some(kb) = status_field(pid, "VmHWM:") {
                        let peak = peaks.providers.entry(pid).or_default();
                        *peak = (*peak).max(kb);
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        peaks
    })
}

/// Runs terraform in `ws` while watching memory.
async fn run_watched(ws: &Workspace, args: &[&str]) -> (Duration, Peaks) {
    let mut all = args.to_vec();
    all.push("-no-color");
    let begun = Instant::now();
    let child = ws.command(&all).spawn().expect("terraform starts");
    let done = Arc::new(AtomicBool::new(false));
    let watcher = watch_memory(child.id().expect("pid"), done.clone());
    let output = child.wait_with_output().await.expect("terraform runs");
    let elapsed = begun.elapsed();
    done.store(true, Ordering::Relaxed);
    let peaks = watcher.join().expect("watcher");
    assert!(
        output.status.success(),
        "terraform {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (elapsed, peaks)
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Binary size

fn bench_size() -> Vec<Figure> {
    let bytes = std::fs::metadata(PROVIDER).expect("provider binary").len();
    let stripped = !has_symbol_table(&std::fs::read(PROVIDER).expect("provider binary"));
    let terraform_bytes = which("terraform").and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len());
    let mb = bytes as f64 / 1e6;
    let mut notes = vec![
        format!("{bytes} bytes, {}", if stripped { "stripped" } else { "NOT stripped" }),
        format!(
            "azurerm v3.65.0 linux_amd64: {AZURERM_BYTES} bytes (cited in PRIOR-ART.md, not measured): {:.1}x ours",
            AZURERM_BYTES as f64 / bytes as f64
        ),
    ];
    if let Some(t) = terraform_bytes {
        notes.push(format!("terraform {} bytes on this machine", t));
    }
    vec![Figure {
        key: "binary_size".into(),
        figure: "Release binary (stripped)".into(),
        value: round(mb, 2),
        unit: "MB".into(),
        baseline: "terraform binary on this machine".into(),
        baseline_value: terraform_bytes.map(|t| round(t as f64 / 1e6, 2)),
        ratio: terraform_bytes.map(|t| round(bytes as f64 / t as f64, 3)),
        target: "<= 12 MB".into(),
        met: mb <= 12.0 && stripped,
        runs: 1,
        samples: vec![mb],
        baseline_samples: Vec::new(),
        notes,
    }]
}

/// True when a 64-bit little-endian ELF file has a symbol table section (`SHT_SYMTAB`): it is not stripped.
fn has_symbol_table(elf: &[u8]) -> bool {
    let u16_at = |at: usize| elf.get(at..at + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u32_at = |at: usize| elf.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let u64_at = |at: usize| elf.get(at..at + 8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
    assert!(elf.starts_with(b"\x7fELF\x02\x01"), "the provider is a 64-bit little-endian ELF file");
    let (offset, size, count) = (u64_at(0x28) as usize, u16_at(0x3A), u16_at(0x3C));
    (0..count).any(|i| u32_at(offset + i * size + 4) == 2)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.is_file()))
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Start-up

fn bench_startup(counts: &Counts) -> Vec<Figure> {
    let client = ClientIdentity::generate();
    // One unmeasured start each, so the page cache holds both binaries.
    Plugin::start(&client, &[]).stop();
    exec_floor();
    let mut provider = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..counts.startup_runs {
        let plugin = Plugin::start(&client, &[]);
        provider.push(ms(plugin.startup));
        plugin.stop();
        floor.push(ms(exec_floor()));
    }
    let value = median(&provider);
    let base = median(&floor);
    vec![Figure {
        key: "startup".into(),
        figure: "Start-up: exec to handshake line".into(),
        value: round(value, 2),
        unit: "ms".into(),
        baseline: "exec to first line of /bin/echo".into(),
        baseline_value: Some(round(base, 2)),
        ratio: Some(round(value / base, 2)),
        target: "<= 20 ms".into(),
        met: value <= 20.0,
        runs: provider.len(),
        notes: vec![format!("p90 {:.2} ms, max {:.2} ms", percentile(&provider, 90.0), percentile(&provider, 100.0))],
        samples: provider,
        baseline_samples: floor,
    }]
}

// ---------------------------------------------------------------------------------------------------------------
// Plugin-level client helpers (ConfigureProvider, PlanResourceChange)

/// A null object of `block`'s type, with `known` values set.
fn object_of(block: &Block, known: &[(&str, Value)]) -> Value {
    let mut value = Value::object(Vec::<(String, Value)>::new());
    for attribute in &block.attributes {
        value.set_attr(&attribute.name, Value::Null);
    }
    for nested in &block.blocks {
        let empty = match nested.nesting {
            Nesting::List => Value::List(Vec::new()),
            Nesting::Set => Value::Set(Vec::new()),
            Nesting::Map => Value::Map(BTreeMap::new()),
            Nesting::Single | Nesting::Group => Value::Null,
        };
        value.set_attr(&nested.type_name, empty);
    }
    for (name, v) in known {
        value.set_attr(name, v.clone());
    }
    value
}

fn provider_config(ws: &Workspace) -> pb::DynamicValue {
    let schema = dataprotection::provider::config::schema();
    let value = object_of(
        &schema.block,
        &[
            ("metadata_host", Value::from(ws.emulator.metadata_host())),
            ("tenant_id", Value::from(world::TENANT_ID)),
            ("client_id", Value::from(world::CLIENT_ID)),
            ("client_secret", Value::from(world::CLIENT_SECRET)),
            ("subscription_id", Value::from(world::SUBSCRIPTION_ID)),
        ],
    );
    pb::DynamicValue {
        msgpack: codec::to_msgpack(&value, &schema.block.value_type()).expect("provider config encodes"),
        json: Vec::new(),
    }
}

/// A CA bundle of this machine's roots plus the emulator's CA: what a real process loads, plus what lets it
/// reach the emulator.
fn system_bundle_with(ws: &Workspace, dir: &Path) -> PathBuf {
    let mut pem = std::fs::read("/etc/ssl/certs/ca-certificates.crt").unwrap_or_default();
    pem.extend(std::fs::read(ws.emulator.ca_pem_path()).expect("emulator CA"));
    let path = dir.join("bundle.pem");
    std::fs::write(&path, pem).expect("bundle");
    path
}

async fn channel_to(plugin: &Plugin, client: &ClientIdentity) -> tonic::transport::Channel {
    common::connect(&plugin.socket, &plugin.certificate, Some(client)).await.expect("connects to the provider")
}

// ---------------------------------------------------------------------------------------------------------------
// ConfigureProvider's cost per process

async fn bench_configure(counts: &Counts) -> Vec<Figure> {
    let ws = workspace(0, instant_timing()).await;
    let client = ClientIdentity::generate();
    let dir = tempfile::tempdir().expect("temporary folder");
    let bundle = system_bundle_with(&ws, dir.path());
    let roots = std::fs::read_to_string(&bundle).map(|t| t.matches("BEGIN CERTIFICATE").count()).unwrap_or(0);
    let bundle = bundle.to_string_lossy().into_owned();
    let emulator_ca = ws.emulator.ca_pem_path().to_string_lossy().into_owned();
    let config = provider_config(&ws);
    let mut configure = Vec::new();
    let mut one_root = Vec::new();
    let mut schema = Vec::new();
    let mut requests = Vec::new();
    // Alternately with the machine's roots plus the emulator's CA, and with the emulator's CA alone: the
    // difference is what loading the trust roots costs.
    for run in 0..counts.configure_runs * 2 {
        let full = run % 2 == 0;
        let plugin = Plugin::start(&client, &[("SSL_CERT_FILE", if full { &bundle } else { &emulator_ca })]);
        let mut rpc = common::provider_client(channel_to(&plugin, &client).await);
        let begun = Instant::now();
        rpc.get_provider_schema(pb::get_provider_schema::Request {}).await.expect("schema");
        let schema_time = ms(begun.elapsed());
        let before = ws.journal().last().map_or(0, |e| e.seq);
        let begun = Instant::now();
        let response = rpc
            .configure_provider(pb::configure_provider::Request {
                terraform_version: "1.11.4".into(),
                config: Some(config.clone()),
                client_capabilities: None,
            })
            .await
            .expect("configure answers")
            .into_inner();
        let elapsed = ms(begun.elapsed());
        assert!(response.diagnostics.is_empty(), "configure: {:?}", response.diagnostics);
        plugin.stop();
        if full {
            configure.push(elapsed);
            schema.push(schema_time);
            requests.push(ws.emulator.state().journal_since(before).len() as f64);
        } else {
            one_root.push(elapsed);
        }
    }
    let value = median(&configure);
    let base = median(&schema);
    vec![Figure {
        key: "configure".into(),
        figure: "ConfigureProvider per process (metadata + token + trust roots)".into(),
        value: round(value, 2),
        unit: "ms".into(),
        baseline: "GetProviderSchema on the same connection".into(),
        baseline_value: Some(round(base, 2)),
        ratio: Some(round(value / base, 2)),
        target: "(no target; measured as asked)".into(),
        met: true,
        runs: configure.len(),
        notes: vec![
            format!("HTTP requests per configure: {}", median(&requests)),
            format!("trust roots loaded: {roots} (this machine's bundle plus the emulator's CA)"),
            format!(
                "with the emulator's CA alone: {:.2} ms, so loading {} roots costs about {:.2} ms",
                median(&one_root),
                roots - 1,
                value - median(&one_root)
            ),
            format!("p90 {:.2} ms", percentile(&configure, 90.0)),
        ],
        samples: configure,
        baseline_samples: schema,
    }]
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Plan of applied instances against terraform_data

async fn bench_plan(counts: &Counts) -> Vec<Figure> {
    let n = counts.plan_instances;
    let ws = workspace(n, instant_timing()).await;
    ws.write(&instances_config(n));
    let setup = Instant::now();
    ws.apply().await;
    eprintln!("  applied {n} instances in {:.1} s (setup, not measured)", setup.elapsed().as_secs_f64());
    assert_eq!(ws.instance_ids().len(), n, "every instance exists");
    let baseline = Baseline::new(n);
    baseline.run(&["apply", "-auto-approve"], 0).await;
    let nothing = Baseline::do_nothing_provider(n);
    nothing.run(&["apply", "-auto-approve"], 0).await;

    let mut ours = [Vec::new(), Vec::new()];
    let mut theirs = [Vec::new(), Vec::new()];
    let mut plugin = [Vec::new(), Vec::new()];
    let mut gets = Vec::new();
    let mut sign_ins = [Vec::new(), Vec::new()];
    // One unmeasured plan each first, so all start from a warm page cache.
    timed(&ws, &["plan", "-detailed-exitcode"], 0).await;
    baseline.run(&["plan", "-detailed-exitcode"], 0).await;
    nothing.run(&["plan", "-detailed-exitcode"], 0).await;
    for _ in 0..counts.plan_runs {
        for (i, refresh) in [true, false].into_iter().enumerate() {
            let mut args = vec!["plan", "-detailed-exitcode"];
            if !refresh {
                args.push("-refresh=false");
            }
            let before = ws.journal().last().map_or(0, |e| e.seq);
            ours[i].push(ms(timed(&ws, &args, 0).await));
            let journal = ws.emulator.state().journal_since(before);
            sign_ins[i].push(journal.iter().filter(|e| e.operation == "Token").count() as f64);
            if refresh {
                let reads = journal
                    .iter()
                    .filter(|e| e.operation == "BackupInstances_Get" || e.operation == "BackupInstances_List")
                    .count();
                gets.push(reads as f64);
            }
            theirs[i].push(ms(baseline.run(&args, 0).await));
            plugin[i].push(ms(nothing.run(&args, 0).await));
        }
    }
    let mut figures = Vec::new();
    for (i, (key, name, target, limit)) in [
        ("plan_refresh", format!("terraform plan, {n} applied instances, refresh on"), "<= 1.5x", 1.5),
        ("plan_no_refresh", format!("terraform plan, {n} applied instances, -refresh=false"), "<= 1.2x", 1.2),
    ]
    .into_iter()
    .enumerate()
    {
        let value = median(&ours[i]);
        let base = median(&theirs[i]);
        let mut notes = vec![format!(
            "ours {:.0}-{:.0} ms, terraform_data {:.0}-{:.0} ms",
            percentile(&ours[i], 0.0),
            percentile(&ours[i], 100.0),
            percentile(&theirs[i], 0.0),
            percentile(&theirs[i], 100.0)
        )];
        let floor = median(&plugin[i]);
        notes.push(format!(
            "a do-nothing provider through the same plugin layer ({n} test_thing): {floor:.0} ms = {:.2}x \
             terraform_data; ours is {:.2}x that",
            floor / base,
            value / floor
        ));
        if i == 0 {
            notes.push(format!("reads of instances (GETs and list pages) per refreshing plan: {}", median(&gets)));
        }
        notes.push(format!(
            "token requests per plan: {} (ConfigureProvider signs in once in each provider process it configures)",
            median(&sign_ins[i])
        ));
        figures.push(Figure {
            key: key.into(),
            figure: name,
            value: round(value, 1),
            unit: "ms".into(),
            baseline: format!("terraform plan of {n} terraform_data"),
            baseline_value: Some(round(base, 1)),
            ratio: Some(round(value / base, 3)),
            target: target.into(),
            met: value / base <= limit,
            runs: ours[i].len(),
            samples: ours[i].clone(),
            baseline_samples: theirs[i].clone(),
            notes,
        });
    }
    figures
}

// ---------------------------------------------------------------------------------------------------------------
// 3b. Refresh at scale, under ARM's default throttling

/// `main.tf` of `ws` with `refresh_by_list` set in the provider block.
fn with_refresh_by_list(ws: &Workspace, on: bool) {
    let path = ws.work_dir().join("main.tf");
    let text = std::fs::read_to_string(&path).expect("main.tf");
    let text = text.replace("  refresh_by_list = false\n", "");
    let text = if on {
        text
    } else {
        text.replace("provider \"dataprotection\" {\n", "provider \"dataprotection\" {\n  refresh_by_list = false\n")
    };
    std::fs::write(path, text).expect("main.tf");
}

/// A refreshing plan of `ws` with fresh ARM buckets (as a CI job that starts after a quiet while): its time, and
/// its ARM requests (sign-in and metadata left out) and the 429s among them.
async fn throttled_plan(ws: &Workspace) -> (f64, usize, usize) {
    ws.emulator.state().set_throttling(ThrottleSettings::default());
    let before = ws.journal().last().map_or(0, |e| e.seq);
    let time = ms(timed(ws, &["plan", "-detailed-exitcode"], 0).await);
    let journal = ws.emulator.state().journal_since(before);
    let arm: Vec<&JournalEntry> =
        journal.iter().filter(|e| e.operation != "Token" && e.operation != "Metadata_Endpoints").collect();
    (time, arm.len(), arm.iter().filter(|e| e.status == 429).count())
}

async fn bench_refresh_scale(counts: &Counts) -> Vec<Figure> {
    let mut figures = Vec::new();
    for n in counts.refresh_instances {
        let ws = workspace(n, instant_timing()).await;
        ws.write(&instances_config(n));
        let setup = Instant::now();
        ws.apply().await;
        eprintln!(
            "  applied {n} instances in {:.1} s (setup, throttling off, not measured)",
            setup.elapsed().as_secs_f64()
        );
        assert_eq!(ws.instance_ids().len(), n, "every instance exists");
        let nothing = Baseline::do_nothing_provider(n);
        nothing.run(&["apply", "-auto-approve"], 0).await;
        nothing.run(&["plan", "-detailed-exitcode"], 0).await;
        let same_schema = Baseline::do_nothing_provider_same_schema(n);
        same_schema.run(&["apply", "-auto-approve"], 0).await;
        same_schema.run(&["plan", "-detailed-exitcode"], 0).await;

        // Before: one GET per instance (refresh_by_list = false), one run at 1,000 (it waits out the read bucket).
        with_refresh_by_list(&ws, false);
        let before_runs = if n >= 1000 { 1 } else { counts.refresh_runs };
        let mut before = Vec::new();
        for _ in 0..before_runs {
            before.push(throttled_plan(&ws).await);
        }
        with_refresh_by_list(&ws, true);
        let mut ours = Vec::new();
        let mut floor = Vec::new();
        let mut no_refresh = Vec::new();
        let mut floor_no_refresh = Vec::new();
        let mut floor_same_schema = Vec::new();
        timed(&ws, &["plan", "-detailed-exitcode"], 0).await;
        for _ in 0..counts.refresh_runs {
            ours.push(throttled_plan(&ws).await);
            floor.push(ms(nothing.run(&["plan", "-detailed-exitcode"], 0).await));
            // The same plans without refresh: what is left is not the refresh's.
            no_refresh.push(ms(timed(&ws, &["plan", "-detailed-exitcode", "-refresh=false"], 0).await));
            floor_no_refresh.push(ms(nothing.run(&["plan", "-detailed-exitcode", "-refresh=false"], 0).await));
            floor_same_schema.push(ms(same_schema.run(&["plan", "-detailed-exitcode"], 0).await));
        }
        let times: Vec<f64> = ours.iter().map(|r| r.0).collect();
        let value = median(&times);
        // The floor: a provider that does nothing with resources of the same schema and arguments, so that the
        // ratio is what this provider adds, not what Terraform spends on a wider resource than test_thing.
        let base = median(&floor_same_schema);
        let thing_floor = median(&floor);
        let per_instance = median(&ours.iter().map(|r| r.1 as f64 / n as f64).collect::<Vec<_>>());
        let throttled: usize = ours.iter().map(|r| r.2).sum();
        let before_time = median(&before.iter().map(|r| r.0).collect::<Vec<_>>());
        let before_requests = median(&before.iter().map(|r| r.1 as f64).collect::<Vec<_>>());
        let before_throttled = median(&before.iter().map(|r| r.2 as f64).collect::<Vec<_>>());
        let notes = vec![
            format!(
                "ARM requests per refreshed instance: {per_instance:.3} ({} requests per plan, {throttled} answered 429 in {} runs)",
                ours.first().map_or(0, |r| r.1),
                ours.len()
            ),
            format!(
                "before (refresh_by_list = false): {before_time:.0} ms, {before_requests:.0} requests, \
                 {before_throttled:.0} answered 429 (median of {})",
                before.len()
            ),
            format!("ours {:.0}-{:.0} ms", percentile(&times, 0.0), percentile(&times, 100.0)),
            format!(
                "-refresh=false: ours {:.0} ms, the do-nothing provider {:.0} ms ({:.2}x): the part of the ratio \
                 that is not the refresh",
                median(&no_refresh),
                median(&floor_no_refresh),
                median(&no_refresh) / median(&floor_no_refresh)
            ),
            format!(
                "the do-nothing provider's small test_thing ({n} of them): {thing_floor:.0} ms; ours is {:.2}x that \
                 (Terraform's own cost of a wider resource is in that ratio)",
                value / thing_floor
            ),
        ];
        figures.push(Figure {
            key: format!("refresh_{n}"),
            figure: format!("terraform plan, {n} applied instances in one vault, ARM's default throttling"),
            value: round(value, 1),
            unit: "ms".into(),
            baseline: format!(
                "terraform plan of {n} test_backup_instance (a do-nothing provider with the same schema and arguments)"
            ),
            baseline_value: Some(round(base, 1)),
            ratio: Some(round(value / base, 3)),
            target: "<= 1.2x, <= 0.05 requests per instance at 1,000".into(),
            met: value / base <= 1.2 && (n < 1000 || per_instance <= 0.05),
            runs: ours.len(),
            samples: times,
            baseline_samples: floor_same_schema,
            notes,
        });
    }
    figures
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Apply of new instances against the floor of the emulator's delays

/// What the requests of one apply were, per created instance.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct Breakdown {
    validate_posts: f64,
    validate_polls: f64,
    existence_gets: f64,
    puts: f64,
    put_polls: f64,
    gets_after_put: f64,
    sign_in_and_discovery: f64,
    other: f64,
    total: f64,
    early_operation_polls: usize,
    early_instance_gets: usize,
    non_2xx: usize,
}

/// Sorts the journal of an apply into the steps of creating an instance. `n` instances.
fn breakdown(journal: &[JournalEntry], n: usize) -> Breakdown {
    let mut b = Breakdown::default();
    let mut put_seen: HashMap<String, bool> = HashMap::new();
    let mut gets: HashMap<String, Vec<u64>> = HashMap::new();
    // Validations and the create PUTs are both followed at vault scope. Terraform's plan walk (every validation)
    // ends before its apply walk (every PUT) starts, so a vault-scope poll before the first PUT is a validation's.
    let first_put = journal.iter().position(|e| e.operation == "BackupInstances_CreateOrUpdate").unwrap_or(0);
    for (i, e) in journal.iter().enumerate() {
        let instance = e.path.to_ascii_lowercase();
        match e.operation.as_str() {
            "BackupInstances_ValidateForBackup" => b.validate_posts += 1.0,
            "OperationStatus_Get" | "OperationResult_Get" => b.validate_polls += 1.0,
            "OperationStatusBackupVaultContext_Get" if i < first_put => b.validate_polls += 1.0,
            "BackupInstances_CreateOrUpdate" => {
                b.puts += 1.0;
                put_seen.insert(instance, true);
            }
            "OperationStatusBackupVaultContext_Get" | "BackupInstances_GetBackupInstanceOperationResult" => {
                b.put_polls += 1.0
            }
            "BackupInstances_Get" if put_seen.contains_key(&instance) => {
                b.gets_after_put += 1.0;
                gets.entry(instance).or_default().push(e.at_ms);
            }
            "BackupInstances_Get" => b.existence_gets += 1.0,
            "Token" | "Metadata_Endpoints" => b.sign_in_and_discovery += 1.0,
            _ => b.other += 1.0,
        }
        if e.early {
            b.early_operation_polls += 1;
        }
        let expected_404 = e.operation == "BackupInstances_Get" && e.status == 404;
        if !(200..300).contains(&e.status) && !expected_404 {
            b.non_2xx += 1;
        }
    }
    // GETs of an instance while protection is configured are asked to wait RETRY_MS; the journal keeps
    // milliseconds, so a GET sooner than RETRY_MS - 1 after the one before came early.
    for times in gets.values_mut() {
        times.sort_unstable();
        b.early_instance_gets += times.windows(2).filter(|w| w[1] - w[0] + 1 < RETRY_MS).count();
    }
    b.total = journal.len() as f64;
    let per = |x: f64| round(x / n as f64, 3);
    Breakdown {
        validate_posts: per(b.validate_posts),
        validate_polls: per(b.validate_polls),
        existence_gets: per(b.existence_gets),
        puts: per(b.puts),
        put_polls: per(b.put_polls),
        gets_after_put: per(b.gets_after_put),
        sign_in_and_discovery: per(b.sign_in_and_discovery),
        other: per(b.other),
        total: per(b.total),
        ..b
    }
}

fn polls(ms: u64) -> u64 {
    ms.div_ceil(RETRY_MS)
}

async fn bench_apply(counts: &Counts) -> Vec<Figure> {
    let n = counts.apply_instances;
    let p = counts.parallelism;
    // The floor: in each walk, ceil(N / parallelism) waves, each as long as the delays the emulator asks of one
    // instance in that walk. Plan walk: validateForBackup. Apply walk: the create operation, then protection
    // configuration (Terraform plans each instance once more before applying it, and that plan finds the plan
    // walk's validation of the same body: see docs/architecture.md, "One validation per apply").
    let waves = n.div_ceil(p) as u64;
    let validate = polls(VALIDATE_MS) * RETRY_MS;
    let create = polls(CREATE_MS) * RETRY_MS;
    let configure = polls(CONFIGURE_MS) * RETRY_MS;
    let plan_walk = waves * validate;
    let apply_walk = waves * (create + configure);
    let floor = (plan_walk + apply_walk) as f64;
    let floor_text = format!(
        "{waves} waves x {validate} ms (plan walk: validate) + {waves} waves x ({create} + {configure}) ms (apply \
         walk: create, protection) = {floor:.0} ms"
    );
    // The minimum the protocol needs per instance: validate and its polls, PUT and its polls, a GET, and the
    // GETs that wait out protection configuration.
    let minimum = (1 + polls(VALIDATE_MS) + 1 + polls(CREATE_MS) + 1 + polls(CONFIGURE_MS)) as f64;

    let mut walls = Vec::new();
    let mut per_instance = Vec::new();
    let mut breakdowns = Vec::new();
    let mut baseline = Vec::new();
    for run in 0..counts.apply_runs {
        let ws = workspace(n, instant_timing()).await;
        let state = ws.emulator.state();
        state.set_lro_timing(OperationKind::ValidateForBackup, timing(VALIDATE_MS));
        state.set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, timing(CREATE_MS));
        state.set_lro_timing(OperationKind::ProtectionConfiguration, timing(CONFIGURE_MS));
        ws.write(&instances_config(n));
        let parallelism = format!("-parallelism={p}");
        state.clear_journal();
        let wall = timed(&ws, &["apply", "-auto-approve", &parallelism], 0).await;
        let journal = ws.journal();
        assert_eq!(ws.instance_ids().len(), n, "every instance was created");
        let b = breakdown(&journal, n);
        eprintln!("  apply run {}: {:.1} s, {} requests per instance", run + 1, wall.as_secs_f64(), b.total);
        walls.push(ms(wall));
        per_instance.push(b.total);
        breakdowns.push(b);
        let base = Baseline::new(n);
        baseline.push(ms(base.run(&["apply", "-auto-approve", &parallelism], 0).await));
    }
    let wall = median(&walls);
    let b = breakdowns[walls.iter().position(|w| *w == wall).unwrap_or(0)].clone();
    let requests = median(&per_instance);
    vec![
        Figure {
            key: "apply_wall".into(),
            figure: format!("terraform apply, {n} new instances, -parallelism={p}"),
            value: round(wall, 0),
            unit: "ms".into(),
            baseline: "floor of the emulator's delays".into(),
            baseline_value: Some(floor),
            ratio: Some(round(wall / floor, 3)),
            target: "<= 1.10x".into(),
            met: wall / floor <= 1.10,
            runs: walls.len(),
            notes: vec![
                floor_text,
                format!(
                    "terraform apply of {n} terraform_data at the same parallelism: {:.0} ms (Terraform's own cost)",
                    median(&baseline)
                ),
                format!("wall - floor = {:.0} ms", wall - floor),
            ],
            samples: walls,
            baseline_samples: baseline,
        },
        Figure {
            key: "apply_requests".into(),
            figure: "HTTP requests per created instance".into(),
            value: requests,
            unit: "requests".into(),
            baseline: "protocol minimum (validate + polls, PUT + polls, GETs to ProtectionConfigured)".into(),
            baseline_value: Some(minimum),
            ratio: Some(round(requests / minimum, 3)),
            target: "1.00x, no early poll".into(),
            met: requests / minimum <= 1.0 && b.early_operation_polls == 0 && b.early_instance_gets == 0,
            runs: per_instance.len(),
            notes: vec![
                format!(
                    "per instance: validate {} + its polls {} (min 1 + {}), existence GET {}, PUT {} + polls {} (min 1 + \
                     {}), GETs after the operation {} (min 1 + {}), token and metadata {}, other {}",
                    b.validate_posts,
                    b.validate_polls,
                    polls(VALIDATE_MS),
                    b.existence_gets,
                    b.puts,
                    b.put_polls,
                    polls(CREATE_MS),
                    b.gets_after_put,
                    polls(CONFIGURE_MS),
                    b.sign_in_and_discovery,
                    b.other
                ),
                format!(
                    "early polls: {} operation polls (journal flag), {} instance GETs (< {RETRY_MS} ms apart); \
                     non-2xx answers: {}",
                    b.early_operation_polls, b.early_instance_gets, b.non_2xx
                ),
            ],
            samples: per_instance,
            baseline_samples: Vec::new(),
        },
    ]
}

// ---------------------------------------------------------------------------------------------------------------
// 4b. An apply against operations as long as the live service's, with no Retry-After

/// How long the live service's operations ran in the recorded traffic: a disk validateForBackup 41 s, the create
/// PUT's operation 1 s; none of their answers or polls carried `Retry-After`.
const RECORDED_VALIDATE_MS: u64 = 41_000;
const RECORDED_CREATE_MS: u64 = 1_000;

/// An operation of `ms` that answers as the recorded service does: no retry headers, done once `ms` have passed.
fn recorded_timing(ms: u64) -> LroTiming {
    LroTiming::with_delays(0, ms, 1, None).recorded()
}

/// Validations and status polls in an apply's journal, per instance.
fn recorded_counts(journal: &[JournalEntry], n: usize) -> (f64, f64) {
    let validations = journal.iter().filter(|e| e.operation == "BackupInstances_ValidateForBackup").count();
    // Every status and result URL, at every scope.
    let polls = journal
        .iter()
        .filter(|e| e.operation.starts_with("OperationStatus") || e.operation.contains("OperationResult"))
        .count();
    (validations as f64 / n as f64, polls as f64 / n as f64)
}

async fn bench_recorded(counts: &Counts) -> Vec<Figure> {
    // BENCH_QUICK divides the durations by ten: a check that the figure works, not a measurement.
    let scale = counts.recorded_divisor;
    let (validate, create) = (RECORDED_VALIDATE_MS / scale, RECORDED_CREATE_MS / scale);
    let sum = (validate + create) as f64;
    let mut figures = Vec::new();
    // (key, what, instances, parallelism, through a saved plan)
    let cases: [(&str, String, usize, bool); 3] = [
        ("recorded_apply_one", "terraform apply, 1 new instance".to_owned(), 1, false),
        (
            "recorded_apply_wave",
            format!("terraform apply, {} new instances (one wave)", counts.recorded_wave),
            counts.recorded_wave,
            false,
        ),
        ("recorded_plan_out_apply", "terraform plan -out, then apply of it, 1 new instance".to_owned(), 1, true),
    ];
    for (key, what, n, saved) in cases {
        let ws = workspace(n, recorded_timing(0)).await;
        let state = ws.emulator.state();
        state.set_lro_timing(OperationKind::ValidateForBackup, recorded_timing(validate));
        state.set_lro_timing(OperationKind::BackupInstanceCreateOrUpdate, recorded_timing(create));
        ws.write(&instances_config(n));
        let parallelism = format!("-parallelism={}", n.max(10));
        state.clear_journal();
        let wall = if saved {
            let plan = timed(&ws, &["plan", "-out=tfplan", &parallelism], 0).await;
            plan + timed(&ws, &["apply", &parallelism, "tfplan"], 0).await
        } else {
            timed(&ws, &["apply", "-auto-approve", &parallelism], 0).await
        };
        assert_eq!(ws.instance_ids().len(), n, "every instance was created");
        let (validations, polls) = recorded_counts(&ws.journal(), n);
        let wall = ms(wall);
        eprintln!("  {what}: {:.1} s, {validations} validations and {polls} status polls per instance", wall / 1e3);
        figures.push(Figure {
            key: key.into(),
            figure: format!(
                "{what}, operations as recorded (validate {validate} ms, create {create} ms, no Retry-After)"
            ),
            value: round(wall, 0),
            unit: "ms".into(),
            baseline: "sum of the operations' durations".into(),
            baseline_value: Some(sum),
            ratio: Some(round(wall / sum, 3)),
            target: "<= 1.30x, 1 validation per instance".into(),
            met: wall / sum <= 1.30 && validations == 1.0,
            runs: 1,
            samples: vec![wall],
            baseline_samples: Vec::new(),
            notes: vec![format!(
                "per instance: {validations} validateForBackup calls, {polls} status polls (operation status and \
                 result URLs, validation and create together)"
            )],
        });
    }
    figures
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Peak memory while applying many instances

async fn bench_rss(counts: &Counts) -> Vec<Figure> {
    let n = counts.rss_instances;
    let mut peaks = Vec::new();
    let mut terraform = Vec::new();
    let mut notes = Vec::new();
    for run in 0..counts.rss_runs {
        let ws = workspace(n, instant_timing()).await;
        ws.write(&instances_config(n));
        let (wall, watched) = run_watched(&ws, &["apply", "-auto-approve"]).await;
        assert_eq!(ws.instance_ids().len(), n, "every instance was created");
        let providers: Vec<f64> = watched.providers.values().map(|kb| *kb as f64 / 1024.0).collect();
        peaks.push(providers.iter().copied().fold(0.0, f64::max));
        terraform.push(watched.terraform as f64 / 1024.0);
        notes.push(format!(
            "run {}: {} provider processes seen, peaks {} MiB; terraform {:.1} MiB; apply took {:.1} s",
            run + 1,
            providers.len(),
            providers.iter().map(|p| format!("{p:.1}")).collect::<Vec<_>>().join(", "),
            watched.terraform as f64 / 1024.0,
            wall.as_secs_f64()
        ));
    }
    let peak = median(&peaks);
    let base = median(&terraform);
    vec![Figure {
        key: "peak_rss".into(),
        figure: format!("Provider peak RSS, applying {n} instances"),
        value: round(peak, 1),
        unit: "MiB".into(),
        baseline: "terraform's own peak RSS in the same apply".into(),
        baseline_value: Some(round(base, 1)),
        ratio: Some(round(peak / base, 3)),
        target: "<= 30 MB".into(),
        met: peak * 1.048_576 <= 30.0,
        runs: peaks.len(),
        notes,
        samples: peaks,
        baseline_samples: terraform,
    }]
}

// ---------------------------------------------------------------------------------------------------------------
// 5b. The emulator with a large vault: GET, PUT and List cost what they cost in a small one

/// A world of `instances` disk instances in the default vault, each on its own disk.
fn scale_world(instances: usize) -> Scenario {
    Scenario::default_world().with_protected_disks(instances, |i| (format!("disk-{i:05}"), format!("bi-{i:05}")))
}

/// Median milliseconds of GET, PUT and List against a world of `instances` (throttling off, pages of 10).
async fn scale_timings(instances: usize) -> [Vec<f64>; 3] {
    let ws = Workspace::with_scenario(scale_world(instances)).await;
    ws.emulator.state().set_throttling(ThrottleSettings { enabled: false, ..ThrottleSettings::default() });
    ws.emulator.state().set_default_lro_timing(instant_timing());
    ws.emulator.state().update_settings(|settings| settings.page_size = 10);
    let client = terraform::emulator_http_client(&ws.emulator);
    let token = ws.emulator.state().issue_token(world::CLIENT_ID).expect("token");
    let url = |path: &str| format!("{}{path}?api-version={}", ws.emulator.base_url(), dataprotection::arm::API_VERSION);
    let existing = url(&world::backup_instance_id(&format!("bi-{:05}", instances - 1)));
    let measured = url(&world::backup_instance_id("bi-measured"));
    let list = url(&format!("{}/backupInstances", world::vault_id()));
    let body = |policy: &str| {
        json!({"properties": {
            "objectType": "BackupInstance",
            "dataSourceInfo": {"objectType": "Datasource", "datasourceType": "Microsoft.Compute/disks",
                "resourceID": world::disk_id(world::DISK_APP_01), "resourceLocation": world::LOCATION},
            "policyInfo": {"policyId": world::policy_id(policy), "policyParameters": {"dataStoreParametersList": [
                {"objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore",
                 "resourceGroupId": world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP)}]}}
        }})
    };
    let mut samples: [Vec<f64>; 3] = Default::default();
    for (kind, rounds) in [(0, 300), (1, 100), (2, 30)] {
        for round in 0..rounds {
            let request = match kind {
                0 => client.get(&existing),
                1 => client.put(&measured).json(&body(if round % 2 == 0 {
                    world::POLICY_4H
                } else {
                    world::POLICY_DAILY
                })),
                _ => client.get(&list),
            };
            let started = Instant::now();
            let response = request.bearer_auth(&token).send().await.expect("the emulator answers");
            let status = response.status();
            let _ = response.bytes().await;
            samples[kind].push(ms(started.elapsed()));
            assert!(status.is_success(), "{status}");
        }
    }
    samples
}

async fn bench_emulator_scale(counts: &Counts) -> Vec<Figure> {
    let large = counts.scale_instances;
    let small = scale_timings(10).await;
    let loaded = scale_timings(large).await;
    let slack_ms = 2.0;
    ["GET backup instance", "PUT backup instance (update)", "List backup instances (first page of 10)"]
        .iter()
        .zip(small.into_iter().zip(loaded))
        .map(|(what, (before, after))| {
            let (base, value) = (median(&before), median(&after));
            Figure {
                key: format!("emulator_scale_{}", what.split_whitespace().next().unwrap_or("").to_lowercase()),
                figure: format!("Emulator {what}, vault of {large} instances (median)"),
                value: round(value, 3),
                unit: "ms".into(),
                baseline: "the same request in a vault of 10 instances".into(),
                baseline_value: Some(round(base, 3)),
                ratio: Some(round(value / base, 3)),
                target: format!("<= 3x the small vault + {slack_ms} ms"),
                met: value <= base * 3.0 + slack_ms,
                runs: after.len(),
                notes: vec![],
                samples: after,
                baseline_samples: before,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// 6. PlanResourceChange round trip through the plugin layer

async fn bench_rtt(counts: &Counts) -> Vec<Figure> {
    let ws = workspace(1, instant_timing()).await;
    let client = ClientIdentity::generate();
    let ca = ws.emulator.ca_pem_path().to_string_lossy().into_owned();
    let plugin = Plugin::start(&client, &[("SSL_CERT_FILE", &ca)]);
    let channel = channel_to(&plugin, &client).await;
    let mut rpc = common::provider_client(channel.clone());
    let mut health = common::health_client(channel);
    rpc.get_provider_schema(pb::get_provider_schema::Request {}).await.expect("schema");
    let configured = rpc
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: Some(provider_config(&ws)),
            client_capabilities: None,
        })
        .await
        .expect("configure")
        .into_inner();
    assert!(configured.diagnostics.is_empty(), "{:?}", configured.diagnostics);

    // An applied instance planned with no change: the plan Terraform asks for every instance of every plan.
    let resources = dataprotection::resources::all(&Arc::new(ProviderConfiguration::default()));
    let resource = resources
        .iter()
        .find(|r| r.type_name() == "dataprotection_backup_instance")
        .expect("the backup instance resource");
    let schema = resource.schema();
    let ty = schema.block.value_type();
    let configured_values = [
        ("name", Value::from(instance_name(0))),
        ("vault_id", Value::from(world::vault_id())),
        ("datasource_id", Value::from(world::disk_id(&disk_name(0)))),
        ("location", Value::from(world::LOCATION)),
        ("backup_policy_id", Value::from(world::policy_id(world::POLICY_DAILY))),
        ("snapshot_resource_group_id", Value::from(world::resource_group_id(world::SNAPSHOT_RESOURCE_GROUP))),
    ];
    let config = object_of(&schema.block, &configured_values);
    let mut prior = config.clone();
    prior.set_attr("id", Value::from(world::backup_instance_id(&instance_name(0))));
    prior.set_attr("datasource_type", Value::from("Microsoft.Compute/disks"));
    prior.set_attr("protection_state", Value::from("ProtectionConfigured"));
    let dynamic =
        |v: &Value| pb::DynamicValue { msgpack: codec::to_msgpack(v, &ty).expect("encodes"), json: Vec::new() };
    let request = pb::plan_resource_change::Request {
        type_name: "dataprotection_backup_instance".into(),
        prior_state: Some(dynamic(&prior)),
        proposed_new_state: Some(dynamic(&prior)),
        config: Some(dynamic(&config)),
        ..Default::default()
    };
    let warm = counts.rtt_calls / 10;
    let mut plan = Vec::new();
    let mut check = Vec::new();
    for i in 0..counts.rtt_calls + warm {
        let begun = Instant::now();
        let response = rpc.plan_resource_change(request.clone()).await.expect("plan").into_inner();
        let elapsed = begun.elapsed();
        assert!(response.diagnostics.is_empty() && response.requires_replace.is_empty(), "{response:?}");
        let begun = Instant::now();
        health.check(HealthCheckRequest { service: "plugin".into() }).await.expect("health");
        let health_elapsed = begun.elapsed();
        if i >= warm {
            plan.push(ms(elapsed) * 1000.0);
            check.push(ms(health_elapsed) * 1000.0);
        }
    }
    let planned = codec::from_msgpack(
        &rpc.plan_resource_change(request).await.expect("plan").into_inner().planned_state.expect("state").msgpack,
        &ty,
    )
    .expect("decodes");
    assert_eq!(planned, prior, "no change planned");
    plugin.stop();
    let p50 = median(&plan);
    let base = median(&check);
    vec![Figure {
        key: "plan_rtt".into(),
        figure: "PlanResourceChange round trip (no-change plan of an instance), p50".into(),
        value: round(p50, 1),
        unit: "µs".into(),
        baseline: "gRPC health check on the same connection, p50".into(),
        baseline_value: Some(round(base, 1)),
        ratio: Some(round(p50 / base, 2)),
        target: "p50 <= 1 ms".into(),
        met: p50 <= 1000.0,
        runs: plan.len(),
        notes: vec![
            format!("p99 {:.1} µs (health check p99 {:.1} µs)", percentile(&plan, 99.0), percentile(&check, 99.0)),
            "the real provider binary, over its unix socket, mutual TLS with the pinned certificate as Terraform does"
                .into(),
        ],
        samples: plan,
        baseline_samples: check,
    }]
}

// ---------------------------------------------------------------------------------------------------------------
// The run

fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let memory = status_like("/proc/meminfo", "MemTotal:").map(|kb| round(kb as f64 / 1024.0 / 1024.0, 1));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let terraform = std::process::Command::new("terraform")
        .arg("version")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").to_owned())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cpus": cpus,
        "memory_gib": memory,
        "kernel": kernel.trim(),
        "load_average_at_start": load.trim(),
        "terraform": terraform,
    })
}

fn status_like(path: &str, field: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn print_table(figures: &[Figure]) {
    println!();
    println!("{:<66} {:>12} {:>14} {:>9}  {:<14} met", "figure", "value", "baseline", "ratio", "target");
    println!("{}", "-".repeat(126));
    for f in figures {
        let value = format!("{} {}", f.value, f.unit);
        let baseline = f.baseline_value.map_or_else(|| "-".to_owned(), |b| format!("{b}"));
        let ratio = f.ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.3}x"));
        println!(
            "{:<66} {:>12} {:>14} {:>9}  {:<14} {}",
            f.figure,
            value,
            baseline,
            ratio,
            f.target,
            if f.met { "yes" } else { "NO" }
        );
        println!("    baseline: {}", f.baseline);
        for note in &f.notes {
            println!("    {note}");
        }
    }
    println!();
}

fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("bench")
}

fn main() -> std::process::ExitCode {
    // Started by Terraform as the do-nothing provider of a baseline.
    if std::env::var_os(MAGIC_COOKIE_KEY).is_some() {
        let provider = DoNothing { inner: common::TestProvider { signals: Arc::new(common::Signals::default()) } };
        return dataprotection::plugin::serve(Arc::new(provider));
    }
    // `cargo bench` passes `--bench`. Without it this was started as a test (`cargo test --all-targets`):
    // a benchmark is not a test, so say how to run it and stop.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/provider.rs is a benchmark: run it with `make bench`");
        return std::process::ExitCode::SUCCESS;
    }
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let counts = if quick { Counts::quick() } else { Counts::full() };
    let only: Option<Vec<String>> =
        std::env::var("BENCH_ONLY").ok().map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == name));
    let machine = machine();
    eprintln!("bench: {} counts; machine {machine}", if quick { "quick" } else { "full" });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let started = Instant::now();
    let mut figures = Vec::new();
    let mut step = |name: &str, f: &mut dyn FnMut() -> Vec<Figure>| {
        if wanted(name) {
            eprintln!("bench: {name}...");
            let begun = Instant::now();
            figures.extend(f());
            eprintln!("bench: {name} took {:.1} s", begun.elapsed().as_secs_f64());
        }
    };
    step("size", &mut bench_size);
    step("startup", &mut || bench_startup(&counts));
    step("configure", &mut || runtime.block_on(bench_configure(&counts)));
    step("plan", &mut || runtime.block_on(bench_plan(&counts)));
    step("refresh_scale", &mut || runtime.block_on(bench_refresh_scale(&counts)));
    step("apply", &mut || runtime.block_on(bench_apply(&counts)));
    step("recorded", &mut || runtime.block_on(bench_recorded(&counts)));
    step("rss", &mut || runtime.block_on(bench_rss(&counts)));
    step("rtt", &mut || runtime.block_on(bench_rtt(&counts)));
    step("emulator_scale", &mut || runtime.block_on(bench_emulator_scale(&counts)));
    print_table(&figures);
    let dir = output_dir();
    std::fs::create_dir_all(&dir).expect("target/bench");
    let results = json!({
        "command": "make bench",
        "quick": quick,
        "date_unix": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "duration_s": round(started.elapsed().as_secs_f64(), 1),
        "machine": machine,
        "load_average_at_end": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "schedule": {"retry_ms": RETRY_MS, "validate_ms": VALIDATE_MS, "create_ms": CREATE_MS, "configure_ms": CONFIGURE_MS},
        "figures": figures,
    });
    let path = dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results).expect("JSON")).expect("results.json");
    println!("wrote {} ({:.0} s)", path.display(), started.elapsed().as_secs_f64());
    let missed: Vec<&str> = figures.iter().filter(|f| !f.met).map(|f| f.key.as_str()).collect();
    if !missed.is_empty() {
        println!("targets missed: {}", missed.join(", "));
    }
    std::process::ExitCode::SUCCESS
}
